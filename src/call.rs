//! Runs one generated operation and turns progenitor's error into ours.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{
    ApiError, ApiErrorKind, DecodeError, Error, InvalidArgument, InvalidReason, TransportError,
    truncate_chars,
};
use crate::generated::types::ErrorBody;
use crate::hooks::{CALL, CallRecord};
use crate::ratelimit::{RateLimit, retry_after};

/// Longest part of a response body kept in an error.
const SNIPPET_CHARS: usize = 200;

/// Awaits `operation` (a generated `send()`) inside a call scope, so the
/// hooks can record what progenitor's error would lose, and maps the result.
pub(crate) async fn run<T, F>(operation: F) -> Result<ResponseValue<T>, Error>
where
    T: DeserializeOwned,
    F: Future<Output = Result<ResponseValue<T>, GenError<ErrorBody>>>,
{
    let (result, record) = CALL
        .scope(RefCell::new(CallRecord::default()), async {
            let result = operation.await;
            (result, CALL.with(|r| r.take()))
        })
        .await;
    match result {
        Ok(value) => Ok(value),
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
    match error {
        GenError::ErrorResponse(value) => {
            let (status, headers) = (value.status(), value.headers().clone());
            let body = value.into_inner();
            api_error(
                status,
                &headers,
                ApiErrorKind::from_name(&body.name),
                Some(body.name),
                body.message,
            )
        }
        GenError::InvalidResponsePayload(bytes, source) => match record.error_status {
            // An error status whose body is not Resend's JSON error.
            Some((status, headers)) => unstructured(status, &headers, &bytes),
            None => decode_error::<T>(StatusCode::OK, &bytes, source),
        },
        GenError::UnexpectedResponse(response) => {
            // A status the spec does not list: 1xx, 2xx other than 200, 3xx.
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            unstructured(status, &headers, &body)
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
    headers: &HeaderMap,
    kind: ApiErrorKind,
    name: Option<String>,
    message: String,
) -> Error {
    ApiError {
        status,
        kind,
        name,
        message,
        rate_limit: RateLimit::from_headers(headers),
        retry_after: retry_after(headers, std::time::SystemTime::now()),
        attempts: 0,
    }
    .into()
}

fn unstructured(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    api_error(
        status,
        headers,
        ApiErrorKind::Unstructured,
        None,
        snippet(body),
    )
}

fn decode_error<T: DeserializeOwned>(
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
pub(crate) fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_CHARS * 4)];
    truncate_chars(String::from_utf8_lossy(head).trim(), SNIPPET_CHARS)
}
