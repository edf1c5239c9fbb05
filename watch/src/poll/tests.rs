//! The poll machine against a list in memory (Resend's semantics: newest
//! first, exclusive cursors, `has_more`, the status filters): what each
//! poll asks, and what it reports. No HTTP, no clock but the one passed in.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)] // small, known values

use std::collections::HashSet;

use std::time::Duration;

use super::*;
use crate::event::StartAt;
use crate::plan::Plan;
use crate::state::WINDOW_EVERY;
use resend_workflows::ApiError;
use resend_workflows::AutomationRunListItem;
use resend_workflows::RunStatus;
use resend_workflows::{Page, Position};

// The cases by stage, each catching what a mutant of that stage changes.
mod ahead;
mod bounds;
mod check;
mod found;
mod left;
mod report;
mod start;
mod sweep;
mod top;

type Run = AutomationRunListItem;

/// A list in memory, newest first.
#[derive(Default)]
struct List {
    runs: Vec<Run>,
    /// Retrieves of these fail with a 500.
    broken: HashSet<String>,
    /// `has_more` without end, with fresh ids: a misbehaving server.
    endless: bool,
    /// Runs made so far, for their ids.
    made: usize,
    /// A cursor naming no run is refused with this status (default 422).
    gone_cursor: Option<u16>,
    /// The same page, `has_more` set, whatever the cursor: a looping
    /// server (a caching proxy's bug).
    repeating: bool,
    /// With `repeating`: two pages, the second after the first, and again.
    cycle_of_two: bool,
    /// Every listing answers 404 (the collection is gone).
    gone: bool,
    /// The server's clock (seconds, as `at` takes them): the newest
    /// creation time of a run added in its time ([`List::add`]).
    clock: i64,
}

fn at(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
        .unwrap()
        .into()
}

fn run(n: usize, created: i64, status: RunStatus) -> Run {
    Run {
        id: format!("r{n:05}"),
        status,
        started_at: None,
        completed_at: None,
        created_at: at(created),
    }
}

fn api_error(status: u16, name: &str) -> Error {
    resend_workflows::Error::from(ApiError::new(
        reqwest::StatusCode::from_u16(status).unwrap(),
        Some(name),
        "",
    ))
    .into()
}

impl List {
    /// Adds a run created at `created` (seconds), in `status`, by the
    /// server's clock: it reads that at least.
    fn add(&mut self, created: i64, status: RunStatus) -> String {
        self.clock = self.clock.max(created);
        self.put(created, status)
    }

    /// Adds a run stamped `secs` ahead of the server's clock, in `status`.
    fn add_ahead(&mut self, secs: i64, status: RunStatus) -> String {
        self.put(self.clock + secs, status)
    }

    /// Adds a run created at `created`, in its place.
    fn put(&mut self, created: i64, status: RunStatus) -> String {
        let n = self.made;
        self.made += 1;
        let r = run(n, created, status);
        let id = r.id.clone();
        // Newest first; of runs created in the same second, the last added.
        let place = self.runs.iter().position(|x| x.created_at <= r.created_at);
        self.runs.insert(place.unwrap_or(self.runs.len()), r);
        id
    }

