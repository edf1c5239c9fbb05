//! JSON Schema (schemars, feature `schemars`) for the hand-written wire
//! types; the generated ones derive it. Each says what the spec says of
//! the type (tests/it/schemas.rs holds them against it).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::ids::{AutomationId, Cursor, MAX_ID_LEN, RunId, WorkflowId};
use crate::payload::EventPayload;
use crate::status::{
    AutomationStatus, ConnectionType, RunStatus, StatusFilter, StepStatus, StepType,
};
use crate::timestamp::Timestamp;

/// An open enum: the known values, or any other string.
fn open_enum<'a>(known: impl Iterator<Item = &'a str>, description: &str) -> Schema {
    let known: Vec<&str> = known.collect();
    json_schema!({
        "description": description,
        "anyOf": [
            {"type": "string", "enum": known},
            {"type": "string", "description": "A value not documented yet."}
        ]
    })
}

macro_rules! schema {
    ($type:ty, $name:literal, |$generator:ident| $body:expr) => {
        impl JsonSchema for $type {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

schema!(RunStatus, "RunStatus", |_g| open_enum(
    RunStatus::KNOWN.iter().map(RunStatus::as_str),
    "The state of a run. Open: new values may appear."
));
schema!(StepStatus, "StepStatus", |_g| open_enum(
    StepStatus::KNOWN.iter().map(StepStatus::as_str),
    "The state of one step of an automation run. Open."
));
schema!(StepType, "StepType", |_g| open_enum(
    StepType::KNOWN.iter().map(StepType::as_str),
    "What an automation step does. Open."
));
schema!(AutomationStatus, "AutomationStatus", |_g| open_enum(
    AutomationStatus::KNOWN.iter().map(AutomationStatus::as_str),
    "Whether an automation runs. Open."
));
schema!(ConnectionType, "ConnectionType", |_g| open_enum(
    ConnectionType::KNOWN.iter().map(ConnectionType::as_str),
    "When a connection between two steps is followed. Open."
));
schema!(Timestamp, "Timestamp", |_g| json_schema!({
    "type": "string",
    "description": "An instant: Postgres text (`2023-10-06 23:47:56.678+00`) or RFC 3339."
}));
schema!(EventPayload, "EventPayload", |_g| json_schema!({
    "type": "object",
    "description": "The event's payload, as sent: any JSON object.",
    "additionalProperties": true
}));
schema!(StatusFilter, "RunStatusFilter", |_g| json_schema!({
    "type": "string",
    "description": "A non-empty, comma-separated set of run statuses.",
    "pattern": "^[a-z_]+(,[a-z_]+)*$"
}));

/// An id as the client sends it.
fn id(description: &str) -> Schema {
    json_schema!({
        "type": "string",
        "description": description,
        "minLength": 1,
        "maxLength": MAX_ID_LEN,
        "pattern": "^[A-Za-z0-9_-]{1,256}$"
    })
}

schema!(WorkflowId, "WorkflowId", |_g| id("A workflow's id."));
schema!(AutomationId, "AutomationId", |_g| id("An automation's id."));
schema!(RunId, "RunId", |_g| id("A run's id."));
schema!(Cursor, "Cursor", |_g| id(
    "A pagination cursor: the id of an item, excluded from the page."
));
