//! Team watches on several replicas of one store: the automations spread
//! over them by per-automation leases (a replica takes its share, the
//! automations over the live replicas), one that joins takes its share
//! from the others, and when one goes the others take its automations
//! over from their last commits, losing no run. Real time, short
//! intervals, on a shared `MemoryStore` (the replicas of one process).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use resend_workflows::RunStatus;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{
    Lease, MemoryStore, Renewal, StateStore, StoreError, TeamConfig, TeamEvent, TeamStream,
    WatchConfig, WatchState,
};
use tokio::sync::mpsc;

use crate::common;

const AUTOMATIONS: usize = 20;

fn ids() -> Vec<String> {
    (0..AUTOMATIONS).map(|i| format!("auto-{i:02}")).collect()
}

/// A replica: its events (automation, kind, run) go to `tx`; how many
/// leases it holds is read off `leases`.
pub fn replica<S: StateStore + Clone>(
    client: &resend_workflows::Client,
    store: &S,
    name: &str,
    tx: mpsc::UnboundedSender<(String, String, &'static str, String)>,
    leases: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    let mut events: TeamStream = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .holder(name)
                    .poll_interval(Duration::from_millis(200))
                    .lease_ttl(Duration::from_millis(1500))
                    .store(store.clone()),
            )
            .max_staleness(Duration::from_millis(400))
            .discovery_interval(Duration::from_secs(1)),
    );
    let name = name.to_owned();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    leases.store(events.stats().leases, std::sync::atomic::Ordering::Relaxed);
                }
                item = events.next() => match item {
                    Some(Ok(TeamEvent::Run { automation, event })) => {
                        let _ = tx.send((name.clone(), automation, event.kind(), event.run_id().to_owned()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("{name}: {e}"),
                    None => return,
                },
            }
        }
    })
}

