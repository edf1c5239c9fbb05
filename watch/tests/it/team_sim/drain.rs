//! The schedule's end: every replica healed and up, the one holding the
//! most going while the others take its automations over, then every run
//! final and driven until every run owed is told.

use std::time::Duration;

use resend_workflows::RunStatus;

use super::{QUIET, SLICE, STUCK, Sim, Standing, Verdict};

impl Sim {
    /// The end: every replica up and reaching the store, every run
    /// final; driven until every run of an enabled automation is told.
    pub(super) async fn drain(&mut self) -> Verdict {
        self.note("drain".into());
        self.wire.settle().await;
        for i in 0..self.replicas.len() {
            self.heal(i);
        }
        // First the replicas up now, each driven long enough to take
        // what has no live holder (a replica still down may never come
        // back: the others must not wait for it).
        self.leases();
        let up: Vec<usize> = (0..self.replicas.len()).filter(|&r| self.live(r)).collect();
        self.drive(&up).await?;
        // Then the one holding the most goes (shut down): the others
        // take its automations over, whatever they lost or gave back
        // before.
        if up.len() > 1 {
            let holds = |r: usize| {
                let holder = Some(self.replicas[r].holder.clone());
                self.seen_holder.iter().filter(|&h| *h == holder).count()
            };
            let gone = up
                .iter()
                .copied()
                .max_by_key(|&r| (holds(r), usize::MAX - r));
            let gone = gone.expect("replicas up");
            self.shutdown(gone).await;
            self.leases();
            let others: Vec<usize> = up.iter().copied().filter(|&r| r != gone).collect();
            self.drive(&others).await?;
            self.up(gone);
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
        // Each replica by rotation, until every run owed is told, or until
        // each was driven [`STUCK`] telling nothing new.
        let mut idle = vec![Duration::ZERO; self.replicas.len()];
        for round in 0.. {
            if self.missing().is_none() {
                return Ok(());
            }
            if idle.iter().all(|&d| d >= STUCK) {
                break;
            }
            let r = round % self.replicas.len();
            let told = self.told.len();
            self.drive_one(r, SLICE).await;
            self.leases();
            self.check()?;
            if self.told.len() == told {
                idle[r] += SLICE;
            } else {
                idle.fill(Duration::ZERO);
            }
        }
        Err(self.missing().unwrap_or_default())
    }

    /// Drives `replicas` by rotation, each for [`SLICE`] (every item in it
    /// taken), long enough to take what has no live holder, checking
    /// after each; done once each of them was driven [`QUIET`] with every
    /// enabled automation held by a live replica and no lease moving, or
    /// after 8 slices each.
    async fn drive(&mut self, replicas: &[usize]) -> Verdict {
        let mut quiet = vec![Duration::ZERO; replicas.len()];
        for round in 0..replicas.len() * 8 {
            let i = round % replicas.len();
            let before = self.seen_holder.clone();
            self.drive_one(replicas[i], SLICE).await;
            self.leases();
            self.check()?;
            if self.seen_holder == before && self.enabled().into_iter().all(|a| self.held(a)) {
                quiet[i] += SLICE;
            } else {
                quiet.fill(Duration::ZERO);
            }
            if quiet.iter().all(|&q| q >= QUIET) {
                break;
            }
        }
        Ok(())
    }
}
