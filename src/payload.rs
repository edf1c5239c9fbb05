//! `EventPayload`: a trigger's payload, kept verbatim and parsed on demand.
//!
//! The payload is whatever JSON object the triggering event carried. Most
//! consumers of a run never read it; those that do usually know its shape.
//! Keeping the raw JSON costs one copy instead of a tree of maps and
//! strings per run, preserves the key order and numbers exactly, and lets a
//! caller deserialize straight into its own type.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A trigger's payload: a JSON object, as sent.
///
/// ```
/// use resend_workflows::EventPayload;
///
/// #[derive(serde::Deserialize)]
/// struct Signup { plan: String }
///
/// let payload: EventPayload = serde_json::from_str(r#"{"plan":"pro","seats":3}"#).unwrap();
/// assert_eq!(payload.get::<Signup>().unwrap().plan, "pro");
/// assert_eq!(payload.to_value()["seats"], 3);
/// assert_eq!(payload.as_json(), r#"{"plan":"pro","seats":3}"#);
/// ```
#[derive(Clone)]
pub struct EventPayload(Box<RawValue>);

impl EventPayload {
    /// The payload as JSON text, exactly as received.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Deserializes the payload into `T`.
    ///
    /// # Errors
    /// When the payload does not have `T`'s shape.
    pub fn get<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// The payload as a `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        // It was valid JSON when received.
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// A payload from a JSON value (for fixtures and fakes).
    pub fn from_value(value: &serde_json::Value) -> Self {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        Self(RawValue::from_string(text).unwrap_or_else(|_| empty()))
    }
}

fn empty() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("{} is JSON")
}

impl Default for EventPayload {
    /// `{}`.
    fn default() -> Self {
        Self(empty())
    }
}

impl PartialEq for EventPayload {
    /// Equal when the JSON values are equal (key order and spacing aside).
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json() || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for EventPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventPayload({})", self.as_json())
    }
}

impl fmt::Display for EventPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for EventPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EventPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        // The spec says an object; anything else is a decode error here,
        // where the path to it is known.
        if !raw.get().trim_start().starts_with('{') {
            return Err(serde::de::Error::custom("the payload is not a JSON object"));
        }
        Ok(Self(raw))
    }
}
