//! The `ratelimit-watch` scenario: four watches through one client, the
//! team's rate limit enforced by the fake (R requests a one-second
//! window), `n` runs arriving in each automation between two polls,
//! measured against the bound `ceil(requests / R)` windows plus one poll
//! interval, with the 429s received (the client's `ratelimit` scenario
//! measures its listings the same way).

use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, RunStatus};
use resend_workflows_watch::{RunEvent, StartAt, WatchClient, WatchConfig};
use serde_json::{Value, json};

const WINDOW: Duration = Duration::from_secs(1);

/// The watches' poll interval (the default): four watches idle at 0.8
/// requests a second, under even the lowest team limit.
const POLL: Duration = Duration::from_secs(5);

/// Four watches through one client; `n` runs arrive in each automation
/// between two polls. Returns the time from their arrival until every
/// watch has reported every run finished.
async fn watch_all(fake: &FakeResend, ids: &[String], n: usize) -> f64 {
    let client = Client::builder()
        .api_key(super::KEY)
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for id in ids {
        let mut events = client.watch_automation_runs(
            id,
            WatchConfig::default()
                .start(StartAt::Now)
                .poll_interval(POLL)
                .lease_ttl(Duration::from_secs(120)),
        );
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let Ok(RunEvent::Finished { run: _, .. }) = event {
                    let _ = tx.send(());
                }
            }
        }));
    }
    // Let every watch take its first look (the runs that exist are not
    // new), and the window reset, before the runs arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for id in ids {
        for _ in 0..n {
            fake.start_automation_run(id, RunStatus::Completed);
        }
    }
    let t0 = Instant::now();
    let mut finished = 0;
    while finished < ids.len() * n {
        rx.recv().await.unwrap();
        finished += 1;
    }
    let wall = t0.elapsed().as_secs_f64();
    for task in tasks {
        task.abort();
    }
    wall
}

/// A case's result against its bound: `requests` at `rate` a window,
/// plus `extra` seconds.
fn result(
    name: &str,
    rate: u64,
    requests: u64,
    extra: f64,
    wall: f64,
    refused: (u64, u64),
) -> Value {
    let bound = extra + requests.div_ceil(rate) as f64 * WINDOW.as_secs_f64();
    json!({
        "case": name, "who": "ours", "rate": rate,
        "requests": requests, "bound_s": bound, "wall_s": wall, "ratio": wall / bound,
        "429s": refused.0, "429s_after_first_window": refused.1,
    })
}

pub(crate) fn scenario_ratelimit_watch() -> Value {
    let quick = super::quick();
    let (rates, runs): (&[u64], usize) = if quick {
        (&[10], 3_000)
    } else {
        (&[2, 10], 10_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut cases = Vec::new();
    rt.block_on(async {
        let fake = FakeResend::start().await;
        for &rate in rates {
            // Four watches through one client: n new runs each.
            let per = runs / 4;
            let ids: Vec<String> = (0..4)
                .map(|i| {
                    let id = format!("w{rate}_{i}");
                    fake.add_automation(&id, &[]);
                    id
                })
                .collect();
            fake.enforce_rate_limit(rate, WINDOW);
            let wall = watch_all(&fake, &ids, per).await;
            // The watches' first looks all fall in the first window (and
            // may overrun it: the limit is not known yet); the runs arrive
            // later, and a watch sees them at its next poll: up to one
            // interval later.
            let requests = 4 * (per as u64).div_ceil(100);
            let extra = POLL.as_secs_f64();
            cases.push(result(
                "watch 4 automations",
                rate,
                requests,
                extra,
                wall,
                fake.rate_limited(),
            ));
            eprintln!("ratelimit-watch: {}", cases.last().unwrap());
        }
    });
    let worst = cases
        .iter()
        .map(|c| c["ratio"].as_f64().unwrap_or(f64::NAN))
        .fold(0.0, f64::max);
    json!({
        "scenario": "ratelimit-watch", "runs": runs, "window_s": WINDOW.as_secs_f64(),
        "cases": cases, "worst_ratio": worst,
        "target": "within 5% of the bound (one poll interval added)",
        "holds": worst <= 1.05,
        "summary": format!("four watches at worst {worst:.3}x the bound"),
    })
}
