//! The `team` scenario: one team watch over 200 automations of one fake,
//! in real time, with the fake enforcing a team limit of 10 requests a
//! second and the watch's budget half of it (the default). Ten busy
//! automations start a run a second each; 190 quiet ones a run every ten
//! minutes each (spread evenly); every run lasts 30 s, every tenth fails.
//!
//! Reported: the watch's requests in the busiest 10 s window against its
//! budget; 429s after the first window; for busy and for quiet
//! automations, how long after a run finished its `Finished` came (p50,
//! p99) and the finishes never reported; how often a quiet automation was
//! polled (the widest gap between two of its polls, p50 and p99 over the
//! quiet automations) against the bound on paper, N / B with N the quiet
//! automations and B what the busy ones leave of the budget.

// Counts and seconds of a benchmark's few minutes: small, positive values.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Budget, Client, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{RunEvent, StartAt, TeamConfig, TeamEvent, WatchConfig};
use serde_json::{Value, json};

const LIMIT: u64 = 10;
const BUDGET: f64 = 5.0;
const BUSY: usize = 10;
const QUIET: usize = 200 - BUSY;
const RUN: Duration = Duration::from_secs(30);
const QUIET_EVERY: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_secs(5);

fn busy_id(i: usize) -> String {
    format!("busy-{i:02}")
}

fn quiet_id(i: usize) -> String {
    format!("quiet-{i:03}")
}

/// When each run finished, by (automation, run).
pub(crate) type Finishes = HashMap<(String, String), Instant>;

/// Drives the fake until `end`: busy automations start a run a second
/// each, quiet ones one every ten minutes each; each finishes after 30 s.
async fn simulate(fake: Arc<FakeResend>, t0: Instant, end: Instant, truth: Arc<Mutex<Finishes>>) {
    let mut starts: BinaryHeap<std::cmp::Reverse<(Instant, usize)>> = BinaryHeap::new();
    for i in 0..BUSY {
        starts.push(std::cmp::Reverse((
            t0 + Duration::from_millis(i as u64 * 100),
            i,
        )));
    }
    for j in 0..QUIET {
        let offset = QUIET_EVERY.mul_f64(j as f64 / QUIET as f64);
        starts.push(std::cmp::Reverse((t0 + offset, BUSY + j)));
    }
    let mut finishes: BinaryHeap<std::cmp::Reverse<(Instant, String, String, bool)>> =
        BinaryHeap::new();
    let mut n = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while Instant::now() < end {
        tick.tick().await;
        let now = Instant::now();
        while starts.peek().is_some_and(|s| s.0.0 <= now) {
            let std::cmp::Reverse((at, k)) = starts.pop().unwrap();
            let (id, every) = if k < BUSY {
                (busy_id(k), Duration::from_secs(1))
            } else {
                (quiet_id(k - BUSY), QUIET_EVERY)
            };
            let run = fake.start_automation_run(&id, RunStatus::Running).unwrap();
            n += 1;
            finishes.push(std::cmp::Reverse((now + RUN, id, run.id, n % 10 == 3)));
            starts.push(std::cmp::Reverse((at + every, k)));
        }
        while finishes.peek().is_some_and(|f| f.0.0 <= now) {
            let std::cmp::Reverse((_, id, run, failed)) = finishes.pop().unwrap();
            let status = if failed {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            };
            fake.set_run_status(&id, &run, status);
            truth.lock().unwrap().insert((id, run), now);
        }
    }
}

/// A client of `fake`.
pub(crate) fn fake_client(fake: &FakeResend) -> Client {
    Client::builder()
        .api_key(super::KEY)
        .base_url(fake.base_url())
        .build()
        .unwrap()
}

