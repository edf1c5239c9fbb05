//! The async driver of the attempt machine (`attempt.rs`): it takes the
//! steps the machine names (a turn at the rate gate and a send, a sleep,
//! the answer) and tells it what each came to. Each response's headers
//! are heeded on the gate for every clone, and recorded for the call. A
//! call whose wait would pass its deadline is answered at once, with the
//! last response or, when nothing was sent, a [`Throttled`] error.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]
// Some bindings only feed the `tracing` feature's events.
#![cfg_attr(not(feature = "tracing"), allow(unused_variables))]

use std::time::SystemTime;

use bytes::Bytes;
use reqwest::{Request, Response};
use tokio::time::Instant;

use super::attempt::{Answered, Attempts, Finish, Step};
use super::body::{Fetched, error_name, fetch_whole};
use super::gate::LaneTicket;
use super::headers::{Hints, server_clock};
use super::record::CallContext;
use super::retry::{Outcome, jitter};
use crate::error::{HeldBy, ResponseTooLarge, Throttled, is_tls_failure, retryable};
use crate::metrics;
use crate::trace::event;

/// Sends `request` with the client's retry policy, rate gate and size cap.
pub(crate) async fn execute(
    http: &reqwest::Client,
    context: &CallContext,
    request: Request,
) -> reqwest::Result<Response> {
    let settings = &*context.settings;
    let mut attempts = Attempts::new(&settings.retry, settings.gate.max_hold(), Instant::now());
    let mut request = Some(request);
    // The previous attempt's result, answered if the gate refuses a retry.
    let mut previous: Option<reqwest::Result<Fetched>> = None;
    loop {
        let (attempt, by, copy) = match attempts.step() {
            Step::Send { attempt, by, copy } => (attempt, by, copy),
            Step::Sleep { after, wait, until } => {
                event!(
                    tracing::Level::WARN,
                    attempt = after,
                    wait_ms = crate::trace::millis(wait),
                    "retrying"
                );
                {
                    // A lease keeper renews while the call waits.
                    let _waiting = context.lane.as_ref().map(LaneTicket::wait);
                    tokio::time::sleep_until(until).await;
                }
                attempts.slept();
                continue;
            }
            Step::Finish(Finish::Refused { until, by_lane }) => {
                return refused(context, previous, until, by_lane);
            }
            // Answered below, where its attempt came back.
            Step::Finish(Finish::Last(_)) => {
                return refused(context, previous, Instant::now(), false);
            }
        };
        // A copy is sent while a retry may follow (GET has no body, so one
        // always exists; if not, no retry). The machine sends again only
        // when a copy was kept.
        let Some(original) = request.take() else {
            return refused(context, previous, Instant::now(), false);
        };
        let (sent, kept) = match copy.then(|| original.try_clone()).flatten() {
            Some(copy) => (copy, Some(original)),
            None => (original, None),
        };
        match settings.gate.wait_turn(by, context.lane.as_ref()).await {
            Ok(waited) if !waited.is_zero() => event!(
                tracing::Level::DEBUG,
                attempt,
                waited_ms = crate::trace::millis(waited),
                "waited for the rate-limit window"
            ),
            Ok(_) => {}
            Err(too_late) => {
                event!(
                    tracing::Level::WARN,
                    attempt,
                    by_lane = too_late.by_lane,
                    "not sent: the wait would pass the deadline"
                );
                attempts.refused(too_late.until, too_late.by_lane);
                continue;
            }
        }
        let sent = send(http, context, attempt, sent).await;
        attempts.answered(
            Instant::now(),
            answered(&sent, kept.is_some()),
            settings.gate.earliest_start(),
            jitter,
        );
        let fetched = sent.map(|sent| sent.fetched);
        if let Step::Finish(Finish::Last(ended)) = attempts.step() {
            event!(tracing::Level::DEBUG, attempt, ?ended, "answered");
            return fetched.map(|f| finish(context, f));
        }
        request = kept;
        previous = Some(fetched);
    }
}

