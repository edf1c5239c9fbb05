//! A deterministic simulation of the team watch (issue 28): the fake, one
//! `MemoryStore`, one to three replicas (each its own holder, its own way
//! to the store, which can be cut) and their consumers, on tokio's paused
//! clock, one runtime a schedule. A seed picks every step: runs started,
//! changed and finished (some created final between two polls, some
//! stamped ahead of or behind the server's clock), a replica that takes
//! items (its consumer sometimes slower than the lease), crashes (the
//! stream dropped) and restarts under the same holder or a new one, clean
//! shutdowns, partitions from the store, automations disabled or deleted,
//! runs deleted (their cursors gone), quiet spells. After every step the
//! oracle checks what was told against the truth:
//!
//! 1. a run's `Started` before anything else about it, nothing after its
//!    `Finished` or `Gone` in one replica's life (between disturbances);
//! 2. nothing told twice without a crash, a lease lost or a partition: an
//!    event committed is never told again, and one not committed only
//!    again after its teller crashed or was disturbed;
//! 3. every automation held by a live replica the store reaches, once
//!    every such replica was driven [`WATCHED_WITHIN`] without it;
//!
//! and at the end, after a quiet drain (every replica up, every run
//! final), 4. every run of an automation still enabled told `Started`,
//! and `Finished` when it ended (`Gone` when deleted in flight).
//!
//! `TEAM_SIM_SEED=<n>` replays one seed (its trace printed);
//! `TEAM_SIM_SCHEDULES=<n>` sets how many run (default [`SCHEDULES`]).

mod wire;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{
    AutomationStatus, Budget, Client, MemoryStore, RunStatus, StartAt, TeamEvent, TeamStream,
    WatchState,
};
use tokio::time::Instant;

use crate::common::cut::Cut;

/// Schedules a run of the suite plays (about a minute on two shared cores,
/// debug).
const SCHEDULES: u64 = 400;

/// Schedules played at a time.
const PARALLEL: usize = 8;

/// Steps of a schedule, before the drain.
const STEPS: std::ops::Range<u64> = 25..60;

/// The replicas' lease time-to-live.
const TTL: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(500);
/// The deadline of the watch's store calls here: the poll interval, at
/// least a second, at most half the ttl (README, "Errors are items").
const STORE_DEADLINE: Duration = Duration::from_secs(1);
const STALENESS: Duration = Duration::from_secs(2);

/// How long each live replica may be driven (a replica acts only while its
/// consumer waits in `next()`; the others stand still meanwhile) while an
/// automation has no live holder: a lease runs out after the ttl, a
/// member gone after the ttl too, and the automation is checked again
/// within the staleness.
const WATCHED_WITHIN: Duration = Duration::from_secs(9);

/// Runs stamped far (31 s to two minutes, past the 30 s look-back) ahead
/// of the server's clock (case 4 of issue 28). On: the window hangs no
/// higher than the server's clock (its answers' `Date`), and they hide
/// nothing. (Off while the window hung from the second newest run: seed
/// 9, runs stamped 87 s and 32 s ahead, left a run created 24 s later
/// never told started.)
const FAR_AHEAD: bool = true;

/// Restarts under the holder of a replica that just crashed (case 3 of
/// issue 28: the dropped stream's late release frees its successor's
/// lease). On: on the paused clock the release has run before the
/// successor first asks for its leases, and no schedule has caught the
/// race yet; off leaves only new holders after a crash.
const SAME_HOLDER_AFTER_CRASH: bool = true;

/// A small seeded generator (splitmix64): one seed, one schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `range` (not empty).
    fn within(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start)
    }

    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).expect("a small count");
        usize::try_from(self.next() % n).expect("below a usize")
    }

    /// A count in `range` (not empty).
    fn count(&mut self, range: std::ops::Range<usize>) -> usize {
        range.start + self.below(range.end - range.start)
    }

    /// Whole seconds in `range` (not empty).
    fn secs(&mut self, range: std::ops::Range<i64>) -> i64 {
        let span = usize::try_from(range.end - range.start).expect("a short span");
        range.start + i64::try_from(self.below(span)).expect("a short span")
    }

    /// True with chance `percent` in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn ms(&mut self, range: std::ops::Range<u64>) -> Duration {
        Duration::from_millis(self.within(range))
    }
}

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
}

