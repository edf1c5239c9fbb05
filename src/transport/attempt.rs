//! The attempt machine: what one call does next, as a synchronous state
//! machine the driver (`driver.rs`) runs. It is told the time and what the
//! last step came to, and answers with the next step: send (after the
//! gate's turn), sleep until an instant, or finish. Retry decisions come
//! from [`decide`]; a backoff's random draw is passed in, so a table of
//! inputs tests it without HTTP or a clock.
//!
//! No step ever waits past the call's deadline: a gate turn is asked for
//! by the deadline at the latest (the gate refuses at once when its turn
//! would come later), and a retry whose wait, or the gate's wait behind
//! it, would end past the deadline is not taken.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use tokio::time::Instant;

use super::retry::{Decision, Outcome, RetryPolicy, Stop, Wait, decide};
use crate::instant::later;

/// What the driver does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Take a turn at the gate, refused if it would come after `by`; then
    /// send attempt number `attempt` (1-based). `copy`: send a copy and
    /// keep the request, since a retry may follow.
    Send {
        attempt: u32,
        by: Option<Instant>,
        copy: bool,
    },
    /// Attempt `after` failed: wait `wait`, until `until`, then send again.
    Sleep {
        after: u32,
        wait: Duration,
        until: Instant,
    },
    /// Answer the call.
    Finish(Finish),
}

/// How the call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    /// With the last attempt's result, for this reason.
    Last(Ended),
    /// The gate refused a turn that would have come at `until`, past the
    /// deadline (held back by the call's lane, or by the rate limit): with
    /// the previous attempt's result, or, when nothing was sent yet, a
    /// throttled error.
    Refused { until: Instant, by_lane: bool },
}

/// Why the last attempt's result is the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It needs no retry: a success, or a body over the cap.
    Answered,
    /// The retry decision stopped.
    Stopped(Stop),
    /// A retry was due, but the request could not be copied to resend.
    NoCopy,
    /// The server named a wait longer than the client lets one hold it
    /// ([`ClientBuilder::max_server_wait`](crate::ClientBuilder::max_server_wait)).
    WaitTooLong { wait: Duration },
    /// A retry was due, but its wait, or the gate's wait behind it, ends
    /// past the deadline.
    GatePastDeadline,
}

/// What an attempt that was sent came to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answered<'a> {
    /// A success, or a body over the cap: nothing to retry.
    Done,
    /// A failure the retry decision weighs; `copied`: whether a copy of the
    /// request was kept for a retry.
    Failed { outcome: Outcome<'a>, copied: bool },
}

/// One call's attempts.
#[derive(Debug, Clone)]
pub(crate) struct Attempts {
    policy: RetryPolicy,
    /// The longest server-named wait a retry may take.
    max_wait: Duration,
    started: Instant,
    deadline: Option<Instant>,
    step: Step,
}

impl Attempts {
    /// A call starting at `now` under `policy`, taking no server-named
    /// wait longer than `max_wait`: its first step is sending attempt 1.
    pub(crate) fn new(policy: &RetryPolicy, max_wait: Duration, now: Instant) -> Self {
        let deadline = now.checked_add(policy.deadline);
        let mut attempts = Self {
            policy: policy.clone(),
            max_wait,
            started: now,
            deadline,
            step: Step::Finish(Finish::Last(Ended::Answered)),
        };
        attempts.step = attempts.send(1);
        attempts
    }

    fn send(&self, attempt: u32) -> Step {
        Step::Send {
            attempt,
            by: self.deadline,
            copy: attempt < self.policy.max_attempts,
        }
    }

    /// The step to take now.
    pub(crate) fn step(&self) -> Step {
        self.step
    }

    /// The gate refused the turn of a [`Step::Send`]: it would come at
    /// `until`, past the deadline; `by_lane`: the call's lane held it back.
    pub(crate) fn refused(&mut self, until: Instant, by_lane: bool) {
        if let Step::Send { .. } = self.step {
            self.step = Step::Finish(Finish::Refused { until, by_lane });
        }
    }

    /// The attempt of a [`Step::Send`] came to `answered` at `now`; a retry
    /// could start no sooner than `earliest` (the gate's next turn), and a
    /// backoff is drawn by `draw` from its bound.
    pub(crate) fn answered(
        &mut self,
        now: Instant,
        answered: Answered<'_>,
        earliest: Instant,
        draw: impl FnOnce(Duration) -> Duration,
    ) {
        let Step::Send { attempt, .. } = self.step else {
            return;
        };
        let finish = |ended| Step::Finish(Finish::Last(ended));
        let (outcome, copied) = match answered {
            Answered::Done => {
                self.step = finish(Ended::Answered);
                return;
            }
            Answered::Failed { outcome, copied } => (outcome, copied),
        };
        let elapsed = now.saturating_duration_since(self.started);
        let wait = match decide(attempt, elapsed, &outcome, &self.policy) {
            Decision::Stop(stop) => {
                self.step = finish(Ended::Stopped(stop));
                return;
            }
            Decision::Retry(_) if !copied => {
                self.step = finish(Ended::NoCopy);
                return;
            }
            Decision::Retry(Wait::Server(wait)) if wait > self.max_wait => {
                self.step = finish(Ended::WaitTooLong { wait });
                return;
            }
            // A server-named wait is already on the gate, for the clones.
            Decision::Retry(Wait::Server(wait)) => wait,
            Decision::Retry(Wait::Backoff { bound }) => draw(bound).min(bound),
        };
        let until = later(now, wait);
        // The gate may hold the retry back longer than this wait (a window
        // closed for an hour beside a retry-after of a second).
        if self.deadline.is_some_and(|d| until.max(earliest) > d) {
            self.step = finish(Ended::GatePastDeadline);
            return;
        }
        self.step = Step::Sleep {
            after: attempt,
            wait,
            until,
        };
    }

    /// The wait of a [`Step::Sleep`] is over: send the next attempt.
    pub(crate) fn slept(&mut self) {
        if let Step::Sleep { after, .. } = self.step {
            self.step = self.send(after.saturating_add(1));
        }
    }
}

#[cfg(test)]
mod tests;
