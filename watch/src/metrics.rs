//! The metrics a watch records with the `metrics` feature, through the
//! [`metrics`](https://docs.rs/metrics) facade (the client's requests and
//! lanes record theirs: [`resend_workflows::metrics`], whose
//! [`LANE_REQUESTS`](resend_workflows::metrics::LANE_REQUESTS) and
//! [`LANE_BUDGET`](resend_workflows::metrics::LANE_BUDGET) are a watch's
//! lane's). Without the feature, nothing is recorded and the facade is not
//! a dependency; the names below stay, for dashboards built from code.
//!
//! `automation` is the id of an automation (or, for a workflow watch, of
//! the workflow) this process watches, so its values are the watched set;
//! kinds are the lists below. No run id, key or header is ever a label.
//!
//! | Metric | Type | Labels | What |
//! |---|---|---|---|
//! | [`WATCH_POLLS`] | counter | `automation` | polls done |
//! | [`WATCH_EVENTS`] | counter | `automation`, `kind` | events yielded |
//! | [`WATCH_ERRORS`] | counter | `automation`, `kind` | errors yielded |
//! | [`WATCH_LAG`] | gauge | `automation` | how late the last poll started |
//! | [`WATCH_LEASE_HELD`] | gauge | `automation` | 1 while this process holds the lease |
//! | [`WATCH_LAST_SUCCESS`] | gauge | `automation` | when the last successful poll ended |
//!
//! Kinds of an event ([`WATCH_EVENTS`]): those of
//! [`RunEvent::kind`](crate::RunEvent::kind). Kinds of an error
//! ([`WATCH_ERRORS`]): the client's [`Error`](resend_workflows::Error)'s
//! variants in snake case (`api`, `transport`, `decode`, `pagination`,
//! `bad_record`, `too_large`, `throttled`, `invalid_argument`, `config`),
//! and for a watch's own errors its [`WatchErrorKind`]
//! (`state_mismatch`, `state_version`, `store`, `lease_lost`,
//! `run_unreadable`, `poll_too_long`, `collection_not_found`).
//!
//! To alert on silence: `time() -
//! max by (automation) (resend_workflows_watch_last_success_timestamp_seconds)`
//! above a few poll intervals (a team watch on several replicas: only the
//! replica holding an automation's lease polls it, hence the `max`).

#[cfg(feature = "metrics")]
use resend_workflows::Error as ClientError;
pub use resend_workflows::metrics::Metric;

#[cfg(feature = "metrics")]
use crate::error::{Error, WatchErrorKind};

/// Polls done (failed ones included), by `automation`.
pub const WATCH_POLLS: &str = "resend_workflows_watch_polls_total";
/// Events yielded, by `automation` and `kind`.
pub const WATCH_EVENTS: &str = "resend_workflows_watch_events_total";
/// Errors an automation's watch yielded (each a failed poll, or the
/// watch's end), by `automation` and `kind`; in a team watch, those it
/// takes for the automation's removal (a 404) included, and its own look
/// at the team's automations not.
pub const WATCH_ERRORS: &str = "resend_workflows_watch_errors_total";
/// How late the last poll started against its schedule, in seconds, by
/// `automation`.
pub const WATCH_LAG: &str = "resend_workflows_watch_lag_seconds";
/// 1 while this process holds the automation's lease, else 0, by
/// `automation`: their sum is the leases a process holds.
pub const WATCH_LEASE_HELD: &str = "resend_workflows_watch_lease_held";
/// When the automation's last successful poll (one that yielded no error)
/// ended, in seconds since the Unix epoch, by `automation`. Unset until
/// one has.
pub const WATCH_LAST_SUCCESS: &str = "resend_workflows_watch_last_success_timestamp_seconds";

const AUTOMATION: &[&str] = &["automation"];
const KIND: &[&str] = &["automation", "kind"];

