//! The watch's loop, one item at a time: take the lease (and keep it, by
//! the keeper's heartbeat), poll on time (start to start, the lag noted
//! when a poll starts late), run the poll a page at a time (`poll/`),
//! yield each item only while the lease is surely held, and commit the
//! state of what was yielded when the consumer asks for more: after every
//! `commit_every` events of a long poll, and after a poll's last. Every
//! attempt of the watch's requests takes its turn in the watch's lane of
//! the client's rate gate: urgent while the poll finds runs, quiet
//! otherwise.
//!
//! Delivery is at least once: a commit covers only events yielded before
//! the consumer asked for the next, so a crash repeats at most the events
//! since the last commit, and never loses one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::cadence::{Activity, Cadence};
use super::keeper::{Keeper, Loss, Tenure, Validity};
use super::poll::{self, Poll, Queued};
use super::quota::Quota;
use super::state::WatchState;
use super::store::Renewal;
use super::stream::{Handle, Held, Item, Next, Run, Stats, WatchStream};
use super::unpolled::Wakeup;
use super::watched::Watched;
use crate::client::Client;
use crate::error::{Error, WatchError, WatchErrorKind};
use crate::instant::later;
use crate::trace::event;
use crate::transport::gate::{Lane, LaneTicket, QUIET, URGENT};

mod lease;

/// Polls in a row whose listing answered 404 before the collection is
/// taken for gone.
const MISSING_POLLS: u32 = 2;

/// What a watch is set up with (checked by the builder).
pub(super) struct Setup<C: Watched> {
    pub(super) client: Client,
    pub(super) parent: C::Parent,
    pub(super) interval: Duration,
    /// How far a quiet collection's polls may back off (`None`: never).
    pub(super) max_staleness: Option<Duration>,
    /// A team replica's share of the automations' leases (`None`: alone).
    pub(super) quota: Option<Arc<Quota>>,
    pub(super) commit_every: usize,
    pub(super) polls: poll::Settings,
    pub(super) lane: Arc<Lane>,
}

/// The watch's loop and what it holds between items.
pub(super) struct Driver<C: Watched> {
    client: Client,
    parent: C::Parent,
    interval: Duration,
    cadence: Cadence,
    /// Quiet polls in a row (nothing found, nothing in flight).
    quiet: u32,
    quota: Option<Arc<Quota>>,
    /// When the current poll started, and the events it found so far.
    poll_started: Instant,
    poll_events: usize,
    commit_every: usize,
    polls: poll::Settings,
    /// The watch's place in its lane; the priority of its turns: urgent
    /// while runs happen in
    /// the collection, quiet otherwise (ahead of it or not, in a team).
    lane: LaneTicket,
    stats: Arc<Stats>,
    /// The poll under way, a page at a time.
    poll: Option<Poll<C::Item>>,
    /// Runs expected to leave `running` unseen by the top pages, a poll:
    /// the average of what polls saw.
    departures: f64,
    handle: Arc<Handle>,
    /// Renews the lease while it is held, from its own task.
    keeper: Option<Keeper>,
    /// Whether the watch's work is left unpolled: for each keeper.
    unpolled: Arc<Wakeup>,
    /// The state after the last item yielded: what a commit saves.
    yielded: Option<WatchState>,
    /// Items yielded since the last commit.
    uncommitted: usize,
    /// No commit is tried again before this, after one failed.
    commit_retry: Option<Instant>,
    /// No event is yielded before this, after a renewal failed and the
    /// lease could not be vouched for: one error a poll interval, never a
    /// stream of them while the store is down.
    unsure_retry: Option<Instant>,
    /// The current poll's items not yet yielded.
    queue: VecDeque<Queued<C::Item>>,
    next_poll: Instant,
    /// Polls in a row whose listing answered 404.
    missing: u32,
    done: bool,
}

impl<C: Watched> Driver<C> {
    /// A watch set up by `setup`, under `tenure`'s lease.
    pub(super) fn start(setup: Setup<C>, tenure: Tenure) -> WatchStream<C::Item> {
        let handle = Arc::new(Handle {
            tenure,
            held: Held::default(),
            stop: tokio::sync::Notify::new(),
        });
        let stats = Arc::new(Stats::new(Arc::clone(&setup.lane)));
        let wakeup = Wakeup::new();
        // Quiet until a poll finds something: a team's first looks at its
        // many automations queue behind the ones where runs happen.
        let lane = LaneTicket::new(setup.lane, QUIET);
        let driver = Self {
            client: setup.client.with_lane(lane.clone()),
            parent: setup.parent,
            interval: setup.interval,
            cadence: Cadence {
                base: setup.interval,
                max_staleness: setup.max_staleness,
            },
            quiet: 0,
            quota: setup.quota,
            poll_started: Instant::now(),
            poll_events: 0,
            commit_every: setup.commit_every,
            polls: setup.polls,
            lane,
            stats: Arc::clone(&stats),
            poll: None,
            departures: 0.0,
            handle: Arc::clone(&handle),
            keeper: None,
            unpolled: Arc::clone(&wakeup),
            yielded: None,
            uncommitted: 0,
            commit_retry: None,
            unsure_retry: None,
            queue: VecDeque::new(),
            next_poll: Instant::now(),
            missing: 0,
            done: false,
        };
        WatchStream::new(Box::new(driver), handle, stats, wakeup)
    }

