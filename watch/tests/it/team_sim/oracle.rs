//! The oracle: who holds each lease, and the promises held against the
//! truth: each event as it is told ([`Sim::judge`]), the leases after
//! every step ([`Sim::check`]), every run at the end ([`Sim::missing`]).

use std::time::Duration;

use resend_workflows_watch::StartAt;

use super::{End, Sim, Standing, Verdict, WATCHED_WITHIN, name};

impl Sim {
    /// Who holds each lease: a live replica that no longer holds one it
    /// held lost it (a disturbance); an automation held is watched.
    pub(super) fn leases(&mut self) {
        let live: Vec<bool> = (0..self.replicas.len()).map(|r| self.live(r)).collect();
        if live != self.seen_live {
            for unheld in &mut self.unheld {
                unheld.fill(Duration::ZERO);
            }
            self.seen_live = live;
        }
        for a in 0..self.automations.len() {
            let now = self.store.holder(&self.keys[a]);
            if now != self.seen_holder[a] {
                let was = self.seen_holder[a].clone();
                if let Some(lost) = was.as_deref().and_then(|h| self.replica_of(h))
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

    /// The promises that hold after every step: every automation held by
    /// a live replica, once every live replica was driven long enough to
    /// take it; and every event judged as it was told.
    pub(super) fn check(&self) -> Verdict {
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
                    self.store.holder(&self.keys[a])
                ));
            }
        }
        self.broken.clone().map_or(Ok(()), Err)
    }

    /// Event `i`, just told, against what was told of its run before: a
    /// run's `Started` before anything else about it; nothing after its
    /// `Finished` or `Gone` in one replica's life (undisturbed); nothing
    /// told again that was committed, nor without its teller's crash or
    /// disturbance in between. The first broken promise is kept.
    pub(super) fn judge(&mut self, i: usize) {
        let t = &self.told[i];
        let run = t.run;
        let tells = &self.tells[run];
        let disturbed = |epoch: usize, from: usize, to: usize| {
            let life = &self.lives[epoch];
            life.disturbed.iter().any(|&(s, e)| s <= to && e > from)
        };
        let broken = if t.kind != "started"
            && !tells.iter().any(|&j| self.told[j].kind == "started")
        {
            Some(format!("run {run}: {} (event {i}) before started", t.kind))
        } else if let Some(&j) = tells.iter().find(|&&j| {
            let e = &self.told[j];
            e.epoch == t.epoch && matches!(e.kind, "finished" | "gone") && !disturbed(t.epoch, j, i)
        }) {
            Some(format!(
                "run {run}: {} (event {i}) after {} (event {j}) in life {}",
                t.kind, self.told[j].kind, t.epoch
            ))
        } else if t.kind == "changed" {
            None
        } else {
            tells.iter().find_map(|&j| {
                let e = &self.told[j];
                if e.kind != t.kind {
                    return None;
                }
                if e.committed.is_some_and(|c| c <= i) {
                    return Some(format!(
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
                (!excused).then(|| format!(
                    "run {run}: {} told twice (events {j} and {i}, lives {} of r{} and {} of r{}) without a crash, a lease lost or a partition",
                    t.kind, e.epoch, life.replica, t.epoch, self.lives[t.epoch].replica
                ))
            })
        };
        self.tells[run].push(i);
        if self.broken.is_none() {
            self.broken = broken;
        }
    }

    /// The first run of an enabled automation not told as it ended: every
    /// run created while watched, and of the runs there before, those the
    /// automation's first state started from (all at `Beginning`, those
    /// not final yet at `Running`).
    pub(super) fn missing(&self) -> Option<String> {
        for (i, run) in self.runs.iter().enumerate() {
            if run.deleted || self.automations[run.automation] != Standing::Enabled {
                continue;
            }
            let owed = match (run.final_before, self.origin[run.automation]) {
                (None, _) | (Some(_), Some(StartAt::Beginning)) => true,
                (Some(was_final), Some(StartAt::Running)) => !was_final,
                (Some(_), _) => false,
            };
            if !owed {
                continue;
            }
            let told = |kind: &str| self.tells[i].iter().any(|&j| self.told[j].kind == kind);
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
