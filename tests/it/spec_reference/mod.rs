//! Our spec held against Resend's own OpenAPI document
//! (`openapi/official/resend.yaml`, vendored with where and when it was
//! taken): every difference for the operations and schemas we have must be
//! listed, with its reason, in `openapi/official/intended-differences.yaml`,
//! and every listed difference must still occur. Updating the vendored file
//! is the whole drill when Resend publishes: this test then names what
//! changed for the endpoints we generate.

mod compare;
mod shape;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::common;
use compare::{Aspect, Difference, differences};

const OFFICIAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/official/resend.yaml");
const INTENDED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/openapi/official/intended-differences.yaml"
);

/// One reviewed difference: the same aspect, with the same values on both
/// sides, at each of `at`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Intended {
    at: Vec<String>,
    aspect: Aspect,
    ours: String,
    official: String,
    reason: String,
}

fn yaml<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What is wrong with the list of intended differences against the
/// differences `found`: unlisted differences, listed ones no longer found,
/// and entries without a reason or listed twice. Empty when all is well.
fn audit(found: &[Difference], intended: &[Intended]) -> Vec<String> {
    let key = |at: &str, aspect: Aspect, ours: &str, official: &str| {
        format!("{at}: {aspect}: ours {ours}, official {official}")
    };
    let listed: Vec<(String, &Intended)> = intended
        .iter()
        .flat_map(|entry| {
            entry
                .at
                .iter()
                .map(move |at| (key(at, entry.aspect, &entry.ours, &entry.official), entry))
        })
        .collect();
    let found_keys: Vec<String> = found
        .iter()
        .map(|d| key(&d.at, d.aspect, &d.ours, &d.official))
        .collect();
    let mut problems = Vec::new();
    for (difference, found_key) in found.iter().zip(&found_keys) {
        if !listed.iter().any(|(k, _)| k == found_key) {
            problems.push(format!("not listed as intended: {difference}"));
        }
    }
    for (i, (listed_key, entry)) in listed.iter().enumerate() {
        if !found_keys.contains(listed_key) {
            problems.push(format!(
                "listed but no longer found (stale): {listed_key} (reason: {})",
                entry.reason.trim()
            ));
        }
        if listed[..i].iter().any(|(k, _)| k == listed_key) {
            problems.push(format!("listed twice: {listed_key}"));
        }
    }
    for entry in intended
        .iter()
        .filter(|e| e.reason.trim().is_empty() || e.at.is_empty())
    {
        problems.push(format!(
            "an entry needs a reason and at least one location: {entry:?}"
        ));
    }
    problems
}

#[test]
fn ours_differs_from_the_official_spec_only_as_listed() {
    let official: Value = yaml(OFFICIAL);
    assert!(
        official["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "the comparison reads nullability as OpenAPI 3.1 spells it"
    );
    let found = differences(common::spec(), &official);
    let problems = audit(&found, &yaml::<Vec<Intended>>(INTENDED));
    assert!(
        problems.is_empty(),
        "openapi/resend-workflows.yaml against openapi/official/resend.yaml: follow Resend in our \
         spec, or list the difference with its reason in openapi/official/intended-differences.yaml \
         (see openapi/official/README.md):\n{}",
        problems.join("\n")
    );
}

/// The walk's differences between two documents, as it prints them.
fn shown(ours: &Value, official: &Value) -> Vec<String> {
    differences(ours, official)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A small document, then copies each changed in a few aspects, and the
/// exact differences the walk reports.
#[test]
fn each_aspect_is_found_and_named() {
    let same = json!({
        "paths": {"/things/{id}": {"get": {
            "parameters": [{"name": "id", "in": "path", "required": true,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}},
        }}},
        "components": {"schemas": {"Thing": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["a", "b"]},
            "done_at": {"type": ["string", "null"]},
            "extra": {"type": "integer"},
        }}}},
    });
    assert_eq!(shown(&same, &same), Vec::<String>::new());

    let mut ours = same.clone();
    ours["paths"]["/things/{id}"]["get"]["parameters"][0]["schema"] = json!({"type": "string"});
    let thing = &mut ours["components"]["schemas"]["Thing"];
    thing["required"] = json!(["id", "status"]);
    thing["properties"]["status"] =
        json!({"anyOf": [{"type": "string", "enum": ["a", "c"]}, {"type": "string"}]});
    thing["properties"]["done_at"] = json!({"type": "string"});
    thing["properties"].as_object_mut().unwrap().remove("extra");
    ours["components"]["schemas"]["Extra"] = json!({"type": "string"});
    assert_eq!(
        shown(&ours, &same),
        [
            "GET /things/{id} path.id: format: ours none, official uuid",
            "Thing.done_at: nullable: ours not null, official nullable",
            "Thing.extra: presence: ours absent, official present",
            "Thing.status: enum: ours [a, c] + any, official [a, b]",
            "Thing.status: required: ours required, official optional",
            "schema Extra (official: no counterpart): presence: ours present, official absent",
        ]
    );

    let mut official = same.clone();
    official["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json!({"type": "array", "items": {"type": "integer"}});
    assert_eq!(
        shown(&same, &official),
        [
            "Thing (official: GET /things/{id} 200): type: ours object, official array",
            "Thing.done_at (official: GET /things/{id} 200.done_at): presence: ours present, official absent",
            "Thing.extra (official: GET /things/{id} 200.extra): presence: ours present, official absent",
            "Thing.id (official: GET /things/{id} 200.id): presence: ours present, official absent",
            "Thing.status (official: GET /things/{id} 200.status): presence: ours present, official absent",
        ]
    );
}

#[test]
fn the_audit_fails_unlisted_stale_and_unreasoned_entries() {
    let difference = |at: &str, official: &str| Difference {
        at: at.to_owned(),
        aspect: Aspect::Nullable,
        ours: "nullable".to_owned(),
        official: official.to_owned(),
        official_at: "X.f".to_owned(),
    };
    let entry = |at: &[&str], official: &str, reason: &str| Intended {
        at: at.iter().map(|s| (*s).to_owned()).collect(),
        aspect: Aspect::Nullable,
        ours: "nullable".to_owned(),
        official: official.to_owned(),
        reason: reason.to_owned(),
    };
    let found = [difference("A.f", "not null"), difference("B.f", "not null")];
    assert_eq!(
        audit(&found, &[entry(&["A.f", "B.f"], "not null", "why")]),
        Vec::<String>::new()
    );
    // Resend changed B.f's side: the old entry is stale, the new value unlisted.
    let changed = [difference("A.f", "not null"), difference("B.f", "integer")];
    assert_eq!(
        audit(&changed, &[entry(&["A.f", "B.f"], "not null", "why")]),
        [
            "not listed as intended: B.f (official: X.f): nullable: ours nullable, official integer",
            "listed but no longer found (stale): B.f: nullable: ours nullable, official not null (reason: why)",
        ]
    );
    let problems = audit(
        &found[..1],
        &[
            entry(&["A.f"], "not null", " "),
            entry(&["A.f"], "not null", "why"),
        ],
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!(
        problems[0],
        "listed twice: A.f: nullable: ours nullable, official not null"
    );
    assert!(
        problems[1].starts_with("an entry needs a reason"),
        "{problems:#?}"
    );
}
