//! The hooks progenitor's generated operations call around every request:
//! authentication, user agent and timeout (`pre`); rate-limit waits,
//! retries, the response-size cap and tracing (`exec`). What progenitor's
//! own error type would lose is recorded for the call wrapper (`call.rs`).

use std::cell::RefCell;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, USER_AGENT};
use reqwest::{Request, Response, StatusCode};

use crate::client::Inner;
use crate::error::{Error, ResponseTooLarge, is_tls_failure};
use crate::generated::Client;
use crate::ratelimit::header_u64;
use crate::retry::{retryable_status, server_wait};
use crate::trace::event;

/// progenitor adds `api-version: <info.version>`; Resend has no versioning
/// header, so it is removed rather than sent.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// What `exec` saw that progenitor's error type would lose: the status of a
/// non-JSON error body (the edge's HTML 403), the attempts made, and a
/// failure of the crate's own (a body over the size cap).
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) error_status: Option<(StatusCode, HeaderMap)>,
    pub(crate) attempts: u32,
    pub(crate) failure: Option<Error>,
}

tokio::task_local! {
    pub(crate) static CALL: RefCell<CallRecord>;
}

/// Updates the call record, if the request runs inside one.
fn record(update: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|r| update(&mut r.borrow_mut()));
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let inner = self.inner();
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        headers.insert(AUTHORIZATION, inner.authorization.clone());
        headers.insert(USER_AGENT, inner.user_agent.clone());
        // Per request, so it holds for a caller-supplied reqwest::Client too.
        *request.timeout_mut() = inner.timeout;
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            let span = tracing::debug_span!(
                "resend_request",
                operation = info.operation_id,
                path = request.url().path(),
            );
            exec_with_retries(self, request).instrument(span).await
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = info;
            exec_with_retries(self, request).await
        }
    }
}

/// A response read whole, or the reason it was not.
enum Fetched {
    Whole(Response),
    TooLarge(ResponseTooLarge),
}

