//! What every poll of a watch is set up with: its start, its bounds, the
//! plan forced on it (tests), and the statuses the terminal listing asks
//! for.

use std::time::Duration;

use crate::event::StartAt;
use crate::plan::Plan;
use resend_workflows::RunStatus;

/// The statuses the terminal listing asks for: every final status the
/// crate knows (`skipped` too: a run skipped below the top page is found
/// at the next poll, not by the full check a dozen polls later).
pub(crate) const TERMINAL: &[RunStatus] = &[
    RunStatus::Completed,
    RunStatus::Failed,
    RunStatus::Cancelled,
    RunStatus::Skipped,
];

/// A plan forced on every poll, instead of the cheapest (the differential
/// tests of the plans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub enum Forced {
    /// This plan for the runs the top pages did not show (the full check
    /// goes on beside it: it finds what no plan sees).
    Plan(Plan),
}

/// What every poll of a watch is set up with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) start: StartAt,
    /// Whether the list filters by status (automations; not the alpha).
    pub(crate) filters: bool,
    pub(crate) forced: Option<Forced>,
    /// The final statuses whose `Finished` carries the run's steps.
    pub(crate) steps_for: Vec<RunStatus>,
    /// Pages of a backfill a poll reads.
    pub(crate) backfill_pages: u32,
    /// The most pages, and the longest time, of one poll.
    pub(crate) max_pages: u32,
    pub(crate) max_time: Duration,
}
