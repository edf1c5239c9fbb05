//! One schema of either document reduced to what the comparison looks at,
//! so the two OpenAPI versions' spellings meet: 3.0's `nullable: true` and
//! 3.1's `type: [x, "null"]` (or a `null` branch of `anyOf`/`oneOf`) both
//! become `nullable`, and our open enums (`anyOf` of an enum and a plain
//! string) keep their values and say they are open.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// `node` with its `$ref`s followed in `doc`, and the component names
/// passed through on the way (the last one names the result).
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> (&'a Value, Vec<&'a str>) {
    let mut names = Vec::new();
    let mut node = node;
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        // A cycle of bare references has no target: stop rather than spin.
        if names.len() > 32 {
            return (&Value::Null, names);
        }
        names.push(reference.rsplit('/').next().unwrap_or(reference));
        node = doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
    }
    (node, names)
}

/// What a schema allows, in the terms both documents can be compared in.
#[derive(Debug, Default, PartialEq)]
pub struct Shape<'a> {
    /// The JSON types other than null (empty: any).
    pub types: BTreeSet<String>,
    pub nullable: bool,
    pub formats: BTreeSet<String>,
    /// Enum values (rendered as JSON unless strings), null excluded.
    pub values: BTreeSet<String>,
    /// Whether a value outside `values` is accepted too.
    pub open: bool,
    pub properties: BTreeMap<String, &'a Value>,
    pub required: BTreeSet<String>,
    pub items: Option<&'a Value>,
}

impl<'a> Shape<'a> {
    /// The shape of `node` (a `$ref` is followed) in `doc`.
    pub fn of(doc: &'a Value, node: &'a Value) -> Self {
        let mut shape = Shape::default();
        shape.add(doc, resolve(doc, node).0);
        shape
    }

    /// Merges a resolved schema in: the branches of `allOf`, `anyOf` and
    /// `oneOf` all add up, because the question is what the schema names,
    /// not which combination validates.
    fn add(&mut self, doc: &'a Value, node: &'a Value) {
        match node.get("type") {
            Some(Value::String(t)) => self.add_type(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(|t| {
                self.add_type(t);
            }),
            _ => {}
        }
        self.nullable |= node.get("nullable") == Some(&Value::Bool(true));
        if let Some(format) = node.get("format").and_then(Value::as_str) {
            self.formats.insert(format.to_owned());
        }
        let branches: Vec<&Value> = ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|k| node.get(*k).and_then(Value::as_array))
            .flatten()
            .collect();
        match node.get("enum").and_then(Value::as_array) {
            Some(values) => {
                for value in values {
                    match value {
                        Value::Null => self.nullable = true,
                        Value::String(s) => {
                            self.values.insert(s.clone());
                        }
                        other => {
                            self.values.insert(other.to_string());
                        }
                    }
                }
            }
            // A schema made of branches is as open as its branches are.
            None if branches.is_empty() => self.open = true,
            None => {}
        }
        for (name, schema) in node
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.properties.insert(name.clone(), schema);
        }
        let required = node.get("required").and_then(Value::as_array);
        self.required.extend(
            required
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
        if let Some(items) = node.get("items") {
            self.items = Some(items);
        }
        for branch in branches {
            let (branch, _) = resolve(doc, branch);
            if branch.get("type").and_then(Value::as_str) == Some("null") {
                self.nullable = true;
            } else {
                self.add(doc, branch);
            }
        }
    }

    fn add_type(&mut self, t: &str) {
        if t == "null" {
            self.nullable = true;
        } else {
            self.types.insert(t.to_owned());
        }
    }

    /// `string`, `integer | string`, or `any`.
    pub fn types(&self) -> String {
        list_or(&self.types, " | ", "any")
    }

    /// `uuid`, or `none`.
    pub fn formats(&self) -> String {
        list_or(&self.formats, ", ", "none")
    }

    /// `[a, b]` (closed), `[a, b] + any` (open), or `any` (no enum).
    pub fn values(&self) -> String {
        match (self.values.is_empty(), self.open) {
            (true, _) => "any".to_owned(),
            (false, false) => format!("[{}]", list_or(&self.values, ", ", "")),
            (false, true) => format!("[{}] + any", list_or(&self.values, ", ", "")),
        }
    }

    /// `nullable` or `not null`.
    pub fn nullability(&self) -> String {
        if self.nullable {
            "nullable"
        } else {
            "not null"
        }
        .to_owned()
    }
}

fn list_or(items: &BTreeSet<String>, separator: &str, empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(separator)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Shape;

    /// Each spelling of a schema, and (type, nullability, format, values)
    /// as the comparison sees it.
    #[test]
    fn both_versions_spellings_meet() {
        let doc = json!({"components": {"schemas": {
            "Open": {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "string"}]},
            "Ts": {"type": "string", "nullable": true},
        }}});
        let cases = [
            (
                json!({"type": "string"}),
                ("string", "not null", "none", "any"),
            ),
            (
                json!({"type": "string", "nullable": true}),
                ("string", "nullable", "none", "any"),
            ),
            (
                json!({"type": ["string", "null"]}),
                ("string", "nullable", "none", "any"),
            ),
            (
                json!({"anyOf": [{"type": "object"}, {"type": "null"}]}),
                ("object", "nullable", "none", "any"),
            ),
            (
                json!({"oneOf": [{"$ref": "#/components/schemas/Ts"}]}),
                ("string", "nullable", "none", "any"),
            ),
            (
                json!({"$ref": "#/components/schemas/Ts"}),
                ("string", "nullable", "none", "any"),
            ),
            (
                json!({"type": "string", "format": "uuid"}),
                ("string", "not null", "uuid", "any"),
            ),
            (
                json!({"type": "string", "enum": ["b", "a"]}),
                ("string", "not null", "none", "[a, b]"),
            ),
            (
                json!({"type": "string", "enum": ["a", null]}),
                ("string", "nullable", "none", "[a]"),
            ),
            (
                json!({"$ref": "#/components/schemas/Open"}),
                ("string", "not null", "none", "[a, b] + any"),
            ),
            (
                json!({"type": "integer", "enum": [1, 2]}),
                ("integer", "not null", "none", "[1, 2]"),
            ),
            (
                json!({"type": ["integer", "string"]}),
                ("integer | string", "not null", "none", "any"),
            ),
            (
                json!({"description": "anything"}),
                ("any", "not null", "none", "any"),
            ),
        ];
        for (schema, (types, nullable, formats, values)) in cases {
            let shape = Shape::of(&doc, &schema);
            let seen = (
                shape.types(),
                shape.nullability(),
                shape.formats(),
                shape.values(),
            );
            let expected = (
                types.to_owned(),
                nullable.to_owned(),
                formats.to_owned(),
                values.to_owned(),
            );
            assert_eq!(seen, expected, "{schema}");
        }
    }

    #[test]
    fn properties_required_and_items_add_up_across_all_of() {
        let doc = json!({"components": {"schemas": {
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        }}});
        let schema = json!({"allOf": [
            {"$ref": "#/components/schemas/Base"},
            {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
        ]});
        let shape = Shape::of(&doc, &schema);
        assert_eq!(shape.properties.keys().collect::<Vec<_>>(), ["id", "tags"]);
        assert_eq!(shape.required.iter().collect::<Vec<_>>(), ["id"]);
        assert_eq!(shape.items, None);
        let tags = Shape::of(&doc, shape.properties["tags"]);
        assert_eq!(tags.items, Some(&json!({"type": "string"})));
    }
}
