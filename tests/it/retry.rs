//! Retries and rate-limit waits, on tokio's paused clock: waits are asserted
//! to the second, and take no real time.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::common::raw::{self, Action};
use crate::common::{assert_no_key, paused_client, seed_list};
use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};
use resend_workflows::{ApiErrorKind, RetryPolicy};
use tokio::time::Instant;

const WF: &str = "wf_1";

fn ok_body() -> String {
    common::valid("list_workflow_runs", 200, seed_list()).to_string()
}

fn error_json(status: u16, name: &str) -> String {
    common::valid(
        "list_workflow_runs",
        status,
        common::error_body(status, name, "test"),
    )
    .to_string()
}

/// One scripted answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

/// A mock whose n-th answer (0-based) is `script(n)`; later calls repeat the last.
async fn scripted(script: Vec<Answer>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start_async().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    server
        .mock_async(move |when, then| {
            when.any_request();
            then.respond_with(move |_: &HttpMockRequest| {
                let n = counter.fetch_add(1, Ordering::SeqCst).min(script.len() - 1);
                let (status, headers, body) = &script[n];
                let mut r = HttpMockResponse::builder()
                    .status(*status)
                    .header("content-type", "application/json");
                for (k, v) in headers {
                    r = r.header(*k, v.as_str());
                }
                r.body(body.clone()).build()
            });
        })
        .await;
    (server, calls)
}

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_honoured_to_the_second() {
    let (server, calls) = scripted(vec![
        (
            429,
            vec![("retry-after", "7".into())],
            error_json(429, "rate_limit_exceeded"),
        ),
        (200, vec![], ok_body()),
    ])
    .await;
    let client = paused_client(&server.base_url(), RetryPolicy::default());
    let t0 = Instant::now();
    let page = client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    assert_eq!((page.runs().len(), calls.load(Ordering::SeqCst)), (2, 2));
}

/// An HTTP date `secs` from now, truncated to whole seconds as the header
/// format is, and that instant.
fn http_date(secs: u64) -> (String, SystemTime) {
    let at = chrono::DateTime::<chrono::Utc>::from(SystemTime::now() + Duration::from_secs(secs));
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(at.timestamp().unsigned_abs());
    (date, whole)
}

