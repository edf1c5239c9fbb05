//! The `watch` scenario: one automation's watch against a team's traffic,
//! in real time, with the fake enforcing the team's limit in one-second
//! windows. Runs start at λ a second and finish D seconds later (every
//! tenth failing); each profile starts from its steady state (a history of
//! the runs that would be in flight), then is measured for a while.
//!
//! For each profile, the requests per poll against the bound
//! `1 + ceil(started/100) + ceil(finished/100)` computed from the fake's
//! ground truth for each interval, and as a share of the limit; how long
//! after a run finished its `Finished` came (p50, p99, against the
//! interval); the finishes not reported; the 429s. Beside it, the requests
//! the watch as it was before plans would have made for the same runs,
//! from a model of it (`legacy_requests`: no longer in the crate).

// Counts and seconds of a benchmark's few minutes: small, positive values.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, RunStatus, Timestamp};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{RunEvent, StartAt, WatchConfig};
use serde_json::{Value, json};

const KEY: &str = "re_bench_key";
const POLL: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(1);

/// How long the runs of a profile take, by their number.
#[derive(Clone, Copy, Debug)]
enum Delay {
    Fixed(Duration),
    /// 90% after the first, every tenth after the second.
    Tail(Duration, Duration),
}

impl Delay {
    fn of(self, n: u64) -> Duration {
        match self {
            Self::Fixed(d) => d,
            Self::Tail(short, long) => {
                if n % 10 == 7 {
                    long
                } else {
                    short
                }
            }
        }
    }

    fn longest(self) -> Duration {
        match self {
            Self::Fixed(d) => d,
            Self::Tail(_, long) => long,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Profile {
    name: &'static str,
    /// Runs started a second.
    lambda: f64,
    delay: Delay,
    /// The team's limit, requests a second.
    limit: u64,
    /// Whether the watch's poll volume is the point of the profile (the
    /// 5x target applies).
    busy: bool,
}

const PROFILES: [Profile; 5] = [
    Profile {
        name: "busy 2/s, D 30 s, limit 2",
        lambda: 2.0,
        delay: Delay::Fixed(Duration::from_secs(30)),
        limit: 2,
        busy: true,
    },
    Profile {
        name: "busy 5/s, D 20 s, limit 10",
        lambda: 5.0,
        delay: Delay::Fixed(Duration::from_secs(20)),
        limit: 10,
        busy: true,
    },
    Profile {
        name: "long tail 1/s, 90% 10 s, 10% 10 min, limit 5",
        lambda: 1.0,
        delay: Delay::Tail(Duration::from_secs(10), Duration::from_secs(600)),
        limit: 5,
        busy: false,
    },
    Profile {
        name: "long delay 0.2/s, D 1 h, limit 2",
        lambda: 0.2,
        delay: Delay::Fixed(Duration::from_secs(3600)),
        limit: 2,
        busy: false,
    },
    Profile {
        name: "idle, limit 2",
        lambda: 0.0,
        delay: Delay::Fixed(Duration::from_secs(30)),
        limit: 2,
        busy: false,
    },
];

/// What the simulation did: when each run started and finished.
#[derive(Default)]
struct Truth {
    /// Runs in flight when the profile started (its history).
    running: usize,
    started: Vec<Instant>,
    finished: HashMap<String, Instant>,
}

/// What one watch reported, and its stats as last seen.
#[derive(Default)]
struct Told {
    finished: HashMap<String, Instant>,
    polls: Vec<(Instant, u64)>,
}

fn client(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .build()
        .unwrap()
}

fn ago(d: Duration) -> Timestamp {
    let d = chrono::Duration::from_std(d).unwrap();
    (chrono::Utc::now() - d).into()
}

/// Each fake's automation `id`: the history of the profile's steady state
/// (runs started over the longest delay before now, those not finished
/// yet running, plus 200 older finished ones); returns the finishes still
/// due, by their time from now.
fn history(fakes: &[&FakeResend], id: &str, p: &Profile) -> Vec<(Duration, String, RunStatus)> {
    for fake in fakes {
        fake.add_automation(id, &[]);
    }
    let span = p.delay.longest();
    let mut due = Vec::new();
    let insert = |age: Duration, status: RunStatus| -> String {
        let created = ago(age);
        let mut ids = fakes.iter().map(|f| {
            f.insert_automation_run(id, status.clone(), created)
                .unwrap()
                .id
        });
        let first = ids.next().unwrap();
        assert!(ids.all(|other| other == first), "the fakes' ids agree");
        first
    };
    for n in 0..200u64 {
        insert(span + Duration::from_secs(3600 + n), RunStatus::Completed);
    }
    if p.lambda > 0.0 {
        let count = (span.as_secs_f64() * p.lambda) as u64;
        for k in (1..=count).rev() {
            let age = Duration::from_secs_f64(k as f64 / p.lambda);
            // Numbered back from now, as the live runs are numbered on.
            let n = u64::MAX - k;
            let d = p.delay.of(n);
            if d <= age {
                insert(age, finished_status(n));
            } else {
                let id = insert(age, RunStatus::Running);
                due.push((d.saturating_sub(age), id, finished_status(n)));
            }
        }
    }
    due
}

fn finished_status(n: u64) -> RunStatus {
    if n % 10 == 3 {
        RunStatus::Failed
    } else {
        RunStatus::Completed
    }
}

/// Drives both fakes the same way until `end`: runs start at λ a second,
/// each finishes after its delay.
async fn simulate(
    fakes: Vec<Arc<FakeResend>>,
    id: String,
    p: Profile,
    due: Vec<(Duration, String, RunStatus)>,
    t0: Instant,
    end: Instant,
    truth: Arc<Mutex<Truth>>,
) {
    let mut heap: BinaryHeap<std::cmp::Reverse<(Instant, String, u8)>> = due
        .into_iter()
        .map(|(d, id, s)| std::cmp::Reverse((t0 + d, id, u8::from(s == RunStatus::Failed))))
        .collect();
    let mut n = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while Instant::now() < end {
        tick.tick().await;
        let now = Instant::now();
        while p.lambda > 0.0 && t0 + Duration::from_secs_f64(n as f64 / p.lambda) <= now {
            let mut ids = fakes
                .iter()
                .map(|f| f.start_automation_run(&id, RunStatus::Running).unwrap().id);
            let run = ids.next().unwrap();
            ids.for_each(drop);
            truth.lock().unwrap().started.push(now);
            let failed = u8::from(finished_status(n) == RunStatus::Failed);
            heap.push(std::cmp::Reverse((now + p.delay.of(n), run, failed)));
            n += 1;
        }
        while heap
            .peek()
            .is_some_and(|std::cmp::Reverse((at, ..))| *at <= now)
        {
            let std::cmp::Reverse((_, run, failed)) = heap.pop().unwrap();
            let status = if failed == 1 {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            };
            for f in &fakes {
                f.set_run_status(&id, &run, status.clone());
            }
            truth.lock().unwrap().finished.insert(run, now);
        }
    }
}

/// Consumes a watch until `end`: when each `Finished` came, and the polls.
async fn consume(fake: Arc<FakeResend>, id: String, end: Instant, told: Arc<Mutex<Told>>) {
    let mut events = client(&fake.base_url()).watch_automation_runs(
        &id,
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Running),
    );
    let mut sample = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(end)) => return,
            item = events.next() => match item {
                Some(Ok(RunEvent::Finished { run, .. })) => {
                    told.lock().unwrap().finished.insert(run.id, Instant::now());
                }
                Some(_) => {}
                None => return,
            },
            _ = sample.tick() => {
                let polls = events.stats().polls;
                told.lock().unwrap().polls.push((Instant::now(), polls));
            }
        }
    }
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i]
}