/// Consumes the team watch until `end`: when each `Finished` came.
async fn consume(fake: Arc<FakeResend>, end: Instant, told: Arc<Mutex<Finishes>>) -> Value {
    let mut events = fake_client(&fake).watch_automations(
        TeamConfig::default().watch(
            WatchConfig::default()
                .poll_interval(POLL)
                .start(StartAt::Running)
                .budget(Budget::Share(BUDGET / LIMIT as f64)),
        ),
    );
    let mut errors = 0u64;
    let mut lag = Duration::ZERO;
    let mut sample = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(end)) => break,
            item = events.next() => match note(item, &told) {
                Some(failed) => errors += u64::from(failed),
                None => break,
            },
            _ = sample.tick() => lag = lag.max(events.stats().lag),
        }
    }
    let stats = events.stats();
    json!({"errors": errors, "max_lag_s": lag.as_secs_f64(), "polls": stats.polls,
           "automations": stats.automations})
}

/// Notes a team watch's item: a `Finished` goes into `told`, timed now.
/// `Some(true)`: an error item; `None`: the stream ended.
pub(crate) fn note(
    item: Option<Result<TeamEvent, resend_workflows_watch::TeamError>>,
    told: &Mutex<Finishes>,
) -> Option<bool> {
    match item? {
        Ok(TeamEvent::Run {
            automation,
            event: RunEvent::Finished { run, .. },
        }) => {
            told.lock()
                .unwrap()
                .insert((automation, run.id), Instant::now());
            Some(false)
        }
        Ok(_) => Some(false),
        Err(_) => Some(true),
    }
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(warm: Duration, measured: Duration, grace: Duration) -> Value {
    let fake = Arc::new(FakeResend::start().await);
    for i in 0..BUSY {
        fake.seed_automation(&busy_id(i), 0);
    }
    for j in 0..QUIET {
        fake.seed_automation(&quiet_id(j), 0);
    }
    fake.enforce_rate_limit(LIMIT, Duration::from_secs(1));
    let t0 = Instant::now();
    let (from, to) = (t0 + warm, t0 + warm + measured);
    let end = to + grace;
    let truth = Arc::new(Mutex::new(Finishes::new()));
    let told = Arc::new(Mutex::new(Finishes::new()));
    let sim = tokio::spawn(simulate(Arc::clone(&fake), t0, to, Arc::clone(&truth)));
    let watch = tokio::spawn(consume(Arc::clone(&fake), end, Arc::clone(&told)));
    sim.await.unwrap();
    let watch = watch.await.unwrap();

    let requests = fake.requests();
    let at: Vec<Instant> = requests.iter().map(|r| r.at).collect();
    let window = Duration::from_secs(10);
    let busiest = at
        .iter()
        .filter(|s| **s >= from && **s + window <= to)
        .map(|s| at.iter().filter(|t| **t >= *s && **t < *s + window).count())
        .max()
        .unwrap_or(0);
    let late_429s = requests
        .iter()
        .filter(|r| r.refused && r.at >= t0 + Duration::from_secs(1))
        .count();
    // How often each quiet automation was polled: its top-page listings.
    let mut listed: BTreeMap<&str, Vec<Instant>> = BTreeMap::new();
    for r in &requests {
        let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
        if let ["automations", id, "runs"] = parts.as_slice()
            && id.starts_with("quiet")
            && r.param("after").is_none()
            && r.param("status").is_none()
            && r.at >= from
            && r.at < to
        {
            listed.entry(id).or_default().push(r.at);
        }
    }
    let gaps: Vec<f64> = listed
        .values()
        .map(|at| {
            at.windows(2)
                .map(|w| (w[1] - w[0]).as_secs_f64())
                .fold(0.0, f64::max)
        })
        .collect();
    // The bound on paper: N quiet automations on the B requests a second
    // the rest leave them are polled every N / B seconds on average (each
    // poll costs at least one request); the p99 of each one's widest gap
    // against it says how close the scheduler comes, and whether one
    // starves.
    let quiet_polls: usize = listed.values().map(Vec::len).sum();
    let b_left = quiet_polls as f64 / measured.as_secs_f64();
    let n_over_b = QUIET as f64 / b_left.max(0.01);
    let busy_requests = requests
        .iter()
        .filter(|r| r.path.starts_with("/automations/busy") && r.at >= from && r.at < to)
        .count() as f64;
    let gap_p99 = percentile(gaps.clone(), 0.99);
    // A finish must be reported within a quiet automation's widest gap
    // and two intervals: those the run's end left time for.
    let cutoff = end
        .checked_sub(Duration::from_secs_f64(gap_p99) + 2 * POLL)
        .unwrap_or(from);
    let truth = truth.lock().unwrap();
    let told = told.lock().unwrap();
    let mut detect: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut unreported = [0u64; 2];
    for ((id, run), at) in truth.iter() {
        if *at < from || *at >= to.min(cutoff) {
            continue;
        }
        let kind = usize::from(id.starts_with("quiet"));
        match told.get(&(id.clone(), run.clone())) {
            Some(seen) => detect[kind].push(seen.saturating_duration_since(*at).as_secs_f64()),
            None => unreported[kind] += 1,
        }
    }
    let f = |xs: &Vec<f64>, p| percentile(xs.clone(), p);
    let budget_window = (BUDGET * window.as_secs_f64()) as usize;
    let holds = busiest <= budget_window + 1
        && late_429s == 0
        && unreported == [0, 0]
        && gap_p99 <= n_over_b.max(60.0) * 1.5;
    let result = json!({
        "automations": {"busy": BUSY, "quiet": QUIET}, "limit": LIMIT, "budget": BUDGET,
        "measured_s": measured.as_secs_f64(),
        "busiest_10s_window": busiest, "budget_per_10s": budget_window,
        "late_429s": late_429s,
        "busy": {"finish_p50_s": f(&detect[0], 0.5), "finish_p99_s": f(&detect[0], 0.99),
                 "finishes": detect[0].len(), "unreported": unreported[0]},
        "quiet": {"finish_p50_s": f(&detect[1], 0.5), "finish_p99_s": f(&detect[1], 0.99),
                  "finishes": detect[1].len(), "unreported": unreported[1],
                  "poll_gap_p50_s": f(&gaps, 0.5), "poll_gap_p99_s": f(&gaps, 0.99),
                  "polled": gaps.len()},
        "busy_requests_per_s": busy_requests / measured.as_secs_f64(),
        "quiet_polls_per_s": b_left, "n_over_b_s": n_over_b, "max_staleness_s": 60.0,
        "watch": watch, "holds": holds,
    });
    eprintln!("team: {result}");
    result
}

pub(crate) fn scenario_team() -> Value {
    let (warm, measured) = if super::quick() { (40, 60) } else { (60, 240) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut r = rt.block_on(run(
        Duration::from_secs(warm),
        Duration::from_secs(measured),
        Duration::from_secs(20),
    ));
    let q = &r["quiet"];
    let b = &r["busy"];
    let summary = format!(
        "busiest 10 s: {} (budget {}); 429s {}; finish p50/p99 busy {:.1}/{:.1} s, quiet {:.1}/{:.1} s; \
         quiet polled every {:.0} s p99 (N/B {:.0} s, staleness 60 s); unreported {}",
        r["busiest_10s_window"],
        r["budget_per_10s"],
        r["late_429s"],
        b["finish_p50_s"].as_f64().unwrap_or(f64::NAN),
        b["finish_p99_s"].as_f64().unwrap_or(f64::NAN),
        q["finish_p50_s"].as_f64().unwrap_or(f64::NAN),
        q["finish_p99_s"].as_f64().unwrap_or(f64::NAN),
        q["poll_gap_p99_s"].as_f64().unwrap_or(f64::NAN),
        r["n_over_b_s"].as_f64().unwrap_or(f64::NAN),
        b["unreported"].as_u64().unwrap_or(0) + q["unreported"].as_u64().unwrap_or(0),
    );
    r["scenario"] = json!("team");
    r["target"] = json!(
        "<= budget every 10 s; no late 429; none unreported; quiet gap p99 <= 1.5 max(N/B, staleness)"
    );
    r["summary"] = json!(summary);
    r
}
