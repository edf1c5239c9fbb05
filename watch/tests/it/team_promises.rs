//! The team watch's promises in their slow cases, in real time on a shared
//! `MemoryStore` (the replicas of one process): a consumer busy for longer
//! than the lease, a replica's lost automation, a disabled automation's
//! runs in flight and the finish it told last, a clean shutdown. (Issue
//! "The team watch keeps its promises", cases 6, 7, 8 and 14.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::RunStatus;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{
    MemoryStore, StartAt, StateStore, TeamConfig, TeamEvent, TeamStream, WatchConfig,
};
use tokio::sync::mpsc;

use crate::common;
use crate::cut::Cut;

const TTL: Duration = Duration::from_millis(1500);

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("auto-{i}")).collect()
}

/// A replica of a team watch of `ids` on `store`, under `holder`.
fn team<S: StateStore + Clone>(
    client: &resend_workflows::Client,
    store: &S,
    holder: &str,
    ids: &[String],
) -> TeamStream {
    client.watch_automation_set(
        ids.iter().map(String::as_str),
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .holder(holder)
                    .start(StartAt::Running)
                    .poll_interval(Duration::from_millis(200))
                    .lease_ttl(TTL)
                    .store(store.clone()),
            )
            .max_staleness(Duration::from_millis(400)),
    )
}

/// Who holds each automation's lease now.
fn holders(store: &MemoryStore, ids: &[String]) -> BTreeMap<String, Option<String>> {
    ids.iter()
        .map(|id| (id.clone(), store.holder(&format!("automations/{id}/runs"))))
        .collect()
}

