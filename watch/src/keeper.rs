//! The lease keeper: renews a watcher's lease every third of its
//! time-to-live while the watcher holds it, from a task of its own,
//! whatever the watch or its consumer is doing.
//!
//! One exception keeps a single clock: while the watch is in a request of
//! its own on the wire and its stream is being driven, the watch renews
//! inline instead (before each poll's request, and before each event it
//! yields), so no timer of the keeper's runs beside the watch's own
//! requests. Everywhere else the task renews: while the consumer holds an
//! item (however long it takes), while the watch sleeps until its next
//! poll, while a call waits for its turn, a window or a retry, and while
//! a request's answer came and nobody polls the stream (a team's consumer
//! busy with another automation's event).
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
use super::unpolled::Unpolled;
use crate::instant::later;
use resend_workflows::LaneWaiting;

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
    /// The watch is in a request of its own (it renews inline meanwhile,
    /// while driven).
    busy: bool,
    /// The last renewal, if it failed: when it ended, and why. A store
    /// that is down costs one deadline a renewal period, not one before
    /// each request and each event.
    failed: Option<(Instant, String)>,
}

#[derive(Debug)]
struct Shared {
    tenure: Tenure,
    inner: Mutex<Inner>,
    /// One renewal at a time.
    renewing: tokio::sync::Mutex<()>,
    /// Busy, or not.
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

    /// Renews now, unless another renewal ended while this one waited for
    /// it to end (then its outcome is this one's).
    async fn renew(&self) -> Result<(), StoreError> {
        let asked = Instant::now();
        let _one = self.renewing.lock().await;
        {
            let inner = self.inner();
            match &inner.failed {
                Some((at, why)) if *at >= asked => return Err(StoreError::from(why.clone())),
                None if inner.sent >= asked => return Ok(()),
                _ => {}
            }
        }
        let sent = Instant::now();
        let t = &self.tenure;
        match t.store.renew(&t.key, &t.holder, t.token, t.ttl).await {
            Ok(renewal) => {
                self.inner().failed = None;
                self.note(&renewal, sent);
                Ok(())
            }
            Err(e) => {
                self.inner().failed = Some((Instant::now(), e.to_string()));
                Err(e)
            }
        }
    }

    /// The last renewal's failure, if it ended less than a renewal period
    /// ago.
    fn failed_lately(&self) -> Option<StoreError> {
        let inner = self.inner();
        let (at, why) = inner.failed.as_ref()?;
        (Instant::now() < later(*at, self.tenure.every())).then(|| StoreError::from(why.clone()))
    }

    /// Renews when a third of the time-to-live passed since the last one,
    /// unless the last renewal failed lately (the background task tries
    /// again: the watch's requests do not wait on a store that is down).
    async fn renew_if_due(&self) -> Result<(), StoreError> {
        if let Some(e) = self.failed_lately() {
            return Err(e);
        }
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
    /// Keeps `tenure`'s lease, taken at `sent`, renewing it from a task of
    /// its own but while the watch is [`busy`](Self::busy) in a request
    /// that is driven: not while `lane` says the request waits (a turn, a
    /// window, a retry), nor while `unpolled` says its answer came and
    /// nobody polls the stream.
    pub(crate) fn start(
        tenure: Tenure,
        sent: Instant,
        lane: LaneWaiting,
        unpolled: Unpolled,
    ) -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                standing: Ok(tenure.held_until(sent)),
                sent,
                busy: false,
                failed: None,
            }),
            tenure,
            renewing: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
        });
        let task = tokio::spawn(background(Arc::clone(&shared), lane, unpolled));
        Self { shared, task }
    }

    /// The watch is in a request of its own until the guard is dropped:
    /// it renews inline meanwhile (while the stream is driven).
    pub(crate) fn busy(&self) -> Busy<'_> {
        self.shared.inner().busy = true;
        self.shared.changed.notify_one();
        Busy(self)
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
        let renewed = match (past, self.shared.failed_lately()) {
            // The store failed a renewal lately: say so at once.
            (true, Some(e)) => Err(e),
            (true, None) => self.shared.renew().await,
            (false, _) => self.shared.renew_if_due().await,
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

/// The watch is in a request of its own while this lives: see
/// [`Keeper::busy`].
#[derive(Debug)]
pub(crate) struct Busy<'a>(&'a Keeper);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.shared.inner().busy = false;
        self.0.shared.changed.notify_one();
    }
}

/// Renews the lease on time but while the watch is busy in a request that
/// is driven; a failed renewal is tried again sooner. Ends when the lease
/// is lost.
async fn background(shared: Arc<Shared>, mut lane: LaneWaiting, mut unpolled: Unpolled) {
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
        let renews = |lane: &LaneWaiting, unpolled: &Unpolled| {
            !shared.inner().busy || lane.waiting() || unpolled.now()
        };
        if !renews(&lane, &unpolled) {
            tokio::select! {
                () = changed => {}
                () = lane.changed() => {}
                () = unpolled.changed() => {}
            }
            continue;
        }
        tokio::select! {
            () = changed => continue,
            () = lane.changed() => continue,
            () = unpolled.changed() => continue,
            () = tokio::time::sleep_until(due) => {}
        }
        if !renews(&lane, &unpolled) {
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
