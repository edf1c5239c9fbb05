//! The full check: the unfiltered list, read a page a poll from where the
//! last poll stopped, down to the oldest run in flight. It finds what no
//! plan sees (a run deleted, or in a status the crate does not know, that
//! left no trace near the top) at a page a poll at most, never a poll of
//! many pages; a run in flight the check passes without meeting is missed
//! (gone after two checks). It starts again [`FULL_EVERY`] polls after the
//! last one ended.

use super::stage::Stage;
use super::sweep::bottom;
use super::top::is_gone;
use super::{Answer, Poll, Queued};
use crate::plan::FULL_EVERY;
use crate::state::{Change, Check, Tracked};
use resend_workflows::Cursor;
use resend_workflows::RunItem;
use resend_workflows::Timestamp;

impl<R: RunItem> Poll<R> {
    /// Where this poll's page of the full check starts, when one is under
    /// way or due: after which run, and the creation time above which its
    /// runs in flight were judged already.
    pub(super) fn check_from(&self) -> Option<(Option<Cursor>, Option<Timestamp>)> {
        if self.full || self.state.in_flight.is_empty() {
            return None;
        }
        if let Some(check) = &self.state.check {
            return Some((
                check.after.clone().and_then(super::saved_cursor),
                check.upper,
            ));
        }
        // It starts below the top pages this poll read; its first page
        // judges the runs above too (this poll's listing is whole from the
        // top down to its end).
        (self.state.since_full >= FULL_EVERY).then(|| (self.top.cursor.clone(), None))
    }

    /// A page of the full check: its runs in flight observed, those it
    /// passed without meeting missed; done below the oldest run in flight.
    pub(super) fn checked(&mut self, answer: Answer<R>, upper: Option<Timestamp>) {
        self.stage = Stage::Steps;
        let page = match answer {
            Answer::Page(page) => page,
            // The run it went on after is gone: the next check starts over.
            Answer::Failed(error) if is_gone(&error) => {
                self.push(Queued::Silent(Change::Checked { next: None }));
                return;
            }
            Answer::Failed(error) => {
                self.items.push_back(Queued::Failed(error));
                return;
            }
            Answer::Run { .. } => return,
        };
        let (oldest, next) = bottom(&page);
        for run in page.into_items() {
            self.observe(run, None);
        }
        // Judged: created below `upper` and above the page's oldest (at
        // the list's end, everything below): a run created at the page's
        // oldest instant may be on the next page.
        let judged: Vec<String> = self
            .state
            .in_flight
            .iter()
            .filter(|(id, tracked)| {
                let created = tracked.created_at();
                !self.seen.contains(*id)
                    && upper.is_none_or(|u| created < u)
                    && (next.is_none() || oldest.is_some_and(|o| created > o))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in judged {
            self.missed(&id);
        }
        let until = self.state.in_flight.values().map(Tracked::created_at).min();
        let done = match (&next, oldest, until) {
            (Some(_), Some(o), Some(u)) => o < u,
            _ => true,
        };
        let next = (!done).then(|| Check {
            after: next.map(|c| c.as_str().to_owned()),
            upper: oldest,
        });
        self.full |= done;
        self.push(Queued::Silent(Change::Checked { next }));
    }
}
