//! The team watch's options, checked before anything is sent.

use std::sync::Arc;
use std::time::Duration;

use crate::builder::{
    DEFAULT_COMMIT_EVERY, DEFAULT_LEASE_TTL, DEFAULT_POLL_INTERVAL, LONGER_THAN_MAX,
    MAX_WATCH_DURATION, Watch,
};
use crate::error::Error;
use crate::event::StartAt;
use crate::store::{MemoryStore, StateStore};
use resend_workflows::AutomationId;
use resend_workflows::AutomationRuns;
use resend_workflows::Client;
use resend_workflows::RunStatus;
use resend_workflows::{Budget, DEFAULT_BUDGET};
use resend_workflows::{InvalidArgument, InvalidReason};

/// How long a quiet automation may go unchecked by default.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(60);

/// How often the team's automations are listed again by default.
pub const DEFAULT_DISCOVERY_INTERVAL: Duration = Duration::from_secs(60);

/// A watch of many automations, built by
/// [`WatchClient::watch_automations`](crate::WatchClient::watch_automations) or [`WatchClient::watch_automation_set`](crate::WatchClient::watch_automation_set).
/// Each option is a single watch's ([`Watch`]), applied to every
/// automation, but for the budget, which they share.
#[derive(Debug, Clone)]
#[must_use = "a team watch does nothing until `.stream()`"]
pub struct TeamWatch {
    pub(super) client: Client,
    /// `None`: every automation of the team, looked for again and again.
    pub(super) set: Option<Result<Vec<AutomationId>, InvalidArgument>>,
    pub(super) poll_interval: Duration,
    pub(super) max_staleness: Duration,
    pub(super) discovery_interval: Duration,
    pub(super) budget: Budget,
    pub(super) start: StartAt,
    pub(super) steps_for: Vec<RunStatus>,
    pub(super) store: Arc<dyn StateStore>,
    pub(super) lease_ttl: Duration,
    pub(super) holder: Option<String>,
    pub(super) commit_every: usize,
    pub(super) budget_key: String,
}

impl TeamWatch {
    pub(crate) fn new(
        client: &Client,
        set: Option<Result<Vec<AutomationId>, InvalidArgument>>,
    ) -> Self {
        Self {
            client: client.clone(),
            set,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_staleness: DEFAULT_MAX_STALENESS,
            discovery_interval: DEFAULT_DISCOVERY_INTERVAL,
            budget: DEFAULT_BUDGET,
            start: StartAt::default(),
            steps_for: Vec::new(),
            store: Arc::new(MemoryStore::new()),
            lease_ttl: DEFAULT_LEASE_TTL,
            holder: None,
            commit_every: DEFAULT_COMMIT_EVERY,
            budget_key: "team".to_owned(),
        }
    }

    /// The time between two polls of an automation where runs happen
    /// (runs in flight, or a poll that found one): default 5 s; at most
    /// [`MAX_WATCH_DURATION`](crate::MAX_WATCH_DURATION), as every
    /// duration of a team watch.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long a quiet automation (nothing in flight, nothing found) may
    /// go unchecked: its polls back off, doubling, up to this (default
    /// 60 s; at least the poll interval). Every check costs a request, so
    /// with N quiet automations and a budget of B requests a second, none
    /// is checked more often than the budget allows, about every N / B
    /// seconds when that is longer: then the lag in
    /// [`TeamStream::stats`](crate::TeamStream::stats) says so.
    pub fn max_staleness(mut self, staleness: Duration) -> Self {
        self.max_staleness = staleness;
        self
    }

    /// How often the team's automations are listed again, to find the
    /// ones added, deleted or disabled (default 60 s; at least 1 s). Not
    /// used by [`watch_automation_set`](crate::WatchClient::watch_automation_set).
    pub fn discovery_interval(mut self, interval: Duration) -> Self {
        self.discovery_interval = interval;
        self
    }

    /// What all the automations' polls (and the looks at the team's
    /// automations) spend together: default [`DEFAULT_BUDGET`], which
    /// gives way to the team's other calls (see [`Budget`]).
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
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

