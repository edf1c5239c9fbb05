//! The embedded fake Resend answers by the spec and by Resend's documented
//! cursor semantics: every body it serves is validated against the spec.

use crate::common;

use crate::common::{check, client};
use resend_workflows::fake::FakeResend;
use serde_json::Value;

/// GETs `path_and_query` from the fake as a raw client would, validates the
/// JSON body against `operation_id`'s response schema, and returns it.
async fn raw(
    fake: &FakeResend,
    operation_id: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let http = common::reqwest_builder().build().unwrap();
    let mut request = http.get(format!("{}{path_and_query}", fake.base_url()));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => return (status, Value::String(text)),
    };
    if let Err(e) = check(operation_id, status, &body) {
        panic!("fake's {status} answer to {path_and_query} breaks the spec: {e}\n{body:#}");
    }
    (status, body)
}

const AUTH: [(&str, &str); 2] = [("authorization", "Bearer re_x"), ("user-agent", "test/1")];

fn ids(body: &Value) -> Vec<&str> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_fake_follows_the_cursor_semantics_and_the_spec() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", 25);
    let all: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    let op = "list_workflow_runs";

    // No limit: every run at once, as the runs page documents.
    let (status, body) = raw(&fake, op, "/workflows/wf/runs", &AUTH).await;
    assert_eq!(
        (status, ids(&body).len(), &body["has_more"]),
        (200, 25, &Value::Bool(false))
    );

    let (_, first) = raw(&fake, op, "/workflows/wf/runs?limit=10", &AUTH).await;
    assert_eq!(ids(&first), &all[..10]);
    assert_eq!(first["has_more"], true);

    let q = format!("/workflows/wf/runs?limit=10&after={}", all[9]);
    let (_, second) = raw(&fake, op, &q, &AUTH).await;
    assert_eq!(ids(&second), &all[10..20]);

    let q = format!("/workflows/wf/runs?limit=10&after={}", all[19]);
    let (_, last) = raw(&fake, op, &q, &AUTH).await;
    assert_eq!(
        (ids(&last), &last["has_more"]),
        (all[20..].to_vec(), &Value::Bool(false))
    );

    // Backward: the page that ends right before the cursor; has_more toward newer.
    let q = format!("/workflows/wf/runs?limit=10&before={}", all[15]);
    let (_, newer) = raw(&fake, op, &q, &AUTH).await;
    assert_eq!(
        (ids(&newer), &newer["has_more"]),
        (all[5..15].to_vec(), &Value::Bool(true))
    );
    let q = format!("/workflows/wf/runs?limit=10&before={}", all[5]);
    let (_, newest) = raw(&fake, op, &q, &AUTH).await;
    assert_eq!(
        (ids(&newest), &newest["has_more"]),
        (all[..5].to_vec(), &Value::Bool(false))
    );

    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "after=a&before=b",
        "after=no_such_run",
        "after=a%2Fb",
    ] {
        let (status, body) = raw(&fake, op, &format!("/workflows/wf/runs?{bad}"), &AUTH).await;
        assert_eq!(
            (status, body["name"].as_str()),
            (422, Some("validation_error")),
            "{bad}"
        );
    }
    let (status, body) = raw(&fake, op, "/workflows/nope/runs?limit=1", &AUTH).await;
    assert_eq!((status, body["name"].as_str()), (404, Some("not_found")));
    let (status, body) = raw(&fake, op, "/workflows/wf/runs", &AUTH[1..]).await;
    assert_eq!(
        (status, body["name"].as_str()),
        (401, Some("missing_api_key"))
    );
    let (status, body) = raw(&fake, op, "/workflows/wf/runs", &AUTH[..1]).await;
    assert_eq!(status, 403);
    assert!(
        body.as_str().unwrap().contains("<html"),
        "the edge's 403 is HTML"
    );

    let (status, run) = raw(
        &fake,
        "get_workflow_run",
        &format!("/workflows/wf/runs/{}", all[3]),
        &AUTH,
    )
    .await;
    assert_eq!(
        (status, run["object"].as_str(), run["id"].as_str()),
        (200, Some("workflow_run"), Some(all[3]))
    );
    let (status, body) = raw(&fake, "get_workflow_run", "/workflows/wf/runs/nope", &AUTH).await;
    assert_eq!((status, body["name"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_client_reads_the_fake_and_its_rate_limit_headers() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf_1", 3);
    let client = client(&fake.base_url());
    let page = client
        .list_workflow_runs("wf_1")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.runs(), &runs[..2]);
    let rl = page.rate_limit().expect("rate-limit headers");
    assert!(rl.limit.is_some() && rl.remaining.is_some() && rl.reset.is_some());
    let run = client.get_workflow_run("wf_1", &runs[2].id).await.unwrap();
    // The retrieved run is the listed run plus `object`.
    let mut retrieved = serde_json::to_value(&run).unwrap();
    assert_eq!(retrieved["object"], "workflow_run");
    retrieved.as_object_mut().unwrap().remove("object");
    assert_eq!(retrieved, serde_json::to_value(&runs[2]).unwrap());
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/workflows/wf_1/runs");
    assert_eq!(requests[0].param("limit"), Some("2"));
}

#[tokio::test]
async fn the_fake_reports_every_answer_its_check_rejects() {
    let fake = FakeResend::start().await;
    fake.seed_workflow("wf", 3);
    fake.check_answers(|operation, status, body| match status {
        200 if body.contains("\"has_more\":false") => Err(format!("{operation} rejected")),
        _ => Ok(()),
    });
    let client = client(&fake.base_url());
    client
        .list_workflow_runs("wf")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    client.list_workflow_runs("wf").send().await.unwrap();
    assert_eq!(
        fake.violations(),
        ["list_workflow_runs 200 for /workflows/wf/runs: list_workflow_runs rejected"]
    );
    // The tests' own check holds answers to the spec: a payload that is
    // not an object (the fixture API lets a test build one) is caught.
    let fake = FakeResend::start().await;
    crate::common::check_answers(&fake);
    let mut runs = fake.seed_workflow("wf", 1);
    crate::common::client(&fake.base_url())
        .list_workflow_runs("wf")
        .send()
        .await
        .unwrap();
    crate::common::assert_answers_valid(&fake);
    runs[0].trigger.as_mut().unwrap().payload = Some(resend_workflows::EventPayload::from_value(
        &serde_json::json!([1, 2]),
    ));
    fake.add_workflow("wf", &runs);
    let _ = crate::common::client(&fake.base_url())
        .list_workflow_runs("wf")
        .send()
        .await;
    let violations = fake.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].starts_with("list_workflow_runs 200 for /workflows/wf/runs: ")
            && violations[0].contains("payload"),
        "{violations:?}"
    );
}