    fn set(&mut self, id: &str, status: RunStatus) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.id == id) {
            r.status = status;
        }
    }

    fn page(&self, matching: impl Fn(&Run) -> bool, position: Position) -> Answer<Run> {
        let runs: Vec<&Run> = self.runs.iter().filter(|r| matching(r)).collect();
        let index = |c: &Cursor| runs.iter().position(|r| r.id == c.as_str());
        let (items, has_more): (Vec<Run>, bool) = match &position {
            Position::Start => (
                runs.iter().take(100).map(|r| (*r).clone()).collect(),
                runs.len() > 100,
            ),
            Position::After(c) => match index(c) {
                Some(i) => {
                    let rest = &runs[i + 1..];
                    (
                        rest.iter().take(100).map(|r| (*r).clone()).collect(),
                        rest.len() > 100,
                    )
                }
                None => return self.refused(),
            },
            Position::Before(c) => match index(c) {
                Some(i) => {
                    let from = i.saturating_sub(100);
                    (
                        runs[from..i].iter().map(|r| (*r).clone()).collect(),
                        from > 0,
                    )
                }
                None => return self.refused(),
            },
        };
        Answer::Page(Page::new(items, has_more, &position, None).unwrap())
    }

    /// The answer to a cursor that names no run.
    fn refused(&self) -> Answer<Run> {
        match self.gone_cursor {
            Some(404) => Answer::Failed(api_error(404, "not_found")),
            _ => Answer::Failed(api_error(422, "validation_error")),
        }
    }

    /// The answer to `ask`, a page dated by the server's clock (to the end
    /// of its second, as a `Date` header tells it).
    fn answer(&mut self, ask: &Ask) -> Answer<Run> {
        let mut answer = self.respond(ask);
        if let Answer::Page(page) = answer {
            answer = Answer::Page(page.with_server_clock(Some(at(self.clock + 1))));
        }
        answer
    }

    fn respond(&mut self, ask: &Ask) -> Answer<Run> {
        let pos = |c: &Option<Cursor>| c.clone().map_or(Position::Start, Position::After);
        if self.gone && !matches!(ask, Ask::Retrieve { .. }) {
            return Answer::Failed(api_error(404, "not_found"));
        }
        if self.endless
            && let Ask::Top { .. } | Ask::Newer { .. } = ask
        {
            // Fresh runs, newer than any so far, and more to come.
            let n = self.made;
            self.made += 100;
            let mut fresh: Vec<Run> = (0..100)
                .map(|i| run(n + i, 10_000 + (n + i) as i64, RunStatus::Completed))
                .collect();
            fresh.reverse();
            let position = match ask {
                Ask::Newer { before } => Position::Before(before.clone()),
                _ => Position::Start,
            };
            return Answer::Page(Page::new(fresh, true, &position, None).unwrap());
        }
        if self.repeating && !matches!(ask, Ask::Retrieve { .. }) {
            // The first page, or (a cycle of two) the second after it.
            let second = self.cycle_of_two
                && matches!(ask, Ask::Top { after: Some(c) } | Ask::Terminal { after: Some(c) } | Ask::Running { after: Some(c) }
                    if Some(c.as_str()) == self.runs.get(99).map(|r| r.id.as_str()));
            let skip = if second { 100 } else { 0 };
            let items: Vec<Run> = self.runs.iter().skip(skip).take(100).cloned().collect();
            let position = match ask {
                Ask::Newer { before } => Position::Before(before.clone()),
                _ => Position::Start,
            };
            return Answer::Page(Page::new(items, true, &position, None).unwrap());
        }
        match ask {
            Ask::Top { after } => self.page(|_| true, pos(after)),
            Ask::Newer { before } => self.page(|_| true, Position::Before(before.clone())),
            Ask::Running { after } => self.page(|r| r.status == RunStatus::Running, pos(after)),
            Ask::Terminal { after } => self.page(|r| TERMINAL.contains(&r.status), pos(after)),
            Ask::Retrieve { id } if self.broken.contains(id) => {
                Answer::Failed(api_error(500, "internal_server_error"))
            }
            Ask::Retrieve { id } => match self.runs.iter().find(|r| &r.id == id) {
                Some(r) => Answer::Run {
                    run: r.clone(),
                    steps: Some(Vec::new()),
                },
                None => Answer::Failed(api_error(404, "not_found")),
            },
        }
    }
}

fn settings(start: StartAt) -> Settings {
    Settings {
        start,
        filters: true,
        forced: None,
        steps_for: Vec::new(),
        backfill_pages: 10,
        max_pages: 500,
        max_time: Duration::from_secs(600),
    }
}

/// What one poll asked and reported (events as `kind id`, failures as
/// `error <kind>`), and the state it leaves.
struct Polled {
    asks: Vec<Ask>,
    shown: Vec<String>,
    /// The changes of its silent items, in order.
    silent: Vec<Change>,
    /// The runs whose `Finished` carried their steps.
    with_steps: Vec<String>,
    state: WatchState,
    /// Whether the poll took the collection for missing (a 404).
    missing: bool,
    /// The work it left, and the runs it saw leave `running` unseen.
    in_flight: usize,
    departed: Option<u64>,
}

