//! The crate's one public error type and its parts.
//!
//! Modelled on reqwest's and aws-sdk-rust's errors: `#[non_exhaustive]`,
//! predicates instead of a giant match, a `source()` chain, and messages a
//! person can act on. No variant ever holds the API key.

use std::fmt;

use reqwest::StatusCode;

mod api;
mod argument;
mod pagination;
mod record;
mod response;
mod throttled;

pub(crate) use api::retryable;
pub use api::{ApiError, ApiErrorKind};
pub use argument::{InvalidArgument, InvalidReason};
pub use pagination::{PaginationError, PaginationErrorKind};
pub use record::{BAD_RECORD_RAW_BYTES, BadRecord, BadRecordKind};
pub(crate) use response::KeptBody;
pub(crate) use response::is_tls_failure;
pub use response::{DecodeError, ResponseTooLarge, TransportError};
pub use throttled::{HeldBy, Throttled};

/// Everything that can go wrong, from an argument rejected before sending to
/// an answer the crate cannot decode.
///
/// ```
/// use resend_workflows::{Client, Error};
///
/// # async fn demo(client: Client) {
/// match client.list_workflow_runs("wf_1").limit(500).send().await {
///     Err(Error::InvalidArgument(e)) => assert_eq!(e.parameter(), "limit"),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent.
    InvalidArgument(InvalidArgument),
    /// The client could not be built: a missing key, a bad base URL.
    Config(ConfigError),
    /// Resend (or something in front of it) answered with an error status.
    /// Boxed: it is the largest part, and errors travel in every `Result`.
    Api(Box<ApiError>),
    /// No complete response arrived: connect failure, timeout, a body cut off.
    Transport(TransportError),
    /// A success response whose body does not match the spec.
    Decode(DecodeError),
    /// A page broke the pagination contract (a loop guard fired).
    Pagination(PaginationError),
    /// One record of a page does not decode, while the page does (its
    /// other records are kept): named by its id, the field, and its raw
    /// JSON. Boxed, as `Api` is.
    BadRecord(Box<BadRecord>),
    /// A response body larger than the client's cap (default 4 MiB).
    ResponseTooLarge(ResponseTooLarge),
    /// Not sent: the rate limit's wait would pass the call's deadline.
    Throttled(Throttled),
}

impl Error {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode(e) => Some(e.status),
            Self::Transport(e) => e.source.status(),
            Self::ResponseTooLarge(e) => Some(e.status),
            Self::InvalidArgument(_)
            | Self::Config(_)
            | Self::Pagination(_)
            | Self::BadRecord(_)
            | Self::Throttled(_) => None,
        }
    }

    /// How many attempts were made, retries included, when a request was sent.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Api(e) => Some(e.attempts),
            Self::Transport(e) => Some(e.attempts),
            _ => None,
        }
    }

    /// How long to wait before trying again, when the server said (a
    /// `retry-after`, or the reset of a used-up rate-limit window) or the
    /// client held the request back ([`Error::Throttled`]).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Api(e) => e.wait_asked(),
            Self::Throttled(e) => Some(e.retry_after()),
            _ => None,
        }
    }

    /// Whether the same request may succeed if tried again later: transport
    /// failures other than a TLS rejection, 429 `rate_limit_exceeded` (not
    /// the daily or monthly quota), 500, 502, 503 and 504, and a request
    /// held back by the rate limit ([`Error::Throttled`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_retryable(),
            Self::Api(e) => e.is_retryable(),
            Self::Throttled(_) => true,
            Self::InvalidArgument(_)
            | Self::Config(_)
            | Self::Decode(_)
            | Self::Pagination(_)
            | Self::BadRecord(_)
            | Self::ResponseTooLarge(_) => false,
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport(e) if e.is_timeout())
    }

    /// Whether nothing was sent: the request was rejected by the client.
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Self::InvalidArgument(_))
    }

    /// The API error, if the server answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is one record of a page that does not decode (the
    /// page's other records were kept): see [`BadRecord`].
    pub fn is_bad_record(&self) -> bool {
        matches!(self, Self::BadRecord(_))
    }

    /// The record that does not decode, if this is one.
    pub fn as_bad_record(&self) -> Option<&BadRecord> {
        match self {
            Self::BadRecord(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidArgument(e) => write!(f, "invalid argument, nothing was sent: {e}"),
            Self::Config(e) => write!(f, "cannot build the client: {e}"),
            Self::Api(e) => e.fmt(f),
            Self::Transport(e) => e.fmt(f),
            Self::Decode(e) => e.fmt(f),
            Self::Pagination(e) => e.fmt(f),
            Self::BadRecord(e) => e.fmt(f),
            Self::ResponseTooLarge(e) => e.fmt(f),
            Self::Throttled(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidArgument(e) => Some(e),
            Self::Config(e) => Some(e),
            Self::Api(e) => Some(&**e),
            Self::Transport(e) => Some(e),
            Self::Decode(e) => Some(e),
            Self::Pagination(e) => Some(e),
            Self::BadRecord(e) => Some(&**e),
            Self::ResponseTooLarge(e) => Some(e),
            Self::Throttled(e) => Some(e),
        }
    }
}

macro_rules! from_part {
    ($($part:ident => $variant:ident),* $(,)?) => {
        $(impl From<$part> for Error {
            fn from(e: $part) -> Self {
                Self::$variant(e)
            }
        })*
    };
}

from_part!(
    InvalidArgument => InvalidArgument,
    ConfigError => Config,
    TransportError => Transport,
    DecodeError => Decode,
    PaginationError => Pagination,
    ResponseTooLarge => ResponseTooLarge,
    Throttled => Throttled,
);

impl From<BadRecord> for Error {
    fn from(e: BadRecord) -> Self {
        Self::BadRecord(Box::new(e))
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

/// The client could not be built.
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
