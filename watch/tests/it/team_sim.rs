//! A deterministic simulation of the team watch (issue 28): the fake, one
//! `MemoryStore`, one to three replicas (each its own holder, its own way
//! to the store, which can be cut) and their consumers, on tokio's paused
//! clock, one runtime a schedule, the fake served in it ([`wire`]). A seed
//! picks every step ([`steps`]): runs started, changed and finished (some
//! created final between two polls, some stamped ahead of or behind the
//! server's clock), a replica that takes items (its consumer sometimes
//! slower than the lease), crashes (the stream dropped) and restarts under
//! the same holder or a new one (under the same, sometimes straight back,
//! its dropped stream's releases held back until its successor took the
//! leases: case 3's order), clean shutdowns, partitions from the store and
//! slow stores, automations disabled or deleted, runs deleted, quiet
//! spells. One schedule in five starts over runs that exist already (101
//! to 259 for some automations: two or three pages), from
//! `StartAt::Beginning` on some replicas (a backfill) and `Running` on the
//! others, half of them with the run at a cursor deleted just before the
//! request naming it comes (case 2). The oracle ([`oracle`]) judges each
//! event as it is told, and the leases after every take and step:
//!
//! 1. a run's `Started` before anything else about it, nothing after its
//!    `Finished` or `Gone` in one replica's life (between disturbances);
//! 2. nothing told twice without a crash, a lease lost or a partition: an
//!    event committed is never told again, and one not committed only
//!    again after its teller crashed or was disturbed;
//! 3. every automation held by a live replica the store reaches, once
//!    every such replica was driven [`WATCHED_WITHIN`] without it;
//!
//! and at the end, after a drain ([`drain`]: every replica up, the one
//! holding the most gone while the others take over, every run final),
//! 4. every run of an automation still enabled told `Started`, and
//! `Finished` when it ended (of the runs there before the watches began:
//! every one from `Beginning`, those not final yet from `Running`).
//!
//! `TEAM_SIM_SEED=<n>` replays one seed (its trace printed);
//! `TEAM_SIM_SCHEDULES=<n>` sets how many run (default [`SCHEDULES`]). The
//! run prints its time and CPU time.
//!
//! **Speed.** 400 schedules took 60 to 85 s (77 to 115 s of CPU). Where it
//! went: a third of the time waiting 50 ms for each connection a stream
//! left half made (the relay, on threads of its own, could not tell a
//! request late from one never sent), a thread and two connections a
//! request, httpmock's threads, 17 ms of CPU a schedule loading the
//! platform's certificates, and the drain: 8 slices of 3 s for every
//! replica, then every replica by rotation gone, 70% of a schedule's requests.
//! Now the fake answers in the schedule's runtime ([`wire`]: no thread, no
//! real time waited), the client loads no certificates, the drain stops
//! once every lease is held and still, one replica goes, and the oracle
//! judges each event once: 2,000 schedules in 81 to 109 s in the suite
//! (124 to 163 s of CPU, 2 cores shared with the other tests), 64 s alone;
//! 62 ms of CPU and 55 requests a schedule (debug).
//!
//! **Found by hand-broken fixes** (each applied alone, then undone; 2,000
//! schedules):
//!
//! - release ignoring its token (`lease::release`: `h.id == asker`, no
//!   `h.token == token`; case 3): 211 fail; first seed 68, 3 s in: r0
//!   crashes and comes straight back as `r0-g0`, its dropped stream's
//!   releases land once its successor took the leases, and free them
//!   ("run 0: started (event 3) after finished (event 2) in life 2").
//!   Before, no schedule caught it; with the releases not held back, 100
//!   fail, and 68 without the restarts straight back either (a dropped
//!   stream's release is a task, and the successor's first poll sometimes
//!   comes before the release).
//! - `Change::Seen` tracking only runs not final (`if !status.is_terminal()`
//!   around its `in_flight.insert`; case 1): 244 fail; first seed 1, at
//!   once ("run 1 (auto-0) ended cancelled and never told finished").
//! - the backfill's refused cursor taken as a failed page (its arm in
//!   `Poll::backfilled` off: `if false && ..`; case 2): 50 fail; first
//!   seed 23, 1.2 s in ("run 216 (auto-1) never told started").
//!
//! `TEAM_SIM_SEED=68`, `=1` and `=23` replay each. And a bug of its own:
//! an automation dropped by the team (`Removed`) while its watch's commit
//! of the last finish was under way lost that commit, and the next watch
//! of it told the finish again (seed 792: "run 11: finished told twice");
//! fixed, tests/it/team_promises.rs.
//!
//! Runs stamped far ahead ([`FAR_AHEAD`]: 31 s to two minutes) need the
//! server's clock: with the wire's answers first sent without a `Date`,
//! 1,221 of the 2,000 failed (first seed 2: "run 13 (auto-1) never told
//! started"), as the README says of a server that sends none.

