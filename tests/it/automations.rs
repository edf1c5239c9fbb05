//! Automation runs (the GA API): contract tests against the spec, fixture
//! validation of the fake, and property tests of the filtered streams.

use crate::common;

use crate::common::{KEY, check, client, client_no_retry, error_body, valid};
use futures::TryStreamExt;
use httpmock::{Method::GET, MockServer};
use proptest::prelude::*;
use resend_workflows::mock::MockServerExt;
use resend_workflows::{
    ApiErrorKind, AutomationId, AutomationRunListItem, AutomationStatus, ConnectionType, Cursor,
    DEFAULT_USER_AGENT, Error, InvalidReason, RunStatus, StatusFilter, StepStatus, StepType,
    Timestamp,
};
use serde_json::{Value, json};

const AUTO: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const RUN: &str = "3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

/// The spec's list example for automation runs.
fn list_example() -> Value {
    json!({
        "object": "list",
        "has_more": true,
        "data": [{
            "id": RUN,
            "status": "failed",
            "started_at": "2026-10-01 12:00:00.000000+00",
            "completed_at": "2026-10-01 12:00:03.250000+00",
            "created_at": "2026-10-01 12:00:00.000000+00"
        }]
    })
}

/// The spec's retrieve example, with a step status the crate does not know.
fn run_example() -> Value {
    json!({
        "object": "automation_run",
        "id": RUN,
        "status": "failed",
        "started_at": "2026-10-01 12:00:00.000000+00",
        "completed_at": "2026-10-01 12:00:03.250000+00",
        "created_at": "2026-10-01 12:00:00.000000+00",
        "steps": [
            {"key": "trigger", "type": "trigger", "status": "completed",
             "started_at": "2026-10-01 12:00:00.000000+00", "completed_at": "2026-10-01 12:00:00.010000+00",
             "output": {"event": "user.created"}, "error": null, "created_at": "2026-10-01 12:00:00.000000+00"},
            {"key": "send_welcome", "type": "send_email", "status": "failed",
             "started_at": "2026-10-01 12:00:00.020000+00", "completed_at": "2026-10-01 12:00:03.250000+00",
             "output": null, "error": {"message": "The template does not exist."},
             "created_at": "2026-10-01 12:00:00.010000+00"},
            // A step from before `key` existed, of a type and status not known yet.
            {"type": "send_sms", "status": "retrying", "created_at": "2026-10-01 12:00:00+00"}
        ]
    })
}

#[tokio::test]
async fn list_sends_path_limit_status_filter_and_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/automations/{AUTO}/runs"))
                .query_param("limit", "25")
                .query_param("status", "failed,cancelled")
                .query_param("after", RUN)
                .query_param_missing("before")
                .query_param_count(".*", ".*", 3)
                .header("authorization", format!("Bearer {KEY}"))
                .header("user-agent", DEFAULT_USER_AGENT)
                .header_missing("api-version");
            then.status(200)
                .json_body(valid("list_automation_runs", 200, list_example()));
        })
        .await;
    let page = client(&server.base_url())
        .list_automation_runs(AUTO)
        .limit(25)
        .after(RUN)
        .status([RunStatus::Failed, RunStatus::Cancelled, RunStatus::Failed])
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    let run = &page.runs()[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.created_at,
        "2026-10-01T12:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(page.next_cursor().map(Cursor::as_str), Some(RUN));
}

#[tokio::test]
async fn no_filter_means_no_status_parameter_typed_helpers() {
    let server = MockServer::start_async().await;
    let id = AutomationId::new(AUTO).unwrap();
    let body: resend_workflows::types::AutomationRunList =
        serde_json::from_value(valid("list_automation_runs", 200, list_example())).unwrap();
    let mock = server.list_automation_runs(|when, then| {
        when.automation_id(&id)
            .limit(std::num::NonZeroU32::new(100))
            .status(None)
            .after(None)
            .before(None);
        then.ok(&body);
    });
    client(&server.base_url())
        .list_automation_runs(AUTO)
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn get_run_decodes_steps_in_order_with_open_statuses() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/automations/{AUTO}/runs/{RUN}"))
                .query_param_count(".*", ".*", 0)
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200)
                .json_body(valid("get_automation_run", 200, run_example()));
        })
        .await;
    let run = client(&server.base_url())
        .get_automation_run(AUTO, RUN)
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    let keys: Vec<Option<&str>> = run.steps.iter().map(|s| s.key.as_deref()).collect();
    assert_eq!(keys, [Some("trigger"), Some("send_welcome"), None]);
    assert_eq!(run.steps[1].status, Some(StepStatus::Failed));
    assert_eq!(run.steps[1].type_, Some(StepType::SendEmail));
    assert_eq!(
        run.steps[1].error.as_ref().unwrap()["message"],
        "The template does not exist."
    );
    assert_eq!(
        run.steps[2].status,
        Some(StepStatus::Unknown("retrying".into()))
    );
    assert_eq!(
        run.steps[2].type_,
        Some(StepType::Unknown("send_sms".into()))
    );
    assert_eq!(run.steps[2].started_at, None);
    assert_eq!(run.object, "automation_run");
}