/// Waits until `check` holds, at most `limit`.
async fn until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !check() {
        assert!(t0.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next event of `events`, by `deadline` (every wait of a test ends
/// by one, however many other items come).
async fn next_by(events: &mut TeamStream, deadline: tokio::time::Instant) -> TeamEvent {
    match tokio::time::timeout_at(deadline, events.next()).await {
        Ok(Some(Ok(event))) => event,
        other => panic!("{other:?}"),
    }
}

/// Consumes `events` on a task: each run event (and error) to `tx`; while `busy` is
/// set when an event comes, the consumer works on it for `work`.
fn consume(
    mut events: TeamStream,
    name: &'static str,
    tx: mpsc::UnboundedSender<(&'static str, String, &'static str)>,
    busy: Arc<AtomicBool>,
    work: Duration,
) -> tokio::task::JoinHandle<TeamStream> {
    tokio::spawn(async move {
        while let Some(item) = events.next().await {
            match item {
                Ok(TeamEvent::Run { event, .. }) => {
                    let _ = tx.send((name, event.run_id().to_owned(), event.kind()));
                    if busy.swap(false, Ordering::AcqRel) {
                        tokio::time::sleep(work).await;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send((name, e.to_string(), "error"));
                }
            }
        }
        events
    })
}

// Seen on main at 6a29866: while a's consumer worked 5 s on one event,
// b took every lease (4 of 4): a's keepers were disarmed while its
// automations' watches were mid-poll, and its membership was renewed
// only when its stream was polled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_busy_for_longer_than_the_lease_keeps_its_replicas_share() {
    let fake = common::fake().await;
    let ids = ids(4);
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    let client = common::client(&fake.base_url());
    let store = MemoryStore::new();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let busy = Arc::new(AtomicBool::new(false));
    let a = consume(
        team(&client, &store, "replica-a", &ids),
        "a",
        tx.clone(),
        Arc::clone(&busy),
        Duration::from_secs(5),
    );
    let b = consume(
        team(&client, &store, "replica-b", &ids),
        "b",
        tx.clone(),
        Arc::new(AtomicBool::new(false)),
        Duration::ZERO,
    );
    let count = |holder: &str| {
        holders(&store, &ids)
            .values()
            .filter(|h| h.as_deref() == Some(holder))
            .count()
    };
    until(Duration::from_secs(15), "two each", || {
        count("replica-a") == 2 && count("replica-b") == 2
    })
    .await;
    let theirs = holders(&store, &ids);
    // Runs start everywhere; a's consumer works 5 s on the first it gets.
    busy.store(true, Ordering::Release);
    for id in &ids {
        fake.start_automation_run(id, RunStatus::Running).unwrap();
    }
    let t0 = Instant::now();
    let mut most_b = 0;
    while t0.elapsed() < Duration::from_secs(6) {
        most_b = most_b.max(count("replica-b"));
        assert_eq!(
            holders(&store, &ids),
            theirs,
            "after {:?} of a's consumer at work",
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(most_b, 2);
    // Each run told once, by the replica that holds its automation.
    let mut told = BTreeMap::new();
    while let Ok(Some((name, run, kind))) =
        tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
    {
        *told.entry((run, kind, name)).or_insert(0) += 1;
    }
    assert_eq!(told.len(), 4, "{told:?}");
    assert!(told.values().all(|n| *n == 1), "{told:?}");
    a.abort();
    b.abort();
}

// Seen on main at 6a29866: a's watch of the automation ended when b had
// taken its lease (a cut off from the store for 3 s); when b went, nobody
// watched it: the run started then was never told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_replica_takes_back_an_automation_it_lost_once_its_lease_is_free() {
    let fake = common::fake().await;
    let ids = ids(1);
    fake.seed_automation(&ids[0], 0);
    let client = common::client(&fake.base_url());
    let store = MemoryStore::new();
    let cut = Cut::to(&store);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let idle = || Arc::new(AtomicBool::new(false));
    let a = consume(
        team(&client, &cut, "replica-a", &ids),
        "a",
        tx.clone(),
        idle(),
        Duration::ZERO,
    );
    let held_by = |holder: &str| holders(&store, &ids)[&ids[0]].as_deref() == Some(holder);
    until(Duration::from_secs(10), "a holds it", || {
        held_by("replica-a")
    })
    .await;
    let b = consume(
        team(&client, &store, "replica-b", &ids),
        "b",
        tx.clone(),
        idle(),
        Duration::ZERO,
    );
    // a is cut off from the store past its lease: b takes it.
    cut.cut.store(true, Ordering::Release);
    until(Duration::from_secs(10), "b takes it", || {
        held_by("replica-b")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    cut.cut.store(false, Ordering::Release);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // b goes (its stream dropped: its lease given back).
    b.abort();
    until(Duration::from_secs(10), "a takes it back", || {
        held_by("replica-a")
    })
    .await;
    let run = fake
        .start_automation_run(&ids[0], RunStatus::Running)
        .unwrap();
    let t0 = Instant::now();
    loop {
        // Bounded in all, whatever else comes (a's errors while cut).
        let left = Duration::from_secs(5).saturating_sub(t0.elapsed());
        let got = tokio::time::timeout(left, rx.recv()).await;
        match got {
            Ok(Some(("a", id, "started"))) if id == run.id => break,
            Ok(Some(_)) => {}
            other => panic!(
                "a told nothing of {} in {:?}: {other:?}",
                run.id,
                t0.elapsed()
            ),
        }
    }
    a.abort();
}

// Seen on main at 6a29866: the automation was dropped (`Removed`,
// disabled) at the next look with its run in flight, and the run's
// finish was never told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_automations_runs_in_flight_are_followed_to_their_end() {
    let fake = common::fake().await;
    fake.seed_automation("busy", 0);
    fake.seed_automation("other", 0);
    let client = common::client(&fake.base_url());
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .start(StartAt::Running)
                    .poll_interval(Duration::from_millis(200)),
            )
            .max_staleness(Duration::from_millis(400))
            .discovery_interval(Duration::from_secs(1)),
    );
    let run = fake
        .start_automation_run("busy", RunStatus::Running)
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut next = async || next_by(&mut events, deadline).await;
    loop {
        if let TeamEvent::Run { event, .. } = next().await {
            assert_eq!((event.kind(), event.run_id()), ("started", run.id.as_str()));
            break;
        }
    }
    // Disabled with its run in flight, which ends a while later: the run
    // is followed to its end, then the automation dropped.
    fake.set_automation_status("busy", resend_workflows::AutomationStatus::Disabled);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    fake.set_run_status("busy", &run.id, RunStatus::Completed);
    let t0 = Instant::now();
    loop {
        match next().await {
            TeamEvent::Run { automation, event } => {
                assert_eq!(automation, "busy");
                assert_eq!(
                    (event.kind(), event.run_id()),
                    ("finished", run.id.as_str())
                );
                break;
            }
            TeamEvent::Removed { automation, .. } => {
                panic!(
                    "{automation} dropped before its run's end, after {:?}",
                    t0.elapsed()
                )
            }
            _ => {}
        }
    }
    // Then dropped, as disabled.
    loop {
        if let TeamEvent::Removed { automation, reason } = next().await {
            assert_eq!(
                (automation.as_str(), reason),
                ("busy", resend_workflows_watch::Removal::Disabled)
            );
            break;
        }
    }
}

// Seen in the simulation (tests/it/team_sim.rs, seed 792 as it stood):
// the look that dropped a disabled automation came while its watch's
// commit of the last finish was under way; the watch was dropped, the
// commit with it, and the next replica to watch the automation told that
// finish again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_automation_commits_the_finish_it_told() {
    let fake = common::fake().await;
    fake.seed_automation("busy", 0);
    let client = common::client(&fake.base_url());
    let store = MemoryStore::new();
    let cut = Cut::to(&store);
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .holder("replica-a")
                    .start(StartAt::Running)
                    .poll_interval(Duration::from_millis(200))
                    .lease_ttl(TTL)
                    .commit_every(500)
                    .store(cut.clone()),
            )
            .max_staleness(Duration::from_millis(400))
            .discovery_interval(Duration::from_secs(1)),
    );
    let run = fake
        .start_automation_run("busy", RunStatus::Running)
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut told = Vec::new();
    while told.len() < 2 {
        if let TeamEvent::Run { event, .. } = next_by(&mut events, deadline).await {
            told.push((event.kind(), event.run_id().to_owned()));
            // Disabled with its run in flight, which ends then.
            if told.len() == 1 {
                fake.set_automation_status("busy", resend_workflows::AutomationStatus::Disabled);
                fake.set_run_status("busy", &run.id, RunStatus::Completed);
            }
        }
    }
    assert_eq!(
        told,
        [("started", run.id.clone()), ("finished", run.id.clone())]
    );
    // The store slow: the commit of the finish is under way when the
    // look (due by now: the consumer worked past it) drops the automation.
    cut.slow.store(500, Ordering::Release);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    match next_by(&mut events, deadline).await {
        TeamEvent::Removed { automation, reason } => assert_eq!(
            (automation.as_str(), reason),
            ("busy", resend_workflows_watch::Removal::Disabled)
        ),
        other => panic!("{other:?}"),
    }
    cut.slow.store(0, Ordering::Release);
    until(Duration::from_secs(5), "the lease given back", || {
        store.holder("automations/busy/runs").is_none()
    })
    .await;
    let state = store.get("automations/busy/runs").expect("a state saved");
    let in_flight: Vec<&str> = state.in_flight().map(|(id, _)| id).collect();
    assert_eq!(in_flight, Vec::<&str>::new(), "its finish not committed");
}

