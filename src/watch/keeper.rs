//! The lease keeper: renews a watcher's lease every third of its
//! time-to-live while the watcher holds it, whatever the watch is doing.
//!
//! - While the watch works (polling, committing, yielding), it renews
//!   inline when a renewal is due: before each request of a poll, and
//!   before each event it yields.
//! - While it waits, on its consumer (between two calls to `next`, however
//!   long the consumer takes) or for its lane's turn of the team's budget
//!   (inside the client's rate gate, however long the turn takes), a
//!   background task renews instead: it is armed only then, so no timer
//!   of its runs beside the watch's own requests.
//!
//! The watch yields nothing it may no longer own: before each event it
//! asks [`Keeper::valid`], which holds only while the lease is surely
//! unexpired, by a margin, on the time its last renewal was *sent*.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::store::{Renewal, StateStore, StoreError};
use crate::instant::later;
use crate::transport::gate::LaneWaiting;

/// Where a lease is held, and by whom.
#[derive(Debug, Clone)]
pub(crate) struct Tenure {
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) key: String,
    pub(crate) holder: String,
    /// The token of the lease's take (`0` until it is taken).
    pub(crate) token: u64,
    pub(crate) ttl: Duration,
}

impl Tenure {
    /// How long a lease renewed at `sent` is surely held by the store's
    /// clock: its time-to-live less a tenth, for clocks that run apart.
    pub(crate) fn held_until(&self, sent: Instant) -> Instant {
        later(sent, self.ttl.saturating_sub(self.ttl / 10))
    }

    /// How often the lease is renewed.
    fn every(&self) -> Duration {
        self.ttl / 3
    }
}

/// Why the lease cannot be used any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Loss {
    /// Another watcher took it.
    TakenBy {
        holder: String,
        since: Option<SystemTime>,
    },
    /// Nobody holds it: it was released.
    Free,
}

/// Why [`Keeper::valid`] did not answer that the lease is held.
#[derive(Debug)]
pub(crate) enum Validity {
    Lost(Loss),
    /// The renewal failed (the store is down): the lease may have expired.
    Unsure(StoreError),
}

#[derive(Debug)]
struct Inner {
    /// `Ok(until)`: held until then; `Err`: lost, for good.
    standing: Result<Instant, Loss>,
    /// When the last renewal that held was sent.
    sent: Instant,
    /// Whether the background task renews (the watch waits on its
    /// consumer).
    armed: bool,
}

#[derive(Debug)]
struct Shared {
    tenure: Tenure,
    inner: Mutex<Inner>,
    /// One renewal at a time.
    renewing: tokio::sync::Mutex<()>,
    /// Armed, or disarmed.
    changed: Notify,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a renewal sent at `sent`; a loss is final.
    fn note(&self, renewal: &Renewal, sent: Instant) {
        let mut inner = self.inner();
        if inner.standing.is_err() {
            return;
        }
        inner.standing = match renewal {
            Renewal::Held => {
                inner.sent = sent;
                Ok(self.tenure.held_until(sent))
            }
            Renewal::TakenBy { holder, since } => Err(Loss::TakenBy {
                holder: holder.clone(),
                since: *since,
            }),
            Renewal::Free => Err(Loss::Free),
        };
    }

    /// Renews now, unless another renewal got there first.
    async fn renew(&self) -> Result<(), StoreError> {
        let _one = self.renewing.lock().await;
        let sent = Instant::now();
        let t = &self.tenure;
        let renewal = t.store.renew(&t.key, &t.holder, t.token, t.ttl).await?;
        self.note(&renewal, sent);
        Ok(())
    }

    /// Renews when a third of the time-to-live passed since the last one.
    async fn renew_if_due(&self) -> Result<(), StoreError> {
        let due = {
            let inner = self.inner();
            inner.standing.is_ok() && Instant::now() >= later(inner.sent, self.tenure.every())
        };
        if due { self.renew().await } else { Ok(()) }
    }
}

/// A watcher's lease while it holds it; dropped, its renewals stop.
#[derive(Debug)]
pub(crate) struct Keeper {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Keeper {
    /// Keeps `tenure`'s lease, taken at `sent`; disarmed, but armed while
    /// `lane` says the watch waits for its lane's turn.
    pub(crate) fn start(tenure: Tenure, sent: Instant, lane: LaneWaiting) -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                standing: Ok(tenure.held_until(sent)),
                sent,
                armed: false,
            }),
            tenure,
            renewing: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
        });
        let task = tokio::spawn(background(Arc::clone(&shared), lane));
        Self { shared, task }
    }

    /// The watch waits on its consumer: the background task renews.
    pub(crate) fn arm(&self) {
        self.shared.inner().armed = true;
        self.shared.changed.notify_one();
    }

    /// The watch works: it renews inline.
    pub(crate) fn disarm(&self) {
        self.shared.inner().armed = false;
        self.shared.changed.notify_one();
    }

    /// A renewal the watch made itself (a commit), sent at `sent`.
    pub(crate) fn renewed(&self, renewal: &Renewal, sent: Instant) {
        self.shared.note(renewal, sent);
    }

    /// Renews the lease if due; a failure is left for [`valid`](Self::valid)
    /// to report.
    pub(crate) async fn renew_if_due(&self) {
        let _ = self.shared.renew_if_due().await;
    }

    /// Whether the lease is surely held now, renewing it first if due or
    /// past; if not, why.
    pub(crate) async fn valid(&self) -> Result<(), Validity> {
        let stale = |inner: &Inner| match &inner.standing {
            Ok(until) => Ok(Instant::now() >= *until),
            Err(loss) => Err(loss.clone()),
        };
        let past = stale(&self.shared.inner()).map_err(Validity::Lost)?;
        let renewed = if past {
            self.shared.renew().await
        } else {
            self.shared.renew_if_due().await
        };
        match stale(&self.shared.inner()) {
            Err(loss) => Err(Validity::Lost(loss)),
            Ok(false) => Ok(()),
            Ok(true) => Err(Validity::Unsure(renewed.err().unwrap_or_else(|| {
                StoreError::from("the lease could not be renewed in time")
            }))),
        }
    }
}

/// Renews the lease on time while armed, or while the watch waits in its
/// lane; a failed renewal is tried again sooner. Ends when the lease is
/// lost.
async fn background(shared: Arc<Shared>, mut lane: LaneWaiting) {
    let every = shared.tenure.every();
    let mut retry: Option<Instant> = None;
    loop {
        let changed = shared.changed.notified();
        let (due, lost) = {
            let inner = shared.inner();
            let due = retry.unwrap_or_else(|| later(inner.sent, every));
            (due, inner.standing.is_err())
        };
        if lost {
            return;
        }
        if !(shared.inner().armed || lane.waiting()) {
            tokio::select! {
                () = changed => {}
                () = lane.changed() => {}
            }
            continue;
        }
        tokio::select! {
            () = changed => continue,
            () = lane.changed() => continue,
            () = tokio::time::sleep_until(due) => {}
        }
        if !(shared.inner().armed || lane.waiting()) {
            continue;
        }
        retry = match shared.renew().await {
            Ok(()) => None,
            Err(_) => Some(later(
                Instant::now(),
                (every / 4).max(Duration::from_millis(10)),
            )),
        };
    }
}
