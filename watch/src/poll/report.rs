//! What a poll reports of the runs it reads: a new run, a tracked run seen
//! again, one finished (with its steps, when asked for), one missed or
//! gone.

use super::stage::Stage;
use super::{Answer, Poll, Queued};
use crate::error::{WatchError, WatchErrorKind};
use crate::event::RunEvent;
use crate::state::{Change, MISSES_TO_GONE};
use resend_workflows::AutomationRunStep;
use resend_workflows::RunItem;

impl<R: RunItem> Poll<R> {
    /// Reports a run seen for the first time: `Started`, then `Finished`
    /// when it is already final.
    pub(super) fn report_new(&mut self, run: R) {
        let done = run.status().is_terminal();
        // Tracked from now on: seen by this poll (a backfill of finished
        // runs holds no id of theirs).
        if !done {
            self.seen.insert(run.item_id().to_owned());
        }
        self.push(Queued::Event(RunEvent::Started(run.clone())));
        if done {
            self.finish(run, None);
        }
    }

    /// Reports what a listing or a retrieve shows of a tracked run:
    /// `Finished` when final, `Changed` when in another status, a sighting
    /// otherwise. Once per poll.
    pub(super) fn observe(&mut self, run: R, steps: Option<Vec<AutomationRunStep>>) {
        let id = run.item_id().to_owned();
        let Some(tracked) = self.state.in_flight.get(&id).cloned() else {
            return;
        };
        if !self.seen.insert(id.clone()) {
            return;
        }
        let status = run.status();
        if status.is_terminal() {
            self.finish(run, steps);
        } else if status != tracked.status() {
            let from = tracked.status().clone();
            self.push(Queued::Event(RunEvent::Changed { run, from }));
        } else if tracked.misses() > 0 {
            self.push(Queued::Silent(Change::Sighted { id }));
        }
    }

    /// Reports a run found final, with its steps when asked for them (a
    /// retrieve follows, at the poll's end, when a listing found it).
    pub(super) fn finish(&mut self, run: R, steps: Option<Vec<AutomationRunStep>>) {
        let wanted = self.settings.filters && self.settings.steps_for.contains(run.status());
        match (wanted, steps) {
            (true, None) => self.finishing.push(run),
            (true, Some(steps)) => self.push(Queued::Event(RunEvent::Finished {
                run,
                steps: Some(steps),
            })),
            (false, _) => self.push(Queued::Event(RunEvent::Finished { run, steps: None })),
        }
    }

    /// A tracked run looked for and not found: a miss, or, confirmed,
    /// `Gone`.
    pub(super) fn missed(&mut self, id: &str) {
        let Some(tracked) = self.state.in_flight.get(id).cloned() else {
            return;
        };
        self.seen.insert(id.to_owned());
        if tracked.misses().saturating_add(1) >= MISSES_TO_GONE {
            let last = tracked.status().clone();
            let id = id.to_owned();
            self.push(Queued::Event(RunEvent::Gone { id, last }));
        } else {
            let id = id.to_owned();
            self.push(Queued::Silent(Change::Missed { id }));
        }
    }

    /// The retrieve of a finished run's steps came back.
    pub(super) fn stepped(&mut self, answer: Answer<R>) {
        self.stage = Stage::Steps;
        if self.finishing.is_empty() {
            return;
        }
        let listed = self.finishing.remove(0);
        match answer {
            Answer::Run {
                run,
                steps: Some(steps),
            } if run.status().is_terminal() => self.push(Queued::Event(RunEvent::Finished {
                run,
                steps: Some(steps),
            })),
            Answer::Failed(error) => {
                let run_id = listed.item_id().to_owned();
                self.push(Queued::Event(RunEvent::Finished {
                    run: listed,
                    steps: None,
                }));
                let kind = WatchErrorKind::RunUnreadable { run_id };
                self.push(Queued::Failed(WatchError::with_source(kind, error).into()));
            }
            _ => self.push(Queued::Event(RunEvent::Finished {
                run: listed,
                steps: None,
            })),
        }
    }
}
