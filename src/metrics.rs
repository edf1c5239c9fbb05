//! The metrics the crate records with the `metrics` feature, through the
//! [`metrics`](https://docs.rs/metrics) facade: the service installs the
//! exporter it likes (Prometheus, StatsD, …) and the crate's requests and
//! lanes show up in it (a watch's own, polls, events, lag, lease, are
//! `resend-workflows-watch`'s: see its `metrics` module). Without the feature, nothing is recorded and the
//! facade is not a dependency; the names below stay, for dashboards built
//! from code.
//!
//! Names and labels follow Prometheus' conventions. Every label's values
//! are bounded: operations are the API's operation ids, outcomes and kinds
//! are the lists below, and `lane` names a lane of the team's limit
//! ([`Lane`](crate::Lane); a watch's: `watch automations/<id>/runs` for a
//! single watch, `team watch <key>` for a team watch's). No run id, key or header is ever a label.
//!
//! | Metric | Type | Labels | What |
//! |---|---|---|---|
//! | [`REQUESTS`] | counter | `operation`, `outcome` | calls, by how they ended |
//! | [`REQUEST_ATTEMPTS`] | counter | `operation` | attempts sent, retries included |
//! | [`RATE_LIMITED`] | counter | `operation` | 429 answers received |
//! | [`REQUEST_DURATION`] | histogram | `operation`, `outcome` | a call's time, waits and retries included |
//! | [`LANE_REQUESTS`] | counter | `lane` | attempts sent in a lane |
//! | [`LANE_BUDGET`] | gauge | `lane` | the rate the lane's budget allows now |
//!
//! Outcomes of a call ([`REQUESTS`], [`REQUEST_DURATION`]): `success`,
//! `client_error` (a 4xx other than 429), `rate_limited` (a 429, after the
//! retries), `server_error` (a 5xx, after the retries), `unexpected_status`
//! (a status the API does not list), `transport_error` (no answer),
//! `throttled` (not sent: the wait for a turn would pass the deadline),
//! `too_large` (a body over the cap), `decode_error`, `invalid` (refused
//! before sending).
//!
//! To see
//! a lane spend its budget: `rate(resend_workflows_lane_requests_total[5m])
//! / resend_workflows_lane_budget_requests_per_second`.

use crate::error::Error;

/// Calls made (once each, however many attempts), by `operation` and
/// `outcome`.
pub const REQUESTS: &str = "resend_workflows_requests_total";
/// Attempts sent (each retry is one more), by `operation`.
pub const REQUEST_ATTEMPTS: &str = "resend_workflows_request_attempts_total";
/// 429 answers received (each attempt's), by `operation`.
pub const RATE_LIMITED: &str = "resend_workflows_rate_limited_responses_total";
/// A call's time in seconds, from its first turn at the rate gate to its
/// answer, waits and retries included, by `operation` and `outcome`.
pub const REQUEST_DURATION: &str = "resend_workflows_request_duration_seconds";
/// Attempts sent in a lane (what its budget is spent on), by `lane`.
/// Formerly `resend_workflows_watch_requests_total`.
pub const LANE_REQUESTS: &str = "resend_workflows_lane_requests_total";
/// The requests a second a lane's budget allows now (its share of what
/// the team's limit and traffic leave), by `lane`: set at each turn.
/// Formerly `resend_workflows_watch_budget_requests_per_second`.
pub const LANE_BUDGET: &str = "resend_workflows_lane_budget_requests_per_second";

/// What a metric is, for exporters that want descriptions: see [`ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metric {
    /// Its name.
    pub name: &'static str,
    /// `counter`, `gauge` or `histogram`.
    pub kind: &'static str,
    /// Its labels.
    pub labels: &'static [&'static str],
    /// What it counts or measures.
    pub help: &'static str,
}

impl Metric {
    /// A metric named `name`, of `kind` (`counter`, `gauge` or
    /// `histogram`), with `labels`, described by `help`: for a crate on the
    /// client that lists its own (as the watch's `metrics::ALL` does).
    pub const fn new(
        name: &'static str,
        kind: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            labels,
            help,
        }
    }
}

const fn metric(
    name: &'static str,
    kind: &'static str,
    labels: &'static [&'static str],
    help: &'static str,
) -> Metric {
    Metric::new(name, kind, labels, help)
}

