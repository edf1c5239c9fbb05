//! An in-process fake Resend for tests and demos (feature `fake`).
//!
//! It serves the runs endpoints on loopback with Resend's documented
//! semantics: newest first, exclusive `after`/`before` cursors, `has_more` in
//! the direction of travel, every run when no `limit` is sent (as the runs
//! page documents), `validation_error` bodies for bad arguments, 404
//! `not_found`, 401 without a key, the edge's HTML 403 without a
//! `User-Agent`, and `ratelimit-*` headers on every answer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};

use crate::generated::types::{WorkflowRun, WorkflowRunTrigger};
use crate::ids::check_id;
use crate::model::{Timestamp, WorkflowRunStatus};

/// Requests allowed per one-second window in the `ratelimit-*` headers.
/// Informative only: the fake does not refuse requests over it.
const RATE_LIMIT: u64 = 1000;

/// A request the fake received, for asserting what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRequest {
    /// The path, e.g. `/workflows/wf_1/runs`.
    pub path: String,
    /// The query parameters in the order sent.
    pub query: Vec<(String, String)>,
}

impl FakeRequest {
    /// The value of query parameter `name`, if sent.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    /// Workflow id -> its runs, newest first, each pre-rendered as JSON.
    workflows: HashMap<String, Vec<StoredRun>>,
    requests: Vec<FakeRequest>,
    window: (u64, u64),
    /// Requests left to answer normally before `fault` is served once.
    fault: Option<(usize, u16)>,
}

struct StoredRun {
    id: String,
    json: String,
}

/// A fake Resend on loopback. Dropping it stops serving.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), resend_workflows::Error> {
/// use resend_workflows::{Client, fake::FakeResend};
///
/// let fake = FakeResend::start().await;
/// fake.seed_workflow("wf_demo", 3);
/// let client = Client::builder().api_key("re_test").base_url(fake.base_url()).build()?;
/// let page = client.list_runs("wf_demo").send().await?;
/// assert_eq!(page.runs().len(), 3);
/// # Ok(()) }
/// ```
pub struct FakeResend {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for FakeResend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeResend")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not turn every later request into a panic.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeResend {
    /// Starts a fake with no workflows.
    pub async fn start() -> Self {
        let server = MockServer::start_async().await;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        server
            .mock_async(|when, then| {
                when.any_request();
                then.respond_with(move |req: &HttpMockRequest| respond(&shared, req));
            })
            .await;
        Self { server, state }
    }

    /// The base URL to give [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Adds (or replaces) a workflow with `runs`, given newest first.
    pub fn add_workflow(&self, workflow_id: &str, runs: &[WorkflowRun]) {
        let stored = runs
            .iter()
            .map(|run| StoredRun {
                id: run.id.clone(),
                json: serde_json::to_string(run).expect("a run always serialises"),
            })
            .collect();
        lock(&self.state)
            .workflows
            .insert(workflow_id.to_owned(), stored);
    }

    /// Adds a workflow with `count` generated runs and returns them, newest
    /// first: UUID ids, a mix of statuses, one minute apart.
    pub fn seed_workflow(&self, workflow_id: &str, count: usize) -> Vec<WorkflowRun> {
        let runs = generate_runs(workflow_id, count);
        self.add_workflow(workflow_id, &runs);
        runs
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<FakeRequest> {
        lock(&self.state).requests.clone()
    }

    /// Lets the next `ok_requests` requests through, then answers one with
    /// `status` and a Resend error body (`validation_error` for a 4xx,
    /// `internal_server_error` for a 5xx), then serves normally again.
    pub fn fail_after(&self, ok_requests: usize, status: u16) {
        lock(&self.state).fault = Some((ok_requests, status));
    }

    /// Cancels a fault set by [`fail_after`](Self::fail_after) that has not fired.
    pub fn clear_fault(&self) {
        lock(&self.state).fault = None;
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }
}

/// `count` runs for `workflow_id`, newest first, deterministic.
pub fn generate_runs(workflow_id: &str, count: usize) -> Vec<WorkflowRun> {
    let salt = workflow_id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let newest = 1_790_000_000_i64; // 2026-09-21
    (0..count)
        .map(|i| {
            let created = newest - 60 * i as i64;
            let at = |secs: i64| {
                Timestamp::from(chrono::DateTime::from_timestamp(secs, 0).expect("in range"))
            };
            let status = match i % 7 {
                0 => WorkflowRunStatus::Running,
                3 => WorkflowRunStatus::Failed,
                5 => WorkflowRunStatus::Cancelled,
                _ => WorkflowRunStatus::Completed,
            };
            let completed_at =
                (!matches!(status, WorkflowRunStatus::Running)).then(|| at(created + 5));
            let trigger = (i % 2 == 0).then(|| WorkflowRunTrigger {
                event_name: "user.created".to_owned(),
                payload: serde_json::Map::from_iter([("n".to_owned(), serde_json::json!(i))]),
            });
            WorkflowRun {
                id: format!("{salt:08x}-{:04x}-4000-8000-{:012x}", (i >> 48) & 0xffff, i),
                status,
                trigger,
                started_at: Some(at(created)),
                completed_at,
                created_at: at(created),
            }
        })
        .collect()
}

struct Reply {
    status: u16,
    body: String,
    html: bool,
}

impl Reply {
    fn json(status: u16, body: String) -> Self {
        Self {
            status,
            body,
            html: false,
        }
    }

