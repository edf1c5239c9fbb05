//! `Watch`: the options of a watch over a collection of runs, checked when
//! its stream is made.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use super::driver::{Driver, Setup};
use super::event::StartAt;
use super::fair_share::FairShare;
use super::keeper::Tenure;
use super::poll;
use super::store::deadline::{bound, deadline};
use super::store::{MemoryStore, StateStore};
use super::stream::WatchStream;
use super::watched::Watched;
use crate::error::Error;
use resend_workflows::Client;
use resend_workflows::RunStatus;
use resend_workflows::{Budget, DEFAULT_BUDGET, Lane};
use resend_workflows::{InvalidArgument, InvalidReason};

/// The default time between the starts of two polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The default time-to-live of a watcher's lease. The holder renews it
/// every third of it while it works, so it lapses only when the holder
/// dies; a waiting watcher takes over within it.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);
/// The longest duration a watch's options take (its poll interval, lease
/// time-to-live, and a team watch's staleness and discovery interval): a
/// year. Longer ones are refused before anything runs (an
/// [`InvalidArgument`](resend_workflows::InvalidArgument)), so that no clock or
/// store ever has to hold a time past what it can.
pub const MAX_WATCH_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// Why a duration over [`MAX_WATCH_DURATION`] is refused.
pub(crate) const LONGER_THAN_MAX: &str =
    "a watch's durations are at most a year (MAX_WATCH_DURATION)";
/// The default number of events between two commits of a long poll.
pub const DEFAULT_COMMIT_EVERY: usize = 500;
/// The default bound on the pages one poll reads.
pub const DEFAULT_MAX_PAGES_PER_POLL: u32 = 500;

/// The default number of pages of a backfill ([`StartAt::Beginning`]) one
/// poll reads.
pub const DEFAULT_BACKFILL_PAGES: u32 = 10;

/// The longest holder id accepted.
const MAX_HOLDER_LEN: usize = 200;

/// A watch over a collection of runs, to configure: made by
/// [`WatchClient::watch_automation_runs`](crate::WatchClient::watch_automation_runs) or [`WatchClient::watch_workflow_runs`](crate::WatchClient::watch_workflow_runs);
/// nothing is sent until its [`stream`](Self::stream) is polled.
#[must_use = "a watch does nothing until its stream is polled"]
pub struct Watch<C: Watched> {
    client: Client,
    parent: Result<C::Parent, InvalidArgument>,
    poll_interval: Duration,
    lease_ttl: Duration,
    start: StartAt,
    store: Arc<dyn StateStore>,
    holder: Option<String>,
    commit_every: usize,
    budget: Budget,
    steps_for: Vec<RunStatus>,
    max_pages: u32,
    backfill_pages: u32,
    forced: Option<poll::Forced>,
}

impl<C: Watched> std::fmt::Debug for Watch<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("parent", &self.parent)
            .field("poll_interval", &self.poll_interval)
            .field("lease_ttl", &self.lease_ttl)
            .field("start", &self.start)
            .field("store", &self.store)
            .field("holder", &self.holder)
            .field("commit_every", &self.commit_every)
            .field("budget", &self.budget)
            .field("steps_for", &self.steps_for)
            .field("max_pages", &self.max_pages)
            .field("backfill_pages", &self.backfill_pages)
            .finish_non_exhaustive()
    }
}

impl<C: Watched> Watch<C> {
    pub(crate) fn new(client: &Client, parent: Result<C::Parent, InvalidArgument>) -> Self {
        Self {
            client: client.clone(),
            parent,
            poll_interval: DEFAULT_POLL_INTERVAL,
            lease_ttl: DEFAULT_LEASE_TTL,
            start: StartAt::Now,
            store: Arc::new(MemoryStore::new()),
            holder: None,
            commit_every: DEFAULT_COMMIT_EVERY,
            budget: DEFAULT_BUDGET,
            steps_for: Vec::new(),
            max_pages: DEFAULT_MAX_PAGES_PER_POLL,
            backfill_pages: DEFAULT_BACKFILL_PAGES,
            forced: None,
        }
    }

