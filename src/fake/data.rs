//! Generated seed data for the fake: deterministic runs and steps.

use chrono::DateTime;

use crate::generated::types::{
    AutomationRun, AutomationRunObject, AutomationRunStep, WorkflowRunListItem, WorkflowRunTrigger,
};
use crate::status::{RunStatus, StepStatus};
use crate::timestamp::Timestamp;

/// 2026-09-21: the newest seeded run; each older one is a minute earlier.
const NEWEST: i64 = 1_790_000_000;

/// When the `i`-th newest seeded run was created: a minute per run earlier.
fn created(i: usize) -> i64 {
    let minutes = i64::try_from(i).unwrap_or(i64::MAX);
    NEWEST.saturating_sub(minutes.saturating_mul(60))
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from(DateTime::from_timestamp(secs, 0).expect("in range"))
}

/// A run id that looks like Resend's: a UUID, unique per parent and index.
fn run_id(parent: &str, i: usize) -> String {
    let salt = parent.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{salt:08x}-{:04x}-4000-8000-{:012x}", (i >> 48) & 0xffff, i)
}

fn status(i: usize) -> RunStatus {
    match i % 7 {
        0 => RunStatus::Running,
        3 => RunStatus::Failed,
        5 => RunStatus::Cancelled,
        _ => RunStatus::Completed,
    }
}

/// `count` runs of workflow `workflow_id`, newest first: UUID ids, a mix of
/// statuses, one minute apart, every other one with a trigger.
pub fn workflow_runs(workflow_id: &str, count: usize) -> Vec<WorkflowRunListItem> {
    (0..count)
        .map(|i| {
            let created = created(i);
            let status = status(i);
            WorkflowRunListItem {
                id: run_id(workflow_id, i),
                completed_at: status.is_terminal().then(|| at(created + 5)),
                status,
                trigger: (i % 2 == 0).then(|| WorkflowRunTrigger {
                    event_name: "user.created".to_owned(),
                    payload: Some(crate::payload::EventPayload::from_value(
                        &serde_json::json!({"n": i}),
                    )),
                }),
                started_at: Some(at(created)),
                created_at: at(created),
            }
        })
        .collect()
}

/// `count` runs of automation `automation_id`, newest first, each with a
/// trigger step and a send step whose status follows the run's.
pub fn automation_runs(automation_id: &str, count: usize) -> Vec<AutomationRun> {
    (0..count)
        .map(|i| {
            let created = created(i);
            let status = status(i);
            let send_status = match status {
                RunStatus::Running => StepStatus::Running,
                RunStatus::Failed => StepStatus::Failed,
                RunStatus::Cancelled => StepStatus::Skipped,
                _ => StepStatus::Completed,
            };
            let steps = vec![
                AutomationRunStep {
                    key: "trigger".to_owned(),
                    type_: "trigger".to_owned(),
                    status: StepStatus::Completed,
                    started_at: Some(at(created)),
                    completed_at: Some(at(created)),
                    output: Some(serde_json::json!({"event": "user.created"})),
                    error: None,
                    created_at: at(created),
                },
                AutomationRunStep {
                    key: "send_welcome".to_owned(),
                    type_: "send_email".to_owned(),
                    completed_at: (send_status != StepStatus::Running).then(|| at(created + 3)),
                    error: (send_status == StepStatus::Failed)
                        .then(|| serde_json::json!({"message": "The template does not exist."})),
                    status: send_status,
                    started_at: Some(at(created + 1)),
                    output: None,
                    created_at: at(created),
                },
            ];
            AutomationRun {
                object: AutomationRunObject::AutomationRun,
                id: run_id(automation_id, i),
                completed_at: status.is_terminal().then(|| at(created + 3)),
                status,
                started_at: Some(at(created)),
                created_at: at(created),
                steps,
            }
        })
        .collect()
}
