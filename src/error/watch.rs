//! What can stop or trouble a watch, beyond the requests it sends.

use std::fmt;

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
    /// The store failed (its error is the source); retried at the next poll.
    Store,
    /// Another watcher holds the lease now: this one stops and commits
    /// nothing more.
    LeaseLost,
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

    /// Whether the watch goes on (a store failure is retried at the next
    /// poll); a lost lease or a mismatched state stops it.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, WatchErrorKind::Store)
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
            WatchErrorKind::LeaseLost => write!(
                f,
                "another watcher holds the lease on this collection now: this one stops"
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