#[tokio::test]
async fn not_found_and_validation_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path_includes("/runs/");
            then.status(404).json_body(valid(
                "get_automation_run",
                404,
                error_body(404, "not_found", "Automation run not found"),
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path(format!("/automations/{AUTO}/runs"));
            then.status(422).json_body(valid(
                "list_automation_runs",
                422,
                error_body(422, "validation_error", "Invalid `status` value"),
            ));
        })
        .await;
    let client = client_no_retry(&server.base_url());
    let err = client.get_automation_run(AUTO, RUN).await.unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), &ApiErrorKind::NotFound);
    let err = client.list_automation_runs(AUTO).send().await.unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), &ApiErrorKind::ValidationError);
}

#[tokio::test]
async fn bad_arguments_are_rejected_before_sending() {
    let fake = common::fake().await;
    let client = client(&fake.base_url());
    let reject = |r: Result<_, Error>| match r {
        Err(Error::InvalidArgument(e)) => (e.parameter(), e.reason().clone()),
        other => panic!("{other:?}"),
    };
    let cases = [
        (
            client.list_automation_runs("a/b").send().await.map(drop),
            "automation_id",
        ),
        (
            client
                .list_automation_runs("a")
                .limit(0)
                .send()
                .await
                .map(drop),
            "limit",
        ),
        (
            client
                .list_automation_runs("a")
                .status([])
                .send()
                .await
                .map(drop),
            "status",
        ),
        (
            client
                .list_automation_runs("a")
                .status([RunStatus::Unknown("x&y".into())])
                .send()
                .await
                .map(drop),
            "status",
        ),
        (
            client
                .list_automation_runs("a")
                .after("x")
                .before("y")
                .send()
                .await
                .map(drop),
            "after",
        ),
        (
            client.get_automation_run("a", "r?").await.map(drop),
            "run_id",
        ),
    ];
    for (result, parameter) in cases {
        assert_eq!(reject(result).0, parameter);
    }
    let (_, reason) = reject(
        client
            .list_automation_runs("a")
            .status([])
            .send()
            .await
            .map(drop),
    );
    assert_eq!(reason, InvalidReason::Empty);
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_fake_serves_automations_by_the_spec() {
    let fake = common::fake().await;
    let runs = fake.seed_automation("auto", 40);
    let http = common::reqwest_builder().build().unwrap();
    let get = |q: String| {
        let request = http
            .get(format!("{}{q}", fake.base_url()))
            .header("authorization", "Bearer re_x")
            .header("user-agent", "t/1");
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    for q in [
        "/automations/auto/runs?limit=10",
        "/automations/auto/runs?limit=10&status=failed,cancelled",
        &format!(
            "/automations/auto/runs?limit=5&before={}&status=completed",
            runs[30].id
        ),
        &format!("/automations/auto/runs?after={}", runs[3].id),
        "/automations/auto/runs?status=paused",
        "/automations/auto/runs?status=",
        "/automations/nope/runs",
        &format!("/automations/auto/runs/{}", runs[7].id),
        "/automations/auto/runs/nope",
    ] {
        let (status, body) = get(q.to_string()).await;
        let op = if q.contains("/runs/") {
            "get_automation_run"
        } else {
            "list_automation_runs"
        };
        if let Err(e) = check(op, status, &body) {
            panic!("{q}: the fake's {status} answer breaks the spec: {e}\n{body:#}");
        }
    }
    let (_, filtered) =
        get("/automations/auto/runs?limit=100&status=failed,cancelled".into()).await;
    let expected: Vec<&str> = runs
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Failed | RunStatus::Cancelled))
        .map(|r| r.id.as_str())
        .collect();
    let got: Vec<&str> = filtered["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
    let (status, body) = get(format!("/automations/auto/runs/{}", runs[3].id)).await;
    assert_eq!(
        (
            status,
            body["object"].as_str(),
            body["steps"].as_array().map(Vec::len)
        ),
        (200, Some("automation_run"), Some(2))
    );
}

// ---- property tests ----

fn filter_strategy() -> impl Strategy<Value = Option<Vec<RunStatus>>> {
    proptest::option::of(proptest::sample::subsequence(
        RunStatus::KNOWN.to_vec(),
        1..=4,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every matching run exactly once, in the documented order, with
    /// ceil(matching / size) requests (one when none match), both directions.
    #[test]
    fn filtered_streams_yield_every_matching_run_once(
        n in 0usize..=600,
        size in 1u32..=100,
        backward in any::<bool>(),
        filter in filter_strategy(),
    ) {
        let common::PropEnv { rt, fake } = common::prop_env(2);
        let id = common::unique_id("auto_prop");
        let runs = fake.seed_automation(&id, n + usize::from(backward));
        let client = client(&fake.base_url());
        let mut request = client.list_automation_runs(&id).limit(size);
        if let Some(f) = &filter {
            request = request.status(f.clone());
        }
        if backward {
            request = request.before(&runs[n].id);
        }
        let got: Vec<AutomationRunListItem> = rt.block_on(request.stream().try_collect()).unwrap();
        let wanted = |s: &RunStatus| filter.as_ref().is_none_or(|f| f.contains(s));
        let mut expected: Vec<&str> = runs[..n].iter().filter(|r| wanted(&r.status)).map(|r| r.id.as_str()).collect();
        if backward {
            expected.reverse();
        }
        let got_ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        prop_assert_eq!(&got_ids, &expected);
        let path = format!("/automations/{id}/runs");
        let sent: Vec<_> = fake.requests().into_iter().filter(|r| r.path == path).collect();
        prop_assert_eq!(sent.len(), expected.len().div_ceil(size as usize).max(1));
        let status_param = filter.map(|f| f.into_iter().collect::<StatusFilter>().to_string());
        prop_assert!(sent.iter().all(|r| r.param("status").map(str::to_owned) == status_param));
        common::assert_answers_valid(fake);
    }
}

// ---- the automations themselves: list_automations, get_automation ----

#[tokio::test]
async fn list_automations_sends_path_limit_and_status_and_decodes_the_example() {
    let server = MockServer::start_async().await;
    let example =
        serde_json::from_str::<Value>(include_str!("../recorded/docs-list-automations.json"))
            .unwrap()["body"]
            .clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automations")
                .query_param("limit", "2")
                .query_param("status", "enabled")
                .query_param_missing("after")
                .query_param_missing("before")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200)
                .json_body(valid("list_automations", 200, example));
        })
        .await;
    let page = client(&server.base_url())
        .list_automations()
        .status(AutomationStatus::Enabled)
        .limit(2)
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    let names: Vec<&str> = page.items().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Welcome series", "Re-engagement"]);
    assert_eq!(page.items()[1].status, AutomationStatus::Disabled);
    assert_eq!(
        page.items()[1].updated_at,
        Some("2026-09-20 14:00:00.000000+00".parse().unwrap())
    );
    assert!(!page.has_more());
}

