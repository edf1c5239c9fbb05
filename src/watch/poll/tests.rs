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
use crate::error::ApiError;
use crate::pagination::{Page, Position};
use crate::status::RunStatus;
use crate::transport::generated::types::AutomationRunListItem;
use crate::watch::event::StartAt;
use crate::watch::plan::Plan;
use crate::watch::state::WINDOW_EVERY;

// The cases by stage, each catching what a mutant of that stage changes.
mod bounds;
mod check;
mod left;
mod report;
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
    /// With `repeating`: two pages in turn, the second after the first.
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
    ApiError {
        status: reqwest::StatusCode::from_u16(status).unwrap(),
        kind: crate::error::ApiErrorKind::from_name(name),
        name: Some(name.into()),
        message: String::new(),
        rate_limit: None,
        retry_after: None,
        attempts: 1,
    }
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
        if let Answer::Page(page) = &mut answer {
            page.server_clock = Some(at(self.clock + 1));
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
    outstanding: usize,
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
        outstanding: 0,
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
    p.outstanding = poll.outstanding();
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
                .map(|k| Cursor::from_checked(list.runs[k * 100 + 99].id.clone())))
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

#[test]
fn new_runs_and_finishes_near_the_top_cost_one_request() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    for i in 0..50 {
        list.add(i, RunStatus::Completed);
    }
    let state = begun(&mut list, &s);
    let a = list.add(100, RunStatus::Running);
    let b = list.add(101, RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    assert_eq!(p.asks, [Ask::Top { after: None }]);
    assert_eq!(
        p.shown,
        [
            format!("started {a}"),
            format!("started {b}"),
            format!("finished {b}")
        ]
    );
    list.set(&a, RunStatus::Failed);
    let p = poll(&mut list, p.state, &s);
    assert_eq!(p.asks, [Ask::Top { after: None }]);
    assert_eq!(p.shown, [format!("finished {a}")]);
}

#[test]
fn a_run_in_a_status_the_crate_does_not_know_costs_no_retrieve_a_poll() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun(&mut list, &s);
    // 300 runs in "waiting", then 200 more on top of them.
    let waiting: Vec<String> = (0..300)
        .map(|i| list.add(i, RunStatus::Unknown("waiting".into())))
        .collect();
    let p = poll(&mut list, state, &s);
    assert_eq!(started(&p), 300);
    for i in 0..200 {
        list.add(1_000 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, p.state, &s);
    let mut state = p.state;
    let mut retrieves = 0;
    for _ in 0..5 {
        let p = poll(&mut list, state, &s);
        retrieves += p
            .asks
            .iter()
            .filter(|a| matches!(a, Ask::Retrieve { .. }))
            .count();
        assert!(p.asks.len() <= 6, "{} requests: {:?}", p.asks.len(), p.asks);
        state = p.state;
    }
    assert_eq!(retrieves, 0);
    // And when one finishes, it is found.
    list.set(&waiting[10], RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    assert!(
        p.shown.contains(&format!("finished {}", waiting[10])),
        "{:?}",
        p.shown
    );
}

#[test]
fn one_run_that_cannot_be_read_never_hides_another_s_outcome() {
    let mut list = List::default();
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Retrieve)),
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let bad = list.add(0, RunStatus::Running);
    let good = list.add(1, RunStatus::Running);
    let p = poll(&mut list, state, &s);
    // Deep enough that the top pages do not show them.
    for i in 0..300 {
        list.add(100 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, p.state, &s);
    list.broken.insert(bad.clone());
    list.set(&bad, RunStatus::Failed);
    list.set(&good, RunStatus::Completed);
    let p = poll(&mut list, p.state, &s);
    assert!(
        p.shown.contains(&format!("finished {good}")),
        "{:?}",
        p.shown
    );
    assert!(
        p.shown
            .iter()
            .any(|e| e.contains("RunUnreadable") && e.contains(&bad)),
        "{:?}",
        p.shown
    );
    // Tracked still, and found once it can be read.
    list.broken.clear();
    let p = poll(&mut list, p.state, &s);
    assert_eq!(p.shown, [format!("finished {bad}")]);
}

