//! The team's rate limit, as the fake keeps it: `requests` per window,
//! shared by every caller of the team (its reads and its sends), with
//! Resend's `ratelimit-*` headers on every answer. Informative by default
//! (1,000 a second, never refused); enforced, a request over the limit is
//! answered 429 `rate_limit_exceeded` with `retry-after`.
//!
//! Windows are kept as Resend keeps them: a window begins with the first
//! request after the previous one ended (not on a grid), requests are
//! counted in the order they arrive whoever sends them, and the later ones
//! of a full window are refused. Time is passed in: the fake reads it from
//! the clock of the runtime that enforced the limit.

use std::time::{Duration, Instant};

use super::traffic::{Caller, Traffic};

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

/// The window under way.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// The request that began it arrived then.
    start: Instant,
    /// Requests admitted in it so far.
    admitted: u64,
    /// The virtual sends of it counted so far.
    virtual_counted: u64,
    /// Not the enforced limit's first window.
    late: bool,
}

/// The fake's keeping of the team's limit (named apart from the client's
/// [`TeamLimit`](crate::TeamLimit), what a client knows of it).
#[derive(Debug)]
pub(crate) struct LimitEnforcer {
    requests: u64,
    window: Duration,
    enforced: bool,
    current: Option<Open>,
    /// Windows begun so far.
    windows: u64,
    /// Virtual sends of every window (the emails a service sends), spread
    /// evenly across it: the k-th at `start + k·window/others`.
    others: u64,
    traffic: Traffic,
    refused: u64,
    /// Refused after the first window.
    refused_late: u64,
    /// The runtime that enforced the limit: its clock is the one windows
    /// are counted on (tokio's paused clock in tests), not the server's.
    clock: Option<tokio::runtime::Handle>,
}

impl Default for LimitEnforcer {
    fn default() -> Self {
        Self {
            requests: 1000,
            window: Duration::from_secs(1),
            enforced: false,
            current: None,
            windows: 0,
            others: 0,
            traffic: Traffic::default(),
            refused: 0,
            refused_late: 0,
            // The runtime the fake starts on (a test's paused clock).
            clock: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

impl LimitEnforcer {
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

    /// The team's other calls send `requests` virtual sends in every
    /// window, spread evenly across it.
    pub(crate) fn share(&mut self, requests: u64) {
        self.others = requests;
    }

    /// Now, on the clock of the runtime that enforced the limit.
    pub(crate) fn now(&self) -> Instant {
        let _entered = self.clock.as_ref().map(tokio::runtime::Handle::enter);
        tokio::time::Instant::now().into_std()
    }

    /// The refusals counted so far, every caller's: in all, and after the
    /// first window. (Virtual sends are counted up to the last
    /// [`admit`](Self::admit) or [`settle`](Self::settle).)
    pub(crate) fn refused(&self) -> (u64, u64) {
        (self.refused, self.refused_late)
    }

    /// The traffic counted so far, per caller (see [`refused`](Self::refused)).
    pub(crate) fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Counts a read arriving `now`.
    #[cfg(test)]
    pub(crate) fn admit(&mut self, now: Instant) -> Window {
        self.admit_from(Caller::Reads, now)
    }

    /// Counts a request of `caller` arriving `now` against its window,
    /// after the virtual sends that arrived before it.
    pub(crate) fn admit_from(&mut self, caller: Caller, now: Instant) -> Window {
        self.settle(now);
        // With no window under way, this request begins one.
        self.windows += u64::from(self.current.is_none());
        let late = self.windows > 1;
        let window = self.window;
        let open = self.current.get_or_insert(Open {
            start: now,
            admitted: 0,
            virtual_counted: 0,
            late,
        });
        let refused = self.enforced && open.admitted >= self.requests;
        open.admitted += u64::from(!refused);
        let (admitted, late) = (open.admitted, open.late);
        let left = (open.start + window).saturating_duration_since(now);
        self.count(caller, refused, late);
        Window {
            limit: self.requests,
            remaining: self.requests.saturating_sub(admitted),
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            refused,
        }
    }

    /// Counts the virtual sends that arrived before `now`, and ends the
    /// window under way if `now` is past it.
    pub(crate) fn settle(&mut self, now: Instant) {
        let Some(mut open) = self.current else {
            return;
        };
        let end = open.start + self.window;
        let others = u128::from(self.others);
        let window_nanos = self.window.as_nanos();
        while open.virtual_counted < self.others {
            let offset = window_nanos * u128::from(open.virtual_counted) / others;
            let at = open.start + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX));
            if at >= now {
                break;
            }
            let refused = self.enforced && open.admitted >= self.requests;
            open.admitted += u64::from(!refused);
            open.virtual_counted += 1;
            self.count(Caller::Sends, refused, open.late);
        }
        self.current = (now < end).then_some(open);
    }

    fn count(&mut self, caller: Caller, refused: bool, late: bool) {
        self.traffic.of_mut(caller).count(refused);
        self.refused += u64::from(refused);
        self.refused_late += u64::from(refused && late);
    }
}

#[cfg(test)]
mod tests;
