//! The stage machine's bounds and ends: a poll too long is one past its
//! bounds, not at them; an end waits for the steps asked for, then ends;
//! a broken traversal ends the poll.

use super::*;
use crate::plan::FULL_EVERY;

#[test]
fn a_poll_is_too_long_past_its_time_not_at_it() {
    let mut list = List::default();
    list.add(0, RunStatus::Completed);
    let s = Settings {
        max_time: Duration::from_secs(10),
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let t0 = Instant::now();
    let mut at_bound = Poll::<Run>::new(state.clone(), s.clone(), 1, t0);
    assert_eq!(
        at_bound.ask(t0 + Duration::from_secs(10)),
        Some(Ask::Top { after: None })
    );
    assert_eq!(at_bound.drain().count(), 0);
    let mut past = Poll::<Run>::new(state, s, 1, t0);
    assert_eq!(
        past.ask(t0 + Duration::from_secs(10) + Duration::from_nanos(1)),
        None
    );
    let failed: Vec<String> = past
        .drain()
        .filter_map(|q| match q {
            Queued::Failed(Error::Watch(w)) => Some(format!("{:?}", w.kind())),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ["PollTooLong { pages: 0, elapsed: 10.000000001s }"]);
}

// A poll whose last page is its last allowed one ends there, untold: it
// was not cut short.
#[test]
fn a_poll_ending_on_its_last_allowed_page_is_not_too_long() {
    // The first poll: one page, the start applied.
    let mut list = List::default();
    list.add(0, RunStatus::Completed);
    let s = Settings {
        max_pages: 1,
        ..settings(StartAt::Now)
    };
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(first.asks, [Ask::Top { after: None }]);
    assert_eq!(first.shown, Vec::<String>::new());
    // A backfill whose pages this poll are the poll's bound.
    let mut list = List::default();
    for i in 0..300 {
        list.add(i, RunStatus::Completed);
    }
    let s = Settings {
        max_pages: 2,
        backfill_pages: 2,
        ..settings(StartAt::Beginning)
    };
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(first.asks.len(), 2, "{:?}", first.asks);
    assert_eq!(started(&first), 200);
    assert_eq!(first.shown.len(), 400, "no error: {:?}", first.shown.last());
}

// The backfill's pages of this poll read, a failed run's steps are
// retrieved, and then the poll ends: no more backfill.
#[test]
fn an_end_retrieves_the_steps_asked_for_then_ends() {
    let mut list = List::default();
    for i in 0..150 {
        list.add(i, RunStatus::Completed);
    }
    let failed = list.add(200, RunStatus::Failed);
    let s = Settings {
        backfill_pages: 1,
        steps_for: vec![RunStatus::Failed],
        ..settings(StartAt::Beginning)
    };
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(
        first.asks,
        [
            Ask::Top { after: None },
            Ask::Retrieve { id: failed.clone() }
        ]
    );
    assert_eq!(first.with_steps, [failed]);
    assert_eq!(started(&first), 100);
}

// A traversal that breaks the pagination contract in the sweep ends the
// poll: no page of the full check after it, though one is due.
#[test]
fn a_broken_sweep_ends_the_poll_though_a_check_is_due() {
    let mut list = List::default();
    let running: Vec<String> = (0..150).map(|i| list.add(i, RunStatus::Running)).collect();
    for i in 0..150 {
        list.add(1_000 + i, RunStatus::Completed);
    }
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    let mut state = tracking(&list, &running.iter().collect::<Vec<_>>());
    state.since_full = FULL_EVERY;
    list.repeating = true;
    let p = poll(&mut list, state, &s);
    let bottom = Cursor::new(list.runs[99].id.clone()).unwrap();
    assert_eq!(
        p.asks,
        [
            Ask::Top { after: None },
            Ask::Terminal { after: None },
            Ask::Terminal {
                after: Some(bottom)
            },
        ]
    );
    let errors: Vec<&String> = p.shown.iter().filter(|e| e.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{:?}", p.shown);
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
    // Two pages one after the other, whatever the cursor: a cycle of two.
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
            .filter(|q| {
                matches!(
                    q,
                    Queued::Failed(Error::Client(resend_workflows::Error::Pagination(_)))
                )
            })
            .count();
    }
    assert_eq!(errors, 1, "{asks:?}");
}
