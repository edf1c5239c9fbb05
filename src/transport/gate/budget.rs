//! A lane's budget: how many requests a second it may spend of the team's
//! rate limit, which every call of the team shares, the emails it sends
//! first of all. The rule is synchronous and table-tested: the rate for
//! what the gate knows of the team now ([`TeamLimit`]).

// Rates are floats from a handful of counts: no overflow to fear, but no
// arithmetic on integers here may panic either.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

/// How many requests a second a lane (a watch's, say) may spend.
///
/// The default, [`DEFAULT_BUDGET`], **gives way**: it spends what the
/// team's other calls leave of its limit, keeping a reserve, up to a
/// ceiling. Resend's `ratelimit-remaining` counts the whole team, the
/// emails its services send included, on every answer: the lane reads
/// what the others spend from it (their rate, from two answers in one
/// window), steps back within the window a burst starts in, comes back at
/// its first probe (one in ten seconds) that finds the burst over, and
/// takes more than half the limit when the team is quiet. On a team of 2 a second, it spends at most 1 a second,
/// and one request in ten seconds while the others spend one.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Budget {
    /// This share of the team's rate limit, as Resend's answers name it
    /// (`ratelimit-limit`), whatever the team's other calls spend; until
    /// an answer names it, of 2 a second, the lowest limit Resend has
    /// documented.
    Share(f64),
    /// This many requests a second, whatever the team's limit.
    PerSecond(f64),
    /// What the team's other calls leave of its limit, less `reserve` (a
    /// share of the limit, kept free for their bursts; at least one
    /// request a window), and at most `ceiling` (a share of the limit).
    /// When the others leave no more than the reserve, a hundredth of the
    /// limit and at least one request in ten seconds, so the lane still
    /// sees the team's windows; until it has seen what the others spend,
    /// at most two and a half requests a window (or that hundredth).
    GiveWay {
        /// The share of the limit kept free for the others' bursts.
        reserve: f64,
        /// The most of the limit the lane spends, however quiet the team.
        ceiling: f64,
    },
}

/// The default budget: give way to the team's other calls, keeping a
/// fifth of the limit free, spending at most four fifths of it. A fifth,
/// not less: sends at 90% of a team of 10 a second, 20 ms apart or
/// together, fill many one-second windows to the limit by themselves (a
/// tenth slips in), and the estimate of what they spend, counted over
/// parts of windows, reads 7 or 8 of their 9.
pub const DEFAULT_BUDGET: Budget = Budget::GiveWay {
    reserve: 0.2,
    ceiling: 0.8,
};

/// The team limit assumed until an answer names it: the lowest documented.
const ASSUMED_LIMIT: u64 = 2;

/// The least a lane that gives way spends: a hundredth of the limit (a
/// request a second on a team of 100, where a burst of 90 leaves 10 a
/// window), and at least one request in ten seconds. Held back to less,
/// a lane on a large team sat out whole bursts, and the finishes of
/// the quiet spell before them with it (p90 13 s where 5 s was due).
const PROBE: f64 = 0.01;
/// See [`PROBE`]: requests a second.
const PROBE_FLOOR: f64 = 0.1;
/// The most a lane that gives way spends a window before it has seen what
/// the others spend: two answers a window tell it.
const UNMEASURED: f64 = 2.5;

/// What a client's rate gate knows of the team's rate limit and traffic
/// now, which a [`Budget`] turns into a rate
/// ([`Budget::rate`]): the limit Resend's answers named, over its window,
/// and what the team's other calls spend of it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TeamLimit {
    /// The team's limit a window, once an answer named it.
    pub limit: Option<u64>,
    /// The window's length (one second until an answer names another).
    pub window: Duration,
    /// What the team's other calls spend, in requests a second.
    pub others: f64,
    /// Whether `others` was measured yet (else it is a floor at most).
    pub measured: bool,
}

impl TeamLimit {
    /// A team of `limit` requests a `window` (`None`: not named yet),
    /// whose other calls spend `others` requests a second (`measured`:
    /// read from answers, else a floor at most): for simulations and
    /// tests of a [`Lane`](crate::Lane)'s turns.
    pub fn new(limit: Option<u64>, window: Duration, others: f64, measured: bool) -> Self {
        Self {
            limit,
            window,
            others,
            measured,
        }
    }
}