/// One event a replica's consumer was told.
#[derive(Debug)]
struct Told {
    epoch: usize,
    automation: usize,
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
    discover: bool,
    stream: Option<TeamStream>,
    epoch: usize,
    cut: Cut,
    /// The step its partition heals at.
    healed_at: Option<u64>,
    /// The step it restarts at, when down.
    up_at: Option<u64>,
}

/// One schedule's world and what the oracle knows.
struct Sim {
    seed: u64,
    rng: Rng,
    fake: FakeResend,
    wire: wire::Wire,
    client: Client,
    store: MemoryStore,
    automations: Vec<Standing>,
    runs: Vec<Run>,
    run_index: HashMap<String, usize>,
    replicas: Vec<Replica>,
    lives: Vec<Life>,
    told: Vec<Told>,
    trace: Vec<String>,
    /// The state last seen under each automation's key.
    seen_state: Vec<Option<WatchState>>,
    /// The holder last seen of each automation's lease.
    seen_holder: Vec<Option<String>>,
    /// How long each automation has gone unheld, in each replica's
    /// driven time (a replica acts only while its consumer waits on it).
    unheld: Vec<Vec<Duration>>,
    /// The live replicas when last looked: when they change, every
    /// count of `unheld` starts again (the share moves).
    seen_live: Vec<bool>,
    commit_every: usize,
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

impl Sim {
    fn note(&mut self, line: String) {
        let ms = self.t0.elapsed().as_millis();
        self.trace.push(format!("{ms:>7} ms  {line}"));
    }

    fn stream(&self, replica: usize) -> TeamStream {
        let r = &self.replicas[replica];
        let ids: Vec<String> = (0..self.automations.len()).map(name).collect();
        let builder = if r.discover {
            self.client
                .watch_automations()
                .discovery_interval(Duration::from_secs(1))
        } else {
            self.client
                .watch_automation_set(ids.iter().map(String::as_str))
        };
        builder
            .holder(r.holder.clone())
            .start(StartAt::Running)
            .poll_interval(POLL)
            .max_staleness(STALENESS)
            .lease_ttl(TTL)
            .budget(Budget::PerSecond(20.0))
            .commit_every(self.commit_every)
            .store(r.cut.clone())
            .stream()
    }

    /// Starts replica `replica`'s next life.
    fn up(&mut self, replica: usize) {
        let stream = self.stream(replica);
        let epoch = self.lives.len();
        self.lives.push(Life {
            replica,
            end: None,
            disturbed: Vec::new(),
        });
        if self.replicas[replica].cut.is_cut() {
            self.lives[epoch]
                .disturbed
                .push((self.told.len(), usize::MAX));
        }
        let r = &mut self.replicas[replica];
        r.stream = Some(stream);
        r.epoch = epoch;
        r.up_at = None;
        let holder = r.holder.clone();
        self.note(format!("r{replica} up as {holder} (life {epoch})"));
    }

    fn ended(&mut self, replica: usize, end: End) {
        let epoch = self.replicas[replica].epoch;
        self.lives[epoch].end = Some((end, self.told.len()));
        if end == End::Shutdown(true) {
            // A clean shutdown commits every automation's events (since
            // the last disturbance, as in `take`).
            let since = self.lives[epoch].disturbed.last().map_or(0, |d| d.0);
            let now = self.told.len();
            for t in self.told.iter_mut().skip(since) {
                if t.epoch == epoch && t.committed.is_none() {
                    t.committed = Some(now);
                }
            }
        }
    }

    /// Is `replica` up and reaching the store?
    fn live(&self, replica: usize) -> bool {
        let r = &self.replicas[replica];
        r.stream.is_some() && !r.cut.is_cut()
    }

