//! The watch's budget: how many requests a second it may spend of the
//! team's rate limit, which every call of the team shares, the emails it
//! sends included. Each attempt of the watch's requests waits for its turn
//! (evenly spaced, 2% wide of the budget), so the watch spends at most its
//! budget in any window; when a poll needs more, it takes longer, the
//! interval stretches, and the lag says so. Nothing is skipped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::client::Client;
use crate::instant::later;
use crate::trace::event;
use crate::transport::BeforeAttempt;
use crate::watch::store::StateStore;

/// How many requests a second a watch may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Budget {
    /// This share of the team's rate limit, as Resend's answers name it
    /// (`ratelimit-limit`); until one does, of 2 a second, the lowest
    /// limit Resend has documented.
    Share(f64),
    /// This many requests a second.
    PerSecond(f64),
}

/// The default budget: half the team's limit, the other half left for the
/// emails the service sends (and everything else it calls).
pub const DEFAULT_BUDGET: Budget = Budget::Share(0.5);

/// The team limit assumed until an answer names it: the lowest documented.
const ASSUMED_LIMIT: u64 = 2;

impl Budget {
    /// Checks the budget can be spent: a share in (0, 1], a rate between
    /// one an hour and a million a second.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        match *self {
            Self::Share(s) if s > 0.0 && s <= 1.0 => Ok(()),
            Self::Share(_) => Err("a share of the team's limit is above 0 and at most 1"),
            Self::PerSecond(r) if (1.0 / 3600.0..=1e6).contains(&r) => Ok(()),
            Self::PerSecond(_) => Err("a rate is between one an hour and a million a second"),
        }
    }

    /// Requests a second, for a team limit of `limit` (if known).
    pub(crate) fn rate(&self, limit: Option<u64>) -> f64 {
        match *self {
            Self::Share(share) => {
                // A team limit is a handful a second: exact in an f64.
                #[allow(clippy::cast_precision_loss)]
                let limit = limit.unwrap_or(ASSUMED_LIMIT).max(1) as f64;
                share * limit
            }
            Self::PerSecond(rate) => rate,
        }
    }
}

/// Who goes first when several wait for the budget: urgent before quiet,
/// first come, first served within each; but a quiet turn waited for
/// longer than the pacer's `age` takes every other turn from the urgent
/// ones that came after it. A team watch polls automations where runs happen ahead of
/// quiet ones, so the quiet ones absorb a budget too small for all, and
/// none of them starves.
pub(crate) const URGENT: u8 = 0;
/// See [`URGENT`].
pub(crate) const QUIET: u8 = 1;

/// The queue for the budget's turns.
#[derive(Debug, Default)]
struct Queue {
    /// The next turn's time (`None`: at once).
    next: Option<Instant>,
    /// Those waiting, by (priority, arrival), with when they came.
    waiting: BTreeMap<(u8, u64), Instant>,
    arrivals: u64,
    /// Whether the last turn went to an urgent one.
    last_urgent: bool,
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

/// Spaces the watch's attempts by its budget, and counts them.
#[derive(Debug)]
pub(crate) struct Pacer {
    budget: Budget,
    /// The client whose gate learns the team's limit.
    client: Client,
    queue: std::sync::Mutex<Queue>,
    /// Wakes the waiting when the queue's head or next turn changes.
    changed: Notify,
    spent: AtomicU64,
    /// Turns shared with other processes through a store, under a key.
    shared: Option<(Arc<dyn StateStore>, String)>,
    /// How long a quiet turn waits before it goes ahead of urgent ones.
    age: Duration,
}

impl Pacer {
    pub(crate) fn new(budget: Budget, client: Client) -> Self {
        Self {
            budget,
            client,
            queue: std::sync::Mutex::default(),
            changed: Notify::new(),
            spent: AtomicU64::new(0),
            shared: None,
            age: Duration::from_secs(60),
        }
    }

    /// A pacer whose turns are also taken in `store` under `key`, so that
    /// every process sharing it keeps to the budget together (a store that
    /// cannot share turns leaves each to its own).
    pub(crate) fn shared(
        budget: Budget,
        client: Client,
        store: Arc<dyn StateStore>,
        key: String,
    ) -> Self {
        Self {
            shared: Some((store, key)),
            ..Self::new(budget, client)
        }
    }

    /// The same, a quiet turn going ahead of urgent ones after `age`.
    pub(crate) fn aging(mut self, age: Duration) -> Self {
        self.age = age;
        self
    }

    /// The shared turn after the local one: waited for, at most a minute
    /// (a turn further off is a clock or budget gone wrong, not a reason
    /// to stop); if the store fails, the local turn is all there is.
    async fn shared_turn(&self, spacing: Duration) {
        let Some((store, key)) = &self.shared else {
            return;
        };
        let Some(turn) = store.take_turn(key, spacing) else {
            return;
        };
        match turn.await {
            Ok(wait) => tokio::time::sleep(wait.min(Duration::from_secs(60))).await,
            Err(_e) => {
                event!(
                    tracing::Level::WARN,
                    error = %_e,
                    "the shared budget's store failed: this turn is paced locally"
                );
            }
        }
    }

    /// Attempts sent so far.
    pub(crate) fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// The time between two attempts: 2% wider than the budget's rate.
    fn spacing(&self) -> Duration {
        let rate = self.budget.rate(self.client.team_limit());
        Duration::try_from_secs_f64(1.02 / rate).unwrap_or(Duration::from_secs(3600))
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a turn at `priority`: the next turn, once nobody ahead
    /// waits; then the one after is set.
    pub(crate) async fn take_turn(&self, priority: u8) {
        let me = {
            let mut q = self.queue();
            q.arrivals += 1;
            let me = (priority, q.arrivals);
            q.waiting.insert(me, Instant::now());
            me
        };
        self.changed.notify_waiters();
        // Leaves the queue however this ends (a dropped call included).
        let _place = Place { pacer: self, me };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let turn = {
                let q = self.queue();
                let now = Instant::now();
                // The head now; when the turn comes, it is asked again
                // (a quiet one may have aged meanwhile).
                (q.head(now, self.age) == Some(me)).then(|| q.next.map_or(now, |n| n.max(now)))
            };
            let Some(at) = turn else {
                changed.await;
                continue;
            };
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                // Someone ahead arrived: look again.
                () = &mut changed => continue,
            }
            let spacing = self.spacing();
            let won = {
                let mut q = self.queue();
                let first = q.head(Instant::now(), self.age) == Some(me);
                if first {
                    q.next = Some(later(at, spacing));
                    q.last_urgent = me.0 == URGENT;
                }
                first
            };
            if !won {
                // Another's turn now (one aged while this one slept).
                self.changed.notify_waiters();
            }
            if won {
                self.shared_turn(spacing).await;
                self.spent.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// A place in the pacer's queue, left when dropped.
struct Place<'a> {
    pacer: &'a Pacer,
    me: (u8, u64),
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.pacer.queue().waiting.remove(&self.me);
        self.pacer.changed.notify_waiters();
    }
}

impl BeforeAttempt for Pacer {
    fn before_attempt(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.take_turn(URGENT))
    }
}

/// A pacer's turns at a priority its holder changes (a team watch's
/// automation: urgent while runs happen in it, quiet otherwise).
#[derive(Debug)]
pub(crate) struct Prioritized {
    pub(crate) pacer: Arc<Pacer>,
    pub(crate) priority: Arc<AtomicU8>,
}

impl BeforeAttempt for Prioritized {
    fn before_attempt(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pacer.take_turn(self.priority.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests;
