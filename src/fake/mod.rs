//! An in-process fake Resend for tests and demos (feature `fake`).
//!
//! It serves the workflow and automation runs endpoints on loopback with
//! Resend's documented semantics: newest first, exclusive `after`/`before`
//! cursors, `has_more` in the direction of travel, the `status` filter on
//! automation runs, every run when no `limit` is sent (as the runs page
//! documents), `validation_error` bodies (422) for bad arguments, 404
//! `not_found`, 401 without a key, the edge's HTML 403 without a
//! `User-Agent`, and `ratelimit-*` headers on every answer. Faults can be
//! programmed: failed requests, latency, an exhausted rate-limit window.
//!
//! A service's own tests can use it to test code that consumes runs:
//!
//! ```
//! use futures::TryStreamExt;
//! use resend_workflows::{Client, Error, RunStatus, fake::FakeResend};
//!
//! /// The code under test: counts an automation's failed runs.
//! async fn count_failed(client: &Client, automation: &str) -> Result<usize, Error> {
//!     let failed: Vec<_> = client
//!         .list_automation_runs(automation)
//!         .status([RunStatus::Failed])
//!         .stream()
//!         .try_collect()
//!         .await?;
//!     Ok(failed.len())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let fake = FakeResend::start().await;
//! let runs = fake.seed_automation("onboarding", 300);
//! fake.fail_next(1, 503); // the client retries it
//! let client = Client::builder().api_key("re_test").base_url(fake.base_url()).build()?;
//!
//! let expected = runs.iter().filter(|r| r.status == RunStatus::Failed).count();
//! assert_eq!(count_failed(&client, "onboarding").await?, expected);
//! # Ok(()) }
//! ```

mod data;
mod serve;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};

pub use data::{automation_runs as generate_automation_runs, workflow_runs as generate_runs};

use crate::generated::types::{AutomationRun, AutomationRunObject, WorkflowRun};
use serve::Reply;

/// Requests allowed per one-second window in the `ratelimit-*` headers.
/// Informative only: the fake does not refuse requests over it.
const RATE_LIMIT: u64 = 1000;

/// A request the fake received, for asserting what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRequest {
    /// The path, e.g. `/workflows/wf_1/runs`.
    pub path: String,
    /// The query parameters in the order sent, decoded.
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

/// A run as served: its id and status (for cursors and filters), its list
/// JSON and its retrieve JSON (both without `object`), rendered once.
struct StoredRun {
    id: String,
    status: String,
    json: String,
    detail: String,
}

#[derive(Default)]
struct Faults {
    /// Statuses to answer the next requests with, in order.
    fail_next: Vec<u16>,
    /// Requests left to answer normally before one fails with the status.
    fail_after: Option<(usize, u16)>,
    /// Answers left that report `ratelimit-remaining: 0`.
    exhausted: usize,
}

#[derive(Default)]
struct State {
    workflows: HashMap<String, Vec<StoredRun>>,
    automations: HashMap<String, Vec<StoredRun>>,
    requests: Vec<FakeRequest>,
    window: (u64, u64),
    faults: Faults,
}

/// A fake Resend on loopback. Dropping it stops serving.
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

fn stored<T: serde::Serialize>(
    id: &str,
    status: &str,
    listed: &impl serde::Serialize,
    detail: &T,
) -> StoredRun {
    StoredRun {
        id: id.to_owned(),
        status: status.to_owned(),
        json: serde_json::to_string(listed).expect("a run always serialises"),
        detail: serde_json::to_string(detail).expect("a run always serialises"),
    }
}

impl FakeResend {
    /// Starts a fake with no workflows or automations.
    pub async fn start() -> Self {
        let fake = Self {
            server: MockServer::start_async().await,
            state: Arc::new(Mutex::new(State::default())),
        };
        fake.register(Duration::ZERO).await;
        fake
    }

    async fn register(&self, latency: Duration) {
        let shared = Arc::clone(&self.state);
        self.server
            .mock_async(|when, then| {
                when.any_request();
                then.delay(latency)
                    .respond_with(move |req: &HttpMockRequest| respond(&shared, req));
            })
            .await;
    }

    /// The base URL to give [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Adds (or replaces) a workflow with `runs`, given newest first.
    pub fn add_workflow(&self, workflow_id: &str, runs: &[WorkflowRun]) {
        let stored = runs
            .iter()
            .map(|r| stored(&r.id, r.status.as_str(), r, r))
            .collect();
        lock(&self.state)
            .workflows
            .insert(workflow_id.to_owned(), stored);
    }

