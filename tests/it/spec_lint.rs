//! The spec's invariants, checked on every run: a broken spec fails here
//! with a list of what is wrong, before any client code is involved.

use crate::common;

use serde_json::Value;

const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,256}$";

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            spec,
            spec.pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
        ),
        None => v,
    }
}

/// Every invariant `spec` breaks, as readable lines.
fn lint(spec: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let version = spec["openapi"].as_str().unwrap_or("");
    if !version.starts_with("3.0.") {
        problems.push(format!("openapi is {version:?}: progenitor needs 3.0.x"));
    }
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    if paths.is_empty() {
        problems.push("no paths".to_owned());
    }
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let name = op["operationId"].as_str().unwrap_or("");
            let at = format!("{method} {path}");
            if name.is_empty() {
                problems.push(format!("{at}: no operationId"));
            }
            if op["description"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{at}: no description"));
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let schema = resolve(
                    spec,
                    &resolve(spec, response)["content"]["application/json"]["schema"],
                );
                let is_error =
                    status.starts_with('4') || status.starts_with('5') || status == "default";
                if is_error {
                    let reference =
                        resolve(spec, response)["content"]["application/json"]["schema"]["$ref"]
                            .as_str();
                    if reference != Some("#/components/schemas/ErrorBody") {
                        problems.push(format!(
                            "{at} {status}: error response does not use ErrorBody"
                        ));
                    }
                } else if name.starts_with("list_") {
                    for field in ["object", "has_more", "data"] {
                        let required = schema["required"]
                            .as_array()
                            .is_some_and(|r| r.iter().any(|f| f == field));
                        if schema["properties"].get(field).is_none() || !required {
                            problems.push(format!(
                                "{at} {status}: list response lacks required `{field}`"
                            ));
                        }
                    }
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                let param = resolve(spec, param);
                let pname = param["name"].as_str().unwrap_or("");
                let is_id = pname.ends_with("_id") || pname == "after" || pname == "before";
                if is_id && resolve(spec, &param["schema"])["pattern"].as_str() != Some(ID_PATTERN)
                {
                    problems.push(format!(
                        "{at}: parameter `{pname}` lacks the id pattern {ID_PATTERN}"
                    ));
                }
                let twin = match pname {
                    "after" => Some("before"),
                    "before" => Some("after"),
                    _ => None,
                };
                if let Some(twin) = twin {
                    let description = param["description"].as_str().unwrap_or("");
                    if !description.contains(&format!("Cannot be used with `{twin}`")) {
                        problems.push(format!(
                            "{at}: `{pname}` is not documented as exclusive of `{twin}`"
                        ));
                    }
                    if !description.contains("excluded") {
                        problems.push(format!(
                            "{at}: `{pname}` does not say the cursor run is excluded"
                        ));
                    }
                }
            }
        }
    }
    problems.extend(schema_problems(spec));
    problems
}

/// Every schema object in the document, with where it is.
fn schemas(value: &Value, at: &str, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("type")
                || map.contains_key("nullable")
                || map.contains_key("properties")
            {
                out.push((at.to_owned(), value.clone()));
            }
            for (k, v) in map {
                schemas(v, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                schemas(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The invariants the issue "The API as Resend ships it" set: nullable
/// only beside a type, timestamps as strings in both documented forms,
/// `object` never a one-value enum, the nullable trigger the trigger's twin.
fn schema_problems(spec: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut all = Vec::new();
    schemas(&spec["components"], "#/components", &mut all);
    schemas(&spec["paths"], "#/paths", &mut all);
    for (at, schema) in &all {
        if schema.get("nullable") == Some(&Value::Bool(true)) && schema.get("type").is_none() {
            problems.push(format!(
                "{at}: `nullable` without a `type` (OpenAPI 3.0 ignores it)"
            ));
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let reference = property["$ref"].as_str().unwrap_or("");
            if name.ends_with("_at")
                && !matches!(
                    reference,
                    "#/components/schemas/Timestamp" | "#/components/schemas/NullableTimestamp"
                )
            {
                problems.push(format!(
                    "{at}: `{name}` is not a Timestamp or NullableTimestamp"
                ));
            }
            if name == "object" && property.get("enum").is_some() {
                problems.push(format!("{at}: `object` is an enum; the API's values drift"));
            }
        }
    }
    for name in ["Timestamp", "NullableTimestamp"] {
        let schema = &spec["components"]["schemas"][name];
        if schema["type"] != "string" || schema.get("format").is_some() {
            problems.push(format!(
                "{name}: not a plain string (no format: Postgres text is not date-time)"
            ));
        }
    }
    let timestamp = spec["components"]["schemas"]["Timestamp"]["description"]
        .as_str()
        .unwrap_or("");
    if !(timestamp.contains("Postgres") && timestamp.contains("RFC 3339")) {
        problems.push("Timestamp: its description does not give both forms".to_owned());
    }
    let schemas = &spec["components"]["schemas"];
    if schemas["NullableWorkflowRunTrigger"]["properties"]
        != schemas["WorkflowRunTrigger"]["properties"]
        || schemas["NullableWorkflowRunTrigger"]["required"]
            != schemas["WorkflowRunTrigger"]["required"]
    {
        problems.push("NullableWorkflowRunTrigger: not WorkflowRunTrigger's twin".to_owned());
    }
    problems
}

#[test]
fn the_spec_keeps_its_invariants() {
    let problems = lint(common::spec());
    assert!(
        problems.is_empty(),
        "the spec breaks its invariants:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_lint_catches_each_kind_of_break() {
    let mut broken = common::spec().clone();
    broken["openapi"] = "3.1.0".into();
    let list = &mut broken["paths"]["/automations/{automation_id}/runs"]["get"];
    list.as_object_mut().unwrap().remove("description");
    list["responses"]["4XX"] = serde_json::json!({"description": "x", "content": {"application/json": {"schema": {"type": "object"}}}});
    broken["components"]["schemas"]["AutomationRunList"]["required"] =
        serde_json::json!(["object", "data"]);
    broken["components"]["schemas"]["Cursor"]["pattern"] = ".*".into();
    broken["components"]["parameters"]["BeforeQuery"]["description"] = "A run id.".into();
    broken["paths"]["/workflows/{workflow_id}/runs"]["get"]
        .as_object_mut()
        .unwrap()
        .remove("operationId");
    broken["components"]["schemas"]["NullableTimestamp"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    broken["components"]["schemas"]["Timestamp"]["format"] = "date-time".into();
    broken["components"]["schemas"]["Timestamp"]["description"] = "An instant.".into();
    broken["components"]["schemas"]["AutomationRun"]["properties"]["object"]["enum"] =
        serde_json::json!(["automation_run"]);
    broken["components"]["schemas"]["Automation"]["properties"]["updated_at"] =
        serde_json::json!({"type": "string"});
    broken["components"]["schemas"]["NullableWorkflowRunTrigger"]["required"] =
        serde_json::json!([]);
    let problems = lint(&broken).join("\n");
    for expected in [
        "NullableTimestamp: `nullable` without a `type`",
        "Timestamp: not a plain string",
        "Timestamp: its description does not give both forms",
        "AutomationRun: `object` is an enum",
        "Automation: `updated_at` is not a Timestamp",
        "NullableWorkflowRunTrigger: not WorkflowRunTrigger's twin",
        "openapi is \"3.1.0\"",
        "no description",
        "error response does not use ErrorBody",
        "lacks required `has_more`",
        "parameter `after` lacks the id pattern",
        "`before` is not documented as exclusive of `after`",
        "no operationId",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
}
