//! `RetryPolicy`, and [`decide`]: whether a failed attempt is tried again,
//! after what wait. A pure function of the attempt, the time spent, what
//! the attempt came to and the policy, tested over a table without HTTP.
//!
//! GET is idempotent, so retrying it is safe. The wait honours what the
//! server said (`retry-after`, then `ratelimit-reset` when nothing is left),
//! else exponential backoff with full jitter. Attempts and an overall
//! deadline bound it; the wait is on tokio's timer, never a blocking sleep.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use reqwest::StatusCode;

use crate::ratelimit::Hints;

/// How failed requests are retried. On by default; see [`RetryPolicy::default`].
///
/// Retried: connection errors, timeouts, a body cut off mid-way, 429
/// `rate_limit_exceeded` (never the daily or monthly quota), 500, 502, 503
/// and 504. Never other 4xx.
///
/// ```
/// use std::time::Duration;
/// use resend_workflows::{Client, RetryPolicy};
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(5))
///     .deadline(Duration::from_secs(30));
/// let client = Client::builder().api_key("re_123").retry(policy).build().unwrap();
/// let no_retries = Client::builder().api_key("re_123").retry(RetryPolicy::disabled()).build().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) deadline: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff from 250 ms capped at 10 s, within 60 s overall.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff's upper bound; each retry doubles it.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff. A server-requested wait is not capped by it,
    /// only by the deadline: waiting less than asked would earn another 429.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The time from the first attempt after which no retry starts: a
    /// server-named wait that would end past it is not taken, and the last
    /// error is returned; a backoff is shortened to fit.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The upper bound of the backoff before attempt `attempt + 1`:
    /// `min(max_delay, base_delay * 2^(attempt-1))`.
    fn backoff_bound(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay)
    }
}

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
        } => (retryable_status(status, name), hints.server_wait()),
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

/// Whether a response with this status (and Resend error `name`) is worth
/// retrying.
pub(crate) fn retryable_status(status: StatusCode, name: Option<&str>) -> bool {
    match status.as_u16() {
        429 => !matches!(
            name,
            Some("daily_quota_exceeded" | "monthly_quota_exceeded")
        ),
        500 | 502 | 503 | 504 => true,
        _ => false,
    }
}

/// A uniform draw in `0..=bound`.
pub(crate) fn jitter(bound: Duration) -> Duration {
    let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(random_u64() % nanos.saturating_add(1))
}

/// A random number for jitter: std's per-process random hash keys over a
/// per-thread counter. Jitter needs spread, not cryptographic strength.
fn random_u64() -> u64 {
    thread_local! {
        static STATE: (RandomState, Cell<u64>) = (RandomState::new(), Cell::new(0));
    }
    STATE.with(|(keys, counter)| {
        counter.set(counter.get().wrapping_add(1));
        keys.hash_one(counter.get())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::RateLimit;

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
        }),
        retry_after: None,
    };
    static RESET_3_LEFT: Hints = Hints {
        rate_limit: Some(RateLimit {
            limit: Some(10),
            remaining: Some(4),
            reset: Some(Duration::from_secs(3)),
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

    #[test]
    fn backoff_bounds_double_up_to_the_cap_without_overflow() {
        let p = RetryPolicy::default()
            .base_delay(MS(100))
            .max_delay(MS(500));
        let bounds: Vec<_> = (1..=5).map(|a| p.backoff_bound(a)).collect();
        assert_eq!(bounds, [MS(100), MS(200), MS(400), MS(500), MS(500)]);
        let huge = RetryPolicy::default()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX);
        assert_eq!(huge.backoff_bound(u32::MAX), Duration::MAX);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
    }

    #[test]
    fn jitter_spreads_within_its_bound() {
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..500 {
            let w = jitter(MS(800));
            assert!(w <= MS(800), "{w:?}");
            distinct.insert(w);
        }
        assert!(
            distinct.len() > 400,
            "jitter spreads waits: {}",
            distinct.len()
        );
        assert!(
            distinct.iter().any(|w| *w < MS(200)) && distinct.iter().any(|w| *w > MS(600)),
            "draws cover the range"
        );
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        assert!(jitter(Duration::MAX) <= Duration::MAX);
    }
}
