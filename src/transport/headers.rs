//! Reading a response's rate-limit headers and `retry-after`, once per
//! response and leniently: a garbage value is absent, never an error.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::rate_limit::{MAX_SERVER_WAIT, RateLimit, wait_asked};

/// Seconds a server named, as a duration no longer than [`MAX_SERVER_WAIT`].
fn server_secs(secs: u64) -> Duration {
    Duration::from_secs(secs).min(MAX_SERVER_WAIT)
}

/// The `ratelimit-*` headers; `None` when none of them is present and
/// readable.
pub(crate) fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    let rate_limit = RateLimit {
        limit: header_u64(headers, "ratelimit-limit"),
        remaining: header_u64(headers, "ratelimit-remaining"),
        reset: header_u64(headers, "ratelimit-reset").map(server_secs),
    };
    (rate_limit.limit.is_some() || rate_limit.remaining.is_some() || rate_limit.reset.is_some())
        .then_some(rate_limit)
}

/// What a response's headers say about pacing, read once: the
/// `ratelimit-*` values and `retry-after`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hints {
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) retry_after: Option<Duration>,
}

impl Hints {
    /// Reads the headers; an HTTP-date `retry-after` is measured from `now`.
    pub(crate) fn read(headers: &HeaderMap, now: SystemTime) -> Self {
        Self {
            rate_limit: rate_limit(headers),
            retry_after: retry_after(headers, now),
        }
    }

    /// How long until the window resets, when what the response says is
    /// left in it would all go to the `others` outstanding requests (which
    /// its `remaining` does not count yet).
    pub(crate) fn window_used_up_for(&self, others: u32) -> Option<Duration> {
        match self.rate_limit {
            Some(RateLimit {
                remaining: Some(left),
                reset,
                ..
            }) if left <= u64::from(others) => reset,
            _ => None,
        }
    }

    /// What the server asked for before the next request (the one rule,
    /// [`wait_asked`]: the longer of `retry-after` and a used-up window's
    /// reset).
    pub(crate) fn server_wait(&self) -> Option<Duration> {
        wait_asked(self.retry_after, self.rate_limit.as_ref())
    }
}

/// A header holding a non-negative integer, if present and well formed.
fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `retry-after`, in seconds or as an HTTP date (measured from `now`), at
/// most [`MAX_SERVER_WAIT`]; a garbage value is absent.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(server_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_SERVER_WAIT),
    )
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
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
        let w = |pairs: &[(&'static str, &str)]| Hints::read(&headers(pairs), now).server_wait();
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
        // Both: the longer, as an error's `retry_after()` says.
        assert_eq!(
            w(&[
                ("retry-after", "1"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "3")
            ]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(w(&[("retry-after", "-5")]), None);
        // Every server-given duration is capped.
        let huge = u64::MAX.to_string();
        assert_eq!(w(&[("retry-after", &huge)]), Some(MAX_SERVER_WAIT));
        assert_eq!(
            w(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(
            w(&[("ratelimit-remaining", "0"), ("ratelimit-reset", &huge)]),
            Some(MAX_SERVER_WAIT)
        );
        let max_secs = MAX_SERVER_WAIT.as_secs().to_string();
        assert_eq!(w(&[("retry-after", &max_secs)]), Some(MAX_SERVER_WAIT));
    }

    #[test]
    fn a_window_is_used_up_when_what_remains_goes_to_outstanding_requests() {
        let now = SystemTime::UNIX_EPOCH;
        let hints = |left: &str| {
            Hints::read(
                &headers(&[("ratelimit-remaining", left), ("ratelimit-reset", "1")]),
                now,
            )
        };
        let second = Some(Duration::from_secs(1));
        assert_eq!(hints("3").window_used_up_for(2), None);
        assert_eq!(hints("3").window_used_up_for(3), second);
        assert_eq!(hints("3").window_used_up_for(4), second);
        assert_eq!(hints("0").window_used_up_for(0), second);
        assert_eq!(hints("1").window_used_up_for(0), None);
        assert_eq!(
            Hints::read(&HeaderMap::new(), now).window_used_up_for(9),
            None
        );
    }
}