/// One watch's figures over the measured span `[from, to)`.
fn figures(
    fake: &FakeResend,
    id: &str,
    truth: &Truth,
    told: &Told,
    (from, to): (Instant, Instant),
    limit: u64,
) -> Value {
    let prefix = format!("/automations/{id}/runs");
    let requests = fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with(&prefix) && r.at >= from && r.at < to)
        .count() as f64;
    let polls_at = |t: Instant| {
        told.polls
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(0, |(_, n)| *n)
    };
    let polls = (polls_at(to) - polls_at(from)).max(1) as f64;
    let seconds = (to - from).as_secs_f64();
    // Detection: runs finished in the span, reported or not by the end.
    let mut latencies = Vec::new();
    let mut unreported = 0;
    for (run, at) in &truth.finished {
        if *at < from || *at >= to {
            continue;
        }
        match told.finished.get(run) {
            Some(seen) => latencies.push(seen.saturating_duration_since(*at).as_secs_f64()),
            None => unreported += 1,
        }
    }
    json!({
        "requests": requests, "polls": polls, "requests_per_poll": requests / polls,
        "share_of_limit": requests / seconds / limit as f64,
        "finish_p50_s": percentile(latencies.clone(), 0.5),
        "finish_p99_s": percentile(latencies, 0.99),
        "unreported": unreported,
        "429s": fake.rate_limited().0,
    })
}

/// What the fake did in each of the span's intervals: the runs started,
/// those finished, and those in flight at its end.
fn intervals(truth: &Truth, (from, to): (Instant, Instant)) -> Vec<(usize, usize, usize)> {
    let before = |ts: &[Instant], b: Instant| ts.iter().filter(|t| **t < b).count();
    let finished: Vec<Instant> = truth.finished.values().copied().collect();
    let n = ((to - from).as_secs_f64() / POLL.as_secs_f64()).floor() as usize;
    (0..n)
        .map(|i| {
            let a = from + POLL * i as u32;
            let b = a + POLL;
            let started = before(&truth.started, b) - before(&truth.started, a);
            let ended = before(&finished, b) - before(&finished, a);
            let in_flight =
                (truth.running + before(&truth.started, b)).saturating_sub(before(&finished, b));
            (started, ended, in_flight)
        })
        .collect()
}

