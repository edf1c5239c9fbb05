//! The sweep of the runs in flight the top pages did not show: the plan
//! chosen (priced, or forced, as the list's filters allow), and how far
//! the list on down and the terminal listing are read.

use super::*;

/// `above` finished runs on top (a second apart, from 10 000 s) of
/// `deep` runs in flight in `status` (a second apart, up to 10 000 s),
/// tracked.
fn deep_in_flight(above: i64, deep: i64, status: RunStatus) -> (List, WatchState) {
    let mut list = List::default();
    let tracked: Vec<String> = (0..deep)
        .map(|i| list.add(10_000 - deep + i, status.clone()))
        .collect();
    for i in 0..above {
        list.add(10_000 + i, RunStatus::Completed);
    }
    let state = tracking(&list, &tracked.iter().collect::<Vec<_>>());
    (list, state)
}

#[test]
fn few_runs_running_deep_are_found_by_the_running_listing() {
    // 150 running below 1 000 finished: two pages of the running listing
    // beat ten of the terminal listing or of the list on down.
    let (mut list, state) = deep_in_flight(1_000, 150, RunStatus::Running);
    let p = poll(&mut list, state, &settings(StartAt::Now));
    assert_eq!(
        p.asks,
        [
            Ask::Top { after: None },
            Ask::Running { after: None },
            Ask::Running {
                after: Some(Cursor::new(list.runs[1_099].id.clone()).unwrap())
            },
        ]
    );
}

#[test]
fn many_runs_running_are_found_by_the_terminal_listing() {
    // 1 000 running below 250 finished: three pages of the terminal
    // listing beat ten of the running listing.
    let (mut list, state) = deep_in_flight(250, 1_000, RunStatus::Running);
    let p = poll(&mut list, state, &settings(StartAt::Now));
    let mut asks = vec![Ask::Top { after: None }];
    asks.extend(down(&list, terminal, 3));
    assert_eq!(p.asks, asks);
}

#[test]
fn a_list_without_filters_is_swept_by_the_plans_it_allows() {
    // No terminal listing without filters: the list on down.
    let s = Settings {
        filters: false,
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    let (mut list, state) = deep_in_flight(150, 1, RunStatus::Running);
    let p = poll(&mut list, state, &s);
    assert_eq!(p.asks, down(&list, top, 2));
}

/// `tracked` runs in flight at these seconds, 300 finished runs above
/// them and `below` under them; the plan `forced`.
fn sandwich(
    tracked: &[i64],
    below: i64,
    forced: Plan,
) -> (List, Vec<String>, WatchState, Settings) {
    let mut list = List::default();
    for i in 0..below {
        list.add(10 + i, RunStatus::Completed);
    }
    let ids: Vec<String> = tracked
        .iter()
        .map(|t| list.add(*t, RunStatus::Running))
        .collect();
    for i in 0..300 {
        list.add(300 + i, RunStatus::Completed);
    }
    let state = tracking(&list, &ids.iter().collect::<Vec<_>>());
    let s = Settings {
        forced: Some(Forced::Plan(forced)),
        ..settings(StartAt::Now)
    };
    (list, ids, state, s)
}

#[test]
fn the_list_on_down_is_read_to_the_oldest_run_in_flight_and_misses_the_rest() {
    // Runs in flight at 200 and 201 s (the second deleted), 300 finished
    // above them and 150 below: the list goes on past the page that
    // passes them.
    let (mut list, ids, state, s) = sandwich(&[200, 201], 150, Plan::Top);
    let [kept, doomed] = [ids[0].clone(), ids[1].clone()];
    list.runs.retain(|r| r.id != doomed);
    let p = poll(&mut list, state, &s);
    assert_eq!(p.asks, down(&list, top, 4));
    assert_eq!(
        p.silent,
        [
            Change::Missed { id: doomed },
            Change::Polled {
                full: true,
                clock: Some(at(list.clock + 1))
            }
        ]
    );
    assert_eq!(p.state.in_flight[&kept].misses(), 0);
}

#[test]
fn the_terminal_listing_is_read_to_the_oldest_run_in_flight() {
    // A run in flight at 200 s finished, 300 finished above it, 150 below.
    let (mut list, ids, state, s) = sandwich(&[200], 150, Plan::Terminal);
    list.set(&ids[0], RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    let mut asks = vec![Ask::Top { after: None }];
    asks.extend(down(&list, terminal, 4));
    assert_eq!(p.asks, asks);
    assert_eq!(p.shown, [format!("finished {}", ids[0])]);
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
