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
//! An enforced team rate limit counts the team's sends with its reads, in
//! the order they arrive, as Resend does: real `POST /emails` requests from
//! a scripted [`Sender`] ([`FakeResend::send_emails`]), or timer-free
//! virtual ones ([`FakeResend::share_rate_limit`]); [`FakeResend::traffic`]
//! says how many of each were refused.
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
//!
//! A run fails as Resend shows it: [`fail_run`](FakeResend::fail_run) fails
//! it at a chosen step with a chosen error (the steps before it completed,
//! those after it skipped), so code that alerts on the failing step can be
//! tested against what it will read:
//!
//! ```
//! use resend_workflows::{Client, Error, RunStatus, fake::FakeResend};
//!
//! /// The code under test: one alert per failing step of a failed run.
//! async fn alerts(client: &Client, automation: &str) -> Result<Vec<String>, Error> {
//!     let failed = client
//!         .list_automation_runs(automation)
//!         .status([RunStatus::Failed])
//!         .send()
//!         .await?;
//!     let mut alerts = Vec::new();
//!     for listed in failed.runs() {
//!         let run = client.get_automation_run(automation, &listed.id).await?;
//!         for step in &run.steps {
//!             if let Some(error) = &step.error {
//!                 let message = error.get("message").and_then(|m| m.as_str());
//!                 alerts.push(format!(
//!                     "{} failed: {}",
//!                     step.key.as_deref().unwrap_or("a step"),
//!                     message.unwrap_or("no message"),
//!                 ));
//!             }
//!         }
//!     }
//!     Ok(alerts)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let fake = FakeResend::start().await;
//! fake.add_automation("onboarding", &[]);
//! let doomed = fake.start_automation_run("onboarding", RunStatus::Running).unwrap();
//! fake.start_automation_run("onboarding", RunStatus::Completed).unwrap();
//! let error = serde_json::json!({"message": "The template does not exist."});
//! assert!(fake.fail_run("onboarding", &doomed.id, "send_welcome", error));
//!
//! let client = Client::builder().api_key("re_test").base_url(fake.base_url()).build()?;
//! assert_eq!(
//!     alerts(&client, "onboarding").await?,
//!     ["send_welcome failed: The template does not exist."]
//! );
//! # Ok(()) }
//! ```

mod automations;
mod data;
mod limit;
mod rate;
mod send_plan;
mod sender;
mod serve;
mod simulation;
mod state;
mod steps;
mod traffic;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::{HttpMockRequest, MockServer};

pub use data::{
    automation as generate_automation, automation_runs as generate_automation_runs,
    workflow_runs as generate_workflow_runs,
};
#[cfg(test)]
pub(crate) use limit::LimitEnforcer;
pub use send_plan::SendPlan;
pub use sender::Sender;
pub use simulation::Simulation;
pub use state::FakeRequest;
pub use traffic::{Caller, Tally, Traffic};

use crate::status::RunStatus;