    /// Where an automation starts when no state is saved for it: the
    /// automations found at the first look start here (default
    /// [`StartAt::Now`]); one found later that was created after the first
    /// look (newer than every automation it listed, by the server's
    /// `created_at`: the local clock is never compared with the server's)
    /// starts at [`StartAt::Beginning`] (every run of it is new), and one
    /// created before (say, enabled again) here.
    pub fn start(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// The statuses whose `Finished` carries the run's steps (see
    /// [`Watch::steps_for`]).
    pub fn steps_for(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Self {
        self.steps_for = statuses.into_iter().collect();
        self
    }

    /// Where each automation's state and lease live, keyed by automation
    /// (a row each in [`PostgresStore`](crate::PostgresStore), a file
    /// each in a [`FileStore`](crate::FileStore)'s folder).
    pub fn store(mut self, store: impl StateStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Each automation's lease time-to-live (see [`Watch::lease_ttl`]).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// Who holds the automations' leases (see [`Watch::holder`]).
    pub fn holder(mut self, id: impl Into<String>) -> Self {
        self.holder = Some(id.into());
        self
    }

    /// Commits after this many events of an automation's long poll (see
    /// [`Watch::commit_every`]).
    pub fn commit_every(mut self, events: usize) -> Self {
        self.commit_every = events;
        self
    }

    /// One automation's watch with these settings.
    pub(super) fn watch(
        &self,
        id: &AutomationId,
        start: StartAt,
        holder: Option<&str>,
    ) -> Watch<AutomationRuns> {
        let watch = Watch::new(&self.client, Ok(id.clone()));
        let watch = match holder {
            Some(holder) => watch.holder(holder),
            None => watch,
        };
        watch
            .poll_interval(self.poll_interval)
            .start(start)
            .steps_for(self.steps_for.clone())
            .store_arc(Arc::clone(&self.store))
            .lease_ttl(self.lease_ttl)
            .commit_every(self.commit_every)
            .budget(self.budget)
    }

    /// The holder and the set (if given), or the argument that is wrong.
    pub(super) fn validate(&self) -> Result<(String, Option<Vec<AutomationId>>), Error> {
        let set = match &self.set {
            Some(Ok(set)) => Some(set.clone()),
            Some(Err(e)) => return Err(e.clone().into()),
            None => None,
        };
        let unusable = |parameter, value: Duration, why| -> Result<_, Error> {
            let reason = InvalidReason::Unusable { why };
            Err(InvalidArgument::new(parameter, &format!("{value:?}"), reason).into())
        };
        // Every duration within what the stores and clocks hold, first.
        let durations = [
            ("poll_interval", self.poll_interval),
            ("max_staleness", self.max_staleness),
            ("discovery_interval", self.discovery_interval),
            ("lease_ttl", self.lease_ttl),
        ];
        if let Some((parameter, value)) = durations.iter().find(|(_, d)| *d > MAX_WATCH_DURATION) {
            return unusable(parameter, *value, LONGER_THAN_MAX);
        }
        if self.max_staleness < self.poll_interval {
            let why = "a quiet automation backs off from the poll interval, never below it";
            return unusable("max_staleness", self.max_staleness, why);
        }
        if self.max_staleness > MAX_WATCH_DURATION {
            return unusable("max_staleness", self.max_staleness, LONGER_THAN_MAX);
        }
        if self.discovery_interval > MAX_WATCH_DURATION {
            return unusable(
                "discovery_interval",
                self.discovery_interval,
                LONGER_THAN_MAX,
            );
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
            return Err(InvalidArgument::new("budget_key", key, reason).into());
        }
        // Every other option is a single watch's: checked as one.
        let probe = AutomationId::parse_for("automation_id", PROBE_ID).map_err(Error::from)?;
        let watch = self.watch(&probe, self.start, self.holder.as_deref());
        let (_, holder) = watch.validate()?;
        Ok((holder, set))
    }
}

impl TeamWatch {
    /// What this team watch watches, as its replicas tell it the store
    /// when they join ([`MembershipStore::join`](crate::MembershipStore::join)): `team` for every automation
    /// of the team, else `set:` and a hash of the set's ids (in order,
    /// once each), so the replicas of one set share its automations and
    /// nobody else's.
    pub(crate) fn watching(&self) -> String {
        let Some(Ok(set)) = &self.set else {
            return "team".to_owned();
        };
        let ids: std::collections::BTreeSet<String> = set.iter().map(ToString::to_string).collect();
        // FNV-1a, 64 bits: the same in every process and version.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in ids.iter().flat_map(|id| id.bytes().chain([b','])) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("set:{}:{hash:016x}", ids.len())
    }
}

/// A well-formed id the options are checked with.
const PROBE_ID: &str = "00000000-0000-4000-8000-000000000000";
