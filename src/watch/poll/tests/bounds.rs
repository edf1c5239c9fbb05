//! The stage machine's bounds and ends: a poll too long is one past its
//! bounds, not at them; an end waits for the steps asked for, then ends;
//! a broken traversal ends the poll.

use super::*;
use crate::watch::plan::FULL_EVERY;

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
    let bottom = Cursor::from_checked(list.runs[99].id.clone());
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
