//! The walk over our spec that finds, for each operation and schema, its
//! counterpart in the official document and lists every way they differ.
//!
//! Counterparts are found through the operations, not by name: the schema
//! our `GET /automations` answers with is compared with the one the
//! official `GET /automations` answers with, whatever each is called, and
//! so on down their properties and items. A location is named after our
//! spec: the operation, or the nearest named object schema of ours and the
//! field (`AutomationRunListItem.status`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::shape::{Shape, resolve};

/// What differs at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aspect {
    /// An operation, parameter, response, body, field or schema one side lacks.
    Presence,
    Type,
    Format,
    Enum,
    Required,
    Nullable,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format!("{self:?}").to_lowercase())
    }
}

/// One way our spec differs from the official document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// Where, in our spec's terms.
    pub at: String,
    pub aspect: Aspect,
    pub ours: String,
    pub official: String,
    /// Where, in the official document's terms (for the reader only).
    pub official_at: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Difference {
            at,
            aspect,
            ours,
            official,
            official_at,
        } = self;
        write!(f, "{at}")?;
        // The official side's name only where it is not ours.
        if official_at != at {
            write!(f, " (official: {official_at})")?;
        }
        write!(f, ": {aspect}: ours {ours}, official {official}")
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every difference between `ours` and its counterparts in `official`,
/// sorted and each once.
pub fn differences(ours: &Value, official: &Value) -> Vec<Difference> {
    let mut walk = Walk {
        ours,
        official,
        found: BTreeSet::new(),
        reached: BTreeSet::new(),
        compared: BTreeSet::new(),
    };
    for (path, item) in entries(&ours["paths"]) {
        for (method, op) in entries(item).filter(|(m, _)| METHODS.contains(&m.as_str())) {
            walk.operation(path, method, op);
        }
    }
    // A schema of ours that no comparison reached has no counterpart.
    for name in entries(&ours["components"]["schemas"]).map(|(name, _)| name) {
        if !walk.reached.contains(name.as_str()) {
            walk.presence(
                &format!("schema {name}"),
                "no counterpart",
                Some(&Value::Null),
                None,
            );
        }
    }
    walk.found.into_iter().collect()
}

struct Walk<'a> {
    ours: &'a Value,
    official: &'a Value,
    found: BTreeSet<Difference>,
    /// Our component schemas compared with an official counterpart.
    reached: BTreeSet<&'a str>,
    /// (ours, official) locations already compared: each pair once, and
    /// recursive schemas end.
    compared: BTreeSet<(String, String)>,
}

