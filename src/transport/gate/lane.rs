//! Lanes: named parts of the team's rate limit (a watch's, say), each
//! spending its [`Budget`]. A lane's turn is taken inside the gate's wait
//! ([`RateGate::wait_turn`](super::RateGate::wait_turn)), so it is
//! bounded by the call's deadline like every other wait, and named in the
//! error when it is what held a call back.
//!
//! Who goes first when several wait: urgent before quiet, first come,
//! first served within each; but a quiet turn waited for longer than the
//! lane's `age` takes every other turn from the urgent ones that came
//! after it, so none starves. A lane may also take its turns in a store
//! that several processes share ([`SharedTurns`]), so they keep to one
//! budget together; when that store fails, a process spends at most its
//! last known share of the budget, never the whole of it.

// Time from servers and stores: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::budget::{Budget, TeamLimit};
use crate::instant::later;
use crate::metrics;

mod priority;
pub use priority::Priority;
pub(crate) use priority::{QUIET, URGENT};

/// Turns several processes take together, `spacing` apart, through a
/// store they share (a watch's PostgreSQL store), so they keep to one
/// budget together: a [`Lane`] takes its shared turn after its own
/// ([`Lane::shared`]).
pub trait SharedTurns: Send + Sync + fmt::Debug {
    /// Takes the next shared turn: how long from now until it comes;
    /// `None` when the store shares no turns. An error (the store's,
    /// shown in a warning) makes the lane keep to its last known share.
    fn take_turn(&self, spacing: Duration) -> Option<BoxFuture<'_, Result<Duration, String>>>;
}

/// A call's place in a lane: the lane, the priority of its turns, which
/// its holder may change between calls (a team watch's automation: urgent
/// while runs happen in it), and whether a call waits now (for its turn,
/// a window, a retry: not on the wire), for whoever must work while it
/// does (a watch's lease keeper). A client's calls take their turns in
/// it through [`Client::with_lane`](crate::Client::with_lane).
#[derive(Debug, Clone)]
pub struct LaneTicket {
    pub(crate) lane: Arc<Lane>,
    pub(crate) priority: Arc<AtomicU8>,
    waiting: Arc<tokio::sync::watch::Sender<bool>>,
}

impl LaneTicket {
    /// A ticket at `priority`, which the holder may change.
    pub fn new(lane: Arc<Lane>, priority: Priority) -> Self {
        Self {
            lane,
            priority: Arc::new(AtomicU8::new(priority.rank())),
            waiting: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// The priority of this ticket's next turns (and its clones').
    pub fn set_priority(&self, priority: Priority) {
        self.priority.store(priority.rank(), Ordering::Relaxed);
    }

    /// The lane.
    pub fn lane(&self) -> &Arc<Lane> {
        &self.lane
    }

    /// Whether a call of this ticket waits (turn, window, retry), as it
    /// changes.
    pub fn waiting(&self) -> LaneWaiting {
        LaneWaiting(self.waiting.subscribe())
    }

    /// Marks a call of this ticket waiting (not on the wire), until
    /// dropped.
    pub(crate) fn wait(&self) -> Waiting<'_> {
        self.waiting.send_replace(true);
        Waiting(self)
    }
}

/// A call of a ticket waits for its turn while this lives.
#[derive(Debug)]
pub(crate) struct Waiting<'a>(&'a LaneTicket);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.send_replace(false);
    }
}

/// Whether a call of a ticket waits for its turn: see
/// [`LaneTicket::waiting`].
#[derive(Debug)]
pub struct LaneWaiting(tokio::sync::watch::Receiver<bool>);

impl LaneWaiting {
    /// Whether a call waits now.
    pub fn waiting(&self) -> bool {
        *self.0.borrow()
    }

