//! One poll of a watch, as a synchronous machine: it names the next
//! request ([`Ask`]), takes its answer ([`Answer`]), and queues what it
//! found ([`Queued`]); the driver sends the requests and yields the items
//! a page at a time, so a poll of any length holds a few pages, never the
//! backlog. Each item says how it changes the state, and the poll moves
//! its state by exactly those changes.
//!
//! A poll reads the list from the top down to its look-back window
//! (`top.rs`: the new runs, late ones included, and the runs in flight
//! created since; a burst of over a page of new runs is read back up from
//! the newest seen, oldest first), then learns what became of the other
//! runs in flight by the cheapest plan (`sweep.rs`, priced by `plan.rs`),
//! then reads a few pages of a backfill (`backfill.rs`). It is bounded in
//! pages and in time.
//!
//! Every traversal it makes (its pages of one listing, each after the
//! last) keeps the pagination contract a list stream keeps
//! ([`Traversal`]): a page with `has_more` and no runs, a cursor seen
//! before in the traversal, or a run repeated from the same or the
//! previous page ends the poll at once with that `Pagination` error. A
//! server that loops costs a request or two a poll, not its page bound.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::event::{RunEvent, StartAt};
use super::plan::Plan;
use super::state::{Change, WatchState};
use crate::error::{BadRecord, Error, WatchError, WatchErrorKind};
use crate::ids::Cursor;
use crate::pagination::{Page, RunItem, Traversal};
use crate::status::RunStatus;
use crate::timestamp::Timestamp;

mod ask;
mod backfill;
mod check;
mod left;
mod queued;
mod report;
mod sweep;
#[cfg(test)]
mod tests;
mod top;

use ask::Listing;
pub(crate) use ask::{Answer, Ask};
pub(crate) use queued::Queued;

/// The statuses the terminal listing asks for: every final status the
/// crate knows (`skipped` too: a run skipped below the top page is found
/// at the next poll, not by the full check a dozen polls later).
pub(crate) const TERMINAL: &[RunStatus] = &[
    RunStatus::Completed,
    RunStatus::Failed,
    RunStatus::Cancelled,
    RunStatus::Skipped,
];

/// A plan forced on every poll, instead of the cheapest (tests and the
/// benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub, dead_code))]
pub enum Forced {
    /// This plan for the runs the top pages did not show (the full check
    /// goes on beside it: it finds what no plan sees).
    Plan(Plan),
    /// The watch as it was before plans: new runs by a backward traversal
    /// from the newest seen (no top page), then the running listing and a
    /// retrieve per run in flight not in it.
    Legacy,
}

/// What every poll of a watch is set up with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) start: StartAt,
    /// Whether the list filters by status (automations; not the alpha).
    pub(crate) filters: bool,
    pub(crate) forced: Option<Forced>,
    /// The final statuses whose `Finished` carries the run's steps.
    pub(crate) steps_for: Vec<RunStatus>,
    /// Pages of a backfill a poll reads.
    pub(crate) backfill_pages: u32,
    /// The most pages, and the longest time, of one poll.
    pub(crate) max_pages: u32,
    pub(crate) max_time: Duration,
}

/// Where the poll is.
#[derive(Debug)]
enum Stage {
    /// The start (`StartAt`), applied at the first poll.
    Begin,
    /// The running runs, for `StartAt::Running`.
    BeginRunning {
        after: Option<Cursor>,
    },
    /// The list from the top, down to the look-back window.
    Top {
        after: Option<Cursor>,
        first: bool,
    },
    /// A burst of new runs, read back up from the newest seen.
    Newer {
        before: Cursor,
    },
    /// Choosing how to learn about the runs in flight the top did not show.
    Plan,
    Sweep(sweep::Sweep),
    /// A page of the full check, after run `after` (`None`: the top), its
    /// runs in flight created before `upper` judged.
    Check {
        after: Option<Cursor>,
        upper: Option<Timestamp>,
    },
    /// Retrieves of finished runs whose steps were asked for.
    Steps,
    Backfill {
        left: u32,
    },
    Done,
}

/// What the top pages read.
#[derive(Debug)]
struct TopRead<R> {
    /// New runs found, newest first: reported, oldest first, once the
    /// look-back window is read (a few pages; before any run was seen, as
    /// many as the poll's bound allows).
    fresh: Vec<R>,
    /// Runs read, the oldest creation time among them, where the list
    /// goes on from, and whether that was the whole list.
    read: u64,
    reached: Option<Timestamp>,
    cursor: Option<Cursor>,
    whole: bool,
}

/// The traversal under way: its listing, and its guard.
#[derive(Debug)]
struct Trail {
    listing: Listing,
    guard: Traversal,
}

