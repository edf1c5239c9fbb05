//! Reading a response's rate-limit headers (in both forms: Resend's
//! `ratelimit-*` triple and the IETF draft's structured `RateLimit` and
//! `RateLimit-Policy`) and `retry-after`, once per response and leniently:
//! a garbage value is absent, never an error.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::cmp::Reverse;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::rate_limit::{MAX_SERVER_WAIT, RateLimit, wait_asked};
use crate::timestamp::Timestamp;

mod structured;

/// Seconds a server named, as a duration no longer than [`MAX_SERVER_WAIT`].
fn server_secs(secs: u64) -> Duration {
    Duration::from_secs(secs).min(MAX_SERVER_WAIT)
}

/// The rate-limit headers in either form; `None` when nothing in them is
/// present and readable.
///
/// - The old form, Resend's today: `ratelimit-limit`, `ratelimit-remaining`,
///   `ratelimit-reset` (the triple), and `ratelimit-policy: N;w=W` (limit
///   `N` in a window of `W` s; several may be listed).
/// - The IETF draft's structured fields: `RateLimit-Policy:
///   "name";q=N;w=W` (a list of policies) and `RateLimit: "name";r=R;t=T`
///   (remaining, seconds to reset; a list too).
///
/// `ratelimit-policy` and `RateLimit-Policy` are one header (names have no
/// case): its items tell the forms apart, an integer (old) or a name.
///
/// When any of the triple is readable, it wins over the structured
/// `RateLimit`, whole (no field of one is paired with another's): it is
/// what Resend sends, and the gate has been measured against it; its
/// window is that of the policy whose limit is the triple's, else of the
/// first. Otherwise the `RateLimit` item with the fewest remaining (one
/// naming none counts as more than any; ties: the longest reset, then the
/// first listed) gives remaining and reset, and the policy of the same
/// name, else the first policy, the limit and the window.
pub(crate) fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    let policies: Vec<Policy> = field(headers, "ratelimit-policy")
        .map(|entries| entries.iter().map(Policy::of).collect())
        .unwrap_or_default();
    let limit = header_u64(headers, "ratelimit-limit");
    let remaining = header_u64(headers, "ratelimit-remaining");
    let reset = header_u64(headers, "ratelimit-reset").map(server_secs);
    let rate_limit = if limit.is_some() || remaining.is_some() || reset.is_some() {
        let policy = policies
            .iter()
            .find(|p| limit.is_some() && p.limit == limit)
            .or(policies.first());
        RateLimit {
            limit: limit.or(policy.and_then(|p| p.limit)),
            remaining,
            reset,
            window: policy.and_then(|p| p.window),
        }
    } else {
        let current = field(headers, "ratelimit").and_then(|entries| {
            entries
                .iter()
                .filter_map(Current::of)
                .min_by_key(|c| (c.remaining.is_none(), c.remaining, Reverse(c.reset)))
        });
        let policy = current
            .as_ref()
            .and_then(|c| policies.iter().find(|p| p.name.as_ref() == Some(&c.name)))
            .or(policies.first());
        RateLimit {
            limit: policy.and_then(|p| p.limit),
            remaining: current.as_ref().and_then(|c| c.remaining),
            reset: current.as_ref().and_then(|c| c.reset),
            window: policy.and_then(|p| p.window),
        }
    };
    let RateLimit {
        limit,
        remaining,
        reset,
        window,
    } = rate_limit;
    (limit.is_some() || remaining.is_some() || reset.is_some() || window.is_some())
        .then_some(rate_limit)
}

/// A structured list field, its lines joined; `None` when absent or when
/// any line is not a list of the subset read.
fn field(headers: &HeaderMap, name: &str) -> Option<Vec<structured::Entry>> {
    let mut entries = Vec::new();
    for line in headers.get_all(name) {
        entries.extend(structured::list(line.to_str().ok()?)?);
    }
    (!entries.is_empty()).then_some(entries)
}

/// One item of `ratelimit-policy`, in either form.
struct Policy {
    /// The structured form's name; the old form's items have none.
    name: Option<String>,
    /// Requests per window: the old form's item, or the structured
    /// form's `q` (the draft's "quota").
    limit: Option<u64>,
    /// `w`, when more than nothing.
    window: Option<Duration>,
}

impl Policy {
    fn of(entry: &structured::Entry) -> Self {
        let limit = match &entry.item {
            structured::Bare::Integer(n) => u64::try_from(*n).ok(),
            structured::Bare::Name(_) => entry.uint("q"),
            structured::Bare::Other => None,
        };
        Self {
            name: entry.name().map(str::to_owned),
            limit,
            window: entry.uint("w").filter(|&w| w > 0).map(server_secs),
        }
    }
}

/// One item of the structured `RateLimit` field.
struct Current {
    name: String,
    remaining: Option<u64>,
    reset: Option<Duration>,
}

impl Current {
    /// The item, when it names its policy.
    fn of(entry: &structured::Entry) -> Option<Self> {
        Some(Self {
            name: entry.name()?.to_owned(),
            remaining: entry.uint("r"),
            reset: entry.uint("t").map(server_secs),
        })
    }
}

/// What a response's headers say about pacing, read once: the rate-limit
/// values and `retry-after`.
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

/// The latest the server's clock read when it answered: the end of the
/// second its `Date` header names (an HTTP date has whole seconds); `None`
/// when there is none, or it is not one.
pub(crate) fn server_clock(headers: &HeaderMap) -> Option<Timestamp> {
    let value = headers.get("date")?.to_str().ok()?.trim();
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let end = date.checked_add_signed(chrono::TimeDelta::seconds(1))?;
    Some(end.with_timezone(&chrono::Utc).into())
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
mod tests;