    /// The next item of `replica`'s stream, waiting at most `window`;
    /// then, while its stream left a request half made, polled on at this
    /// instant (an item it has then, its consumer takes too). Whether an
    /// item came.
    ///
    /// Why: a stream that yields one automation's item while another of
    /// its automations connects leaves that connection half made until
    /// polled again, and its hold (see `wire`) keeps the clock still
    /// until then: a consumer that stopped there would stop time.
    async fn take(&mut self, replica: usize, window: Duration) -> bool {
        let got = self.take_one(replica, Some(window)).await;
        for _ in 0..1_000 {
            // The connections' turn: the requests made are written.
            tokio::task::yield_now().await;
            if !self.wire.stranded() {
                break;
            }
            self.take_one(replica, None).await;
        }
        got
    }

    /// One item of `replica`'s stream, waiting at most `window` (`None`:
    /// only what it has at once).
    async fn take_one(&mut self, replica: usize, window: Option<Duration>) -> bool {
        let before = self.told.len();
        let epoch = self.replicas[replica].epoch;
        let Some(stream) = self.replicas[replica].stream.as_mut() else {
            return false;
        };
        let t = Instant::now();
        let item = match window {
            // The wait's end first: a stream woken at the same instant is
            // not polled, and leaves no request half made.
            Some(window) => tokio::select! {
                biased;
                () = tokio::time::sleep(window) => Err(()),
                item = stream.next() => Ok(item),
            },
            None => match futures::poll!(stream.next()) {
                std::task::Poll::Ready(item) => Ok(item),
                std::task::Poll::Pending => Err(()),
            },
        };
        let driven = t.elapsed();
        if self.live(replica) {
            for a in 0..self.automations.len() {
                if !self.held(a) {
                    self.unheld[a][replica] += driven;
                }
            }
        }
        // The automations whose state moved while this replica held
        // them: their events told before this call are committed.
        for a in 0..self.automations.len() {
            let now = self.store.get(&key(a));
            if now != self.seen_state[a]
                && self.store.holder(&key(a)).as_deref()
                    == Some(self.replicas[replica].holder.as_str())
            {
                // Since its last disturbance: before it, the lease may
                // have been lost, and the state taken back another's.
                let since = self.lives[epoch].disturbed.last().map_or(0, |d| d.0);
                let mut newly = Vec::new();
                for (i, t) in self.told[..before].iter_mut().enumerate().skip(since) {
                    if t.epoch == epoch && t.automation == a && t.committed.is_none() {
                        t.committed = Some(before);
                        newly.push(i);
                    }
                }
                let in_flight: Vec<usize> = now
                    .iter()
                    .flat_map(|s| s.in_flight().map(|(id, _)| self.run_index[id]))
                    .collect();
                self.note(format!(
                    "{} committed by r{replica}: events {newly:?}; in flight {in_flight:?}",
                    name(a)
                ));
            }
            self.seen_state[a] = now;
        }
        // A lease this replica took while driven was lost by its holder
        // before this replica told anything under it.
        self.leases();
        match item {
            Err(_) => false,
            Ok(None) => {
                self.note(format!("r{replica} stream ended"));
                self.ended(replica, End::Crashed);
                self.replicas[replica].stream = None;
                false
            }
            Ok(Some(Err(e))) => {
                let ends = e.ends_watch();
                self.note(format!("r{replica} error: {e}"));
                if ends {
                    return false;
                }
                true
            }
            Ok(Some(Ok(TeamEvent::Run { automation, event }))) => {
                let a: usize = automation
                    .strip_prefix("auto-")
                    .and_then(|n| n.parse().ok())
                    .expect("an automation of the simulation");
                let run = self.run_index[event.run_id()];
                let kind = event.kind();
                self.note(format!(
                    "r{replica}/{epoch} {automation} run {run} {kind} {}",
                    event.status()
                ));
                self.told.push(Told {
                    epoch,
                    automation: a,
                    run,
                    kind,
                    committed: None,
                });
                true
            }
            Ok(Some(Ok(other))) => {
                self.note(format!("r{replica}/{epoch} {other:?}"));
                true
            }
        }
    }