async fn exec_with_retries(client: &Client, request: Request) -> reqwest::Result<Response> {
    let inner = client.inner();
    let policy = &inner.retry;
    let started = tokio::time::Instant::now();
    let mut original = Some(request);
    let mut attempt = 0;
    loop {
        attempt += 1;
        // The last allowed attempt sends the original; earlier ones a copy
        // (GET has no body, so one always exists; if not, no retry).
        let copy = match attempt < policy.max_attempts {
            true => original.as_ref().and_then(Request::try_clone),
            false => None,
        };
        let request = match copy {
            Some(copy) => copy,
            None => original.take().expect("the original request is still here"),
        };
        let waited = inner.gate.wait_turn().await;
        if !waited.is_zero() {
            event!(
                tracing::Level::DEBUG,
                attempt,
                waited_ms = waited.as_millis() as u64,
                "waited for the rate-limit window"
            );
        }
        let fetched = fetch_whole(client.client(), request, inner.max_response_bytes).await;
        record(|r| r.attempts = attempt);

        let (retryable, headers) = match &fetched {
            Ok(Fetched::Whole(response)) => {
                let status = response.status();
                event!(
                    tracing::Level::DEBUG,
                    attempt,
                    status = status.as_u16(),
                    "response"
                );
                let headers = response.headers();
                if header_u64(headers, "ratelimit-remaining") == Some(0)
                    && let Some(reset) = header_u64(headers, "ratelimit-reset")
                {
                    inner.gate.block_for(std::time::Duration::from_secs(reset));
                }
                if status.is_success() {
                    break fetched.map(finish);
                }
                let name = error_name(response);
                (
                    retryable_status(status, name.as_deref()),
                    Some(headers.clone()),
                )
            }
            Ok(Fetched::TooLarge(_)) => break fetched.map(finish),
            Err(e) => {
                event!(tracing::Level::DEBUG, attempt, error = %e, "request failed");
                let permanent = e.is_builder() || e.is_redirect() || is_tls_failure(e);
                (!permanent, None)
            }
        };
        if !retryable || original.is_none() || attempt >= policy.max_attempts {
            break fetched.map(finish);
        }
        // The server's wait (retry-after, or ratelimit-reset when nothing
        // remains) if it named one, else jittered backoff.
        let server = headers
            .as_ref()
            .and_then(|h| server_wait(h, SystemTime::now()));
        let wait = server.unwrap_or_else(|| policy.backoff(attempt));
        if started.elapsed() + wait > policy.deadline {
            event!(
                tracing::Level::WARN,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "not retrying: the wait would pass the deadline"
            );
            break fetched.map(finish);
        }
        if server.is_some() {
            // The server's wait holds for every clone of this client too.
            inner.gate.block_for(wait);
        }
        event!(
            tracing::Level::WARN,
            attempt,
            wait_ms = wait.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(wait).await;
    }
}

/// Turns what was fetched into what progenitor expects, recording what it
/// would lose.
fn finish(fetched: Fetched) -> Response {
    match fetched {
        Fetched::Whole(response) => {
            let status = response.status();
            if !status.is_success() {
                let headers = response.headers().clone();
                record(|r| r.error_status = Some((status, headers)));
            }
            response
        }
        Fetched::TooLarge(too_large) => {
            // progenitor cannot carry our error: record it, and hand over an
            // empty body, which fails decoding; the call wrapper then reports
            // the recorded error instead.
            record(|r| r.failure = Some(too_large.into()));
            Response::from(http::Response::new(Bytes::new()))
        }
    }
}

/// Sends `request` and reads the whole body, at most `cap` bytes of it. A
/// body cut off or stalled surfaces here as a (retryable) reqwest error.
async fn fetch_whole(
    client: &reqwest::Client,
    request: Request,
    cap: usize,
) -> reqwest::Result<Fetched> {
    let mut response = client.execute(request).await?;
    let status = response.status();
    let too_large = |received: u64| {
        Fetched::TooLarge(ResponseTooLarge {
            status,
            limit: cap as u64,
            received,
        })
    };
    let announced = response.content_length();
    if let Some(len) = announced
        && len > cap as u64
    {
        return Ok(too_large(len));
    }
    // A body that arrives in one chunk is kept as it is; only a body in
    // several chunks is copied into one buffer.
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut received = 0usize;
    while let Some(chunk) = response.chunk().await? {
        received += chunk.len();
        if received > cap {
            return Ok(too_large(received as u64));
        }
        match (&mut joined, first.take()) {
            (Some(buffer), _) => buffer.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(head)) => {
                let mut buffer =
                    BytesMut::with_capacity(announced.map_or(2 * received, |n| n as usize));
                buffer.extend_from_slice(&head);
                buffer.extend_from_slice(&chunk);
                joined = Some(buffer);
            }
        }
    }
    let body = match joined {
        Some(buffer) => buffer.freeze(),
        None => first.unwrap_or_default(),
    };
    let mut whole = http::Response::new(body.clone());
    if !status.is_success() {
        whole.extensions_mut().insert(BufferedBody(body));
    }
    *whole.status_mut() = status;
    *whole.version_mut() = response.version();
    *whole.headers_mut() = std::mem::take(response.headers_mut());
    Ok(Fetched::Whole(Response::from(whole)))
}

/// Resend's error `name` from a buffered error body, if it is JSON.
fn error_name(response: &Response) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        name: Option<String>,
    }
    // The body was buffered by fetch_whole; peek at it without consuming.
    let body = response_body_bytes(response)?;
    serde_json::from_slice::<Named>(body).ok()?.name
}

/// The bytes of a response built by `fetch_whole`.
fn response_body_bytes(response: &Response) -> Option<&[u8]> {
    response
        .extensions()
        .get::<BufferedBody>()
        .map(|b| b.0.as_ref())
}

/// A copy of the buffered body, kept where `error_name` can see it.
#[derive(Clone)]
struct BufferedBody(Bytes);