    fn tenure(&self) -> &Tenure {
        &self.handle.tenure
    }

    /// Ends the watch with `error`.
    fn end(&mut self, error: WatchError) -> Option<Item<C::Item>> {
        if let Some(quota) = &self.quota {
            quota.left(&self.handle.tenure.key);
        }
        self.done = true;
        self.queue.clear();
        self.poll = None;
        Some(Err(error.into()))
    }

    async fn next(&mut self) -> Option<Item<C::Item>> {
        loop {
            // The consumer asked for more: everything yielded is handled.
            if let Some(item) = self.commit_if_due().await {
                return Some(item);
            }
            if let Some(queued) = self.queue.pop_front() {
                if let Some(item) = self.deliver(queued).await {
                    return Some(item);
                }
                continue;
            }
            if self.poll.is_some() {
                self.advance().await;
                continue;
            }
            if self.done {
                return None;
            }
            let scheduled = self.next_poll;
            tokio::time::sleep_until(scheduled).await;
            let started = Instant::now();
            // Start to start: a poll that overruns is followed at once, and
            // how late it starts is the lag.
            self.next_poll = later(started, self.interval);
            self.poll_started = started;
            self.poll_events = 0;
            let lag = started.saturating_duration_since(scheduled);
            self.stats.set_lag(lag);
            if lag > self.interval {
                event!(
                    tracing::Level::WARN,
                    lag_ms = crate::trace::millis(lag),
                    "the watch is behind its poll interval"
                );
            }
            if self.past_share().await {
                continue;
            }
            let state = match self.hold().await {
                Ok(Some(state)) => state,
                Ok(None) => continue,
                Err(item) => return item,
            };
            let departures = self.departures.round();
            // A handful of runs: exact in an f64, and never negative.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let departures = departures as u64;
            self.poll = Some(Poll::new(state, self.polls.clone(), departures, started));
        }
    }

    /// Sends the poll's next request and queues what it found; or, with
    /// none left, closes the poll.
    async fn advance(&mut self) {
        let (Some(poll), Some(keeper)) = (self.poll.as_mut(), &self.keeper) else {
            self.poll = None;
            return;
        };
        if let Some(ask) = poll.ask(Instant::now()) {
            keeper.renew_if_due().await;
            let answer = {
                let _busy = keeper.busy();
                C::read(&self.client, &self.parent, ask).await
            };
            poll.answer(answer);
            self.take_items();
            if self.poll_events > 0 {
                // A poll that found runs reads the pages that follow at
                // the priority of a collection where runs happen.
                self.lane.priority.store(URGENT, Ordering::Relaxed);
            }
            return;
        }
        self.take_items();
        let Some(poll) = self.poll.as_mut() else {
            return;
        };
        if let Some(departed) = poll.departed() {
            // A handful a poll: exact in an f64.
            #[allow(clippy::cast_precision_loss)]
            let departed = departed as f64;
            self.departures = 0.7 * self.departures + 0.3 * departed;
        }
        let missing = poll.missing();
        let activity = Activity {
            events: self.poll_events,
            in_flight: poll.outstanding(),
        };
        self.poll = None;
        self.quiet = self.cadence.quiet_after(self.quiet, activity);
        let priority = if self.quiet > 0 { QUIET } else { URGENT };
        self.lane.priority.store(priority, Ordering::Relaxed);
        if self.quiet > 0 {
            self.next_poll = later(self.poll_started, self.cadence.interval(self.quiet));
        }
        self.stats.polled();
        self.missing = if missing { self.missing + 1 } else { 0 };
        if self.missing >= MISSING_POLLS {
            let collection = self.tenure().key.clone();
            let gone = WatchError::new(WatchErrorKind::CollectionNotFound { collection });
            self.queue.push_back(Queued::Failed(gone.into()));
            self.done = true;
        }
    }

    /// Queues what the poll found, counting its events for the cadence.
    fn take_items(&mut self) {
        let Some(poll) = self.poll.as_mut() else {
            return;
        };
        for queued in poll.drain() {
            if let Queued::Event(_) = &queued {
                self.poll_events += 1;
            }
            self.queue.push_back(queued);
        }
    }

