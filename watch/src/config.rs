//! `WatchConfig`: the options of a watch over a collection of runs, one
//! value for a single watch and every automation of a team watch, checked
//! once before anything is sent.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use super::event::StartAt;
use super::poll;
use super::store::{MemoryStore, StateStore};
use resend_workflows::RunStatus;
use resend_workflows::{Budget, DEFAULT_BUDGET};
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

/// The options of a watch over a collection of runs, given to
/// [`WatchClient::watch_automation_runs`](crate::WatchClient::watch_automation_runs)
/// or [`WatchClient::watch_workflow_runs`](crate::WatchClient::watch_workflow_runs),
/// and, through [`TeamConfig::watch`](crate::TeamConfig::watch), to every
/// automation of a team watch. [`check`](Self::check) says at startup
/// whether they are usable; a watch given options that are not refuses
/// them as its stream's first item, before anything is sent.
///
/// ```
/// use std::time::Duration;
/// use resend_workflows_watch::{StartAt, WatchConfig};
/// let config = WatchConfig::default()
///     .poll_interval(Duration::from_secs(2))
///     .start(StartAt::Running)
///     .holder("billing-0");
/// assert!(config.check().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct WatchConfig {
    pub(crate) poll_interval: Duration,
    pub(crate) lease_ttl: Duration,
    pub(crate) start: StartAt,
    pub(crate) store: Arc<dyn StateStore>,
    holder: Option<String>,
    pub(crate) commit_every: usize,
    pub(crate) budget: Budget,
    pub(crate) steps_for: Vec<RunStatus>,
    pub(crate) max_pages: u32,
    pub(crate) backfill_pages: u32,
    pub(crate) forced: Option<poll::Forced>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
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
}

impl WatchConfig {
    /// The time from the start of one poll to the start of the next,
    /// default 5 s; a poll that takes longer is followed at once, and the
    /// lag is reported ([`WatchStream::stats`](crate::WatchStream::stats)).
    /// A poll costs a request to learn whether anything changed, and about
    /// one more per hundred runs started or finished (see the README's "A
    /// poll is cheap"). Above zero, at most [`MAX_WATCH_DURATION`]. In a
    /// team watch, it is the interval of the automations where runs happen
    /// (the quiet ones back off to
    /// [`TeamConfig::max_staleness`](crate::TeamConfig::max_staleness)).
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
    /// interval stretches and the lag says so, and nothing is lost. A team
    /// watch's automations (and its looks at them) spend it together.
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
    /// In a team watch, the automations found at the first look start
    /// here; one found later that was created after the first look (newer
    /// than every automation it listed, by the server's `created_at`: the
    /// local clock is never compared with the server's) starts at
    /// [`StartAt::Beginning`] (every run of it is new), and one created
    /// before (say, enabled again) here.
    pub fn start(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Where the state (and the lease) is kept, default a fresh
    /// [`MemoryStore`]. A store shared by several processes (PostgreSQL)
    /// makes them poll once between them, and lose nothing when one dies.
    /// A team watch keeps each automation's state and lease apart, keyed
    /// by automation (a row each in [`PostgresStore`](crate::PostgresStore),
    /// a file each in a [`FileStore`](crate::FileStore)'s folder).
    pub fn store(mut self, store: impl StateStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// How long a watcher's lease lasts without a renewal, default 60 s.
    /// The holder renews it every third of it while it works (polling, or
    /// waiting on a slow consumer); a waiting watcher takes over within
    /// this time after the holder dies. Longer than the poll interval, at
    /// most [`MAX_WATCH_DURATION`]. A team watch holds a lease per
    /// automation, each with this time-to-live.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// This watcher's id in the store's lease, default a random one. A
    /// process that restarts with the same id takes its lease back at once
    /// instead of waiting for it to lapse: give each replica an id of its
    /// own that survives its restarts (a pod name, a host name), and never
    /// the same id to two live processes, which would both poll. 1 to 200
    /// printable ASCII characters. A team watch holds every automation's
    /// lease under this one id (the random default drawn once per watch).
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

    /// Whether every option is usable, as a watch given them checks before
    /// it sends anything: a way to refuse a bad configuration at startup.
    ///
    /// # Errors
    /// The first option that is not usable, named by
    /// [`InvalidArgument::parameter`] (`poll_interval`, `lease_ttl`,
    /// `commit_every`, `max_pages_per_poll`, `backfill_pages`, `budget`,
    /// `steps_for` or `holder`).
    pub fn check(&self) -> Result<(), InvalidArgument> {
        self.checked_holder().map(drop)
    }

    /// The options checked, and the holder they give: the one set, else a
    /// random one, drawn here once (a team's automations all take it).
    pub(crate) fn checked_holder(&self) -> Result<String, InvalidArgument> {
        let shown = |d: Duration| format!("{d:?}");
        let unusable = |parameter, value: String, why| {
            Err(InvalidArgument::new(
                parameter,
                &value,
                InvalidReason::Unusable { why },
            ))
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
        let Some(id) = &self.holder else {
            return Ok(random_holder());
        };
        let refused = |reason| Err(InvalidArgument::new("holder", id, reason));
        if id.is_empty() {
            return refused(InvalidReason::Empty);
        }
        if id.len() > MAX_HOLDER_LEN {
            let (len, max) = (id.len(), MAX_HOLDER_LEN);
            return refused(InvalidReason::TooLong { len, max });
        }
        if let Some((at, ch)) = id.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
            return refused(InvalidReason::ForbiddenChar { ch, at });
        }
        Ok(id.clone())
    }
}

/// An id for a watcher, unique enough among replicas: the process and a
/// random number.
fn random_holder() -> String {
    let random =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{}-{random:016x}", std::process::id())
}