#[test]
fn a_run_deleted_in_flight_is_gone_once_confirmed() {
    let mut list = List::default();
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Retrieve)),
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let doomed = list.add(0, RunStatus::Running);
    let p = poll(&mut list, state, &s);
    for i in 0..300 {
        list.add(100 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, p.state, &s);
    list.runs.retain(|r| r.id != doomed);
    // One 404 is a miss, not an end...
    let p = poll(&mut list, p.state, &s);
    assert!(p.shown.is_empty(), "{:?}", p.shown);
    assert_eq!(p.state.in_flight[&doomed].misses(), 1);
    // ...the second, a poll later, confirms it.
    let p = poll(&mut list, p.state, &s);
    assert_eq!(p.shown, [format!("gone {doomed}")]);
    assert!(p.state.in_flight.is_empty());
}

#[test]
fn late_and_clock_skewed_runs_in_the_look_back_window_are_found() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    // 25 s before the newest: the window hangs from the newest. (More
    // than the window before it, the newest would be a run stamped ahead,
    // and the window would hang from this one.)
    list.add(75, RunStatus::Completed);
    let state = begun(&mut list, &s);
    let newest = list.add(100, RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    assert_eq!(started(&p), 1);
    // The newest run is deleted; a run created by a clock 20 s slow, and a
    // late insert 10 s below the newest, appear.
    list.runs.retain(|r| r.id != newest);
    let skewed = list.add(80, RunStatus::Running);
    let late = list.add(90, RunStatus::Completed);
    // Older than the window: not reported.
    let ancient = list.add(50, RunStatus::Completed);
    let p = poll(&mut list, p.state, &s);
    assert_eq!(
        p.shown,
        [
            format!("started {skewed}"),
            format!("started {late}"),
            format!("finished {late}")
        ]
    );
    assert!(!p.shown.iter().any(|e| e.contains(&ancient)));
    // Nothing twice.
    let p = poll(&mut list, p.state, &s);
    assert!(p.shown.is_empty(), "{:?}", p.shown);
}

#[test]
fn a_late_run_below_the_top_page_is_found_within_a_few_polls() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun(&mut list, &s);
    // 200 runs in the last 20 s: the window (30 s) spans two pages.
    for i in 0..200 {
        list.add(1_000 + i / 10, RunStatus::Completed);
    }
    let mut p = poll(&mut list, state, &s);
    // A run created 15 s before the newest, seen only now.
    let late = list.add(1_005, RunStatus::Completed);
    let mut found_after = None;
    let mut pages = 0;
    for n in 1..=WINDOW_EVERY {
        p = poll(&mut list, p.state, &s);
        pages += p.asks.len();
        if p.shown.contains(&format!("started {late}")) {
            found_after = Some(n);
            break;
        }
    }
    let found_after = found_after.expect("the late run is found");
    assert!(found_after <= WINDOW_EVERY, "{found_after}");
    // The top page each poll; the window's other two pages (201 runs, all
    // in the window) once.
    assert_eq!(pages as u64, found_after + 2, "{pages} pages");
}

#[test]
fn a_burst_is_read_back_up_oldest_first_and_goes_on_after_a_cut() {
    let mut list = List::default();
    let s = Settings {
        max_pages: 20,
        ..settings(StartAt::Now)
    };
    list.add(0, RunStatus::Completed);
    let state = begun(&mut list, &s);
    let ids: Vec<String> = (0..2_500)
        .map(|i| list.add(10 + i, RunStatus::Completed))
        .collect();
    // A page from the top (all new: a burst), then 19 pages back up
    // from the newest seen: the poll's bound.
    let p = poll(&mut list, state, &s);
    assert_eq!(p.asks.len(), 20);
    assert!(matches!(p.asks[1], Ask::Newer { .. }));
    assert!(
        p.shown.last().unwrap().contains("PollTooLong"),
        "{:?}",
        p.shown.last()
    );
    let first: Vec<&String> = p
        .shown
        .iter()
        .filter(|e| e.starts_with("started"))
        .collect();
    assert_eq!(first.len(), 1_900);
    assert_eq!(first[0], &format!("started {}", ids[0]), "oldest first");
    // The next poll goes on where that one stopped.
    let p = poll(&mut list, p.state, &s);
    let rest: Vec<String> = p
        .shown
        .iter()
        .filter(|e| e.starts_with("started"))
        .cloned()
        .collect();
    assert_eq!(rest.len(), 600);
    assert_eq!(rest[0], format!("started {}", ids[1_900]));
    assert_eq!(rest[599], format!("started {}", ids[2_499]));
}

