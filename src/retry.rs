//! `RetryPolicy`: which failures are retried and how long to wait.
//!
//! GET is idempotent, so retrying it is safe. The wait honours what the
//! server said (`retry-after`, then `ratelimit-reset` when nothing is left),
//! else exponential backoff with full jitter. Attempts and an overall
//! deadline bound it; the wait is on tokio's timer, never a blocking sleep.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::ratelimit::{header_u64, retry_after};

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

    /// The time from the first attempt after which no retry starts: a wait
    /// that would end past it is not taken, and the last error is returned.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The backoff before attempt `attempt + 1` when the server named no
    /// wait: full jitter, a uniform draw in
    /// `0..=min(max_delay, base_delay * 2^(attempt-1))`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let nanos = u64::try_from(exp.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(random_u64() % nanos.saturating_add(1))
    }
}

/// What the server asked for: `retry-after` (seconds or an HTTP date), else
/// `ratelimit-reset` when `ratelimit-remaining` is 0. Garbage is ignored.
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = retry_after(headers, now) {
        return wait.into();
    }
    if header_u64(headers, "ratelimit-remaining") == Some(0) {
        return header_u64(headers, "ratelimit-reset").map(Duration::from_secs);
    }
    None
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
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn server_waits() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37 GMT
        let w = |pairs: &[(&'static str, &str)]| server_wait(&headers(pairs), now);
        assert_eq!(w(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        assert_eq!(
            w(&[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            w(&[("retry-after", "Sun, 06 Nov 1994 08:49:27 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            w(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "3")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            w(&[("ratelimit-remaining", "2"), ("ratelimit-reset", "3")]),
            None
        );
        assert_eq!(
            w(&[
                ("retry-after", "soon"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "2")
            ]),
            Some(Duration::from_secs(2))
        );
        assert_eq!(w(&[("retry-after", "-5")]), None);
    }

    #[test]
    fn backoff_is_jittered_within_the_cap() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(500));
        let mut distinct = std::collections::HashSet::new();
        for attempt in 1..=10 {
            for _ in 0..50 {
                let w = p.backoff(attempt);
                let bound = Duration::from_millis(100 * 2u64.pow(attempt - 1))
                    .min(Duration::from_millis(500));
                assert!(w <= bound, "attempt {attempt}: {w:?} > {bound:?}");
                distinct.insert(w);
            }
        }
        assert!(distinct.len() > 100, "jitter spreads waits");
    }

    #[test]
    fn retryable_statuses() {
        let r = |s: u16, n: Option<&str>| retryable_status(StatusCode::from_u16(s).unwrap(), n);
        assert!(
            r(429, Some("rate_limit_exceeded"))
                && r(429, None)
                && r(500, None)
                && r(502, None)
                && r(503, None)
                && r(504, None)
        );
        assert!(!r(429, Some("daily_quota_exceeded")) && !r(429, Some("monthly_quota_exceeded")));
        for s in [400, 401, 403, 404, 405, 408, 409, 422, 451, 501] {
            assert!(!r(s, None), "{s}");
        }
    }
}
