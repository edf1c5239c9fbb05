//! What can stop or trouble a watch, beyond the requests it sends.

use std::fmt;
use std::time::SystemTime;

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
