//! Contract tests: every request the client sends and every response it
//! decodes, held against the spec on a real loopback server (httpmock).

use crate::common;

use std::num::NonZeroU32;
use std::time::Duration;

use crate::common::{
    KEY, client, client_no_retry, error_body, invalid, seed_list, seed_run, valid,
};
use httpmock::{Method::GET, MockServer};
use resend_workflows::mock::MockServerExt;
use resend_workflows::{
    ApiErrorKind, Cursor, DEFAULT_USER_AGENT, Direction, Error, RateLimit, Timestamp, WorkflowId,
    WorkflowRunStatus, types,
};
use serde_json::json;

const WF: &str = "0b7e6f5a-2c4d-4e8f-9a1b-3c5d7e9f1a2b";
const RUN: &str = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

#[tokio::test]
async fn list_sends_exact_path_default_limit_and_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/workflows/{WF}/runs"))
                .query_param("limit", "100")
                .query_param_count(".*", ".*", 1)
                .query_param_missing("after")
                .query_param_missing("before")
                .header("authorization", format!("Bearer {KEY}"))
                .header("user-agent", DEFAULT_USER_AGENT)
                .header("accept", "application/json")
                .header_missing("api-version");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(valid("list_workflow_runs", 200, seed_list()));
        })
        .await;
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(page.runs().len(), 2);
    assert!(!page.has_more());
    assert_eq!(page.next_cursor(), None);
    assert_eq!(page.direction(), Direction::Forward);
}

#[tokio::test]
async fn list_with_after_and_limit_uses_the_typed_mock_helpers() {
    let server = MockServer::start_async().await;
    let wf = WorkflowId::new(WF).unwrap();
    let after = Cursor::new(RUN).unwrap();
    let mut body: types::WorkflowRunList =
        serde_json::from_value(valid("list_workflow_runs", 200, seed_list())).unwrap();
    body.has_more = true;
    valid(
        "list_workflow_runs",
        200,
        serde_json::to_value(&body).unwrap(),
    );
    let mock = server.list_workflow_runs(|when, then| {
        when.workflow_id(&wf)
            .limit(NonZeroU32::new(2))
            .after(&after)
            .before(None);
        then.ok(&body);
    });
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .limit(2)
        .after(RUN)
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    // Forward: the next cursor is the last run of the page.
    assert_eq!(
        page.next_cursor().map(Cursor::as_str),
        Some("b2c3d4e5-f6a7-8901-bcde-f12345678901")
    );
}

#[tokio::test]
async fn list_with_before_sends_before_only_and_points_backward() {
    let server = MockServer::start_async().await;
    let mut body = seed_list();
    body["has_more"] = json!(true);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/workflows/{WF}/runs"))
                .query_param("before", RUN)
                .query_param("limit", "50")
                .query_param_missing("after");
            then.status(200)
                .json_body(valid("list_workflow_runs", 200, body));
        })
        .await;
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .limit(50)
        .before(RUN)
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(page.direction(), Direction::Backward);
    // Backward: the next cursor is the first (newest) run as returned.
    assert_eq!(page.next_cursor().map(Cursor::as_str), Some(RUN));
}

#[tokio::test]
async fn custom_user_agent_and_trailing_slash_base_url() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path(format!("/workflows/{WF}/runs"))
                .header("user-agent", "billing-svc/2.3");
            then.status(200)
                .json_body(valid("list_workflow_runs", 200, seed_list()));
        })
        .await;
    let client = resend_workflows::Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/", server.base_url()))
        .user_agent("billing-svc/2.3")
        .build()
        .unwrap();
    client.list_workflow_runs(WF).send().await.unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn seed_list_example_decodes_verbatim() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(valid("list_workflow_runs", 200, seed_list()));
        })
        .await;
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap();
    let [a, b] = page.runs() else {
        panic!("two runs expected")
    };
    assert_eq!(a.id, RUN);
    assert_eq!(a.status, WorkflowRunStatus::Completed);
    assert_eq!(a.started_at, Some("2025-10-01T12:00:00Z".parse().unwrap()));
    assert_eq!(
        a.completed_at,
        Some("2025-10-01T12:05:00Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(a.created_at, "2025-10-01T12:00:00Z".parse().unwrap());
    assert_eq!(a.trigger, None);
    assert_eq!(b.id, "b2c3d4e5-f6a7-8901-bcde-f12345678901");
    assert_eq!(b.status, WorkflowRunStatus::Running);
    assert_eq!(b.completed_at, None);
}

#[tokio::test]
async fn get_run_sends_exact_path_and_decodes_the_example() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/workflows/{WF}/runs/{RUN}"))
                .query_param_count(".*", ".*", 0)
                .header("authorization", format!("Bearer {KEY}"))
                .header("user-agent", DEFAULT_USER_AGENT)
                .header_missing("api-version");
            then.status(200)
                .json_body(valid("get_workflow_run", 200, seed_run()));
        })
        .await;
    let run = client(&server.base_url())
        .get_workflow_run(WF, RUN)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(run.id, RUN);
    assert_eq!(run.status, WorkflowRunStatus::Completed);
    let trigger = run.trigger.expect("trigger");
    assert_eq!(trigger.event_name, "user.created");
    let payload = trigger.payload.expect("payload");
    assert_eq!(payload.to_value()["plan"], "pro");
    assert_eq!(payload.as_json(), r#"{"plan":"pro"}"#, "kept verbatim");
}

