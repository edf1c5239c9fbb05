//! What a response says about the team's rate limit: the public value an
//! error or a page carries ([`RateLimit`]), the cap on any wait read from
//! a server, and the one rule for the wait a response asks for. A leaf:
//! the transport reads the headers into these, errors carry them.

use std::time::Duration;

/// The longest duration read from a response header (`retry-after` in
/// seconds or as a date, `ratelimit-reset`, a window's `w=`, a structured
/// `RateLimit`'s `t=`): anything longer is read as
/// this, so no header can overflow the time arithmetic. 31 days, the
/// longest quota Resend documents (monthly).
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(31 * 24 * 60 * 60);

/// The rate-limit headers of a response, in either form: Resend's
/// `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` and
/// `ratelimit-policy: N;w=W`, or the IETF draft's structured fields
/// `RateLimit-Policy: "name";q=N;w=W` and `RateLimit: "name";r=R;t=T`.
/// When both carry remaining and reset, the `ratelimit-*` triple wins (it
/// is what Resend sends); with several policies, the values are those of
/// the one with the fewest requests remaining.
///
/// Resend limits requests per team (all its keys share it); `remaining: 0`
/// means the next request before `reset` will be refused with a 429.
/// Fields may be added: read them by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed in the window: `ratelimit-limit`, else the
    /// policy's (`N` or `q=`).
    pub limit: Option<u64>,
    /// Requests left in the window: `ratelimit-remaining` or `r=`.
    pub remaining: Option<u64>,
    /// Time until the window resets (`ratelimit-reset` or `t=`), at most
    /// [`MAX_SERVER_WAIT`].
    pub reset: Option<Duration>,
    /// The window's length, as the policy names it (`w=`, in either
    /// form), at most [`MAX_SERVER_WAIT`]; `None` when no policy names
    /// one (Resend's documented headers do not: its windows are one
    /// second long).
    pub window: Option<Duration>,
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
            window: None,
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
