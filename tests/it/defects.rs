//! Regression tests for the defects found by trying the client as an
//! attacker and a careless operator would (issue "No answer from a server
//! can crash, stall or fool the client"). Each failed before its fix.

use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use resend_workflows::{ApiErrorKind, Client, Error, PaginationErrorKind, RetryPolicy};
use tokio::time::Instant;

use crate::common::raw::{self, Action};
use crate::common::{KEY, assert_no_key, paused_client};

fn list(has_more: bool, ids: &[&str]) -> String {
    let data: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(r#"{{"id":"{id}","status":"completed","created_at":"2026-01-01T00:00:00Z"}}"#)
        })
        .collect();
    format!(
        r#"{{"object":"list","has_more":{has_more},"data":[{}]}}"#,
        data.join(",")
    )
}

fn error(status: u16, name: &str, message: &str) -> String {
    serde_json::json!({"statusCode": status, "name": name, "message": message}).to_string()
}

/// A raw server answering the n-th request (0-based) with `script[n]`, the
/// last one for every later request.
async fn scripted(script: Vec<Vec<u8>>) -> raw::RawServer {
    raw::start(move |_, n| Action::Raw(script[n.min(script.len() - 1)].clone())).await
}

// 1. A reset of u64::MAX seconds once panicked adding it to Instant::now().
#[tokio::test(start_paused = true)]
async fn a_huge_ratelimit_reset_neither_panics_nor_holds_the_client_past_its_deadline() {
    let huge = u64::MAX.to_string();
    let server = scripted(vec![raw::json(
        200,
        &[("ratelimit-remaining", "0"), ("ratelimit-reset", &huge)],
        &list(false, &["a"]),
    )])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let page = client.list_runs("wf").send().await.unwrap();
    assert_eq!(page.runs().len(), 1);
    // The window is closed for longer than any deadline: the next request
    // fails at once, sending nothing, and says when to come back.
    let t0 = Instant::now();
    let err = client.clone().list_runs("wf").send().await.unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert!(matches!(err, Error::Throttled(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        err.retry_after()
            .is_some_and(|d| d > Duration::from_secs(86_400)),
        "{err:?}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

// 2. `elapsed + wait` once overflowed on a second retry-after of u64::MAX.
#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_on_a_retry_neither_panics_nor_waits() {
    let huge = u64::MAX.to_string();
    let body = error(503, "service_unavailable", "down");
    let server = scripted(vec![
        raw::json(503, &[("retry-after", "1")], &body),
        raw::json(503, &[("retry-after", &huge)], &body),
    ])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let t0 = Instant::now();
    let err = client.list_runs("wf").send().await.unwrap_err();
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

// 3a. A retry-after of 1 s beside a window closed for an hour: the gate
// once slept the hour under a 60 s deadline.
#[tokio::test(start_paused = true)]
async fn a_retry_whose_gate_wait_would_pass_the_deadline_is_not_taken() {
    let body = error(503, "service_unavailable", "down");
    let server = scripted(vec![
        raw::json(
            503,
            &[
                ("retry-after", "1"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "3600"),
            ],
            &body,
        ),
        raw::json(200, &[], &list(false, &["a"])),
    ])
    .await;
    let client = paused_client(&server.base_url, RetryPolicy::default());
    let t0 = Instant::now();
    let err = client.list_runs("wf").send().await.unwrap_err();
    assert_eq!(t0.elapsed(), Duration::ZERO, "failed at once: {err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(err.is_retryable());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

// 3b. A 200 with nothing left for a day once made every clone's next
// request wait the day, whatever its deadline.
#[tokio::test(start_paused = true)]
async fn an_exhausted_window_past_the_deadline_fails_every_clone_at_once() {
    for (status, headers, body) in [
        (
            200,
            vec![("ratelimit-remaining", "0"), ("ratelimit-reset", "86400")],
            list(false, &["a"]),
        ),
        (
            429,
            vec![("retry-after", "86400")],
            error(
                429,
                "daily_quota_exceeded",
                "You have reached your daily quota.",
            ),
        ),
    ] {
        let server = scripted(vec![
            raw::json(status, &headers, &body),
            raw::json(200, &[], &list(false, &["a"])),
        ])
        .await;
        let client = paused_client(&server.base_url, RetryPolicy::default());
        let _ = client.list_runs("wf").send().await;
        let t0 = Instant::now();
        let clone = client.clone();
        let err = clone.list_runs("wf").send().await.unwrap_err();
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
        let server = scripted(vec![
            raw::json(status, &headers, &body),
            raw::json(200, &[], &list(false, &["a"])),
        ])
        .await;
        let patient = paused_client(
            &server.base_url,
            RetryPolicy::default().deadline(Duration::from_secs(100_000)),
        );
        let _ = patient.list_runs("wf").send().await;
        let t1 = Instant::now();
        patient.list_runs("wf").send().await.unwrap();
        assert_eq!(t1.elapsed(), Duration::from_secs(86_400), "{status}");
    }
}

// 4. HTTP_PROXY in the environment once received the key in clear. The
// environment is process-wide, so this runs in a child process.
#[test]
fn proxy_from_env_child() {
    let Ok(base) = std::env::var("RESEND_WORKFLOWS_PROXY_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    match rt.block_on(client.list_runs("wf").send()) {
        Ok(page) => eprintln!("runs={}", page.runs().len()),
        Err(e) => eprintln!("error={e}"),
    }
}

#[tokio::test]
async fn a_proxy_in_the_environment_is_never_used() {
    let server = scripted(vec![raw::json(200, &[], &list(false, &["a"]))]).await;
    let proxy = raw::start(|_, _| Action::Drop).await;
    let output = tokio::task::spawn_blocking({
        let (base, proxy) = (server.base_url.clone(), proxy.base_url.clone());
        move || {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "defects::proxy_from_env_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("RESEND_WORKFLOWS_PROXY_CHILD", base)
                .env("HTTP_PROXY", &proxy)
                .env("http_proxy", &proxy)
                .env("ALL_PROXY", &proxy)
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        0,
        "the proxy saw the request: {stderr}"
    );
    assert!(stderr.contains("runs=1"), "{stderr}");
}

#[tokio::test]
async fn an_explicit_proxy_is_used_and_must_be_safe() {
    let fake = crate::common::fake().await;
    fake.seed_workflow("wf", 3);
    let upstream = fake.base_url();
    let proxy = raw::start(move |_, _| Action::Forward(upstream.clone())).await;
    // Port 9 answers nothing: only the proxy can.
    let client = Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:9")
        .proxy(&proxy.base_url)
        .build()
        .unwrap();
    let page = client.list_runs("wf").send().await.unwrap();
    assert_eq!(page.runs().len(), 3);
    assert_eq!(proxy.requests.load(Ordering::SeqCst), 1);
    for (builder, expected) in [
        (
            Client::builder()
                .api_key(KEY)
                .proxy("http://user:pw@10.1.2.3:3128"),
            "plain http to a non-loopback host",
        ),
        (
            Client::builder()
                .api_key(KEY)
                .proxy("https://proxy.test")
                .http_client(crate::common::reqwest_builder().build().unwrap()),
            "cannot be set with http_client",
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(err, Error::Config(_)) && err.to_string().contains(expected),
            "{err}"
        );
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
}

// 5. Server text once reached Display raw and unbounded.
#[tokio::test]
async fn server_text_in_messages_is_bounded_and_escaped() {
    let hostile = format!(
        "line one\nline two \x1b[31mred\x1b[0m {}",
        "x".repeat(100_000)
    );
    let bodies = [
        raw::json(400, &[], &error(400, "validation_error", &hostile)),
        raw::json(
            400,
            &[],
            &error(400, &format!("name\n{}", "y".repeat(5000)), "m"),
        ),
        raw::json(
            200,
            &[],
            &serde_json::json!({"object": "list", "has_more": hostile, "data": []}).to_string(),
        ),
        raw::response(502, &[("content-type", "text/html")], hostile.as_bytes()),
    ];
    for body in bodies {
        let server = scripted(vec![body]).await;
        let client = Client::builder()
            .api_key(KEY)
            .base_url(&server.base_url)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = client.list_runs("wf").send().await.unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.chars().count() <= 1200,
            "{} chars: {:.200}",
            shown.len(),
            shown
        );
        assert!(
            !shown.contains('\n') && !shown.contains('\x1b'),
            "{shown:?}"
        );
        if let Some(api) = err.as_api()
            && api.kind() == &ApiErrorKind::ValidationError
        {
            assert_eq!(api.message(), hostile, "the full message stays available");
        }
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            if !s.is::<serde_json::Error>() {
                let shown = s.to_string();
                assert!(
                    shown.chars().count() <= 1200 && !shown.contains('\n'),
                    "{shown:.300}"
                );
            }
            source = s.source();
        }
    }
}

// 6. The announced content-length was preallocated: 1 TiB announced and
// 2 bytes sent once aborted the process.
#[tokio::test]
async fn an_announced_length_is_not_preallocated() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\nconnection: close\r\n\r\n".to_vec();
    let server =
        raw::start(move |_, _| Action::Trickle(vec![head.clone(), b"{".to_vec(), b"\"".to_vec()]))
            .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .retry(RetryPolicy::disabled())
        .max_response_bytes(usize::MAX)
        .build()
        .unwrap();
    let err = client.list_runs("wf").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref t) if t.is_body()),
        "{err:?}"
    );
}

// 7. Tiny rates once panicked in build() or on the first request.
#[test]
fn requests_per_second_out_of_range_is_a_config_error() {
    for rate in [1e-300, 1e-19, 1e-9, 1e-4, 1e7, f64::MAX, f64::MIN_POSITIVE] {
        let err = Client::builder()
            .api_key(KEY)
            .requests_per_second(rate)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{rate}: {err:?}");
        assert!(err.to_string().contains("requests_per_second"), "{err}");
    }
    for rate in [1.0 / 3600.0, 0.5, 1e6] {
        Client::builder()
            .api_key(KEY)
            .requests_per_second(rate)
            .build()
            .unwrap();
    }
}

// 8. A dropped waiter once kept its rate slot: 100 timed-out calls at
// 1 request/s made the next call wait 98 s while the server was idle.
#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_gives_its_rate_slot_back() {
    let server = scripted(vec![raw::json(200, &[], &list(false, &["a"]))]).await;
    let http = crate::common::reqwest_builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .http_client(http)
        .no_timeout()
        .requests_per_second(1.0)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_secs(2), client.list_runs("wf").send()).await
            })
        })
        .collect();
    for call in calls {
        let _ = call.await.unwrap();
    }
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    let sent = server.requests.load(Ordering::SeqCst);
    assert!((2..=3).contains(&sent), "{sent} requests in 2 s at 1/s");
    client.list_runs("wf").send().await.unwrap();
    assert!(
        t0.elapsed() <= Duration::from_secs(3),
        "the next call waited until {:?}",
        t0.elapsed()
    );
}