/// One poll.
#[derive(Debug)]
pub(crate) struct Poll<R> {
    /// The traversal the last list request belongs to.
    trail: Option<Trail>,
    /// The state as this poll moves it (ahead of what was yielded).
    state: WatchState,
    settings: Settings,
    /// The newest run's creation time when the poll started.
    horizon: Option<Timestamp>,
    stage: Stage,
    items: VecDeque<Queued<R>>,
    started: Instant,
    pages: u32,
    /// Runs in flight whose status this poll has read (or that it found).
    seen: HashSet<String>,
    /// Runs whose `Finished` waits for their steps.
    finishing: Vec<R>,
    top: TopRead<R>,
    /// Whether this poll read the list down to the oldest run in flight.
    full: bool,
    /// Whether this poll read its page of the full check.
    checked: bool,
    /// Whether this poll reads the whole look-back window (else the top
    /// page only).
    window: bool,
    /// Expected runs to have left `running` (the average of polls before),
    /// and those this poll saw leave.
    departures: u64,
    departed: Option<u64>,
    /// The listing answered 404.
    missing: bool,
    /// The poll is closing: the steps still asked for, then the end.
    closing: bool,
    /// The poll is over.
    over: bool,
}

impl<R: RunItem> Poll<R> {
    /// A poll from `state` at `now`.
    pub(crate) fn new(
        state: WatchState,
        settings: Settings,
        departures: u64,
        now: Instant,
    ) -> Self {
        let stage = match (state.is_started(), settings.forced, state.mark.clone()) {
            (false, _, _) => Stage::Begin,
            (true, Some(Forced::Legacy), Some(mark)) => Stage::Newer {
                before: Cursor::from_checked(mark.id),
            },
            (true, _, _) => Stage::Top {
                after: None,
                first: true,
            },
        };
        let state_window = state.window_due();
        Self {
            trail: None,
            horizon: state.horizon(),
            state,
            settings,
            stage,
            items: VecDeque::new(),
            started: now,
            pages: 0,
            seen: HashSet::new(),
            finishing: Vec::new(),
            window: state_window,
            top: TopRead {
                fresh: Vec::new(),
                read: 0,
                reached: None,
                cursor: None,
                whole: false,
            },
            full: false,
            checked: false,
            departures,
            departed: None,
            missing: false,
            closing: false,
            over: false,
        }
    }

