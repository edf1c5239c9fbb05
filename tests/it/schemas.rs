//! The `schemars` feature's schemas held against the spec, type by type:
//! the same property names, the same required fields, null accepted where
//! the spec says nullable (and refused where it says required and not
//! nullable), and the same known values for every open enum. The Rust
//! types and the spec cannot drift apart.
#![cfg(feature = "schemars")]

use std::collections::BTreeSet;

use resend_workflows::types;
use schemars::JsonSchema;
use serde_json::Value;

use crate::common::spec;

fn resolve<'a>(root: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            resolve(
                root,
                root.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {r}")),
            )
        }
        None => value,
    }
}

/// Whether a (derived, JSON Schema) schema accepts null.
fn accepts_null(root: &Value, schema: &Value) -> bool {
    let schema = resolve(root, schema);
    match &schema["type"] {
        Value::String(t) if t == "null" => return true,
        Value::Array(types) if types.iter().any(|t| t == "null") => return true,
        _ => {}
    }
    ["anyOf", "oneOf"].iter().any(|k| {
        schema[k]
            .as_array()
            .is_some_and(|options| options.iter().any(|o| accepts_null(root, o)))
    })
}

/// The known values of an open enum's schema (`anyOf[0].enum`), found
/// through refs, an Option's null branch, or an array's items.
fn known_values(root: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    let schema = resolve(root, schema);
    if let Some(values) = schema["enum"].as_array() {
        return Some(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    for k in ["anyOf", "oneOf", "allOf"] {
        for option in schema[k].as_array().into_iter().flatten() {
            if let Some(values) = known_values(root, option) {
                return Some(values);
            }
        }
    }
    None
}

/// Differences between the derived schema of `T` and the spec's `name`.
fn compare<T: JsonSchema>(name: &str) -> Vec<String> {
    compare_with::<T>(spec(), name)
}

/// Differences between the derived schema of `T` and `name` in `spec`.
fn compare_with<T: JsonSchema>(spec: &Value, name: &str) -> Vec<String> {
    let derived = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    let expected = &spec["components"]["schemas"][name];
    assert!(expected.is_object(), "no schema {name} in the spec");
    let mut problems = Vec::new();
    let names = |schema: &Value| -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect()
    };
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    if names(&derived) != names(expected) {
        problems.push(format!(
            "{name}: properties {:?} vs spec {:?}",
            names(&derived),
            names(expected)
        ));
    }
    if set(&derived["required"]) != set(&expected["required"]) {
        problems.push(format!(
            "{name}: required {:?} vs spec {:?}",
            set(&derived["required"]),
            set(&expected["required"])
        ));
    }
    let required = set(&expected["required"]);
    for (property, want) in expected["properties"].as_object().into_iter().flatten() {
        let Some(got) = derived["properties"].get(property) else {
            continue;
        };
        let want = resolve(spec, want);
        let nullable = want["nullable"] == true && want.get("type").is_some();
        let null_ok = accepts_null(&derived, got);
        if nullable && !null_ok {
            problems.push(format!(
                "{name}.{property}: nullable in the spec, not in Rust"
            ));
        }
        if !nullable && required.contains(property) && null_ok {
            problems.push(format!(
                "{name}.{property}: required and not nullable in the spec, Option in Rust"
            ));
        }
        let want_item = if want["type"] == "array" {
            resolve(spec, &want["items"])
        } else {
            want
        };
        if let Some(values) = known_values(spec, want_item) {
            let got_item = match resolve(&derived, got)["items"].clone() {
                Value::Null => got.clone(),
                items => items,
            };
            if known_values(&derived, &got_item).as_ref() != Some(&values) {
                problems.push(format!(
                    "{name}.{property}: known values {:?} vs spec {values:?}",
                    known_values(&derived, &got_item)
                ));
            }
        }
    }
    problems
}

#[test]
fn every_response_type_matches_its_spec_schema() {
    let problems: Vec<String> = [
        compare::<types::WorkflowRunList>("WorkflowRunList"),
        compare::<types::WorkflowRunListItem>("WorkflowRunListItem"),
        compare::<types::WorkflowRun>("WorkflowRun"),
        compare::<types::WorkflowRunTrigger>("WorkflowRunTrigger"),
        compare::<types::AutomationRunList>("AutomationRunList"),
        compare::<types::AutomationRunListItem>("AutomationRunListItem"),
        compare::<types::AutomationRun>("AutomationRun"),
        compare::<types::AutomationRunStep>("AutomationRunStep"),
        compare::<types::AutomationList>("AutomationList"),
        compare::<types::AutomationListItem>("AutomationListItem"),
        compare::<types::Automation>("Automation"),
        compare::<types::AutomationStep>("AutomationStep"),
        compare::<types::AutomationConnection>("AutomationConnection"),
        compare::<types::ErrorBody>("ErrorBody"),
    ]
    .concat();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_comparison_catches_each_kind_of_drift() {
    let mut drifted = spec().clone();
    let item = &mut drifted["components"]["schemas"]["AutomationRunListItem"];
    item["required"] = serde_json::json!(["id", "status", "created_at", "started_at"]);
    item["properties"]
        .as_object_mut()
        .unwrap()
        .remove("completed_at");
    drifted["components"]["schemas"]["RunStatus"]["anyOf"][0]["enum"] =
        serde_json::json!(["running", "completed", "failed", "cancelled", "paused"]);
    drifted["components"]["schemas"]["Timestamp"]["nullable"] = true.into();
    let problems =
        compare_with::<types::AutomationRunListItem>(&drifted, "AutomationRunListItem").join("\n");
    for expected in [
        "AutomationRunListItem: properties",
        "AutomationRunListItem: required",
        "AutomationRunListItem.status: known values",
        "AutomationRunListItem.created_at: nullable in the spec, not in Rust",
    ] {
        assert!(
            problems.contains(expected),
            "missing {expected:?} in:\n{problems}"
        );
    }
}
