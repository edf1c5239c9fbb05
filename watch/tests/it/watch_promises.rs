//! The watch's promises in their slow cases, on tokio's paused clock: a
//! consumer slower than the lease, a backlog longer than the lease at a
//! team limit of 2 requests a second with restarts, a restart that takes
//! its lease back at once, a collection that is not there. (Each failed on
//! the watch before the lease was kept by heartbeat: see the issue "The
//! watch keeps its promises".)

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::{RetryPolicy, RunStatus};
use resend_workflows_watch::Error;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{
    FileStore, Lease, MemoryStore, StartAt, StateStore, WatchConfig, WatchErrorKind,
};
use tokio::time::Instant;

use crate::common;
use crate::watch::{BUDGET, take};

const POLL: Duration = Duration::from_secs(5);

/// Events `runs` (newest first) owe a watch from the beginning: a start
/// each, and a finish for each final one.
fn owed(runs: &[resend_workflows::AutomationRun]) -> usize {
    runs.len() + runs.iter().filter(|r| r.status.is_terminal()).count()
}

// A lone watch (the default MemoryStore) whose consumer spent 1 s per
// event once ended after 130 events with LeaseLost, and then returned
// None: nobody held the lease.
#[tokio::test(start_paused = true)]
async fn a_consumer_slower_than_the_lease_keeps_it() {
    let fake = common::fake().await;
    let runs = fake.seed_automation("slow", 120);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let store = MemoryStore::new();
    let mut events = client.watch_automation_runs(
        "slow",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(POLL)
            .lease_ttl(Duration::from_secs(60))
            .commit_every(50)
            .store(store.clone()),
    );
    let t0 = Instant::now();
    let mut seen = 0;
    let mut commits = 0;
    let mut last = None;
    while seen < owed(&runs) {
        match events.next().await {
            Some(Ok(_)) => seen += 1,
            other => panic!("after {seen} events: {other:?}"),
        }
        // The consumer works a second on each event.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = store.get("automations/slow/runs");
        if now != last {
            commits += 1;
            last = now;
        }
    }
    let elapsed = t0.elapsed();
    // 120 runs, 102 of them final (a start each, and a finish).
    assert_eq!(seen, 222);
    assert!(elapsed >= Duration::from_secs(222), "{elapsed:?}");
    // The lease outlived the consumer's four minutes, three times its
    // time-to-live, and the poll was committed in chunks as it went.
    assert_eq!(
        store.holder("automations/slow/runs").as_deref(),
        Some(events.holder())
    );
    assert!(commits >= 4, "{commits} commits");
}

