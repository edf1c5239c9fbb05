//! How a poll learns what became of the runs in flight that its top pages
//! did not show, priced in requests *before* sending, from what the watch
//! knows. Synchronous and table-tested; the poll (`poll/`) follows the
//! choice.
//!
//! Every poll reads the list from the top down to its look-back window:
//! that shows the new runs and every run in flight created since. For the
//! rest (`uncovered`), the ways are:
//! - [`Plan::Top`]: go on down the unfiltered list to the oldest of them:
//!   one page per hundred runs created since it, whatever their status;
//! - [`Plan::Terminal`]: the `status=completed,failed,cancelled,skipped` listing
//!   from the top down to the oldest of them: one page per hundred runs
//!   *finished* among those created since it (a run of a fixed-length
//!   automation that just finished is near its top);
//! - [`Plan::Running`]: the `status=running` listing (a page per hundred
//!   running), then one retrieve per run that left it;
//! - [`Plan::Retrieve`]: one retrieve per run.
//!
//! The cheapest is taken. Beside it, a full check (the unfiltered list down
//! to the oldest run in flight, a page a poll: `poll/check.rs`) finds what
//! the filtered listings cannot show: statuses the crate does not know,
//! runs deleted, changes that are not finishes.

// Counts and time from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use resend_workflows::Timestamp;

/// Runs a page holds.
const PAGE: u64 = 100;

/// Polls between the end of one full check and the start of the next
/// (`poll/check.rs`).
pub(crate) const FULL_EVERY: u32 = 12;

/// A way to learn what became of the runs the top pages did not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub enum Plan {
    /// On down the unfiltered list, to the oldest of them.
    Top,
    /// The terminal-status listing, down to the oldest of them.
    Terminal,
    /// The running listing, then a retrieve per run that left it.
    Running,
    /// A retrieve per run.
    Retrieve,
}

impl Plan {
    /// Every plan, in the order a tie is broken.
    pub(crate) const ALL: [Plan; 4] = [Plan::Top, Plan::Terminal, Plan::Running, Plan::Retrieve];
}

/// A run in flight the top pages did not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Uncovered {
    pub(crate) created_at: Timestamp,
    /// Last seen `running` (else in a status a running listing omits).
    pub(crate) running: bool,
}

/// What the poll knows when it plans.
#[derive(Debug, Clone)]
pub(crate) struct Sight<'a> {
    /// The newest run's creation time.
    pub(crate) horizon: Timestamp,
    /// How many runs the top pages held, and the creation time of the
    /// oldest of them.
    pub(crate) read: u64,
    pub(crate) reached: Timestamp,
    /// Whether the top pages were the whole list.
    pub(crate) whole: bool,
    /// The runs in flight the top pages did not show.
    pub(crate) uncovered: &'a [Uncovered],
    /// Every run in flight: creation times, for "in flight since".
    pub(crate) in_flight: &'a [Timestamp],
    /// How many runs in flight were last seen running.
    pub(crate) running: u64,
    /// Whether the list filters by status (automations; not the alpha).
    pub(crate) filters: bool,
    /// How many uncovered runs are expected to have left `running` since
    /// the last poll (an average of what polls saw).
    pub(crate) departures: u64,
}

/// A plan and what it is expected to cost, in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Priced {
    pub(crate) plan: Plan,
    pub(crate) cost: u64,
}

fn pages(runs: u64) -> u64 {
    runs.div_ceil(PAGE).max(1)
}

impl Sight<'_> {
    /// Runs in the list created at or after `t`: estimated from the top
    /// pages' density (runs per second near the top), and at least those
    /// read plus the runs in flight the watch knows below them.
    fn depth(&self, t: Timestamp) -> u64 {
        if t >= self.reached || self.whole {
            return self.read;
        }
        let span = self.horizon.micros_since(self.reached).max(1);
        let deep = self.horizon.micros_since(t);
        // read / span is the density: runs per microsecond.
        let est = u128::from(self.read)
            .saturating_mul(u128::from(deep))
            .checked_div(u128::from(span))
            .unwrap_or(u128::MAX);
        let below = self
            .in_flight
            .iter()
            .filter(|c| **c >= t && **c < self.reached)
            .count();
        let known = self
            .read
            .saturating_add(u64::try_from(below).unwrap_or(u64::MAX));
        u64::try_from(est).unwrap_or(u64::MAX).max(known)
    }

    /// Runs in flight created at or after `t`.
    fn in_flight_since(&self, t: Timestamp) -> u64 {
        let n = self.in_flight.iter().filter(|c| **c >= t).count();
        u64::try_from(n).unwrap_or(u64::MAX)
    }

    /// Pages of the unfiltered list beyond the top pages, down to `t`.
    fn top_to(&self, t: Timestamp) -> u64 {
        if self.whole {
            return 0;
        }
        pages(self.depth(t).saturating_sub(self.read))
    }

    /// Pages of the terminal listing from the top down to `t`: the runs
    /// created since, less those still in flight, plus those expected to
    /// have just finished.
    fn terminal_to(&self, t: Timestamp) -> u64 {
        let finished = self.depth(t).saturating_sub(self.in_flight_since(t));
        pages(finished.saturating_add(self.departures))
    }

    fn oldest(runs: impl Iterator<Item = Uncovered>) -> Option<Timestamp> {
        runs.map(|u| u.created_at).min()
    }

    /// What `plan` is expected to cost; `None` when it cannot serve here.
    pub(crate) fn price(&self, plan: Plan) -> Option<u64> {
        let oldest = Self::oldest(self.uncovered.iter().copied())?;
        let others = Self::oldest(self.uncovered.iter().copied().filter(|u| !u.running));
        let n = u64::try_from(self.uncovered.len()).unwrap_or(u64::MAX);
        match plan {
            Plan::Top => Some(self.top_to(oldest)),
            Plan::Retrieve => Some(n),
            _ if !self.filters => None,
            Plan::Terminal => Some(self.terminal_to(oldest)),
            Plan::Running => {
                // Runs in a status the running listing omits need the
                // terminal listing anyway.
                let rest = others.map_or(0, |t| self.terminal_to(t));
                let leaving = self.departures.min(n);
                Some(
                    pages(self.running)
                        .saturating_add(leaving)
                        .saturating_add(rest),
                )
            }
        }
    }

    /// The cheapest plan, or `None` when nothing is uncovered (a tie goes
    /// to the plan first in [`Plan::ALL`]).
    pub(crate) fn choose(&self) -> Option<Priced> {
        let mut best: Option<Priced> = None;
        for plan in Plan::ALL {
            if let Some(cost) = self.price(plan)
                && best.is_none_or(|b| cost < b.cost)
            {
                best = Some(Priced { plan, cost });
            }
        }
        best
    }
}

#[cfg(test)]
mod tests;