#[tokio::test]
async fn get_automation_decodes_its_graph_with_a_connection_type_left_out() {
    let server = MockServer::start_async().await;
    let fixture =
        serde_json::from_str::<Value>(include_str!("../recorded/go-get-automation-step-keys.json"))
            .unwrap()["body"]
            .clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/automations/aut_456")
                .query_param_count(".*", ".*", 0);
            then.status(200)
                .json_body(valid("get_automation", 200, fixture));
        })
        .await;
    let automation = client(&server.base_url())
        .get_automation("aut_456")
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    let keys: Vec<_> = automation.steps.iter().map(|s| s.key.as_deref()).collect();
    assert_eq!(
        keys,
        [
            Some("trigger_1"),
            Some("delay_1"),
            Some("wait_1"),
            Some("send_1")
        ]
    );
    assert_eq!(automation.steps[2].type_, Some(StepType::WaitForEvent));
    assert_eq!(
        automation.steps[1].config.as_ref().unwrap()["duration"],
        "30 minutes"
    );
    let connections: Vec<_> = automation
        .connections
        .iter()
        .map(|c| (c.from.as_str(), c.to.as_str(), c.type_.clone()))
        .collect();
    assert_eq!(
        connections,
        [
            ("trigger_1", "delay_1", None),
            ("delay_1", "wait_1", None),
            ("wait_1", "send_1", Some(ConnectionType::EventReceived)),
            ("wait_1", "send_1", Some(ConnectionType::Timeout)),
        ]
    );
}

#[tokio::test]
async fn the_fake_serves_the_team_s_automations_by_the_spec() {
    let fake = common::fake().await;
    for id in ["a1", "a2", "a3"] {
        fake.seed_automation(id, 1);
    }
    let mut disabled = resend_workflows::fake::generate_automation("a4");
    disabled.status = AutomationStatus::Disabled;
    fake.define_automation(&disabled);
    let client = client(&fake.base_url());
    let all: Vec<_> = client
        .list_automations()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a4", "a3", "a2", "a1"], "newest defined first");
    let enabled: Vec<_> = client
        .list_automations()
        .status(AutomationStatus::Enabled)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(enabled.len(), 3);
    let a4 = client.get_automation("a4").await.unwrap();
    assert_eq!((a4.status, a4.steps.len()), (AutomationStatus::Disabled, 2));
    let err = client.get_automation("nope").await.unwrap_err();
    assert_eq!(err.as_api().unwrap().kind(), &ApiErrorKind::NotFound);
    // A run's steps name the automation's steps.
    let run = fake.seed_automation("a5", 1).remove(0);
    let graph = client.get_automation("a5").await.unwrap();
    for step in &run.steps {
        assert!(
            graph.steps.iter().any(|s| s.key == step.key),
            "{:?}",
            step.key
        );
    }
}

#[tokio::test]
async fn automation_arguments_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server.base_url());
    let err = client.get_automation("a/b").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref e) if e.parameter() == "automation_id"));
    let err = client
        .list_automations()
        .status(AutomationStatus::Unknown("on&x=1".into()))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref e) if e.parameter() == "status"));
    let err = client.list_automations().limit(0).send().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(ref e) if e.parameter() == "limit"));
    catch_all.assert_calls_async(0).await;
}
