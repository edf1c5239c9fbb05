//! What a response says about the team's rate limit: the public value an
//! error or a page carries ([`RateLimit`]), the cap on any wait read from
//! a server, and the one rule for the wait a response asks for. A leaf:
//! the transport reads the headers into these, errors carry them.

use std::time::Duration;

/// The longest duration read from a response header (`retry-after` in
/// seconds or as a date, `ratelimit-reset`): anything longer is read as
/// this, so no header can overflow the time arithmetic. 31 days, the
/// longest quota Resend documents (monthly).
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(31 * 24 * 60 * 60);

/// The `ratelimit-*` headers of a response.
///
/// Resend limits requests per team (all its keys share it); `remaining: 0`
/// means the next request before `reset` will be refused with a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// `ratelimit-limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `ratelimit-remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `ratelimit-reset`: time until the window resets, at most
    /// [`MAX_SERVER_WAIT`].
    pub reset: Option<Duration>,
}

impl RateLimit {
    /// How long until the window resets, when nothing is left in it.
    pub(crate) fn used_up_for(&self) -> Option<Duration> {
        match self.remaining {
            Some(0) => self.reset,
            _ => None,
        }
    }
}

/// The wait a response asks for before the next request: the longer of
/// its `retry-after` and the reset of a window it says is used up (a
/// request sent after the shorter one would be refused by the other).
pub(crate) fn wait_asked(
    retry_after: Option<Duration>,
    rate_limit: Option<&RateLimit>,
) -> Option<Duration> {
    let window = rate_limit.and_then(RateLimit::used_up_for);
    match (retry_after, window) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn window(remaining: u64, reset: u64) -> RateLimit {
        RateLimit {
            limit: Some(10),
            remaining: Some(remaining),
            reset: Some(S(reset)),
        }
    }

    #[test]
    fn the_wait_asked_is_the_longer_of_retry_after_and_a_used_up_window() {
        assert_eq!(wait_asked(None, None), None);
        assert_eq!(wait_asked(Some(S(7)), None), Some(S(7)));
        assert_eq!(wait_asked(None, Some(&window(0, 3))), Some(S(3)));
        assert_eq!(wait_asked(None, Some(&window(1, 3))), None);
        assert_eq!(wait_asked(Some(S(1)), Some(&window(0, 3))), Some(S(3)));
        assert_eq!(wait_asked(Some(S(5)), Some(&window(0, 3))), Some(S(5)));
        assert_eq!(wait_asked(Some(S(2)), Some(&window(4, 3))), Some(S(2)));
        let no_reset = RateLimit {
            reset: None,
            ..window(0, 0)
        };
        assert_eq!(wait_asked(None, Some(&no_reset)), None);
    }
}
