//! `Timestamp`: a lenient instant, replacing the generated date-time type.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod fast;
use fast::fast_parse;

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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    // Seconds and nanoseconds since the Unix epoch: decoding computes these
    // directly, and chrono's calendar form is built only when asked for.
    // Nanoseconds are stored plus one, so `Option<Timestamp>` needs no tag
    // (16 bytes, not 24: runs hold three timestamps and move through streams).
    secs: i64,
    nanos_plus_one: NonZeroU32,
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Timestamp {
    fn new(secs: i64, nanos: u32) -> Self {
        // chrono's leap-second nanos reach 1_999_999_999: still below u32::MAX.
        let nanos_plus_one = NonZeroU32::new(nanos.saturating_add(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            secs,
            nanos_plus_one,
        }
    }

    fn from_datetime(t: DateTime<Utc>) -> Self {
        Self::new(t.timestamp(), t.timestamp_subsec_nanos())
    }

    /// The instant as a `chrono` date-time in UTC.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        // Every Timestamp comes from a valid DateTime or a four-digit year,
        // well inside chrono's range.
        DateTime::from_timestamp(self.secs, self.subsec_nanos()).unwrap_or_default()
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The nanoseconds past [`unix_seconds`](Self::unix_seconds).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos_plus_one.get() - 1
    }

    /// Microseconds from `earlier` to this instant, 0 when it is not later.
    pub fn micros_since(&self, earlier: Timestamp) -> u64 {
        let micros = |t: &Timestamp| {
            i128::from(t.secs)
                .saturating_mul(1_000_000)
                .saturating_add(i128::from(t.subsec_nanos() / 1_000))
        };
        u64::try_from(micros(self).saturating_sub(micros(&earlier)).max(0)).unwrap_or(u64::MAX)
    }

    /// This instant less `seconds` (saturating at the earliest instant).
    pub fn minus_secs(&self, seconds: u64) -> Timestamp {
        let back = i64::try_from(seconds).unwrap_or(i64::MAX);
        Self::new(self.secs.saturating_sub(back), self.subsec_nanos())
    }

    /// Parses RFC 3339 or Postgres text (`YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]`).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        // Every page carries three timestamps a run: the common shapes take
        // a fast path; anything unusual (leap seconds, odd offsets) goes to chrono.
        if let Some((secs, nanos)) = fast_parse(s.as_bytes()) {
            return Ok(Self::new(secs, nanos));
        }
        let parsed = DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::<FixedOffset>::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z"))
            .map(|t| t.with_timezone(&Utc));
        match parsed {
            // Four-digit years only: a timestamp must print as RFC 3339
            // that reads back (the watch saves them), and chrono's Postgres
            // form also takes `+42023`.
            Ok(t) if (0..=9999).contains(&t.year()) => Ok(Self::from_datetime(t)),
            _ => Err(TimestampError {
                value: s.chars().take(64).collect(),
            }),
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self::from_datetime(value)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(value: Timestamp) -> Self {
        value.as_datetime()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_datetime().to_rfc3339())
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

#[cfg(test)]
mod tests {
    #[test]
    fn microseconds_between_instants_never_overflow() {
        let a: super::Timestamp = "2026-10-01T12:00:00.000001Z".parse().unwrap();
        let b: super::Timestamp = "2026-10-01T12:00:01.5Z".parse().unwrap();
        assert_eq!(b.micros_since(a), 1_499_999);
        assert_eq!(a.micros_since(b), 0);
        assert_eq!(b.minus_secs(2).micros_since(a), 0);
        assert_eq!(b.micros_since(b.minus_secs(90)), 90_000_000);
        assert_eq!(
            a.minus_secs(u64::MAX).unix_seconds(),
            a.unix_seconds().saturating_sub(i64::MAX)
        );
    }

    use super::*;

    #[test]
    fn its_parts_and_forms_are_exact() {
        let t: Timestamp = "2026-09-21 14:13:20.25+00".parse().unwrap();
        assert_eq!(
            (t.unix_seconds(), t.subsec_nanos()),
            (1_790_000_000, 250_000_000)
        );
        let epoch: Timestamp = "1970-01-01T00:00:00Z".parse().unwrap();
        assert_eq!((epoch.unix_seconds(), epoch.subsec_nanos()), (0, 0));
        let before: Timestamp = "1969-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(before.unix_seconds(), -1);
        let dt = DateTime::from_timestamp(1_790_000_000, 250_000_000).unwrap();
        assert_eq!(DateTime::<Utc>::from(t), dt);
        assert_eq!(Timestamp::from(dt), t);
        assert_eq!(format!("{t:?}"), "Timestamp(2026-09-21T14:13:20.250+00:00)");
        assert_eq!(t.to_string(), "2026-09-21T14:13:20.250+00:00");
        let err = Timestamp::parse("soon").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid timestamp \"soon\": expected RFC 3339 or `YYYY-MM-DD HH:MM:SS[.f]+HH`"
        );
    }

    #[test]
    fn an_optional_timestamp_costs_no_tag() {
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 16);
        let leap: Timestamp = "2016-12-31T23:59:60.5Z".parse().unwrap();
        assert!(leap > "2016-12-31T23:59:59.9Z".parse().unwrap());
    }
}