// A backlog longer than the lease was never committed: 15,000 runs at 2
// requests a second with a FileStore, and every restart started over.
#[tokio::test(start_paused = true)]
async fn a_backlog_longer_than_the_lease_is_committed_as_it_goes_and_finishes() {
    let fake = common::fake().await;
    fake.add_automation("backlog", &[]);
    let ids: Vec<String> = (0..15_000)
        .map(|_| {
            fake.start_automation_run("backlog", RunStatus::Completed)
                .unwrap()
                .id
        })
        .collect();
    fake.enforce_rate_limit(2, Duration::from_secs(1));
    let dir = common::TempDir::new("resend-backlog");
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let mut started: Vec<String> = Vec::new();
    let mut unique: HashSet<String> = HashSet::new();
    let mut rounds = 0;
    let t0 = Instant::now();
    while unique.len() < ids.len() {
        rounds += 1;
        assert!(rounds <= 4, "no progress: {} started", started.len());
        let known = unique.clone();
        let mut again = 0;
        let mut events = client.watch_automation_runs(
            "backlog",
            WatchConfig::default()
                .start(StartAt::Beginning)
                .poll_interval(POLL)
                .lease_ttl(Duration::from_secs(30))
                .store(FileStore::new(dir.path())),
        );
        // Each process takes 12,000 events, then crashes (no shutdown).
        for _ in 0..12_000 {
            match events.next().await {
                Some(Ok(event)) if event.kind() == "started" => {
                    let id = event.run_id().to_owned();
                    again += usize::from(known.contains(&id));
                    if unique.insert(id.clone()) {
                        started.push(id);
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("round {rounds}: {other:?}"),
            }
            if unique.len() == ids.len() {
                break;
            }
        }
        drop(events);
        // A restart repeats at most what followed the last commit: one
        // chunk (500 events: 250 runs).
        assert!(again <= 250, "round {rounds} repeated {again} runs");
    }
    // Every run, across the restarts: a backfill, newest first.
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    // (Compared by position: a mismatch prints where, not 15,000 ids.)
    let first_off = started.iter().zip(&newest_first).position(|(a, b)| a != b);
    assert_eq!(first_off, None, "the order breaks there");
    assert_eq!(started.len(), newest_first.len());
    assert_eq!(rounds, 3);
    let (_, late) = fake.rate_limited();
    eprintln!(
        "backlog: 15,000 runs at 2 requests/s in {rounds} rounds, {:?} of paused time, {late} late 429s",
        t0.elapsed()
    );
}

// A restarted process waited out its own lease: nobody else could poll
// for up to the time-to-live after every deploy.
#[tokio::test(start_paused = true)]
async fn a_restart_takes_the_lease_back_at_once() {
    let fake = common::fake().await;
    fake.add_automation("deploy", &[]);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let store = MemoryStore::new();
    let key = "automations/deploy/runs";
    let ttl = Duration::from_secs(60);
    let watch = |holder: &str| {
        client.watch_automation_runs(
            "deploy",
            WatchConfig::default()
                .start(StartAt::Beginning)
                .poll_interval(POLL)
                .lease_ttl(ttl)
                .holder(holder)
                .store(store.clone()),
        )
    };
    // A watch dropped gives its lease back: the next one starts at once.
    let a = fake
        .start_automation_run("deploy", RunStatus::Running)
        .unwrap();
    let mut first = watch("svc-1");
    assert_eq!(take(&mut first, 1).await[0].1, a.id);
    drop(first);
    tokio::task::yield_now().await;
    assert_eq!(store.holder(key), None, "released");
    let b = fake
        .start_automation_run("deploy", RunStatus::Running)
        .unwrap();
    let t0 = Instant::now();
    let mut second = watch("svc-2");
    // The first's poll was not committed (nobody asked for more): it comes
    // again, with what started since, newest first as a backfill reads.
    let got = take(&mut second, 2).await;
    assert_eq!(
        (got[0].1.as_str(), got[1].1.as_str()),
        (b.id.as_str(), a.id.as_str())
    );
    assert_eq!(t0.elapsed(), Duration::ZERO);
    // A process that died holding the lease: another waits it out...
    drop(second);
    tokio::task::yield_now().await;
    assert!(matches!(
        store.acquire(key, "svc-dead", ttl).await.unwrap(),
        Lease::Held { .. }
    ));
    let t0 = Instant::now();
    let mut other = watch("svc-3");
    take(&mut other, 1).await;
    assert!(t0.elapsed() >= ttl, "{:?}", t0.elapsed());
    drop(other);
    tokio::task::yield_now().await;
    // ...while the same holder, restarted, takes it back at once.
    assert!(matches!(
        store.acquire(key, "svc-dead", ttl).await.unwrap(),
        Lease::Held { .. }
    ));
    let t0 = Instant::now();
    let mut restarted = watch("svc-dead");
    take(&mut restarted, 2).await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    // A clean shutdown commits what was yielded and releases: the next
    // watch repeats nothing.
    restarted.shutdown().await.unwrap();
    assert_eq!(store.holder(key), None);
    let c = fake
        .start_automation_run("deploy", RunStatus::Completed)
        .unwrap();
    let mut next = watch("svc-4");
    let got = take(&mut next, 2).await;
    assert_eq!(
        got.iter().map(|g| (g.0, g.1.as_str())).collect::<Vec<_>>(),
        [("started", c.id.as_str()), ("finished", c.id.as_str())]
    );
}

// A watch on an automation that does not exist once yielded a 404 on
// every poll, forever.
#[tokio::test(start_paused = true)]
async fn a_collection_that_is_not_there_ends_the_watch_once_confirmed() {
    let fake = common::fake().await;
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let mut events = client.watch_automation_runs(
        "nonexistent",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(POLL),
    );
    let t0 = Instant::now();
    let mut items = Vec::new();
    while let Some(item) = events.next().await {
        items.push(item);
        assert!(items.len() <= 3, "{items:?}");
    }
    let ends: Vec<bool> = items
        .iter()
        .map(|i| i.as_ref().err().is_some_and(Error::ends_watch))
        .collect();
    // One 404 is not enough: a second, a poll later, confirms it.
    assert_eq!(ends, [false, false, true], "{items:?}");
    assert_eq!(t0.elapsed(), POLL);
    match &items[2] {
        Err(Error::Watch(e)) => assert_eq!(
            e.kind(),
            &WatchErrorKind::CollectionNotFound {
                collection: "automations/nonexistent/runs".into()
            }
        ),
        other => panic!("{other:?}"),
    }
    for item in &items[..2] {
        let status = item.as_ref().err().and_then(Error::status);
        assert_eq!(status.map(|s| s.as_u16()), Some(404), "{item:?}");
    }
    // A 404 and then an answer: not confirmed, the watch goes on.
    fake.add_automation("flaky", &[]);
    fake.fail_next(1, 404);
    let mut events = client.watch_automation_runs(
        "flaky",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(POLL),
    );
    assert!(events.next().await.unwrap().is_err());
    let x = fake
        .start_automation_run("flaky", RunStatus::Running)
        .unwrap();
    assert_eq!(take(&mut events, 1).await[0].1, x.id);
}

// FileStore did its file work on the runtime's thread: with the state
// file on a device that stalls (a FIFO nobody writes for 2 s), a timeout
// of 200 ms elsewhere on the runtime returned after 1.97 s, and a 10 ms
// ticker ticked 4 times instead of ~197. (Real time: a stalled disk is
// what this is about.)
#[test]
fn a_stalled_disk_leaves_the_runtime_free() {
    let dir = common::TempDir::new("resend-fifo");
    let store = FileStore::new(dir.path());
    let key = "automations/stalled/runs";
    let fifo = store.path(key);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            std::thread::sleep(Duration::from_secs(2));
            // Opening it for writing lets the read go on; an empty state
            // is an error, reported, never a fresh start.
            drop(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap());
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ticks, timed_out_after, acquired) = rt.block_on(async {
        // The clock starts before the read does: a read on the runtime's
        // thread stalls the very first await below.
        let t0 = std::time::Instant::now();
        let acquire = tokio::spawn(async move {
            store
                .acquire(key, "h", Duration::from_secs(30))
                .await
                .map(|_| ())
        });
        let timed_out = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::time::sleep(Duration::from_secs(10)),
        )
        .await;
        assert!(timed_out.is_err());
        let timed_out_after = t0.elapsed();
        let mut ticker = tokio::time::interval(Duration::from_millis(10));
        let mut ticks = 0;
        while t0.elapsed() < Duration::from_millis(1_900) {
            ticker.tick().await;
            ticks += 1;
        }
        (ticks, timed_out_after, acquire.await.unwrap())
    });
    writer.join().unwrap();
    assert!(
        timed_out_after < Duration::from_millis(400),
        "{timed_out_after:?}"
    );
    // 170 of the ~170 ticks left after the timeout, on a loaded machine
    // fewer: far more than the 4 of a blocked runtime.
    assert!(ticks >= 100, "{ticks} ticks");
    let err = acquired.unwrap_err().to_string();
    assert!(err.contains("not a whole watch state"), "{err}");
}

