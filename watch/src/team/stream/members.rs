//! This replica's membership of the team's replicas, renewed every third
//! of the lease's ttl by a task of its own, and its share of the
//! automations' leases: the automations over the live replicas.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::super::event::TeamError;
use super::{Inner, Membership};
use crate::error::{Error, WatchError};
use crate::store::Members;

/// How long a stopped replica tries to leave its group.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);

impl Drop for Inner {
    /// A replica that stops leaves its group (best effort, on a task,
    /// within 2 s), so its row does not stay behind and the others count
    /// it no more at once.
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = Arc::clone(&self.store);
        let group = self.config.budget_key.clone();
        let holder = self.holder.clone();
        runtime.spawn(async move {
            if let Some(members) = store.membership() {
                let _ = tokio::time::timeout(LEAVE_TIMEOUT, members.leave(&group, &holder)).await;
            }
        });
    }
}

impl Inner {
    /// The share of the automations watched now, over the live replicas
    /// (once counted).
    pub(super) fn reshare(&self) {
        if let Some(live) = self.live {
            self.fair_share.set(self.automations.len(), live);
        }
    }

    /// Renews this replica's membership every third of the lease's ttl,
    /// from a task of its own (whatever the consumer does, as the lease
    /// keeper renews leases), each answer sent on: how many replicas are
    /// live, if the store can tell. Ends when the store shares nothing,
    /// or when the stream (the receiver) is gone.
    pub(super) fn membership(&self) -> Membership {
        let store = Arc::clone(&self.store);
        let group = self.config.budget_key.clone();
        let holder = self.holder.clone();
        let watching = self.watching.clone();
        let ttl = self.config.watch.lease_ttl;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let live = match store.membership() {
                    Some(members) => members
                        .join(&group, &holder, &watching, ttl)
                        .await
                        .map(Some)
                        .map_err(|e| WatchError::store(e).into()),
                    None => Ok(None),
                };
                let shared = !matches!(live, Ok(None));
                if tx.send(live).is_err() || !shared {
                    return;
                }
                tokio::time::sleep(ttl / 3).await;
            }
        });
        Membership { answers: rx, task }
    }

    /// What the membership said: the share set; an error queued.
    pub(super) fn joined(&mut self, live: Result<Option<Members>, Error>) {
        match live {
            Ok(Some(members)) => {
                // The automations are shared by the replicas watching the
                // same ones; the budget by every member of its group.
                self.live = Some(members.watching_same);
                self.reshare();
                // The budget's share this replica keeps to when the store
                // cannot share turns.
                self.lane.set_sharers(members.live);
            }
            Ok(None) => {}
            Err(e) => self.queue.push_back(Err(TeamError::new(None, e))),
        }
    }
}
