//! `StartAt::Running` when the first look is held back: the runs running
//! at the watch's first look are told `Started`, then `Finished`, though
//! they finish before the watch's next request (watch/benches/overhead/polite.rs:
//! the team's sends fill its limit, the budget holds the watch back for
//! 10 to 15 s after its first look, and the runs it saw running there were
//! never told).
//!
//! In real time, on a budget of one request every 2 s: the first look's
//! top page, then, 2 s later, the rest of it. The runs finish in between.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{Stream, StreamExt};
use resend_workflows::fake::FakeResend;
use resend_workflows::{Budget, RunStatus};
use resend_workflows_watch::{
    MemoryStore, RunEvent, StartAt, TeamConfig, TeamEvent, WatchClient, WatchConfig,
};

use crate::common;

/// One request every 2 s: the first look's second request comes 2 s after
/// its first.
const SLOW: Budget = Budget::PerSecond(0.5);

/// What the watch told: (kind, run id).
type Told = BTreeSet<(&'static str, String)>;

/// The arrival of `automation`'s first top listing, once it came.
fn first_look(fake: &FakeResend, automation: &str) -> Option<std::time::Instant> {
    let path = format!("/automations/{automation}/runs");
    fake.requests()
        .into_iter()
        .find(|r| r.path == path && r.param("status").is_none() && r.param("after").is_none())
        .map(|r| r.at)
}

/// The arrival of `automation`'s first running listing, once it came.
fn running_look(fake: &FakeResend, automation: &str) -> Option<std::time::Instant> {
    let path = format!("/automations/{automation}/runs");
    fake.requests()
        .into_iter()
        .find(|r| r.path == path && r.param("status") == Some("running"))
        .map(|r| r.at)
}

/// Drives `events` until the watch has made its first look at `automation`
/// (its top page), then finishes `runs` at once, before the watch's next
/// request (the budget holds it back); then takes what is told until
/// `expected` is, or `span` passes.
async fn finish_after_first_look<S, E, X>(
    fake: &FakeResend,
    events: &mut S,
    automation: &str,
    runs: &[String],
    tell: impl Fn(&mut Told, E),
    expected: &Told,
    span: Duration,
) -> Told
where
    S: Stream<Item = Result<E, X>> + Unpin,
    X: std::fmt::Display,
{
    let mut told = Told::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while first_look(fake, automation).is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no first look");
        let step = tokio::time::sleep(Duration::from_millis(5));
        tokio::select! {
            () = step => {}
            item = events.next() => match item {
                Some(Ok(event)) => tell(&mut told, event),
                Some(Err(e)) => panic!("unexpected error: {e}"),
                None => panic!("the watch ended"),
            },
        }
    }
    for run in runs {
        assert!(fake.set_run_status(automation, run, RunStatus::Completed));
    }
    let finished = std::time::Instant::now();
    let end = tokio::time::sleep(span);
    tokio::pin!(end);
    while !expected.is_subset(&told) {
        tokio::select! {
            () = &mut end => break,
            item = events.next() => match item {
                Some(Ok(event)) => tell(&mut told, event),
                Some(Err(e)) => panic!("unexpected error: {e}"),
                None => panic!("the watch ended"),
            },
        }
    }
    // The case holds only if the runs finished before the first look's
    // running listing (the budget held it back).
    let running = running_look(fake, automation).expect("the running listing was read");
    assert!(
        running > finished,
        "the running listing came before the runs finished: the budget did not hold it back"
    );
    told
}

fn expected(runs: &[String]) -> Told {
    runs.iter()
        .flat_map(|id| [("started", id.clone()), ("finished", id.clone())])
        .collect()
}

/// A fake with automation `a`: a run finished before the watch, two
/// running.
async fn two_running() -> (common::Fake, Vec<String>) {
    let fake = common::fake().await;
    fake.seed_automation("a", 0);
    fake.start_automation_run("a", RunStatus::Completed)
        .unwrap();
    let runs: Vec<String> = (0..2)
        .map(|_| {
            fake.start_automation_run("a", RunStatus::Running)
                .unwrap()
                .id
        })
        .collect();
    fake.fail_after(2_000, 403);
    (fake, runs)
}

/// One options value for both watches: from the runs running, each
/// request held back (`SLOW`), polls a second apart.
fn held_back() -> WatchConfig {
    WatchConfig::default()
        .start(StartAt::Running)
        .budget(SLOW)
        .poll_interval(Duration::from_secs(1))
        .store(MemoryStore::new())
}

#[tokio::test]
async fn a_team_watch_from_the_runs_running_tells_their_finish_when_held_back_after_its_first_look()
{
    let (fake, runs) = two_running().await;
    let client = common::client(&fake.base_url());
    let mut events = client.watch_automations(TeamConfig::default().watch(held_back()));
    let want = expected(&runs);
    let told = finish_after_first_look(
        &fake,
        &mut events,
        "a",
        &runs,
        |told, event| {
            if let TeamEvent::Run { automation, event } = event {
                assert_eq!(automation, "a");
                told.insert((event.kind(), event.run_id().to_owned()));
            }
        },
        &want,
        Duration::from_secs(12),
    )
    .await;
    assert_eq!(told, want);
}

#[tokio::test]
async fn a_watch_from_the_runs_running_tells_their_finish_when_held_back_after_its_first_look() {
    let (fake, runs) = two_running().await;
    let client = common::client(&fake.base_url());
    let mut events = client.watch_automation_runs("a", held_back());
    let want = expected(&runs);
    let told = finish_after_first_look(
        &fake,
        &mut events,
        "a",
        &runs,
        |told, event: RunEvent<_>| {
            told.insert((event.kind(), event.run_id().to_owned()));
        },
        &want,
        Duration::from_secs(12),
    )
    .await;
    assert_eq!(told, want);
}