fn poll(list: &mut List, state: WatchState, settings: &Settings) -> Polled {
    drive(state, settings, |ask| list.answer(ask))
}

/// One poll, each request answered by `answer`.
fn drive(
    state: WatchState,
    settings: &Settings,
    mut answer: impl FnMut(&Ask) -> Answer<Run>,
) -> Polled {
    let mut p = Polled {
        asks: Vec::new(),
        shown: Vec::new(),
        silent: Vec::new(),
        with_steps: Vec::new(),
        state: state.clone(),
        missing: false,
        in_flight: 0,
        departed: None,
    };
    let mut poll = Poll::<Run>::new(state, settings.clone(), 1, Instant::now());
    let take = |poll: &mut Poll<Run>, p: &mut Polled| {
        for item in poll.drain() {
            if let Some(change) = item.change() {
                p.state.apply(&change);
            }
            match item {
                Queued::Event(e) => {
                    if let RunEvent::Finished {
                        run,
                        steps: Some(_),
                    } = &e
                    {
                        p.with_steps.push(run.id.clone());
                    }
                    p.shown.push(format!("{} {}", e.kind(), e.run_id()));
                }
                Queued::Failed(Error::Watch(w)) => p.shown.push(format!("error {:?}", w.kind())),
                Queued::Failed(e) => p.shown.push(format!("error {e}")),
                Queued::Silent(change) => p.silent.push(change),
            }
        }
    };
    while let Some(ask) = poll.ask(Instant::now()) {
        p.asks.push(ask.clone());
        assert!(
            p.asks.len() <= 1_000,
            "a poll that never ends: {:?}",
            p.asks
        );
        poll.answer(answer(&ask));
        take(&mut poll, &mut p);
    }
    take(&mut poll, &mut p);
    p.missing = poll.missing();
    p.in_flight = poll.in_flight();
    p.departed = poll.departed();
    p
}

fn started(poll: &Polled) -> usize {
    poll.shown
        .iter()
        .filter(|s| s.starts_with("started"))
        .count()
}

/// A list with the watch started now on it (its first poll done).
fn begun(list: &mut List, s: &Settings) -> WatchState {
    let first = poll(list, WatchState::new("automations/a/runs"), s);
    assert!(first.shown.is_empty(), "nothing reported at the start");
    first.state
}

/// A list of `runs` finished runs, one a second, with the watch started
/// now on it.
fn begun_after(list: &mut List, s: &Settings, runs: i64) -> WatchState {
    for i in 0..runs {
        list.add(i, RunStatus::Completed);
    }
    begun(list, s)
}

/// A state past its first poll (the look-back window not due) that knows
/// every run of `list` and tracks those of `ids` as in flight.
fn tracking(list: &List, ids: &[&String]) -> WatchState {
    let mut state = WatchState::new("automations/a/runs");
    let baseline = list
        .runs
        .iter()
        .map(|r| (r.id.clone(), r.created_at))
        .collect();
    state.apply(&Change::Began {
        baseline,
        backfill: false,
        clock: None,
    });
    for r in list.runs.iter().filter(|r| ids.contains(&&r.id)) {
        state.apply(&Change::Seen {
            id: r.id.clone(),
            created_at: r.created_at,
            status: r.status.clone(),
        });
    }
    state.polls = 1;
    state
}

/// The asks of `pages` pages of a listing from its top, `ask` after each
/// hundredth run of `list` (a listing holding the list's runs from the
/// top, as far as it is read).
fn down(list: &List, ask: fn(Option<Cursor>) -> Ask, pages: usize) -> Vec<Ask> {
    (0..pages)
        .map(|n| {
            ask(n
                .checked_sub(1)
                .map(|k| Cursor::new(list.runs[k * 100 + 99].id.clone()).unwrap()))
        })
        .collect()
}

/// The ask of a page of the terminal listing.
fn terminal(after: Option<Cursor>) -> Ask {
    Ask::Terminal { after }
}

/// The ask of a page of the list.
fn top(after: Option<Cursor>) -> Ask {
    Ask::Top { after }
}
