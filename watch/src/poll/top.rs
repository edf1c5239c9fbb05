//! The top of the list: the start (`StartAt`), the new runs (late ones in
//! the look-back window included) and the runs in flight the top pages
//! show; a burst of over a page of new runs read back up from the newest
//! seen, oldest first.

use super::stage::Stage;
use super::{Answer, Poll, Queued};
use crate::error::Error;
use crate::event::StartAt;
use crate::state::{Change, LOOK_BACK, horizon_of};
use resend_workflows::RunItem;
use resend_workflows::RunStatus;

/// A page holds this many runs, at the most.
const PAGE: usize = 100;

impl<R: RunItem> Poll<R> {
    /// The first poll's top page: the start applied.
    pub(super) fn begun(&mut self, answer: Answer<R>) {
        let Some(page) = self.listed(answer) else {
            return;
        };
        if self.settings.start == StartAt::Beginning {
            // Every run is the backfill's: its first page is this one.
            self.push(Queued::Silent(Change::Began {
                baseline: Vec::new(),
                backfill: true,
                clock: self.clock,
            }));
            return self.backfilled(Answer::Page(page), self.settings.backfill_pages);
        }
        // What exists is not new: the top's runs in the look-back window
        // are known, the newest the mark. The window hangs where the state
        // will hang it: from the newest, no later than the server's clock.
        let horizon = (page.items().iter().map(RunItem::created_at).max())
            .map(|newest| horizon_of(newest, self.clock));
        let baseline = page
            .items()
            .iter()
            .filter(|r| {
                horizon.is_some_and(|h| r.created_at() >= h.minus_secs(LOOK_BACK.as_secs()))
            })
            .map(|r| (r.item_id().to_owned(), r.created_at()))
            .collect();
        self.push(Queued::Silent(Change::Began {
            baseline,
            backfill: false,
            clock: self.clock,
        }));
        match self.settings.start {
            StartAt::Running if self.settings.filters => {
                // The runs this page shows running are running at the
                // start: followed from here, newest first (as the running
                // listing tells the others). The running listing comes
                // after this page, seconds after when the budget holds it
                // back, and a run of the baseline that finished in between
                // is in no listing of runs running, and never new: it
                // would never be told. Told when that listing answers,
                // so the first look's events come at its end, as before.
                self.begun = page
                    .into_items()
                    .into_iter()
                    .filter(|run| run.status() == &RunStatus::Running)
                    .collect();
                self.stage = Stage::BeginRunning { after: None };
            }
            _ => self.end(),
        }
    }

    /// A page of the runs running at the start: each followed from now
    /// (those the top page showed running are already).
    pub(super) fn begun_running(&mut self, answer: Answer<R>) {
        // Whatever the listing's answer, an error included.
        for run in std::mem::take(&mut self.begun) {
            self.report_new(run);
        }
        let Some(page) = self.listed(answer) else {
            return;
        };
        let next = page.next_cursor().cloned();
        for run in page.into_items() {
            let tracked = self.state.in_flight.contains_key(run.item_id());
            if !tracked && run.status() == &RunStatus::Running {
                self.report_new(run);
            }
        }
        match next {
            Some(after) => self.stage = Stage::BeginRunning { after: Some(after) },
            None => self.end(),
        }
    }