/// The answer to a call the gate refused a turn that would have come at
/// `until` (held back by its lane, or by the rate limit): the previous
/// attempt's result, or, when nothing was sent, a throttled error.
fn refused(
    context: &CallContext,
    previous: Option<reqwest::Result<Fetched>>,
    until: Instant,
    by_lane: bool,
) -> reqwest::Result<Response> {
    match previous {
        Some(previous) => previous.map(|f| finish(context, f)),
        None => Ok(throttled(context, until, by_lane)),
    }
}

/// An attempt that came back, with what its headers said and, for an
/// error status, the status and Resend's error `name`.
struct Sent {
    fetched: Fetched,
    hints: Hints,
    failed: Option<(reqwest::StatusCode, Option<String>)>,
}

/// What an attempt came to, for the machine; `copied`: whether a copy of
/// the request was kept for a retry.
fn answered(sent: &reqwest::Result<Sent>, copied: bool) -> Answered<'_> {
    match sent {
        Ok(Sent {
            failed: Some((status, name)),
            hints,
            ..
        }) => Answered::Failed {
            outcome: Outcome::Status {
                status: *status,
                name: name.as_deref(),
                hints,
            },
            copied,
        },
        Ok(_) => Answered::Done,
        Err(e) => Answered::Failed {
            outcome: Outcome::Transport {
                permanent: e.is_builder() || e.is_redirect() || is_tls_failure(e),
            },
            copied,
        },
    }
}

/// Sends attempt `attempt`, counted as outstanding until answered, reads
/// the body under the cap, and heeds and records what the headers say.
async fn send(
    http: &reqwest::Client,
    context: &CallContext,
    attempt: u32,
    request: Request,
) -> reqwest::Result<Sent> {
    let settings = &*context.settings;
    let sent_at = Instant::now();
    if let Some(ticket) = &context.lane {
        ticket.lane.sent();
    }
    let sending = settings.gate.outstanding.start();
    // The client's other requests outstanding as this one goes out: their
    // answers may come back in any order.
    let beside = sending.others();
    let fetched = fetch_whole(http, request, settings.max_response_bytes).await;
    let others = sending.others();
    drop(sending);
    context.record().attempts = attempt;
    let fetched = fetched.inspect_err(|e| {
        event!(tracing::Level::DEBUG, attempt, error = %e, "request failed");
    })?;
    let Fetched::Whole(response) = &fetched else {
        return Ok(Sent {
            fetched,
            hints: Hints::default(),
            failed: None,
        });
    };
    let status = response.status();
    event!(
        tracing::Level::DEBUG,
        attempt,
        status = status.as_u16(),
        "response"
    );
    let hints = Hints::read(response.headers(), SystemTime::now());
    {
        let mut record = context.record();
        record.hints = hints;
        record.server_clock = server_clock(response.headers());
    }
    // What the server asked of the next request holds for every clone of
    // this client, whatever this call does next.
    settings.gate.heed_answer(&hints, others, sent_at, beside);
    let failed = (!status.is_success()).then(|| {
        let name = error_name(response);
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            metrics::count!(metrics::RATE_LIMITED, 1, "operation" => context.record().operation);
        }
        let refused_for_rate =
            status == reqwest::StatusCode::TOO_MANY_REQUESTS && retryable(status, name.as_deref());
        settings.gate.heed_refusal(&hints, refused_for_rate);
        (status, name)
    });
    Ok(Sent {
        fetched,
        hints,
        failed,
    })
}

/// The stand-in for a request the gate refused: the call reports the
/// recorded [`Throttled`] error, naming what held it back.
fn throttled(context: &CallContext, until: Instant, by_lane: bool) -> Response {
    let deadline = context.settings.retry.deadline;
    let wait = until.saturating_duration_since(Instant::now());
    let until = SystemTime::now()
        .checked_add(wait)
        .unwrap_or_else(SystemTime::now);
    context.record().failure = Some(
        Throttled {
            until,
            wait,
            deadline,
            held_by: match (&context.lane, by_lane) {
                (Some(ticket), true) => HeldBy::Lane {
                    name: ticket.lane.name().to_owned(),
                },
                _ => HeldBy::RateLimit,
            },
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
