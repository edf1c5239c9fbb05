//! What a call comes to: the generated operation's result and the call's
//! record, made into an [`Answer`] or one of the crate's errors.

use bytes::Bytes;
use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::generated::types::ErrorBody;
use super::headers::Hints;
use super::record::CallRecord;
use crate::error::{
    ApiError, ApiErrorKind, DecodeError, Error, InvalidArgument, InvalidReason, KeptBody,
    TransportError,
};
use crate::rate_limit::RateLimit;
use crate::text::truncate_chars;
use crate::timestamp::Timestamp;

/// Longest part of a response body kept in an error.
const SNIPPET_CHARS: usize = 200;

/// A decoded answer, its rate-limit headers and the server's clock.
#[derive(Debug)]
pub(crate) struct Answer<T> {
    pub(crate) body: T,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) server_clock: Option<Timestamp>,
}

/// The call's outcome, from the generated operation's result and the
/// record the hooks kept.
pub(crate) async fn answer<T: DeserializeOwned>(
    result: Result<ResponseValue<T>, GenError<ErrorBody>>,
    record: CallRecord,
) -> Result<Answer<T>, Error> {
    match result {
        Ok(value) => Ok(Answer {
            body: value.into_inner(),
            rate_limit: record.hints.rate_limit,
            server_clock: record.server_clock,
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
        // The hooks' own error (a body over the cap, a request held back):
        // the `post` hook stopped the operation with `Custom` for it.
        return failure;
    }
    let (hints, server_clock) = (record.hints, record.server_clock);
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
            None => {
                let mut error = decode_error::<T>(StatusCode::OK, &bytes, source);
                if let Error::Decode(decode) = &mut error {
                    decode.kept = Some(Box::new(KeptBody {
                        body: bytes,
                        rate_limit: hints.rate_limit,
                        server_clock,
                    }));
                }
                error
            }
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
        GenError::InvalidRequest(message) => {
            // The ergonomic layer validates first, so this means the
            // generated client disagrees with it: report, don't panic.
            InvalidArgument::new("request", &message, InvalidReason::Rejected).into()
        }
        GenError::Custom(message) => {
            // Only the `post` hook stops an operation, and only after
            // recording why: a `Custom` without a failure is a bug here.
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

/// A decode failure of a success body, with the path where it failed.
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
        kept: None,
    }
    .into()
}

/// The start of a body as text, for an error message.
fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_CHARS * 4)];
    truncate_chars(String::from_utf8_lossy(head).trim(), SNIPPET_CHARS)
}
