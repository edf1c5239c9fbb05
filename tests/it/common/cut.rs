//! A replica's way to a shared `MemoryStore` that a test can cut (every
//! call fails, as a replica cut off from its database sees) or slow down
//! (every call answers that much later): tests/it/team_promises.rs and
//! tests/it/team_sim.rs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use resend_workflows::{
    Lease, Members, MembershipStore, MemoryStore, Renewal, StateStore, StoreError, WatchState,
};

/// A replica's way to the shared store, which a partition cuts: every
/// call then fails or slow: every
/// call then answers that much later (a database far away or busy).
#[derive(Debug, Clone, Default)]
pub struct Cut {
    inner: MemoryStore,
    /// Cut off: every call fails.
    pub cut: Arc<AtomicBool>,
    /// Each call's delay, in milliseconds.
    pub slow: Arc<AtomicU64>,
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
        self.or(move || self.inner.acquire(key, holder, ttl))
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
        self.or(move || self.inner.commit(key, holder, token, ttl, state))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.or(move || self.inner.release(key, holder, token))
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
