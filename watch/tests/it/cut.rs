//! A replica's way to a shared `MemoryStore` that a test can cut (every
//! call fails, as a replica cut off from its database sees), slow down
//! (every call answers that much later) or make late to release (a
//! crashed stream's release landing after its successor took the lease):
//! tests/it/team_promises.rs and tests/it/team_sim.rs.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use resend_workflows_watch::{
    Lease, Members, MembershipStore, MemoryStore, Renewal, StateStore, StoreError, WatchState,
};

/// How long a held-back release waits at most for the key to be taken
/// again: under the deadline of the watch's store calls (a second at
/// least), past which the watch gives the release up.
const LATE_AT_MOST: Duration = Duration::from_millis(900);

/// A replica's way to the shared store, which a partition cuts (every call
/// then fails) or slows (every call then answers that much later: a
/// database far away or busy).
#[derive(Debug, Clone, Default)]
pub struct Cut {
    inner: MemoryStore,
    /// Cut off: every call fails.
    pub cut: Arc<AtomicBool>,
    /// Each call's delay, in milliseconds.
    pub slow: Arc<AtomicU64>,
    /// Commits that went through, by key: a test that follows the
    /// store's states reads one again only when this moved.
    commits: Arc<Mutex<HashMap<String, u64>>>,
    late: Arc<Late>,
}

/// Releases held back ([`Cut::hold_back_releases`]): the keys taken again
/// through this way since.
#[derive(Debug)]
struct Late {
    on: AtomicBool,
    taken: tokio::sync::watch::Sender<BTreeSet<String>>,
}

impl Default for Late {
    fn default() -> Self {
        Self {
            on: AtomicBool::new(false),
            taken: tokio::sync::watch::Sender::new(BTreeSet::new()),
        }
    }
}

impl Cut {
    /// A way to `inner`, neither cut nor slow.
    pub fn to(inner: &MemoryStore) -> Self {
        Self {
            inner: inner.clone(),
            ..Self::default()
        }
    }

    /// Whether it is cut off now.
    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }

    /// How many commits under `key` went through this way.
    pub fn commits(&self, key: &str) -> u64 {
        let commits = self.commits.lock().unwrap_or_else(PoisonError::into_inner);
        commits.get(key).copied().unwrap_or(0)
    }

    /// From now on (`on`), each release through this way waits until this
    /// way took the same key again (at most [`LATE_AT_MOST`]): a stream
    /// dropped now releases after its successor under the same holder took
    /// the lease, the order in which a release that ignores its token frees
    /// the successor's lease. Off: releases go at once.
    pub fn hold_back_releases(&self, on: bool) {
        self.late.taken.send_replace(BTreeSet::new());
        self.late.on.store(on, Ordering::Release);
    }

    /// The call, after the store's delay, unless cut off by then
    /// (`MemoryStore` acts when called).
    fn or<'a, T: Send + 'a>(
        &self,
        call: impl FnOnce() -> BoxFuture<'a, Result<T, StoreError>> + Send + 'a,
    ) -> BoxFuture<'a, Result<T, StoreError>> {
        let slow = Duration::from_millis(self.slow.load(Ordering::Acquire));
        let cut = Arc::clone(&self.cut);
        Box::pin(async move {
            if !slow.is_zero() {
                tokio::time::sleep(slow).await;
            }
            if cut.load(Ordering::Acquire) {
                return Err(StoreError::from("cut off from the store"));
            }
            call().await
        })
    }
}

impl StateStore for Cut {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let lease = self.or(move || self.inner.acquire(key, holder, ttl)).await;
            if let Ok(Lease::Held { .. }) = &lease {
                self.late.taken.send_modify(|taken| {
                    taken.insert(key.to_owned());
                });
            }
            lease
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.or(move || self.inner.renew(key, holder, token, ttl))
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        Box::pin(async move {
            let renewal = self
                .or(move || self.inner.commit(key, holder, token, ttl, state))
                .await;
            if matches!(renewal, Ok(Renewal::Held)) {
                let mut commits = self.commits.lock().unwrap_or_else(PoisonError::into_inner);
                *commits.entry(key.to_owned()).or_default() += 1;
            }
            renewal
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if self.late.on.load(Ordering::Acquire) {
                let mut taken = self.late.taken.subscribe();
                let again = taken.wait_for(|taken| taken.contains(key));
                let _ = tokio::time::timeout(LATE_AT_MOST, again).await;
            }
            self.or(move || self.inner.release(key, holder, token))
                .await
        })
    }

    fn membership(&self) -> Option<&dyn MembershipStore> {
        Some(self)
    }
}

impl MembershipStore for Cut {
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Members, StoreError>> {
        self.or(move || self.inner.join(group, holder, watching, ttl))
    }

    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.or(move || self.inner.leave(group, holder))
    }
}
