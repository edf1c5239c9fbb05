//! A schedule's world as its seed builds it (the fake's automations and
//! their history, the store, the replicas and their ways to it), and what
//! a replica's life is: its stream, how it starts and how it ends.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use resend_workflows::fake::FakeResend;
use resend_workflows::{Budget, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{MemoryStore, StartAt, TeamConfig, TeamStream, WatchConfig};
use tokio::time::Instant;

use super::rng::Rng;
use super::wire::Wire;
use super::{
    End, HISTORY, Life, POLLS, Replica, Run, STALENESS, Sim, Standing, TTL, Verdict, key, name,
};
use crate::cut::Cut;

/// Plays schedule `seed`: its trace, and what went wrong if anything.
pub(super) fn play(seed: u64) -> (Vec<String>, Verdict) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let played = rt.block_on(async move {
        let mut sim = Sim::build(seed).await;
        let verdict = sim.run().await;
        // Nothing of this schedule outlives it.
        for r in &mut sim.replicas {
            r.stream = None;
        }
        (std::mem::take(&mut sim.trace), verdict)
    });
    rt.shutdown_background();
    played
}

impl Sim {
    /// The world of schedule `seed`, nothing started yet.
    async fn build(seed: u64) -> Self {
        let fake = Arc::new(FakeResend::start().await);
        let wire = Wire::start(Arc::clone(&fake));
        let mut rng = Rng(seed);
        let automations = rng.count(1..5);
        let store = MemoryStore::new();
        let replicas_n = rng.count(1..4);
        let history = rng.chance(HISTORY);
        let replicas: Vec<Replica> = (0..replicas_n)
            .map(|i| Replica {
                holder: format!("r{i}-g0"),
                generation: 0,
                discover: rng
                    .chance(50)
                    .then(|| Duration::from_secs([1, 2, 5][rng.below(3)])),
                start: if history && rng.chance(60) {
                    StartAt::Beginning
                } else {
                    StartAt::Running
                },
                stream: None,
                epoch: 0,
                line: 0,
                cut: Cut::to(&store),
                healed_at: None,
                up_at: None,
            })
            .collect();
        let commit_every = [1, 2, 500][rng.below(3)];
        let poll = POLLS[rng.below(POLLS.len())];
        let mut sim = Sim {
            seed,
            rng,
            fake,
            wire,
            store,
            automations: vec![Standing::Enabled; automations],
            origin: vec![None; automations],
            runs: Vec::new(),
            run_index: HashMap::new(),
            replicas,
            lives: Vec::new(),
            told: Vec::new(),
            tells: Vec::new(),
            pending: HashMap::new(),
            broken: None,
            trace: Vec::new(),
            keys: (0..automations).map(key).collect(),
            seen_holder: vec![None; automations],
            seen_commits: vec![vec![0; automations]; replicas_n],
            unheld: vec![vec![Duration::ZERO; replicas_n]; automations],
            seen_live: Vec::new(),
            commit_every,
            poll,
            t0: Instant::now(),
            step: 0,
        };
        for a in 0..automations {
            sim.fake.seed_automation(&name(a), 0);
            if history && sim.rng.chance(50) {
                sim.history(a);
            }
        }
        sim
    }

    /// Runs that existed before the watches began (several pages of
    /// them, a minute apart), and maybe the run at a cursor of theirs
    /// deleted just before the request naming it comes (case 2 of issue
    /// 28: the backfill's cursor refused).
    fn history(&mut self, automation: usize) {
        let count = self.rng.count(101..260);
        let now = chrono::Utc::now();
        for i in 0..count {
            let status = match i % 7 {
                0 | 4 => RunStatus::Running,
                3 => RunStatus::Failed,
                5 => RunStatus::Cancelled,
                _ => RunStatus::Completed,
            };
            let minutes = i64::try_from(i + 1).expect("a short history");
            let at = now - chrono::Duration::minutes(minutes);
            let run = self
                .fake
                .insert_automation_run(&name(automation), status.clone(), at.into())
                .expect("an automation of the fake");
            self.add_run(automation, run.id, status, true);
        }
        let trap = match self.rng.chance(50).then(|| self.rng.count(1..4)) {
            Some(nth) => {
                self.wire.trap(&name(automation), nth);
                format!("the run at its cursor {nth} deleted as it is asked for")
            }
            None => "no cursor trapped".into(),
        };
        self.note(format!(
            "{} has {count} runs already, {trap}",
            name(automation)
        ));
    }

