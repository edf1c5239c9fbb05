//! The backfill of `StartAt::Beginning`: every run that existed, newest
//! first, a few pages a poll, from a cursor the state keeps, so a list of
//! any length is read a page at a time and a restart goes on from there.

use super::{Answer, Poll, Queued, Stage};
use crate::pagination::RunItem;
use crate::watch::state::Change;

impl<R: RunItem> Poll<R> {
    /// A page of the backfill; `left` pages this poll, this one included.
    pub(super) fn backfilled(&mut self, answer: Answer<R>, left: u32) {
        let Some(page) = self.listed(answer) else {
            return;
        };
        let next = page.next_cursor().map(|c| c.as_str().to_owned());
        for run in page.into_items() {
            if self.state.in_flight.contains_key(run.item_id()) {
                self.observe(run, None);
            } else if !self.state.knows(run.item_id()) {
                self.report_new(run);
            }
        }
        let done = next.is_none();
        self.push(Queued::Silent(Change::Backfilled { after: next }));
        let left = left.saturating_sub(1);
        if done || left == 0 {
            self.end();
        } else {
            self.stage = Stage::Backfill { left };
        }
    }
}
