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

    /// Whether the watch goes on (a store failure is tried again); a lost
    /// lease, a saved state it cannot resume, or a missing collection ends
    /// it.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, WatchErrorKind::Store)
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
