//! One request, attempted until [`decide`] says stop: wait for the rate
//! gate, send, read the body whole, record what progenitor would lose, and
//! wait before the next attempt. No wait, the server's or the gate's, ever
//! runs past the call's deadline: a call that would have to is answered at
//! once, with the last response or, when nothing was sent, a
//! [`Throttled`] error.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::{Request, Response};

use super::body::{Fetched, error_name, fetch_whole};
use super::gate::{TooLate, later};
use super::headers::Hints;
use super::record::CallContext;
use super::retry::{Decision, Outcome, Wait, decide, jitter};
use crate::error::{ResponseTooLarge, Throttled, is_tls_failure, retryable};
use crate::trace::event;

/// Sends `request` with the client's retry policy, rate gate and size cap.
pub(crate) async fn execute(
    http: &reqwest::Client,
    context: &CallContext,
    request: Request,
) -> reqwest::Result<Response> {
    let config = &*context.settings;
    let policy = &config.retry;
    let started = tokio::time::Instant::now();
    let deadline = started.checked_add(policy.deadline);
    let mut request = request;
    let mut attempt: u32 = 0;
    // The previous attempt's result, answered if the gate refuses a retry.
    let mut previous: Option<reqwest::Result<Fetched>> = None;
    loop {
        attempt = attempt.saturating_add(1);
        // The last allowed attempt sends the original; earlier ones a copy
        // (GET has no body, so one always exists; if not, no retry).
        let (sent, kept) = match attempt < policy.max_attempts {
            true => match request.try_clone() {
                Some(copy) => (copy, Some(request)),
                None => (request, None),
            },
            false => (request, None),
        };
        let waited = match config.gate.wait_turn(deadline).await {
            Ok(waited) => waited,
            Err(too_late) => {
                event!(
                    tracing::Level::WARN,
                    attempt,
                    "not sent: the wait would pass the deadline"
                );
                return match previous {
                    Some(previous) => previous.map(|f| finish(context, f)),
                    None => Ok(throttled(context, too_late, policy.deadline)),
                };
            }
        };
        if !waited.is_zero() {
            event!(
                tracing::Level::DEBUG,
                attempt,
                waited_ms = crate::trace::millis(waited),
                "waited for the rate-limit window"
            );
        }
        let sending = config.gate.outstanding.start();
        let fetched = fetch_whole(http, sent, config.max_response_bytes).await;
        let others_in_flight = sending.others();
        drop(sending);
        context.record().attempts = attempt;

        let (hints, name);
        let outcome = match &fetched {
            Ok(Fetched::Whole(response)) => {
                let status = response.status();
                event!(
                    tracing::Level::DEBUG,
                    attempt,
                    status = status.as_u16(),
                    "response"
                );
                hints = Hints::read(response.headers(), SystemTime::now());
                context.record().hints = hints;
                // What the server asked of the next request holds for every
                // clone of this client, whatever this call does next.
                config.gate.heed_answer(&hints, others_in_flight);
                if status.is_success() {
                    break fetched.map(|f| finish(context, f));
                }
                name = error_name(response);
                let refused_for_rate = status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    && retryable(status, name.as_deref());
                config.gate.heed_refusal(&hints, refused_for_rate);
                Outcome::Status {
                    status,
                    name: name.as_deref(),
                    hints: &hints,
                }
            }
            Ok(Fetched::TooLarge { .. }) => break fetched.map(|f| finish(context, f)),
            Err(e) => {
                event!(tracing::Level::DEBUG, attempt, error = %e, "request failed");
                Outcome::Transport {
                    permanent: e.is_builder() || e.is_redirect() || is_tls_failure(e),
                }
            }
        };
        let decision = decide(attempt, started.elapsed(), &outcome, policy);
        let (Decision::Retry(wait), Some(kept)) = (decision, kept) else {
            event!(tracing::Level::DEBUG, attempt, ?decision, "not retrying");
            break fetched.map(|f| finish(context, f));
        };
        let wait = match wait {
            // Already set on the gate above, for the clones.
            Wait::Server(wait) => wait,
            Wait::Backoff { bound } => jitter(bound),
        };
        // The gate may hold the retry back longer than this wait (a window
        // closed for an hour beside a retry-after of a second).
        let start = later(tokio::time::Instant::now(), wait).max(config.gate.earliest_start());
        if deadline.is_some_and(|d| start > d) {
            event!(
                tracing::Level::DEBUG,
                attempt,
                "not retrying: the gate's wait passes the deadline"
            );
            break fetched.map(|f| finish(context, f));
        }
        request = kept;
        previous = Some(fetched);
        event!(
            tracing::Level::WARN,
            attempt,
            wait_ms = crate::trace::millis(wait),
            "retrying"
        );
        tokio::time::sleep(wait).await;
    }
}

/// The stand-in for a request the gate refused: the call reports the
/// recorded [`Throttled`] error.
fn throttled(context: &CallContext, too_late: TooLate, deadline: Duration) -> Response {
    let wait = too_late
        .until
        .saturating_duration_since(tokio::time::Instant::now());
    let until = SystemTime::now()
        .checked_add(wait)
        .unwrap_or_else(SystemTime::now);
    context.record().failure = Some(
        Throttled {
            until,
            wait,
            deadline,
        }
        .into(),
    );
    stand_in()
}

/// Turns what was fetched into what progenitor expects, recording what it
/// would lose.
fn finish(context: &CallContext, fetched: Fetched) -> Response {
    match fetched {
        Fetched::Whole(response) => {
            let status = response.status();
            if !status.is_success() {
                context.record().error_status = Some(status);
            }
            response
        }
        Fetched::TooLarge {
            status,
            limit,
            received,
        } => {
            // progenitor cannot carry our error: record it; the `post`
            // hook then stops the operation, and the call reports it.
            context.record().failure = Some(
                ResponseTooLarge {
                    status,
                    limit,
                    received,
                }
                .into(),
            );
            stand_in()
        }
    }
}

/// The response handed to progenitor when the call failed on its own
/// account: never decoded, since the `post` hook stops the operation.
fn stand_in() -> Response {
    Response::from(http::Response::new(Bytes::new()))
}
