//! The runs in flight the top pages did not show: the plan chosen
//! (`plan.rs`) and its sweep, a page or a retrieve at a time.

use std::collections::{HashSet, VecDeque};

use super::stage::{Stage, Sweep};
use super::{Answer, Forced, Poll, Queued};
use crate::plan::{Plan, Sight, Uncovered};
use resend_workflows::Cursor;
use resend_workflows::RunStatus;
use resend_workflows::Timestamp;
use resend_workflows::{ListItem, Page, RunItem};

/// The oldest creation time on `page`, and where the listing goes on.
pub(super) fn bottom<R: RunItem>(page: &Page<R>) -> (Option<Timestamp>, Option<Cursor>) {
    let oldest = page.items().iter().map(RunItem::created_at).min();
    (oldest, page.next_cursor().cloned())
}

impl<R: RunItem> Poll<R> {
    /// What the pricing knows, for `uncovered`; `None` when nothing is.
    /// When each run in flight was created.
    pub(super) fn in_flight_times(&self) -> Vec<Timestamp> {
        self.state
            .in_flight
            .values()
            .map(|t| t.created_at())
            .collect()
    }

    pub(super) fn sight<'a>(
        &self,
        uncovered: &'a [Uncovered],
        in_flight: &'a [Timestamp],
    ) -> Option<Sight<'a>> {
        let running = self
            .state
            .in_flight
            .values()
            .filter(|t| t.status() == &RunStatus::Running)
            .count();
        let horizon = self
            .state
            .horizon()
            .or(self.top.reached)
            .or_else(|| in_flight.iter().copied().max())
            .or_else(|| uncovered.iter().map(|u| u.created_at).max())?;
        Some(Sight {
            horizon,
            read: self.top.read,
            reached: self.top.reached.unwrap_or(horizon),
            whole: self.top.whole,
            uncovered,
            in_flight,
            running: u64::try_from(running).unwrap_or(u64::MAX),
            filters: self.settings.filters,
            departures: self.departures,
        })
    }

    /// The runs in flight no listing of this poll has shown yet.
    fn unseen(&self) -> Vec<String> {
        let finishing: HashSet<&str> = self.finishing.iter().map(ListItem::item_id).collect();
        self.state
            .in_flight
            .keys()
            .filter(|id| !self.seen.contains(*id) && !finishing.contains(id.as_str()))
            .cloned()
            .collect()
    }

    /// Chooses how to learn about the runs in flight the top did not show.
    pub(super) fn plan(&mut self) {
        let ids = self.unseen();
        if ids.is_empty() {
            // The top pages showed every run in flight: a full check.
            self.full = true;
            self.stage = Stage::Steps;
            return;
        }
        if self.top.whole {
            // The top pages were the whole list, and they are not in it.
            for id in ids {
                self.missed(&id);
            }
            self.full = true;
            self.stage = Stage::Steps;
            return;
        }
        let uncovered: Vec<Uncovered> = ids
            .iter()
            .filter_map(|id| self.state.in_flight.get(id))
            .map(|t| Uncovered {
                created_at: t.created_at(),
                running: t.status() == &RunStatus::Running,
            })
            .collect();
        let in_flight = self.in_flight_times();
        let sight = self.sight(&uncovered, &in_flight);
        let filtered = |plan| self.settings.filters || matches!(plan, Plan::Top | Plan::Retrieve);
        let plan = match self.settings.forced {
            Some(Forced::Plan(plan)) if filtered(plan) => plan,
            Some(Forced::Plan(_)) => Plan::Top,
            None => sight
                .as_ref()
                .and_then(Sight::choose)
                .map_or(Plan::Top, |p| p.plan),
        };
        let Some(until) = self.oldest(ids.iter()) else {
            self.stage = Stage::Steps;
            return;
        };
        self.full = plan == Plan::Top;
        let sweep = match plan {
            Plan::Top => Sweep::Top {
                // On down from the top pages (or from the top, after a burst).
                next: match (&self.top.cursor, self.top.whole) {
                    (_, true) => None,
                    (Some(after), false) => Some(Some(after.clone())),
                    (None, false) => Some(None),
                },
                until,
                targets: ids,
            },
            Plan::Terminal => Sweep::Terminal {
                next: Some(None),
                until,
                targets: ids.into_iter().collect(),
                then: Vec::new(),
            },
            Plan::Running => Sweep::Running {
                next: Some(None),
                listed: HashSet::new(),
                targets: ids,
            },
            Plan::Retrieve => Sweep::Retrieve { ids: ids.into() },
        };
        // The whole list was read and they were not in it.
        if let Sweep::Top {
            next: None,
            targets,
            ..
        } = &sweep
        {
            for id in targets.clone() {
                self.missed(&id);
            }
            self.stage = Stage::Steps;
            return;
        }
        self.stage = Stage::Sweep(sweep);
    }

    /// A sweep's answer.
    pub(super) fn swept(&mut self, sweep: Sweep, answer: Answer<R>) {
        let page = match (sweep, answer) {
            (Sweep::Retrieve { mut ids }, answer) => {
                let id = ids.pop_front().unwrap_or_default();
                self.retrieved(&id, answer);
                self.stage = Stage::Sweep(Sweep::Retrieve { ids });
                return;
            }
            (sweep, Answer::Page(page)) => (sweep, page),
            (_, Answer::Failed(error)) => {
                self.items.push_back(Queued::Failed(error));
                self.stage = Stage::Steps;
                return;
            }
            (sweep, Answer::Run { .. }) => {
                self.stage = Stage::Sweep(sweep);
                return;
            }
        };
        match page {
            (Sweep::Top { until, targets, .. }, page) => self.top_swept(page, until, targets),
            (
                Sweep::Terminal {
                    until,
                    targets,
                    then,
                    ..
                },
                page,
            ) => self.terminal_swept(page, until, targets, then),
            (
                Sweep::Running {
                    mut listed,
                    targets,
                    ..
                },
                page,
            ) => {
                let (_, next) = bottom(&page);
                for run in page.into_items() {
                    listed.insert(run.item_id().to_owned());
                    self.observe(run, None);
                }
                match next {
                    Some(after) => {
                        self.stage = Stage::Sweep(Sweep::Running {
                            next: Some(Some(after)),
                            listed,
                            targets,
                        });
                    }
                    None => self.left_running(&listed, targets),
                }
            }
            (sweep @ Sweep::Retrieve { .. }, _) => self.stage = Stage::Sweep(sweep),
        }
    }

    /// A page of the list on down: the runs met observed; past `until`
    /// (or at the list's end), the targets not met are missed.
    fn top_swept(&mut self, page: Page<R>, until: Timestamp, targets: Vec<String>) {
        let (oldest, next) = bottom(&page);
        for run in page.into_items() {
            self.observe(run, None);
        }
        match next {
            Some(after) if oldest.is_some_and(|o| o >= until) => {
                self.stage = Stage::Sweep(Sweep::Top {
                    next: Some(Some(after)),
                    until,
                    targets,
                });
            }
            _ => {
                let passed: Vec<String> = targets
                    .into_iter()
                    .filter(|id| !self.seen.contains(id))
                    .filter(|id| {
                        self.state.in_flight.get(id).is_some_and(|t| {
                            next.is_none() || oldest.is_some_and(|o| t.created_at() >= o)
                        })
                    })
                    .collect();
                for id in passed {
                    self.missed(&id);
                }
                self.stage = Stage::Steps;
            }
        }
    }

    /// A page of the terminal listing: the targets on it finished.
    fn terminal_swept(
        &mut self,
        page: Page<R>,
        until: Timestamp,
        targets: HashSet<String>,
        then: Vec<String>,
    ) {
        let (oldest, next) = bottom(&page);
        for run in page.into_items() {
            if targets.contains(run.item_id()) {
                self.observe(run, None);
            }
        }
        match next {
            Some(after) if oldest.is_some_and(|o| o >= until) => {
                self.stage = Stage::Sweep(Sweep::Terminal {
                    next: Some(Some(after)),
                    until,
                    targets,
                    then,
                });
            }
            _ => {
                let ids: VecDeque<String> = then
                    .into_iter()
                    .filter(|id| !self.seen.contains(id))
                    .collect();
                self.stage = match ids.is_empty() {
                    true => Stage::Steps,
                    false => Stage::Sweep(Sweep::Retrieve { ids }),
                };
            }
        }
    }
}