mod drain;
mod oracle;
mod rng;
mod steps;
mod take;
mod wire;
mod world;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resend_workflows::RunStatus;
use resend_workflows::fake::FakeResend;
use resend_workflows_watch::{MemoryStore, StartAt, TeamStream};
use tokio::time::Instant;

use crate::cut::Cut;

/// Schedules a run of the suite plays.
const SCHEDULES: u64 = 2_000;

/// Steps of a schedule, before the drain.
const STEPS: std::ops::Range<u64> = 25..60;

/// The replicas' lease time-to-live.
const TTL: Duration = Duration::from_secs(3);
/// The poll intervals a schedule picks from.
const POLLS: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(1)];
/// The deadline of the watch's store calls here: the poll interval, at
/// least a second, at most half the ttl (README, "Errors are items"):
/// a second for either interval.
const STORE_DEADLINE: Duration = Duration::from_secs(1);
const STALENESS: Duration = Duration::from_secs(2);

/// How long each live replica may be driven (a replica acts only while its
/// consumer waits in `next()`; the others stand still meanwhile) while an
/// automation has no live holder: a lease runs out after the ttl, a
/// member gone after the ttl too, and the automation is polled again
/// within the staleness.
const WATCHED_WITHIN: Duration = Duration::from_secs(9);

/// How long the drain drives a replica at a time.
const SLICE: Duration = Duration::from_secs(2);

/// How long the drain drives each replica with every lease held and still
/// before it moves on.
const QUIET: Duration = SLICE;

/// How long the drain drives each replica telling nothing new, a run
/// still owed, before it gives up: past [`WATCHED_WITHIN`], by when a
/// live replica holds every automation.
const STUCK: Duration = Duration::from_secs(12);

/// In how many schedules of 100 the automations have runs already.
const HISTORY: u64 = 20;

/// Runs stamped far (31 s to two minutes, past the 30 s look-back) ahead
/// of the server's clock (case 4 of issue 28). On: the window hangs no
/// higher than the server's clock (its answers' `Date`), and they hide
/// nothing. (Off while the window hung from the second newest run: seed
/// 9, runs stamped 87 s and 32 s ahead, left a run created 24 s later
/// never told started.)
const FAR_AHEAD: bool = true;

/// Restarts under the holder of a replica that just crashed (case 3 of
/// issue 28: the dropped stream's late release frees its successor's
/// lease); half of them straight back, with the dropped stream's releases
/// held back until the successor took the leases
/// ([`Cut::hold_back_releases`]). On; off leaves only new holders after
/// a crash.
const SAME_HOLDER_AFTER_CRASH: bool = true;

/// An automation, as the fake has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Enabled,
    Disabled,
    Deleted,
}

/// A run, as the fake has it.
#[derive(Debug)]
struct Run {
    automation: usize,
    id: String,
    status: RunStatus,
    deleted: bool,
    /// For a run there before the watches began: whether it was final
    /// then.
    final_before: Option<bool>,
}

/// One event a replica's consumer was told.
#[derive(Debug)]
struct Told {
    epoch: usize,
    run: usize,
    kind: &'static str,
    /// Committed (its automation's state moved while its teller held the
    /// lease, after it was told), as the count of events told by then.
    committed: Option<usize>,
}

/// How a replica's life (an epoch: one stream) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Crashed,
    /// A clean shutdown, and whether it said every commit held.
    Shutdown(bool),
}

/// One life of a replica: its stream from start to end.
#[derive(Debug)]
struct Life {
    replica: usize,
    /// When it ended, as a count of events told by then.
    end: Option<(End, usize)>,
    /// What excuses a repeat (cut from the store, from its start to its
    /// heal; a lease seen taken by another, a moment), as counts of
    /// events told by then.
    disturbed: Vec<(usize, usize)>,
}

/// A replica: its consumer, its stream (when up), its way to the store.
struct Replica {
    holder: String,
    generation: usize,
    /// How often it looks at the team's automations; `None`: it watches a
    /// set, and never looks.
    discover: Option<Duration>,
    start: StartAt,
    stream: Option<TeamStream>,
    epoch: usize,
    /// The wire's line of its life.
    line: usize,
    cut: Cut,
    /// The step its partition heals at.
    healed_at: Option<u64>,
    /// The step it restarts at, when down.
    up_at: Option<u64>,
}