/// The bounds a wait until `date` must fall in, measured by a client that
/// read the header between `before` and `after` (real time passes while the
/// paused clock does not).
fn wait_bounds(date: SystemTime, before: SystemTime, after: SystemTime) -> (Duration, Duration) {
    let low = date.duration_since(after).unwrap_or_default();
    let high = date.duration_since(before).unwrap_or_default();
    (low, high)
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_honoured() {
    let (header, date) = http_date(6);
    let (server, _) = scripted(vec![
        (
            503,
            vec![("retry-after", header)],
            error_json(503, "service_unavailable"),
        ),
        (200, vec![], ok_body()),
    ])
    .await;
    let client = paused_client(&server.base_url(), RetryPolicy::default());
    let (t0, before) = (Instant::now(), SystemTime::now());
    client.list_workflow_runs(WF).send().await.unwrap();
    let (waited, after) = (t0.elapsed(), SystemTime::now());
    let (low, high) = wait_bounds(date, before, after);
    // A timer fires on a whole millisecond: up to one past the wait asked.
    let high = high + Duration::from_millis(1);
    assert!(
        low <= waited && waited <= high && high <= Duration::from_secs(6),
        "waited {waited:?}, expected {low:?}..={high:?}"
    );

    // Reported on the error as well, when retries are off.
    let (header, date) = http_date(60);
    let (server2, _) = scripted(vec![(
        503,
        vec![("retry-after", header)],
        error_json(503, "service_unavailable"),
    )])
    .await;
    let before = SystemTime::now();
    let err = paused_client(&server2.base_url(), RetryPolicy::disabled())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap_err();
    let (low, high) = wait_bounds(date, before, SystemTime::now());
    let reported = err
        .as_api()
        .unwrap()
        .retry_after()
        .expect("an HTTP-date retry-after is read");
    assert!(
        low <= reported && reported <= high && high <= Duration::from_secs(60),
        "reported {reported:?}, expected {low:?}..={high:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn ratelimit_reset_is_the_wait_when_nothing_remains() {
    let (server, calls) = scripted(vec![
        (
            429,
            vec![
                ("ratelimit-remaining", "0".into()),
                ("ratelimit-reset", "3".into()),
            ],
            error_json(429, "rate_limit_exceeded"),
        ),
        (200, vec![], ok_body()),
    ])
    .await;
    let client = paused_client(&server.base_url(), RetryPolicy::default());
    let t0 = Instant::now();
    client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(
        (t0.elapsed(), calls.load(Ordering::SeqCst)),
        (Duration::from_secs(3), 2)
    );
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_window_holds_the_next_request_of_every_clone() {
    let (server, calls) = scripted(vec![
        (
            200,
            vec![
                ("ratelimit-remaining", "0".into()),
                ("ratelimit-reset", "4".into()),
            ],
            ok_body(),
        ),
        (
            200,
            vec![
                ("ratelimit-remaining", "9".into()),
                ("ratelimit-reset", "1".into()),
            ],
            ok_body(),
        ),
    ])
    .await;
    let client = paused_client(&server.base_url(), RetryPolicy::default());
    let t0 = Instant::now();
    client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    let clone = client.clone();
    clone.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(4),
        "waited for the reset instead of earning a 429"
    );
    clone.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(4));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn quota_429s_and_other_4xx_are_not_retried() {
    for (status, name) in [
        (429, "daily_quota_exceeded"),
        (429, "monthly_quota_exceeded"),
        (400, "validation_error"),
        (401, "missing_api_key"),
        (404, "not_found"),
        (408, "request_timeout"),
        (422, "validation_error"),
    ] {
        let (server, calls) = scripted(vec![(
            status,
            vec![("retry-after", "1".into())],
            error_json(status, name),
        )])
        .await;
        let client = paused_client(&server.base_url(), RetryPolicy::default());
        let t0 = Instant::now();
        let err = client.list_workflow_runs(WF).send().await.unwrap_err();
        assert_eq!(
            (calls.load(Ordering::SeqCst), err.attempts()),
            (1, Some(1)),
            "{status} {name}"
        );
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert!(!err.is_retryable(), "{err}");
        assert_no_key(&err);
    }
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_bounded_jittered_backoff() {
    for status in [500u16, 502, 503, 504] {
        let (server, calls) = scripted(vec![(
            status,
            vec![],
            error_json(status, "internal_server_error"),
        )])
        .await;
        let policy = RetryPolicy::default()
            .max_attempts(5)
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(3));
        let client = paused_client(&server.base_url(), policy);
        let t0 = Instant::now();
        let err = client.list_workflow_runs(WF).send().await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 5, "{status}");
        assert_eq!(err.attempts(), Some(5));
        assert!(err.to_string().contains("after 5 attempts"), "{err}");
        // Full jitter: each wait is at most min(cap, base * 2^k): 1 + 2 + 3 + 3.
        assert!(t0.elapsed() <= Duration::from_secs(9), "{:?}", t0.elapsed());
        assert!(
            t0.elapsed() > Duration::ZERO,
            "the client waited between attempts"
        );
        assert_eq!(
            err.as_api().unwrap().kind(),
            &ApiErrorKind::InternalServerError
        );
    }
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_are_drawn_from_the_whole_jitter_range() {
    // 40 retries, each backoff a uniform draw in 0..=1 s: 20 s expected,
    // with a standard deviation of 1.8 s. Below 10 s or above 30 s is more
    // than five deviations away: a wait of zero, or of the full bound, is
    // not full jitter.
    let (server, calls) =
        scripted(vec![(503, vec![], error_json(503, "service_unavailable"))]).await;
    let policy = RetryPolicy::default()
        .max_attempts(41)
        .base_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(1))
        .deadline(Duration::from_secs(3600));
    let client = paused_client(&server.base_url(), policy);
    let t0 = Instant::now();
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    let waited = t0.elapsed();
    assert_eq!(
        (calls.load(Ordering::SeqCst), err.attempts()),
        (41, Some(41))
    );
    assert!(
        waited >= Duration::from_secs(10) && waited <= Duration::from_secs(30),
        "40 backoffs took {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_retry_after_holds_back_every_clone_until_it_ends() {
    // The first request earns a 429 with retry-after: 3; every later one
    // succeeds at once.
    let (server, calls) = scripted(vec![
        (
            429,
            vec![("retry-after", "3".into())],
            error_json(429, "rate_limit_exceeded"),
        ),
        (200, vec![], ok_body()),
    ])
    .await;
    // One attempt, so the call returns with the 429 at once; what the
    // server asked for still holds for everything the client sends next.
    let client = paused_client(&server.base_url(), RetryPolicy::disabled());
    let clone = client.clone();
    let t0 = Instant::now();
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(t0.elapsed(), Duration::ZERO);
    // The clone asks at t = 1 s, inside the server's wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    clone.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(3),
        "held until the wait ended"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Once it has passed, nothing is held.
    client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(t0.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_is_not_taken() {
    let (server, calls) = scripted(vec![(
        429,
        vec![("retry-after", "99999".into())],
        error_json(429, "rate_limit_exceeded"),
    )])
    .await;
    let client = paused_client(&server.base_url(), RetryPolicy::default());
    let t0 = Instant::now();
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    assert_eq!(
        (t0.elapsed(), calls.load(Ordering::SeqCst)),
        (Duration::ZERO, 1)
    );
    assert_eq!(
        err.as_api().unwrap().retry_after(),
        Some(Duration::from_secs(99999))
    );
    assert!(err.is_retryable(), "the caller may still retry later");

    let (server, calls) = scripted(vec![(
        429,
        vec![("retry-after", "3".into())],
        error_json(429, "rate_limit_exceeded"),
    )])
    .await;
    let client = paused_client(
        &server.base_url(),
        RetryPolicy::default()
            .max_attempts(10)
            .deadline(Duration::from_secs(7)),
    );
    let t0 = Instant::now();
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    // Waits at 3 s and 6 s fit in 7 s; the third would end at 9 s.
    assert_eq!(
        (t0.elapsed(), calls.load(Ordering::SeqCst), err.attempts()),
        (Duration::from_secs(6), 3, Some(3))
    );
}

#[tokio::test(start_paused = true)]
async fn disabled_retries_make_one_attempt() {
    let (server, calls) =
        scripted(vec![(503, vec![], error_json(503, "service_unavailable"))]).await;
    let client = paused_client(&server.base_url(), RetryPolicy::disabled());
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    assert_eq!((calls.load(Ordering::SeqCst), err.attempts()), (1, Some(1)));
    assert!(err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_client_side_limit_spaces_requests_across_clones() {
    let (server, calls) = scripted(vec![(200, vec![], ok_body())]).await;
    let http = common::reqwest_builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    let client = resend_workflows::Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .http_client(http)
        .no_timeout()
        .requests_per_second(2.0)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.list_workflow_runs(WF).send().await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        (t0.elapsed(), calls.load(Ordering::SeqCst)),
        (Duration::from_secs(2), 5)
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_connections_and_cut_bodies_are_retried() {
    let body = ok_body();
    let server = raw::start(move |_, n| match n {
        0 => Action::Drop,
        1 => {
            // Announce the whole body, send half, close.
            let mut bytes = raw::json(200, &[], &body);
            bytes.truncate(bytes.len() - body.len() / 2);
            Action::Raw(bytes)
        }
        _ => Action::Raw(raw::json(200, &[], &body)),
    })
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let page = client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(page.runs().len(), 2);
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_is_cut_off_by_the_timeout_and_retried() {
    let body = ok_body();
    let server = raw::start(move |_, n| {
        let whole = raw::json(200, &[], &body);
        if n == 0 {
            Action::Stall(whole[..whole.len() - 10].to_vec())
        } else {
            Action::Raw(whole)
        }
    })
    .await;
    let http = common::reqwest_builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    let client = resend_workflows::Client::builder()
        .api_key(common::KEY)
        .base_url(&server.base_url)
        .http_client(http)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let page = client.list_workflow_runs(WF).send().await.unwrap();
    assert_eq!(page.runs().len(), 2);
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}