    /// A page from the top: runs in flight observed, new ones collected
    /// (reported, oldest first, once the window is read).
    pub(super) fn top_page(&mut self, answer: Answer<R>, first: bool) {
        let Some(page) = self.listed(answer) else {
            return;
        };
        let has_more = page.has_more();
        // No run seen yet, and more than a page of them: every one is new.
        // They are read as a backfill is, newest first, a few pages a poll
        // from a cursor the state keeps: a list of any length, resumable.
        if first && self.horizon.is_none() && has_more {
            return self.backfilled(Answer::Page(page), self.settings.backfill_pages);
        }
        let next = page.next_cursor().cloned();
        let floor = self.horizon.map(|h| h.minus_secs(LOOK_BACK.as_secs()));
        let items = page.into_items();
        // A full first page of new runs, newer than anything seen: a burst.
        // Read it back up from the newest seen, oldest first, a resumable
        // way (the page is read again at its end).
        let burst = first
            && has_more
            && items.len() >= PAGE
            && self.horizon.is_some_and(|h| {
                items
                    .iter()
                    .all(|r| !self.state.knows(r.item_id()) && r.created_at() > h)
            });
        let mark = self
            .state
            .mark
            .clone()
            .and_then(|m| super::saved_cursor(m.id));
        if let (true, Some(before)) = (burst, mark) {
            self.stage = Stage::Newer { before };
            return;
        }
        // A backfill going on reports every run below its cursor: the top
        // stops there (a window as deep as the backfill would report the
        // backfill's runs, oldest first, in one poll).
        // One seeking where it stood (its cursor refused) owns what is
        // below that.
        let backfill_at = self.state.backfill.as_ref().and_then(|b| b.after.clone());
        let seeking = self
            .state
            .backfill
            .as_deref()
            .filter(|b| b.seeking())
            .cloned();
        let mut below_backfill = false;
        for run in items {
            below_backfill |= seeking
                .as_ref()
                .is_some_and(|b| b.owns(run.item_id(), run.created_at()));
            if below_backfill {
                continue;
            }
            self.top.read = self.top.read.saturating_add(1);
            let created = run.created_at();
            self.top.reached = Some(self.top.reached.map_or(created, |r| r.min(created)));
            below_backfill = backfill_at.as_deref() == Some(run.item_id());
            if self.state.in_flight.contains_key(run.item_id()) {
                self.observe(run, None);
            } else if !self.state.knows(run.item_id()) && floor.is_none_or(|f| created >= f) {
                self.top.fresh.push(run);
            }
        }
        self.top.cursor = next.clone();
        let next = next.filter(|_| !below_backfill);
        // New runs are all above the newest seen: on the top page, unless
        // it is all new (a burst). Deeper, only runs created late (or by a
        // slow clock): the rest of the window is read every few polls.
        let in_window = self.window
            && self
                .top
                .reached
                .is_some_and(|r| floor.is_none_or(|f| r >= f));
        // Every run read is above where the window hangs (stamped ahead
        // of the server's clock, or new): a list ordered by creation time
        // keeps the runs stamped ahead on top, the runs created since
        // below them.
        let ahead = self
            .top
            .reached
            .zip(self.horizon)
            .is_some_and(|(r, h)| r > h);
        match next {
            Some(after) if in_window || ahead => {
                self.stage = Stage::Top {
                    after: Some(after),
                    first: false,
                };
            }
            _ => {
                self.top.whole = !has_more;
                // New runs, oldest first.
                for run in std::mem::take(&mut self.top.fresh).into_iter().rev() {
                    self.report_new(run);
                }
                self.stage = Stage::Plan;
            }
        }
    }

    /// A page of a burst, read back up: each new run reported, oldest
    /// first; the newest seen moves up with it.
    pub(super) fn newer_page(&mut self, answer: Answer<R>) {
        let page = match answer {
            Answer::Page(page) => page,
            Answer::Run { .. } => return self.end(),
            // The newest run seen is gone (deleted): the list from the top
            // instead, down to the look-back window.
            Answer::Failed(error) if is_gone(&error) => {
                self.window = true;
                self.stage = Stage::Top {
                    after: None,
                    first: false,
                };
                return;
            }
            Answer::Failed(error) => {
                self.failed_listing(error);
                return self.end();
            }
        };
        let next = page.next_cursor().cloned();
        // Oldest first: the traversal's guard turned the page round.
        for run in page.into_items() {
            self.top.read = self.top.read.saturating_add(1);
            let created = run.created_at();
            self.top.reached = Some(self.top.reached.map_or(created, |r| r.min(created)));
            if self.state.in_flight.contains_key(run.item_id()) {
                self.observe(run, None);
            } else if !self.state.knows(run.item_id()) {
                self.report_new(run);
            }
        }
        match next {
            Some(before) => self.stage = Stage::Newer { before },
            // The top reached: every run in flight is left for the plan.
            None => {
                self.top.cursor = None;
                self.top.whole = false;
                self.stage = Stage::Plan;
            }
        }
    }
}

/// Whether an error says a cursor's run is not there.
pub(super) fn is_gone(error: &Error) -> bool {
    use resend_workflows::ApiErrorKind;
    error.as_api().is_some_and(|api| {
        matches!(
            api.kind(),
            ApiErrorKind::NotFound | ApiErrorKind::ValidationError
        )
    })
}
