//! What the generated client carries for the hooks: the credentials, the
//! user agent, the timeout, the retry policy, the size cap and the rate
//! gate its clones share. Built by `client.rs`, read by `hooks.rs` and
//! `exec.rs`; the generated code names [`Inner`], so this module imports
//! nothing that uses the generated client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::gate::RateGate;
use crate::retry::RetryPolicy;

/// A value that is never shown: its `Debug` prints `<redacted>`. Holds the
/// API key, so every type that holds one can derive `Debug` safely.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret<T>(pub(crate) T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// State the generated client carries for the hooks.
#[derive(Debug, Clone)]
pub(crate) struct Inner {
    /// `Bearer <key>`, also marked sensitive so reqwest and `http` redact it.
    pub(crate) authorization: Secret<HeaderValue>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// Shared by clones: a rate-limit window seen by one holds for all.
    pub(crate) gate: Arc<RateGate>,
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
