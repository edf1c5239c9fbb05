//! `TeamConfig`: a team watch's options, a [`WatchConfig`] for every
//! automation and the team's own, checked once before anything is sent.

use std::time::Duration;

use crate::config::{LONGER_THAN_MAX, MAX_WATCH_DURATION, WatchConfig};
use resend_workflows::{InvalidArgument, InvalidReason};

/// How long a quiet automation may go unpolled by default.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(60);

/// How often the team's automations are listed again by default.
pub const DEFAULT_DISCOVERY_INTERVAL: Duration = Duration::from_secs(60);

/// The options of a team watch, given to
/// [`WatchClient::watch_automations`](crate::WatchClient::watch_automations)
/// or [`WatchClient::watch_automation_set`](crate::WatchClient::watch_automation_set):
/// a [`WatchConfig`] that every automation's watch takes (its budget
/// shared by them all), and the team's own options.
///
/// ```
/// use std::time::Duration;
/// use resend_workflows_watch::{TeamConfig, WatchConfig};
/// let watch = WatchConfig::default().poll_interval(Duration::from_secs(2));
/// let team = TeamConfig::default()
///     .watch(watch)
///     .max_staleness(Duration::from_secs(30));
/// assert!(team.check().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct TeamConfig {
    pub(crate) watch: WatchConfig,
    pub(crate) max_staleness: Duration,
    pub(crate) discovery_interval: Duration,
    pub(crate) budget_key: String,
}

impl Default for TeamConfig {
    fn default() -> Self {
        Self {
            watch: WatchConfig::default(),
            max_staleness: DEFAULT_MAX_STALENESS,
            discovery_interval: DEFAULT_DISCOVERY_INTERVAL,
            budget_key: "team".to_owned(),
        }
    }
}

impl TeamConfig {
    /// The options of every automation's watch, default
    /// [`WatchConfig::default`]: the same value a single watch takes.
    pub fn watch(mut self, watch: WatchConfig) -> Self {
        self.watch = watch;
        self
    }

    /// The options of every automation's watch.
    pub fn watch_config(&self) -> &WatchConfig {
        &self.watch
    }

    /// How long a quiet automation (nothing in flight, nothing found) may
    /// go unpolled: its polls back off, doubling, up to this (default
    /// 60 s; at least the poll interval). Every poll costs a request, so
    /// with N quiet automations and a budget of B requests a second, none
    /// is polled more often than the budget allows, about every N / B
    /// seconds when that is longer: then the lag in
    /// [`TeamStream::stats`](crate::TeamStream::stats) says so.
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.max_staleness = staleness;
        self
    }

    /// How often the team's automations are listed again, to find the
    /// ones added, deleted or disabled (default 60 s; at least 1 s, at
    /// most [`MAX_WATCH_DURATION`]). Not used by
    /// [`watch_automation_set`](crate::WatchClient::watch_automation_set).
    pub fn discovery_interval(mut self, interval: Duration) -> Self {
        self.discovery_interval = interval;
        self
    }

    /// The name replicas share their budget under (default `team`). With
    /// a store several processes share and that shares turns
    /// ([`PostgresStore`](crate::PostgresStore)), every replica's team
    /// watch of the same name takes its turns from one queue in the
    /// store, so their requests together keep to the budget; with any
    /// other store, each process keeps to its own.
    pub fn budget_key(mut self, name: impl Into<String>) -> Self {
        self.budget_key = name.into();
        self
    }

    /// Whether every option is usable, as a team watch given them checks
    /// before it sends anything: the [`WatchConfig`]'s
    /// ([`WatchConfig::check`]), then the team's own.
    ///
    /// # Errors
    /// The first option that is not usable, named by
    /// [`InvalidArgument::parameter`]: one of the [`WatchConfig`]'s, or
    /// `max_staleness`, `discovery_interval` or `budget_key`.
    pub fn check(&self) -> Result<(), InvalidArgument> {
        self.checked_holder().map(drop)
    }

    /// The options checked, and the holder of every automation's lease
    /// (drawn once, when none is set).
    pub(crate) fn checked_holder(&self) -> Result<String, InvalidArgument> {
        let holder = self.watch.checked_holder()?;
        let unusable = |parameter, value: Duration, why| {
            let reason = InvalidReason::Unusable { why };
            Err(InvalidArgument::new(
                parameter,
                &format!("{value:?}"),
                reason,
            ))
        };
        if self.max_staleness > MAX_WATCH_DURATION {
            return unusable("max_staleness", self.max_staleness, LONGER_THAN_MAX);
        }
        if self.max_staleness < self.watch.poll_interval {
            let why = "a quiet automation backs off from the poll interval, never below it";
            return unusable("max_staleness", self.max_staleness, why);
        }
        if self.discovery_interval > MAX_WATCH_DURATION {
            let interval = self.discovery_interval;
            return unusable("discovery_interval", interval, LONGER_THAN_MAX);
        }
        if self.discovery_interval < Duration::from_secs(1) {
            let why = "the team's automations are listed at most once a second";
            return unusable("discovery_interval", self.discovery_interval, why);
        }
        let key = &self.budget_key;
        if key.is_empty() || key.len() > 100 || !key.chars().all(|c| c.is_ascii_graphic()) {
            let reason = InvalidReason::Unusable {
                why: "a budget's name is 1 to 100 visible ASCII characters",
            };
            return Err(InvalidArgument::new("budget_key", key, reason));
        }
        Ok(holder)
    }
}
