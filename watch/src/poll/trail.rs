//! The traversals of a poll, each under the pagination contract a list
//! stream keeps ([`Traversal`]), and the records of a page that did not
//! decode.

use super::stage::Trail;
use super::{Answer, Ask, Poll, Queued};
use crate::state::Change;
use resend_workflows::BadRecord;
use resend_workflows::{Page, RunItem, Traversal};

impl<R: RunItem> Poll<R> {
    /// Counts `ask` in its traversal: the one under way when it asks for
    /// that traversal's next page, else a new one from where it starts.
    pub(super) fn follow(&mut self, ask: &Ask) {
        let Some((listing, position)) = ask.listing() else {
            return;
        };
        if let Some(trail) = &self.trail
            && trail.listing == listing
            && trail.guard.pending_position() == Some(&position)
        {
            // Asked again, unanswered (a request dropped on the way).
            return;
        }
        let goes_on = self.trail.as_ref().is_some_and(|trail| {
            trail.listing == listing && trail.guard.next_position() == Some(&position)
        });
        if !goes_on {
            self.trail = Some(Trail {
                listing,
                guard: Traversal::boundaries_only(position),
            });
        }
        if let Some(trail) = &mut self.trail {
            // No page cap: the poll's own bounds hold.
            let _ = trail.guard.begin();
        }
    }

    /// Checks a page against its traversal's guard: the page as the
    /// stage reads it (a backward page oldest first), or the pagination
    /// error that ends the poll. A page with no traversal under way (none
    /// was asked for) has no guard to keep.
    fn guarded(&mut self, mut page: Page<R>) -> (Answer<R>, bool) {
        let Some(trail) = self.trail.as_mut() else {
            return (Answer::Page(page), false);
        };
        match trail.guard.accept(&mut page) {
            Ok(()) => (Answer::Page(page), false),
            Err(error) => {
                let error = trail.guard.fail(error);
                self.trail = None;
                (Answer::Failed(error.into()), true)
            }
        }
    }

    /// An answer as its stage reads it: a page checked against its
    /// traversal's guard (or the pagination error instead, and `true`:
    /// the poll ends), the server's clock it tells kept, its bad records
    /// queued.
    pub(super) fn received(&mut self, answer: Answer<R>) -> (Answer<R>, bool) {
        let (answer, broken) = match answer {
            Answer::Page(page) => {
                self.pages = self.pages.saturating_add(1);
                self.guarded(page)
            }
            other => (other, false),
        };
        let answer = match answer {
            Answer::Page(mut page) => {
                self.clock = self.clock.max(page.server_clock());
                for record in page.take_bad() {
                    self.unreadable(record);
                }
                Answer::Page(page)
            }
            other => other,
        };
        (answer, broken)
    }

    /// A record of a page that did not decode: an error item, once per
    /// record (by its id); the page's other runs go on. A run in flight
    /// it names counts as seen: it is not missed for it.
    fn unreadable(&mut self, record: BadRecord) {
        let Some(id) = record.id().map(str::to_owned) else {
            self.items.push_back(Queued::Failed(record.into()));
            return;
        };
        self.seen.insert(id.clone());
        if self.state.unreadable.contains(&id) {
            return;
        }
        self.items.push_back(Queued::Failed(record.into()));
        self.push(Queued::Silent(Change::Unreadable { id }));
    }
}
