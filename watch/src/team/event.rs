//! What a team watch yields: each item names its automation.

use std::fmt;

use crate::error::Error;
use crate::event::{RunEvent, StartAt};
use resend_workflows::AutomationRunListItem;

/// An event of a team watch ([`TeamStream`](crate::TeamStream)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TeamEvent {
    /// A run of `automation` started, finished or went.
    Run {
        /// The automation's id.
        automation: String,
        /// What happened to the run.
        event: RunEvent<AutomationRunListItem>,
    },
    /// `automation` is watched from now on, from its saved state, or else
    /// from `start`: found at the watch's first look, or created (or
    /// enabled) since. On several replicas, the one holding its lease
    /// polls it; the others wait to take over.
    Added {
        /// The automation's id.
        automation: String,
        /// Where it starts when no state is saved for it.
        start: StartAt,
    },
    /// `automation` is no longer watched: what its watch told is
    /// committed and its lease given back (on a task), and its state stays
    /// in the store, so a watch of it later goes on from there.
    Removed {
        /// The automation's id.
        automation: String,
        /// Why.
        reason: Removal,
    },
}

impl TeamEvent {
    /// The automation the event is about.
    pub fn automation(&self) -> &str {
        match self {
            Self::Run { automation, .. }
            | Self::Added { automation, .. }
            | Self::Removed { automation, .. } => automation,
        }
    }
}

/// Why an automation is no longer watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Removal {
    /// The team's listing no longer shows it, or its runs' listing
    /// answered 404 at two polls in a row.
    Deleted,
    /// It is disabled: it starts no runs. Dropped once the runs it had in
    /// flight ended, each told finished (or gone).
    Disabled,
}

/// A failed step of a team watch: of one automation's watch (which goes
/// on, as a single watch does) or of the look at the team's automations
/// (tried again at the next look).
#[derive(Debug)]
pub struct TeamError {
    automation: Option<String>,
    error: Error,
}

impl TeamError {
    pub(super) fn new(automation: Option<String>, error: Error) -> Self {
        Self { automation, error }
    }

    /// The automation whose watch failed; `None` for the team's listing
    /// or the team watch's own arguments.
    pub fn automation(&self) -> Option<&str> {
        self.automation.as_deref()
    }

    /// The error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error, owned.
    pub fn into_error(self) -> Error {
        self.error
    }

    /// Whether the team watch ends after this item: only for an invalid
    /// argument of the team watch itself. An error that ends one
    /// automation's watch (a lease another replica took, a state saved by
    /// a newer version) drops that automation until the next look.
    pub fn ends_watch(&self) -> bool {
        self.automation.is_none() && self.error.is_invalid_argument()
    }
}

impl fmt::Display for TeamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.automation {
            Some(id) => write!(f, "watching automation {id}: {}", self.error),
            None => write!(f, "watching the team's automations: {}", self.error),
        }
    }
}

impl std::error::Error for TeamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<TeamError> for Error {
    fn from(e: TeamError) -> Self {
        e.error
    }
}