#[tokio::test]
async fn unknown_status_extra_fields_odd_ids_and_postgres_timestamps_decode() {
    let server = MockServer::start_async().await;
    let body = json!({
        "object": "list",
        "has_more": true,
        "next_page": "ignored",
        "data": [{
            "id": "wr_456",
            "status": "paused",
            "trigger": null,
            "started_at": null,
            "completed_at": null,
            "created_at": "2026-10-01 12:00:00.000000+00",
            "steps_count": 3
        }]
    });
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(valid("list_workflow_runs", 200, body));
        })
        .await;
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap();
    let run = &page.runs()[0];
    assert_eq!(run.id, "wr_456");
    assert_eq!(run.status, WorkflowRunStatus::Unknown("paused".into()));
    assert_eq!(run.created_at, "2026-10-01T12:00:00Z".parse().unwrap());
    assert_eq!(page.next_cursor().map(Cursor::as_str), Some("wr_456"));
}

async fn list_error(status: u16, body: Option<serde_json::Value>, html: Option<&str>) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            let then = then.status(status).header("retry-after", "7");
            match (&body, html) {
                (Some(b), _) => {
                    then.json_body(valid("list_workflow_runs", status, b.clone()));
                }
                (None, Some(h)) => {
                    then.header("content-type", "text/html").body(h);
                }
                (None, None) => {}
            }
        })
        .await;
    // One attempt: these tests are about how each answer is reported.
    client_no_retry(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn validation_error_422_is_a_typed_api_error() {
    let msg = "The `limit` must be between 1 and 100.";
    let err = list_error(422, Some(error_body(422, "validation_error", msg)), None).await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.status().as_u16(), 422);
    assert_eq!(api.kind(), &ApiErrorKind::ValidationError);
    assert_eq!(api.name(), Some("validation_error"));
    assert_eq!(api.message(), msg);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains(msg), "{err}");
}

#[tokio::test]
async fn not_found_on_get_run() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(404).json_body(valid(
                "get_workflow_run",
                404,
                error_body(404, "not_found", "Workflow run not found"),
            ));
        })
        .await;
    let err = client(&server.base_url())
        .get_workflow_run(WF, RUN)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.as_api().unwrap().kind(), &ApiErrorKind::NotFound);
}

#[tokio::test]
async fn html_403_keeps_status_and_a_snippet() {
    let html = "<!DOCTYPE html><html><body><h1>Error 1010</h1>Access denied</body></html>";
    let err = list_error(403, None, Some(html)).await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.status().as_u16(), 403);
    assert_eq!(api.kind(), &ApiErrorKind::Unstructured);
    assert_eq!(api.name(), None);
    assert!(api.message().contains("Access denied"), "{}", api.message());
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn rate_limit_429_is_retryable_and_quota_429_is_not() {
    let err = list_error(
        429,
        Some(error_body(429, "rate_limit_exceeded", "Too many requests")),
        None,
    )
    .await;
    assert!(err.is_retryable());
    assert_eq!(
        err.as_api().unwrap().retry_after(),
        Some(Duration::from_secs(7))
    );
    let err = list_error(
        429,
        Some(error_body(429, "daily_quota_exceeded", "Quota")),
        None,
    )
    .await;
    assert_eq!(
        err.as_api().unwrap().kind(),
        &ApiErrorKind::DailyQuotaExceeded
    );
    assert!(!err.is_retryable());
    let err = list_error(
        500,
        Some(error_body(500, "internal_server_error", "Oops")),
        None,
    )
    .await;
    assert!(err.is_retryable());
    let err = list_error(418, Some(error_body(418, "teapot_error", "New")), None).await;
    assert_eq!(
        err.as_api().unwrap().kind(),
        &ApiErrorKind::Other("teapot_error".into())
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_body_that_breaks_the_spec_is_a_decode_error_naming_the_field() {
    let server = MockServer::start_async().await;
    let body = invalid(
        "list_workflow_runs",
        200,
        json!({"object": "list", "has_more": "no", "data": [{"id": RUN, "status": "running", "created_at": "2025-10-01T12:00:00Z"}]}),
    );
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(body);
        })
        .await;
    let err = client(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("decode error expected, got {err:?}")
    };
    assert_eq!(decode.path(), "has_more");
    assert!(decode.body_snippet().starts_with('{'));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert!(std::error::Error::source(&err).is_some());
}

