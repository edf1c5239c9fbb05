//! The team's rate limit, enforced by the fake as Resend does, on tokio's
//! paused clock: four watches sharing a client get every run once, each
//! refusal waited out and retried (the client's own: its
//! tests/it/ratelimit.rs).

use std::time::Duration;

use futures::StreamExt;
use resend_workflows::{Client, RetryPolicy, RunStatus};
use resend_workflows_watch::{MemoryStore, RunEvent, StartAt, WatchClient, WatchConfig};
use tokio::time::Instant;

use crate::common;

const WINDOW: Duration = Duration::from_secs(1);

fn client(fake: &resend_workflows::fake::FakeResend) -> Client {
    common::paused_client(&fake.base_url(), RetryPolicy::default())
}

#[tokio::test(start_paused = true)]
async fn four_watches_on_one_client_share_the_limit() {
    let fake = common::fake().await;
    let ids: Vec<String> = (0..4).map(|i| format!("w{i}")).collect();
    for id in &ids {
        fake.add_automation(id, &[]);
    }
    fake.enforce_rate_limit(2, WINDOW);
    let client = client(&fake);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let store = MemoryStore::new();
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut events = client.watch_automation_runs(
                id,
                WatchConfig::default()
                    .start(StartAt::Now)
                    .poll_interval(Duration::from_secs(5))
                    .store(store.clone()),
            );
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(event) = events.next().await {
                    if let Ok(RunEvent::Finished { run, .. }) = event {
                        let _ = tx.send(run.id);
                    }
                }
            })
        })
        .collect();
    // The watches take their first look (committed: every run that
    // exists then is not new), then 250 runs arrive in each.
    while ids
        .iter()
        .any(|id| store.get(&format!("automations/{id}/runs")).is_none())
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (before, _) = fake.rate_limited();
    fake.clear_requests();
    for id in &ids {
        for _ in 0..250 {
            fake.start_automation_run(id, RunStatus::Completed);
        }
    }
    let t0 = Instant::now();
    let mut finished = std::collections::HashSet::new();
    while finished.len() < 1_000 {
        assert!(finished.insert(rx.recv().await.unwrap()), "reported once");
    }
    let elapsed = t0.elapsed();
    for task in tasks {
        task.abort();
    }
    let (refused, _) = fake.rate_limited();
    // Three pages each (100, 100, 50), a retry for each refusal, and the
    // idle polls of the watches done first: one each per 5 s at most.
    let again = usize::try_from(refused - before).unwrap();
    let requests = fake.requests().len();
    let idle = 4 * usize::try_from(elapsed.as_secs().div_ceil(5)).unwrap();
    assert!(requests >= 12 + again, "{requests}");
    assert!(requests <= 12 + again + idle, "{requests}");
    // Seen at the next poll, up to 5 s away, then 12 requests at 2 a second.
    assert!(elapsed >= Duration::from_secs(5), "{elapsed:?}");
}
