//! The `ratelimit` scenario: what decides how long a user waits is the
//! team's rate limit (2 to 10 requests a second, shared by every key,
//! process and replica), so each case is measured against the bound
//! `ceil(requests / R)` one-second windows, and counts the 429s received,
//! beside a naive loop (as fast as it can, retrying a 429 after its
//! `retry-after`) and a fixed pacer (9 requests per 1.1 s, as the official
//! Rust SDK does). The fake enforces the limit: R requests per one-second
//! window across all its clients, `ratelimit-*` on every answer, a 429
//! with `retry-after` past it. (Four watches through one client: the
//! watch crate's `ratelimit-watch` scenario.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use resend_workflows::Client;
use resend_workflows::fake::FakeResend;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::baseline;

const KEY: &str = "re_bench_key";
const WINDOW: Duration = Duration::from_secs(1);

/// How a case's requests were paced.
#[derive(Clone, Copy, Debug)]
enum Who {
    Ours,
    Naive,
    Pacer,
}

/// A shared pacer: 9 requests, then a wait until 1.1 s after the first.
#[derive(Default)]
struct Pacer {
    batch: Option<(Instant, u32)>,
}

impl Pacer {
    async fn turn(this: &Mutex<Self>) {
        let mut pacer = this.lock().await;
        let now = Instant::now();
        let (start, n) = pacer.batch.unwrap_or((now, 0));
        if n >= 9 {
            let next = start + Duration::from_millis(1100);
            if next > now {
                tokio::time::sleep(next - now).await;
            }
            pacer.batch = Some((Instant::now(), 1));
        } else {
            pacer.batch = Some((start, n + 1));
        }
    }
}

/// Every run of automation `id`, by hand: `limit=100`, `after`, a 429
/// retried after its `retry-after`; paced by `pacer` if given.
async fn by_hand(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    pacer: Option<&Mutex<Pacer>>,
) -> usize {
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let mut url = format!("{base}/automations/{id}/runs?limit=100");
        if let Some(a) = &after {
            url.push_str("&after=");
            url.push_str(a);
        }
        if let Some(pacer) = pacer {
            Pacer::turn(pacer).await;
        }
        let response = http
            .get(&url)
            .bearer_auth(KEY)
            .header("user-agent", "baseline/1")
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            let wait: u64 = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let list: baseline::List =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        count += list.data.len();
        match list.data.last() {
            Some(last) if list.has_more => after = Some(last.id.clone()),
            _ => return count,
        }
    }
}

/// One measured case: its time against the bound (`extra` seconds no
/// pacing can save, plus `ceil(requests / rate)` windows), and its 429s.
fn result(
    name: &str,
    who: Who,
    rate: u64,
    requests: u64,
    extra: f64,
    wall: f64,
    refused: (u64, u64),
) -> Value {
    let bound = extra + requests.div_ceil(rate) as f64 * WINDOW.as_secs_f64();
    json!({
        "case": name, "who": format!("{who:?}").to_lowercase(), "rate": rate,
        "requests": requests, "bound_s": bound, "wall_s": wall, "ratio": wall / bound,
        "429s": refused.0, "429s_after_first_window": refused.1,
    })
}

/// `n` runs (completed) in each of `automations` fresh automations.
fn seed(fake: &FakeResend, prefix: &str, automations: usize, n: usize) -> Vec<String> {
    (0..automations)
        .map(|i| {
            let id = format!("{prefix}{i}");
            fake.seed_automation(&id, n);
            id
        })
        .collect()
}

fn our_client(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .build()
        .unwrap()
}

/// Lists `ids` concurrently (one stream each) as `who` would; returns the
/// runs seen.
async fn list_all(who: Who, base: &str, ids: &[String]) -> usize {
    match who {
        Who::Ours => {
            let client = our_client(base);
            let streams = ids.iter().map(|id| {
                let client = client.clone();
                let id = id.clone();
                async move {
                    client
                        .list_automation_runs(&id)
                        .stream()
                        .try_collect::<Vec<_>>()
                        .await
                        .unwrap()
                        .len()
                }
            });
            futures::future::join_all(streams).await.into_iter().sum()
        }
        Who::Naive | Who::Pacer => {
            let http = baseline::http();
            let pacer = Arc::new(Mutex::new(Pacer::default()));
            let loops = ids.iter().map(|id| {
                let (http, pacer) = (http.clone(), pacer.clone());
                async move {
                    let pacer = matches!(who, Who::Pacer).then_some(&*pacer);
                    by_hand(&http, base, id, pacer).await
                }
            });
            futures::future::join_all(loops).await.into_iter().sum()
        }
    }
}

pub(crate) fn scenario_ratelimit() -> Value {
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
        let pages = (runs / 100) as u64;
        for &rate in rates {
            for (case, automations) in [("list", 1usize), ("4 streams", 4)] {
                let per = runs / automations;
                for who in [Who::Ours, Who::Naive, Who::Pacer] {
                    let ids = seed(
                        &fake,
                        &format!("r{rate}{case}{who:?}").replace(' ', ""),
                        automations,
                        per,
                    );
                    fake.enforce_rate_limit(rate, WINDOW);
                    let t0 = Instant::now();
                    let seen = list_all(who, &fake.base_url(), &ids).await;
                    let wall = t0.elapsed().as_secs_f64();
                    assert_eq!(seen, runs);
                    let requests = pages; // one per page of 100
                    cases.push(result(
                        case,
                        who,
                        rate,
                        requests,
                        0.0,
                        wall,
                        fake.rate_limited(),
                    ));
                    eprintln!("ratelimit: {}", cases.last().unwrap());
                }
            }
        }
    });
    let ours: Vec<&Value> = cases.iter().filter(|c| c["who"] == "ours").collect();
    let worst = ours
        .iter()
        .map(|c| c["ratio"].as_f64().unwrap_or(f64::NAN))
        .fold(0.0, f64::max);
    let late: u64 = ours
        .iter()
        .map(|c| c["429s_after_first_window"].as_u64().unwrap_or(0))
        .sum();
    json!({
        "scenario": "ratelimit", "runs": runs, "window_s": WINDOW.as_secs_f64(), "cases": cases,
        "worst_ours_ratio": worst, "ours_429s_after_first_window": late,
        "target": "ours within 5% of the bound, no 429 after the first window",
        "holds": worst <= 1.05 && late == 0,
        "summary": format!("ours at worst {worst:.3}x the bound, {late} late 429s"),
    })
}
