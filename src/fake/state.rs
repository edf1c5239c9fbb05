//! The fake's state: the runs it serves, the requests it received and the
//! faults programmed into it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::data;
use super::limit::LimitEnforcer;
use super::steps;
use crate::status::RunStatus;
use crate::transport::generated::types::{
    AutomationRun, AutomationRunListItem, WorkflowRun, WorkflowRunListItem,
};

/// A request the fake received, for asserting what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeRequest {
    /// The path, e.g. `/workflows/wf_1/runs`.
    pub path: String,
    /// The query parameters in the order sent, decoded.
    pub query: Vec<(String, String)>,
    /// When it arrived, on the clock the team limit counts on: that of the
    /// runtime the fake started on, or that called
    /// [`enforce_rate_limit`](super::FakeResend::enforce_rate_limit) since
    /// (tokio's paused clock, in a test on one).
    pub at: std::time::Instant,
    /// Whether the team limit refused it (a 429).
    pub refused: bool,
    /// Whose request it was: `POST /emails` is a send, every other
    /// request a read.
    pub caller: super::traffic::Caller,
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
/// JSON and its retrieve JSON, rendered once.
pub(super) struct StoredRun {
    pub(super) id: String,
    pub(super) status: String,
    /// Where it goes in the list, newest first.
    pub(super) created_at: crate::timestamp::Timestamp,
    pub(super) json: String,
    pub(super) detail: String,
}

#[derive(Default)]
pub(super) struct Faults {
    /// Statuses to answer the next requests with, in order.
    pub(super) fail_next: VecDeque<u16>,
    /// Requests left to answer normally before one fails with the status.
    pub(super) fail_after: Option<(usize, u16)>,
    /// Answers left that report `ratelimit-remaining: 0`.
    pub(super) exhausted: usize,
}

/// A check of each answer: the operation's id in the spec, the status, the
/// JSON body; `Err` says what is wrong with it.
pub(super) type AnswerCheck = Arc<dyn Fn(&str, u16, &str) -> Result<(), String> + Send + Sync>;

#[derive(Default)]
pub(super) struct State {
    pub(super) workflows: HashMap<String, Vec<StoredRun>>,
    pub(super) automations: HashMap<String, Vec<StoredRun>>,
    /// The team's automations, newest first (their list and get bodies).
    pub(super) automation_defs: Vec<StoredRun>,
    pub(super) requests: Vec<FakeRequest>,
    /// The team's rate limit (informative unless enforced).
    pub(super) limit: LimitEnforcer,
    pub(super) faults: Faults,
    pub(super) check: Option<AnswerCheck>,
    /// What the check found wrong, one line per answer.
    pub(super) violations: Vec<String>,
    /// Runs started so far by `start_*_run` (their ids' index).
    pub(super) started: usize,
    /// Emails accepted so far (their ids' index).
    pub(super) emails: u64,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not make every later request panic.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn stored<T: serde::Serialize>(
    id: &str,
    status: &str,
    created_at: crate::timestamp::Timestamp,
    listed: &impl serde::Serialize,
    detail: &T,
) -> StoredRun {
    StoredRun {
        id: id.to_owned(),
        status: status.to_owned(),
        created_at,
        json: serde_json::to_string(listed).expect("a run always serialises"),
        detail: serde_json::to_string(detail).expect("a run always serialises"),
    }
}

impl State {
    /// The status of the programmed fault for this request, if one fires.
    pub(super) fn fault(&mut self) -> Option<u16> {
        if let Some(status) = self.faults.fail_next.pop_front() {
            return Some(status);
        }
        match self.faults.fail_after.take() {
            Some((0, status)) => Some(status),
            Some((n, status)) => {
                self.faults.fail_after = Some((n - 1, status));
                None
            }
            None => None,
        }
    }
}

/// Seconds since the Unix epoch, now.
fn now_secs() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// Now, to the microsecond, as Resend's timestamps are.
fn now() -> crate::timestamp::Timestamp {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros();
    let micros = i64::try_from(micros).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .into()
}

impl State {
    /// The index of the next run started (past any seeded one).
    fn next_index(&mut self) -> usize {
        self.started += 1;
        1_000_000 + self.started
    }