impl<'a> Walk<'a> {
    fn operation(&mut self, path: &str, method: &str, op: &'a Value) {
        let at = format!("{} {path}", method.to_uppercase());
        let Some(theirs) = self.official["paths"]
            .get(path)
            .and_then(|item| item.get(method))
        else {
            return self.presence(&at, &at, Some(op), None);
        };
        let params = |doc: &'a Value, op: &'a Value| -> BTreeMap<String, &'a Value> {
            // Path-level parameters apply too; the operation's win.
            let item = &doc["paths"][path];
            let all = [&item["parameters"], &op["parameters"]];
            let all = all
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .map(|p| resolve(doc, p).0);
            all.map(|p| (format!("{}.{}", str_of(&p["in"]), str_of(&p["name"])), p))
                .collect()
        };
        for (name, o, t) in pairs(params(self.ours, op), params(self.official, theirs)) {
            let at = format!("{at} {name}");
            let (Some(o), Some(t)) = (o, t) else {
                self.presence(&at, &at, o, t);
                continue;
            };
            let required = |p: &Value| required_or_optional(p["required"] == Value::Bool(true));
            self.differ(&at, &at, Aspect::Required, required(o), required(t));
            self.schema(&at, &at, &o["schema"], &t["schema"]);
        }
        let body = |doc: &'a Value, v: &'a Value| {
            &resolve(doc, v).0["content"]["application/json"]["schema"]
        };
        let request =
            [&op["requestBody"], &theirs["requestBody"]].map(|b| b.as_object().map(|_| b));
        if let [Some(o), Some(t)] = request {
            let at = format!("{at} request body");
            self.schema(&at, &at, body(self.ours, o), body(self.official, t));
        } else if request.iter().any(Option::is_some) {
            self.presence(&format!("{at} request body"), &at, request[0], request[1]);
        }
        for (code, o, t) in pairs(objects(&op["responses"]), objects(&theirs["responses"])) {
            let at = format!("{at} {code}");
            let (Some(o), Some(t)) = (o, t) else {
                self.presence(&at, &at, o, t);
                continue;
            };
            let (o, t) = (body(self.ours, o), body(self.official, t));
            if o.is_null() || t.is_null() {
                let some = |v: &'a Value| (!v.is_null()).then_some(v);
                self.presence(&format!("{at} body"), &at, some(o), some(t));
            } else {
                self.schema(&at, &at, o, t);
            }
        }
    }

    /// Compares two schemas, then their properties and items.
    fn schema(&mut self, at: &str, official_at: &str, ours: &'a Value, official: &'a Value) {
        let (o_node, o_names) = resolve(self.ours, ours);
        let (t_node, t_names) = resolve(self.official, official);
        self.reached.extend(o_names.iter().copied());
        let at = object_name(o_node, &o_names).unwrap_or(at).to_owned();
        let official_at = object_name(t_node, &t_names)
            .unwrap_or(official_at)
            .to_owned();
        if !self.compared.insert((at.clone(), official_at.clone())) {
            return;
        }
        let (o, t) = (
            Shape::of(self.ours, o_node),
            Shape::of(self.official, t_node),
        );
        self.differ(&at, &official_at, Aspect::Type, o.types(), t.types());
        self.differ(&at, &official_at, Aspect::Format, o.formats(), t.formats());
        self.differ(&at, &official_at, Aspect::Enum, o.values(), t.values());
        self.differ(
            &at,
            &official_at,
            Aspect::Nullable,
            o.nullability(),
            t.nullability(),
        );
        for (name, o_field, t_field) in pairs(o.properties.clone(), t.properties.clone()) {
            let (field_at, official_field_at) =
                (format!("{at}.{name}"), format!("{official_at}.{name}"));
            let (Some(o_field), Some(t_field)) = (o_field, t_field) else {
                self.presence(&field_at, &official_field_at, o_field, t_field);
                continue;
            };
            let required = |shape: &Shape<'_>| required_or_optional(shape.required.contains(&name));
            self.differ(
                &field_at,
                &official_field_at,
                Aspect::Required,
                required(&o),
                required(&t),
            );
            self.schema(&field_at, &official_field_at, o_field, t_field);
        }
        if let (Some(o_items), Some(t_items)) = (o.items, t.items) {
            self.schema(
                &format!("{at}[]"),
                &format!("{official_at}[]"),
                o_items,
                t_items,
            );
        }
    }

    fn differ(
        &mut self,
        at: &str,
        official_at: &str,
        aspect: Aspect,
        ours: String,
        official: String,
    ) {
        if ours != official {
            let (at, official_at) = (at.to_owned(), official_at.to_owned());
            self.found.insert(Difference {
                at,
                aspect,
                ours,
                official,
                official_at,
            });
        }
    }

    fn presence(
        &mut self,
        at: &str,
        official_at: &str,
        ours: Option<&Value>,
        official: Option<&Value>,
    ) {
        let said =
            |side: Option<&Value>| if side.is_some() { "present" } else { "absent" }.to_owned();
        self.differ(
            at,
            official_at,
            Aspect::Presence,
            said(ours),
            said(official),
        );
    }
}

/// The component name a location takes: the schema's, when it names an
/// object with properties (not a string or an enum used by many fields).
fn object_name<'n>(node: &Value, names: &[&'n str]) -> Option<&'n str> {
    names
        .last()
        .copied()
        .filter(|_| node.get("properties").is_some())
}

fn required_or_optional(required: bool) -> String {
    if required { "required" } else { "optional" }.to_owned()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn entries(v: &Value) -> impl Iterator<Item = (&String, &Value)> {
    v.as_object().into_iter().flatten()
}

fn objects(v: &Value) -> BTreeMap<String, &Value> {
    entries(v).map(|(k, v)| (k.clone(), v)).collect()
}

/// Every key of either map, with what each side has there.
fn pairs<'v>(
    ours: BTreeMap<String, &'v Value>,
    official: BTreeMap<String, &'v Value>,
) -> Vec<(String, Option<&'v Value>, Option<&'v Value>)> {
    let keys: BTreeSet<&String> = ours.keys().chain(official.keys()).collect();
    keys.into_iter()
        .map(|k| (k.clone(), ours.get(k).copied(), official.get(k).copied()))
        .collect()
}
