//! The drift check: every body in `tests/recorded/` (Resend's documented
//! examples, its SDKs' fixtures, and answers recorded from the real API by
//! `cargo run --example record`) decodes with the crate and validates
//! against the spec.

use std::path::Path;

use resend_workflows::internals;
use serde_json::Value;

use crate::common::check;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recorded");

/// Decodes `body` as the client decodes `operation`'s answer with `status`.
fn decode(operation: &str, status: u16, body: &[u8]) -> Result<(), String> {
    let headers = reqwest::header::HeaderMap::new();
    let result = match (operation, status) {
        (_, 400..) => internals::error_body(body).map(drop),
        ("list_workflow_runs", _) => internals::workflow_page(&headers, body).map(drop),
        ("get_workflow_run", _) => internals::workflow_run(body).map(drop),
        ("list_automation_runs", _) => internals::automation_page(&headers, body).map(drop),
        ("get_automation_run", _) => internals::automation_run(body).map(drop),
        ("list_automations", _) => internals::automation_list_page(&headers, body).map(drop),
        ("get_automation", _) => internals::automation(body).map(drop),
        (other, _) => return Err(format!("no decoder for {other}")),
    };
    result.map_err(|e| e.to_string())
}

#[test]
fn every_recorded_body_decodes_and_validates_against_the_spec() {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0;
    for entry in std::fs::read_dir(Path::new(DIR)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let (Some(source), Some(operation), Some(status)) = (
            file["source"].as_str(),
            file["operation"].as_str(),
            file["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
        ) else {
            problems.push(format!("{name}: needs source, operation and status"));
            continue;
        };
        assert!(!source.is_empty(), "{name}: says where it came from");
        let body = &file["body"];
        if let Err(e) = check(operation, status, body) {
            problems.push(format!("{name}: breaks the spec: {e}"));
        }
        if let Err(e) = decode(operation, status, body.to_string().as_bytes()) {
            problems.push(format!("{name}: does not decode: {e}"));
        }
        seen.insert(operation.to_owned());
        count += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every operation of the spec has at least one real body.
    for operation in [
        "list_automations",
        "get_automation",
        "list_automation_runs",
        "get_automation_run",
        "list_workflow_runs",
        "get_workflow_run",
    ] {
        assert!(seen.contains(operation), "no recorded body for {operation}");
    }
    assert!(count >= 20, "{count} bodies");
}

#[test]
fn the_check_catches_a_body_that_drifted() {
    // A step whose `output` became a string, and a run without `created_at`.
    let drifted = serde_json::json!({
        "object": "automation_run", "id": "r", "status": "running",
        "steps": [{"key": "k", "output": "text"}]
    });
    assert!(check("get_automation_run", 200, &drifted).is_err());
    assert!(decode("get_automation_run", 200, drifted.to_string().as_bytes()).is_err());
}
