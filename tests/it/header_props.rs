//! Arbitrary header values against single requests and streams, on a
//! paused clock: whatever `retry-after`, `ratelimit-*` and the structured
//! `RateLimit` and `RateLimit-Policy` say (any bytes, any numbers, dates
//! from year 0 to 9999, structured items with any numbers), the client
//! never panics, no call waits past its deadline nor past its
//! `max_server_wait`, and no clone waits past its own.

use std::time::Duration;

use futures::StreamExt;
use proptest::prelude::*;
use resend_workflows::RetryPolicy;
use tokio::time::Instant;

use crate::common::paused_builder;
use crate::common::raw::{self, Action};

const HEADERS: [&str; 8] = [
    "retry-after",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-limit",
    "ratelimit-policy",
    "ratelimit",
    "RateLimit-Policy",
    "RateLimit",
];

/// The longest a call may be held by what a server says, below the
/// deadlines drawn.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(30);

/// A number as a structured field writes it, or not quite: any size or
/// sign.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..200).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u64..1_000_000_000_000_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
    ]
}

/// A structured field's value: one or more policies or current windows
/// (the draft's form and the old `N;w=W`), with any numbers.
fn structured() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        Just("\"default\"".to_owned()),
        Just("\"burst\"".to_owned()),
        Just("day".to_owned()),
    ];
    let item = prop_oneof![
        (name.clone(), number(), number()).prop_map(|(n, q, w)| format!("{n};q={q};w={w}")),
        (name, number(), number()).prop_map(|(n, r, t)| format!("{n};r={r};t={t}")),
        (number(), number()).prop_map(|(q, w)| format!("{q};w={w}")),
    ];
    proptest::collection::vec(item, 1..4).prop_map(|items| items.join(", ").into_bytes())
}

/// A header value: a number of any size or sign, a date, or any bytes a
/// header line can carry.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        (0u64..200).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        any::<f64>().prop_map(|n| n.to_string().into_bytes()),
        (0i32..=9999, 1u32..=12, 1u32..=28, 0u32..86_400).prop_map(|(y, m, d, s)| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|date| date.and_hms_opt(s / 3600, s / 60 % 60, s % 60))
                .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
                .unwrap_or_default()
                .into_bytes()
        }),
        proptest::collection::vec(
            prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff],
            0..40
        ),
        structured(),
        structured(),
    ]
}

/// One scripted answer: a status and some of the headers.
fn answer() -> impl Strategy<Value = (u16, Vec<(usize, Vec<u8>)>)> {
    (
        prop_oneof![Just(200u16), Just(429), Just(500), Just(503)],
        proptest::collection::vec((0usize..HEADERS.len(), value()), 0..6),
    )
}

fn response(status: u16, headers: &[(usize, Vec<u8>)], has_more: bool, id: usize) -> Vec<u8> {
    let body = match status {
        200 => format!(
            r#"{{"object":"list","has_more":{has_more},"data":[{{"id":"r{id}","status":"completed","created_at":"2026-01-01T00:00:00Z"}}]}}"#
        ),
        _ => format!(r#"{{"statusCode":{status},"name":"rate_limit_exceeded","message":"x"}}"#),
    };
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(HEADERS[*name].as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_header_makes_a_call_panic_or_wait_past_its_deadline(
        script in proptest::collection::vec(answer(), 1..6),
        deadline_secs in prop_oneof![Just(0u64), Just(1), Just(10), Just(60), Just(3600)],
        attempts in 1u32..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let deadline = Duration::from_secs(deadline_secs);
        rt.block_on(async {
            let script: Vec<Vec<u8>> = script
                .iter()
                .enumerate()
                .map(|(i, (status, headers))| response(*status, headers, i % 2 == 0, i))
                .collect();
            let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let seen = arrivals.clone();
            let server = raw::start(move |_, n| {
                seen.lock().unwrap().push(Instant::now());
                Action::Raw(script[n % script.len()].clone())
            })
            .await;
            let policy = RetryPolicy::default()
                .max_attempts(attempts)
                .base_delay(Duration::from_millis(100))
                .deadline(deadline);
            let client = paused_builder(&server.base_url, policy)
                .max_server_wait(MAX_SERVER_WAIT)
                .build()
                .unwrap();
            // A single request, then a clone's, each within its deadline.
            for c in [client.clone(), client.clone()] {
                let t0 = Instant::now();
                let _ = c.list_workflow_runs("wf").limit(1).send().await;
                prop_assert!(t0.elapsed() <= deadline, "a call took {:?}", t0.elapsed());
            }
            // A stream: each page is one call with its own deadline.
            let t0 = Instant::now();
            let items: Vec<_> = client.list_workflow_runs("wf").limit(1).max_pages(4).stream().collect().await;
            let pages = u32::try_from(items.len().max(1)).unwrap_or(u32::MAX);
            prop_assert!(
                t0.elapsed() <= deadline * (pages + 1),
                "{} items took {:?}", items.len(), t0.elapsed()
            );
            // No wait a server names (a pace learned from it included)
            // holds a request back past `max_server_wait` (the retries'
            // backoff is shorter).
            let arrivals = arrivals.lock().unwrap().clone();
            for pair in arrivals.windows(2) {
                let gap = pair[1] - pair[0];
                prop_assert!(
                    gap <= MAX_SERVER_WAIT + Duration::from_secs(1),
                    "{gap:?} between two requests"
                );
            }
            Ok(())
        })?;
    }
}
