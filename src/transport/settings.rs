//! What a client's transport is built with, shared by its clones: the
//! credentials, the user agent, the timeout, the retry policy, the size
//! cap and the rate gate. Built by `client.rs`, read by the hooks and the
//! attempt driver.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use super::gate::RateGate;
use super::retry::RetryPolicy;

/// A value that is never shown: its `Debug` prints `<redacted>`. Holds the
/// API key, so every type that holds one can derive `Debug` safely.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret<T>(pub(crate) T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A client's settings, shared by its clones (behind an `Arc`): a window
/// seen by one holds for all.
#[derive(Debug)]
pub(crate) struct Settings {
    /// `Bearer <key>`, also marked sensitive so reqwest and `http` redact it.
    pub(crate) authorization: Secret<HeaderValue>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) gate: RateGate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_never_shown() {
        let secret = Secret("re_123".to_owned());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(secret)), "Some(<redacted>)");
    }
}
