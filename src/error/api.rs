//! Error statuses from Resend (or its edge).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::rate_limit::{RateLimit, wait_asked};
use crate::text::Shown;

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
    /// The kind an error body's `name` says (a name this crate does not
    /// know: [`Other`](Self::Other)).
    pub fn from_name(name: &str) -> Self {
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
    /// An answer of `status` whose body named `name` and said `message`,
    /// after one attempt, no rate limit or wait told: for fakes and
    /// tests of code that handles the client's errors.
    pub fn new(status: StatusCode, name: Option<&str>, message: &str) -> Self {
        Self {
            status,
            kind: name.map_or(ApiErrorKind::Unstructured, ApiErrorKind::from_name),
            name: name.map(str::to_owned),
            message: message.to_owned(),
            rate_limit: None,
            retry_after: None,
            attempts: 1,
        }
    }

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

    /// The rate-limit headers of the response (`ratelimit-*`, or the
    /// structured `RateLimit` and `RateLimit-Policy`), when present.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The `retry-after` the server asked for (seconds or an HTTP date, as
    /// a wait from when the response was read), when present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The wait the response asked for: the longer of its `retry-after`
    /// and the reset of a rate-limit window it says is used up.
    pub(crate) fn wait_asked(&self) -> Option<Duration> {
        wait_asked(self.retry_after, self.rate_limit.as_ref())
    }

    /// Whether retrying later may succeed (see [`Error::is_retryable`](crate::Error::is_retryable)).
    pub fn is_retryable(&self) -> bool {
        retryable(self.status, self.name.as_deref())
    }

    /// How many attempts were made, retries included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// Whether an answer with this status (and Resend error `name`) is worth
/// trying again: 429 for the rate (never a daily or monthly quota), 500,
/// 502, 503 and 504.
pub(crate) fn retryable(status: StatusCode, name: Option<&str>) -> bool {
    match status.as_u16() {
        429 => !matches!(
            name,
            Some("daily_quota_exceeded" | "monthly_quota_exceeded")
        ),
        500 | 502 | 503 | 504 => true,
        _ => false,
    }
}

/// ` (after N attempts)` when a request was retried.
pub(super) fn after_attempts(f: &mut fmt::Formatter<'_>, attempts: u32) -> fmt::Result {
    if attempts > 1 {
        write!(f, " (after {attempts} attempts)")?;
    }
    Ok(())
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The name and message are the server's text: escaped and bounded.
        match &self.name {
            Some(name) => write!(
                f,
                "Resend answered {} {}: {}",
                self.status,
                Shown(name),
                Shown(&self.message)
            ),
            None => write!(
                f,
                "Resend answered {} with a body that is not its JSON error: \"{}\"",
                self.status,
                Shown(&self.message)
            ),
        }?;
        after_attempts(f, self.attempts)
    }
}

impl std::error::Error for ApiError {}
