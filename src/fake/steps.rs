//! How a run's steps move with its status, as Resend shows them: a run
//! completed has every step completed; a failed one has a failed step
//! carrying its error, and the steps after it skipped; a cancelled or
//! skipped one has the steps that had not ended skipped.

use serde_json::{Value, json};

use crate::status::RunStatus;

/// The error a step fails with unless one is chosen.
pub(super) fn default_error() -> Value {
    json!({"message": "The template does not exist."})
}

/// Moves the steps of `detail` (a retrieved run's JSON) to `status`, at
/// `now`; a failure lands on step `at` (else the first that had not
/// completed) with `error`.
pub(super) fn move_steps(
    detail: &mut Value,
    status: &RunStatus,
    at: Option<&str>,
    error: &Value,
    now: &Value,
) {
    let Some(steps) = detail.get_mut("steps").and_then(Value::as_array_mut) else {
        return;
    };
    let ended = |step: &Value| {
        matches!(
            step.get("status").and_then(Value::as_str),
            Some("completed" | "failed" | "skipped")
        )
    };
    let set = |step: &mut Value, to: &str, error: Option<&Value>| {
        step["status"] = json!(to);
        step["completed_at"] = now.clone();
        if let Some(error) = error {
            step["error"] = error.clone();
        }
    };
    match status {
        RunStatus::Completed => {
            for step in steps.iter_mut().filter(|s| !ended(s)) {
                set(step, "completed", None);
            }
        }
        RunStatus::Failed => {
            let failing = match at {
                Some(key) => steps
                    .iter()
                    .position(|s| s.get("key").and_then(Value::as_str) == Some(key)),
                None => steps
                    .iter()
                    .position(|s| s.get("status").and_then(Value::as_str) != Some("completed")),
            };
            let Some(failing) = failing.or(steps.len().checked_sub(1)) else {
                return;
            };
            for (i, step) in steps.iter_mut().enumerate() {
                match i.cmp(&failing) {
                    std::cmp::Ordering::Less if !ended(step) => set(step, "completed", None),
                    std::cmp::Ordering::Equal => set(step, "failed", Some(error)),
                    std::cmp::Ordering::Greater => set(step, "skipped", None),
                    std::cmp::Ordering::Less => {}
                }
            }
        }
        RunStatus::Cancelled | RunStatus::Skipped => {
            for step in steps.iter_mut().filter(|s| !ended(s)) {
                set(step, "skipped", None);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> Value {
        json!({"steps": [
            {"key": "trigger", "status": "completed"},
            {"key": "send", "status": "running"},
            {"key": "wait", "status": "pending"},
        ]})
    }

    fn statuses(detail: &Value) -> Vec<&str> {
        detail["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn the_steps_follow_the_run_s_status() {
        let now = json!("2026-12-01T00:00:00.000000Z");
        let error = default_error();
        let cases: [(RunStatus, Option<&str>, [&str; 3]); 5] = [
            (
                RunStatus::Completed,
                None,
                ["completed", "completed", "completed"],
            ),
            (RunStatus::Failed, None, ["completed", "failed", "skipped"]),
            (
                RunStatus::Failed,
                Some("wait"),
                ["completed", "completed", "failed"],
            ),
            (
                RunStatus::Cancelled,
                None,
                ["completed", "skipped", "skipped"],
            ),
            (
                RunStatus::Running,
                None,
                ["completed", "running", "pending"],
            ),
        ];
        for (status, at, expected) in cases {
            let mut detail = run();
            move_steps(&mut detail, &status, at, &error, &now);
            assert_eq!(statuses(&detail), expected, "{status} at {at:?}");
        }
        let mut detail = run();
        move_steps(
            &mut detail,
            &RunStatus::Failed,
            Some("send"),
            &json!({"message": "x"}),
            &now,
        );
        assert_eq!(detail["steps"][1]["error"], json!({"message": "x"}));
        assert_eq!(detail["steps"][1]["completed_at"], now);
        assert!(detail["steps"][0].get("error").is_none());
    }
}
