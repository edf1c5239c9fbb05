//! Resend's rate-limit headers, read leniently: a garbage value is absent,
//! never an error.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

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
    /// `ratelimit-reset`: time until the window resets.
    pub reset: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers; `None` when none of them is present and readable.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let rate_limit = Self {
            limit: header_u64(headers, "ratelimit-limit"),
            remaining: header_u64(headers, "ratelimit-remaining"),
            reset: header_u64(headers, "ratelimit-reset").map(Duration::from_secs),
        };
        (rate_limit.limit.is_some() || rate_limit.remaining.is_some() || rate_limit.reset.is_some())
            .then_some(rate_limit)
    }
}

/// A header holding a non-negative integer, if present and well formed.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `retry-after`, in seconds or as an HTTP date (measured from `now`);
/// a garbage value is absent.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}
