//! The team's rate limit, as the fake keeps it: `requests` per window,
//! shared by every client of the fake, with Resend's `ratelimit-*` headers
//! on every answer. Informative by default (1,000 a second, never
//! refused); enforced, a request over the limit is answered 429
//! `rate_limit_exceeded` with `retry-after`.

use std::time::{Duration, Instant};

/// What one answer says about the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    /// Whole seconds until the window resets, rounded up, as the header is.
    pub(crate) reset_secs: u64,
    /// Over the limit: answered 429.
    pub(crate) refused: bool,
}

#[derive(Debug)]
pub(crate) struct TeamLimit {
    requests: u64,
    window: Duration,
    enforced: bool,
    /// When the first window began (the first request).
    started: Option<Instant>,
    /// The current window's index and the requests admitted in it.
    current: (u64, u64),
    /// Requests of every window the team's other calls spend (the emails
    /// a service sends): counted before the first of the window.
    others: u64,
    refused: u64,
    /// Refused after the first window.
    refused_late: u64,
    /// The runtime that enforced the limit: its clock is the one windows
    /// are counted on (tokio's paused clock in tests), not the server's.
    clock: Option<tokio::runtime::Handle>,
}

impl Default for TeamLimit {
    fn default() -> Self {
        Self {
            requests: 1000,
            window: Duration::from_secs(1),
            enforced: false,
            started: None,
            current: (u64::MAX, 0),
            others: 0,
            refused: 0,
            refused_late: 0,
            // The runtime the fake starts on (a test's paused clock).
            clock: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

impl TeamLimit {
    /// An enforced limit of `requests` per `window`.
    pub(crate) fn enforced(requests: u64, window: Duration) -> Self {
        Self {
            requests: requests.max(1),
            window: window.max(Duration::from_millis(1)),
            enforced: true,
            clock: tokio::runtime::Handle::try_current().ok(),
            ..Self::default()
        }
    }

    /// The team's other calls spend `requests` of every window.
    pub(crate) fn share(&mut self, requests: u64) {
        self.others = requests;
    }

    /// Now, on the clock of the runtime that enforced the limit.
    pub(crate) fn now(&self) -> Instant {
        let _entered = self.clock.as_ref().map(tokio::runtime::Handle::enter);
        tokio::time::Instant::now().into_std()
    }

    /// The 429s answered so far, and those after the first window.
    pub(crate) fn refused(&self) -> (u64, u64) {
        (self.refused, self.refused_late)
    }

    /// Counts a request arriving `now` against its window.
    pub(crate) fn admit(&mut self, now: Instant) -> Window {
        let started = *self.started.get_or_insert(now);
        let elapsed = now.saturating_duration_since(started);
        let window_nanos = self.window.as_nanos().max(1);
        let index = u64::try_from(elapsed.as_nanos() / window_nanos).unwrap_or(u64::MAX);
        if index != self.current.0 {
            self.current = (index, self.others);
        }
        let end = self
            .window
            .checked_mul(u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX);
        let left = end.saturating_sub(elapsed);
        let reset_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let refused = self.enforced && self.current.1 >= self.requests;
        if refused {
            self.refused += 1;
            self.refused_late += u64::from(index > 0);
        } else {
            self.current.1 += 1;
        }
        Window {
            limit: self.requests,
            remaining: self.requests.saturating_sub(self.current.1),
            reset_secs,
            refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_admitted_requests_and_refuse_past_the_limit() {
        let mut limit = TeamLimit::enforced(2, Duration::from_secs(1));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let w = limit.admit(at(0));
        assert_eq!((w.remaining, w.reset_secs, w.refused), (1, 1, false));
        assert_eq!(limit.admit(at(300)).remaining, 0);
        let over = limit.admit(at(600));
        assert_eq!(
            (over.remaining, over.reset_secs, over.refused),
            (0, 1, true)
        );
        // The next window admits again.
        let next = limit.admit(at(1_100));
        assert_eq!((next.remaining, next.refused), (1, false));
        assert_eq!(limit.refused(), (1, 0));
        limit.admit(at(1_200));
        assert!(limit.admit(at(1_300)).refused);
        assert_eq!(limit.refused(), (2, 1));
        // The team's other calls spend one of each window: one is left.
        let mut shared = TeamLimit::enforced(2, Duration::from_secs(1));
        shared.share(1);
        assert_eq!(shared.admit(at(0)).remaining, 0);
        assert!(shared.admit(at(500)).refused);
        assert_eq!(shared.admit(at(1_000)).remaining, 0, "each window");
        // Informative by default: never refused.
        let mut open = TeamLimit::default();
        for ms in 0..2_000 {
            assert!(!open.admit(at(ms / 10)).refused);
        }
    }
}