    fn error(status: u16, name: &str, message: &str) -> Self {
        let body = serde_json::json!({"statusCode": status, "name": name, "message": message});
        Self::json(status, body.to_string())
    }
}

fn respond(state: &Mutex<State>, req: &HttpMockRequest) -> HttpMockResponse {
    let path = req.uri().path().to_owned();
    let query = req.query_params();
    let mut state = lock(state);
    state.requests.push(FakeRequest {
        path: path.clone(),
        query: query.clone(),
    });
    let remaining = state.tick();
    let reply = match state.fault.take() {
        Some((0, status)) => {
            let name = if status >= 500 {
                "internal_server_error"
            } else {
                "validation_error"
            };
            Reply::error(status, name, "Injected by FakeResend::fail_after.")
        }
        Some((n, status)) => {
            state.fault = Some((n - 1, status));
            route(&state, req, &path, &query)
        }
        None => route(&state, req, &path, &query),
    };
    drop(state);

    let mut response = HttpMockResponse::builder()
        .status(reply.status)
        .header("ratelimit-limit", RATE_LIMIT.to_string())
        .header("ratelimit-remaining", remaining.to_string())
        .header("ratelimit-reset", "1");
    response = if reply.html {
        response.header("content-type", "text/html; charset=UTF-8")
    } else {
        response.header("content-type", "application/json")
    };
    response.body(reply.body).build()
}

impl State {
    /// Counts a request in the current one-second window; returns what is left.
    fn tick(&mut self) -> u64 {
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        if self.window.0 != second {
            self.window = (second, 0);
        }
        self.window.1 += 1;
        RATE_LIMIT.saturating_sub(self.window.1)
    }
}

fn route(state: &State, req: &HttpMockRequest, path: &str, query: &[(String, String)]) -> Reply {
    let headers = req.headers();
    if !headers.contains_key("user-agent") {
        // What Resend's edge does (error code 1010): HTML, not JSON.
        return Reply {
            status: 403,
            body: "<!DOCTYPE html><html><head><title>Access denied | api.resend.com</title></head>\
                   <body><h1>Error 1010</h1><p>Access denied</p></body></html>"
                .to_owned(),
            html: true,
        };
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_none_or(str::is_empty) {
        return Reply::error(
            401,
            "missing_api_key",
            "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY",
        );
    }
    if req.method_str() != "GET" {
        return Reply::error(405, "method_not_allowed", "Method not allowed");
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["workflows", id, "runs"] => list(state, id, query),
        ["workflows", id, "runs", run_id] => get(state, id, run_id),
        _ => Reply::error(404, "not_found", "The requested endpoint does not exist."),
    }
}

fn validation(message: String) -> Reply {
    Reply::error(422, "validation_error", &message)
}

fn list(state: &State, workflow_id: &str, query: &[(String, String)]) -> Reply {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(runs) = state.workflows.get(workflow_id) else {
        return Reply::error(404, "not_found", "Workflow not found");
    };
    let limit = match param("limit") {
        None => runs.len().max(1),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                return validation(format!(
                    "The `limit` must be between 1 and 100, got `{raw}`."
                ));
            }
        },
    };
    let (after, before) = (param("after"), param("before"));
    for (name, cursor) in [("after", after), ("before", before)] {
        if let Some(c) = cursor
            && check_id(name, c).is_err()
        {
            return validation(format!("The `{name}` cursor `{c}` is not a valid id."));
        }
    }
    let position = |cursor: &str| runs.iter().position(|r| r.id == cursor);
    let (start, end, has_more) = match (after, before) {
        (Some(_), Some(_)) => {
            return validation("You can only use either `after` or `before`, not both.".to_owned());
        }
        (Some(c), None) => match position(c) {
            Some(i) => {
                let start = i + 1;
                let end = (start + limit).min(runs.len());
                (start, end, end < runs.len())
            }
            None => return validation(format!("The `after` cursor `{c}` does not match a run.")),
        },
        (None, Some(c)) => match position(c) {
            Some(i) => {
                let start = i.saturating_sub(limit);
                (start, i, start > 0)
            }
            None => return validation(format!("The `before` cursor `{c}` does not match a run.")),
        },
        (None, None) => {
            let end = limit.min(runs.len());
            (0, end, end < runs.len())
        }
    };
    let mut body = String::with_capacity(
        64 + runs[start..end]
            .iter()
            .map(|r| r.json.len() + 1)
            .sum::<usize>(),
    );
    let _ = write!(body, r#"{{"object":"list","has_more":{has_more},"data":["#);
    for (n, run) in runs[start..end].iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&run.json);
    }
    body.push_str("]}");
    Reply::json(200, body)
}

fn get(state: &State, workflow_id: &str, run_id: &str) -> Reply {
    let run = state
        .workflows
        .get(workflow_id)
        .and_then(|runs| runs.iter().find(|r| r.id == run_id));
    match run {
        Some(run) => {
            // `{"object":"workflow_run",` + the run's own fields.
            let body = format!(r#"{{"object":"workflow_run",{}"#, &run.json[1..]);
            Reply::json(200, body)
        }
        None => Reply::error(404, "not_found", "Workflow run not found"),
    }
}
