//! No wait runs past a call's deadline, however large the wait a server
//! names, and no header's number can overflow the time arithmetic. (Each
//! failed before its fix.)

use std::sync::atomic::Ordering;
use std::time::Duration;

use resend_workflows::{Error, RetryPolicy};
use tokio::time::Instant;

use crate::common::raw::{self};
use crate::common::{paused_builder, paused_client};

// A reset of u64::MAX seconds once panicked adding it to Instant::now().
#[tokio::test(start_paused = true)]
async fn a_huge_ratelimit_reset_neither_panics_nor_holds_the_client_past_its_deadline() {
    let huge = u64::MAX.to_string();
    let server = raw::scripted(vec![raw::json(
        200,
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", &huge)],
        &raw::list(false, &["a"]),
    )])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let page = client.list_workflow_runs("wf").send().await.unwrap();
    assert_eq!(page.runs().len(), 1);
    // The window is closed for longer than any deadline (and held for the
    // client's bound, 5 minutes): the next request fails at once, sending
    // nothing, and says when to come back.
    let t0 = Instant::now();
    let err = client
        .clone()
        .list_workflow_runs("wf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert!(matches!(err, Error::Throttled(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(
        err.retry_after(),
        Some(resend_workflows::DEFAULT_MAX_SERVER_WAIT),
        "{err:?}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

// One 429 with `retry-after: 2678400` (31 days, under the cap on what a
// header may say) once held the client and every clone for a month: an
// hour of calls every 5 s sent 1 request.
#[tokio::test(start_paused = true)]
async fn no_single_answer_holds_the_client_for_a_month() {
    let month = (31 * 24 * 3600).to_string();
    let server = raw::scripted(vec![
        raw::json(
            429,
            &[("retry-after", &month)],
            &raw::error_body(429, "rate_limit_exceeded", "slow down"),
        ),
        raw::json(200, &[], &raw::list(false, &["a"])),
    ])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    // The first call fails at once with the server's own wait in its error.
    let t0 = Instant::now();
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(31 * 24 * 3600)));
    // An hour of calls, one every 5 s, from clones: for the bound (5
    // minutes) nothing is sent; then every call is.
    let (mut sent_early, mut ok) = (0, 0);
    for i in 1..=720u64 {
        tokio::time::sleep_until(t0 + Duration::from_secs(5 * i)).await;
        let result = client.clone().list_workflow_runs("wf").send().await;
        if Instant::now() < t0 + resend_workflows::DEFAULT_MAX_SERVER_WAIT {
            sent_early += server.requests.load(Ordering::SeqCst) - 1;
        }
        ok += usize::from(result.is_ok());
    }
    assert_eq!(sent_early, 0, "held back for the bound");
    let requests = server.requests.load(Ordering::SeqCst);
    // 720 calls: the first 47 (at 5..235 s) refused at once, the next 12
    // (240..295 s) waited to 300 s; every call from then on sent.
    assert_eq!(ok, 720 - 47, "{requests} requests");
    assert_eq!(requests, 1 + ok);
}

// `elapsed + wait` once overflowed on a second retry-after of u64::MAX.
#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_on_a_retry_neither_panics_nor_waits() {
    let huge = u64::MAX.to_string();
    let body = raw::error_body(503, "service_unavailable", "down");
    let server = raw::scripted(vec![
        raw::json(503, &[("retry-after", "1")], &body),
        raw::json(503, &[("retry-after", &huge)], &body),
    ])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let t0 = Instant::now();
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert_eq!(t0.elapsed(), Duration::from_secs(1));
    assert_eq!(
        (err.status().map(|s| s.as_u16()), err.attempts()),
        (Some(503), Some(2))
    );
    assert!(
        err.retry_after()
            .is_some_and(|d| d > Duration::from_secs(86_400))
    );
}

// A retry-after of 1 s beside a window closed for an hour: the gate
// once slept the hour under a 60 s deadline.
#[tokio::test(start_paused = true)]
async fn a_retry_whose_gate_wait_would_pass_the_deadline_is_not_taken() {
    let body = raw::error_body(503, "service_unavailable", "down");
    let server = raw::scripted(vec![
        raw::json(
            503,
            &[
                ("retry-after", "1"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "3600"),
            ],
            &body,
        ),
        raw::json(200, &[], &raw::list(false, &["a"])),
    ])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let t0 = Instant::now();
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO, "failed at once: {err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(err.is_retryable());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

// A 200 with nothing left for a day once made every clone's next
// request wait the day, whatever its deadline. (Clients that allow waits
// of a day: the default bound is 5 minutes.)
#[tokio::test(start_paused = true)]
async fn an_exhausted_window_past_the_deadline_fails_every_clone_at_once() {
    let day_long = |base: &str, retry| {
        paused_builder(base, retry)
            .max_server_wait(Duration::from_secs(2 * 86_400))
            .build()
            .unwrap()
    };
    for (status, headers, body) in [
        (
            200,
            vec![("ratelimit-remaining", "0"), ("ratelimit-reset", "86400")],
            raw::list(false, &["a"]),
        ),
        (
            429,
            vec![("retry-after", "86400")],
            raw::error_body(
                429,
                "daily_quota_exceeded",
                "You have reached your daily quota.",
            ),
        ),
    ] {
        let server = raw::scripted(vec![
            raw::json(status, &headers, &body),
            raw::json(200, &[], &raw::list(false, &["a"])),
        ])
        .await;
        let client = day_long(&server.base_url, RetryPolicy::default());
        let _ = client.list_workflow_runs("wf").send().await;
        let t0 = Instant::now();
        let clone = client.clone();
        let err = clone.list_workflow_runs("wf").send().await.unwrap_err();
        assert_eq!(t0.elapsed(), Duration::ZERO, "{status}: {err}");
        let Error::Throttled(throttled) = &err else {
            panic!("{status}: a throttled error expected, got {err:?}")
        };
        assert_eq!(throttled.retry_after(), Duration::from_secs(86_400));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(86_400)));
        assert!(
            err.is_retryable() && err.to_string().contains("deadline"),
            "{err}"
        );
        assert_eq!(
            server.requests.load(Ordering::SeqCst),
            1,
            "nothing was sent"
        );
        // A caller with a longer deadline waits for the window instead.
        let server = raw::scripted(vec![
            raw::json(status, &headers, &body),
            raw::json(200, &[], &raw::list(false, &["a"])),
        ])
        .await;
        let patient = day_long(
            &server.base_url,
            RetryPolicy::default().deadline(Duration::from_secs(100_000)),
        );
        let _ = patient.list_workflow_runs("wf").send().await;
        let t1 = Instant::now();
        patient.list_workflow_runs("wf").send().await.unwrap();
        assert_eq!(t1.elapsed(), Duration::from_secs(86_400), "{status}");
    }
}
