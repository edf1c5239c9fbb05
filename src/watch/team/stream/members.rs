//! This replica's membership of the team's replicas, renewed every third
//! of the lease's ttl, and its share of the automations' leases: the
//! automations over the live replicas.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::super::event::TeamError;
use super::Inner;
use crate::error::{Error, WatchError};

impl Inner {
    /// The share of the automations watched now, over the live replicas
    /// (once counted).
    pub(super) fn reshare(&self) {
        if let Some(live) = self.live {
            self.quota.set(self.members.len(), live);
        }
    }

    /// Renews this replica's membership and counts the live replicas.
    pub(super) fn join(&self) -> BoxFuture<'static, Result<Option<usize>, Error>> {
        let store = Arc::clone(&self.settings.store);
        let group = self.settings.budget_key.clone();
        let holder = self.holder.clone();
        let ttl = self.settings.lease_ttl;
        async move {
            match store.join(&group, &holder, ttl) {
                Some(joined) => joined
                    .await
                    .map(Some)
                    .map_err(|e| WatchError::store(e).into()),
                None => Ok(None),
            }
        }
        .boxed()
    }

    /// What the membership said: the share set, the next renewal in a
    /// third of the ttl; `None` when the store is not shared.
    pub(super) fn joined(&mut self, live: Result<Option<usize>, Error>) -> Option<Duration> {
        let every = self.settings.lease_ttl / 3;
        match live {
            Ok(Some(live)) => {
                self.live = Some(live);
                self.reshare();
                // The budget's share this replica keeps to when the store
                // cannot share turns.
                self.lane.set_sharers(live);
                Some(every)
            }
            Ok(None) => None,
            Err(e) => {
                self.queue.push_back(Err(TeamError::new(None, e)));
                Some(every)
            }
        }
    }
}
