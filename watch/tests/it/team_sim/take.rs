//! A replica's consumer taking items from its stream (a replica acts only
//! while its consumer waits in `next()`), and what the oracle learns from
//! each take: what was told, what was committed, who started each
//! automation's state.

use std::time::Duration;

use futures::StreamExt;
use resend_workflows_watch::TeamEvent;
use tokio::time::Instant;

use super::{End, Sim, Told, name};

/// At most this many polls at one instant for requests left half made.
const UNSTRAND_AT_MOST: usize = 100;

impl Sim {
    /// The next item of `replica`'s stream, waiting at most `window`;
    /// then, while its stream left a request half made, polled on at this
    /// instant (an item it has then, its consumer takes too). Whether an
    /// item came.
    ///
    /// Why: a stream that yields one automation's item while another of
    /// its automations connects leaves that connection half made until
    /// polled again; its hops would come whenever the consumer next asks,
    /// each with the clock moved on (the wire holds the clock only while
    /// something moves on it).
    pub(super) async fn take(&mut self, replica: usize, window: Duration) -> bool {
        let got = self.take_one(replica, Some(window)).await;
        for _ in 0..UNSTRAND_AT_MOST {
            let line = self.replicas[replica].line;
            if !self.wire.stranded(line).await {
                break;
            }
            let moves = self.wire.moves();
            let took = self.take_one(replica, None).await;
            self.wire.settle().await;
            // Nothing moved: what is left half made waits on no poll of
            // this stream (a request its stream dropped).
            if !took && self.wire.moves() == moves {
                break;
            }
        }
        got
    }

    /// Drives `replica` for `window` of the clock, taking every item in
    /// it.
    pub(super) async fn drive_one(&mut self, replica: usize, window: Duration) {
        let end = Instant::now() + window;
        while self.replicas[replica].stream.is_some() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.take(replica, left).await;
        }
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
        self.deleted_at_cursors();
        self.commits(before);
        // A lease that moved during this take moved before what it told.
        self.leases();
        match item {
            Err(()) => false,
            Ok(None) => {
                self.note(format!("r{replica} stream ended"));
                self.ended(replica, End::Crashed);
                self.replicas[replica].stream = None;
                false
            }
            Ok(Some(Err(e))) => {
                let ends = e.ends_watch();
                self.note(format!("r{replica} error: {e}"));
                !ends
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
                    run,
                    kind,
                    committed: None,
                });
                let i = self.told.len() - 1;
                self.pending.entry((epoch, a)).or_default().push(i);
                self.judge(i);
                true
            }
            Ok(Some(Ok(other))) => {
                self.note(format!("r{replica}/{epoch} {other:?}"));
                true
            }
        }
    }

    /// What each replica committed since last looked (through its own
    /// way to the store, so with the lease, in its life now): its events
    /// of that automation told before this take (`before` of them) are
    /// committed. And the start of each automation's first state.
    fn commits(&mut self, before: usize) {
        for r in 0..self.replicas.len() {
            for a in 0..self.automations.len() {
                let commits = self.replicas[r].cut.commits(&self.keys[a]);
                if commits == self.seen_commits[r][a] {
                    continue;
                }
                self.seen_commits[r][a] = commits;
                if self.origin[a].is_none() {
                    let start = self.replicas[r].start;
                    self.origin[a] = Some(start);
                    self.note(format!("{} began from {start:?}", name(a)));
                }
                let newly = self.committed(self.replicas[r].epoch, a, before);
                let in_flight: Vec<usize> = self
                    .store
                    .get(&self.keys[a])
                    .iter()
                    .flat_map(|s| s.in_flight().map(|(id, _)| self.run_index[id]))
                    .take(12)
                    .collect();
                self.note(format!(
                    "{} committed by r{r}: events {newly:?}; in flight {in_flight:?}",
                    name(a)
                ));
            }
        }
    }

    /// The runs the wire deleted just before a request named them as its
    /// cursor: gone, as the oracle knows them.
    fn deleted_at_cursors(&mut self) {
        for id in self.wire.deleted() {
            let i = self.run_index[&id];
            self.runs[i].deleted = true;
            self.note(format!("run {i} deleted at a cursor"));
        }
    }
}