    /// Whether a live replica holds `automation`'s lease.
    fn held(&self, automation: usize) -> bool {
        let holder = self.store.holder(&key(automation));
        self.replicas
            .iter()
            .enumerate()
            .any(|(i, r)| self.live(i) && holder.as_deref() == Some(r.holder.as_str()))
    }

    fn enabled(&self) -> Vec<usize> {
        (0..self.automations.len())
            .filter(|&a| self.automations[a] == Standing::Enabled)
            .collect()
    }

    /// Runs started in a few automations, and changes to runs in flight.
    fn runs_happen(&mut self) {
        let enabled = self.enabled();
        if enabled.is_empty() {
            return;
        }
        for _ in 0..self.rng.within(1..5) {
            let a = enabled[self.rng.below(enabled.len())];
            let status = match self.rng.below(10) {
                0..=5 => RunStatus::Running,
                6 => RunStatus::Completed,
                7 => RunStatus::Failed,
                8 => RunStatus::Cancelled,
                _ => RunStatus::Unknown("waiting".into()),
            };
            // Stamped by a clock ahead or behind, within the look-back, or
            // far ahead.
            let skew = match self.rng.below(10) {
                0 => Some(self.rng.secs(1..10)),
                1 => Some(-self.rng.secs(1..10)),
                2 if FAR_AHEAD => Some(self.rng.secs(31..120)),
                _ => None,
            };
            let run = match skew {
                None => self.fake.start_automation_run(&name(a), status.clone()),
                Some(secs) => {
                    let at = chrono::Utc::now() + chrono::Duration::seconds(secs);
                    self.fake
                        .insert_automation_run(&name(a), status.clone(), at.into())
                }
            }
            .expect("an automation of the fake");
            let n = self.runs.len();
            self.run_index.insert(run.id.clone(), n);
            self.runs.push(Run {
                automation: a,
                id: run.id,
                status: status.clone(),
                deleted: false,
            });
            self.note(format!(
                "run {n} in {} created {status} (stamped {skew:?} s off)",
                name(a)
            ));
        }
        let open: Vec<usize> = (0..self.runs.len())
            .filter(|&i| {
                let r = &self.runs[i];
                !r.deleted
                    && !r.status.is_terminal()
                    && self.automations[r.automation] != Standing::Deleted
            })
            .collect();
        for _ in 0..self.rng.within(0..4).min(open.len() as u64) {
            let i = open[self.rng.below(open.len())];
            let status = match self.rng.below(5) {
                0 => RunStatus::Unknown("waiting".into()),
                1 => RunStatus::Failed,
                2 => RunStatus::Cancelled,
                _ => RunStatus::Completed,
            };
            self.set_status(i, status);
        }
    }

    fn set_status(&mut self, run: usize, status: RunStatus) {
        let r = &mut self.runs[run];
        if r.status.is_terminal() {
            return;
        }
        self.fake
            .set_run_status(&name(r.automation), &r.id, status.clone());
        r.status = status.clone();
        self.note(format!("run {run} now {status}"));
    }

    /// A disturbance of `replica`'s life, from now until `until` (a count
    /// of events told; `usize::MAX`: until healed).
    fn disturbed(&mut self, replica: usize, until: Option<usize>) {
        if self.replicas[replica].stream.is_some() {
            let epoch = self.replicas[replica].epoch;
            let now = self.told.len();
            self.lives[epoch]
                .disturbed
                .push((now, until.unwrap_or(now)));
        }
    }

    /// `replica` reaches the store again: its partition ends.
    fn heal(&mut self, replica: usize) {
        self.replicas[replica].healed_at = None;
        let way = &self.replicas[replica].cut;
        way.cut.store(false, Ordering::Release);
        way.slow.store(0, Ordering::Release);
        let now = self.told.len();
        if self.replicas[replica].stream.is_some() {
            let epoch = self.replicas[replica].epoch;
            for d in &mut self.lives[epoch].disturbed {
                if d.1 == usize::MAX {
                    d.1 = now;
                }
            }
        }
    }