/// Every metric a watch records (the client's: [`resend_workflows::metrics::ALL`]).
pub const ALL: &[Metric] = &[
    Metric::new(WATCH_POLLS, "counter", AUTOMATION, "Polls done."),
    Metric::new(WATCH_EVENTS, "counter", KIND, "Events yielded."),
    Metric::new(WATCH_ERRORS, "counter", KIND, "Errors yielded."),
    Metric::new(
        WATCH_LAG,
        "gauge",
        AUTOMATION,
        "How late the last poll started.",
    ),
    Metric::new(
        WATCH_LEASE_HELD,
        "gauge",
        AUTOMATION,
        "1 while this process holds the lease.",
    ),
    Metric::new(
        WATCH_LAST_SUCCESS,
        "gauge",
        AUTOMATION,
        "When the last successful poll ended.",
    ),
];

/// Describes every metric of the watch and of the client (their help
/// text, and seconds for the durations) to the recorder installed now:
/// call it once, after installing one, for `# HELP` lines in an exposition.
#[cfg(feature = "metrics")]
pub fn describe() {
    resend_workflows::metrics::describe();
    for m in ALL {
        m.describe();
    }
}

/// Adds `by` to a counter: `count!(NAME, 1, "label" => value)`.
#[cfg(feature = "metrics")]
macro_rules! count {
    ($name:expr, $by:expr $(, $key:literal => $value:expr)* $(,)?) => {
        ::metrics::counter!($name $(, $key => $value)*).increment($by)
    };
}

/// Sets a gauge: `gauge!(NAME, 1.0, "label" => value)`.
#[cfg(feature = "metrics")]
macro_rules! gauge {
    ($name:expr, $to:expr $(, $key:literal => $value:expr)* $(,)?) => {
        ::metrics::gauge!($name $(, $key => $value)*).set($to)
    };
}

// Without the feature, each compiles to nothing: its arguments are not
// evaluated.
#[cfg(not(feature = "metrics"))]
macro_rules! count {
    ($($arg:tt)*) => {{}};
}

#[cfg(not(feature = "metrics"))]
macro_rules! gauge {
    ($($arg:tt)*) => {{}};
}

pub(crate) use {count, gauge};

/// The kind of an error a watch yielded, for [`WATCH_ERRORS`]' `kind`.
#[cfg(feature = "metrics")]
pub(crate) fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::Watch(watch) => watch_kind(watch.kind()),
        Error::Client(client) => client_kind(client),
    }
}

/// A watch's own error's kind, for [`WATCH_ERRORS`]' `kind`.
#[cfg(feature = "metrics")]
fn watch_kind(kind: &WatchErrorKind) -> &'static str {
    match kind {
        WatchErrorKind::StateMismatch { .. } => "state_mismatch",
        WatchErrorKind::StateVersion { .. } => "state_version",
        WatchErrorKind::Store => "store",
        WatchErrorKind::LeaseLost { .. } => "lease_lost",
        WatchErrorKind::RunUnreadable { .. } => "run_unreadable",
        WatchErrorKind::PollTooLong { .. } => "poll_too_long",
        WatchErrorKind::CollectionNotFound { .. } => "collection_not_found",
    }
}

/// The client's error's kind, for [`WATCH_ERRORS`]' `kind`.
#[cfg(feature = "metrics")]
fn client_kind(error: &ClientError) -> &'static str {
    match error {
        ClientError::InvalidArgument(_) => "invalid_argument",
        ClientError::Config(_) => "config",
        ClientError::Api(_) => "api",
        ClientError::Transport(_) => "transport",
        ClientError::Decode(_) => "decode",
        ClientError::Pagination(_) => "pagination",
        ClientError::BadRecord(_) => "bad_record",
        ClientError::ResponseTooLarge(_) => "too_large",
        ClientError::Throttled(_) => "throttled",
        _ => "other",
    }
}

/// Seconds since the Unix epoch of `at`, for a timestamp gauge.
#[cfg(feature = "metrics")]
pub(crate) fn unix_seconds(at: std::time::SystemTime) -> f64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests;
