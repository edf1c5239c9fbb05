//! Reading a response whole, at most the client's cap of it, so the hooks
//! can decide on retries with the body in hand and progenitor decodes from
//! memory.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use bytes::{Bytes, BytesMut};
use reqwest::{Request, Response, StatusCode};

/// The most a buffer is sized ahead of the bytes that arrived: a 100-run
/// page is about 30 KiB.
const PREALLOC_MAX: usize = 256 * 1024;

/// A response read whole, or the reason it was not.
pub(crate) enum Fetched {
    Whole(Response),
    TooLarge {
        status: StatusCode,
        limit: u64,
        received: u64,
    },
}

/// Sends `request` and reads the whole body, at most `cap` bytes of it. A
/// body cut off or stalled surfaces here as a (retryable) reqwest error.
pub(crate) async fn fetch_whole(
    client: &reqwest::Client,
    request: Request,
    cap: usize,
) -> reqwest::Result<Fetched> {
    let mut response = client.execute(request).await?;
    let status = response.status();
    let too_large = |received: u64| Fetched::TooLarge {
        status,
        limit: cap as u64,
        received,
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
        received = received.saturating_add(chunk.len());
        if received > cap {
            return Ok(too_large(received as u64));
        }
        match (&mut joined, first.take()) {
            (Some(buffer), _) => buffer.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(head)) => {
                // Grow with what arrives: an announced length is a claim,
                // so it sizes the buffer only up to a small bound.
                let hint = announced.map_or(received.saturating_mul(2), |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                });
                let mut buffer = BytesMut::with_capacity(hint.min(PREALLOC_MAX).max(received));
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

/// Resend's error `name` from an error response read by [`fetch_whole`],
/// if its body is JSON with one.
pub(crate) fn error_name(response: &Response) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        name: Option<String>,
    }
    // The body was buffered by fetch_whole; peek at it without consuming.
    let body = response.extensions().get::<BufferedBody>()?;
    serde_json::from_slice::<Named>(&body.0).ok()?.name
}

/// A copy of an error response's body, kept where `error_name` can see it.
#[derive(Clone)]
struct BufferedBody(Bytes);