    /// One step, the seed's choice.
    async fn step(&mut self) {
        let n = self.replicas.len();
        let r = self.rng.below(n);
        match self.rng.below(100) {
            0..=27 => self.runs_happen(),
            28..=64 => {
                let items = self.rng.within(1..6);
                for _ in 0..items {
                    let window = self.rng.ms(300..4_000);
                    if !self.take(r, window).await {
                        break;
                    }
                    // The consumer's work: mostly none, sometimes longer
                    // than the lease.
                    let work = match self.rng.below(10) {
                        0..=6 => Duration::ZERO,
                        7 | 8 => self.rng.ms(100..1_500),
                        _ => self.rng.ms(3_000..7_000),
                    };
                    if !work.is_zero() {
                        self.note(format!("r{r} works {work:?}"));
                        tokio::time::sleep(work).await;
                    }
                }
            }
            65..=70 => {
                if self.replicas[r].stream.take().is_some() {
                    self.note(format!("r{r} crashes"));
                    self.ended(r, End::Crashed);
                    self.down(r, true);
                }
            }
            71..=75 => {
                if let Some(stream) = self.replicas[r].stream.take() {
                    let done = stream.shutdown().await;
                    self.note(format!("r{r} shut down: {done:?}"));
                    self.ended(r, End::Shutdown(done.is_ok()));
                    self.down(r, false);
                }
            }
            76..=81 => {
                if self.replicas[r].healed_at.is_none() {
                    let until = self.step + self.rng.within(1..8);
                    self.replicas[r].healed_at = Some(until);
                    if self.rng.chance(60) {
                        self.note(format!("r{r} cut from the store until step {until}"));
                        self.replicas[r].cut.cut.store(true, Ordering::Release);
                        self.disturbed(r, Some(usize::MAX));
                    } else {
                        let slow = self.rng.within(50..1_500);
                        self.note(format!("r{r}'s store {slow} ms slow until step {until}"));
                        self.replicas[r].cut.slow.store(slow, Ordering::Release);
                        // Slower than the deadline of the watch's store
                        // calls, every call fails: a partition.
                        if Duration::from_millis(slow) >= STORE_DEADLINE {
                            self.disturbed(r, Some(usize::MAX));
                        }
                    }
                }
            }
            82..=83 => {
                let enabled = self.enabled();
                if enabled.len() > 1 {
                    let a = enabled[self.rng.below(enabled.len())];
                    if self.rng.chance(50) {
                        self.fake
                            .set_automation_status(&name(a), AutomationStatus::Disabled);
                        self.automations[a] = Standing::Disabled;
                        self.note(format!("{} disabled", name(a)));
                    } else {
                        self.fake.delete_automation(&name(a));
                        self.automations[a] = Standing::Deleted;
                        self.note(format!("{} deleted", name(a)));
                    }
                }
            }
            84..=89 => {
                let alive: Vec<usize> = (0..self.runs.len())
                    .filter(|&i| {
                        !self.runs[i].deleted
                            && self.automations[self.runs[i].automation] == Standing::Enabled
                    })
                    .collect();
                if !alive.is_empty() {
                    let i = alive[self.rng.below(alive.len())];
                    let run = &mut self.runs[i];
                    self.fake.delete_run(&name(run.automation), &run.id);
                    run.deleted = true;
                    self.note(format!("run {i} deleted"));
                }
            }
            _ => {
                let quiet = self.rng.ms(100..6_000);
                self.note(format!("quiet for {quiet:?}"));
                tokio::time::sleep(quiet).await;
            }
        }
    }

    /// `replica` is down for a few steps; it comes back under its holder
    /// or a new one.
    fn down(&mut self, replica: usize, crashed: bool) {
        let back = self.step + self.rng.within(0..12);
        let r = &mut self.replicas[replica];
        r.up_at = Some(back);
        let same = self.rng.chance(50) && (SAME_HOLDER_AFTER_CRASH || !crashed);
        if !same {
            r.generation += 1;
            r.holder = format!("r{replica}-g{}", r.generation);
        }
    }