// 9. Base-URL errors once echoed the credentials in them.
#[test]
fn base_url_errors_never_show_credentials() {
    for url in [
        "https://user:re_SECRET@x.test/?a=1",
        "https://user:re_SECRET@x.test:99999/",
        "http://user:re_SECRET@example.com/",
        "ftp://user:re_SECRET@x.test/",
        "https://user:re_SECRET@x.test/#frag",
        "https://re_SECRET@x.test/",
        "not a url user:re_SECRET@x",
    ] {
        let err = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("re_SECRET") && !shown.contains("user:"),
            "{url}: {shown}"
        );
        assert_no_key(&err);
    }
}

// 10. A run repeated across a page boundary (an inclusive cursor) was
// yielded twice.
async fn paged(pages: Vec<(&'static str, String)>) -> raw::RawServer {
    raw::start(move |req, _| {
        let cursor = ["after=", "before="]
            .iter()
            .find_map(|k| req.target.split(['?', '&']).find_map(|p| p.strip_prefix(k)))
            .unwrap_or("");
        match pages.iter().find(|(c, _)| *c == cursor) {
            Some((_, body)) => Action::Raw(raw::json(200, &[], body)),
            None => Action::Drop,
        }
    })
    .await
}

#[tokio::test]
async fn a_run_repeated_at_a_page_boundary_is_yielded_once() {
    // Forward: the next page starts with the cursor run itself.
    let server = paged(vec![
        ("", list(true, &["d", "c"])),
        ("c", list(false, &["c", "b", "a"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let mut stream = client.list_runs("wf").limit(2).stream();
    let mut got = Vec::new();
    while let Some(run) = stream.try_next().await.unwrap() {
        got.push(run.id);
    }
    assert_eq!(got, ["d", "c", "b", "a"]);
    assert_eq!(stream.repeats_dropped(), 1);
    // Backward: the page before the cursor ends with the cursor run.
    let server = paged(vec![
        ("a", list(true, &["c", "b"])),
        ("c", list(false, &["e", "d", "c"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let pages = client.list_runs("wf").limit(2).before("a").pages();
    let pages: Vec<_> = pages.try_collect().await.unwrap();
    let got: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.runs())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(got, ["b", "c", "d", "e"]);
}

#[tokio::test]
async fn any_other_repeat_ends_the_stream_with_an_error() {
    let server = paged(vec![
        ("", list(true, &["d", "c"])),
        ("c", list(false, &["b", "d", "a"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let items: Vec<_> = client.list_runs("wf").limit(2).stream().collect().await;
    let ids: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, ["d", "c"], "the page with the repeat is not yielded");
    match items.last() {
        Some(Err(Error::Pagination(e))) => {
            assert_eq!(
                e.kind(),
                &PaginationErrorKind::RepeatedRun { id: "d".into() }
            );
            assert_eq!((e.page(), e.cursor()), (2, Some("c")));
        }
        other => panic!("{other:?}"),
    }
}