/// One schedule's world and what the oracle knows.
struct Sim {
    seed: u64,
    rng: rng::Rng,
    fake: Arc<FakeResend>,
    wire: wire::Wire,
    store: MemoryStore,
    automations: Vec<Standing>,
    /// Where each automation's first state started from.
    origin: Vec<Option<StartAt>>,
    runs: Vec<Run>,
    run_index: HashMap<String, usize>,
    replicas: Vec<Replica>,
    lives: Vec<Life>,
    told: Vec<Told>,
    /// The events told of each run, in order.
    tells: Vec<Vec<usize>>,
    /// The events each life told of each automation and not committed.
    pending: HashMap<(usize, usize), Vec<usize>>,
    /// The first promise broken, as judged when told.
    broken: Option<String>,
    trace: Vec<String>,
    /// Each automation's key in the store.
    keys: Vec<String>,
    /// The holder last seen of each automation's lease.
    seen_holder: Vec<Option<String>>,
    /// The commits through each replica's way under each automation's key
    /// when last looked.
    seen_commits: Vec<Vec<u64>>,
    /// How long each automation has gone unheld, in each replica's
    /// driven time (a replica acts only while its consumer waits on it).
    unheld: Vec<Vec<Duration>>,
    /// The live replicas when last looked: when they change, every
    /// count of `unheld` starts again (the share moves).
    seen_live: Vec<bool>,
    commit_every: usize,
    poll: Duration,
    t0: Instant,
    step: u64,
}

fn key(automation: usize) -> String {
    format!("automations/{}/runs", name(automation))
}

fn name(automation: usize) -> String {
    format!("auto-{automation}")
}

/// What went wrong, with the schedule's trace.
type Verdict = Result<(), String>;

/// The seeds to play: `TEAM_SIM_SEED` alone, or `TEAM_SIM_SCHEDULES` of
/// them from 1.
fn seeds() -> Vec<u64> {
    if let Ok(seed) = std::env::var("TEAM_SIM_SEED") {
        return vec![seed.parse().expect("TEAM_SIM_SEED: a number")];
    }
    let n = std::env::var("TEAM_SIM_SCHEDULES")
        .map(|n| n.parse().expect("TEAM_SIM_SCHEDULES: a number"))
        .unwrap_or(SCHEDULES);
    (1..=n).collect()
}

/// The CPU time this thread has used.
fn cpu() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    let usage = getrusage(UsageWho::RUSAGE_THREAD).expect("this thread's usage");
    let time = |t: nix::sys::time::TimeVal| {
        let micros = t.tv_sec() * 1_000_000 + t.tv_usec();
        Duration::from_micros(u64::try_from(micros).expect("a time used"))
    };
    time(usage.user_time()) + time(usage.system_time())
}

#[test]
fn the_team_watch_keeps_its_promises_over_random_schedules() {
    let seeds = seeds();
    let replay = seeds.len() == 1;
    let t0 = std::time::Instant::now();
    // Each schedule runs on one thread and waits on nothing but its own
    // work: a thread a core, each taking the next seed.
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (failures, used): (Vec<(u64, Vec<String>, String)>, Duration) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let start = cpu();
                    let mut failed = Vec::new();
                    while let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (trace, verdict) = world::play(seed);
                        if replay {
                            eprintln!("{}", trace.join("\n"));
                        }
                        if let Err(e) = verdict {
                            failed.push((seed, trace, e));
                        }
                    }
                    (failed, cpu().saturating_sub(start))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).fold(
            (Vec::new(), Duration::ZERO),
            |(mut all, cpu), (f, c)| {
                all.extend(f);
                (all, cpu + c)
            },
        )
    });
    eprintln!(
        "team_sim: {} schedules in {:?} ({used:?} of CPU), {} failed",
        seeds.len(),
        t0.elapsed(),
        failures.len()
    );
    if let Some((seed, trace, e)) = failures.iter().min_by_key(|f| f.0) {
        let tail = trace.len().saturating_sub(60);
        panic!(
            "seed {seed} failed: {e}\n(replay: TEAM_SIM_SEED={seed}; every failure:\n{})\nlast of its trace:\n{}",
            failures
                .iter()
                .map(|f| format!("  seed {}: {}", f.0, f.2))
                .collect::<Vec<_>>()
                .join("\n"),
            trace[tail..].join("\n")
        );
    }
}

#[test]
fn one_seed_plays_one_schedule() {
    // Seeds with partitions, crashes straight back, shutdowns, backfills
    // and a cursor deleted as it is asked for.
    for seed in [8, 21, 73] {
        let (first, _) = world::play(seed);
        let (second, _) = world::play(seed);
        let differs = first.iter().zip(&second).position(|(a, b)| a != b);
        assert_eq!(
            first.len(),
            second.len(),
            "seed {seed} played twice differently, from line {differs:?}"
        );
        assert!(
            differs.is_none(),
            "seed {seed} played twice differently:\n{}\n{}",
            first[differs.unwrap_or(0)],
            second[differs.unwrap_or(0)]
        );
    }
}