    /// Restarts and heals what is due, then reads the leases.
    fn tick(&mut self) {
        for i in 0..self.replicas.len() {
            if self.replicas[i].up_at.is_some_and(|s| s <= self.step) {
                self.up(i);
            }
            if self.replicas[i].healed_at.is_some_and(|s| s <= self.step) {
                self.heal(i);
                self.note(format!("r{i} reaches the store again, at speed"));
            }
        }
        self.leases();
    }

    /// Who holds each lease: a live replica that no longer holds one it
    /// held lost it (a disturbance); an automation held is watched.
    fn leases(&mut self) {
        let live: Vec<bool> = (0..self.replicas.len()).map(|r| self.live(r)).collect();
        if live != self.seen_live {
            for unheld in &mut self.unheld {
                unheld.fill(Duration::ZERO);
            }
            self.seen_live = live;
        }
        for a in 0..self.automations.len() {
            let now = self.store.holder(&key(a));
            if now != self.seen_holder[a] {
                let was = self.seen_holder[a].clone();
                if let Some(lost) = self
                    .replicas
                    .iter()
                    .position(|r| r.stream.is_some() && Some(&r.holder) == was.as_ref())
                    && now.is_some()
                {
                    self.disturbed(lost, None);
                }
                self.note(format!("{} held by {now:?}", name(a)));
                self.seen_holder[a] = now;
            }
            if self.held(a) {
                self.unheld[a].fill(Duration::ZERO);
            }
        }
    }