/// Waits until `check` holds, at most `limit`.
async fn until(limit: Duration, what: &str, check: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !check() {
        assert!(t0.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_automations_and_take_over_when_one_goes_losing_nothing() {
    let store = MemoryStore::new();
    // The survivor still runs while its leases are read: a dropped stream
    // gives its leases back (on a task of its own, a moment later).
    let b = share_and_take_over(&store).await;
    for id in ids() {
        let holder = store.holder(&format!("automations/{id}/runs"));
        assert_eq!(
            holder.as_deref(),
            Some("replica-b"),
            "{id}, after the takeover"
        );
    }
    b.abort();
}

/// Two replicas on `store`: the second takes its share from the first,
/// then the first goes and the second takes all over, every run told.
/// The second, still running, is returned: abort it when done.
pub async fn share_and_take_over<S: StateStore + Clone>(store: &S) -> tokio::task::JoinHandle<()> {
    let fake = common::fake().await;
    for id in ids() {
        fake.seed_automation(&id, 0);
    }
    fake.fail_after(20_000, 403);
    let client = common::client(&fake.base_url());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let counts: Vec<std::sync::Arc<std::sync::atomic::AtomicUsize>> =
        (0..2).map(|_| std::sync::Arc::default()).collect();
    let held = |i: usize| counts[i].load(std::sync::atomic::Ordering::Relaxed);
    let a = replica(
        &client,
        store,
        "replica-a",
        tx.clone(),
        std::sync::Arc::clone(&counts[0]),
    );
    until(Duration::from_secs(10), "a alone holds all", || {
        held(0) == AUTOMATIONS
    })
    .await;

    // A second replica joins: within a few ttls each holds its share.
    let b = replica(
        &client,
        store,
        "replica-b",
        tx.clone(),
        std::sync::Arc::clone(&counts[1]),
    );
    until(Duration::from_secs(15), "each holds half", || {
        held(0) == AUTOMATIONS / 2 && held(1) == AUTOMATIONS / 2
    })
    .await;
    // Runs start in every automation while a goes away.
    let mut started = Vec::new();
    for id in ids() {
        started.push((
            id.clone(),
            fake.start_automation_run(&id, RunStatus::Running)
                .unwrap()
                .id,
        ));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.abort();
    for id in ids() {
        started.push((
            id.clone(),
            fake.start_automation_run(&id, RunStatus::Completed)
                .unwrap()
                .id,
        ));
    }
    until(Duration::from_secs(15), "b takes all over", || {
        held(1) == AUTOMATIONS
    })
    .await;
    for (id, run) in &started[..AUTOMATIONS] {
        fake.set_run_status(id, run, RunStatus::Completed);
    }
    // Nothing lost: every run's start and finish, by one replica or the
    // other (a run may be told twice across a takeover: at least once).
    let mut told: HashMap<(String, &'static str), BTreeSet<String>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let want = |told: &HashMap<(String, &'static str), BTreeSet<String>>| {
        started.iter().all(|(id, run)| {
            ["started", "finished"].iter().all(|kind| {
                told.get(&(run.clone(), *kind))
                    .is_some_and(|s| s.contains(id))
            })
        })
    };
    while !want(&told) {
        assert!(Instant::now() < deadline, "runs not told: {told:?}");
        if let Ok(Some((_, automation, kind, run))) =
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        {
            told.entry((run, kind)).or_default().insert(automation);
        }
    }
    b
}

/// `store`, whose releases arrive `delay` late: a dropped stream's
/// release, on a task of its own, slow to run.
#[derive(Debug, Clone)]
pub struct LateRelease<S> {
    pub store: S,
    pub delay: Duration,
}

impl<S: StateStore + Clone> StateStore for LateRelease<S> {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        self.store.acquire(key, holder, ttl)
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.store.renew(key, holder, token, ttl)
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.store.commit(key, holder, token, ttl, state)
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            self.store.release(key, holder, token).await
        })
    }
}

/// A service rebuilds its watch under the same holder: the old stream is
/// dropped (its release late, on its task), the new one takes the lease
/// at once. The old release must not free the new stream's lease: the new
/// stream tells each event once, and nothing else.
pub async fn a_late_release_leaves_the_successor_alone<S: StateStore + Clone>(store: S) {
    let fake = common::fake().await;
    fake.add_automation("rebuilt", &[]);
    let client = common::client(&fake.base_url());
    let store = LateRelease {
        store,
        delay: Duration::from_millis(300),
    };
    let watch = || {
        client.watch_automation_runs(
            "rebuilt",
            WatchConfig::default()
                .start(resend_workflows_watch::StartAt::Beginning)
                .poll_interval(Duration::from_millis(100))
                .lease_ttl(Duration::from_secs(3))
                .holder("svc")
                .store(store.clone()),
        )
    };
    let run = fake
        .start_automation_run("rebuilt", RunStatus::Running)
        .unwrap()
        .id;
    let kind = |item: Option<Result<resend_workflows_watch::RunEvent<_>, _>>| match item {
        Some(Ok(event)) => Ok((event.kind(), event.run_id().to_owned())),
        other => Err(format!("{other:?}")),
    };
    // The old stream tells the run started and is dropped before it
    // commits (its consumer never asked for more).
    let mut old = watch();
    let first = tokio::time::timeout(Duration::from_secs(10), old.next()).await;
    assert_eq!(kind(first.unwrap()), Ok(("started", run.clone())));
    drop(old);
    // The new one takes the lease at once, and tells the run again:
    // nothing was committed (at least once).
    let mut new = watch();
    let first = tokio::time::timeout(Duration::from_secs(10), new.next()).await;
    assert_eq!(kind(first.unwrap()), Ok(("started", run.clone())));
    // Its consumer is busy while the old release arrives.
    tokio::time::sleep(Duration::from_millis(800)).await;
    fake.set_run_status("rebuilt", &run, RunStatus::Completed);
    let mut told = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(item) = tokio::time::timeout_at(end, new.next()).await {
        told.push(kind(item));
    }
    assert_eq!(
        told,
        [Ok(("finished", run.clone()))],
        "told once, nothing else"
    );
    drop(new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_release_leaves_the_successor_alone_in_memory() {
    a_late_release_leaves_the_successor_alone(MemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_release_leaves_the_successor_alone_in_files() {
    let dir = common::TempDir::new("late-release");
    a_late_release_leaves_the_successor_alone(resend_workflows_watch::FileStore::new(dir.path()))
        .await;
}
