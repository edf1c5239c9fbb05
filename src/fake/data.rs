//! Generated seed data for the fake: deterministic runs and steps.

use chrono::DateTime;

use crate::status::{AutomationStatus, ConnectionType, RunStatus, StepStatus, StepType};
use crate::timestamp::Timestamp;
use crate::transport::generated::types::{
    Automation, AutomationConnection, AutomationRun, AutomationRunStep, AutomationStep,
    WorkflowRunListItem, WorkflowRunTrigger,
};

/// The map of a JSON object value.
fn object(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// 2026-09-21: the newest seeded run; each older one is a minute earlier.
const NEWEST: i64 = 1_790_000_000;

/// When the `i`-th newest seeded run was created: a minute per run earlier.
fn created(i: usize) -> i64 {
    let minutes = i64::try_from(i).unwrap_or(i64::MAX);
    NEWEST.saturating_sub(minutes.saturating_mul(60))
}

pub(super) fn at(secs: i64) -> Timestamp {
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

/// Run `i` of workflow `workflow_id`, created at `created` (Unix seconds),
/// in `status`; every other one has a trigger.
pub(super) fn workflow_run(
    workflow_id: &str,
    i: usize,
    status: RunStatus,
    created: i64,
) -> WorkflowRunListItem {
    WorkflowRunListItem {
        id: run_id(workflow_id, i),
        completed_at: status.is_terminal().then(|| at(created + 5)),
        status,
        trigger: i.is_multiple_of(2).then(|| WorkflowRunTrigger {
            event_name: "user.created".to_owned(),
            payload: Some(crate::payload::EventPayload::from_value(
                &serde_json::json!({"n": i}),
            )),
        }),
        started_at: Some(at(created)),
        created_at: at(created),
    }
}

/// `count` runs of workflow `workflow_id`, newest first: UUID ids, a mix of
/// statuses, one minute apart, every other one with a trigger.
pub fn workflow_runs(workflow_id: &str, count: usize) -> Vec<WorkflowRunListItem> {
    (0..count)
        .map(|i| workflow_run(workflow_id, i, status(i), created(i)))
        .collect()
}

/// Run `i` of automation `automation_id`, created at `created` (Unix
/// seconds), in `status`: a trigger step and a send step whose status
/// follows the run's.
pub(super) fn automation_run(
    automation_id: &str,
    i: usize,
    status: RunStatus,
    created: i64,
) -> AutomationRun {
    let send_status = match status {
        RunStatus::Running => StepStatus::Running,
        RunStatus::Failed => StepStatus::Failed,
        RunStatus::Cancelled | RunStatus::Skipped => StepStatus::Skipped,
        _ => StepStatus::Completed,
    };
    let steps = vec![
        AutomationRunStep {
            key: Some("trigger".to_owned()),
            type_: Some(StepType::Trigger),
            status: Some(StepStatus::Completed),
            started_at: Some(at(created)),
            completed_at: Some(at(created)),
            output: object(serde_json::json!({"event": "user.created"})),
            error: None,
            created_at: Some(at(created)),
        },
        AutomationRunStep {
            key: Some("send_welcome".to_owned()),
            type_: Some(StepType::SendEmail),
            completed_at: (send_status != StepStatus::Running).then(|| at(created + 3)),
            error: (send_status == StepStatus::Failed)
                .then(|| object(serde_json::json!({"message": "The template does not exist."})))
                .flatten(),
            status: Some(send_status),
            started_at: Some(at(created + 1)),
            output: None,
            created_at: Some(at(created)),
        },
    ];
    AutomationRun {
        object: "automation_run".to_owned(),
        id: run_id(automation_id, i),
        completed_at: status.is_terminal().then(|| at(created + 3)),
        status,
        started_at: Some(at(created)),
        created_at: at(created),
        steps,
    }
}

/// `count` runs of automation `automation_id`, newest first, each with a
/// trigger step and a send step whose status follows the run's.
pub fn automation_runs(automation_id: &str, count: usize) -> Vec<AutomationRun> {
    (0..count)
        .map(|i| automation_run(automation_id, i, status(i), created(i)))
        .collect()
}

/// Automation `automation_id` as `seed_automation` defines it: enabled, a
/// trigger step and a send step joined by a default connection (the keys
/// its runs' steps carry).
pub fn automation(automation_id: &str) -> Automation {
    let step = |key: &str, type_: StepType, config: serde_json::Value| AutomationStep {
        key: Some(key.to_owned()),
        type_: Some(type_),
        config: object(config),
    };
    Automation {
        object: "automation".to_owned(),
        id: automation_id.to_owned(),
        name: format!("Automation {automation_id}"),
        status: AutomationStatus::Enabled,
        created_at: at(NEWEST - 86_400),
        updated_at: Some(at(NEWEST - 3_600)),
        steps: vec![
            step(
                "trigger",
                StepType::Trigger,
                serde_json::json!({"event_name": "user.created"}),
            ),
            step(
                "send_welcome",
                StepType::SendEmail,
                serde_json::json!({"template": {"id": "34a080c9-b17d-4187-ad80-5af20266e535"}}),
            ),
        ],
        connections: vec![AutomationConnection {
            from: "trigger".to_owned(),
            to: "send_welcome".to_owned(),
            type_: Some(ConnectionType::Default),
        }],
    }
}
