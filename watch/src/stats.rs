//! What a watch has done so far, as [`WatchStream::stats`] tells it and,
//! with the `metrics` feature, as the watch's metrics record it
//! ([`crate::metrics`]): both from the same calls, so they agree.
//!
//! [`WatchStream::stats`]: super::WatchStream::stats

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::event::RunEvent;
use crate::error::Error;
use crate::metrics;
use resend_workflows::Lane;

/// What a watch has done so far, shared by the stream and its driver.
#[derive(Debug)]
pub(super) struct Stats {
    lane: Arc<Lane>,
    /// The watched automation's (or workflow's) id: the metrics' label.
    automation: Arc<str>,
    polls: AtomicU64,
    lag_micros: AtomicU64,
    /// Runs told started and not yet finished, as yielded.
    in_flight: AtomicU64,
    /// When the last successful poll ended, in microseconds since the Unix
    /// epoch; 0 until one has.
    last_success_micros: AtomicU64,
}

impl Stats {
    pub(super) fn new(lane: Arc<Lane>, automation: Arc<str>) -> Self {
        Self {
            lane,
            automation,
            polls: AtomicU64::new(0),
            lag_micros: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            last_success_micros: AtomicU64::new(0),
        }
    }

    /// A poll ended at `at`; `failed`: it yielded an error.
    pub(super) fn polled(&self, at: SystemTime, failed: bool) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        metrics::count!(metrics::WATCH_POLLS, 1, "automation" => self.label());
        if failed {
            return;
        }
        let micros = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        self.last_success_micros.store(micros, Ordering::Relaxed);
        metrics::gauge!(
            metrics::WATCH_LAST_SUCCESS,
            metrics::unix_seconds(Self::time(micros).unwrap_or(UNIX_EPOCH)),
            "automation" => self.label()
        );
    }

    pub(super) fn set_lag(&self, lag: Duration) {
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.lag_micros.store(micros, Ordering::Relaxed);
        metrics::gauge!(metrics::WATCH_LAG, lag.as_secs_f64(), "automation" => self.label());
    }

    pub(super) fn set_in_flight(&self, runs: usize) {
        let runs = u64::try_from(runs).unwrap_or(u64::MAX);
        self.in_flight.store(runs, Ordering::Relaxed);
    }

    /// The watch yielded `item`: counted by kind.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(super) fn yielded<R>(&self, item: &Result<RunEvent<R>, Error>) {
        match item {
            Ok(event) => metrics::count!(
                metrics::WATCH_EVENTS, 1,
                "automation" => self.label(), "kind" => event.kind()
            ),
            Err(error) => metrics::count!(
                metrics::WATCH_ERRORS, 1,
                "automation" => self.label(), "kind" => metrics::error_kind(error)
            ),
        }
    }

    /// Runs told started and not yet finished, as yielded.
    pub(super) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The automation's label, shared.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn label(&self) -> Arc<str> {
        Arc::clone(&self.automation)
    }

    /// The time `micros` since the Unix epoch stands for (0: none).
    fn time(micros: u64) -> Option<SystemTime> {
        (micros > 0).then(|| UNIX_EPOCH + Duration::from_micros(micros))
    }

    pub(super) fn snapshot(&self) -> WatchStats {
        WatchStats {
            polls: self.polls.load(Ordering::Relaxed),
            requests: self.lane.spent(),
            lag: Duration::from_micros(self.lag_micros.load(Ordering::Relaxed)),
            last_success: Self::time(self.last_success_micros.load(Ordering::Relaxed)),
        }
    }
}

/// What a watch has done so far: see [`WatchStream::stats`].
///
/// [`WatchStream::stats`]: super::WatchStream::stats
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WatchStats {
    /// Polls done.
    pub polls: u64,
    /// Requests sent (each attempt, retries included).
    pub requests: u64,
    /// How late the last poll started against its schedule (the poll
    /// before it, or its consumer, took longer than the interval; or the
    /// budget stretched it). Zero when on time.
    pub lag: Duration,
    /// When the last successful poll (one that yielded no error) ended, by
    /// the system's clock: a liveness alert compares it with the clock,
    /// no metrics stack needed. `None` until a poll has succeeded. A poll
    /// ends when the consumer asks for the item after its last.
    pub last_success: Option<SystemTime>,
}
