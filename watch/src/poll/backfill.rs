//! The backfill of `StartAt::Beginning`: every run that existed, newest
//! first, a few pages a poll, from a cursor the state keeps, so a list of
//! any length is read a page at a time and a restart goes on from there.
//!
//! It also keeps where it stands in time (the last run read, and those
//! read at the same instant): when the server refuses its cursor (a 404
//! or a 422, the run deleted), that is a run gone, never the automation:
//! it reads again from the top, past what it read already, and goes on
//! from there (a page per hundred runs above where it stood), as the full
//! check and the burst read-back do for their cursors.

use super::stage::Stage;
use super::top::is_gone;
use super::{Answer, Poll, Queued};
use crate::state::{Backfill, Change};
use resend_workflows::RunItem;

impl<R: RunItem> Poll<R> {
    /// A page of the backfill; `left` pages this poll, this one included.
    pub(super) fn backfilled(&mut self, answer: Answer<R>, left: u32) {
        let mut at = self.state.backfill.as_deref().cloned().unwrap_or_default();
        let page = match answer {
            // The run at the cursor is gone: from the top, to where it stood.
            Answer::Failed(error) if at.after.is_some() && is_gone(&error) => {
                at.after = None;
                self.push(Queued::Silent(Change::Backfilled { next: Some(at) }));
                return self.backfill_on(left, false);
            }
            answer => match self.listed(answer) {
                Some(page) => page,
                None => return,
            },
        };
        let next = page.next_cursor().map(|c| c.as_str().to_owned());
        let from = at.clone();
        for run in page.into_items() {
            let (id, created) = (run.item_id().to_owned(), run.created_at());
            if !from.owns(&id, created) {
                // Read already, before the cursor was refused.
                if self.state.in_flight.contains_key(&id) {
                    self.observe(run, None);
                }
                continue;
            }
            at.read(&id, created);
            if self.state.in_flight.contains_key(&id) {
                self.observe(run, None);
            } else if !self.state.knows(&id) {
                self.report_new(run);
            }
        }
        let done = next.is_none();
        let next = next.map(|after| Backfill {
            after: Some(after),
            ..at
        });
        self.push(Queued::Silent(Change::Backfilled { next }));
        self.backfill_on(left, done);
    }

    /// After a page of the backfill: the next, or the poll's end.
    fn backfill_on(&mut self, left: u32, done: bool) {
        let left = left.saturating_sub(1);
        if done || left == 0 {
            self.end();
        } else {
            self.stage = Stage::Backfill { left };
        }
    }
}