    /// The time from the start of one poll to the start of the next,
    /// default 5 s; a poll that takes longer is followed at once, and the
    /// lag is reported ([`WatchStream::stats`]). A poll costs a request to
    /// learn whether anything changed, and about one more per hundred runs
    /// started or finished (see the README's "A poll is cheap"). Above
    /// zero, at most [`MAX_WATCH_DURATION`].
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How many requests a second the watch may spend of the team's rate
    /// limit (shared with every call of the team, the emails it sends
    /// included), default [`DEFAULT_BUDGET`]: what the team's other calls
    /// leave, less a reserve (see [`Budget`]). Each request waits for its
    /// turn, inside the client's rate gate and within the call's deadline,
    /// so the watch never spends more; when a poll needs more, the
    /// interval stretches and the lag says so, and nothing is lost.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// The final statuses whose [`RunEvent::Finished`](crate::RunEvent::Finished)
    /// carries the run's steps (automations only), for a service that
    /// reacts to failures: `.steps_for([RunStatus::Failed])` puts the
    /// failing step's `key` and `error` in the event. Each costs a
    /// retrieve, within the budget. Off by default.
    pub fn steps_for(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Self {
        self.steps_for = statuses.into_iter().collect();
        self
    }

    /// The most pages one poll reads (default 500: 50,000 runs), and so
    /// the most requests a server that says `has_more` without end can
    /// take of it; past it the poll stops with
    /// [`WatchErrorKind::PollTooLong`](crate::WatchErrorKind::PollTooLong),
    /// keeping what it read, and the next goes on. A poll is bounded in
    /// time too: sixty intervals, or ten minutes, whichever is longer.
    pub fn max_pages_per_poll(mut self, pages: u32) -> Self {
        self.max_pages = pages;
        self
    }

    /// How many pages of a backfill ([`StartAt::Beginning`]: every run that
    /// existed, newest first) one poll reads, default 10 (1,000 runs): the
    /// backlog goes a few pages a poll, so new runs and outcomes are still
    /// told every interval, and within the budget. More, and it is caught
    /// up sooner. At most [`max_pages_per_poll`](Self::max_pages_per_poll).
    pub fn backfill_pages(mut self, pages: u32) -> Self {
        self.backfill_pages = pages;
        self
    }

    /// Forces a plan on every poll (the crate's differential tests). Not
    /// public API.
    #[cfg(feature = "internals")]
    #[doc(hidden)]
    pub fn force(mut self, forced: poll::Forced) -> Self {
        self.forced = Some(forced);
        self
    }

    /// Where a watch with no saved state starts, default [`StartAt::Now`].
    pub fn start(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Where the state (and the lease) is kept, default a fresh
    /// [`MemoryStore`]. A store shared by several processes (PostgreSQL)
    /// makes them poll once between them, and lose nothing when one dies.
    pub fn store(mut self, store: impl StateStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// The store, shared.
    pub(super) fn store_arc(mut self, store: Arc<dyn StateStore>) -> Self {
        self.store = store;
        self
    }

    /// How long a watcher's lease lasts without a renewal, default 60 s.
    /// The holder renews it every third of it while it works (polling, or
    /// waiting on a slow consumer); a waiting watcher takes over within
    /// this time after the holder dies. Longer than the poll interval, at
    /// most [`MAX_WATCH_DURATION`].
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// This watcher's id in the store's lease, default a random one. A
    /// process that restarts with the same id takes its lease back at once
    /// instead of waiting for it to lapse: give each replica an id of its
    /// own that survives its restarts (a pod name, a host name), and never
    /// the same id to two live processes, which would both poll. 1 to 200
    /// printable ASCII characters.
    pub fn holder(mut self, id: impl Into<String>) -> Self {
        self.holder = Some(id.into());
        self
    }

    /// Commits the state every `events` events of a long poll (default
    /// 500), when the consumer asks for the next one: a crash repeats at
    /// most that many, and a backlog of any size makes progress.
    pub fn commit_every(mut self, events: usize) -> Self {
        self.commit_every = events;
        self
    }

    pub(super) fn validate(&self) -> Result<(C::Parent, String), Error> {
        let parent = self.parent.clone()?;
        let shown = |d: Duration| format!("{d:?}");
        let unusable = |parameter, value: String, why| {
            Err(InvalidArgument::new(parameter, &value, InvalidReason::Unusable { why }).into())
        };
        if self.poll_interval.is_zero() {
            let why = "a watch must wait between polls";
            return unusable("poll_interval", shown(self.poll_interval), why);
        }
        if self.poll_interval > MAX_WATCH_DURATION {
            return unusable("poll_interval", shown(self.poll_interval), LONGER_THAN_MAX);
        }
        if self.lease_ttl > MAX_WATCH_DURATION {
            return unusable("lease_ttl", shown(self.lease_ttl), LONGER_THAN_MAX);
        }
        if self.lease_ttl <= self.poll_interval {
            let why = "the lease must outlast the time between polls";
            return unusable("lease_ttl", shown(self.lease_ttl), why);
        }
        if self.commit_every == 0 {
            let why = "a commit needs at least one event";
            return unusable("commit_every", "0".to_owned(), why);
        }
        if self.max_pages == 0 {
            let why = "a poll reads at least one page";
            return unusable("max_pages_per_poll", "0".to_owned(), why);
        }
        if self.backfill_pages == 0 || self.backfill_pages > self.max_pages {
            let why = "a backfill reads at least a page a poll, and no more than a poll may";
            return unusable("backfill_pages", self.backfill_pages.to_string(), why);
        }
        if let Err(why) = self.budget.check() {
            return unusable("budget", format!("{:?}", self.budget), why);
        }
        if let Some(status) = self.steps_for.iter().find(|s| !s.is_terminal()) {
            let why = "only a final status finishes a run";
            return unusable("steps_for", status.to_string(), why);
        }
        let holder = match &self.holder {
            Some(id) => {
                if id.is_empty() {
                    return Err(InvalidArgument::new("holder", id, InvalidReason::Empty).into());
                }
                if id.len() > MAX_HOLDER_LEN {
                    let reason = InvalidReason::TooLong {
                        len: id.len(),
                        max: MAX_HOLDER_LEN,
                    };
                    return Err(InvalidArgument::new("holder", id, reason).into());
                }
                if let Some((at, ch)) = id.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
                    let reason = InvalidReason::ForbiddenChar { ch, at };
                    return Err(InvalidArgument::new("holder", id, reason).into());
                }
                id.clone()
            }
            None => random_holder(),
        };
        Ok((parent, holder))
    }

    /// The events, as a stream that never ends on its own: a failed poll
    /// is an item, and the watch goes on from its state. It ends only
    /// after an error for which [`Error::ends_watch`] is true: an invalid
    /// argument (the first item), a saved state for another collection or
    /// of a newer version, a lease another watcher took, or a collection
    /// that is not there.
    pub fn stream(self) -> WatchStream<C::Item> {
        self.stream_with(None, None, None)
    }

    /// The stream, spending from `lane` (shared by a team watch; else a
    /// lane of its own, on its budget) and backing off to `max_staleness`
    /// when quiet.
    pub(super) fn stream_with(
        self,
        lane: Option<Arc<Lane>>,
        max_staleness: Option<Duration>,
        fair_share: Option<Arc<FairShare>>,
    ) -> WatchStream<C::Item> {
        match self.validate() {
            Ok((parent, holder)) => {
                let deadline = deadline(self.poll_interval, self.lease_ttl);
                let tenure = Tenure {
                    store: bound(self.store, deadline),
                    key: C::state_key(&parent),
                    holder,
                    token: 0,
                    ttl: self.lease_ttl,
                };
                let max_time =
                    (self.poll_interval.saturating_mul(60)).max(Duration::from_secs(600));
                let polls = poll::Settings {
                    start: self.start,
                    filters: C::FILTERS,
                    forced: self.forced,
                    steps_for: self.steps_for,
                    backfill_pages: self.backfill_pages,
                    max_pages: self.max_pages,
                    max_time,
                };
                let lane = lane.unwrap_or_else(|| {
                    Arc::new(Lane::new(format!("watch {}", tenure.key), self.budget))
                });
                let setup = Setup::<C> {
                    client: self.client,
                    parent,
                    interval: self.poll_interval,
                    max_staleness,
                    fair_share,
                    commit_every: self.commit_every,
                    polls,
                    lane,
                };
                Driver::start(setup, tenure)
            }
            Err(error) => WatchStream::failed(error),
        }
    }
}

/// An id for a watcher, unique enough among replicas: the process and a
/// random number.
fn random_holder() -> String {
    let random =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{}-{random:016x}", std::process::id())
}
