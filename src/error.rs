//! The crate's one public error type and its parts.
//!
//! Modelled on reqwest's and aws-sdk-rust's errors: `#[non_exhaustive]`,
//! predicates instead of a giant match, a `source()` chain, and messages a
//! person can act on. No variant ever holds the API key.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::guard::PaginationError;
use crate::ratelimit::RateLimit;

/// Everything that can go wrong, from an argument rejected before sending to
/// an answer the crate cannot decode.
///
/// ```
/// use resend_workflows::{Client, Error};
///
/// # async fn demo(client: Client) {
/// match client.list_runs("wf_1").limit(500).send().await {
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
    /// A response body larger than the client's cap (default 4 MiB).
    ResponseTooLarge(ResponseTooLarge),
}

impl Error {
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode(e) => Some(e.status),
            Self::Transport(e) => e.source.status(),
            Self::ResponseTooLarge(e) => Some(e.status),
            Self::InvalidArgument(_) | Self::Config(_) | Self::Pagination(_) => None,
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

    /// Whether the same request may succeed if tried again later: transport
    /// failures, 429 `rate_limit_exceeded` (not the daily or monthly quota),
    /// 408, 500, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Api(e) => e.is_retryable(),
            Self::InvalidArgument(_)
            | Self::Config(_)
            | Self::Decode(_)
            | Self::Pagination(_)
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
            Self::ResponseTooLarge(e) => e.fmt(f),
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
            Self::ResponseTooLarge(e) => Some(e),
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
    ResponseTooLarge => ResponseTooLarge,
);

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

/// Why an argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// An id or cursor was empty.
    Empty,
    /// An id or cursor was longer than 256 bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// An id or cursor held a character other than ASCII letters, digits, `-`, `_`.
    ForbiddenChar {
        /// The character.
        ch: char,
        /// Its byte offset.
        at: usize,
    },
    /// A number outside its range.
    OutOfRange {
        /// The smallest accepted value.
        min: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Two parameters that cannot be used together.
    Conflict {
        /// The other parameter.
        with: &'static str,
    },
    /// The generated client refused a request the crate had already
    /// validated: a bug, reported rather than a panic.
    Rejected,
}

/// An argument rejected before anything was sent: names the parameter and
/// shows the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArgument {
    parameter: &'static str,
    value: String,
    reason: InvalidReason,
}

/// Longest part of an offending value shown in messages.
const SHOWN_VALUE_CHARS: usize = 80;

impl InvalidArgument {
    pub(crate) fn new(parameter: &'static str, value: &str, reason: InvalidReason) -> Self {
        Self {
            parameter,
            value: truncate_chars(value, SHOWN_VALUE_CHARS),
            reason,
        }
    }

    /// The parameter, as named in the API (`workflow_id`, `limit`, `after`...).
    pub fn parameter(&self) -> &'static str {
        self.parameter
    }

    /// The offending value (at most 80 characters of it).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &InvalidReason {
        &self.reason
    }
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (p, v) = (self.parameter, &self.value);
        match &self.reason {
            InvalidReason::Empty => write!(f, "`{p}` is empty"),
            InvalidReason::TooLong { len } => write!(
                f,
                "`{p}` is {len} bytes long, more than the {} allowed: {v:?}",
                crate::ids::MAX_ID_LEN
            ),
            InvalidReason::ForbiddenChar { ch, at } => write!(
                f,
                "`{p}` = {v:?} has {ch:?} at byte {at}; ids are ASCII letters, digits, '-' and '_'"
            ),
            InvalidReason::OutOfRange { min, max } => {
                write!(f, "`{p}` = {v} is outside {min}..={max}")
            }
            InvalidReason::Conflict { with } => {
                write!(f, "`{p}` = {v:?} cannot be used together with `{with}`")
            }
            InvalidReason::Rejected => write!(f, "the generated client refused it: {v}"),
        }
    }
}

impl std::error::Error for InvalidArgument {}

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

