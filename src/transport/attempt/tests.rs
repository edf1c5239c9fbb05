//! The attempt machine over a table of inputs: no HTTP, no clock.
#![allow(clippy::arithmetic_side_effects)] // instants of known, small values

use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;

use super::*;
use crate::rate_limit::RateLimit;
use crate::transport::headers::Hints;

const S: fn(u64) -> Duration = Duration::from_secs;
const MS: fn(u64) -> Duration = Duration::from_millis;
/// A bound on server-named waits that no row reaches.
const HOUR: Duration = Duration::from_secs(3600);

static NONE: Hints = Hints {
    rate_limit: None,
    retry_after: None,
};
static AFTER_7: Hints = Hints {
    rate_limit: None,
    retry_after: Some(Duration::from_secs(7)),
};
static AFTER_1_WINDOW_3: Hints = Hints {
    rate_limit: Some(RateLimit {
        limit: Some(10),
        remaining: Some(0),
        reset: Some(Duration::from_secs(3)),
        window: None,
    }),
    retry_after: Some(Duration::from_secs(1)),
};

fn status(code: u16, hints: &'static Hints) -> Outcome<'static> {
    Outcome::Status {
        status: StatusCode::from_u16(code).unwrap(),
        name: None,
        hints,
    }
}

fn failed(code: u16, hints: &'static Hints) -> Answered<'static> {
    Answered::Failed {
        outcome: status(code, hints),
        copied: true,
    }
}

/// A draw that takes half the bound.
fn half(bound: Duration) -> Duration {
    bound / 2
}

fn send(attempt: u32, by: Instant, copy: bool) -> Step {
    Step::Send {
        attempt,
        by: Some(by),
        copy,
    }
}

fn last(ended: Ended) -> Step {
    Step::Finish(Finish::Last(ended))
}

#[test]
fn a_call_starts_by_sending_its_first_attempt_by_the_deadline() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default(); // 4 attempts, 250 ms doubling, 60 s
    assert_eq!(
        Attempts::new(&policy, HOUR, t0).step(),
        send(1, t0 + S(60), true)
    );
    // One attempt allowed: no copy is kept.
    let once = RetryPolicy::disabled();
    assert_eq!(
        Attempts::new(&once, HOUR, t0).step(),
        send(1, t0 + S(60), false)
    );
    // A deadline past what an instant can hold: no deadline at all.
    let forever = RetryPolicy::default().deadline(Duration::MAX);
    assert_eq!(
        Attempts::new(&forever, HOUR, t0).step(),
        Step::Send {
            attempt: 1,
            by: None,
            copy: true
        }
    );
}

#[test]
fn each_answer_leads_to_its_step() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default();
    let now = t0 + S(1);
    // (what the first attempt came to, the gate's next turn, the step)
    let rows: Vec<(Answered<'static>, Instant, Step)> = vec![
        (Answered::Done, now, last(Ended::Answered)),
        (
            failed(404, &NONE),
            now,
            last(Ended::Stopped(Stop::NotRetryable)),
        ),
        (
            Answered::Failed {
                outcome: Outcome::Transport { permanent: true },
                copied: true,
            },
            now,
            last(Ended::Stopped(Stop::NotRetryable)),
        ),
        // A backoff: half of the first bound, 250 ms, as drawn.
        (
            failed(503, &NONE),
            now,
            Step::Sleep {
                after: 1,
                wait: MS(125),
                until: now + MS(125),
            },
        ),
        (
            Answered::Failed {
                outcome: Outcome::Transport { permanent: false },
                copied: true,
            },
            now,
            Step::Sleep {
                after: 1,
                wait: MS(125),
                until: now + MS(125),
            },
        ),
        // The server's wait, whole: never shortened.
        (
            failed(429, &AFTER_7),
            now,
            Step::Sleep {
                after: 1,
                wait: S(7),
                until: now + S(7),
            },
        ),
        // The longer of retry-after and a used-up window.
        (
            failed(503, &AFTER_1_WINDOW_3),
            now,
            Step::Sleep {
                after: 1,
                wait: S(3),
                until: now + S(3),
            },
        ),
        // Due, but nothing to resend.
        (
            Answered::Failed {
                outcome: status(503, &NONE),
                copied: false,
            },
            now,
            last(Ended::NoCopy),
        ),
        // The gate's turn behind the wait: up to the deadline, not past.
        (
            failed(429, &AFTER_7),
            t0 + S(60),
            Step::Sleep {
                after: 1,
                wait: S(7),
                until: now + S(7),
            },
        ),
        (
            failed(429, &AFTER_7),
            t0 + S(60) + MS(1),
            last(Ended::GatePastDeadline),
        ),
    ];
    for (answered, earliest, expected) in rows {
        let mut attempts = Attempts::new(&policy, HOUR, t0);
        attempts.answered(now, answered, earliest, half);
        assert_eq!(
            attempts.step(),
            expected,
            "{answered:?}, gate at {earliest:?}"
        );
    }
}

