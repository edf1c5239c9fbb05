//! What the running listing no longer shows, found out (a retrieve each
//! or the terminal listing, whichever costs less), and a retrieve's answer.

use std::collections::HashSet;

use super::stage::{Stage, Sweep};
use super::{Answer, Poll, Queued};
use crate::error::{WatchError, WatchErrorKind};
use crate::plan::{Plan, Uncovered};
use resend_workflows::ApiErrorKind;
use resend_workflows::RunItem;
use resend_workflows::RunStatus;

impl<R: RunItem> Poll<R> {
    /// After the running listing: the runs last seen running that left it
    /// (`left`), and those in other statuses, are found out.
    pub(super) fn left_running(&mut self, listed: &HashSet<String>, targets: Vec<String>) {
        let unseen: Vec<String> = targets
            .into_iter()
            .filter(|id| !listed.contains(id) && !self.seen.contains(id))
            .collect();
        let was_running = |p: &Self, id: &String| {
            p.state
                .in_flight
                .get(id)
                .is_some_and(|t| t.status() == &RunStatus::Running)
        };
        let left: Vec<String> = unseen
            .iter()
            .filter(|id| was_running(self, id))
            .cloned()
            .collect();
        let others: Vec<String> = unseen
            .iter()
            .filter(|id| !was_running(self, id))
            .cloned()
            .collect();
        self.departed = Some(u64::try_from(left.len()).unwrap_or(u64::MAX));
        if left.is_empty() && others.is_empty() {
            self.stage = Stage::Steps;
            return;
        }
        // A retrieve each, or the terminal listing down to the oldest (and
        // a retrieve for those it does not show): whichever costs less.
        // Runs in a status the running listing omits need the latter.
        let all: Vec<String> = left.iter().chain(&others).cloned().collect();
        let until = self.oldest(all.iter());
        let listing = until.map_or(u64::MAX, |until| {
            let uncovered = [Uncovered {
                created_at: until,
                running: true,
            }];
            let in_flight = self.in_flight_times();
            self.sight(&uncovered, &in_flight)
                .and_then(|s| s.price(Plan::Terminal))
                .unwrap_or(u64::MAX)
        });
        let retrieves = u64::try_from(left.len()).unwrap_or(u64::MAX);
        self.stage = match (others.is_empty(), until) {
            (true, _) if retrieves <= listing => Stage::Sweep(Sweep::Retrieve { ids: left.into() }),
            (_, Some(until)) => Stage::Sweep(Sweep::Terminal {
                next: Some(None),
                until,
                targets: all.into_iter().collect(),
                then: left,
            }),
            (_, None) => Stage::Steps,
        };
    }

    /// A retrieve came back: the run observed; a 404 a miss; any other
    /// failure an error about that run, the others going on.
    pub(super) fn retrieved(&mut self, id: &str, answer: Answer<R>) {
        match answer {
            Answer::Run { run, steps } => {
                if self.state.in_flight.contains_key(run.item_id()) {
                    self.observe(run, steps);
                } else {
                    // Not the run asked for: taken for not found.
                    self.missed(id);
                }
            }
            Answer::Failed(error) => {
                let gone = error
                    .as_api()
                    .is_some_and(|api| api.kind() == &ApiErrorKind::NotFound);
                if gone {
                    self.missed(id);
                } else {
                    self.seen.insert(id.to_owned());
                    let kind = WatchErrorKind::RunUnreadable {
                        run_id: id.to_owned(),
                    };
                    self.push(Queued::Failed(WatchError::with_source(kind, error).into()));
                }
            }
            Answer::Page(_) => {}
        }
    }
}