    /// Starts a run of automation `automation_id`, created now, at the top
    /// of its list; `None` when there is no such automation.
    pub(super) fn start_automation_run(
        &mut self,
        automation_id: &str,
        status: RunStatus,
    ) -> Option<AutomationRun> {
        let i = self.next_index();
        let mut run = data::automation_run(automation_id, i, status, now_secs());
        run.created_at = now();
        let runs = self.automations.get_mut(automation_id)?;
        runs.insert(0, stored_automation_run(&run));
        Some(run)
    }

    /// Adds a run of automation `automation_id` created at `created_at`, in
    /// its place in the list (below any newer run); `None` when there is
    /// no such automation.
    pub(super) fn insert_automation_run(
        &mut self,
        automation_id: &str,
        status: RunStatus,
        created_at: crate::timestamp::Timestamp,
    ) -> Option<AutomationRun> {
        let i = self.next_index();
        let mut run = data::automation_run(automation_id, i, status, created_at.unix_seconds());
        run.created_at = created_at;
        let runs = self.automations.get_mut(automation_id)?;
        let place = runs
            .iter()
            .position(|r| r.created_at < created_at)
            .unwrap_or(runs.len());
        runs.insert(place, stored_automation_run(&run));
        Some(run)
    }

    /// Starts a run of workflow `workflow_id`, created now, at the top of
    /// its list; `None` when there is no such workflow.
    pub(super) fn start_workflow_run(
        &mut self,
        workflow_id: &str,
        status: RunStatus,
    ) -> Option<WorkflowRunListItem> {
        let i = self.next_index();
        let mut run = data::workflow_run(workflow_id, i, status, now_secs());
        run.created_at = now();
        let runs = self.workflows.get_mut(workflow_id)?;
        runs.insert(0, stored_workflow_run(&run));
        Some(run)
    }

    /// Sets the status of run `run_id` of automation or workflow `parent`
    /// (and its `completed_at`, to now, when the status is final), its
    /// steps moved with it (`fail_at`: the step a failure lands on, and its
    /// error); `false` when there is no such run. The run keeps its place
    /// in the list.
    pub(super) fn set_run_status(
        &mut self,
        parent: &str,
        run_id: &str,
        status: &RunStatus,
        fail_at: Option<(&str, &serde_json::Value)>,
    ) -> bool {
        let lists = [
            self.automations.get_mut(parent),
            self.workflows.get_mut(parent),
        ];
        let Some(run) = lists
            .into_iter()
            .flatten()
            .find_map(|runs| runs.iter_mut().find(|r| r.id == run_id))
        else {
            return false;
        };
        let completed = status.is_terminal().then(now);
        let stamp = serde_json::json!(completed.unwrap_or_else(now));
        let default_error = steps::default_error();
        let (at, error) = fail_at.map_or((None, &default_error), |(k, e)| (Some(k), e));
        for json in [&mut run.json, &mut run.detail] {
            let Ok(mut value) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            value["status"] = serde_json::Value::String(status.as_str().to_owned());
            match completed {
                Some(at) => value["completed_at"] = serde_json::json!(at),
                None => {
                    value.as_object_mut().map(|o| o.remove("completed_at"));
                }
            }
            steps::move_steps(&mut value, status, at, error, &stamp);
            *json = value.to_string();
        }
        run.status = status.as_str().to_owned();
        true
    }
}

/// An automation run as served: listed without its steps.
pub(super) fn stored_automation_run(r: &AutomationRun) -> StoredRun {
    let listed = AutomationRunListItem {
        id: r.id.clone(),
        status: r.status.clone(),
        started_at: r.started_at,
        completed_at: r.completed_at,
        created_at: r.created_at,
    };
    stored(&r.id, r.status.as_str(), r.created_at, &listed, r)
}

/// A workflow run as served: retrieved with its `object`.
pub(super) fn stored_workflow_run(r: &WorkflowRunListItem) -> StoredRun {
    let detail = WorkflowRun {
        object: "workflow_run".to_owned(),
        id: r.id.clone(),
        status: r.status.clone(),
        trigger: r.trigger.clone(),
        started_at: r.started_at,
        completed_at: r.completed_at,
        created_at: r.created_at,
    };
    stored(&r.id, r.status.as_str(), r.created_at, r, &detail)
}