#[test]
fn a_wait_that_ends_past_the_deadline_is_not_taken() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default();
    // 53 s in, a 7 s wait ends at the deadline: taken.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0 + S(53), failed(429, &AFTER_7), t0, half);
    assert_eq!(
        attempts.step(),
        Step::Sleep {
            after: 1,
            wait: S(7),
            until: t0 + S(60)
        }
    );
    // 54 s in, it would end a second past: the answer is the 429.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0 + S(54), failed(429, &AFTER_7), t0, half);
    assert_eq!(
        attempts.step(),
        last(Ended::Stopped(Stop::PastDeadline { wait: S(7) }))
    );
    // A backoff is shortened to fit instead: 59.9 s in, at most 100 ms.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0 + MS(59_900), failed(503, &NONE), t0, |bound| bound);
    assert_eq!(
        attempts.step(),
        Step::Sleep {
            after: 1,
            wait: MS(100),
            until: t0 + S(60)
        }
    );
    // A draw past its bound is held to it.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0, failed(503, &NONE), t0, |bound| bound * 3);
    assert_eq!(
        attempts.step(),
        Step::Sleep {
            after: 1,
            wait: MS(250),
            until: t0 + MS(250)
        }
    );
}

#[test]
fn a_server_wait_past_the_bound_ends_the_call_at_once() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default().deadline(HOUR);
    let mut attempts = Attempts::new(&policy, S(5), t0);
    attempts.answered(t0, failed(429, &AFTER_7), t0, half);
    assert_eq!(attempts.step(), last(Ended::WaitTooLong { wait: S(7) }));
    // At the bound, it is taken.
    let mut attempts = Attempts::new(&policy, S(7), t0);
    attempts.answered(t0, failed(429, &AFTER_7), t0, half);
    assert_eq!(
        attempts.step(),
        Step::Sleep {
            after: 1,
            wait: S(7),
            until: t0 + S(7)
        }
    );
    // A backoff is the client's own: never bounded by it.
    let mut attempts = Attempts::new(&policy, MS(1), t0);
    attempts.answered(t0, failed(503, &NONE), t0, |b| b);
    assert_eq!(
        attempts.step(),
        Step::Sleep {
            after: 1,
            wait: MS(250),
            until: t0 + MS(250)
        }
    );
}

#[test]
fn retries_go_on_until_an_answer_or_the_last_attempt() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default();
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    let mut now = t0;
    for (attempt, bound) in [(1, MS(250)), (2, MS(500)), (3, MS(1000))] {
        assert_eq!(attempts.step(), send(attempt, t0 + S(60), true));
        attempts.answered(now, failed(500, &NONE), now, |b| b);
        assert_eq!(
            attempts.step(),
            Step::Sleep {
                after: attempt,
                wait: bound,
                until: now + bound
            }
        );
        now += bound;
        attempts.slept();
    }
    // The fourth and last: no copy, and its failure is the answer.
    assert_eq!(attempts.step(), send(4, t0 + S(60), false));
    attempts.answered(now, failed(500, &NONE), now, |b| b);
    assert_eq!(
        attempts.step(),
        last(Ended::Stopped(Stop::AttemptsExhausted))
    );
    // A success after a retry ends the call.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0, failed(503, &NONE), t0, half);
    attempts.slept();
    assert_eq!(attempts.step(), send(2, t0 + S(60), true));
    attempts.answered(t0 + S(1), Answered::Done, t0, half);
    assert_eq!(attempts.step(), last(Ended::Answered));
}

#[test]
fn a_turn_the_gate_refuses_ends_the_call_with_when_it_would_have_come() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default();
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.refused(t0 + S(90), false);
    assert_eq!(
        attempts.step(),
        Step::Finish(Finish::Refused {
            until: t0 + S(90),
            by_lane: false
        })
    );
    // A retry's turn too.
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    attempts.answered(t0, failed(503, &NONE), t0, half);
    attempts.slept();
    attempts.refused(t0 + S(61), false);
    assert_eq!(
        attempts.step(),
        Step::Finish(Finish::Refused {
            until: t0 + S(61),
            by_lane: false
        })
    );
}

#[test]
fn an_input_for_another_step_changes_nothing() {
    let t0 = Instant::now();
    let policy = RetryPolicy::default();
    let mut attempts = Attempts::new(&policy, HOUR, t0);
    // Not sleeping: `slept` is ignored.
    attempts.slept();
    assert_eq!(attempts.step(), send(1, t0 + S(60), true));
    attempts.answered(t0, failed(503, &NONE), t0, half);
    let sleeping = attempts.step();
    // Sleeping: an answer or a refusal is ignored.
    attempts.answered(t0, Answered::Done, t0, half);
    attempts.refused(t0, false);
    assert_eq!(attempts.step(), sleeping);
    // Finished: everything is.
    attempts.slept();
    attempts.answered(t0, Answered::Done, t0, half);
    let done = attempts.step();
    assert_eq!(done, last(Ended::Answered));
    attempts.refused(t0, false);
    attempts.slept();
    attempts.answered(t0, failed(503, &NONE), t0, half);
    assert_eq!(attempts.step(), done);
}