    /// Adds a workflow with `count` generated runs and returns them, newest
    /// first: UUID ids, a mix of statuses, one minute apart.
    pub fn seed_workflow(&self, workflow_id: &str, count: usize) -> Vec<WorkflowRun> {
        let runs = data::workflow_runs(workflow_id, count);
        self.add_workflow(workflow_id, &runs);
        runs
    }

    /// Adds (or replaces) an automation with `runs` (with their steps),
    /// given newest first. Lists show each run without its steps.
    pub fn add_automation(&self, automation_id: &str, runs: &[AutomationRunObject]) {
        let stored = runs
            .iter()
            .map(|r| {
                let listed = AutomationRun {
                    id: r.id.clone(),
                    status: r.status.clone(),
                    started_at: r.started_at,
                    completed_at: r.completed_at,
                    created_at: r.created_at,
                };
                let mut detail = serde_json::to_value(r).expect("a run always serialises");
                detail.as_object_mut().map(|o| o.remove("object"));
                stored(&r.id, r.status.as_str(), &listed, &detail)
            })
            .collect();
        lock(&self.state)
            .automations
            .insert(automation_id.to_owned(), stored);
    }

    /// Adds an automation with `count` generated runs, each with a trigger
    /// and a send step, and returns them newest first.
    pub fn seed_automation(&self, automation_id: &str, count: usize) -> Vec<AutomationRunObject> {
        let runs = data::automation_runs(automation_id, count);
        self.add_automation(automation_id, &runs);
        runs
    }

    /// Answers the next `count` requests with `status` and a Resend error
    /// body (`rate_limit_exceeded` for 429, `internal_server_error` for a
    /// 5xx, `validation_error` otherwise), then serves normally.
    pub fn fail_next(&self, count: usize, status: u16) {
        lock(&self.state)
            .faults
            .fail_next
            .extend(std::iter::repeat_n(status, count));
    }

    /// Lets the next `ok_requests` requests through, then answers one with
    /// `status` as [`fail_next`](Self::fail_next) does.
    pub fn fail_after(&self, ok_requests: usize, status: u16) {
        lock(&self.state).faults.fail_after = Some((ok_requests, status));
    }

    /// Makes the next `count` answers report `ratelimit-remaining: 0` and
    /// `ratelimit-reset: 1`, as when a team's window is used up.
    pub fn exhaust_rate_limit(&self, count: usize) {
        lock(&self.state).faults.exhausted = count;
    }

    /// Delays every answer by `latency` from now on (zero to stop).
    pub async fn set_latency(&self, latency: Duration) {
        self.server.reset_async().await;
        self.register(latency).await;
    }

    /// Cancels every programmed fault that has not fired.
    pub fn clear_faults(&self) {
        lock(&self.state).faults = Faults::default();
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<FakeRequest> {
        lock(&self.state).requests.clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }
}

fn injected(status: u16) -> Reply {
    let name = match status {
        429 => "rate_limit_exceeded",
        500.. => "internal_server_error",
        _ => "validation_error",
    };
    Reply::error(status, name, "Injected by FakeResend.")
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

    /// The programmed fault for this request, if one fires.
    fn fault(&mut self) -> Option<Reply> {
        if !self.faults.fail_next.is_empty() {
            return Some(injected(self.faults.fail_next.remove(0)));
        }
        match self.faults.fail_after.take() {
            Some((0, status)) => Some(injected(status)),
            Some((n, status)) => {
                self.faults.fail_after = Some((n - 1, status));
                None
            }
            None => None,
        }
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
    let mut remaining = state.tick();
    if state.faults.exhausted > 0 {
        state.faults.exhausted -= 1;
        remaining = 0;
    }
    let reply = match state.fault() {
        Some(reply) => reply,
        None => serve::route(&state, req, &path, &query),
    };
    drop(state);

    let content_type = if reply.html {
        "text/html; charset=UTF-8"
    } else {
        "application/json"
    };
    HttpMockResponse::builder()
        .status(reply.status)
        .header("content-type", content_type)
        .header("ratelimit-limit", RATE_LIMIT.to_string())
        .header("ratelimit-remaining", remaining.to_string())
        .header("ratelimit-reset", "1")
        .body(reply.body)
        .build()
}
