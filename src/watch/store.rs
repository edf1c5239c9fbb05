//! Where a watch keeps its state, and the lease that lets one watcher of
//! several poll a collection: [`StateStore`], and [`MemoryStore`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::state::WatchState;
use crate::instant::later;

/// A store failure, as the store reports it.
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// The answer to a watcher asking for the lease on a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The asker holds the lease (taken, or renewed) for the time-to-live
    /// asked; here is the state last committed, if any.
    Held(Option<WatchState>),
    /// Another watcher holds it, for this long yet unless it renews it.
    Taken {
        /// The holder's id.
        holder: String,
        /// How long until it expires.
        expires_in: Duration,
    },
}

/// Where a watch keeps its [`WatchState`], under a key per collection, with
/// a lease: only the holder of an unexpired lease polls and commits.
/// [`MemoryStore`] (the default), [`FileStore`](crate::FileStore) and, with
/// the `postgres` feature, [`PostgresStore`](crate::PostgresStore)
/// implement it; so can a service's own store.
pub trait StateStore: Send + Sync + fmt::Debug + 'static {
    /// Takes or renews the lease on `key` for `holder`, for `ttl`: held
    /// when nobody holds it, `holder` does, or the holder's lease expired.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>>;

    /// Saves `state` under `key` and renews the lease, only if `holder`
    /// still holds an unexpired lease: `Ok(false)` (nothing saved) when it
    /// does not.
    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

#[derive(Debug, Default)]
struct Entry {
    state: Option<WatchState>,
    holder: Option<(String, Instant)>,
}

/// A store in memory, shared by the clones of one handle: for one process
/// (the state is lost when it exits) and for tests. Leases expire on
/// tokio's clock.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state committed under `key`, if any.
    pub fn get(&self, key: &str) -> Option<WatchState> {
        self.lock().get(key).and_then(|e| e.state.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The lease rule every store follows, on an entry in memory.
pub(crate) fn take_lease(
    holder: &mut Option<(String, Instant)>,
    asker: &str,
    ttl: Duration,
    now: Instant,
) -> Result<(), Lease> {
    match holder {
        Some((who, until)) if who != asker && *until > now => Err(Lease::Taken {
            holder: who.clone(),
            expires_in: until.saturating_duration_since(now),
        }),
        _ => {
            *holder = Some((asker.to_owned(), later(now, ttl)));
            Ok(())
        }
    }
}

/// The commit rule every store follows, on an entry in memory: `asker`
/// holds an unexpired lease (then renewed for `ttl`), or nothing is saved.
/// An expired lease is lost even before anyone takes it over, as in
/// `PostgresStore`'s conditional update.
pub(crate) fn renew_lease(
    holder: &mut Option<(String, Instant)>,
    asker: &str,
    ttl: Duration,
    now: Instant,
) -> bool {
    match holder {
        Some((who, until)) if who == asker && *until > now => {
            *until = later(now, ttl);
            true
        }
        _ => false,
    }
}

impl StateStore for MemoryStore {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let mut entries = self.lock();
            let entry = entries.entry(key.to_owned()).or_default();
            Ok(
                match take_lease(&mut entry.holder, holder, ttl, Instant::now()) {
                    Ok(()) => Lease::Held(entry.state.clone()),
                    Err(taken) => taken,
                },
            )
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut entries = self.lock();
            let entry = entries.entry(key.to_owned()).or_default();
            let held = renew_lease(&mut entry.holder, holder, ttl, Instant::now());
            if held {
                entry.state = Some(state.clone());
            }
            Ok(held)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_and_a_takeover_after_expiry() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(10);
        let s = WatchState::new("automations/a/runs");
        assert_eq!(
            store.acquire("k", "a", ttl).await.unwrap(),
            Lease::Held(None)
        );
        assert!(store.commit("k", "a", ttl, &s).await.unwrap());
        assert_eq!(
            store.acquire("k", "b", ttl).await.unwrap(),
            Lease::Taken {
                holder: "a".into(),
                expires_in: ttl
            }
        );
        assert!(
            !store.commit("k", "b", ttl, &s).await.unwrap(),
            "b never held it"
        );
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(
            store.acquire("k", "b", ttl).await.unwrap(),
            Lease::Held(Some(s.clone()))
        );
        assert!(!store.commit("k", "a", ttl, &s).await.unwrap(), "a lost it");
        assert_eq!(store.get("k"), Some(s));
        assert_eq!(store.get("other"), None);
    }
}
