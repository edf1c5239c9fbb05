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
//!
//! Where the watch stands with its lease is one value (`tenancy.rs`: free,
//! held, ended): what it holds under the lease (keeper, yielded state,
//! the poll and its items) lives in the held state alone, so a lease lost
//! or given back drops all of it at once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::cadence::{Activity, Cadence};
use super::fair_share::FairShare;
use super::keeper::{Tenure, Validity};
use super::poll::{self, Poll, Queued};
use super::stats::Stats;
use super::stream::{Handle, Held, Item, Next, Run, WatchStream};
use super::unpolled::Wakeup;
use super::watched::Watched;
use crate::error::{Error, WatchError, WatchErrorKind};
use crate::instant::later;
use crate::trace::event;
use resend_workflows::Client;
use resend_workflows::{Lane, LaneTicket, Priority};

mod commit;
mod lease;
mod tenancy;

use tenancy::Tenancy;

/// Polls in a row whose listing answered 404 before the collection is
/// taken for gone.
const MISSING_POLLS: u32 = 2;

/// What a watch is set up with (its options checked by `WatchConfig`).
pub(super) struct Setup<C: Watched> {
    pub(super) client: Client,
    pub(super) parent: C::Parent,
    pub(super) interval: Duration,
    /// How far a quiet collection's polls may back off (`None`: never).
    pub(super) max_staleness: Option<Duration>,
    /// A team replica's share of the automations' leases (`None`: alone).
    pub(super) fair_share: Option<Arc<FairShare>>,
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
    fair_share: Option<Arc<FairShare>>,
    /// When the current poll started, the events it found so far, and
    /// whether it found an error (then it is no success).
    poll_started: Instant,
    poll_events: usize,
    poll_failed: bool,
    commit_every: usize,
    polls: poll::Settings,
    /// The watch's place in its lane; the priority of its turns: urgent
    /// while runs happen in
    /// the collection, quiet otherwise (ahead of it or not, in a team).
    lane: LaneTicket,
    stats: Arc<Stats>,
    /// Runs expected to leave `running` unseen by the top pages, a poll:
    /// the average of what polls saw.
    departures: f64,
    handle: Arc<Handle>,
    /// Whether the watch's work is left unpolled: for each keeper.
    unpolled: Arc<Wakeup>,
    /// The lease, and what the watch holds under it.
    tenancy: Tenancy<C::Item>,
    next_poll: Instant,
    /// Polls in a row whose listing answered 404.
    missing: u32,
}

impl<C: Watched> Driver<C> {
    /// A watch set up by `setup`, under `tenure`'s lease.
    pub(super) fn start(setup: Setup<C>, tenure: Tenure) -> WatchStream<C::Item> {
        let automation: Arc<str> = setup.parent.to_string().into();
        let handle = Arc::new(Handle {
            tenure,
            held: Held::new(Arc::clone(&automation)),
            stop: tokio::sync::Notify::new(),
        });
        let stats = Arc::new(Stats::new(Arc::clone(&setup.lane), automation));
        let wakeup = Wakeup::new();
        // Quiet until a poll finds something: a team's first looks at its
        // many automations queue behind the ones where runs happen.
        let lane = LaneTicket::new(setup.lane, Priority::Quiet);
        let driver = Self {
            client: setup.client.with_lane(lane.clone()),
            parent: setup.parent,
            interval: setup.interval,
            cadence: Cadence {
                base: setup.interval,
                max_staleness: setup.max_staleness,
            },
            quiet: 0,
            fair_share: setup.fair_share,
            poll_started: Instant::now(),
            poll_events: 0,
            poll_failed: false,
            commit_every: setup.commit_every,
            polls: setup.polls,
            lane,
            stats: Arc::clone(&stats),
            departures: 0.0,
            handle: Arc::clone(&handle),
            unpolled: Arc::clone(&wakeup),
            tenancy: Tenancy::Free,
            next_poll: Instant::now(),
            missing: 0,
        };
        WatchStream::new(Box::new(driver), handle, stats, wakeup)
    }

    fn tenure(&self) -> &Tenure {
        &self.handle.tenure
    }

    /// Ends the watch with `error` (what it held dropped, the lease given
    /// back when the stream goes).
    fn end(&mut self, error: WatchError) -> Option<Item<C::Item>> {
        if let Some(fair_share) = &self.fair_share {
            fair_share.left(&self.handle.tenure.key);
        }
        self.tenancy = Tenancy::Ended;
        Some(Err(error.into()))
    }

