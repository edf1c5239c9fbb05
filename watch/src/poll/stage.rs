//! Where a poll is: its stage, the sweep under way and the traversal
//! under way. The types alone, apart from the stages' code (`top.rs`,
//! `sweep.rs`, `trail.rs`, ...), which moves a poll through them.

use std::collections::{HashSet, VecDeque};

use super::ask::{Ask, Listing};
use resend_workflows::Cursor;
use resend_workflows::Timestamp;
use resend_workflows::Traversal;

/// Where the poll is.
#[derive(Debug)]
pub(super) enum Stage {
    /// The start (`StartAt`), applied at the first poll.
    Begin,
    /// The running runs, for `StartAt::Running`.
    BeginRunning {
        after: Option<Cursor>,
    },
    /// The list from the top, down to the look-back window.
    Top {
        after: Option<Cursor>,
        first: bool,
    },
    /// A burst of new runs, read back up from the newest seen.
    Newer {
        before: Cursor,
    },
    /// Choosing how to learn about the runs in flight the top did not show.
    Plan,
    Sweep(Sweep),
    /// A page of the full check, after run `after` (`None`: the top), its
    /// runs in flight created before `upper` judged.
    Check {
        after: Option<Cursor>,
        upper: Option<Timestamp>,
    },
    /// Retrieves of finished runs whose steps were asked for.
    Steps,
    Backfill {
        left: u32,
    },
    Done,
}

/// A sweep under way.
#[derive(Debug)]
pub(super) enum Sweep {
    /// The list on down, to `until`: the runs not met are missed.
    Top {
        next: Option<Option<Cursor>>,
        until: Timestamp,
        targets: Vec<String>,
    },
    /// The terminal listing down to `until`; then retrieves of the runs of
    /// `then` it did not show.
    Terminal {
        next: Option<Option<Cursor>>,
        until: Timestamp,
        targets: HashSet<String>,
        then: Vec<String>,
    },
    /// The running listing, whole; then what left it.
    Running {
        next: Option<Option<Cursor>>,
        listed: HashSet<String>,
        targets: Vec<String>,
    },
    /// A retrieve a run.
    Retrieve { ids: VecDeque<String> },
}

impl Sweep {
    /// The next request; `None` when the sweep is done.
    pub(super) fn ask(&self) -> Option<Ask> {
        match self {
            Self::Top { next, .. } => next.clone().map(|after| Ask::Top { after }),
            Self::Terminal { next, .. } => next.clone().map(|after| Ask::Terminal { after }),
            Self::Running { next, .. } => next.clone().map(|after| Ask::Running { after }),
            Self::Retrieve { ids } => ids.front().map(|id| Ask::Retrieve { id: id.clone() }),
        }
    }
}

/// The traversal under way: its listing, and its guard.
#[derive(Debug)]
pub(super) struct Trail {
    pub(super) listing: Listing,
    pub(super) guard: Traversal,
}