#[test]
fn a_server_that_has_more_without_end_stops_the_poll_at_its_bound() {
    let mut list = List {
        endless: true,
        ..List::default()
    };
    let s = Settings {
        max_pages: 30,
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let p = poll(&mut list, state, &s);
    assert_eq!(p.asks.len(), 30);
    assert!(p.shown.last().unwrap().contains("PollTooLong"));
}

#[test]
fn a_long_delay_is_followed_by_the_terminal_listing() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun(&mut list, &s);
    // 720 runs over the last hour, all running.
    let ids: Vec<String> = (0..720)
        .map(|i| list.add(i * 5, RunStatus::Running))
        .collect();
    let mut p = poll(&mut list, state, &s);
    assert_eq!(started(&p), 720);
    // Each poll, the oldest finishes and a new one starts.
    for (n, id) in ids.iter().take(5).enumerate() {
        list.set(id, RunStatus::Completed);
        let new = list.add(3_600 + n as i64 * 5, RunStatus::Running);
        p = poll(&mut list, p.state, &s);
        assert_eq!(
            p.shown,
            [format!("started {new}"), format!("finished {id}")],
            "poll {n}"
        );
        // The top page, and one page of the terminal listing.
        assert_eq!(
            p.asks,
            [Ask::Top { after: None }, Ask::Terminal { after: None }],
            "poll {n}"
        );
    }
}

