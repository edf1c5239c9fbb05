//! The driver's lease: taken before a poll (from the state it saved), and
//! what happens when it is gone.

use tokio::time::Instant;

use super::Driver;
use super::tenancy::{Holding, Tenancy};
use crate::error::{WatchError, WatchErrorKind};
use crate::instant::later;
use crate::keeper::{Keeper, Loss, Tenure};
use crate::state::WatchState;
use crate::store::Lease;
use crate::stream::Item;
use crate::trace::event;
use crate::watched::Watched;

impl<C: Watched> Driver<C> {
    /// The lease is gone: another watcher took it (the end of a single
    /// watch; a team's automation waits to take it back), or nobody holds
    /// it (released under us: take it again, from the last commit).
    pub(super) fn lost(&mut self, loss: Loss) -> Option<Item<C::Item>> {
        if let Some(fair_share) = &self.fair_share {
            fair_share.left(&self.handle.tenure.key);
        }
        self.handle.held.set(None);
        let again = match loss {
            // A single watch ends: its service learns another took over.
            Loss::TakenBy { holder, since } if self.fair_share.is_none() => {
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
        // What was held under the lease goes with it; the next poll takes
        // it again, from the last commit.
        self.tenancy = Tenancy::Free;
        self.next_poll = again;
        None
    }

    /// Makes sure the lease is held before a poll: taken, with the state
    /// last committed, if need be. `Ok` when held, or when another watcher
    /// holds it (the tenancy stays free: wait).
    pub(super) async fn hold(&mut self) -> Result<(), Option<Item<C::Item>>> {
        if let Tenancy::Held(_) = self.tenancy {
            return Ok(());
        }
        let tenure = self.tenure().clone();
        if let Some(fair_share) = &self.fair_share
            && !fair_share.may_take(&tenure.key)
        {
            // This replica holds its share: leave this one to the others.
            self.next_poll = later(Instant::now(), self.interval);
            return Ok(());
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
                return Ok(());
            }
            Err(e) => return Err(Some(Err(WatchError::store(e).into()))),
        };
        self.handle.held.set(Some(token));
        if let Some(fair_share) = &self.fair_share {
            fair_share.took(&tenure.key);
        }
        let kept = Tenure {
            token,
            ..tenure.clone()
        };
        let keeper = Keeper::start(kept, sent, self.lane.waiting(), self.unpolled.unpolled());
        let state = saved.unwrap_or_else(|| WatchState::new(&tenure.key));
        if let Err(e) = state.check(&tenure.key) {
            return Err(self.end(e));
        }
        self.stats.set_in_flight(state.in_flight.len());
        self.tenancy = Tenancy::Held(Box::new(Holding::new(keeper, state)));
        Ok(())
    }
}

impl<C: Watched> Driver<C> {
    /// Gives the lease back if this replica holds more than its share and
    /// this automation is past it (everything yielded is committed by
    /// now: the consumer asked for more). `true` when given back.
    pub(super) async fn past_share(&mut self) -> bool {
        let key = self.tenure().key.clone();
        let over = matches!(&self.tenancy, Tenancy::Held(h) if h.uncommitted == 0)
            && self.fair_share.as_ref().is_some_and(|q| q.over(&key));
        if !over {
            return false;
        }
        // What was held under it goes first: no renewal races the release.
        self.tenancy = Tenancy::Free;
        let tenure = self.tenure().clone();
        if let Some(token) = self.handle.held.take() {
            let _ = tenure
                .store
                .release(&tenure.key, &tenure.holder, token)
                .await;
        }
        if let Some(fair_share) = &self.fair_share {
            fair_share.left(&key);
        }
        self.next_poll = later(Instant::now(), self.interval);
        true
    }
}