use crate::transport::generated::types::{AutomationRun, WorkflowRunListItem};
use state::{Faults, State, lock, stored_automation_run, stored_workflow_run};

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
                    .respond_with(move |req: &HttpMockRequest| serve::respond(&shared, req));
            })
            .await;
    }

    /// The base URL to give [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Adds (or replaces) a workflow with `runs`, given newest first.
    pub fn add_workflow(&self, workflow_id: &str, runs: &[WorkflowRunListItem]) {
        let stored = runs.iter().map(stored_workflow_run).collect();
        lock(&self.state)
            .workflows
            .insert(workflow_id.to_owned(), stored);
    }

    /// Adds a workflow with `count` generated runs and returns them, newest
    /// first: UUID ids, a mix of statuses, one minute apart.
    pub fn seed_workflow(&self, workflow_id: &str, count: usize) -> Vec<WorkflowRunListItem> {
        let runs = data::workflow_runs(workflow_id, count);
        self.add_workflow(workflow_id, &runs);
        runs
    }

    /// Adds (or replaces) an automation with `runs` (with their steps),
    /// given newest first. Lists show each run without its steps.
    pub fn add_automation(&self, automation_id: &str, runs: &[AutomationRun]) {
        let stored = runs.iter().map(stored_automation_run).collect();
        lock(&self.state)
            .automations
            .insert(automation_id.to_owned(), stored);
    }

    /// Adds an automation with `count` generated runs, each with a trigger
    /// and a send step, and returns them newest first. Unless defined
    /// already, the automation itself is defined too (enabled, with those
    /// two steps and a connection), for `list_automations` and
    /// `get_automation`.
    pub fn seed_automation(&self, automation_id: &str, count: usize) -> Vec<AutomationRun> {
        let runs = data::automation_runs(automation_id, count);
        self.add_automation(automation_id, &runs);
        let defined = lock(&self.state)
            .automation_defs
            .iter()
            .any(|a| a.id == automation_id);
        if !defined {
            self.define_automation(&data::automation(automation_id));
        }
        runs
    }

    /// Starts a run of automation `automation_id` in `status`, created now:
    /// it appears at the top of the list, newest, as on Resend. `None` when
    /// the automation was never seeded or added.
    pub fn start_automation_run(
        &self,
        automation_id: &str,
        status: RunStatus,
    ) -> Option<AutomationRun> {
        lock(&self.state).start_automation_run(automation_id, status)
    }

    /// Adds a run of automation `automation_id` in `status`, created at
    /// `created_at`: in its place in the newest-first list, below any newer
    /// run (a run inserted late, or by a clock that reads earlier; a
    /// history to start a test from). `None` when the automation was never
    /// seeded or added.
    pub fn insert_automation_run(
        &self,
        automation_id: &str,
        status: RunStatus,
        created_at: crate::timestamp::Timestamp,
    ) -> Option<AutomationRun> {
        lock(&self.state).insert_automation_run(automation_id, status, created_at)
    }

    /// Starts a run of workflow `workflow_id` (the alpha), as
    /// [`start_automation_run`](Self::start_automation_run) does for an automation.
    pub fn start_workflow_run(
        &self,
        workflow_id: &str,
        status: RunStatus,
    ) -> Option<WorkflowRunListItem> {
        lock(&self.state).start_workflow_run(workflow_id, status)
    }

    /// Moves run `run_id` of automation (or workflow) `parent` to `status`,
    /// in place: `completed_at` is set to now when the status is final,
    /// and the steps move with it, as Resend shows them (completed: every
    /// step completed; failed: the first step not completed fails with
    /// an error, the later ones skipped; cancelled or skipped: the steps
    /// not ended skipped). `false` when there is no such run.
    pub fn set_run_status(&self, parent: &str, run_id: &str, status: RunStatus) -> bool {
        lock(&self.state).set_run_status(parent, run_id, &status, None)
    }

    /// Fails run `run_id` of automation `parent` at its step `step_key`,
    /// with `error` (the step's `error` object, e.g.
    /// `{"message": "The template does not exist."}`): the steps before it
    /// completed, those after it skipped. `false` when there is no such
    /// run.
    pub fn fail_run(
        &self,
        parent: &str,
        run_id: &str,
        step_key: &str,
        error: serde_json::Value,
    ) -> bool {
        lock(&self.state).set_run_status(
            parent,
            run_id,
            &RunStatus::Failed,
            Some((step_key, &error)),
        )
    }

    /// Deletes run `run_id` of automation (or workflow) `parent`: it is no
    /// longer listed or retrievable, and a cursor naming it is refused.
    /// `false` when there is no such run.
    pub fn delete_run(&self, parent: &str, run_id: &str) -> bool {
        let mut state = lock(&self.state);
        let state = &mut *state;
        let lists = [
            state.automations.get_mut(parent),
            state.workflows.get_mut(parent),
        ];
        lists.into_iter().flatten().any(|runs| {
            let before = runs.len();
            runs.retain(|r| r.id != run_id);
            runs.len() < before
        })
    }

    /// Runs a small simulation on automation `automation_id` (seeded or
    /// added first) until the returned handle is dropped: every `every`,
    /// a run starts, and some of the running ones finish (completed,
    /// failed or cancelled). Needs a tokio runtime. For demos.
    pub fn simulate(&self, automation_id: &str, every: Duration) -> simulation::Simulation {
        simulation::start(Arc::clone(&self.state), automation_id.to_owned(), every)
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

    /// The answer to `request`, as the fake on [`base_url`](Self::base_url)
    /// gives it, counted among [`requests`](Self::requests) (its body is
    /// not read: no route reads one). For a test that brings its own
    /// server: one on tokio's paused clock, in the test's runtime, whose
    /// requests take no time on that clock (tests/it/team_sim.rs).
    pub fn answer<B>(&self, request: &http::Request<B>) -> http::Response<String> {
        serve::answer(&self.state, request)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<FakeRequest> {
        lock(&self.state).requests.clone()
    }

    /// Runs `check` on every JSON answer served from now on, with the
    /// operation's id in the spec (`list_workflow_runs`, ...), the status
    /// and the body; every `Err` it returns is kept, for
    /// [`violations`](Self::violations). This crate's tests hold every
    /// answer against the spec this way.
    pub fn check_answers(
        &self,
        check: impl Fn(&str, u16, &str) -> Result<(), String> + Send + Sync + 'static,
    ) {
        lock(&self.state).check = Some(std::sync::Arc::new(check));
    }

    /// What the [`check_answers`](Self::check_answers) check found wrong
    /// so far, one line per answer (operation, status, path, problem).
    pub fn violations(&self) -> Vec<String> {
        lock(&self.state).violations.clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }
}
