//! One pacing home: a team watch's lane of the client's rate gate, in real
//! time (scaled down, as `watch_team.rs` explains): a lane's wait past a
//! call's deadline is named as the lane's, never blamed on the rate limit
//! the server did not enforce; and a quiet automation whose poll finds a
//! burst reads the rest of it at the priority of a busy one.

use std::time::Duration;

use futures::StreamExt;
use resend_workflows::{Budget, Client, Error as ClientError, HeldBy, RetryPolicy, RunStatus};
use resend_workflows_watch::Error;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{MemoryStore, RunEvent, StartAt, TeamConfig, TeamEvent, WatchConfig};
use tokio::time::Instant;

use crate::common;
use crate::common::KEY;

/// Starts a run in each of `busy`.
fn start_runs(fake: &resend_workflows::fake::FakeResend, busy: &[String]) {
    for id in busy {
        fake.start_automation_run(id, RunStatus::Completed);
    }
}

#[tokio::test]
async fn a_lane_wait_past_the_deadline_is_named_and_never_blames_the_rate_limit() {
    // Issue 25: a team of 3 busy and 12 quiet automations, budget 2/s,
    // deadline 3 s, the gate pacing: 73 polls failed in 40 s as "the rate
    // limit holds requests back", with no request refused. Scaled down: a
    // deadline of 1.5 s (the used-up window that starts the pacing, 1 s,
    // fits in it), 6 s.
    let fake = common::fake().await;
    let ids: Vec<String> = (0..15).map(|i| format!("auto-{i:02}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    fake.fail_after(5_000, 403);
    // One used-up window: the gate learns the limit and paces from then on.
    fake.exhaust_rate_limit(1);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(fake.base_url())
        .retry(RetryPolicy::default().deadline(Duration::from_millis(1_500)))
        .build()
        .unwrap();
    let mut busy = tokio::time::interval(Duration::from_millis(200));
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(Duration::from_millis(300))
                    .budget(Budget::PerSecond(2.0))
                    .start(StartAt::Now)
                    .store(MemoryStore::new()),
            )
            .max_staleness(Duration::from_secs(2)),
    );
    let (mut by_lane, mut blamed, mut runs) = (0, Vec::new(), 0);
    let end = tokio::time::sleep(Duration::from_secs(6));
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut end => break,
            _ = busy.tick() => start_runs(&fake, &ids[..3]),
            item = events.next() => match item {
                Some(Ok(TeamEvent::Run { .. })) => runs += 1,
                Some(Ok(_)) => {}
                Some(Err(e)) => match e.error() {
                    Error::Client(ClientError::Throttled(t)) if matches!(t.held_by(), HeldBy::Lane { .. }) => {
                        assert!(
                            t.to_string().contains("the server refused nothing"),
                            "{t}"
                        );
                        by_lane += 1;
                    }
                    other => blamed.push(other.to_string()),
                },
                None => panic!("the team watch ended"),
            },
        }
    }
    eprintln!("{by_lane} polls held back by the lane, {runs} run events");
    assert!(
        blamed.is_empty(),
        "errors that are not the lane's: {blamed:?}"
    );
    assert!(
        by_lane > 0,
        "the case did not happen: no lane wait passed a deadline"
    );
    assert!(runs > 0, "the busy automations' runs were told");
    assert_eq!(fake.rate_limited(), (0, 0), "the server refused nothing");
}

#[tokio::test]
async fn a_burst_found_by_a_quiet_automation_is_read_at_a_busy_one_s_priority() {
    // Issue 25: budget 5/s, staleness 8 s: a quiet automation's burst of
    // 500 runs was read a page per 8.2 s behind the busy ones' urgent
    // turns (32.7 s). Its pages after the first now go urgent: about as
    // fast as the busy ones' polls.
    let fake = common::fake().await;
    let ids: Vec<String> = (0..4).map(|i| format!("auto-{i}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    fake.fail_after(5_000, 403);
    let client = common::client(&fake.base_url());
    // Three busy automations: more urgent demand than the budget serves.
    let mut busy = tokio::time::interval(Duration::from_millis(100));
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(Duration::from_millis(200))
                    .budget(Budget::PerSecond(5.0))
                    .start(StartAt::Now)
                    .store(MemoryStore::new()),
            )
            .max_staleness(Duration::from_secs(8)),
    );
    let quiet = ids[3].clone();
    // Let the quiet one settle into its back-off.
    let settle = tokio::time::sleep(Duration::from_secs(3));
    tokio::pin!(settle);
    loop {
        tokio::select! {
            () = &mut settle => break,
            _ = busy.tick() => start_runs(&fake, &ids[..3]),
            item = events.next() => assert!(matches!(item, Some(Ok(_))), "{item:?}"),
        }
    }
    let burst: Vec<String> = (0..500)
        .map(|_| {
            fake.start_automation_run(&quiet, RunStatus::Completed)
                .unwrap()
                .id
        })
        .collect();
    let t0 = Instant::now();
    let (mut first, mut told) = (None, std::collections::BTreeSet::new());
    while told.len() < burst.len() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the burst untold after 60 s"
        );
        let item = tokio::select! {
            _ = busy.tick() => {
                start_runs(&fake, &ids[..3]);
                continue;
            }
            item = events.next() => item,
        };
        if let Some(Ok(TeamEvent::Run {
            automation,
            event: RunEvent::Started(run),
        })) = item
            && automation == quiet
        {
            first.get_or_insert_with(Instant::now);
            told.insert(run.id.to_string());
        }
    }
    let first = first.unwrap();
    let rest = first.elapsed();
    eprintln!(
        "burst of 500: first run told after {:?}, the rest {rest:?} later",
        first - t0
    );
    // 4 more pages; at quiet priority, one per 8.2 s (32.7 s).
    assert!(
        rest < Duration::from_secs(10),
        "the burst's pages after the first took {rest:?}"
    );
}
