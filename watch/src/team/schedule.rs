//! The team watch's scheduler alone, for the benchmark (feature
//! `internals`): its pacer and its cadence, each automation's poll a turn
//! of the budget answered at once, on tokio's clock (paused, it simulates
//! hours in a moment). The driver's timing, without its HTTP: a poll
//! starts when due, takes its turn at its priority, and sets the next by
//! what it found (the busy automations something, the quiet ones nothing).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::cadence::{Activity, Cadence};
use crate::instant::later;
use resend_workflows::{Budget, Lane, Priority, TeamLimit};

/// Runs `busy` automations (each poll finds something) and `quiet` ones
/// (nothing) on a budget of `budget` requests a second, polled every
/// `interval` and backing off to `staleness`, for `horizon`: for each,
/// busy first, when it was polled (from the start).
///
/// # Panics
/// If the tokio runtime has no timer.
pub async fn simulate_schedule(
    busy: usize,
    quiet: usize,
    budget: f64,
    interval: Duration,
    staleness: Duration,
    horizon: Duration,
) -> Vec<Vec<Duration>> {
    let lane = Arc::new(Lane::new("simulation", Budget::PerSecond(budget)).aging(staleness));
    // A rate of its own needs no team.
    let team = || TeamLimit::new(None, Duration::from_secs(1), 0.0, true);
    let cadence = Cadence {
        base: interval,
        max_staleness: Some(staleness),
    };
    let t0 = Instant::now();
    let end = later(t0, horizon);
    let tasks: Vec<_> = (0..busy + quiet)
        .map(|i| {
            let lane = Arc::clone(&lane);
            tokio::spawn(async move {
                let found = usize::from(i < busy);
                let (mut next, mut quiet_polls, mut priority) = (t0, 0, Priority::Quiet);
                let mut polls = Vec::new();
                loop {
                    tokio::time::sleep_until(next).await;
                    let started = Instant::now();
                    lane.wait_turn(priority, team).await;
                    let now = Instant::now();
                    if now >= end {
                        return polls;
                    }
                    polls.push(now - t0);
                    let activity = Activity {
                        events: found,
                        in_flight: found,
                    };
                    // The driver's rule (`Driver` after a poll).
                    let decided = cadence.next(quiet_polls, activity);
                    (quiet_polls, priority) = (decided.quiet, decided.priority);
                    next = later(started, decided.interval);
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        all.push(task.await.unwrap_or_default());
    }
    all
}
