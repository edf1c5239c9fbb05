//! The fake's state: the runs it serves, the requests it received and the
//! faults programmed into it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Requests allowed per one-second window in the `ratelimit-*` headers.
/// Informative only: the fake does not refuse requests over it.
pub(super) const RATE_LIMIT: u64 = 1000;

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
/// JSON and its retrieve JSON, rendered once.
pub(super) struct StoredRun {
    pub(super) id: String,
    pub(super) status: String,
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
    pub(super) window: (u64, u64),
    pub(super) faults: Faults,
    pub(super) check: Option<AnswerCheck>,
    /// What the check found wrong, one line per answer.
    pub(super) violations: Vec<String>,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not turn every later request into a panic.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn stored<T: serde::Serialize>(
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

impl State {
    /// Counts a request in the current one-second window; returns what is left.
    pub(super) fn tick(&mut self) -> u64 {
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
