//! One call: the per-call record the hooks fill in (what progenitor's error
//! type would lose), the scope that runs a generated operation inside it,
//! and the mapping of progenitor's error into ours.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{
    ApiError, ApiErrorKind, DecodeError, Error, InvalidArgument, InvalidReason, TransportError,
};
use crate::generated::types::ErrorBody;
use crate::ratelimit::{Hints, RateLimit};
use crate::text::truncate_chars;

/// Longest part of a response body kept in an error.
const SNIPPET_CHARS: usize = 200;

/// What the hooks saw that progenitor's error type would lose.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// The status of an error response (its body may not be JSON).
    error_status: Option<StatusCode>,
    /// What the last response's headers said, read once.
    hints: Hints,
    attempts: u32,
    /// A failure of the crate's own: a body over the size cap, a request
    /// the gate refused.
    failure: Option<Error>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Updates the record of the call this request runs in, if any.
fn record(update: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|r| update(&mut r.borrow_mut()));
}

/// Records that attempt number `attempt` was made.
pub(crate) fn record_attempt(attempt: u32) {
    record(|r| r.attempts = attempt);
}

/// Records what a response's headers said.
pub(crate) fn record_hints(hints: Hints) {
    record(|r| r.hints = hints);
}

/// Records the status of the error response handed to progenitor.
pub(crate) fn record_error_status(status: StatusCode) {
    record(|r| r.error_status = Some(status));
}

/// Records a failure of the crate's own (a body over the cap, a request the
/// gate refused): progenitor cannot carry it, so the hooks hand it a
/// stand-in response, and the call reports this instead.
pub(crate) fn record_failure(failure: Error) {
    record(|r| r.failure = Some(failure));
}

/// A decoded answer and its rate-limit headers.
#[derive(Debug)]
pub(crate) struct Answer<T> {
    pub(crate) body: T,
    pub(crate) rate_limit: Option<RateLimit>,
}

/// Awaits `operation` (a generated `send()`) inside a call scope, so the
/// hooks can record what progenitor's error would lose, and maps the result.
pub(crate) async fn run<T, F>(operation: F) -> Result<Answer<T>, Error>
where
    T: DeserializeOwned,
    F: Future<Output = Result<ResponseValue<T>, GenError<ErrorBody>>>,
{
    let (result, record) = CALL
        .scope(RefCell::new(CallRecord::default()), async {
            let result = operation.await;
            (result, CALL.with(RefCell::take))
        })
        .await;
    match result {
        Ok(value) => Ok(Answer {
            body: value.into_inner(),
            rate_limit: record.hints.rate_limit,
        }),
        Err(e) => {
            let attempts = record.attempts;
            let mut error = map_error::<T>(e, record).await;
            match &mut error {
                Error::Api(api) => api.attempts = attempts,
                Error::Transport(t) => t.attempts = attempts,
                _ => {}
            }
            Err(error)
        }
    }
}

async fn map_error<T: DeserializeOwned>(error: GenError<ErrorBody>, record: CallRecord) -> Error {
    if let Some(failure) = record.failure {
        // The hooks' own error (a body over the cap) outranks progenitor's
        // report of the stand-in response.
        return failure;
    }
    let hints = record.hints;
    match error {
        GenError::ErrorResponse(value) => {
            let status = value.status();
            let body = value.into_inner();
            api_error(
                status,
                hints,
                ApiErrorKind::from_name(&body.name),
                Some(body.name),
                body.message,
            )
        }
        GenError::InvalidResponsePayload(bytes, source) => match record.error_status {
            // An error status whose body is not Resend's JSON error.
            Some(status) => unstructured(status, hints, &bytes),
            None => decode_error::<T>(StatusCode::OK, &bytes, source),
        },
        GenError::UnexpectedResponse(response) => {
            // A status the spec does not list: 1xx, 2xx other than 200, 3xx.
            let status = response.status();
            let body = response.bytes().await.unwrap_or_default();
            unstructured(status, hints, &body)
        }
        GenError::CommunicationError(source)
        | GenError::ResponseBodyError(source)
        | GenError::InvalidUpgrade(source) => TransportError {
            source,
            attempts: 0,
        }
        .into(),
        GenError::InvalidRequest(message) | GenError::Custom(message) => {
            // The ergonomic layer validates first, so this means the
            // generated client disagrees with it: report, don't panic.
            InvalidArgument::new("request", &message, InvalidReason::Rejected).into()
        }
    }
}

fn api_error(
    status: StatusCode,
    hints: Hints,
    kind: ApiErrorKind,
    name: Option<String>,
    message: String,
) -> Error {
    ApiError {
        status,
        kind,
        name,
        message,
        rate_limit: hints.rate_limit,
        retry_after: hints.retry_after,
        attempts: 0,
    }
    .into()
}

fn unstructured(status: StatusCode, hints: Hints, body: &[u8]) -> Error {
    api_error(
        status,
        hints,
        ApiErrorKind::Unstructured,
        None,
        snippet(body),
    )
}

pub(crate) fn decode_error<T: DeserializeOwned>(
    status: StatusCode,
    bytes: &Bytes,
    source: serde_json::Error,
) -> Error {
    // Decode again, on this rare path only, to learn where it failed.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => (e.path().to_string(), e.into_inner()),
        Ok(_) => (".".to_owned(), source),
    };
    DecodeError {
        status,
        path,
        snippet: snippet(bytes),
        source,
    }
    .into()
}

/// The start of a body as text, for an error message.
fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_CHARS * 4)];
    truncate_chars(String::from_utf8_lossy(head).trim(), SNIPPET_CHARS)
}
