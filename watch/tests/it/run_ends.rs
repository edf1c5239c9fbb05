//! Every run's `Started` comes first and its `Finished` (or `Gone`) last,
//! whatever falls between them: a shutdown, a commit of a long poll, a
//! crash. A run first seen already final is told `Started` then
//! `Finished`; a commit between the two keeps the run tracked, so the
//! next process tells its `Finished` (issue "The team watch keeps its
//! promises", case 1: the saved state knew the run and did not track it,
//! and nobody looked for it again).

use std::time::Duration;

use futures::StreamExt;
use resend_workflows::{RetryPolicy, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{MemoryStore, StartAt, WatchConfig};

use crate::common;
use crate::watch::{BUDGET, Shown, finished, started, take};

const POLL: Duration = Duration::from_secs(5);

/// What the watch tells before the fake refuses a request, `requests`
/// from now (no timeout: a timer beside the watch's requests would move
/// the paused clock during them), or its first `n` events.
async fn told_in<R: resend_workflows::RunItem>(
    fake: &resend_workflows::fake::FakeResend,
    events: &mut resend_workflows_watch::WatchStream<R>,
    n: usize,
    requests: usize,
) -> Vec<Shown> {
    fake.fail_after(requests, 403);
    let mut got = Vec::new();
    while got.len() < n {
        match events.next().await {
            Some(Ok(event)) => got.push(crate::watch::shown(&event)),
            Some(Err(e)) if e.status().is_some_and(|s| s.as_u16() == 403) => break,
            other => panic!("after {got:?}: {other:?}"),
        }
    }
    fake.fail_after(BUDGET, 403);
    got
}

// Seen on main at 6a29866: after the restart, nothing in 20 requests (the
// run known to the saved state, and not tracked).
#[tokio::test(start_paused = true)]
async fn a_shutdown_between_a_final_runs_start_and_finish_loses_no_finish() {
    let fake = common::fake().await;
    fake.add_automation("split", &[]);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let store = MemoryStore::new();
    let watch = || {
        client.watch_automation_runs(
            "split",
            WatchConfig::default()
                .start(StartAt::Running)
                .poll_interval(POLL)
                .holder("svc")
                .store(store.clone()),
        )
    };
    let r0 = fake
        .start_automation_run("split", RunStatus::Running)
        .unwrap();
    let mut first = watch();
    // The first poll finds a run in flight; the run starts and ends before
    // the second.
    assert_eq!(take(&mut first, 1).await, [started(&r0.id, "running")]);
    let run = fake
        .start_automation_run("split", RunStatus::Completed)
        .unwrap();
    assert_eq!(take(&mut first, 1).await, [started(&run.id, "completed")]);
    // The consumer handled the start, and the service stops.
    first.shutdown().await.unwrap();
    let mut second = watch();
    // Five polls' worth of requests, at least.
    assert_eq!(
        told_in(&fake, &mut second, 1, 20).await,
        [finished(&run.id, "completed")]
    );
}

// Seen on main at 6a29866: after the crash, the runs after the commit
// came again but the failed run's `Finished` (its steps fetched at the
// poll's end) never did.
#[tokio::test(start_paused = true)]
async fn a_crash_after_a_commit_between_a_failed_runs_start_and_its_steps_loses_no_finish() {
    let fake = common::fake().await;
    fake.add_automation("alert", &[]);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let store = MemoryStore::new();
    let watch = || {
        client.watch_automation_runs(
            "alert",
            WatchConfig::default()
                .start(StartAt::Running)
                .poll_interval(POLL)
                .steps_for([RunStatus::Failed])
                .commit_every(1)
                .holder("svc")
                .store(store.clone()),
        )
    };
    let r0 = fake
        .start_automation_run("alert", RunStatus::Running)
        .unwrap();
    let mut first = watch();
    assert_eq!(take(&mut first, 1).await, [started(&r0.id, "running")]);
    // Between two polls: a run that failed, then two that run. The poll
    // tells the three starts, oldest first (read back up from the newest
    // run seen), and the failed run's finish last (its steps are read at
    // the poll's end).
    let failed = fake
        .start_automation_run("alert", RunStatus::Failed)
        .unwrap();
    let a = fake
        .start_automation_run("alert", RunStatus::Running)
        .unwrap();
    let b = fake
        .start_automation_run("alert", RunStatus::Running)
        .unwrap();
    let got = take(&mut first, 2).await;
    assert_eq!(
        got,
        [started(&failed.id, "failed"), started(&a.id, "running")]
    );
    // The failed run's start was committed when the next was asked for;
    // the process crashes with `a`'s start handled and not committed.
    drop(first);
    tokio::task::yield_now().await;
    let mut second = watch();
    let mut got = told_in(&fake, &mut second, 3, 20).await;
    got.sort();
    let mut owed = vec![
        finished(&failed.id, "failed"),
        started(&a.id, "running"),
        started(&b.id, "running"),
    ];
    owed.sort();
    assert_eq!(
        got, owed,
        "the failed run's finish, and what was not committed"
    );
}
