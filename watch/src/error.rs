//! What can stop or trouble a watch: the client's errors (its requests,
//! its arguments), and the watch's own (its state, lease and store).

use std::fmt;
use std::time::SystemTime;

use resend_workflows::InvalidArgument;

/// An error of a watch's stream: a request the watch sent failed (or an
/// argument was refused), which the client's [`Error`](resend_workflows::Error)
/// tells; or the watch's state, lease or store could not be used
/// ([`WatchError`]). Its [`source`](std::error::Error::source) is the
/// error it wraps.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A request failed, or an argument was refused before anything was
    /// sent: the client's error.
    Client(resend_workflows::Error),
    /// The watch's state or lease could not be used.
    Watch(WatchError),
}

impl Error {
    /// Whether this error is the last item of a watch's stream: an invalid
    /// argument, a saved state the watch cannot resume, a lease another
    /// watcher took, a collection that is not there. Any other error is a
    /// failed poll (or commit), and the watch goes on.
    pub fn ends_watch(&self) -> bool {
        match self {
            Self::Client(e) => e.is_invalid_argument(),
            Self::Watch(e) => e.ends_watch(),
        }
    }

    /// Whether the same poll may succeed if tried again later: the
    /// client's [`is_retryable`](resend_workflows::Error::is_retryable),
    /// or the watch's ([`WatchError::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Client(e) => e.is_retryable(),
            Self::Watch(e) => e.is_retryable(),
        }
    }

    /// Whether an argument was refused, so nothing was sent.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Self::Client(e) if e.is_invalid_argument())
    }

    /// The client's error, if a request failed or an argument was refused.
    pub fn as_client(&self) -> Option<&resend_workflows::Error> {
        match self {
            Self::Client(e) => Some(e),
            Self::Watch(_) => None,
        }
    }

    /// The watch's own error, if its state or lease could not be used.
    pub fn as_watch(&self) -> Option<&WatchError> {
        match self {
            Self::Watch(e) => Some(e),
            Self::Client(_) => None,
        }
    }

    /// The API error, if the server answered a request with an error
    /// status.
    pub fn as_api(&self) -> Option<&resend_workflows::ApiError> {
        self.as_client().and_then(resend_workflows::Error::as_api)
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.as_client().and_then(resend_workflows::Error::status)
    }

    /// Whether this is one record of a page that does not decode (the
    /// page's other records were kept, and the watch goes on).
    pub fn is_bad_record(&self) -> bool {
        self.as_bad_record().is_some()
    }

    /// The record that does not decode, if this is one.
    pub fn as_bad_record(&self) -> Option<&resend_workflows::BadRecord> {
        self.as_client()
            .and_then(resend_workflows::Error::as_bad_record)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(e) => e.fmt(f),
            Self::Watch(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Client(e) => Some(e),
            Self::Watch(e) => Some(e),
        }
    }
}

impl From<resend_workflows::Error> for Error {
    fn from(e: resend_workflows::Error) -> Self {
        Self::Client(e)
    }
}

impl From<WatchError> for Error {
    fn from(e: WatchError) -> Self {
        Self::Watch(e)
    }
}

impl From<resend_workflows::BadRecord> for Error {
    fn from(e: resend_workflows::BadRecord) -> Self {
        Self::Client(e.into())
    }
}

impl From<InvalidArgument> for Error {
    fn from(e: InvalidArgument) -> Self {
        Self::Client(e.into())
    }
}

/// What went wrong with a watch's state or lease.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchErrorKind {
    /// The store holds a state saved for another collection under this
    /// key: resuming it would report the wrong runs.
    StateMismatch {
        /// The collection this watch follows (`automations/<id>/runs`).
        expected: String,
        /// The collection the saved state is for.
        found: String,
    },
    /// The saved state has a version this crate does not read.
    StateVersion {
        /// The version found.
        found: u32,
    },
    /// The store failed (its error is the source); the watch goes on, and
    /// tries again.
    Store,
    /// Another watcher took the lease: this one stops, and commits nothing
    /// more. (A lease that merely expired while nobody else wanted it is
    /// never lost: the holder keeps it.)
    LeaseLost {
        /// The watcher that holds it now.
        holder: String,
        /// When it took it, if the store knows.
        since: Option<SystemTime>,
    },
    /// One run in flight could not be read (its retrieve failed: a 5xx
    /// after the retries, a body over the cap). The watch goes on, the
    /// other runs' outcomes reported, and tries that run again at the next
    /// poll. The error is the source.
    RunUnreadable {
        /// The run's id.
        run_id: String,
    },
    /// A poll reached its bound (pages, or time) before it was done: a
    /// server that says `has_more` without end, or a backlog too large for
    /// one poll. What it read is kept; the next poll goes on from there.
    PollTooLong {
        /// Pages the poll read.
        pages: u32,
        /// How long it took.
        elapsed: std::time::Duration,
    },
    /// The collection watched is not there: its listing answered 404
    /// `not_found` at two polls in a row (a wrong id, or a deleted
    /// automation). The watch stops.
    CollectionNotFound {
        /// The collection (`automations/<id>/runs`).
        collection: String,
    },
}

/// A watch's state or lease could not be used.
#[derive(Debug)]
pub struct WatchError {
    pub(crate) kind: WatchErrorKind,
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl WatchError {
    pub(crate) fn new(kind: WatchErrorKind) -> Self {
        Self { kind, source: None }
    }

    pub(crate) fn store(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            kind: WatchErrorKind::Store,
            source: Some(source.into()),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &WatchErrorKind {
        &self.kind
    }

    /// Whether the watch goes on (a store failure, a run that could not be
    /// read, a poll cut at its bound); a lost lease, a saved state it
    /// cannot resume, or a missing collection ends it.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            WatchErrorKind::Store
                | WatchErrorKind::RunUnreadable { .. }
                | WatchErrorKind::PollTooLong { .. }
        )
    }

    pub(crate) fn with_source(
        kind: WatchErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// Whether this error is the watch's last item.
    pub fn ends_watch(&self) -> bool {
        !self.is_retryable()
    }
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            WatchErrorKind::StateMismatch { expected, found } => write!(
                f,
                "the saved watch state is for {found:?}, not {expected:?}: use another key or store"
            ),
            WatchErrorKind::StateVersion { found } => write!(
                f,
                "the saved watch state has version {found}, which this crate does not read"
            ),
            WatchErrorKind::Store => match &self.source {
                Some(source) => write!(f, "the watch's state store failed: {source}"),
                None => write!(f, "the watch's state store failed"),
            },
            WatchErrorKind::LeaseLost { holder, since } => {
                write!(f, "watcher {holder:?} took the lease on this collection")?;
                if let Some(since) = since {
                    let at = chrono::DateTime::<chrono::Utc>::from(*since);
                    write!(
                        f,
                        " at {}",
                        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    )?;
                }
                write!(f, ": this watcher stops")
            }
            WatchErrorKind::RunUnreadable { run_id } => match &self.source {
                Some(source) => write!(
                    f,
                    "run {run_id:?} could not be read (tried again at the next poll): {source}"
                ),
                None => write!(f, "run {run_id:?} could not be read"),
            },
            WatchErrorKind::PollTooLong { pages, elapsed } => write!(
                f,
                "a poll stopped at its bound after {pages} pages and {:.1} s; the next goes on \
                 from there",
                elapsed.as_secs_f64()
            ),
            WatchErrorKind::CollectionNotFound { collection } => write!(
                f,
                "{collection:?} is not there (404 not_found at two polls in a row): a wrong \
                 id, or a deleted automation; the watch stops"
            ),
        }
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
