//! What happens in a schedule, the seed's choice at each step: runs
//! started, changed, finished and deleted; a replica's consumer taking
//! items (sometimes slower than the lease); crashes and restarts under the
//! same holder or a new one; clean shutdowns; partitions from the store
//! and slow stores; automations disabled or deleted; quiet spells.

use std::sync::atomic::Ordering;
use std::time::Duration;

use resend_workflows::{AutomationStatus, RunStatus};

use super::{
    End, FAR_AHEAD, SAME_HOLDER_AFTER_CRASH, STEPS, STORE_DEADLINE, Sim, Standing, Verdict, key,
    name,
};

impl Sim {
    /// The whole schedule: every replica up, every automation's state
    /// committed, the steps, each checked, and the drain.
    pub(super) async fn run(&mut self) -> Verdict {
        let shape = format!(
            "seed {}: {} automations, {} replicas ({}), commit_every {}, polls every {:?}",
            self.seed,
            self.automations.len(),
            self.replicas.len(),
            self.replicas
                .iter()
                .map(|r| r
                    .discover
                    .map_or("set".into(), |d| format!("team, looking every {d:?}")))
                .collect::<Vec<_>>()
                .join(", "),
            self.commit_every,
            self.poll
        );
        self.note(shape);
        for i in 0..self.replicas.len() {
            self.up(i);
        }
        // Every automation watched and committed before runs happen: the
        // start is applied to what exists, and the runs after are new.
        for round in 0.. {
            if (0..self.automations.len()).all(|a| self.store.get(&key(a)).is_some()) {
                break;
            }
            if round == 30 {
                return Err("never warmed up: an automation has no state".into());
            }
            self.drive_one(round % self.replicas.len(), Duration::from_secs(1))
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
            self.wire.settle().await;
            self.tick();
            self.step().await;
            self.leases();
            self.check()?;
        }
        self.drain().await
    }

    /// One step, the seed's choice.
    async fn step(&mut self) {
        let n = self.replicas.len();
        let r = self.rng.below(n);
        match self.rng.below(100) {
            0..=27 => self.runs_happen(),
            28..=64 => self.consume(r).await,
            65..=70 => {
                if self.replicas[r].stream.is_some() {
                    let same = SAME_HOLDER_AFTER_CRASH && self.rng.chance(50);
                    self.crash(r, same);
                    if same && self.rng.chance(50) {
                        // Straight back, and driven at once: it takes the
                        // leases again while the dropped stream's releases
                        // are still on their way (held back until then).
                        self.up(r);
                        let window = self.rng.ms(300..2_000);
                        self.take(r, window).await;
                    }
                }
            }
            71..=75 => {
                if self.replicas[r].stream.is_some() {
                    self.shutdown(r).await;
                    let same = self.rng.chance(50);
                    self.down(r, same);
                }
            }
            76..=81 => self.partition(r),
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

    /// Replica `r`'s consumer takes a few items, working on each: mostly
    /// at once, sometimes longer than the lease.
    async fn consume(&mut self, r: usize) {
        for _ in 0..self.rng.within(1..6) {
            let window = self.rng.ms(300..4_000);
            if !self.take(r, window).await {
                break;
            }
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

    /// Replica `r` crashes (its stream dropped), to come back under the
    /// same holder (`same`: its dropped stream's releases held back until
    /// its successor took those leases, see [`Cut::hold_back_releases`])
    /// or a new one.
    ///
    /// [`Cut::hold_back_releases`]: crate::cut::Cut::hold_back_releases
    fn crash(&mut self, r: usize, same: bool) {
        self.replicas[r].cut.hold_back_releases(same);
        self.replicas[r].stream = None;
        self.note(format!("r{r} crashes"));
        self.ended(r, End::Crashed);
        self.down(r, same);
    }

    /// Replica `r` shuts down cleanly.
    pub(super) async fn shutdown(&mut self, r: usize) {
        self.replicas[r].cut.hold_back_releases(false);
        if let Some(stream) = self.replicas[r].stream.take() {
            let done = stream.shutdown().await;
            self.note(format!("r{r} shut down: {done:?}"));
            self.ended(r, End::Shutdown(done.is_ok()));
        }
    }

    /// Replica `r` cut from the store, or its store slow, for a few steps.
    fn partition(&mut self, r: usize) {
        if self.replicas[r].healed_at.is_some() {
            return;
        }
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
            // Slower than the deadline of the watch's store calls, every
            // call fails: a partition.
            if Duration::from_millis(slow) >= STORE_DEADLINE {
                self.disturbed(r, Some(usize::MAX));
            }
        }
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
            self.add_run(a, run.id, status.clone(), false);
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

    pub(super) fn set_status(&mut self, run: usize, status: RunStatus) {
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
    pub(super) fn disturbed(&mut self, replica: usize, until: Option<usize>) {
        if self.replicas[replica].stream.is_some() {
            let epoch = self.replicas[replica].epoch;
            let now = self.told.len();
            self.lives[epoch]
                .disturbed
                .push((now, until.unwrap_or(now)));
        }
    }

    /// `replica` reaches the store again: its partition ends.
    pub(super) fn heal(&mut self, replica: usize) {
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

    /// `replica` is down for a few steps; it comes back under its holder
    /// (`same`) or a new one.
    fn down(&mut self, replica: usize, same: bool) {
        let back = self.step + self.rng.within(0..12);
        let r = &mut self.replicas[replica];
        r.up_at = Some(back);
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
}