    /// The promises that hold after every step.
    fn check(&self) -> Verdict {
        // Every automation held by a live replica, once every live
        // replica was driven long enough to take it.
        let live: Vec<usize> = (0..self.replicas.len()).filter(|&r| self.live(r)).collect();
        for a in 0..self.automations.len() {
            if self.automations[a] == Standing::Enabled
                && !live.is_empty()
                && live.iter().all(|&r| self.unheld[a][r] > WATCHED_WITHIN)
            {
                return Err(format!(
                    "{} held by no live replica while each was driven {:?} (holder {:?})",
                    name(a),
                    self.unheld[a],
                    self.store.holder(&key(a))
                ));
            }
        }
        let mut by_run: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, t) in self.told.iter().enumerate() {
            by_run.entry(t.run).or_default().push(i);
        }
        let disturbed = |epoch: usize, from: usize, to: usize| {
            let life = &self.lives[epoch];
            life.disturbed.iter().any(|&(s, e)| s <= to && e > from)
        };
        for (run, tells) in &by_run {
            for (k, &i) in tells.iter().enumerate() {
                let t = &self.told[i];
                // Started first: nothing of a run before some Started.
                if t.kind != "started"
                    && !tells[..k].iter().any(|&j| self.told[j].kind == "started")
                {
                    return Err(format!("run {run}: {} (event {i}) before started", t.kind));
                }
                // Nothing after its end in one life, undisturbed.
                if let Some(&j) = tells[..k].iter().find(|&&j| {
                    let e = &self.told[j];
                    e.epoch == t.epoch
                        && matches!(e.kind, "finished" | "gone")
                        && !disturbed(t.epoch, j, i)
                }) {
                    return Err(format!(
                        "run {run}: {} (event {i}) after {} (event {j}) in life {}",
                        t.kind, self.told[j].kind, t.epoch
                    ));
                }
                if t.kind == "changed" {
                    continue;
                }
                // Told again: only what was not committed, and only after
                // its teller crashed or was disturbed.
                for &j in &tells[..k] {
                    let e = &self.told[j];
                    if e.kind != t.kind {
                        continue;
                    }
                    if e.committed.is_some_and(|c| c <= i) {
                        return Err(format!(
                            "run {run}: {} told again (event {i}, life {}) after it was committed (event {j}, life {})",
                            t.kind, t.epoch, e.epoch
                        ));
                    }
                    let life = &self.lives[e.epoch];
                    let ended = life
                        .end
                        .is_some_and(|(end, at)| at <= i && end != End::Shutdown(true));
                    let excused = disturbed(e.epoch, j, i)
                        || ended
                        || (e.epoch != t.epoch && disturbed(t.epoch, 0, i));
                    if !excused {
                        return Err(format!(
                            "run {run}: {} told twice (events {j} and {i}, lives {} of r{} and {} of r{}) without a crash, a lease lost or a partition",
                            t.kind, e.epoch, life.replica, t.epoch, self.lives[t.epoch].replica
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The end: every replica up and reaching the store, every run
    /// final; driven until every run of an enabled automation is told.
    async fn drain(&mut self) -> Verdict {
        self.note("drain".into());
        self.wire.settle();
        for i in 0..self.replicas.len() {
            self.heal(i);
        }
        // First the replicas up now, each driven long enough to take
        // what has no live holder (a replica still down may never come
        // back: the others must not wait for it).
        self.leases();
        let up: Vec<usize> = (0..self.replicas.len()).filter(|&r| self.live(r)).collect();
        self.drive(&up).await?;
        // Then each goes in turn (shut down): the others take its
        // automations over, whatever they lost or gave back before.
        if up.len() > 1 {
            for &gone in &up {
                if let Some(stream) = self.replicas[gone].stream.take() {
                    let done = stream.shutdown().await;
                    self.note(format!("r{gone} shut down: {done:?}"));
                    self.ended(gone, End::Shutdown(done.is_ok()));
                }
                self.leases();
                let others: Vec<usize> = up.iter().copied().filter(|&r| r != gone).collect();
                self.drive(&others).await?;
                self.up(gone);
            }
        }
        for i in 0..self.replicas.len() {
            if self.replicas[i].stream.is_none() {
                self.up(i);
            }
        }
        for i in 0..self.runs.len() {
            if !self.runs[i].deleted
                && self.automations[self.runs[i].automation] != Standing::Deleted
            {
                self.set_status(i, RunStatus::Completed);
            }
        }
        for round in 0..60 {
            if self.missing().is_none() {
                return Ok(());
            }
            // Each replica in turn, until it has nothing to tell.
            let r = round % self.replicas.len();
            for _ in 0..100 {
                if !self.take(r, Duration::from_secs(1)).await {
                    break;
                }
            }
            self.leases();
            self.check()?;
        }
        Err(self.missing().unwrap_or_default())
    }

    /// Drives `replicas` in turn, each long enough to take what has no
    /// live holder, checking after each.
    async fn drive(&mut self, replicas: &[usize]) -> Verdict {
        for round in 0..replicas.len() * 8 {
            self.take(replicas[round % replicas.len()], Duration::from_secs(3))
                .await;
            self.leases();
            self.check()?;
        }
        Ok(())
    }

    /// The first run of an enabled automation not told as it ended.
    fn missing(&self) -> Option<String> {
        for (i, run) in self.runs.iter().enumerate() {
            if run.deleted || self.automations[run.automation] != Standing::Enabled {
                continue;
            }
            let told = |kind: &str| self.told.iter().any(|t| t.run == i && t.kind == kind);
            if !told("started") {
                return Some(format!(
                    "run {i} ({}) never told started",
                    name(run.automation)
                ));
            }
            if run.status.is_terminal() && !told("finished") {
                return Some(format!(
                    "run {i} ({}) ended {} and never told finished",
                    name(run.automation),
                    run.status
                ));
            }
        }
        None
    }
}

/// Plays schedule `seed`: its trace, and what went wrong if anything.
fn play(seed: u64) -> (Vec<String>, Verdict) {
    let real = std::time::Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let played = rt.block_on(async move {
        let fake = FakeResend::start().await;
        let upstream: std::net::SocketAddr = fake
            .base_url()
            .trim_start_matches("http://")
            .parse()
            .expect("the fake on loopback");
        let wire = wire::Wire::start(upstream);
        let client = wire.client();
        let mut rng = Rng(seed);
        let automations = rng.count(1..5);
        for a in 0..automations {
            fake.seed_automation(&name(a), 0);
        }
        let store = MemoryStore::new();
        let replicas_n = rng.count(1..4);
        let replicas: Vec<Replica> = (0..replicas_n)
            .map(|i| Replica {
                holder: format!("r{i}-g0"),
                generation: 0,
                discover: rng.chance(50),
                stream: None,
                epoch: 0,
                cut: Cut::to(&store),
                healed_at: None,
                up_at: None,
            })
            .collect();
        let commit_every = [1, 2, 500][rng.below(3)];
        let mut sim = Sim {
            seed,
            rng,
            client,
            fake,
            wire,
            store,
            automations: vec![Standing::Enabled; automations],
            runs: Vec::new(),
            run_index: HashMap::new(),
            replicas,
            lives: Vec::new(),
            told: Vec::new(),
            trace: Vec::new(),
            seen_state: vec![None; automations],
            seen_holder: vec![None; automations],
            unheld: vec![vec![Duration::ZERO; replicas_n]; automations],
            seen_live: Vec::new(),
            commit_every,
            t0: Instant::now(),
            step: 0,
        };
        let verdict = sim.run().await;
        let timeouts = sim.wire.timeouts();
        let requests = sim.fake.requests().len();
        if std::env::var("TEAM_SIM_SEED").is_ok() {
            // Not in the trace: real time is not the schedule's.
            eprintln!(
                "{requests} requests in {:?}, {timeouts} timeouts",
                real.elapsed(),
            );
        }
        // Nothing of this schedule outlives it.
        for r in &mut sim.replicas {
            r.stream = None;
        }
        (sim.trace, verdict)
    });
    rt.shutdown_background();
    played
}

impl Sim {
    async fn run(&mut self) -> Verdict {
        let shape = format!(
            "seed {}: {} automations, {} replicas ({}), commit_every {}",
            self.seed,
            self.automations.len(),
            self.replicas.len(),
            self.replicas
                .iter()
                .map(|r| if r.discover { "team" } else { "set" })
                .collect::<Vec<_>>()
                .join(", "),
            self.commit_every
        );
        self.note(shape);
        for i in 0..self.replicas.len() {
            self.up(i);
        }
        // Every automation watched and committed before runs happen: the
        // watches start at `Running`, and the runs are all new.
        for round in 0..100 {
            if (0..self.automations.len()).all(|a| self.store.get(&key(a)).is_some()) {
                break;
            }
            assert!(round < 99, "seed {}: never warmed up", self.seed);
            self.take(round % self.replicas.len(), Duration::from_secs(1))
                .await;
        }
        self.tick();
        for unheld in &mut self.unheld {
            unheld.fill(Duration::ZERO);
        }
        let steps = self.rng.within(STEPS);
        for step in 0..steps {
            self.step = step;
            // The fake changes between requests, never during one.
            self.wire.settle();
            self.tick();
            self.step().await;
            self.leases();
            self.check()?;
        }
        self.drain().await
    }
}

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

#[test]
fn the_team_watch_keeps_its_promises_over_random_schedules() {
    let seeds = seeds();
    let replay = seeds.len() == 1;
    let t0 = std::time::Instant::now();
    // Each schedule is its own runtime; a schedule mostly waits on the
    // relay's and the fake's threads, so four at a time fill two cores.
    let failures: Vec<(u64, Vec<String>, String)> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..PARALLEL)
            .map(|h| {
                let seeds = &seeds;
                s.spawn(move || {
                    let mut failed = Vec::new();
                    for &seed in seeds.iter().skip(h).step_by(PARALLEL) {
                        let (trace, verdict) = play(seed);
                        if replay {
                            eprintln!("{}", trace.join("\n"));
                        }
                        if let Err(e) = verdict {
                            failed.push((seed, trace, e));
                        }
                    }
                    failed
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "team_sim: {} schedules in {:?}, {} failed",
        seeds.len(),
        t0.elapsed(),
        failures.len()
    );
    if let Some((seed, trace, e)) = failures.first() {
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
    // Seeds with partitions, crashes, shutdowns and a drain's rotation.
    for seed in [7, 80, 187] {
        let (first, _) = play(seed);
        let (second, _) = play(seed);
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