const CALL: &[&str] = &["operation", "outcome"];
const OPERATION: &[&str] = &["operation"];
const LANE: &[&str] = &["lane"];

/// Every metric the crate records.
pub const ALL: &[Metric] = &[
    metric(REQUESTS, "counter", CALL, "Calls made, by how they ended."),
    metric(
        REQUEST_ATTEMPTS,
        "counter",
        OPERATION,
        "Attempts sent, retries included.",
    ),
    metric(RATE_LIMITED, "counter", OPERATION, "429 answers received."),
    metric(
        REQUEST_DURATION,
        "histogram",
        CALL,
        "A call's time, waits and retries included.",
    ),
    metric(LANE_REQUESTS, "counter", LANE, "Attempts sent in a lane."),
    metric(
        LANE_BUDGET,
        "gauge",
        LANE,
        "Requests a second the lane's budget allows now.",
    ),
];

/// Describes every metric (its help text, and seconds for the durations)
/// to the recorder installed now: call it once, after installing one, for
/// `# HELP` lines in an exposition.
#[cfg(feature = "metrics")]
pub fn describe() {
    for m in ALL {
        m.describe();
    }
}

#[cfg(feature = "metrics")]
impl Metric {
    /// Describes this metric (its help text, and seconds for a duration)
    /// to the recorder installed now: [`describe`] does so for every
    /// metric of the client, a crate on it for its own.
    pub fn describe(&self) {
        let unit = self
            .name
            .ends_with("_seconds")
            .then_some(::metrics::Unit::Seconds);
        match (self.kind, unit) {
            ("counter", _) => ::metrics::describe_counter!(self.name, self.help),
            ("gauge", Some(unit)) => ::metrics::describe_gauge!(self.name, unit, self.help),
            ("gauge", None) => ::metrics::describe_gauge!(self.name, self.help),
            (_, Some(unit)) => ::metrics::describe_histogram!(self.name, unit, self.help),
            (_, None) => ::metrics::describe_histogram!(self.name, self.help),
        }
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

/// Records a value in a histogram: `observe!(NAME, 0.2, "label" => value)`.
#[cfg(feature = "metrics")]
macro_rules! observe {
    ($name:expr, $value:expr $(, $key:literal => $label:expr)* $(,)?) => {
        ::metrics::histogram!($name $(, $key => $label)*).record($value)
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

/// The outcome class of a call that ended with `error` (`None`: success),
/// for [`REQUESTS`]' `outcome` label.
#[cfg(feature = "metrics")]
pub(crate) fn outcome(error: Option<&Error>) -> &'static str {
    let Some(error) = error else {
        return "success";
    };
    match error {
        Error::Api(api) => match api.status().as_u16() {
            429 => "rate_limited",
            400..=499 => "client_error",
            500..=599 => "server_error",
            _ => "unexpected_status",
        },
        Error::Transport(_) => "transport_error",
        Error::Throttled(_) => "throttled",
        Error::ResponseTooLarge(_) => "too_large",
        Error::Decode(_) | Error::BadRecord(_) | Error::Pagination(_) => "decode_error",
        Error::InvalidArgument(_) | Error::Config(_) => "invalid",
    }
}

/// Times a call, and records its metrics when it ends. Without the
/// feature it holds nothing and records nothing.
#[derive(Debug)]
pub(crate) struct Stopwatch {
    #[cfg(feature = "metrics")]
    started: tokio::time::Instant,
}

impl Stopwatch {
    /// Starts timing a call.
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            started: tokio::time::Instant::now(),
        }
    }

    /// The call of `operation` ended after `attempts` attempts, with
    /// `error` (`None`: answered).
    #[cfg_attr(not(feature = "metrics"), allow(clippy::unused_self))]
    pub(crate) fn call_ended(self, operation: &'static str, attempts: u32, error: Option<&Error>) {
        #[cfg(feature = "metrics")]
        {
            let outcome = outcome(error);
            let took = self.started.elapsed().as_secs_f64();
            count!(REQUESTS, 1, "operation" => operation, "outcome" => outcome);
            count!(REQUEST_ATTEMPTS, u64::from(attempts), "operation" => operation);
            observe!(REQUEST_DURATION, took, "operation" => operation, "outcome" => outcome);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (operation, attempts, error);
    }
}

#[cfg(test)]
mod tests;
