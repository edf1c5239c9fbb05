//! Where a watch starts and what it brings along: the steps of a
//! finish, the backfill from the beginning (newest first, a few pages a
//! poll, past a deleted cursor), the runs running.

use super::*;

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

// benches/overhead/polite.rs: the first look of a watch from the runs
// running is two requests, the list's top page then the running listing,
// and its budget can hold the second back for seconds. The runs the top
// page showed running and that finished in between were in the start's
// baseline (known, not new) and in no listing of runs running: never told.
#[test]
fn a_run_running_at_the_first_look_that_finishes_before_the_running_listing_is_followed() {
    let mut list = List::default();
    let s = settings(StartAt::Running);
    list.add(0, RunStatus::Completed);
    let early = list.add(1, RunStatus::Running);
    let late = list.add(2, RunStatus::Running);
    let still = list.add(3, RunStatus::Running);
    let first = drive(WatchState::new("automations/a/runs"), &s, |ask| {
        if matches!(ask, Ask::Running { .. }) {
            // The top page was read; they finish before the rest is.
            list.set(&early, RunStatus::Completed);
            list.set(&late, RunStatus::Failed);
        }
        list.answer(ask)
    });
    assert_eq!(
        first.asks,
        [Ask::Top { after: None }, Ask::Running { after: None }]
    );
    // Newest first, as the running listing tells the runs running.
    assert_eq!(
        first.shown,
        [
            format!("started {still}"),
            format!("started {late}"),
            format!("started {early}"),
        ]
    );
    let second = poll(&mut list, first.state, &s);
    assert_eq!(
        second.shown,
        [format!("finished {late}"), format!("finished {early}")]
    );
}
