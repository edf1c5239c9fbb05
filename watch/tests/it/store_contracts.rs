//! Each store contract alone, checked against every store that serves it:
//! the state and lease (`StateStore`: `MemoryStore`, `FileStore`,
//! `PostgresStore`), the membership of a team watch's replicas
//! (`MembershipStore`: `MemoryStore`, `PostgresStore`) and the turns of a
//! budget shared across processes (`TurnStore`: `PostgresStore`). Each
//! check takes the one contract, so a store serving only that one passes
//! it. `MemoryStore` and `FileStore` keep time on tokio's clock (paused
//! here); `PostgresStore` on the database's, so its checks run in real
//! time, with short time-to-lives and waits that only ever outlast them.

use std::time::Duration;

use resend_workflows_watch::{
    FileStore, Lease, Members, MembershipStore, MemoryStore, Renewal, StateStore, TurnStore,
    WatchState,
};

/// How far a time a store reports may be below the one asked: the time
/// between the call that set it and the one that reads it.
const SLACK: Duration = Duration::from_secs(5);
/// A lease or membership that outlives the check.
const LONG: Duration = Duration::from_secs(60);
/// One the check outlives, and the wait past its end.
const SHORT: Duration = Duration::from_secs(1);
const PAST: Duration = Duration::from_millis(1500);

/// That `got`, a time the store reports, is `want` less the time the
/// calls took: at most `want`, less than [`SLACK`] below it.
#[track_caller]
fn about(got: Duration, want: Duration) {
    assert!(
        got <= want && got + SLACK > want,
        "{got:?}, not about {want:?}"
    );
}

/// A state, as a new watch of `collection` commits it.
fn state(collection: &str) -> WatchState {
    serde_json::from_value(serde_json::json!({
        "version": 2, "collection": collection, "started": false, "mark": null
    }))
    .unwrap()
}

/// The token of a lease held, with `state` the state last committed.
fn held(lease: Lease, state: Option<&WatchState>) -> u64 {
    match lease {
        Lease::Held { state: s, token } if s.as_ref() == state => token,
        other => panic!("not held with {state:?}: {other:?}"),
    }
}

/// That the lease is `holder`'s, not the asker's.
#[track_caller]
fn taken_by(renewal: Renewal, holder: &str) {
    assert!(
        matches!(&renewal, Renewal::TakenBy { holder: h, .. } if h == holder),
        "not taken by {holder}: {renewal:?}"
    );
}

/// The state-and-lease contract ([`StateStore`]), on a store with none of
/// the keys used here.
pub async fn keeps_state_and_lease(store: &dyn StateStore) {
    let (first, second) = (state("automations/a/runs"), state("automations/b/runs"));
    // A free key: held, nothing committed yet.
    let t1 = held(store.acquire("k", "a", LONG).await.unwrap(), None);
    match store.acquire("k", "b", LONG).await.unwrap() {
        Lease::Taken { holder, expires_in } => {
            assert_eq!(holder, "a");
            about(expires_in, LONG);
        }
        other => panic!("{other:?}"),
    }
    // Another holder, even with the token, renews and saves nothing.
    taken_by(store.commit("k", "b", t1, LONG, &first).await.unwrap(), "a");
    taken_by(store.renew("k", "b", t1, LONG).await.unwrap(), "a");
    assert_eq!(
        store.commit("k", "a", t1, LONG, &first).await.unwrap(),
        Renewal::Held
    );
    assert_eq!(
        store.renew("k", "a", t1, LONG).await.unwrap(),
        Renewal::Held
    );
    // Keys are apart.
    held(store.acquire("other", "b", LONG).await.unwrap(), None);
    // The same holder takes it again (a stream rebuilt): a new token, the
    // state last committed; the old token's calls hold nothing.
    let t2 = held(store.acquire("k", "a", LONG).await.unwrap(), Some(&first));
    assert_ne!(t2, t1);
    taken_by(store.renew("k", "a", t1, LONG).await.unwrap(), "a");
    taken_by(
        store.commit("k", "a", t1, LONG, &second).await.unwrap(),
        "a",
    );
    store.release("k", "a", t1).await.unwrap();
    assert_eq!(
        store.renew("k", "a", t2, LONG).await.unwrap(),
        Renewal::Held
    );
    // Released: free, nothing saved under it, anyone's at once.
    store.release("k", "a", t2).await.unwrap();
    assert_eq!(
        store.renew("k", "a", t2, LONG).await.unwrap(),
        Renewal::Free
    );
    assert_eq!(
        store.commit("k", "a", t2, LONG, &second).await.unwrap(),
        Renewal::Free
    );
    let t3 = held(store.acquire("k", "b", LONG).await.unwrap(), Some(&first));
    assert!(t3 != t1 && t3 != t2, "{t1} {t2} {t3}");
    // Expired and nobody took it: still the holder's, who commits; then
    // anyone's, and the old holder's calls hold nothing.
    let t4 = held(store.acquire("lapsing", "a", SHORT).await.unwrap(), None);
    tokio::time::sleep(PAST).await;
    assert_eq!(
        store
            .commit("lapsing", "a", t4, SHORT, &first)
            .await
            .unwrap(),
        Renewal::Held
    );
    tokio::time::sleep(PAST).await;
    let t5 = held(
        store.acquire("lapsing", "b", LONG).await.unwrap(),
        Some(&first),
    );
    assert_ne!(t5, t4);
    taken_by(store.renew("lapsing", "a", t4, SHORT).await.unwrap(), "b");
    store.release("lapsing", "a", t4).await.unwrap();
    assert_eq!(
        store.renew("lapsing", "b", t5, LONG).await.unwrap(),
        Renewal::Held
    );
}

