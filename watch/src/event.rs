//! What a watch reports, and where it starts.

use resend_workflows::AutomationRunStep;
use resend_workflows::RunItem;
use resend_workflows::RunStatus;

/// Something that happened to a run, as a watch saw it.
///
/// For each run, [`Started`](Self::Started) comes before anything else
/// about it, and [`Finished`](Self::Finished) or [`Gone`](Self::Gone) is
/// the last. A run created and finished between two polls yields `Started`
/// then `Finished`. Delivery is at least once: after a crash, the events
/// since the last commit may come again, so a consumer keys what it does
/// on the run's id and the event's kind (see [`RunEvent::key`]).
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
    Finished {
        /// The run, in its final status.
        run: R,
        /// The run's steps, in graph order, when the watch was asked for
        /// them for this status ([`WatchConfig::steps_for`](crate::WatchConfig::steps_for)):
        /// the failing step's `key` and `error` at hand. `None` otherwise
        /// (and always for the alpha's workflows, whose runs have none).
        steps: Option<Vec<AutomationRunStep>>,
    },
    /// The run is no longer there: a retrieve answered 404, and a second
    /// look confirmed it (a run deleted while in flight). Nothing more is
    /// reported about it.
    Gone {
        /// The run's id.
        id: String,
        /// The status it was last seen in.
        last: RunStatus,
    },
}

impl<R> RunEvent<R> {
    /// The event's kind: `started`, `changed`, `finished` or `gone`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Started(_) => "started",
            Self::Changed { .. } => "changed",
            Self::Finished { .. } => "finished",
            Self::Gone { .. } => "gone",
        }
    }
}

impl<R: RunItem> RunEvent<R> {
    /// The id of the run the event is about.
    pub fn run_id(&self) -> &str {
        match self {
            Self::Gone { id, .. } => id,
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished { run, .. } => {
                run.item_id()
            }
        }
    }

    /// The run the event is about, as last listed (`None` for
    /// [`Gone`](Self::Gone): there is no run any more).
    pub fn run(&self) -> Option<&R> {
        match self {
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished { run, .. } => {
                Some(run)
            }
            Self::Gone { .. } => None,
        }
    }

    /// Takes the run out of the event (`None` for [`Gone`](Self::Gone)).
    pub fn into_run(self) -> Option<R> {
        match self {
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished { run, .. } => {
                Some(run)
            }
            Self::Gone { .. } => None,
        }
    }

    /// The run's status: as seen, or, for [`Gone`](Self::Gone), as last seen.
    pub fn status(&self) -> &RunStatus {
        match self {
            Self::Gone { last, .. } => last,
            Self::Started(run) | Self::Changed { run, .. } | Self::Finished { run, .. } => {
                run.status()
            }
        }
    }

    /// The steps of a [`Finished`](Self::Finished) run, when the watch was
    /// asked for them.
    pub fn steps(&self) -> Option<&[AutomationRunStep]> {
        match self {
            Self::Finished { steps, .. } => steps.as_deref(),
            _ => None,
        }
    }

    /// What makes the event unique, for a consumer that must act once on
    /// at-least-once delivery: the run's id, the kind, and for `Changed`
    /// the status left.
    pub fn key(&self) -> (String, &'static str, Option<String>) {
        let from = match self {
            Self::Changed { from, .. } => Some(from.as_str().to_owned()),
            _ => None,
        };
        (self.run_id().to_owned(), self.kind(), from)
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
    /// Runs created from now on, and the runs running now: each of those
    /// is reported `Started`, then what becomes of it. For a service that
    /// switches stores (or starts afresh) and must not lose the outcome of
    /// runs already in flight.
    Running,
    /// Every existing run, newest first, a few pages a poll (a backfill),
    /// beside the new ones as they come: a list of any length is held a
    /// page at a time, never whole. A run deleted at the backfill's
    /// cursor (refused with a 404 or a 422) does not stop it: it reads
    /// again from the top, past the runs it read, and goes on.
    Beginning,
}