impl Budget {
    /// Checks the budget can be spent: a share in (0, 1], a rate between
    /// one an hour and a million a second, a reserve in [0, 1) and a
    /// ceiling in (0, 1].
    ///
    /// # Errors
    /// Why the budget cannot be spent, for a builder's error.
    pub fn check(&self) -> Result<(), &'static str> {
        let share = |s: f64| s > 0.0 && s <= 1.0;
        match *self {
            Self::Share(s) if share(s) => Ok(()),
            Self::Share(_) => Err("a share of the team's limit is above 0 and at most 1"),
            Self::PerSecond(r) if (1.0 / 3600.0..=1e6).contains(&r) => Ok(()),
            Self::PerSecond(_) => Err("a rate is between one an hour and a million a second"),
            Self::GiveWay { reserve, ceiling }
                if (0.0..1.0).contains(&reserve) && share(ceiling) =>
            {
                Ok(())
            }
            Self::GiveWay { .. } => Err(
                "a reserve is a share of the team's limit from 0 to below 1, and a ceiling above 0 and at most 1",
            ),
        }
    }

    /// Requests a second, for what the gate knows of the team.
    pub fn rate(&self, team: &TeamLimit) -> f64 {
        // A team limit is a handful a second: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let limit = team.limit.unwrap_or(ASSUMED_LIMIT).max(1) as f64;
        match *self {
            Self::Share(share) => share * limit / team.window.as_secs_f64().max(1e-3),
            Self::PerSecond(rate) => rate,
            Self::GiveWay { reserve, ceiling } => {
                let secs = team.window.as_secs_f64().max(1e-3);
                // In requests a window.
                let room = limit - team.others * secs;
                let reserve = (reserve * limit).ceil().max(1.0);
                let mut spend = (room - reserve).min(ceiling * limit);
                if !team.measured {
                    spend = spend.min(UNMEASURED);
                }
                (spend.max(PROBE * limit) / secs).max(PROBE_FLOOR)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(limit: Option<u64>, others: f64) -> TeamLimit {
        TeamLimit {
            limit,
            window: Duration::from_secs(1),
            others,
            measured: true,
        }
    }

    #[test]
    fn a_fixed_budget_is_a_rate_of_the_team_limit_or_its_own() {
        assert_eq!(Budget::Share(0.5).rate(&team(Some(10), 9.0)), 5.0);
        assert_eq!(Budget::Share(0.5).rate(&team(None, 0.0)), 1.0, "2 assumed");
        assert_eq!(Budget::Share(0.25).rate(&team(Some(0), 0.0)), 0.25);
        assert_eq!(Budget::PerSecond(3.0).rate(&team(Some(10), 9.0)), 3.0);
        let ten_s = TeamLimit {
            window: Duration::from_secs(10),
            ..team(Some(100), 0.0)
        };
        assert_eq!(Budget::Share(0.5).rate(&ten_s), 5.0, "100 in 10 s");
    }

    #[test]
    fn giving_way_spends_what_the_others_leave_less_a_reserve() {
        // (limit, others a second) -> requests a second.
        let cases = [
            // A quiet team: more than half, up to the ceiling.
            (Some(10), 0.0, 8.0),
            (Some(10), 2.0, 6.0),
            (Some(100), 0.0, 80.0),
            (Some(100), 30.0, 50.0),
            // The sends burst: what they leave, less the reserve.
            (Some(10), 7.0, 1.0),
            (Some(100), 75.0, 5.0),
            // A team of 2 a second, quiet: one a second.
            (Some(2), 0.0, 1.0),
            (None, 0.0, 1.0),
            // No more than the reserve left: a probe, a hundredth of the
            // limit and at least one in ten seconds.
            (Some(10), 8.0, 0.1),
            (Some(100), 85.0, 1.0),
            (Some(10), 9.0, 0.1),
            (Some(100), 90.0, 1.0),
            (Some(2), 1.0, 0.1),
            (Some(10), 10.0, 0.1),
            (Some(10), 50.0, 0.1),
            (Some(1000), 950.0, 10.0),
            (Some(20), 19.0, 0.2),
        ];
        for (limit, others, want) in cases {
            let got = DEFAULT_BUDGET.rate(&team(limit, others));
            assert!(
                (got - want).abs() < 1e-9,
                "limit {limit:?}, others {others}: {got}, not {want}"
            );
        }
        // A window of 10 s: 100 in it, the others 6 a second (60 of it):
        // 40 left, less a reserve of 20: 20 a window, 2 a second.
        let ten_s = TeamLimit {
            window: Duration::from_secs(10),
            ..team(Some(100), 6.0)
        };
        assert!((DEFAULT_BUDGET.rate(&ten_s) - 2.0).abs() < 1e-9);
        // Not measured yet: two and a half a window at most.
        let unmeasured = TeamLimit {
            measured: false,
            ..team(Some(100), 0.0)
        };
        assert_eq!(DEFAULT_BUDGET.rate(&unmeasured), 2.5);
        let unmeasured = TeamLimit {
            measured: false,
            ..team(Some(2), 0.0)
        };
        assert_eq!(DEFAULT_BUDGET.rate(&unmeasured), 1.0);
        // On a team of 1,000, the probe's hundredth is more.
        let unmeasured = TeamLimit {
            measured: false,
            ..team(Some(1000), 0.0)
        };
        assert_eq!(DEFAULT_BUDGET.rate(&unmeasured), 10.0);
    }

    #[test]
    fn budgets_are_checked() {
        for ok in [
            Budget::Share(1.0),
            Budget::Share(0.01),
            Budget::PerSecond(1.0 / 3600.0),
            DEFAULT_BUDGET,
            Budget::GiveWay {
                reserve: 0.0,
                ceiling: 1.0,
            },
        ] {
            assert!(ok.check().is_ok(), "{ok:?}");
        }
        for bad in [
            Budget::Share(0.0),
            Budget::Share(1.5),
            Budget::Share(f64::NAN),
            Budget::PerSecond(0.0),
            Budget::PerSecond(f64::INFINITY),
            Budget::PerSecond(-1.0),
            Budget::GiveWay {
                reserve: 1.0,
                ceiling: 0.5,
            },
            Budget::GiveWay {
                reserve: f64::NAN,
                ceiling: 0.5,
            },
            Budget::GiveWay {
                reserve: 0.1,
                ceiling: 0.0,
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