/// The membership contract ([`MembershipStore`]), on a store with none of
/// the groups used here.
pub async fn keeps_members(store: &dyn MembershipStore) {
    let join = |group, holder, watching, ttl| store.join(group, holder, watching, ttl);
    let count = |live, same| Some(Members::new(live, same));
    assert_eq!(join("team", "a", "x", LONG).await.ok(), count(1, 1));
    assert_eq!(join("team", "b", "y", LONG).await.ok(), count(2, 1));
    // Groups are exact names: neither `team/eu` nor `tea` is `team`.
    // (Before: members were counted by the prefix of their key.)
    assert_eq!(join("team/eu", "c", "x", LONG).await.ok(), count(1, 1));
    assert_eq!(join("tea", "e", "x", LONG).await.ok(), count(1, 1));
    assert_eq!(join("team", "d", "x", LONG).await.ok(), count(3, 2));
    // Joining again renews, counted once, watching what it says last.
    assert_eq!(join("team", "b", "x", LONG).await.ok(), count(3, 3));
    store.leave("team", "d").await.unwrap();
    store.leave("team", "nobody").await.unwrap();
    store.leave("team/eu", "a").await.unwrap();
    assert_eq!(join("team", "a", "x", LONG).await.ok(), count(2, 2));
    assert_eq!(join("team/eu", "c", "x", LONG).await.ok(), count(1, 1));
    // A member that lapsed is counted no more, until it joins again.
    assert_eq!(join("team", "f", "x", SHORT).await.ok(), count(3, 3));
    tokio::time::sleep(PAST).await;
    assert_eq!(join("team", "a", "x", LONG).await.ok(), count(2, 2));
    assert_eq!(join("team", "f", "y", LONG).await.ok(), count(3, 1));
}

/// The shared-turns contract ([`TurnStore`]), on a store with none of
/// the keys used here.
pub async fn keeps_turns(store: &dyn TurnStore) {
    let spacing = Duration::from_secs(10);
    let brief = Duration::from_millis(200);
    let take = |key, spacing| store.take_turn(key, spacing);
    // The first turn at once; each next one a spacing after the last.
    assert_eq!(take("k", spacing).await.unwrap(), Duration::ZERO);
    for n in 1..=2 {
        about(take("k", spacing).await.unwrap(), spacing * n);
    }
    // Keys are apart.
    assert_eq!(take("other", spacing).await.unwrap(), Duration::ZERO);
    // Never saved up: a turn whose time passed comes at once, and the
    // next is spaced by the spacing of the one before it.
    assert_eq!(take("brief", brief).await.unwrap(), Duration::ZERO);
    tokio::time::sleep(brief * 3).await;
    assert_eq!(take("brief", spacing).await.unwrap(), Duration::ZERO);
    about(take("brief", brief).await.unwrap(), spacing);
}

#[tokio::test(start_paused = true)]
async fn memory_store_keeps_state_and_lease() {
    keeps_state_and_lease(&MemoryStore::new()).await;
}

#[tokio::test(start_paused = true)]
async fn memory_store_keeps_members() {
    let store = MemoryStore::new();
    keeps_members(store.membership().expect("members")).await;
    assert!(store.turns().is_none(), "one process: no turns to share");
}

#[tokio::test(start_paused = true)]
async fn file_store_keeps_state_and_lease() {
    let dir = std::env::temp_dir().join(format!("resend-contracts-{}", std::process::id()));
    let store = FileStore::new(&dir);
    keeps_state_and_lease(&store).await;
    assert!(store.membership().is_none() && store.turns().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "postgres")]
mod postgres {
    use resend_workflows_watch::{PostgresStore, StateStore};

    use crate::postgres::Pg;

    async fn store(pg: &Pg) -> PostgresStore {
        PostgresStore::connect(&pg.config(), "contracts")
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_store_keeps_state_and_lease() {
        let Some(pg) = Pg::start() else { return };
        super::keeps_state_and_lease(&store(&pg).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_store_keeps_members() {
        let Some(pg) = Pg::start() else { return };
        let store = store(&pg).await;
        super::keeps_members(store.membership().expect("members")).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_store_keeps_turns() {
        let Some(pg) = Pg::start() else { return };
        let store = store(&pg).await;
        super::keeps_turns(store.turns().expect("turns")).await;
    }
}
