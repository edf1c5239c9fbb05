//! What a watch reports, and where it starts.

use crate::status::RunStatus;

/// Something that happened to a run, as a watch saw it.
///
/// For each run, [`Started`](Self::Started) comes before anything else
/// about it and [`Finished`](Self::Finished) is the last. A run created and
/// finished between two polls yields `Started` then `Finished`. Delivery is
/// at least once: after a crash, the events since the last commit may come
/// again, so a consumer keys what it does on the run's id and the event's
/// kind (see [`RunEvent::key`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunEvent<R> {
    /// The first time the run is seen, whatever its status.
    Started(R),
    /// The run's status changed to one that is not final (a status the
    /// crate does not know is never taken for final).
    Changed {
        /// The run, in its new status.
        run: R,
        /// The status it was last seen in.
        from: RunStatus,
    },
    /// The run was seen in a final status: completed, failed, cancelled or
    /// skipped. Nothing more is reported about it.
    Finished(R),
}

impl<R> RunEvent<R> {
    /// The run the event is about.
    pub fn run(&self) -> &R {
        match self {
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished(run) => run,
        }
    }

    /// Takes the run out of the event.
    pub fn into_run(self) -> R {
        match self {
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished(run) => run,
        }
    }

    /// The event's kind: `started`, `changed` or `finished`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Started(_) => "started",
            Self::Changed { .. } => "changed",
            Self::Finished(_) => "finished",
        }
    }
}

impl<R: crate::pagination::ListItem> RunEvent<R> {
    /// What makes the event unique, for a consumer that must act once on
    /// at-least-once delivery: the run's id, the kind, and for `Changed`
    /// the status left.
    pub fn key(&self) -> (String, &'static str, Option<String>) {
        let from = match self {
            Self::Changed { from, .. } => Some(from.as_str().to_owned()),
            _ => None,
        };
        (self.run().item_id().to_owned(), self.kind(), from)
    }
}

/// Where a watch that has no saved state starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StartAt {
    /// Only runs created from now on (the default): what exists is not
    /// reported.
    #[default]
    Now,
    /// Every existing run first, oldest first, then the new ones.
    Beginning,
}