// One record that breaks the spec, in a list that does not: the page
// keeps it as a bad record naming the field (issue 28, case 12).
#[tokio::test]
async fn a_record_that_breaks_the_spec_is_a_bad_record_naming_the_field() {
    let server = MockServer::start_async().await;
    let body = invalid(
        "list_workflow_runs",
        200,
        json!({"object": "list", "has_more": false, "data": [{"id": RUN, "status": 7, "created_at": "2025-10-01T12:00:00Z"}]}),
    );
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(body);
        })
        .await;
    let page = client(&server.base_url())
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap();
    assert!(page.runs().is_empty());
    let bad = &page.bad_records()[0];
    assert_eq!(
        (bad.id(), bad.field(), bad.index()),
        (Some(RUN), "status", 0)
    );
    assert!(std::error::Error::source(bad).is_some());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // Bind then drop a listener: the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(&format!("http://127.0.0.1:{port}"))
        .list_workflow_runs(WF)
        .send()
        .await
        .unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("transport error expected, got {err:?}")
    };
    assert!(t.is_connect(), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_stalled_server_is_a_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .delay(Duration::from_secs(5))
                .json_body(valid("list_workflow_runs", 200, seed_list()));
        })
        .await;
    let client = resend_workflows::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = client.list_workflow_runs(WF).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.attempts(), Some(4), "a timeout is retried: {err}");
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[tokio::test]
async fn rate_limit_headers_are_read_exactly_on_pages_and_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(format!("/workflows/{WF}/runs"));
            then.status(200)
                .header("ratelimit-limit", "10")
                .header("ratelimit-remaining", "7")
                .header("ratelimit-reset", "3")
                .json_body(valid("list_workflow_runs", 200, seed_list()));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path(format!("/workflows/{WF}/runs/{RUN}"));
            then.status(429)
                .header("ratelimit-limit", "5")
                .header("ratelimit-remaining", "0")
                .header("ratelimit-reset", "2")
                .header("retry-after", "4")
                .json_body(valid(
                    "get_workflow_run",
                    429,
                    error_body(429, "rate_limit_exceeded", "Too many requests"),
                ));
        })
        .await;
    let client = client_no_retry(&server.base_url());
    let page = client.list_workflow_runs(WF).send().await.unwrap();
    // `RateLimit` is non-exhaustive: read by its fields.
    let fields = |r: &RateLimit| (r.limit, r.remaining, r.reset, r.window);
    assert_eq!(
        page.rate_limit().map(fields),
        Some((Some(10), Some(7), Some(Duration::from_secs(3)), None))
    );
    let err = client.get_workflow_run(WF, RUN).await.unwrap_err();
    let api = err.as_api().unwrap();
    assert_eq!(
        api.rate_limit().map(fields),
        Some((Some(5), Some(0), Some(Duration::from_secs(2)), None))
    );
    assert_eq!(api.retry_after(), Some(Duration::from_secs(4)));
    // Absent headers are absent, one present header is enough.
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, reqwest::header::HeaderValue::from_static(v));
        }
        resend_workflows::internals::read_headers(&h, std::time::SystemTime::now())
            .0
            .as_ref()
            .map(fields)
    };
    assert_eq!(headers(&[]), None);
    assert_eq!(
        headers(&[("ratelimit-remaining", "0"), ("ratelimit-limit", "x")]),
        Some((None, Some(0), None, None))
    );
}

#[test]
fn the_schema_check_rejects_bodies_that_break_the_spec() {
    use common::check;
    assert!(check("list_workflow_runs", 200, &seed_list()).is_ok());
    assert!(check("get_workflow_run", 200, &seed_run()).is_ok());
    let mut no_has_more = seed_list();
    no_has_more.as_object_mut().unwrap().remove("has_more");
    assert!(check("list_workflow_runs", 200, &no_has_more).is_err());
    let mut null_data = seed_list();
    null_data["data"] = json!(null);
    assert!(check("list_workflow_runs", 200, &null_data).is_err());
    let mut bad_trigger = seed_run();
    bad_trigger["trigger"] = json!({"payload": {}});
    assert!(check("get_workflow_run", 200, &bad_trigger).is_err());
    assert!(
        check(
            "list_workflow_runs",
            422,
            &json!({"name": "validation_error"})
        )
        .is_err()
    );
    assert!(check("list_workflow_runs", 500, &error_body(500, "x", "y")).is_ok());
    // Timestamps: Resend's two forms, and nothing else.
    for (created_at, ok) in [
        ("2025-10-01T12:00:00.000Z", true),
        ("2026-10-01 12:00:00.000000+00", true),
        ("2023-10-06 23:47:56.678+00", true),
        ("2026-10-01 12:00:00+00", true),
        ("yesterday", false),
        ("2025-10-01", false),
        ("2025-02-30T12:00:00Z", false),
        ("1759320000", false),
    ] {
        let mut body = seed_list();
        body["data"][0]["created_at"] = json!(created_at);
        assert_eq!(
            check("list_workflow_runs", 200, &body).is_ok(),
            ok,
            "{created_at}"
        );
    }
}