    async fn next(&mut self) -> Option<Item<C::Item>> {
        loop {
            // The consumer asked for more: everything yielded is handled.
            if let Some(item) = self.commit_if_due().await {
                return Some(item);
            }
            // What comes next, by where the watch stands.
            enum Step<R> {
                Deliver(Queued<R>),
                Advance,
                End,
                Poll,
            }
            let step = match &mut self.tenancy {
                Tenancy::Ended => return None,
                Tenancy::Free => Step::Poll,
                Tenancy::Held(holding) => match holding.queue.pop_front() {
                    Some(queued) => Step::Deliver(queued),
                    None if holding.poll.is_some() => Step::Advance,
                    None if holding.last => Step::End,
                    None => Step::Poll,
                },
            };
            match step {
                Step::Deliver(queued) => {
                    if let Some(item) = self.deliver(queued).await {
                        return Some(item);
                    }
                    continue;
                }
                Step::Advance => {
                    self.advance().await;
                    continue;
                }
                Step::End => {
                    self.tenancy = Tenancy::Ended;
                    return None;
                }
                Step::Poll => {}
            }
            let scheduled = self.next_poll;
            tokio::time::sleep_until(scheduled).await;
            let started = Instant::now();
            // Start to start: a poll that overruns is followed at once, and
            // how late it starts is the lag.
            self.next_poll = later(started, self.interval);
            self.poll_started = started;
            self.poll_events = 0;
            self.poll_failed = false;
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
            if let Err(item) = self.hold().await {
                return item;
            }
            let departures = self.departures.round();
            // A handful of runs: exact in an f64, and never negative.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let departures = departures as u64;
            let polls = self.polls.clone();
            if let Some(holding) = self.tenancy.holding() {
                let state = holding.yielded.clone();
                holding.poll = Some(Poll::new(state, polls, departures, started));
            }
        }
    }

    /// Sends the poll's next request and queues what it found; or, with
    /// none left, closes the poll.
    async fn advance(&mut self) {
        let Some(holding) = self.tenancy.holding() else {
            return;
        };
        let Some(poll) = holding.poll.as_mut() else {
            return;
        };
        if let Some(ask) = poll.ask(Instant::now()) {
            holding.keeper.renew_if_due().await;
            let answer = {
                let _busy = holding.keeper.busy();
                C::read(&self.client, &self.parent, ask).await
            };
            poll.answer(answer);
            self.take_items();
            if self.poll_events > 0 {
                // A poll that found runs reads the pages that follow at
                // the priority of a collection where runs happen.
                self.lane.set_priority(Priority::Urgent);
            }
            return;
        }
        self.take_items();
        let Some(holding) = self.tenancy.holding() else {
            return;
        };
        let Some(poll) = holding.poll.take() else {
            return;
        };
        if let Some(departed) = poll.departed() {
            // A handful a poll: exact in an f64.
            #[allow(clippy::cast_precision_loss)]
            let departed = departed as f64;
            self.departures = 0.7 * self.departures + 0.3 * departed;
        }
        let activity = Activity {
            events: self.poll_events,
            in_flight: poll.in_flight(),
        };
        let next = self.cadence.next(self.quiet, activity);
        self.quiet = next.quiet;
        self.lane.set_priority(next.priority);
        if self.quiet > 0 {
            // A busy collection's next poll was set at this one's start.
            self.next_poll = later(self.poll_started, next.interval);
        }
        self.stats.polled(SystemTime::now(), self.poll_failed);
        self.missing = if poll.missing() { self.missing + 1 } else { 0 };
        if self.missing >= MISSING_POLLS {
            let collection = self.handle.tenure.key.clone();
            let gone = WatchError::new(WatchErrorKind::CollectionNotFound { collection });
            holding.queue.push_back(Queued::Failed(gone.into()));
            holding.last = true;
        }
    }

    /// Queues what the poll found, counting its events for the cadence.
    fn take_items(&mut self) {
        let Some(holding) = self.tenancy.holding() else {
            return;
        };
        let Some(poll) = holding.poll.as_mut() else {
            return;
        };
        for queued in poll.drain() {
            match &queued {
                Queued::Event(_) => self.poll_events += 1,
                Queued::Failed(_) => self.poll_failed = true,
                Queued::Silent(_) => {}
            }
            holding.queue.push_back(queued);
        }
    }

    /// Yields `queued`, if it is not silent, once the lease is surely held;
    /// the state of what was yielded moves by its change.
    async fn deliver(&mut self, queued: Queued<C::Item>) -> Option<Item<C::Item>> {
        let interval = self.interval;
        let holding = self.tenancy.holding()?;
        if let Queued::Event(_) = &queued {
            if let Some(at) = holding.unsure_retry.take() {
                tokio::time::sleep_until(at).await;
            }
            match holding.keeper.valid().await {
                Ok(()) => {}
                Err(Validity::Lost(loss)) => return self.lost(loss),
                Err(Validity::Unsure(e)) => {
                    // Renewals fail: hold the event back, say why, and
                    // try again a poll interval later.
                    holding.queue.push_front(queued);
                    holding.unsure_retry = Some(later(Instant::now(), interval));
                    return Some(Err(WatchError::store(e).into()));
                }
            }
        }
        if let Some(change) = queued.change() {
            holding.yielded.apply(&change);
            self.stats.set_in_flight(holding.yielded.in_flight.len());
            holding.uncommitted += 1;
        }
        match queued {
            Queued::Event(event) => Some(Ok(event)),
            Queued::Failed(error) => Some(Err(error)),
            Queued::Silent(_) => None,
        }
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
