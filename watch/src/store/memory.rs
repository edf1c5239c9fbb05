//! `MemoryStore`: states and leases, and team watches' members, in
//! memory, for one process and tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::contract::{Lease, Renewal, StateStore};
use super::error::StoreError;
use super::lease::{self, Slot};
use super::membership::{Members, MembershipStore};
use crate::instant::later;
use crate::state::WatchState;

/// A group's members, by holder: what each watches, and until when it is
/// live.
type Group = HashMap<String, (String, Instant)>;

#[derive(Debug, Default)]
struct Entry {
    state: Option<WatchState>,
    lease: Slot,
}

/// A store in memory, shared by the clones of one handle: for one process
/// (the state is lost when it exits) and for tests. Leases expire on
/// tokio's clock.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    /// Each group's members: what each watches, and until when it is live.
    members: Arc<Mutex<HashMap<String, Group>>>,
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

    /// Who holds the lease on `key` now, if anyone (expired or not).
    pub fn holder(&self, key: &str) -> Option<String> {
        self.lock()
            .get(key)
            .and_then(|e| e.lease.holder_id().map(str::to_owned))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `rule` to `key`'s entry, created if absent.
    fn with<T>(&self, key: &str, rule: impl FnOnce(&mut Entry) -> T) -> T {
        rule(self.lock().entry(key.to_owned()).or_default())
    }
}

impl StateStore for MemoryStore {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        let taken = self.with(key, |entry| {
            match lease::take(
                &mut entry.lease,
                holder,
                ttl,
                Instant::now(),
                SystemTime::now(),
            ) {
                Ok(token) => Lease::Held {
                    state: entry.state.clone(),
                    token,
                },
                Err(taken) => taken.into(),
            }
        });
        Box::pin(async move { Ok(taken) })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        let renewal = self.with(key, |entry| {
            lease::renew(&mut entry.lease, holder, token, ttl, Instant::now())
        });
        Box::pin(async move { Ok(renewal) })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        let renewal = self.with(key, |entry| {
            let renewal = lease::renew(&mut entry.lease, holder, token, ttl, Instant::now());
            if renewal == Renewal::Held {
                entry.state = Some(state.clone());
            }
            renewal
        });
        Box::pin(async move { Ok(renewal) })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.with(key, |entry| lease::release(&mut entry.lease, holder, token));
        Box::pin(async { Ok(()) })
    }

    fn membership(&self) -> Option<&dyn MembershipStore> {
        Some(self)
    }
}

/// The members live in the process, on tokio's clock, as the leases do.
impl MembershipStore for MemoryStore {
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Members, StoreError>> {
        let now = Instant::now();
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        let group = members.entry(group.to_owned()).or_default();
        group.insert(holder.to_owned(), (watching.to_owned(), later(now, ttl)));
        // The lapsed go at once: nothing of theirs is read again.
        group.retain(|_, (_, until)| *until > now);
        let same = group.values().filter(|(w, _)| w == watching).count();
        let counted = Members::new(group.len(), same);
        Box::pin(async move { Ok(counted) })
    }

    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(members) = members.get_mut(group) {
            members.remove(holder);
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_a_takeover_after_expiry_and_a_release() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(10);
        let s = WatchState::new("automations/a/runs");
        assert_eq!(
            store.acquire("k", "a", ttl).await.unwrap(),
            Lease::Held {
                state: None,
                token: 1
            }
        );
        assert_eq!(
            store.commit("k", "a", 1, ttl, &s).await.unwrap(),
            Renewal::Held
        );
        assert_eq!(
            store.acquire("k", "b", ttl).await.unwrap(),
            Lease::Taken {
                holder: "a".into(),
                expires_in: ttl
            }
        );
        assert!(
            matches!(
                store.commit("k", "b", 1, ttl, &s).await.unwrap(),
                Renewal::TakenBy { holder, since: Some(_) } if holder == "a"
            ),
            "b never held it"
        );
        // Expired, nobody took it: still a's.
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(store.renew("k", "a", 1, ttl).await.unwrap(), Renewal::Held);
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(
            store.acquire("k", "b", ttl).await.unwrap(),
            Lease::Held {
                state: Some(s.clone()),
                token: 2
            }
        );
        assert!(matches!(
            store.commit("k", "a", 1, ttl, &s).await.unwrap(),
            Renewal::TakenBy { holder, .. } if holder == "b"
        ));
        assert_eq!(store.holder("k").as_deref(), Some("b"));
        // Released: free for anyone, at once.
        store.release("k", "a", 1).await.unwrap();
        assert_eq!(
            store.holder("k").as_deref(),
            Some("b"),
            "not a's to release"
        );
        store.release("k", "b", 2).await.unwrap();
        assert_eq!(store.renew("k", "b", 2, ttl).await.unwrap(), Renewal::Free);
        assert_eq!(
            store.acquire("k", "a", ttl).await.unwrap(),
            Lease::Held {
                state: Some(s.clone()),
                token: 3
            }
        );
        // The same holder takes it again (a stream rebuilt): a new token;
        // the old stream's renewals find it taken, its release frees
        // nothing.
        assert_eq!(
            store.acquire("k", "a", ttl).await.unwrap(),
            Lease::Held {
                state: Some(s.clone()),
                token: 4
            }
        );
        assert!(matches!(
            store.renew("k", "a", 3, ttl).await.unwrap(),
            Renewal::TakenBy { holder, .. } if holder == "a"
        ));
        store.release("k", "a", 3).await.unwrap();
        assert_eq!(store.renew("k", "a", 4, ttl).await.unwrap(), Renewal::Held);
        assert_eq!(store.get("k"), Some(s));
        assert_eq!(store.get("other"), None);
    }

    // Before: `now + ttl` in `join` panicked on an `Instant` overflow.
    #[tokio::test]
    async fn no_duration_makes_the_store_panic() {
        let store = MemoryStore::new();
        let max = Duration::MAX;
        let join = |holder| store.join("team", holder, "all", max);
        assert_eq!(join("a").await.unwrap(), Members::new(1, 1));
        assert_eq!(join("b").await.unwrap(), Members::new(2, 2));
        assert_eq!(
            store.acquire("k", "a", max).await.unwrap(),
            Lease::Held {
                state: None,
                token: 1
            }
        );
        assert_eq!(store.renew("k", "a", 1, max).await.unwrap(), Renewal::Held);
    }
}
