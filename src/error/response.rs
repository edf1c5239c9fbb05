//! Responses that did not arrive whole, did not decode, or were too large.

use std::fmt;

use reqwest::StatusCode;

use super::api::after_attempts;
use crate::text::Shown;

/// No complete response arrived.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) source: reqwest::Error,
    pub(crate) attempts: u32,
}

impl TransportError {
    /// Whether the request or the connection timed out.
    pub fn is_timeout(&self) -> bool {
        self.source.is_timeout()
    }

    /// Whether the connection could not be made.
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }

    /// Whether TLS refused the server (an untrusted or mismatched
    /// certificate, a failed handshake): not transient, so never retried.
    pub fn is_tls(&self) -> bool {
        is_tls_failure(&self.source)
    }

    /// Whether trying again may succeed: every transport failure but TLS.
    pub fn is_retryable(&self) -> bool {
        !self.is_tls()
    }

    /// Whether the response body was cut off or failed mid-way.
    pub fn is_body(&self) -> bool {
        self.source.is_body() || self.source.is_decode()
    }

    /// How many attempts were made, retries included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.is_timeout() {
            "timed out"
        } else if self.is_connect() {
            "could not connect"
        } else {
            "failed in transit"
        };
        // reqwest's message names the URL: base URL, path and query, never headers.
        write!(f, "request {what}: {}", self.source)?;
        after_attempts(f, self.attempts)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A success response whose body does not match the spec.
pub struct DecodeError {
    pub(crate) status: StatusCode,
    pub(crate) path: String,
    pub(crate) snippet: String,
    pub(crate) source: serde_json::Error,
    /// The body, the answer's rate-limit headers and the server's clock,
    /// while a list's fetch may still decode its records one by one;
    /// taken out before the error leaves the crate. Boxed: errors travel
    /// in every `Result`.
    pub(crate) kept: Option<Box<KeptBody>>,
}

/// A body a decode error keeps for a list's fetch, its rate limit and the
/// server's clock.
pub(crate) struct KeptBody {
    pub(crate) body: bytes::Bytes,
    pub(crate) rate_limit: Option<crate::rate_limit::RateLimit>,
    pub(crate) server_clock: Option<crate::timestamp::Timestamp>,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("status", &self.status)
            .field("path", &self.path)
            .field("snippet", &self.snippet)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl DecodeError {
    /// Where in the body decoding failed, e.g. `data[3].status`: `.` for the
    /// root, `?` where the body ended or broke before a field was reached.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The start of the body, for diagnosis.
    pub fn body_snippet(&self) -> &str {
        &self.snippet
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde's message quotes the offending value: the server's text.
        write!(f, "cannot decode the {} response", self.status)?;
        if self.path != "." && self.path != "?" {
            write!(f, " at `{}`", Shown(&self.path))?;
        }
        write!(
            f,
            ": {}; body starts \"{}\"",
            Shown(&self.source.to_string()),
            Shown(&self.snippet)
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A response body larger than the client's cap; the rest was not read.
#[derive(Debug, Clone)]
pub struct ResponseTooLarge {
    pub(crate) status: StatusCode,
    pub(crate) limit: u64,
    pub(crate) received: u64,
}

impl ResponseTooLarge {
    /// The cap, in bytes ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The size announced by `content-length`, or the bytes read when the
    /// cap was crossed.
    pub fn received(&self) -> u64 {
        self.received
    }
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} response body is larger than the {}-byte cap (at least {} bytes); \
             raise ClientBuilder::max_response_bytes if this is expected",
            self.status, self.limit, self.received
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

/// Whether a TLS library's error (rustls's, or native-tls's) is anywhere
/// in `error`'s source chain (reqwest and hyper wrap it, sometimes inside
/// an `io::Error`).
pub(crate) fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if is_tls_error(e) {
            return true;
        }
        // `io::Error::source` skips the error it wraps: descend into it.
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// Whether `e` itself is an error of a TLS library compiled in.
#[allow(unused_variables)] // without a TLS feature, nothing is one
fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "__rustls")]
    if e.is::<rustls::Error>() {
        return true;
    }
    #[cfg(feature = "native-tls")]
    if e.is::<native_tls::Error>() {
        return true;
    }
    false
}
