//! The watch against the fake, on tokio's paused clock. A watch only runs
//! inside `next()`: between two calls nothing is in flight, so the fake is
//! changed there, and each call returns once the watch has seen it.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use resend_workflows::fake::FakeResend;
use resend_workflows::{
    AutomationRun, AutomationRunListItem, Client, Error as ClientError, RetryPolicy, RunStatus,
    WorkflowRunListItem,
};
use resend_workflows_watch::Error;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{
    MemoryStore, RunEvent, StartAt, WatchConfig, WatchErrorKind, WatchStream,
};
use tokio::time::Instant;

use crate::common;

const POLL: Duration = Duration::from_secs(5);

pub type Shown = (&'static str, String, String);

pub fn shown<R: resend_workflows::RunItem>(event: &RunEvent<R>) -> Shown {
    (
        event.kind(),
        event.run_id().to_owned(),
        event.status().to_string(),
    )
}

/// Requests a watch test may take: after them the fake answers one 403,
/// which the watch yields, and [`take`] fails with what it saw. A broken
/// watch that polls on without the events it owes (on the paused clock,
/// hundreds of polls a second) fails the test in seconds instead of
/// hanging it. (No timeout: a timer pending beside the watch's requests
/// would make tokio's paused clock jump to it while they travel.)
pub const BUDGET: usize = 2_000;

/// Waits (a millisecond of paused time at a step, 10,000 steps at most)
/// until `store` holds a commit under `key`.
pub async fn committed(store: &MemoryStore, key: &str) {
    for _ in 0..10_000 {
        if store.get(key).is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("nothing committed under {key}");
}

/// The next `n` events; a failed poll fails the test with what was seen.
pub async fn take<R: resend_workflows::RunItem>(
    events: &mut WatchStream<R>,
    n: usize,
) -> Vec<Shown> {
    let mut got = Vec::new();
    while got.len() < n {
        let event = match events.try_next().await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the watch ended after {got:?}"),
            Err(e) => panic!(
                "the watch failed with {e} after {} of {n}: {got:?}",
                got.len()
            ),
        };
        got.push(shown(&event));
    }
    got
}

pub fn started(id: &str, status: &str) -> Shown {
    ("started", id.to_owned(), status.to_owned())
}

pub fn finished(id: &str, status: &str) -> Shown {
    ("finished", id.to_owned(), status.to_owned())
}

/// Requests for `parent`'s runs the fake received since the last clear.
pub fn run_requests(fake: &FakeResend, parent: &str) -> usize {
    let prefix = format!("/automations/{parent}/runs");
    fake.requests()
        .iter()
        .filter(|r| r.path.starts_with(&prefix))
        .count()
}

/// A client for `fake`, which from now on answers [`BUDGET`] requests
/// before a 403.
pub fn client(fake: &FakeResend) -> Client {
    fake.fail_after(BUDGET, 403);
    common::paused_client(&fake.base_url(), RetryPolicy::default())
}

/// What a watch from the beginning first tells of three seeded runs
/// (newest first: running, completed, completed).
pub fn backfill_of_three(seeded: &[AutomationRun]) -> [Shown; 5] {
    [
        started(&seeded[0].id, "running"),
        started(&seeded[1].id, "completed"),
        finished(&seeded[1].id, "completed"),
        started(&seeded[2].id, "completed"),
        finished(&seeded[2].id, "completed"),
    ]
}

/// A watch of `id` from the beginning, polling every 5 s.
pub fn watch(client: &Client, id: &str, store: &MemoryStore) -> WatchStream<AutomationRunListItem> {
    client.watch_automation_runs(
        id,
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(store.clone()),
    )
}

#[tokio::test(start_paused = true)]
async fn the_beginning_comes_newest_first_then_new_runs_and_outcomes() {
    let fake = common::fake().await;
    let seeded = fake.seed_automation("a", 3); // newest first: running, completed, completed
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "a", &store);
    // The backfill: every existing run, newest first, held a page at a time.
    assert_eq!(take(&mut events, 5).await, backfill_of_three(&seeded));
    // Between polls: a run starts, another starts and fails at once, and
    // the seeded running run finishes. One poll reports all of it.
    let t0 = Instant::now();
    let x = fake.start_automation_run("a", RunStatus::Running).unwrap();
    let y = fake.start_automation_run("a", RunStatus::Running).unwrap();
    fake.set_run_status("a", &y.id, RunStatus::Failed);
    fake.set_run_status("a", &seeded[0].id, RunStatus::Completed);
    // What became of the runs in flight, then the new runs, oldest first.
    assert_eq!(
        take(&mut events, 4).await,
        [
            finished(&seeded[0].id, "completed"),
            started(&x.id, "running"),
            started(&y.id, "failed"),
            finished(&y.id, "failed"),
        ]
    );
    assert_eq!(t0.elapsed(), POLL, "one poll interval later");
    // A status the crate does not know is a change, never an end.
    fake.set_run_status("a", &x.id, RunStatus::Unknown("paused".into()));
    let event = events.try_next().await.unwrap().unwrap();
    assert_eq!(
        event,
        RunEvent::Changed {
            run: event.run().unwrap().clone(),
            from: RunStatus::Running
        }
    );
    assert_eq!(event.status(), &RunStatus::Unknown("paused".into()));
    fake.set_run_status("a", &x.id, RunStatus::Skipped);
    assert_eq!(take(&mut events, 1).await, [finished(&x.id, "skipped")]);
    // What was committed (the poll before this one) still tracked x.
    let committed = store.get("automations/a/runs").unwrap();
    let tracked: Vec<_> = committed.in_flight().collect();
    assert_eq!(
        tracked,
        [(x.id.as_str(), &RunStatus::Unknown("paused".into()))]
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_poll_costs_one_request_and_one_more_for_runs_in_flight_deep_in_the_list() {
    let fake = common::fake().await;
    let client = client(&fake);
    let mut costs = Vec::new();
    for in_flight in [0usize, 1, 500] {
        let id = format!("idle{in_flight}");
        fake.add_automation(&id, &[]);
        let store = MemoryStore::new();
        let mut events = watch(&client, &id, &store);
        let w = fake
            .start_automation_run(&id, RunStatus::Completed)
            .unwrap();
        for _ in 0..in_flight {
            fake.start_automation_run(&id, RunStatus::Running).unwrap();
        }
        // The first poll (a backfill, newest first) reports them all.
        let first = take(&mut events, 2 + in_flight).await;
        assert_eq!(
            first[in_flight..],
            [started(&w.id, "completed"), finished(&w.id, "completed")]
        );
        // Each later poll finds one new, finished run, and nothing else
        // changed: it costs what an idle poll costs. (A poll runs as its
        // events are asked for: from one new run to the next is one poll.)
        let mut z = fake
            .start_automation_run(&id, RunStatus::Completed)
            .unwrap();
        assert_eq!(
            take(&mut events, 2).await,
            [started(&z.id, "completed"), finished(&z.id, "completed")]
        );
        fake.clear_requests();
        z = fake
            .start_automation_run(&id, RunStatus::Completed)
            .unwrap();
        assert_eq!(
            take(&mut events, 2).await,
            [started(&z.id, "completed"), finished(&z.id, "completed")]
        );
        costs.push(run_requests(&fake, &id));
    }
    // The top page shows up to 100 runs in flight; the 400 below it cost
    // a page of the terminal listing (none of them finished).
    assert_eq!(
        costs,
        [1, 1, 2],
        "requests per idle poll with 0, 1 and 500 in flight"
    );
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_new_runs_cost_a_listing_request_per_hundred() {
    let fake = common::fake().await;
    fake.add_automation("busy", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "busy", &store);
    let tracked = fake
        .start_automation_run("busy", RunStatus::Running)
        .unwrap();
    take(&mut events, 1).await;
    fake.clear_requests();
    let mut ids = Vec::new();
    for _ in 0..10_000 {
        ids.push(
            fake.start_automation_run("busy", RunStatus::Completed)
                .unwrap()
                .id,
        );
    }
    let got = take(&mut events, 20_000).await;
    let started: Vec<&str> = got
        .iter()
        .filter(|(kind, ..)| *kind == "started")
        .map(|(_, id, _)| id.as_str())
        .collect();
    assert_eq!(started, ids, "every new run, oldest first, once");
    let requests = run_requests(&fake, "busy");
    eprintln!("watch: 10,000 new runs between two polls cost {requests} requests");
    assert_eq!(
        requests,
        100 + 1,
        "100 listing pages and the in-flight check"
    );
    let _ = tracked;
}

#[tokio::test(start_paused = true)]
async fn the_first_runs_of_an_empty_automation_are_listed_once() {
    // No run seen yet, so no cursor to go up from: one walk down, not a
    // walk down to the oldest and back up.
    let fake = common::fake().await;
    fake.add_automation("fresh", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "fresh", &store);
    let first = tokio::spawn(async move {
        let event = events.try_next().await;
        (event, events)
    });
    committed(&store, "automations/fresh/runs").await;
    fake.clear_requests();
    let ids: Vec<String> = (0..1_000)
        .map(|_| {
            fake.start_automation_run("fresh", RunStatus::Completed)
                .unwrap()
                .id
        })
        .collect();
    let (event, mut events) = first.await.unwrap();
    let Ok(Some(RunEvent::Started(newest))) = event else {
        panic!("{event:?}")
    };
    assert_eq!(newest.id, ids[999]);
    let got = take(&mut events, 1_999).await;
    let started: Vec<&str> = got
        .iter()
        .filter(|(kind, ..)| *kind == "started")
        .map(|(_, id, _)| id.as_str())
        .collect();
    // More than a page before any run was seen: read as a backfill,
    // newest first, a page per hundred, each page once.
    let newest_first: Vec<&str> = ids[..999].iter().rev().map(String::as_str).collect();
    assert_eq!(
        started, newest_first,
        "every run after the first, newest first"
    );
    assert_eq!(run_requests(&fake, "fresh"), 10, "ten pages of a hundred");
}

#[tokio::test(start_paused = true)]
async fn now_reports_only_what_comes_after_the_first_poll() {
    let fake = common::fake().await;
    let seeded = fake.seed_automation("n", 5);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = client.watch_automation_runs(
        "n",
        WatchConfig::default()
            .poll_interval(POLL)
            .store(store.clone()),
    );
    // The first poll happens inside the first `next()`: a task waits for
    // its baseline to be committed (yielding, so no time passes), and the
    // run starts after it.
    let first = tokio::spawn(async move {
        let event = events.try_next().await;
        (event, events)
    });
    committed(&store, "automations/n/runs").await;
    let x = fake.start_automation_run("n", RunStatus::Running).unwrap();
    let (event, _events) = first.await.unwrap();
    let event = event.unwrap().unwrap();
    assert_eq!(shown(&event), started(&x.id, "running"));
    assert!(seeded.iter().all(|r| r.id != x.id));
}

#[tokio::test(start_paused = true)]
async fn a_restart_resumes_from_the_store_and_repeats_only_what_was_not_committed() {
    let fake = common::fake().await;
    fake.add_automation("r", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "r", &store);
    let a = fake
        .start_automation_run("r", RunStatus::Completed)
        .unwrap();
    let b = fake.start_automation_run("r", RunStatus::Running).unwrap();
    // The first poll is the backfill, newest first.
    assert_eq!(
        take(&mut events, 3).await,
        [
            started(&b.id, "running"),
            started(&a.id, "completed"),
            finished(&a.id, "completed"),
        ]
    );
    // The consumer asks for more: the poll is committed; then it crashes
    // after one event of the next poll.
    let c = fake.start_automation_run("r", RunStatus::Running).unwrap();
    assert_eq!(take(&mut events, 1).await, [started(&c.id, "running")]);
    fake.set_run_status("r", &b.id, RunStatus::Completed);
    drop(events);
    // Restarted: its lease waits out the dead one's, then the poll whose
    // events were not committed comes again, with what happened since.
    let t0 = Instant::now();
    let mut events = watch(&client, "r", &store);
    assert_eq!(
        take(&mut events, 2).await,
        [finished(&b.id, "completed"), started(&c.id, "running")]
    );
    assert!(
        t0.elapsed() <= resend_workflows_watch::DEFAULT_LEASE_TTL,
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_vanished_newest_run_falls_back_to_a_scan_and_reports_nothing_twice() {
    let fake = common::fake().await;
    fake.add_automation("v", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "v", &store);
    let a = fake
        .start_automation_run("v", RunStatus::Completed)
        .unwrap();
    let b = fake
        .start_automation_run("v", RunStatus::Completed)
        .unwrap();
    take(&mut events, 4).await;
    // The newest run seen is deleted, then new runs come.
    fake.delete_run("v", &b.id);
    let c = fake.start_automation_run("v", RunStatus::Running).unwrap();
    let d = fake
        .start_automation_run("v", RunStatus::Completed)
        .unwrap();
    assert_eq!(
        take(&mut events, 3).await,
        [
            started(&c.id, "running"),
            started(&d.id, "completed"),
            finished(&d.id, "completed")
        ]
    );
    // And the watch goes on from the new newest run.
    let e = fake
        .start_automation_run("v", RunStatus::Completed)
        .unwrap();
    assert_eq!(take(&mut events, 1).await, [started(&e.id, "completed")]);
    let _ = a;
}

#[tokio::test(start_paused = true)]
async fn errors_are_items_and_the_watch_goes_on() {
    let fake = common::fake().await;
    fake.add_automation("e", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut events = watch(&client, "e", &store);
    let a = fake.start_automation_run("e", RunStatus::Running).unwrap();
    take(&mut events, 1).await;
    // A non-retryable answer to the next poll's first request.
    fake.fail_next(1, 403);
    let b = fake
        .start_automation_run("e", RunStatus::Completed)
        .unwrap();
    match events.next().await {
        Some(Err(Error::Client(ClientError::Api(e)))) => assert_eq!(e.status().as_u16(), 403),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        take(&mut events, 2).await,
        [started(&b.id, "completed"), finished(&b.id, "completed")]
    );
    let _ = a;
}

#[tokio::test(start_paused = true)]
async fn a_state_saved_for_another_collection_is_a_typed_error() {
    let fake = common::fake().await;
    fake.add_automation("s", &[]);
    fake.add_workflow("s", &[]);
    let client = client(&fake);
    let store = MemoryStore::new();
    let mut automations = watch(&client, "s", &store);
    fake.start_automation_run("s", RunStatus::Completed)
        .unwrap();
    take(&mut automations, 2).await;
    // Asking for more commits that poll.
    fake.start_automation_run("s", RunStatus::Completed)
        .unwrap();
    take(&mut automations, 2).await;
    // A different collection uses a different key: no clash...
    let mut workflows = client.watch_workflow_runs(
        "s",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(store.clone()),
    );
    let w = fake.start_workflow_run("s", RunStatus::Running).unwrap();
    let event: RunEvent<WorkflowRunListItem> = workflows.try_next().await.unwrap().unwrap();
    assert_eq!(shown(&event), started(&w.id, "running"));
    // ...while a state under the wrong key is refused, and ends the watch.
    let saved = store.get("automations/s/runs").unwrap();
    let wrong = MemoryStore::new();
    let key = "automations/other/runs";
    use resend_workflows_watch::StateStore;
    let ttl = Duration::from_secs(60);
    let resend_workflows_watch::Lease::Held { token, .. } =
        wrong.acquire(key, "me", ttl).await.unwrap()
    else {
        panic!("a fresh store's lease is free");
    };
    assert_eq!(
        wrong.commit(key, "me", token, ttl, &saved).await.unwrap(),
        resend_workflows_watch::Renewal::Held
    );
    tokio::time::sleep(ttl * 2).await;
    let mut other = watch(&client, "other", &wrong);
    match other.next().await {
        Some(Err(Error::Watch(e))) => assert!(
            matches!(e.kind(), WatchErrorKind::StateMismatch { .. }),
            "{e}"
        ),
        item => panic!("{item:?}"),
    }
    assert!(other.next().await.is_none());
}

#[tokio::test]
async fn bad_arguments_are_the_only_item() {
    let client = common::client("http://127.0.0.1:9");
    for (mut events, parameter) in [
        (
            client.watch_automation_runs("a/b", WatchConfig::default()),
            "automation_id",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().poll_interval(Duration::ZERO)),
            "poll_interval",
        ),
        (
            client.watch_automation_runs(
                "a",
                WatchConfig::default()
                    .poll_interval(Duration::from_secs(60))
                    .lease_ttl(Duration::from_secs(30)),
            ),
            "lease_ttl",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().commit_every(0)),
            "commit_every",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().max_pages_per_poll(0)),
            "max_pages_per_poll",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().backfill_pages(0)),
            "backfill_pages",
        ),
        (
            client.watch_automation_runs(
                "a",
                WatchConfig::default()
                    .max_pages_per_poll(5)
                    .backfill_pages(6),
            ),
            "backfill_pages",
        ),
        (
            client.watch_automation_runs(
                "a",
                WatchConfig::default().budget(resend_workflows::Budget::Share(1.5)),
            ),
            "budget",
        ),
        (
            client.watch_automation_runs(
                "a",
                WatchConfig::default().budget(resend_workflows::Budget::PerSecond(0.0)),
            ),
            "budget",
        ),
        (
            client
                .watch_automation_runs("a", WatchConfig::default().steps_for([RunStatus::Running])),
            "steps_for",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().holder("")),
            "holder",
        ),
        (
            client.watch_automation_runs("a", WatchConfig::default().holder("a b")),
            "holder",
        ),
    ] {
        match events.next().await {
            Some(Err(Error::Client(ClientError::InvalidArgument(e)))) => {
                assert_eq!(e.parameter(), parameter);
            }
            other => panic!("{other:?}"),
        }
        assert!(events.next().await.is_none());
    }
}
