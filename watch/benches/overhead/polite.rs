//! The `polite` scenario: what a team watch costs the team's own sends.
//! A team's rate limit is shared by every call it makes, the emails it
//! sends first of all, and a send refused is an email a customer does not
//! get. In real time, a fake enforcing the limit (one-second windows that
//! start with a request, as Resend's do), a scripted sender of real
//! `POST /emails` requests (quiet spells, then bursts of 90% of the limit,
//! 50% on a team of 2 a second, where a window holds two requests in all),
//! and beside it a default team watch (poll interval 5 s, staleness 60 s)
//! of six automations: two busy (a run a second each), four quiet (a run
//! every 20 s each), every run lasting 3 s. Three runs per team limit, in the same process at once, each on a
//! fake of its own with the same sender script: the sender alone, beside
//! a default watch (`DEFAULT_BUDGET`, which gives way), and beside a watch
//! on the fixed half share (`Budget::Share(0.5)`).
//!
//! Reported per limit and run: sends made and refused, the watch's
//! requests and its refusals, and its finish detection for the busy
//! automations (from a run's finish to its `Finished`) at p90, in the
//! quiet spells from two poll intervals after a burst on (the target:
//! within two intervals), and in the bursts and the two intervals after
//! them (reported). The target for
//! the sends: refused beside the default watch at most refused alone plus
//! 0.5% of the sends.
//!
//! `POLITE_LIMITS=2,10` runs only those teams; `POLITE_TRACE=1` prints
//! each request refused beside the default watch with its neighbours.

// Counts and seconds of a benchmark's few minutes: small, positive values.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::fake::{FakeResend, SendPlan};
use resend_workflows::{Budget, DEFAULT_BUDGET, RunStatus};
use resend_workflows_watch::StartAt;
use resend_workflows_watch::WatchClient;
use serde_json::{Value, json};

const CYCLE: Duration = Duration::from_secs(30);
const BURST: Duration = Duration::from_secs(10);
const POLL: Duration = resend_workflows_watch::DEFAULT_POLL_INTERVAL;
const RUN: Duration = Duration::from_secs(3);
const BUSY: usize = 2;
const QUIET: usize = 4;
const QUIET_EVERY: Duration = Duration::from_secs(20);

use super::team::Finishes;
use resend_workflows_watch::{TeamConfig, WatchConfig};

fn id(i: usize) -> String {
    if i < BUSY {
        format!("busy-{i}")
    } else {
        format!("quiet-{}", i - BUSY)
    }
}

/// Drives the automations until `end`: busy ones start a run a second,
/// quiet ones one every 20 s (spread), each run finishing after 3 s.
async fn simulate(fake: Arc<FakeResend>, t0: Instant, end: Instant, truth: Arc<Mutex<Finishes>>) {
    let mut next: Vec<Instant> = (0..BUSY + QUIET)
        .map(|i| t0 + Duration::from_millis(i as u64 * 3_300))
        .collect();
    let mut running: Vec<(Instant, String, String, bool)> = Vec::new();
    let mut n = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while Instant::now() < end {
        tick.tick().await;
        let now = Instant::now();
        for (i, at) in next.iter_mut().enumerate() {
            if *at <= now {
                let run = fake
                    .start_automation_run(&id(i), RunStatus::Running)
                    .unwrap();
                n += 1;
                running.push((now + RUN, id(i), run.id, n % 10 == 3));
                *at += if i < BUSY {
                    Duration::from_secs(1)
                } else {
                    QUIET_EVERY
                };
            }
        }
        running.retain(|(at, id, run, failed)| {
            if *at > now {
                return true;
            }
            let status = if *failed {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            };
            fake.set_run_status(id, run, status);
            truth.lock().unwrap().insert((id.clone(), run.clone()), now);
            false
        });
    }
}

/// Consumes a team watch on `budget` until `end`: when each `Finished`
/// came, and the errors.
async fn consume(
    fake: Arc<FakeResend>,
    budget: Budget,
    end: Instant,
    told: Arc<Mutex<Finishes>>,
) -> u64 {
    let mut events = super::team::fake_client(&fake).watch_automations(
        TeamConfig::default().watch(
            WatchConfig::default()
                .start(StartAt::Running)
                .budget(budget),
        ),
    );
    let mut errors = 0;
    loop {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(end)) => break,
            item = events.next() => match super::team::note(item, &told) {
                Some(failed) => errors += u64::from(failed),
                None => break,
            },
        }
    }
    errors
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints each refused request beside the default watch, with every
/// request within 1.2 s of it (`s` a send, `W` the watch's, `!` refused),
/// in seconds from it: what shared the window it was refused in.
fn trace_refusals(fake: &FakeResend, t0: Instant, limit: u64) {
    let requests = fake.requests();
    let t = |r: &resend_workflows::fake::FakeRequest| r.at.duration_since(t0).as_secs_f64();
    for r in requests.iter().filter(|r| r.refused) {
        let at = t(r);
        let near: Vec<String> = requests
            .iter()
            .filter(|o| (t(o) - at).abs() < 1.2)
            .map(|o| {
                let who = if o.path.contains("emails") { "s" } else { "W" };
                let refused = if o.refused { "!" } else { "" };
                format!("{:.3}{who}{refused}", t(o) - at)
            })
            .collect();
        eprintln!(
            "polite trace: {limit}/s, {} refused at {at:.3} s (phase {:.2}): {}",
            r.path,
            at % CYCLE.as_secs_f64(),
            near.join(" ")
        );
    }
}

