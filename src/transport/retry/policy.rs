//! `RetryPolicy`: how many attempts, what backoff, within what deadline.

use std::time::Duration;

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
    pub(crate) fn backoff_bound(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_builder_sets_each_field() {
        let p = RetryPolicy::default()
            .max_attempts(6)
            .base_delay(MS(100))
            .max_delay(S(5))
            .deadline(S(30));
        assert_eq!(
            (p.max_attempts, p.base_delay, p.max_delay, p.deadline),
            (6, MS(100), S(5), S(30))
        );
        let d = RetryPolicy::default();
        assert_eq!(
            (d.max_attempts, d.base_delay, d.max_delay, d.deadline),
            (4, MS(250), S(10), S(60))
        );
        let off = RetryPolicy::disabled();
        assert_eq!(
            off,
            RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            }
        );
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
}