/// The bound per poll, averaged over the span's intervals: for each,
/// `1 + ceil(started/100) + ceil(finished/100)` of what the fake did.
fn bound(truth: &Truth, span: (Instant, Instant)) -> f64 {
    let intervals = intervals(truth, span);
    let total: usize = intervals
        .iter()
        .map(|(started, finished, _)| 1 + started.div_ceil(100) + finished.div_ceil(100))
        .sum();
    total as f64 / intervals.len().max(1) as f64
}

/// The requests the watch before plans would have made over the span,
/// unthrottled, from what the fake did: at each interval's poll, runs
/// newer than the newest seen by a backward traversal (a page per 100
/// started, at least one), the running listing whole when any run is in
/// flight (a page per 100 in flight), and a retrieve per run that left it
/// (each finish).
fn legacy_requests(truth: &Truth, span: (Instant, Instant)) -> f64 {
    let total: usize = intervals(truth, span)
        .iter()
        .map(|(started, finished, in_flight)| {
            started.div_ceil(100).max(1) + in_flight.div_ceil(100) + finished
        })
        .sum();
    total as f64
}

async fn profile(p: Profile, warm: Duration, measured: Duration, grace: Duration) -> Value {
    let ours = Arc::new(FakeResend::start().await);
    let id = "c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd".to_owned();
    let due = history(&[&ours], &id, &p);
    ours.enforce_rate_limit(p.limit, WINDOW);
    let t0 = Instant::now();
    let from = t0 + warm;
    let to = from + measured;
    let end = to + grace;
    let truth = Arc::new(Mutex::new(Truth {
        running: due.len(),
        ..Truth::default()
    }));
    let told: Arc<Mutex<Told>> = Arc::default();
    let sim = tokio::spawn(simulate(
        vec![ours.clone()],
        id.clone(),
        p,
        due,
        t0,
        to,
        truth.clone(),
    ));
    let watch = tokio::spawn(consume(ours.clone(), id.clone(), end, told.clone()));
    sim.await.unwrap();
    watch.await.unwrap();
    let truth = truth.lock().unwrap();
    let span = (from, to);
    let bound = bound(&truth, span);
    let o = figures(&ours, &id, &truth, &told.lock().unwrap(), span, p.limit);
    let legacy = legacy_requests(&truth, span);
    let intervals = ((to - from).as_secs_f64() / POLL.as_secs_f64())
        .floor()
        .max(1.0);
    let l = json!({
        "requests": legacy, "polls": intervals, "requests_per_poll": legacy / intervals,
        "share_of_limit": legacy / (to - from).as_secs_f64() / p.limit as f64,
        "modeled": true,
    });
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let fewer = f(&l, "requests") / f(&o, "requests").max(1.0);
    let fits = bound / POLL.as_secs_f64() <= 0.5 * p.limit as f64;
    let holds = f(&o, "requests_per_poll") <= bound
        && (!p.busy || fewer >= 5.0)
        && (!fits || f(&o, "finish_p99_s") <= 2.0 * POLL.as_secs_f64())
        && o["unreported"] == 0;
    let result = json!({
        "profile": p.name, "limit": p.limit, "interval_s": POLL.as_secs_f64(),
        "bound_per_poll": bound, "ours": o, "legacy": l, "legacy_over_ours": fewer,
        "bound_fits_budget": fits, "holds": holds,
    });
    eprintln!("watch: {result}");
    result
}

pub(crate) fn scenario_watch() -> Value {
    let quick = super::quick();
    let (profiles, warm, measured): (&[Profile], u64, u64) = if quick {
        (&PROFILES[..2], 10, 20)
    } else {
        (&PROFILES, 15, 60)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results: Vec<Value> = profiles
        .iter()
        .map(|p| {
            rt.block_on(profile(
                *p,
                Duration::from_secs(warm),
                Duration::from_secs(measured),
                3 * POLL,
            ))
        })
        .collect();
    let holds = results.iter().all(|r| r["holds"] == true);
    let summary = results
        .iter()
        .map(|r| {
            format!(
                "{}: {:.2}/poll (bound {:.2}, legacy {:.1}x)",
                r["profile"]
                    .as_str()
                    .unwrap_or("")
                    .split(',')
                    .next()
                    .unwrap_or(""),
                r["ours"]["requests_per_poll"].as_f64().unwrap_or(f64::NAN),
                r["bound_per_poll"].as_f64().unwrap_or(f64::NAN),
                r["legacy_over_ours"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    json!({
        "scenario": "watch", "profiles": results,
        "target": "<= bound; busy: 5x fewer than legacy; p99 <= 2 intervals; none unreported",
        "holds": holds, "summary": summary,
    })
}