    /// Until that changes (never, once the ticket is gone).
    pub async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The queue for a lane's turns.
#[derive(Debug, Default)]
struct Queue {
    /// No turn before this (a shared store's failure moved it).
    not_before: Option<Instant>,
    /// Those waiting, by (priority, arrival), with when they came.
    waiting: BTreeMap<(u8, u64), Instant>,
    arrivals: u64,
    /// Whether the last turn went to an urgent one.
    last_urgent: bool,
    /// When the last turn was taken.
    last: Option<Instant>,
}

impl Queue {
    /// Whose turn is next at `now`: the first urgent, unless the first
    /// quiet came before it, has waited `age`, and the last turn went to
    /// an urgent one: when both wait, they take turns about, so neither
    /// the busy nor the quiet ones get less than half the budget.
    fn head(&self, now: Instant, age: Duration) -> Option<(u8, u64)> {
        let urgent = self.waiting.range(..(QUIET, 0)).next().map(|(k, _)| *k);
        let quiet = self.waiting.range((QUIET, 0)..).next();
        match (urgent, quiet) {
            (Some(u), Some((q, came)))
                if self.last_urgent && q.1 < u.1 && now.saturating_duration_since(*came) >= age =>
            {
                Some(*q)
            }
            (Some(u), _) => Some(u),
            (None, q) => q.map(|(k, _)| *k),
        }
    }
}

/// A named part of the team's rate limit, spending its [`Budget`]: the
/// calls of a [`LaneTicket`] take their turns in it, inside the client's
/// wait for the rate limit, so a lane's wait is bounded by a call's
/// deadline like every other, and named in
/// [`Throttled`](crate::Throttled) when it held a call back. A
/// background job (a watch) that must not starve the team's other calls
/// (its sends) spends from one. Its attempts and its rate are metrics
/// ([`LANE_REQUESTS`](crate::metrics::LANE_REQUESTS),
/// [`LANE_BUDGET`](crate::metrics::LANE_BUDGET), by its name).
#[derive(Debug)]
pub struct Lane {
    /// Shared, as the metrics' `lane` label is.
    name: Arc<str>,
    budget: Budget,
    queue: std::sync::Mutex<Queue>,
    /// Wakes the waiting when the queue's head or next turn changes.
    changed: Notify,
    /// Requests sent in this lane.
    spent: AtomicU64,
    /// Turns shared with other processes, if any.
    shared: Option<Arc<dyn SharedTurns>>,
    /// The processes sharing the budget, as last counted (1: alone).
    sharers: AtomicU64,
    /// How long a quiet turn waits before it goes ahead of urgent ones.
    age: Duration,
}

impl Lane {
    /// A lane named `name` (for errors, logs and metrics) spending
    /// `budget` (checked by [`Budget::check`]: an unusable one spends
    /// little, not nothing).
    pub fn new(name: impl Into<String>, budget: Budget) -> Self {
        Self {
            name: name.into().into(),
            budget,
            queue: std::sync::Mutex::default(),
            changed: Notify::new(),
            spent: AtomicU64::new(0),
            shared: None,
            sharers: AtomicU64::new(1),
            age: Duration::from_secs(60),
        }
    }

