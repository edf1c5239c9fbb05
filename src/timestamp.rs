//! `Timestamp`: a lenient instant, replacing the generated date-time type.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant sent by Resend, in UTC.
///
/// Decodes RFC 3339 (`2025-10-01T12:00:00.000Z`) and the Postgres text form
/// (`2026-10-01 12:00:00.000000+00`) that Resend has also emitted. Encodes as
/// RFC 3339.
///
/// ```
/// use resend_workflows::Timestamp;
///
/// let a: Timestamp = "2026-10-01T12:00:00Z".parse().unwrap();
/// let b: Timestamp = "2026-10-01 12:00:00.000000+00".parse().unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2026-10-01T12:00:00+00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The instant as a `chrono` date-time in UTC.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Parses RFC 3339 or Postgres text (`YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]`).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Self(t.with_timezone(&Utc)));
        }
        DateTime::<FixedOffset>::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z")
            .map(|t| Self(t.with_timezone(&Utc)))
            .map_err(|_| TimestampError {
                value: s.chars().take(64).collect(),
            })
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str> as Deserialize>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A string that is neither RFC 3339 nor Postgres timestamp text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError {
    value: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid timestamp {:?}: expected RFC 3339 or `YYYY-MM-DD HH:MM:SS[.f]+HH`",
            self.value
        )
    }
}

impl std::error::Error for TimestampError {}