    /// Yields `queued`, if it is not silent, once the lease is surely held;
    /// the state of what was yielded moves by its change.
    async fn deliver(&mut self, queued: Queued<C::Item>) -> Option<Item<C::Item>> {
        if let Queued::Event(_) = &queued
            && let Some(keeper) = &self.keeper
        {
            if let Some(at) = self.unsure_retry.take() {
                tokio::time::sleep_until(at).await;
            }
            match keeper.valid().await {
                Ok(()) => {}
                Err(Validity::Lost(loss)) => return self.lost(loss),
                Err(Validity::Unsure(e)) => {
                    // Renewals fail: hold the event back, say why, and
                    // try again a poll interval later.
                    self.queue.push_front(queued);
                    self.unsure_retry = Some(later(Instant::now(), self.interval));
                    return Some(Err(WatchError::store(e).into()));
                }
            }
        }
        if let (Some(change), Some(state)) = (queued.change(), self.yielded.as_mut()) {
            state.apply(&change);
            self.stats.set_in_flight(state.in_flight.len());
            self.uncommitted += 1;
        }
        match queued {
            Queued::Event(event) => Some(Ok(event)),
            Queued::Failed(error) => Some(Err(error)),
            Queued::Silent(_) => None,
        }
    }

    /// Commits what was yielded when a chunk is done or the poll is; an
    /// item when that ended the watch or failed.
    async fn commit_if_due(&mut self) -> Option<Item<C::Item>> {
        let polled = self.queue.is_empty() && self.poll.is_none();
        let due = self.uncommitted > 0
            && (polled || self.uncommitted >= self.commit_every)
            && self.commit_retry.is_none_or(|at| Instant::now() >= at);
        if !due {
            return None;
        }
        let (Some(state), Some(_), Some(token)) =
            (&self.yielded, &self.keeper, self.handle.held.token())
        else {
            return None;
        };
        let tenure = self.tenure().clone();
        let sent = Instant::now();
        let committed = tenure
            .store
            .commit(&tenure.key, &tenure.holder, token, tenure.ttl, state)
            .await;
        match committed {
            Ok(renewal) => {
                if let Some(keeper) = &self.keeper {
                    keeper.renewed(&renewal, sent);
                }
                match renewal {
                    Renewal::Held => {
                        self.uncommitted = 0;
                        self.commit_retry = None;
                        None
                    }
                    Renewal::TakenBy { holder, since } => {
                        self.lost(Loss::TakenBy { holder, since })
                    }
                    Renewal::Free => self.lost(Loss::Free),
                }
            }
            // Not committed: the next poll goes on from what was yielded,
            // and a commit is tried again after a while.
            Err(e) => {
                self.commit_retry = Some(later(Instant::now(), self.interval));
                Some(Err(WatchError::store(e).into()))
            }
        }
    }

    /// Commits what was yielded and gives the lease back.
    async fn close(mut self) -> Result<(), Error> {
        let tenure = self.tenure().clone();
        let mut result = Ok(());
        if let (Some(state), Some(_), Some(token)) =
            (&self.yielded, &self.keeper, self.handle.held.token())
            && self.uncommitted > 0
        {
            match tenure
                .store
                .commit(&tenure.key, &tenure.holder, token, tenure.ttl, state)
                .await
            {
                Ok(Renewal::Held | Renewal::Free) => {}
                Ok(Renewal::TakenBy { holder, since }) => {
                    self.handle.held.set(None);
                    return Err(WatchError::new(WatchErrorKind::LeaseLost { holder, since }).into());
                }
                Err(e) => result = Err(WatchError::store(e).into()),
            }
        }
        self.keeper = None;
        if let Some(token) = self.handle.held.take() {
            tenure
                .store
                .release(&tenure.key, &tenure.holder, token)
                .await
                .map_err(WatchError::store)?;
        }
        result
    }
}

impl<C: Watched> Run<C::Item> for Driver<C> {
    fn next(mut self: Box<Self>) -> Next<C::Item> {
        Box::pin(async move {
            let handle = Arc::clone(&self.handle);
            let item = {
                // A shutdown stops the driver at any await: no item is
                // half-yielded there (an item's change is applied and it
                // is returned with no await between).
                let stop = std::pin::pin!(handle.stop.notified());
                let next = std::pin::pin!(Driver::next(&mut self));
                match futures::future::select(stop, next).await {
                    futures::future::Either::Left(((), _)) => None,
                    futures::future::Either::Right((item, _)) => item,
                }
            };
            (self as Box<dyn Run<C::Item>>, item)
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin((*self).close())
    }
}