    /// The same, its turns also taken through `shared`.
    #[must_use]
    pub fn shared(mut self, shared: Arc<dyn SharedTurns>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// The same, a quiet turn going ahead of urgent ones after `age`
    /// (a minute unless set).
    #[must_use]
    pub fn aging(mut self, age: Duration) -> Self {
        self.age = age;
        self
    }

    /// The lane's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Requests sent in this lane so far.
    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// A request of this lane was sent.
    pub(crate) fn sent(&self) {
        self.spent.fetch_add(1, Ordering::Relaxed);
        metrics::count!(metrics::LANE_REQUESTS, 1, "lane" => Arc::clone(&self.name));
    }

    /// `n` processes share this lane's budget now (counted by the store
    /// they share): when the store fails, this one spends a `1 / n` share.
    pub fn set_sharers(&self, n: usize) {
        let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        self.sharers.store(n, Ordering::Relaxed);
    }

    /// The time between two turns for `team`: 2% wider than the rate.
    pub fn spacing(&self, team: &TeamLimit) -> Duration {
        let rate = self.budget.rate(team);
        metrics::gauge!(metrics::LANE_BUDGET, rate, "lane" => Arc::clone(&self.name));
        Duration::try_from_secs_f64(1.02 / rate).unwrap_or(Duration::from_secs(3600))
    }

    /// When the next turn comes (not before `now`): the spacing for what
    /// `team` says now after the last turn, and not before a store's
    /// failure allows. The spacing is the one known when the turn comes,
    /// not the one at the last turn: an answer that tells a burst holds
    /// back a turn the quiet before had set, and one that tells the burst
    /// is over brings forward one that a probe's ten seconds had set.
    fn due(&self, q: &Queue, team: &TeamLimit, now: Instant) -> Instant {
        self.after_last(q, team).map_or(now, |at| at.max(now))
    }

    /// The spacing for `team` after the last turn, and a store's bound.
    fn after_last(&self, q: &Queue, team: &TeamLimit) -> Option<Instant> {
        let by_rate = q.last.map(|last| later(last, self.spacing(team)));
        by_rate.max(q.not_before)
    }

    /// When the next turn could come at the earliest for `team`, if any
    /// turn was taken.
    pub fn next_turn(&self, team: &TeamLimit) -> Option<Instant> {
        self.after_last(&self.queue(), team)
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a turn at `priority`, the team as `team` tells it when
    /// asked: the lane's wait alone, without a client's rate gate (a
    /// simulation of a schedule on tokio's paused clock, say), for a team
    /// that changes only as time passes. A call of a [`LaneTicket`] waits
    /// for it within its deadline, and looks again at every answer.
    pub async fn wait_turn(&self, priority: Priority, team: impl Fn() -> TeamLimit) {
        self.turn_heeding(priority.rank(), team, &Notify::new())
            .await;
    }

    /// [`wait_turn`](Self::wait_turn) by rank, for the tests.
    #[cfg(test)]
    pub(crate) async fn turn(&self, priority: u8, team: impl Fn() -> TeamLimit) {
        self.turn_heeding(priority, team, &Notify::new()).await;
    }

    /// Waits for a turn at `priority`: the next turn, once nobody ahead
    /// waits, at the spacing for what `team` says when it comes; looks
    /// again whenever `team_changed` is notified (an answer told the gate
    /// more of the team). Not bounded here: the gate races it with the
    /// deadline, and a dropped wait leaves the queue.
    pub(crate) async fn turn_heeding(
        &self,
        priority: u8,
        team: impl Fn() -> TeamLimit,
        team_changed: &Notify,
    ) {
        let me = {
            let mut q = self.queue();
            q.arrivals = q.arrivals.saturating_add(1);
            let me = (priority, q.arrivals);
            q.waiting.insert(me, Instant::now());
            me
        };
        self.changed.notify_waiters();
        // Leaves the queue however this ends (a dropped call included).
        let _place = Place { lane: self, me };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let learned = team_changed.notified();
            tokio::pin!(learned);
            learned.as_mut().enable();
            let turn = {
                let q = self.queue();
                let now = Instant::now();
                // The head now; when the turn comes, it is asked again
                // (a quiet one may have aged, a shared turn moved `next`).
                (q.head(now, self.age) == Some(me)).then(|| self.due(&q, &team(), now))
            };
            let Some(at) = turn else {
                changed.await;
                continue;
            };
            // Biased: a turn that is due and told of a change at once
            // goes the same way each time (the check below asks again).
            tokio::select! {
                biased;
                () = tokio::time::sleep_until(at) => {}
                // Someone ahead arrived: look again.
                () = &mut changed => continue,
                // The spacing may have moved: look again.
                () = &mut learned => continue,
            }
            let won = {
                let mut q = self.queue();
                let now = Instant::now();
                let first = q.head(now, self.age) == Some(me) && self.due(&q, &team(), now) <= now;
                if first {
                    q.last = Some(now);
                    q.last_urgent = me.0 == URGENT;
                }
                first
            };
            if !won {
                // Another's turn now (one aged while this one slept), or
                // the next turn moved.
                self.changed.notify_waiters();
                continue;
            }
            self.shared_turn(self.spacing(&team())).await;
            return;
        }
    }

    /// The shared turn after the local one: waited for, at most a minute
    /// (a turn further off is a clock or budget gone wrong, not a reason
    /// to stop). If the store fails, this process keeps to its last known
    /// share: its next local turn moves to `sharers` spacings from now.
    async fn shared_turn(&self, spacing: Duration) {
        let Some(shared) = &self.shared else {
            return;
        };
        let Some(turn) = shared.take_turn(spacing) else {
            return;
        };
        match turn.await {
            Ok(wait) => tokio::time::sleep(wait.min(Duration::from_secs(60))).await,
            Err(_e) => {
                let sharers =
                    u32::try_from(self.sharers.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
                let share = spacing.saturating_mul(sharers);
                {
                    let mut q = self.queue();
                    let next = later(Instant::now(), share);
                    q.not_before = Some(q.not_before.map_or(next, |n| n.max(next)));
                }
                self.changed.notify_waiters();
                crate::trace::event!(
                    tracing::Level::WARN,
                    lane = %self.name,
                    error = %_e,
                    sharers,
                    "the shared budget's store failed: this lane keeps to its last known share"
                );
            }
        }
    }
}

/// A place in a lane's queue, left when dropped.
struct Place<'a> {
    lane: &'a Lane,
    me: (u8, u64),
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.lane.queue().waiting.remove(&self.me);
        self.lane.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests;