// On main at 6a29866 there was no `TeamStream::shutdown` (a deploy could
// only drop the stream, and its next replica told again every event
// since each automation's last commit: up to `commit_every` each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_shutdown_commits_every_automations_events_and_the_next_replica_repeats_none() {
    let fake = common::fake().await;
    let ids = ids(3);
    let mut before = Vec::new();
    for id in &ids {
        fake.seed_automation(id, 0);
        for _ in 0..3 {
            before.push(
                fake.start_automation_run(id, RunStatus::Running)
                    .unwrap()
                    .id,
            );
        }
    }
    let client = common::client(&fake.base_url());
    let store = MemoryStore::new();
    /// The run ids of the next `n` run events.
    async fn runs(events: &mut TeamStream, n: usize) -> Vec<String> {
        let mut told = Vec::new();
        while told.len() < n {
            match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
                Ok(Some(Ok(TeamEvent::Run { event, .. }))) => {
                    assert_eq!(event.kind(), "started");
                    told.push(event.run_id().to_owned());
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("after {told:?}: {other:?}"),
            }
        }
        told.sort();
        told
    }
    let mut first = team(&client, &store, "svc-1", &ids);
    before.sort();
    assert_eq!(runs(&mut first, before.len()).await, before);
    // The consumer handled them all: the service stops cleanly, with each
    // automation's watch between two polls or in the middle of one.
    first.shutdown().await.unwrap();
    assert!(
        holders(&store, &ids).values().all(Option::is_none),
        "every lease given back: {:?}",
        holders(&store, &ids)
    );
    // The next replica takes over at once and tells only what is new.
    let t0 = Instant::now();
    let mut second = team(&client, &store, "svc-2", &ids);
    let new = fake
        .start_automation_run(&ids[1], RunStatus::Running)
        .unwrap();
    assert_eq!(runs(&mut second, 1).await, [new.id]);
    assert!(t0.elapsed() < TTL, "{:?}", t0.elapsed());
    second.shutdown().await.unwrap();
}
