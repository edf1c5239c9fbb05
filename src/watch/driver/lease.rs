//! The driver's lease: taken before a poll (from the state it saved), and
//! what happens when it is gone.

use tokio::time::Instant;

use super::Driver;
use crate::error::{WatchError, WatchErrorKind};
use crate::instant::later;
use crate::trace::event;
use crate::watch::keeper::{Keeper, Loss, Tenure};
use crate::watch::state::WatchState;
use crate::watch::store::Lease;
use crate::watch::stream::Item;
use crate::watch::watched::Watched;

impl<C: Watched> Driver<C> {
    /// The lease is gone: another watcher took it (the end of a single
    /// watch; a team's automation waits to take it back), or nobody holds
    /// it (released under us: take it again, from the last commit).
    pub(super) fn lost(&mut self, loss: Loss) -> Option<Item<C::Item>> {
        if let Some(quota) = &self.quota {
            quota.left(&self.handle.tenure.key);
        }
        self.keeper = None;
        self.handle.held.set(None);
        let again = match loss {
            // A single watch ends: its service learns another took over.
            Loss::TakenBy { holder, since } if self.quota.is_none() => {
                return self.end(WatchError::new(WatchErrorKind::LeaseLost { holder, since }));
            }
            // A team's automation is not lost for good: it waits for the
            // lease, and takes it back once free (the other replica gone).
            Loss::TakenBy { holder, .. } => {
                let _ = &holder; // named in the event, with `tracing`
                event!(
                    tracing::Level::WARN,
                    collection = %self.handle.tenure.key,
                    holder = %holder,
                    "another replica took the lease: waiting to take it back"
                );
                later(Instant::now(), self.interval)
            }
            Loss::Free => Instant::now(),
        };
        // From the last commit, once the lease is held again.
        self.queue.clear();
        self.poll = None;
        self.yielded = None;
        self.uncommitted = 0;
        self.next_poll = again;
        None
    }

    /// The state to poll from, with the lease held: taken first if need
    /// be. `Ok(None)`: another watcher holds it; wait.
    pub(super) async fn hold(&mut self) -> Result<Option<WatchState>, Option<Item<C::Item>>> {
        if let (Some(_), Some(state)) = (&self.keeper, &self.yielded) {
            return Ok(Some(state.clone()));
        }
        let tenure = self.tenure().clone();
        if let Some(quota) = &self.quota
            && !quota.may_take(&tenure.key)
        {
            // This replica holds its share: leave this one to the others.
            self.next_poll = later(Instant::now(), self.interval);
            return Ok(None);
        }
        let sent = Instant::now();
        let (saved, token) = match tenure
            .store
            .acquire(&tenure.key, &tenure.holder, tenure.ttl)
            .await
        {
            Ok(Lease::Held { state, token }) => (state, token),
            Ok(Lease::Taken { expires_in, .. }) => {
                // Waiting: ask again when it expires, or at the next poll.
                self.next_poll = later(Instant::now(), expires_in.min(self.interval));
                return Ok(None);
            }
            Err(e) => return Err(Some(Err(WatchError::store(e).into()))),
        };
        self.handle.held.set(Some(token));
        if let Some(quota) = &self.quota {
            quota.took(&tenure.key);
        }
        let kept = Tenure {
            token,
            ..tenure.clone()
        };
        self.keeper = Some(Keeper::start(
            kept,
            sent,
            self.lane.waiting(),
            self.unpolled.unpolled(),
        ));
        let state = saved.unwrap_or_else(|| WatchState::new(&tenure.key));
        if let Err(e) = state.check(&tenure.key) {
            return Err(self.end(e));
        }
        self.stats.set_in_flight(state.in_flight.len());
        self.yielded = Some(state.clone());
        self.uncommitted = 0;
        Ok(Some(state))
    }
}

impl<C: Watched> Driver<C> {
    /// Gives the lease back if this replica holds more than its share and
    /// this automation is past it (everything yielded is committed by
    /// now: the consumer asked for more). `true` when given back.
    pub(super) async fn past_share(&mut self) -> bool {
        let key = self.tenure().key.clone();
        let over = self.keeper.is_some()
            && self.uncommitted == 0
            && self.quota.as_ref().is_some_and(|q| q.over(&key));
        if !over {
            return false;
        }
        let tenure = self.tenure().clone();
        if let Some(token) = self.handle.held.take() {
            let _ = tenure
                .store
                .release(&tenure.key, &tenure.holder, token)
                .await;
        }
        if let Some(quota) = &self.quota {
            quota.left(&key);
        }
        self.keeper = None;
        self.yielded = None;
        self.poll = None;
        self.queue.clear();
        self.next_poll = later(Instant::now(), self.interval);
        true
    }
}
