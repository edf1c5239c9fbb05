//! How often a collection is polled: at the base interval while anything
//! happens in it (runs in flight, or a poll that found something), and,
//! when it is quiet, twice as long after each quiet poll, up to the
//! staleness the user allows. A team watch of many automations spends its
//! budget where runs happen; a single watch keeps its interval (no
//! staleness set).
//!
//! The bound, on paper: every poll of an automation costs at least one
//! request, so with N quiet automations sharing a budget of B requests a
//! second none is polled less often than about N / B seconds whatever the
//! staleness: when `max_staleness` is below N / B, the budget's queue, not
//! the cadence, sets the pace, and the lag says so.

use std::time::Duration;

use resend_workflows::Priority;

/// A collection's cadence: the base interval, and how far it may back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cadence {
    pub(crate) base: Duration,
    /// `None`: never back off.
    pub(crate) max_staleness: Option<Duration>,
}

/// What a poll found, for the cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Events the poll found (starts, finishes, runs gone).
    pub(crate) events: usize,
    /// Runs in flight after it.
    pub(crate) in_flight: usize,
}

impl Activity {
    fn quiet(self) -> bool {
        self.events == 0 && self.in_flight == 0
    }
}

/// What the end of a poll decides for the next: the driver's and the
/// scheduler simulation's one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Next {
    /// The quiet polls in a row, this one counted.
    pub(crate) quiet: u32,
    /// The priority of the collection's turns of the budget: urgent where
    /// runs happen, quiet where none do.
    pub(crate) priority: Priority,
    /// The time from this poll's start to the next's.
    pub(crate) interval: Duration,
}

impl Cadence {
    /// The next poll, after one that found `activity`, `quiet` quiet polls
    /// in a row before it.
    pub(crate) fn next(self, quiet: u32, activity: Activity) -> Next {
        let quiet = self.quiet_after(quiet, activity);
        Next {
            quiet,
            priority: if quiet > 0 {
                Priority::Quiet
            } else {
                Priority::Urgent
            },
            interval: self.interval(quiet),
        }
    }

    /// The quiet polls in a row after one that found `activity`, `quiet`
    /// before it.
    pub(crate) fn quiet_after(self, quiet: u32, activity: Activity) -> u32 {
        if activity.quiet() {
            quiet.saturating_add(1)
        } else {
            0
        }
    }

    /// The time from a poll's start to the next's, after `quiet` quiet
    /// polls in a row: the base, doubled per quiet poll, at most the
    /// staleness (and never below the base).
    pub(crate) fn interval(self, quiet: u32) -> Duration {
        let Some(max) = self.max_staleness else {
            return self.base;
        };
        let factor = 1u32.checked_shl(quiet.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(max).max(self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_quiet_collection_backs_off_to_its_staleness_and_a_busy_one_does_not() {
        let team = Cadence {
            base: S(5),
            max_staleness: Some(S(60)),
        };
        let table = [(0, S(5)), (1, S(10)), (2, S(20)), (3, S(40)), (4, S(60))];
        for (quiet, interval) in table {
            assert_eq!(team.interval(quiet), interval, "after {quiet} quiet polls");
        }
        assert_eq!(team.interval(u32::MAX), S(60), "no overflow");
        let single = Cadence {
            base: S(5),
            max_staleness: None,
        };
        assert_eq!(
            single.interval(7),
            S(5),
            "a single watch keeps its interval"
        );
        let below = Cadence {
            base: S(5),
            max_staleness: Some(S(2)),
        };
        assert_eq!(below.interval(3), S(5), "never below the base");
    }

    #[test]
    fn anything_found_or_in_flight_resets_the_back_off() {
        let team = Cadence {
            base: S(5),
            max_staleness: Some(S(60)),
        };
        let quiet = Activity {
            events: 0,
            in_flight: 0,
        };
        let found = Activity {
            events: 1,
            in_flight: 0,
        };
        let running = Activity {
            events: 0,
            in_flight: 3,
        };
        assert_eq!(team.quiet_after(0, quiet), 1);
        assert_eq!(team.quiet_after(4, quiet), 5);
        assert_eq!(team.quiet_after(u32::MAX, quiet), u32::MAX);
        assert_eq!(team.quiet_after(4, found), 0);
        assert_eq!(team.quiet_after(4, running), 0);
    }

    #[test]
    fn the_next_poll_is_urgent_and_at_the_base_where_runs_happen_and_quiet_and_later_where_none_do()
    {
        let team = Cadence {
            base: S(5),
            max_staleness: Some(S(60)),
        };
        let (none, found) = (
            Activity {
                events: 0,
                in_flight: 0,
            },
            Activity {
                events: 2,
                in_flight: 1,
            },
        );
        let next = |quiet, priority, interval| Next {
            quiet,
            priority,
            interval,
        };
        let table = [
            (0, none, next(1, Priority::Quiet, S(10))),
            (3, none, next(4, Priority::Quiet, S(60))),
            (0, found, next(0, Priority::Urgent, S(5))),
            (6, found, next(0, Priority::Urgent, S(5))),
        ];
        for (quiet, activity, expected) in table {
            assert_eq!(team.next(quiet, activity), expected, "{quiet} {activity:?}");
        }
    }
}
