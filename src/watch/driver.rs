//! The watch's loop, one item at a time: take the lease (and keep it, by
//! the keeper's heartbeat), poll on time (start to start), yield each
//! item of a poll only while the lease is surely held, and commit the
//! state of what was yielded when the consumer asks for more: after every
//! `commit_every` events of a long poll, and after a poll's last.
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

use super::event::StartAt;
use super::keeper::{Keeper, Loss, Tenure, Validity};
use super::poll::{Queued, poll};
use super::state::WatchState;
use super::store::{Lease, Renewal};
use super::stream::{Handle, Item, Next, Run, WatchStream};
use super::watched::Watched;
use crate::client::Client;
use crate::error::{Error, WatchError, WatchErrorKind};
use crate::instant::later;

/// Polls in a row whose listing answered 404 before the collection is
/// taken for gone.
const MISSING_POLLS: u32 = 2;

/// What a watch is set up with (checked by the builder).
pub(super) struct Setup<C: Watched> {
    pub(super) client: Client,
    pub(super) parent: C::Parent,
    pub(super) start: StartAt,
    pub(super) interval: Duration,
    pub(super) commit_every: usize,
}

/// The watch's loop and what it holds between items.
pub(super) struct Driver<C: Watched> {
    client: Client,
    parent: C::Parent,
    start: StartAt,
    interval: Duration,
    commit_every: usize,
    handle: Arc<Handle>,
    /// Renews the lease while it is held, with the client that renews it
    /// before each attempt of the watch's requests.
    keeper: Option<(Keeper, Client)>,
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
            held: false.into(),
        });
        let driver = Self {
            client: setup.client,
            parent: setup.parent,
            start: setup.start,
            interval: setup.interval,
            commit_every: setup.commit_every,
            handle: Arc::clone(&handle),
            keeper: None,
            yielded: None,
            uncommitted: 0,
            commit_retry: None,
            unsure_retry: None,
            queue: VecDeque::new(),
            next_poll: Instant::now(),
            missing: 0,
            done: false,
        };
        WatchStream::new(Box::new(driver), handle)
    }

    fn tenure(&self) -> &Tenure {
        &self.handle.tenure
    }

    /// Ends the watch with `error`.
    fn end(&mut self, error: WatchError) -> Option<Item<C::Item>> {
        self.done = true;
        self.queue.clear();
        Some(Err(error.into()))
    }

    /// The lease is gone: another watcher took it (the end), or nobody
    /// holds it (released under us: take it again, from the last commit).
    fn lost(&mut self, loss: Loss) -> Option<Item<C::Item>> {
        self.keeper = None;
        self.handle.held.store(false, Ordering::Release);
        match loss {
            Loss::TakenBy { holder, since } => {
                self.end(WatchError::new(WatchErrorKind::LeaseLost { holder, since }))
            }
            Loss::Free => {
                self.queue.clear();
                self.yielded = None;
                self.uncommitted = 0;
                self.next_poll = Instant::now();
                None
            }
        }
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
            if self.done {
                return None;
            }
            tokio::time::sleep_until(self.next_poll).await;
            // Start to start: a poll that overruns is followed at once.
            self.next_poll = later(Instant::now(), self.interval);
            let mut state = match self.hold().await {
                Ok(Some(state)) => state,
                Ok(None) => continue,
                Err(item) => return item,
            };
            let Some((keeper, client)) = &self.keeper else {
                continue;
            };
            keeper.renew_if_due().await;
            let polled = poll::<C>(client, &self.parent, self.start, &mut state).await;
            self.queue = polled.items.into();
            self.missing = if polled.missing { self.missing + 1 } else { 0 };
            if self.missing >= MISSING_POLLS {
                let collection = self.tenure().key.clone();
                let gone = WatchError::new(WatchErrorKind::CollectionNotFound { collection });
                self.queue.push_back(Queued::Failed(gone.into()));
                self.done = true;
            }
        }
    }

    /// The state to poll from, with the lease held: taken first if need
    /// be. `Ok(None)`: another watcher holds it; wait.
    async fn hold(&mut self) -> Result<Option<WatchState>, Option<Item<C::Item>>> {
        if let (Some(_), Some(state)) = (&self.keeper, &self.yielded) {
            return Ok(Some(state.clone()));
        }
        let tenure = self.tenure().clone();
        let sent = Instant::now();
        let saved = match tenure
            .store
            .acquire(&tenure.key, &tenure.holder, tenure.ttl)
            .await
        {
            Ok(Lease::Held(saved)) => saved,
            Ok(Lease::Taken { expires_in, .. }) => {
                // Waiting: ask again when it expires, or at the next poll.
                self.next_poll = later(Instant::now(), expires_in.min(self.interval));
                return Ok(None);
            }
            Err(e) => return Err(Some(Err(WatchError::store(e).into()))),
        };
        self.handle.held.store(true, Ordering::Release);
        let keeper = Keeper::start(tenure.clone(), sent);
        let client = self.client.with_before(keeper.before_attempt());
        self.keeper = Some((keeper, client));
        let state = saved.unwrap_or_else(|| WatchState::new(&tenure.key));
        if let Err(e) = state.check(&tenure.key) {
            return Err(self.end(e));
        }
        self.yielded = Some(state.clone());
        self.uncommitted = 0;
        Ok(Some(state))
    }

    /// Yields `queued`, if it is not silent, once the lease is surely held;
    /// the state of what was yielded moves by its change.
    async fn deliver(&mut self, queued: Queued<C::Item>) -> Option<Item<C::Item>> {
        if let Queued::Event(_) = &queued
            && let Some((keeper, _)) = &self.keeper
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
        let due = self.uncommitted > 0
            && (self.queue.is_empty() || self.uncommitted >= self.commit_every)
            && self.commit_retry.is_none_or(|at| Instant::now() >= at);
        if !due {
            return None;
        }
        let (Some(state), Some(_)) = (&self.yielded, &self.keeper) else {
            return None;
        };
        let tenure = self.tenure().clone();
        let sent = Instant::now();
        let committed = tenure
            .store
            .commit(&tenure.key, &tenure.holder, tenure.ttl, state)
            .await;
        match committed {
            Ok(renewal) => {
                if let Some((keeper, _)) = &self.keeper {
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
        if let (Some(state), Some(_)) = (&self.yielded, &self.keeper)
            && self.uncommitted > 0
        {
            match tenure
                .store
                .commit(&tenure.key, &tenure.holder, tenure.ttl, state)
                .await
            {
                Ok(Renewal::Held | Renewal::Free) => {}
                Ok(Renewal::TakenBy { holder, since }) => {
                    self.handle.held.store(false, Ordering::Release);
                    return Err(WatchError::new(WatchErrorKind::LeaseLost { holder, since }).into());
                }
                Err(e) => result = Err(WatchError::store(e).into()),
            }
        }
        self.keeper = None;
        if self.handle.held.swap(false, Ordering::AcqRel) {
            tenure
                .store
                .release(&tenure.key, &tenure.holder)
                .await
                .map_err(WatchError::store)?;
        }
        result
    }
}

impl<C: Watched> Run<C::Item> for Driver<C> {
    fn next(mut self: Box<Self>) -> Next<C::Item> {
        Box::pin(async move {
            // Working: the lease is renewed inline; waiting on the
            // consumer again: by the keeper's task.
            if let Some((keeper, _)) = &self.keeper {
                keeper.disarm();
            }
            let item = Driver::next(&mut self).await;
            if let Some((keeper, _)) = &self.keeper {
                keeper.arm();
            }
            (self as Box<dyn Run<C::Item>>, item)
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin((*self).close())
    }
}