/// Two replicas on `store` whose polls outlast the lease (600 ms a page,
/// 3 pages, a time-to-live of 1.5 s), in real time: the holder keeps the
/// lease while it polls, so exactly one replica delivers each run, and
/// nobody loses the lease. (Both once delivered the same 300 runs, then
/// both stopped.)
pub async fn replicas_with_long_polls(store: impl StateStore + Clone) {
    let fake = common::fake().await;
    let runs = fake.seed_automation("long", 300);
    fake.set_latency(Duration::from_millis(600)).await;
    let client = common::client(&fake.base_url());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watchers = Vec::new();
    for replica in 0..2 {
        let mut events = client.watch_automation_runs(
            "long",
            WatchConfig::default()
                .start(StartAt::Beginning)
                .poll_interval(Duration::from_millis(200))
                .lease_ttl(Duration::from_millis(1500))
                .store(store.clone()),
        );
        let tx = tx.clone();
        watchers.push(tokio::spawn(async move {
            while let Some(item) = events.next().await {
                let seen = item.map(|e| (e.kind(), e.run_id().to_owned()));
                if tx.send((replica, seen.map_err(|e| e.to_string()))).is_err() {
                    return;
                }
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut started: Vec<(usize, String)> = Vec::new();
    while started.len() < runs.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some((replica, Ok(("started", id))))) => started.push((replica, id)),
            Ok(Some((_, Ok(_)))) => {}
            Ok(Some((replica, Err(e)))) => panic!("replica {replica}: {e}"),
            other => panic!("{} of {} started: {other:?}", started.len(), runs.len()),
        }
    }
    // Three more polls' time: nobody repeats, nobody loses the lease.
    tokio::time::sleep(Duration::from_secs(2)).await;
    while let Ok((replica, item)) = rx.try_recv() {
        match item {
            Ok(("started", id)) => started.push((replica, id)),
            Ok(_) => {}
            Err(e) => panic!("replica {replica}: {e}"),
        }
    }
    let by: HashSet<usize> = started.iter().map(|(r, _)| *r).collect();
    let ids: HashSet<&String> = started.iter().map(|(_, id)| id).collect();
    assert_eq!(by.len(), 1, "both replicas delivered: {by:?}");
    assert_eq!((started.len(), ids.len()), (300, 300), "each run once");
    for watcher in watchers {
        watcher.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_memory_store_whose_polls_outlast_the_lease_deliver_each_run_once() {
    replicas_with_long_polls(MemoryStore::new()).await;
}

/// A run as the list endpoints send it: created `secs` after the hour,
/// or at `created` verbatim.
fn run_at(id: &str, status: &str, created: &str) -> String {
    format!(r#"{{"id":"{id}","status":"{status}","created_at":"{created}"}}"#)
}

fn page_of(has_more: bool, runs: &[String]) -> String {
    format!(
        r#"{{"object":"list","has_more":{has_more},"data":[{}]}}"#,
        runs.join(",")
    )
}

// Issue 28, case 12: one run whose `created_at` is PostgreSQL's
// "infinity" failed the whole page: every poll failed, and the runs
// started after it were never told while it stayed on the top page.
#[tokio::test(start_paused = true)]
async fn a_run_that_does_not_decode_is_one_error_and_the_others_are_told() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::common::raw::{self, Action};

    let t = |s: u32| format!("2026-01-01T00:00:{s:02}Z");
    let a = run_at("a", "completed", &t(0));
    let b = run_at("b", "completed", &t(1));
    let c = run_at("c", "completed", &t(3));
    let bad = run_at("bad", "completed", "infinity");
    let d = run_at("d", "running", &t(4));
    let e = run_at("e", "completed", &t(5));
    let pages = [
        page_of(false, &[b.clone(), a.clone()]),
        page_of(
            false,
            &[d.clone(), bad.clone(), c.clone(), b.clone(), a.clone()],
        ),
        page_of(false, &[e, d, bad.clone(), c, b, a]),
    ];
    let phase = Arc::new(AtomicUsize::new(0));
    let at = phase.clone();
    let server = raw::start(move |_, _| {
        let page = &pages[at.load(Ordering::SeqCst).min(2)];
        Action::Raw(raw::json(200, &[], page))
    })
    .await;
    let client = common::paused_client(&server.base_url, RetryPolicy::disabled());
    let mut events =
        client.watch_automation_runs("auto", WatchConfig::default().poll_interval(POLL));
    // The start: nothing told. Then the page with the bad record.
    let _ = tokio::time::timeout(POLL / 2, events.next()).await;
    phase.store(1, Ordering::SeqCst);
    let mut told = Vec::new();
    let mut errors = Vec::new();
    let t0 = Instant::now();
    while told.len() < 4 {
        assert!(t0.elapsed() < POLL * 10, "told {told:?}, errors {errors:?}");
        match events.next().await {
            Some(Ok(event)) => told.push(format!("{} {}", event.kind(), event.run_id())),
            Some(Err(e)) => {
                assert!(!e.ends_watch(), "{e}");
                errors.push(e);
            }
            None => panic!("the watch ended"),
        }
        if told.len() == 3 {
            phase.store(2, Ordering::SeqCst);
        }
    }
    assert_eq!(
        told,
        ["started c", "finished c", "started d", "started e"],
        "errors: {errors:?}"
    );
    assert_eq!(errors.len(), 1, "once: {errors:?}");
    assert!(errors[0].is_bad_record() && !errors[0].is_retryable());
    let record = errors[0].as_bad_record().unwrap();
    assert_eq!(
        (record.id(), record.field(), record.index(), record.raw()),
        (Some("bad"), "created_at", 1, bad.as_str())
    );
    let shown = errors[0].to_string();
    assert!(
        shown.contains("\"bad\"") && shown.contains("created_at"),
        "{shown}"
    );
}

// Issue 28, case 13: a server that sends the same page whatever the
// cursor (`has_more` set) was read to the page cap on every poll: 8 polls
// cost 4,041 requests.
#[tokio::test(start_paused = true)]
async fn a_server_repeating_its_page_costs_a_request_or_two_a_poll() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::common::raw::{self, Action};

    // 150 runs, newest first; the oldest is running.
    let runs: Vec<String> = (0..150)
        .rev()
        .map(|i| {
            let status = if i == 0 { "running" } else { "completed" };
            let created = format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
            run_at(&format!("r{i:03}"), status, &created)
        })
        .collect();
    let looping = Arc::new(AtomicBool::new(false));
    let on = looping.clone();
    let server = raw::start(move |req, _| {
        let after = req
            .target
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("after="))
            .and_then(|c| runs.iter().position(|r| r.contains(&format!("\"{c}\""))));
        let from = match after {
            Some(i) if !on.load(Ordering::SeqCst) => i + 1,
            _ => 0,
        };
        let page: Vec<String> = runs.iter().skip(from).take(100).cloned().collect();
        let more = on.load(Ordering::SeqCst) || from + 100 < runs.len();
        Action::Raw(raw::json(200, &[], &page_of(more, &page)))
    })
    .await;
    let client = common::paused_client(&server.base_url, RetryPolicy::disabled());
    let mut events = client.watch_automation_runs(
        "auto",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(POLL),
    );
    // Every run told: the oldest followed, in flight.
    let mut told = 0;
    while told < 150 + 149 {
        match events.next().await {
            Some(Ok(_)) => told += 1,
            other => panic!("after {told}: {other:?}"),
        }
    }
    looping.store(true, Ordering::SeqCst);
    let before = server.requests.load(Ordering::SeqCst);
    let mut errors = Vec::new();
    while errors.len() < 8 {
        match events.next().await {
            Some(Err(e)) => {
                assert!(!e.ends_watch(), "{e}");
                errors.push(e.to_string());
            }
            Some(Ok(event)) => panic!("{event:?}"),
            None => panic!("the watch ended"),
        }
    }
    let spent = server.requests.load(Ordering::SeqCst) - before;
    assert!((8..=24).contains(&spent), "{spent} requests: {errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("cycle") || e.contains("again")),
        "{errors:?}"
    );
}

// Issue 28, case 2, against the fake: the run at the backfill's cursor
// deleted, the fake refuses the cursor with a 422; the backfill stopped
// there for good, 100 of 349 runs told and one error a poll.
#[tokio::test(start_paused = true)]
async fn a_deleted_run_at_the_backfill_cursor_is_passed_and_every_run_told() {
    let fake = common::fake().await;
    let runs = fake.seed_automation("deleted", 349);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let mut events = client.watch_automation_runs(
        "deleted",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .backfill_pages(1)
            .poll_interval(POLL),
    );
    let mut started = HashSet::new();
    let mut seen = 0;
    // The first poll: the top page, newest first.
    while seen < owed(&runs[..100]) {
        match events.next().await {
            Some(Ok(event)) => {
                seen += 1;
                if event.kind() == "started" {
                    started.insert(event.run_id().to_owned());
                }
            }
            other => panic!("after {seen}: {other:?}"),
        }
    }
    assert!(fake.delete_run("deleted", &runs[99].id));
    fake.clear_requests();
    while seen < owed(&runs) {
        match events.next().await {
            Some(Ok(event)) => {
                seen += 1;
                if event.kind() == "started" {
                    assert!(
                        started.insert(event.run_id().to_owned()),
                        "twice: {event:?}"
                    );
                }
            }
            other => panic!("after {seen} of {}: {other:?}", owed(&runs)),
        }
    }
    assert_eq!(started.len(), 349);
    // Each poll, the top page and a page of the backfill: the refused
    // cursor costs a request and a page read again (the top page, all
    // but one of its runs read already): 12 requests where 8 were left.
    let requests = fake.requests().len();
    assert!((8..=12).contains(&requests), "{requests} requests");
}

// Issue 28, case 4, against the fake: runs stamped ahead of the server's
// clock (87 s, 32 s, an hour, an hour and 10 s); the ten runs created
// after them were never told.
#[tokio::test(start_paused = true)]
async fn runs_stamped_ahead_never_hide_the_runs_created_after_them() {
    let fake = common::fake().await;
    let runs = fake.seed_automation("ahead", 20);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let mut events = client.watch_automation_runs(
        "ahead",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(POLL),
    );
    for _ in 0..owed(&runs) {
        assert!(matches!(events.next().await, Some(Ok(_))));
    }
    let now = chrono::Utc::now();
    let ahead: Vec<String> = [87, 32, 3_600, 3_610]
        .into_iter()
        .map(|secs| {
            let at = now + chrono::Duration::seconds(secs);
            fake.insert_automation_run("ahead", RunStatus::Completed, at.into())
                .unwrap()
                .id
        })
        .collect();
    async fn next(
        events: &mut resend_workflows_watch::WatchStream<resend_workflows::AutomationRunListItem>,
    ) -> String {
        match events.next().await {
            Some(Ok(event)) => format!("{} {}", event.kind(), event.run_id()),
            other => panic!("{other:?}"),
        }
    }
    // Oldest first: by their stamps.
    for i in [1, 0, 2, 3] {
        assert_eq!(next(&mut events).await, format!("started {}", ahead[i]));
        assert_eq!(next(&mut events).await, format!("finished {}", ahead[i]));
    }
    for _ in 0..10 {
        let run = fake
            .start_automation_run("ahead", RunStatus::Running)
            .unwrap();
        assert_eq!(next(&mut events).await, format!("started {}", run.id));
    }
}
