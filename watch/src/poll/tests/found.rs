//! What a poll finds near the top: new runs and finishes, runs in a
//! status the crate does not know, a run that cannot be read, a run
//! deleted in flight, late and clock-skewed runs, a burst read back up.

use super::*;

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
