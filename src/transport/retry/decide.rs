//! `decide`: what follows an attempt that did not succeed, as a pure
//! function of the attempt number, the time spent, what the attempt came to
//! and the policy.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use reqwest::StatusCode;

use super::policy::RetryPolicy;
use crate::error::retryable;
use crate::transport::headers::Hints;

/// What an attempt that did not succeed came to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// An error status, with Resend's error `name` when the body had one,
    /// and what the headers said about waiting.
    Status {
        status: StatusCode,
        name: Option<&'a str>,
        hints: &'a Hints,
    },
    /// No complete response. `permanent` when trying again cannot help: a
    /// TLS refusal, a request that cannot be built, a redirect.
    Transport { permanent: bool },
}

/// What to do after an attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Wait, then try again.
    Retry(Wait),
    /// Return this attempt's result.
    Stop(Stop),
}

/// How long to wait before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The server named this wait: it holds the client's clones back too.
    Server(Duration),
    /// Full jitter: a uniform draw in `0..=bound` ([`jitter`]).
    Backoff { bound: Duration },
}

/// Why no further attempt is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The failure is not one a retry can fix.
    NotRetryable,
    /// The policy's attempts are used up.
    AttemptsExhausted,
    /// The wait the server named would end past the deadline.
    PastDeadline { wait: Duration },
}

/// Decides what follows attempt number `attempt` (1-based), `elapsed` after
/// the first one started.
pub(crate) fn decide(
    attempt: u32,
    elapsed: Duration,
    outcome: &Outcome<'_>,
    policy: &RetryPolicy,
) -> Decision {
    let (retryable, server_wait) = match *outcome {
        Outcome::Status {
            status,
            name,
            hints,
        } => (retryable(status, name), hints.server_wait()),
        Outcome::Transport { permanent } => (!permanent, None),
    };
    if !retryable {
        return Decision::Stop(Stop::NotRetryable);
    }
    if attempt >= policy.max_attempts {
        return Decision::Stop(Stop::AttemptsExhausted);
    }
    let remaining = policy.deadline.saturating_sub(elapsed);
    match server_wait {
        // A server-named wait is never shortened: that would earn another 429.
        Some(wait) if wait > remaining => Decision::Stop(Stop::PastDeadline { wait }),
        Some(wait) => Decision::Retry(Wait::Server(wait)),
        None if remaining.is_zero() => Decision::Stop(Stop::PastDeadline {
            wait: policy.backoff_bound(attempt),
        }),
        None => Decision::Retry(Wait::Backoff {
            bound: policy.backoff_bound(attempt).min(remaining),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::rate_limit::RateLimit;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn status(code: u16, name: Option<&'static str>, hints: &'static Hints) -> Outcome<'static> {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            name,
            hints,
        }
    }

    static NONE: Hints = Hints {
        rate_limit: None,
        retry_after: None,
    };
    static AFTER_7: Hints = Hints {
        rate_limit: None,
        retry_after: Some(Duration::from_secs(7)),
    };
    static RESET_3: Hints = Hints {
        rate_limit: Some(RateLimit {
            limit: Some(10),
            remaining: Some(0),
            reset: Some(Duration::from_secs(3)),
            window: None,
        }),
        retry_after: None,
    };
    static AFTER_1_RESET_3: Hints = Hints {
        rate_limit: Some(RateLimit {
            limit: Some(10),
            remaining: Some(0),
            reset: Some(Duration::from_secs(3)),
            window: None,
        }),
        retry_after: Some(Duration::from_secs(1)),
    };
    static RESET_3_LEFT: Hints = Hints {
        rate_limit: Some(RateLimit {
            limit: Some(10),
            remaining: Some(4),
            reset: Some(Duration::from_secs(3)),
            window: None,
        }),
        retry_after: None,
    };

    #[test]
    fn decisions_over_a_table() {
        use Decision::{Retry, Stop as Halt};
        let policy = RetryPolicy::default(); // 4 attempts, 250 ms doubling to 10 s, 60 s
        let backoff = |ms| Retry(Wait::Backoff { bound: MS(ms) });
        let rows: Vec<(u32, Duration, Outcome<'static>, Decision)> = vec![
            // Retryable statuses: backoff doubling from the base.
            (1, S(0), status(500, None, &NONE), backoff(250)),
            (2, S(0), status(502, None, &NONE), backoff(500)),
            (3, S(0), status(503, None, &NONE), backoff(1000)),
            (1, S(0), status(504, None, &NONE), backoff(250)),
            (
                1,
                S(0),
                status(429, Some("rate_limit_exceeded"), &NONE),
                backoff(250),
            ),
            (1, S(0), status(429, None, &NONE), backoff(250)),
            // The last allowed attempt stops.
            (
                4,
                S(0),
                status(500, None, &NONE),
                Halt(Stop::AttemptsExhausted),
            ),
            (
                9,
                S(0),
                status(500, None, &NONE),
                Halt(Stop::AttemptsExhausted),
            ),
            // Never retried.
            (
                1,
                S(0),
                status(429, Some("daily_quota_exceeded"), &AFTER_7),
                Halt(Stop::NotRetryable),
            ),
            (
                1,
                S(0),
                status(429, Some("monthly_quota_exceeded"), &NONE),
                Halt(Stop::NotRetryable),
            ),
            (1, S(0), status(400, None, &NONE), Halt(Stop::NotRetryable)),
            (
                1,
                S(0),
                status(404, Some("not_found"), &NONE),
                Halt(Stop::NotRetryable),
            ),
            (1, S(0), status(408, None, &NONE), Halt(Stop::NotRetryable)),
            (1, S(0), status(501, None, &NONE), Halt(Stop::NotRetryable)),
            (4, S(0), status(400, None, &NONE), Halt(Stop::NotRetryable)),
            // Transport failures: retried unless permanent.
            (
                1,
                S(0),
                Outcome::Transport { permanent: false },
                backoff(250),
            ),
            (
                1,
                S(0),
                Outcome::Transport { permanent: true },
                Halt(Stop::NotRetryable),
            ),
            // The server's wait: retry-after, else the reset of an empty window.
            (
                1,
                S(0),
                status(429, None, &AFTER_7),
                Retry(Wait::Server(S(7))),
            ),
            (
                1,
                S(0),
                status(503, None, &RESET_3),
                Retry(Wait::Server(S(3))),
            ),
            (1, S(0), status(503, None, &RESET_3_LEFT), backoff(250)),
            // Both: the longer (a retry after the shorter would be refused).
            (
                1,
                S(0),
                status(429, None, &AFTER_1_RESET_3),
                Retry(Wait::Server(S(3))),
            ),
            // The deadline: a server wait that would pass it is not taken...
            (
                1,
                S(53),
                status(429, None, &AFTER_7),
                Retry(Wait::Server(S(7))),
            ),
            (
                1,
                S(54),
                status(429, None, &AFTER_7),
                Halt(Stop::PastDeadline { wait: S(7) }),
            ),
            (
                1,
                S(70),
                status(429, None, &AFTER_7),
                Halt(Stop::PastDeadline { wait: S(7) }),
            ),
            // ...while a backoff is shortened to fit, and none starts after it.
            (3, MS(59_600), status(500, None, &NONE), backoff(400)),
            (
                3,
                S(60),
                status(500, None, &NONE),
                Halt(Stop::PastDeadline { wait: S(1) }),
            ),
        ];
        for (attempt, elapsed, outcome, expected) in rows {
            assert_eq!(
                decide(attempt, elapsed, &outcome, &policy),
                expected,
                "attempt {attempt} at {elapsed:?}: {outcome:?}"
            );
        }
    }
}
