//! What was yielded, committed: when the consumer asks for more after a
//! chunk or a poll's last item, and at a clean shutdown (then the lease is
//! given back).

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::Driver;
use super::tenancy::Tenancy;
use crate::error::{Error, WatchError, WatchErrorKind};
use crate::instant::later;
use crate::keeper::{Loss, Tenure};
use crate::state::WatchState;
use crate::store::{Renewal, StoreError};
use crate::stream::Item;
use crate::watched::Watched;

impl<C: Watched> Driver<C> {
    /// Commits what was yielded when a chunk is done or the poll is; an
    /// item when that ended the watch or failed.
    pub(super) async fn commit_if_due(&mut self) -> Option<Item<C::Item>> {
        let (commit_every, interval) = (self.commit_every, self.interval);
        let token = self.handle.held.token();
        let tenure = self.tenure().clone();
        let holding = self.tenancy.holding()?;
        let due = holding.uncommitted > 0
            && (holding.polled() || holding.uncommitted >= commit_every)
            && holding.commit_retry.is_none_or(|at| Instant::now() >= at);
        let token = token.filter(|_| due)?;
        let sent = Instant::now();
        let committed = save(&tenure, token, &holding.yielded).await;
        match committed {
            Ok(renewal) => {
                holding.keeper.renewed(&renewal, sent);
                match renewal {
                    Renewal::Held => {
                        holding.uncommitted = 0;
                        holding.commit_retry = None;
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
                holding.commit_retry = Some(later(Instant::now(), interval));
                Some(Err(WatchError::store(e).into()))
            }
        }
    }

    /// Commits what was yielded and gives the lease back.
    pub(super) async fn close(mut self) -> Result<(), Error> {
        let tenure = self.tenure().clone();
        let mut result = Ok(());
        let tenancy = std::mem::replace(&mut self.tenancy, Tenancy::Ended);
        if let (Tenancy::Held(holding), Some(token)) = (tenancy, self.handle.held.token())
            && holding.uncommitted > 0
        {
            match save(&tenure, token, &holding.yielded).await {
                Ok(Renewal::Held | Renewal::Free) => {}
                Ok(Renewal::TakenBy { holder, since }) => {
                    self.handle.held.set(None);
                    return Err(WatchError::new(WatchErrorKind::LeaseLost { holder, since }).into());
                }
                Err(e) => result = Err(WatchError::store(e).into()),
            }
        }
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

/// Saves `state` under the lease's take `token`, renewing it.
fn save<'a>(
    tenure: &'a Tenure,
    token: u64,
    state: &'a WatchState,
) -> BoxFuture<'a, Result<Renewal, StoreError>> {
    tenure
        .store
        .commit(&tenure.key, &tenure.holder, token, tenure.ttl, state)
}
