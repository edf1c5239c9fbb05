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

use tokio::time::Instant;

use super::event::RunEvent;
use super::state::{Change, WatchState};
use crate::error::{Error, WatchError, WatchErrorKind};
use resend_workflows::Cursor;
use resend_workflows::Timestamp;
use resend_workflows::{Page, RunItem};

mod ask;
mod backfill;
mod check;
mod left;
mod queued;
mod report;
mod settings;
mod stage;
mod sweep;
#[cfg(test)]
mod tests;
mod top;
mod trail;

pub(crate) use ask::{Answer, Ask};
pub(crate) use queued::Queued;
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub use settings::Forced;
pub(crate) use settings::{Settings, TERMINAL};
use stage::{Stage, Trail};

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

/// One poll.
#[derive(Debug)]
pub(crate) struct Poll<R> {
    /// The traversal the last list request belongs to.
    trail: Option<Trail>,
    /// The state as this poll moves it (ahead of what was yielded).
    state: WatchState,
    settings: Settings,
    /// Where the look-back window hung from when the poll started.
    horizon: Option<Timestamp>,
    /// The latest the server's clock read, as this poll's pages told.
    clock: Option<Timestamp>,
    stage: Stage,
    items: VecDeque<Queued<R>>,
    started: Instant,
    pages: u32,
    /// Runs in flight whose status this poll has read (or that it found).
    seen: HashSet<String>,
    /// Runs whose `Finished` waits for their steps.
    finishing: Vec<R>,
    /// Runs the first look's top page showed running: told when the
    /// running listing answers (see `Poll::begun`).
    begun: Vec<R>,
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
        let stage = if state.is_started() {
            Stage::Top {
                after: None,
                first: true,
            }
        } else {
            Stage::Begin
        };
        let state_window = state.window_due();
        Self {
            trail: None,
            horizon: state.horizon(),
            clock: None,
            state,
            settings,
            stage,
            items: VecDeque::new(),
            started: now,
            pages: 0,
            seen: HashSet::new(),
            finishing: Vec::new(),
            begun: Vec::new(),
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

    /// The runs in flight after this poll, a backfill not done counted as
    /// one: what keeps the cadence from backing off.
    pub(crate) fn in_flight(&self) -> usize {
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
                        after: backfill.after.clone().and_then(saved_cursor),
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

    fn past_bounds(&self, now: Instant) -> bool {
        self.pages >= self.settings.max_pages
            || now.saturating_duration_since(self.started) > self.settings.max_time
    }

    /// Takes the answer to the last request.
    pub(crate) fn answer(&mut self, answer: Answer<R>) {
        let (answer, broken) = self.received(answer);
        self.dispatch(answer);
        // A traversal that broke the pagination contract ends the poll:
        // the server loops, and the next traversal would too.
        if broken && !self.closing && !self.over {
            self.end();
        }
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
            .is_some_and(|api| api.kind() == &resend_workflows::ApiErrorKind::NotFound)
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
            self.push(Queued::Silent(Change::Polled {
                full: self.full,
                clock: self.clock,
            }));
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

/// A cursor from a run id the watch keeps in its state; `None` when the
/// id cannot be one (a run id the server sent with characters no cursor
/// takes, or a stored state changed by hand): the poll then reads from the
/// top instead of from it, as a cursor the server refused would have it.
pub(crate) fn saved_cursor(id: String) -> Option<Cursor> {
    Cursor::new(id).ok()
}