#[test]
fn a_finish_carries_its_steps_when_asked_for() {
    let mut list = List::default();
    let s = Settings {
        steps_for: vec![RunStatus::Failed],
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let failed = list.add(0, RunStatus::Failed);
    let ok = list.add(1, RunStatus::Completed);
    let mut poll = Poll::<Run>::new(state, s.clone(), 0, Instant::now());
    let mut events = Vec::new();
    while let Some(ask) = poll.ask(Instant::now()) {
        let answer = list.answer(&ask);
        poll.answer(answer);
        events.extend(poll.drain());
    }
    let finished: Vec<(String, bool)> = events
        .iter()
        .filter_map(|q| match q {
            Queued::Event(RunEvent::Finished { run, steps }) => {
                Some((run.id.clone(), steps.is_some()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(finished, [(ok, false), (failed, true)]);
}

#[test]
fn the_beginning_is_a_backfill_newest_first_a_few_pages_a_poll() {
    let mut list = List::default();
    let s = Settings {
        backfill_pages: 3,
        ..settings(StartAt::Beginning)
    };
    let ids: Vec<String> = (0..1_000)
        .map(|i| list.add(i, RunStatus::Completed))
        .collect();
    let mut state = WatchState::new("automations/a/runs");
    let mut seen = Vec::new();
    for _ in 0..4 {
        let p = poll(&mut list, state, &s);
        assert!(p.asks.len() <= 4, "{:?}", p.asks);
        seen.extend(p.shown.iter().filter(|e| e.starts_with("started")).cloned());
        state = p.state;
    }
    assert!(!state.backfilling());
    let expected: Vec<String> = ids.iter().rev().map(|id| format!("started {id}")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn starting_with_the_runs_running_follows_them() {
    let mut list = List::default();
    let s = settings(StartAt::Running);
    list.add(0, RunStatus::Completed);
    let running = list.add(1, RunStatus::Running);
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(first.shown, [format!("started {running}")]);
    list.set(&running, RunStatus::Cancelled);
    let p = poll(&mut list, first.state, &s);
    assert_eq!(p.shown, [format!("finished {running}")]);
}

#[test]
fn a_backfill_inside_the_look_back_window_stays_newest_first() {
    // Every run created in the same second: the whole list is in the
    // look-back window, which a window poll must not read past the
    // backfill's cursor (it would report the backfill's runs, oldest first).
    let mut list = List::default();
    let s = Settings {
        backfill_pages: 1,
        ..settings(StartAt::Beginning)
    };
    let ids: Vec<String> = (0..1_000)
        .map(|_| list.add(0, RunStatus::Completed))
        .collect();
    let mut state = WatchState::new("automations/a/runs");
    let mut seen = Vec::new();
    let mut polls = 0;
    while polls == 0 || state.backfilling() {
        polls += 1;
        assert!(polls <= 12, "the backfill does not end");
        let read = seen.len() / 100;
        let p = poll(&mut list, state, &s);
        // The top pages (a window poll: down to the backfill's cursor, not
        // past it), then one page of the backfill.
        let expected = match polls {
            // The start: the top page is the backfill's first.
            1 => 1,
            p if p % 6 == 1 => read + 1,
            _ => 2,
        };
        assert_eq!(p.asks.len(), expected, "poll {polls}: {:?}", p.asks);
        seen.extend(p.shown.iter().filter(|e| e.starts_with("started")).cloned());
        state = p.state;
    }
    assert_eq!(polls, 10);
    let expected: Vec<String> = ids.iter().rev().map(|id| format!("started {id}")).collect();
    assert_eq!(seen, expected);
}

#[test]
fn the_full_check_reads_a_page_a_poll_and_finds_what_no_plan_sees() {
    // 200 runs in flight below 150 finished ones, and the terminal listing
    // for them: it shows neither a run gone to a status the crate does not
    // know nor one deleted.
    let mut list = List::default();
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    let mut state = begun(&mut list, &s);
    let running: Vec<String> = (0..200).map(|i| list.add(i, RunStatus::Running)).collect();
    for i in 0..150 {
        list.add(1_000 + i, RunStatus::Completed);
    }
    let first = poll(&mut list, state, &s);
    assert_eq!(started(&first), 350);
    state = first.state;
    let (odd, doomed) = (running[10].clone(), running[150].clone());
    list.set(&odd, RunStatus::Unknown("paused".into()));
    list.runs.retain(|r| r.id != doomed);
    let (mut changed_at, mut gone_at) = (None, None);
    for n in 1..=40 {
        let p = poll(&mut list, state, &s);
        // The top page, the terminal listing's 2 pages, and at most one of
        // the check: never a poll of many pages.
        let checks = p
            .asks
            .iter()
            .filter(|a| matches!(a, Ask::Top { after: Some(_) }))
            .count();
        assert!(checks <= 1 && p.asks.len() <= 4, "poll {n}: {:?}", p.asks);
        if p.shown.contains(&format!("changed {odd}")) {
            changed_at.get_or_insert(n);
        }
        if p.shown.contains(&format!("gone {doomed}")) {
            gone_at.get_or_insert(n);
        }
        state = p.state;
    }
    // The first check starts 12 polls on and takes 3 pages (the list below
    // the top page down to the oldest run in flight); a deletion is
    // confirmed by the second.
    let changed_at = changed_at.expect("the status the crate does not know");
    let gone_at = gone_at.expect("the deleted run");
    assert!(
        (12..=15).contains(&changed_at),
        "changed at poll {changed_at}"
    );
    assert!((24..=31).contains(&gone_at), "gone at poll {gone_at}");
    assert!(!state.in_flight.contains_key(&doomed));
}

// Issue 28, case 2: the run at the backfill's cursor was deleted. The
// server refused the cursor (422 here, 404 on some servers): every poll
// failed on it, and the backfill never went on (100 of 349 runs told); a
// 404 was taken for the automation gone.
#[test]
fn a_deleted_run_at_the_backfill_cursor_does_not_stop_the_backfill() {
    for refusal in [422, 404] {
        let mut list = List {
            gone_cursor: Some(refusal),
            ..List::default()
        };
        let s = Settings {
            backfill_pages: 1,
            ..settings(StartAt::Beginning)
        };
        // 349 runs, some in the same second (ties at the cursor's time).
        let ids: Vec<String> = (0..349)
            .map(|i| list.add(i / 3, RunStatus::Completed))
            .collect();
        let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
        assert_eq!(started(&first), 100);
        let cursor = first.state.backfill.clone().unwrap().after.unwrap();
        assert_eq!(cursor, ids[249]);
        list.runs.retain(|r| r.id != cursor);
        let mut state = first.state;
        let mut told: Vec<String> = first
            .shown
            .iter()
            .filter(|e| e.starts_with("started"))
            .cloned()
            .collect();
        let mut polls = 0;
        while state.backfilling() {
            polls += 1;
            assert!(polls <= 6, "{refusal}: the backfill does not end");
            let p = poll(&mut list, state, &s);
            assert!(
                !p.shown.iter().any(|e| e.starts_with("error")),
                "{refusal}: {:?}",
                p.shown
            );
            assert!(!p.missing, "{refusal}: taken for the automation gone");
            assert!(p.asks.len() <= 3, "{refusal}: {:?}", p.asks);
            told.extend(p.shown.iter().filter(|e| e.starts_with("started")).cloned());
            state = p.state;
        }
        // Every run once, newest first: the deleted one was told already.
        let expected: Vec<String> = ids.iter().rev().map(|id| format!("started {id}")).collect();
        assert_eq!(told, expected, "{refusal}");
    }
}

// Issue 28, case 4: runs stamped ahead of the server's clock. One was
// handled (the window hung from the second newest); two were not: stamped
// 87 s and 32 s ahead (the simulation's seed 9), or an hour and an hour
// and 10 s ahead, they moved the look-back window up with them, and every
// run created after them was below it, never told, even later.
#[test]
fn runs_stamped_ahead_never_hide_the_runs_after_them() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun_after(&mut list, &s, 20);
    let ahead: Vec<String> = [87, 32, 3_600, 3_610]
        .into_iter()
        .map(|secs| list.add_ahead(secs, RunStatus::Completed))
        .collect();
    let p = poll(&mut list, state, &s);
    // Oldest first: by their stamps.
    let expected: Vec<String> = [1, 0, 2, 3]
        .into_iter()
        .flat_map(|i| {
            [
                format!("started {}", ahead[i]),
                format!("finished {}", ahead[i]),
            ]
        })
        .collect();
    assert_eq!(p.shown, expected);
    let mut state = p.state;
    let mut told = Vec::new();
    let mut expected = Vec::new();
    for i in 0..10 {
        let id = list.add(19 + 24 + i * 5, RunStatus::Running);
        expected.push(format!("started {id}"));
        let p = poll(&mut list, state, &s);
        assert!(p.asks.len() <= 2, "{:?}", p.asks);
        told.extend(p.shown);
        state = p.state;
    }
    assert_eq!(told, expected);
    // Nothing twice, the runs stamped ahead included, once the server's
    // clock is past them.
    let after = list.add(3_700, RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    assert_eq!(
        p.shown,
        [format!("started {after}"), format!("finished {after}")]
    );
}

// Issue 28, case 4, any number: more runs stamped ahead than a page holds,
// and the runs created after them are below the top page.
#[test]
fn a_page_of_runs_stamped_ahead_hides_nothing_below_it() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun_after(&mut list, &s, 20);
    for i in 0..150 {
        list.add_ahead(60 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, state, &s);
    assert_eq!(started(&p), 150);
    let mut state = p.state;
    for i in 0..3 {
        let id = list.add(25 + i, RunStatus::Running);
        let p = poll(&mut list, state, &s);
        assert_eq!(p.shown, [format!("started {id}")], "{:?}", p.asks);
        // The top page, all stamped ahead, and the next, where it is.
        assert_eq!(p.asks.len(), 2, "{:?}", p.asks);
        state = p.state;
    }
}

// Issue 28, case 13: a server that sends the same page whatever the
// cursor, `has_more` set: every poll read it to the page cap (500
// requests a poll).
#[test]
fn a_server_repeating_its_page_costs_a_request_or_two_a_poll() {
    let mut list = List::default();
    for (start, backfill_pages) in [(StartAt::Now, 10), (StartAt::Beginning, 10)] {
        let s = Settings {
            backfill_pages,
            ..settings(start)
        };
        list.repeating = false;
        list.runs.clear();
        for i in 0..150 {
            list.add(i, RunStatus::Running);
        }
        let mut state = if start == StartAt::Now {
            begun(&mut list, &s)
        } else {
            WatchState::new("automations/a/runs")
        };
        // Runs in flight below the top page, for the plans.
        if start == StartAt::Now {
            for i in 0..150 {
                list.add(1_000 + i, RunStatus::Running);
            }
            let p = poll(&mut list, state, &s);
            state = p.state;
        }
        list.repeating = true;
        let mut requests = 0;
        for n in 0..8 {
            let p = poll(&mut list, state, &s);
            requests += p.asks.len();
            assert!(p.asks.len() <= 3, "{start:?} poll {n}: {:?}", p.asks);
            assert!(
                p.shown
                    .iter()
                    .any(|e| e.contains("cycle") || e.contains("came again")),
                "{start:?} poll {n}: {:?}",
                p.shown
            );
            state = p.state;
        }
        assert!(requests <= 24, "{start:?}: {requests}");
    }
}

// Issue 28, case 14: the terminal listing asked for completed, failed and
// cancelled runs only: a run skipped below the top page was found by the
// full check alone, a dozen polls later.
#[test]
fn the_terminal_listing_shows_a_skipped_run() {
    let mut list = List::default();
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let skipped = list.add(0, RunStatus::Running);
    let p = poll(&mut list, state, &s);
    for i in 0..300 {
        list.add(100 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, p.state, &s);
    list.set(&skipped, RunStatus::Skipped);
    let p = poll(&mut list, p.state, &s);
    assert_eq!(p.shown, [format!("finished {skipped}")]);
    // Every final status the crate knows.
    assert_eq!(
        TERMINAL,
        RunStatus::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .cloned()
            .collect::<Vec<_>>()
    );
}

// A request dropped on its way (the driver's future cancelled): the same
// ask again belongs to the same traversal, its guard kept.
#[test]
fn a_page_asked_again_unanswered_stays_in_its_traversal() {
    let mut list = List::default();
    let s = settings(StartAt::Now);
    let state = begun(&mut list, &s);
    // 150 runs in flight, below 150 finished ones: past the top page.
    for i in 0..150 {
        list.add(i, RunStatus::Running);
    }
    let state = poll(&mut list, state, &s).state;
    for i in 0..150 {
        list.add(1_000 + i, RunStatus::Completed);
    }
    let state = poll(&mut list, state, &s).state;
    // Two pages in turn, whatever the cursor: a cycle of two.
    list.repeating = true;
    list.cycle_of_two = true;
    let mut p = Poll::<Run>::new(state, s.clone(), 1, Instant::now());
    let mut asks = Vec::new();
    let mut errors = 0;
    while let Some(ask) = p.ask(Instant::now()) {
        // Each ask made twice, as after a dropped request.
        assert_eq!(p.ask(Instant::now()), Some(ask.clone()));
        asks.push(ask.clone());
        assert!(asks.len() <= 6, "{asks:?}");
        p.answer(list.answer(&ask));
        errors += p
            .drain()
            .filter(|q| matches!(q, Queued::Failed(Error::Pagination(_))))
            .count();
    }
    assert_eq!(errors, 1, "{asks:?}");
}

#[test]
fn what_a_poll_leaves_for_the_cadence_and_the_next_poll() {
    // Three runs in flight below 150 finished ones: the running listing
    // finds them out.
    let mut list = List::default();
    let ids: Vec<String> = (0..3).map(|i| list.add(i, RunStatus::Running)).collect();
    for i in 0..150 {
        list.add(10 + i, RunStatus::Completed);
    }
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Running)),
        ..settings(StartAt::Running)
    };
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(started(&first), 3, "{:?}", first.shown);
    assert_eq!(first.outstanding, 3, "three in flight, no backfill");
    assert!(!first.missing);
    // Two leave `running`, unseen by the top pages.
    list.set(&ids[0], RunStatus::Completed);
    list.set(&ids[1], RunStatus::Failed);
    let second = poll(&mut list, first.state.clone(), &s);
    assert_eq!(second.departed, Some(2), "{:?}", second.shown);
    assert_eq!(second.outstanding, 1, "one left in flight");
    // A backfill not done counts one beside the runs in flight.
    let mut state = second.state.clone();
    state.backfill = Some(Box::default());
    let backfilling = Poll::<Run>::new(state, s.clone(), 0, Instant::now());
    assert_eq!(backfilling.outstanding(), 2);
    // Every listing answers 404: missing.
    list.gone = true;
    let gone = poll(&mut list, second.state, &s);
    assert!(gone.missing, "{:?}", gone.shown);
}
