//! The `team-schedule` scenario: the team watch's scheduler alone (its
//! pacer and cadence, `internals::simulate_schedule`) on tokio's paused
//! clock, an hour simulated per case: 10 busy automations (every poll
//! finds something) and N quiet ones, a 5 s interval, a 60 s staleness,
//! a budget of B requests a second. Reported per case: the busy
//! automations' widest gap between polls (p99), the quiet ones' (p50,
//! p99, after a warm-up of ten minutes), against the bound on paper,
//! max(staleness, N / B') with B' what the busy ones leave of the budget.

// Counts and seconds of a simulated hour: small, positive values.
#![allow(clippy::cast_precision_loss)]

use std::time::Duration;

use resend_workflows_watch::internals::simulate_schedule;
use serde_json::{Value, json};

const BUSY: usize = 10;
const INTERVAL: Duration = Duration::from_secs(5);
const STALENESS: Duration = Duration::from_secs(60);
const WARM: Duration = Duration::from_secs(600);

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * p).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    xs[i as usize]
}

/// Each automation's widest gap between polls after the warm-up (the
/// time from the warm-up to its first poll counted too).
fn widest(polls: &[Duration], horizon: Duration) -> f64 {
    let mut last = WARM;
    let mut widest = Duration::ZERO;
    for at in polls.iter().filter(|t| **t >= WARM) {
        widest = widest.max(at.saturating_sub(last));
        last = *at;
    }
    widest.max(horizon.saturating_sub(last)).as_secs_f64()
}

fn case(quiet: usize, budget: f64, horizon: Duration) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let polls = rt.block_on(simulate_schedule(
        BUSY, quiet, budget, INTERVAL, STALENESS, horizon,
    ));
    let wall = started.elapsed().as_secs_f64();
    let (busy, quiet_polls) = polls.split_at(BUSY);
    let busy_gaps: Vec<f64> = busy.iter().map(|c| widest(c, horizon)).collect();
    let quiet_gaps: Vec<f64> = quiet_polls.iter().map(|c| widest(c, horizon)).collect();
    let left = (budget / 1.02 - BUSY as f64 / INTERVAL.as_secs_f64()).max(0.0);
    let n_over_b = if left > 0.0 {
        quiet as f64 / left
    } else {
        f64::INFINITY
    };
    let bound = n_over_b.max(STALENESS.as_secs_f64());
    let p99 = percentile(quiet_gaps.clone(), 0.99);
    json!({
        "quiet": quiet, "budget": budget, "busy": BUSY,
        "busy_gap_p99_s": percentile(busy_gaps, 0.99),
        "quiet_gap_p50_s": percentile(quiet_gaps.clone(), 0.5),
        "quiet_gap_p99_s": p99,
        "quiet_gap_max_s": quiet_gaps.iter().copied().fold(0.0, f64::max),
        "bound_s": bound, "p99_over_bound": p99 / bound,
        "simulated_s": horizon.as_secs_f64(), "wall_s": wall,
    })
}

pub(crate) fn scenario_team_schedule() -> Value {
    let horizon = Duration::from_secs(3600);
    let cases: &[(usize, f64)] = if super::quick() {
        &[(1000, 5.0)]
    } else {
        &[
            (100, 5.0),
            (1000, 5.0),
            (1000, 10.0),
            (1000, 20.0),
            (2000, 10.0),
        ]
    };
    let results: Vec<Value> = cases
        .iter()
        .map(|(n, b)| {
            let r = case(*n, *b, horizon);
            eprintln!("team-schedule: {r}");
            r
        })
        .collect();
    let holds = results
        .iter()
        .all(|r| r["p99_over_bound"].as_f64().is_some_and(|x| x <= 1.25));
    let summary = results
        .iter()
        .map(|r| {
            format!(
                "N {} B {}: quiet p99 {:.0} s (bound {:.0} s), busy p99 {:.1} s",
                r["quiet"],
                r["budget"],
                r["quiet_gap_p99_s"].as_f64().unwrap_or(f64::NAN),
                r["bound_s"].as_f64().unwrap_or(f64::NAN),
                r["busy_gap_p99_s"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    json!({
        "scenario": "team-schedule", "cases": results, "holds": holds,
        "target": "quiet widest gap p99 <= 1.25 max(staleness, N/B')", "summary": summary,
    })
}