/// The kind of an API error: Resend's `name`, with a fallback for names this
/// crate does not know yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// `missing_api_key` (401).
    MissingApiKey,
    /// `restricted_api_key` (401).
    RestrictedApiKey,
    /// `invalid_api_key` (403).
    InvalidApiKey,
    /// `validation_error` (400, 403 or 422): the request broke a rule.
    ValidationError,
    /// `not_found` (404).
    NotFound,
    /// `method_not_allowed` (405).
    MethodNotAllowed,
    /// `invalid_parameter` (422).
    InvalidParameter,
    /// `missing_required_field` (422).
    MissingRequiredField,
    /// `rate_limit_exceeded` (429): worth retrying after the advertised wait.
    RateLimitExceeded,
    /// `daily_quota_exceeded` (429): not worth retrying today.
    DailyQuotaExceeded,
    /// `monthly_quota_exceeded` (429): not worth retrying this month.
    MonthlyQuotaExceeded,
    /// `security_error` (451).
    SecurityError,
    /// `application_error` (500).
    ApplicationError,
    /// `internal_server_error` (500).
    InternalServerError,
    /// A `name` this crate does not know, as sent.
    Other(String),
    /// The body was not Resend's JSON error (an HTML page from the edge, say).
    Unstructured,
}

impl ApiErrorKind {
    pub(crate) fn from_name(name: &str) -> Self {
        match name {
            "missing_api_key" => Self::MissingApiKey,
            "restricted_api_key" => Self::RestrictedApiKey,
            "invalid_api_key" => Self::InvalidApiKey,
            "validation_error" => Self::ValidationError,
            "not_found" => Self::NotFound,
            "method_not_allowed" => Self::MethodNotAllowed,
            "invalid_parameter" => Self::InvalidParameter,
            "missing_required_field" => Self::MissingRequiredField,
            "rate_limit_exceeded" => Self::RateLimitExceeded,
            "daily_quota_exceeded" => Self::DailyQuotaExceeded,
            "monthly_quota_exceeded" => Self::MonthlyQuotaExceeded,
            "security_error" => Self::SecurityError,
            "application_error" => Self::ApplicationError,
            "internal_server_error" => Self::InternalServerError,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Resend (or its edge) answered with an error status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: ApiErrorKind,
    pub(crate) name: Option<String>,
    pub(crate) message: String,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error's kind, from Resend's `name`.
    pub fn kind(&self) -> &ApiErrorKind {
        &self.kind
    }

    /// Resend's `name` as sent, when the body was Resend's JSON error.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Resend's `message`; for a body that was not JSON, a short snippet of it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `ratelimit-*` headers of the response, when present.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The `retry-after` the server asked for, when present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether retrying later may succeed (see [`Error::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        crate::retry::retryable_status(self.status, self.name.as_deref())
    }

    /// How many attempts were made, retries included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// ` (after N attempts)` when a request was retried.
fn after_attempts(f: &mut fmt::Formatter<'_>, attempts: u32) -> fmt::Result {
    if attempts > 1 {
        write!(f, " (after {attempts} attempts)")?;
    }
    Ok(())
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(
                f,
                "Resend answered {} {name}: {}",
                self.status, self.message
            ),
            None => write!(
                f,
                "Resend answered {} with a body that is not its JSON error: {:?}",
                self.status, self.message
            ),
        }?;
        after_attempts(f, self.attempts)
    }
}

impl std::error::Error for ApiError {}

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
#[derive(Debug)]
pub struct DecodeError {
    pub(crate) status: StatusCode,
    pub(crate) path: String,
    pub(crate) snippet: String,
    pub(crate) source: serde_json::Error,
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
        write!(f, "cannot decode the {} response", self.status)?;
        if self.path != "." && self.path != "?" {
            write!(f, " at `{}`", self.path)?;
        }
        write!(f, ": {}; body starts {:?}", self.source, self.snippet)
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

/// The first `max` characters of `s`, with `…` when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}