/// One run: the sender on `plan` against a limit of `limit`, beside a
/// watch on `budget` if any, for `span`.
async fn one(limit: u64, plan: SendPlan, budget: Option<Budget>, span: Duration) -> Value {
    let fake = Arc::new(FakeResend::start().await);
    for i in 0..BUSY + QUIET {
        fake.seed_automation(&id(i), 0);
    }
    fake.enforce_rate_limit(limit, Duration::from_secs(1));
    let t0 = Instant::now();
    let end = t0 + span;
    let mut sender = fake.send_emails(plan.lasting(span));
    let truth = Arc::new(Mutex::new(Finishes::new()));
    let told = Arc::new(Mutex::new(Finishes::new()));
    let watch = budget.map(|budget| {
        let sim = tokio::spawn(simulate(Arc::clone(&fake), t0, end, Arc::clone(&truth)));
        let watch = tokio::spawn(consume(
            Arc::clone(&fake),
            budget,
            end + 2 * POLL,
            Arc::clone(&told),
        ));
        (sim, watch)
    });
    let sends = sender.finished().await;
    let errors = match watch {
        Some((sim, watch)) => {
            sim.await.unwrap();
            watch.await.unwrap()
        }
        None => 0,
    };
    let traffic = fake.traffic();
    if std::env::var_os("POLITE_TRACE").is_some() && budget == Some(DEFAULT_BUDGET) {
        trace_refusals(&fake, t0, limit);
    }
    // Finish detection, by where in the cycle the run finished.
    let (truth, told) = (truth.lock().unwrap(), told.lock().unwrap());
    let (mut quiet, mut burst, mut unreported) = (Vec::new(), Vec::new(), 0u64);
    // The busy automations' runs: the quiet ones are polled at their
    // staleness, by design.
    // A run that ended before the watch first listed its automation is
    // not the watch's to tell: it starts from the runs running when it
    // first looks (`StartAt::Running`), and a watch that starts in a burst
    // looks late.
    let mut first_look = std::collections::HashMap::new();
    for r in fake.requests() {
        if let Some(id) = r.path.strip_prefix("/automations/") {
            let id = id.split('/').next().unwrap_or("").to_owned();
            first_look.entry(id).or_insert(r.at);
        }
    }
    for (key, at) in truth.iter() {
        if *at + 2 * POLL > end || !key.0.starts_with("busy") {
            continue;
        }
        if first_look.get(&key.0).is_some_and(|first| at < first) {
            continue;
        }
        let phase = at.duration_since(t0).as_secs_f64() % CYCLE.as_secs_f64();
        let in_burst = phase < (BURST + 2 * POLL).as_secs_f64();
        match told.get(key) {
            Some(seen) => {
                let d = seen.saturating_duration_since(*at).as_secs_f64();
                if in_burst {
                    burst.push(d)
                } else {
                    quiet.push(d)
                }
            }
            None => unreported += 1,
        }
    }
    json!({
        "sends": sends.sent, "sends_refused": sends.refused,
        "sends_refused_by_fake": traffic.sends.refused,
        "watch_requests": traffic.reads.sent, "watch_refused": traffic.reads.refused,
        "watch_errors": errors,
        "finish_p90_quiet_s": percentile(quiet.clone(), 0.9),
        "finish_p90_burst_s": percentile(burst.clone(), 0.9),
        "finishes": quiet.len() + burst.len(), "unreported": unreported,
    })
}

/// The three runs for a team of `limit` a second, at once.
async fn team(limit: u64, base: u32, burst: u32, span: Duration) -> Value {
    let plan = || {
        SendPlan::per_second(base)
            .bursts(burst, BURST, CYCLE)
            .jitter(Duration::from_millis(20), limit)
    };
    let (alone, giving, half) = tokio::join!(
        one(limit, plan(), None, span),
        one(limit, plan(), Some(DEFAULT_BUDGET), span),
        one(limit, plan(), Some(Budget::Share(0.5)), span),
    );
    let sends = giving["sends"].as_u64().unwrap_or(0) as f64;
    let refused = |r: &Value| r["sends_refused"].as_u64().unwrap_or(0) as f64;
    let p90 = giving["finish_p90_quiet_s"].as_f64().unwrap_or(f64::NAN);
    let holds = refused(&giving) <= refused(&alone) + 0.005 * sends
        && p90 <= 2.0 * POLL.as_secs_f64()
        && giving["unreported"] == 0;
    json!({"limit": limit, "sends_per_s": {"quiet": base, "burst": burst},
           "alone": alone, "default": giving, "half_share": half, "holds": holds})
}

pub(crate) fn scenario_polite() -> Value {
    let span = if super::quick() { CYCLE * 2 } else { CYCLE * 4 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let teams = rt.block_on(async {
        let mut out = Vec::new();
        for (limit, base, burst) in [(2, 0, 1), (10, 2, 9), (100, 20, 90)] {
            if std::env::var("POLITE_LIMITS")
                .is_ok_and(|l| !l.split(',').any(|x| x == limit.to_string()))
            {
                continue;
            }
            let r = team(limit, base, burst, span).await;
            eprintln!("polite: {r}");
            out.push(r);
        }
        out
    });
    let summary = teams
        .iter()
        .map(|t| {
            let r = |k: &str| t[k]["sends_refused"].as_u64().unwrap_or(0);
            format!(
                "{}/s: sends refused {} alone, {} default, {} half (of {}); default p90 {:.1} s",
                t["limit"],
                r("alone"),
                r("default"),
                r("half_share"),
                t["default"]["sends"],
                t["default"]["finish_p90_quiet_s"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let holds = teams.iter().all(|t| t["holds"] == true);
    json!({
        "scenario": "polite", "span_s": span.as_secs_f64(), "poll_interval_s": POLL.as_secs_f64(),
        "teams": teams, "summary": summary, "holds": holds,
        "target": "sends refused <= alone + 0.5% of sends; quiet finish p90 <= 2 intervals",
    })
}