    /// A run the fake has now, as the oracle knows it.
    pub(super) fn add_run(&mut self, automation: usize, id: String, status: RunStatus, old: bool) {
        let n = self.runs.len();
        self.run_index.insert(id.clone(), n);
        self.runs.push(Run {
            automation,
            id,
            final_before: old.then(|| status.is_terminal()),
            status,
            deleted: false,
        });
        self.tells.push(Vec::new());
    }

    pub(super) fn note(&mut self, line: String) {
        let ms = self.t0.elapsed().as_millis();
        self.trace.push(format!("{ms:>7} ms  {line}"));
    }

    /// A stream for `replica`'s next life, through its own line of the
    /// wire (its requests told apart from the other lives').
    fn stream(&mut self, replica: usize) -> TeamStream {
        let (client, line) = self.wire.line();
        let r = &mut self.replicas[replica];
        r.line = line;
        let ids: Vec<String> = (0..self.automations.len()).map(name).collect();
        let watch = WatchConfig::default()
            .holder(r.holder.clone())
            .start(r.start)
            .poll_interval(self.poll)
            .lease_ttl(TTL)
            .budget(Budget::PerSecond(20.0))
            .commit_every(self.commit_every)
            .store(r.cut.clone());
        let config = TeamConfig::default().watch(watch).max_staleness(STALENESS);
        match r.discover {
            Some(every) => client.watch_automations(config.discovery_interval(every)),
            None => client.watch_automation_set(ids.iter().map(String::as_str), config),
        }
    }

    /// Starts replica `replica`'s next life.
    pub(super) fn up(&mut self, replica: usize) {
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
        let (holder, start) = (r.holder.clone(), r.start);
        self.note(format!(
            "r{replica} up as {holder} from {start:?} (life {epoch})"
        ));
    }

    pub(super) fn ended(&mut self, replica: usize, end: End) {
        let epoch = self.replicas[replica].epoch;
        self.lives[epoch].end = Some((end, self.told.len()));
        if end == End::Shutdown(true) {
            // A clean shutdown commits every automation's events.
            for a in 0..self.automations.len() {
                self.committed(epoch, a, self.told.len());
            }
        }
    }

    /// Life `epoch`'s events of `automation` not committed yet are
    /// committed, as of `at` events told; those before its last
    /// disturbance are not (the lease may have been lost meanwhile, and
    /// the state taken back another's). Which were.
    pub(super) fn committed(&mut self, epoch: usize, automation: usize, at: usize) -> Vec<usize> {
        let since = self.lives[epoch].disturbed.last().map_or(0, |d| d.0);
        let pending = self
            .pending
            .remove(&(epoch, automation))
            .unwrap_or_default();
        let newly: Vec<usize> = pending.into_iter().filter(|&i| i >= since).collect();
        for &i in &newly {
            self.told[i].committed = Some(at);
        }
        newly
    }

    /// Is `replica` up and reaching the store?
    pub(super) fn live(&self, replica: usize) -> bool {
        let r = &self.replicas[replica];
        r.stream.is_some() && !r.cut.is_cut()
    }

    /// Whether a live replica holds `automation`'s lease.
    pub(super) fn held(&self, automation: usize) -> bool {
        let holder = self.store.holder(&self.keys[automation]);
        self.replicas
            .iter()
            .enumerate()
            .any(|(i, r)| self.live(i) && holder.as_deref() == Some(r.holder.as_str()))
    }

    pub(super) fn enabled(&self) -> Vec<usize> {
        (0..self.automations.len())
            .filter(|&a| self.automations[a] == Standing::Enabled)
            .collect()
    }

    /// The replica whose holder is `holder`, if one is up under it.
    pub(super) fn replica_of(&self, holder: &str) -> Option<usize> {
        self.replicas
            .iter()
            .position(|r| r.stream.is_some() && r.holder == holder)
    }
}