// A test that brings its own server (the simulation's, on tokio's paused
// clock) passes each request to `answer`: the answers the fake's port
// gives, counted among its requests.
#[tokio::test]
async fn the_fake_answers_a_request_without_its_server_as_on_its_port() {
    let fake = FakeResend::start().await;
    let runs = fake.seed_automation("a", 5);
    let asks = [
        (
            format!("/automations/a/runs?limit=2&after={}", runs[0].id),
            200,
        ),
        ("/automations/a/runs?limit=0".to_owned(), 422),
        ("/automations/nope/runs".to_owned(), 404),
    ];
    for (path, status) in &asks {
        let mut request = http::Request::get(path.as_str());
        for (k, v) in AUTH {
            request = request.header(k, v);
        }
        let answer = fake.answer(&request.body(()).unwrap());
        let (served, body) = raw(&fake, "list_automation_runs", path, &AUTH).await;
        assert_eq!(
            (answer.status().as_u16(), served),
            (*status, *status),
            "{path}"
        );
        let answered: Value = serde_json::from_str(answer.body()).unwrap();
        assert_eq!(answered, body, "{path}");
        assert_eq!(
            answer.headers()["content-type"],
            "application/json",
            "{path}"
        );
    }
    let answered = fake.answer(
        &http::Request::get(asks[0].0.as_str())
            .header("authorization", "Bearer re_x")
            .header("user-agent", "test/1")
            .body(())
            .unwrap(),
    );
    let body: Value = serde_json::from_str(answered.body()).unwrap();
    assert_eq!(ids(&body), [runs[1].id.as_str(), runs[2].id.as_str()]);
    // Each asked twice (answered and served), the first once more.
    assert_eq!(fake.requests().len(), 7);
}