    /// The items found so far, to yield.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Queued<R>> + '_ {
        self.items.drain(..)
    }

    /// Whether the collection's listing answered 404.
    pub(crate) fn missing(&self) -> bool {
        self.missing
    }

    /// The work left after this poll, for the cadence: runs in flight, and
    /// a backfill not done (one).
    pub(crate) fn outstanding(&self) -> usize {
        self.state.in_flight.len() + usize::from(self.state.backfill.is_some())
    }

    /// How many runs this poll saw leave `running` unseen by its top pages.
    pub(crate) fn departed(&self) -> Option<u64> {
        self.departed
    }

    /// The next request, at `now`; `None` when the poll is over.
    pub(crate) fn ask(&mut self, now: Instant) -> Option<Ask> {
        loop {
            if !self.over && self.past_bounds(now) {
                let elapsed = now.saturating_duration_since(self.started);
                let kind = WatchErrorKind::PollTooLong {
                    pages: self.pages,
                    elapsed,
                };
                // New runs already found are reported, oldest first.
                for run in std::mem::take(&mut self.top.fresh).into_iter().rev() {
                    self.report_new(run);
                }
                self.items
                    .push_back(Queued::Failed(WatchError::new(kind).into()));
                self.finalize();
            }
            let ask = match &mut self.stage {
                Stage::Begin => Ask::Top { after: None },
                Stage::BeginRunning { after } => Ask::Running {
                    after: after.clone(),
                },
                Stage::Top { after, .. } => Ask::Top {
                    after: after.clone(),
                },
                Stage::Newer { before } => Ask::Newer {
                    before: before.clone(),
                },
                Stage::Plan => {
                    self.plan();
                    continue;
                }
                Stage::Sweep(sweep) => match sweep.ask() {
                    Some(ask) => ask,
                    None => {
                        self.after_sweep();
                        continue;
                    }
                },
                Stage::Steps => match self.finishing.first() {
                    Some(run) => Ask::Retrieve {
                        id: run.item_id().to_owned(),
                    },
                    None if self.closing => {
                        self.finalize();
                        continue;
                    }
                    None => {
                        // A page of the full check once a poll, when one
                        // is due or under way (then the steps it asks for).
                        match self.check_from().filter(|_| !self.checked) {
                            Some((after, upper)) => {
                                self.checked = true;
                                self.stage = Stage::Check { after, upper };
                            }
                            None => self.backfill_or_end(),
                        }
                        continue;
                    }
                },
                Stage::Check { after, .. } => Ask::Top {
                    after: after.clone(),
                },
                Stage::Backfill { left } => match (&self.state.backfill, *left) {
                    (Some(backfill), 1..) => Ask::Top {
                        after: backfill.after.clone().map(Cursor::from_checked),
                    },
                    _ => {
                        self.end();
                        continue;
                    }
                },
                Stage::Done => return None,
            };
            self.follow(&ask);
            return Some(ask);
        }
    }

    /// Counts `ask` in its traversal: the one under way when it asks for
    /// that traversal's next page, else a new one from where it starts.
    fn follow(&mut self, ask: &Ask) {
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
    /// error that ends the poll.
    fn guarded(&mut self, answer: Answer<R>) -> (Answer<R>, bool) {
        let (Answer::Page(mut page), Some(trail)) = (answer, self.trail.as_mut()) else {
            unreachable!("called with pages only, a trail under way")
        };
        match trail.guard.accept(&mut page) {
            Ok(()) => (Answer::Page(page), false),
            Err(error) => {
                let error = trail.guard.fail(error);
                self.trail = None;
                (Answer::Failed(error), true)
            }
        }
    }

    fn past_bounds(&self, now: Instant) -> bool {
        self.pages >= self.settings.max_pages
            || now.saturating_duration_since(self.started) > self.settings.max_time
    }

    /// Takes the answer to the last request.
    pub(crate) fn answer(&mut self, answer: Answer<R>) {
        let (answer, broken) = match answer {
            Answer::Page(_) if self.trail.is_some() => {
                self.pages = self.pages.saturating_add(1);
                self.guarded(answer)
            }
            Answer::Page(_) => {
                self.pages = self.pages.saturating_add(1);
                (answer, false)
            }
            other => (other, false),
        };
        let answer = match answer {
            Answer::Page(mut page) => {
                for record in page.take_bad() {
                    self.unreadable(record);
                }
                Answer::Page(page)
            }
            other => other,
        };
        self.dispatch(answer);
        // A traversal that broke the pagination contract ends the poll:
        // the server loops, and the next traversal would too.
        if broken && !self.closing && !self.over {
            self.end();
        }
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

    /// Hands an answer to the stage that asked for it.
    fn dispatch(&mut self, answer: Answer<R>) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Begin => self.begun(answer),
            Stage::BeginRunning { .. } => self.begun_running(answer),
            Stage::Top { first, .. } => self.top_page(answer, first),
            Stage::Newer { .. } => self.newer_page(answer),
            Stage::Sweep(sweep) => self.swept(sweep, answer),
            Stage::Check { upper, .. } => self.checked(answer, upper),
            Stage::Steps => self.stepped(answer),
            Stage::Backfill { left } => self.backfilled(answer, left),
            Stage::Plan | Stage::Done => {}
        }
    }

    /// Queues `item`, moving the state by its change.
    fn push(&mut self, item: Queued<R>) {
        if let Some(change) = item.change() {
            self.state.apply(&change);
        }
        self.items.push_back(item);
    }

    /// The page a listing answered; else the poll ends, the failure
    /// queued.
    fn listed(&mut self, answer: Answer<R>) -> Option<Page<R>> {
        match answer {
            Answer::Page(page) => Some(page),
            Answer::Run { .. } => {
                self.end();
                None
            }
            Answer::Failed(error) => {
                self.failed_listing(error);
                self.end();
                None
            }
        }
    }

    /// Queues a failed listing; a 404 says the collection may be gone.
    fn failed_listing(&mut self, error: Error) {
        if error
            .as_api()
            .is_some_and(|api| api.kind() == &crate::error::ApiErrorKind::NotFound)
        {
            self.missing = true;
        }
        self.items.push_back(Queued::Failed(error));
    }

    /// The poll is over, once the steps asked for are retrieved.
    fn end(&mut self) {
        if !self.finishing.is_empty() && !self.closing {
            self.closing = true;
            self.stage = Stage::Steps;
            return;
        }
        self.finalize();
    }

    /// The poll is over, now: runs still waiting for their steps finish
    /// without them; after the start, a poll counts towards the next full
    /// check.
    fn finalize(&mut self) {
        self.stage = Stage::Done;
        if std::mem::replace(&mut self.over, true) {
            return;
        }
        for run in std::mem::take(&mut self.finishing) {
            self.push(Queued::Event(RunEvent::Finished { run, steps: None }));
        }
        if self.state.is_started() {
            self.push(Queued::Silent(Change::Polled { full: self.full }));
        }
        self.stage = Stage::Done;
    }

    /// After the sweep, the steps asked for, then the backfill.
    fn after_sweep(&mut self) {
        self.stage = Stage::Steps;
    }

    fn backfill_or_end(&mut self) {
        match self.state.backfill {
            Some(_) => {
                let left = self.settings.backfill_pages;
                self.stage = Stage::Backfill { left };
            }
            None => self.end(),
        }
    }

    /// The creation time of the oldest among `ids`' runs in flight.
    fn oldest<'a>(&self, ids: impl Iterator<Item = &'a String>) -> Option<Timestamp> {
        ids.filter_map(|id| self.state.in_flight.get(id))
            .map(|t| t.created_at())
            .min()
    }
}
