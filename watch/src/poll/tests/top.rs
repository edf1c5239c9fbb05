//! The top of the list: the start, the burst read back up (and its mark
//! gone), and a backfill seeking where it stood owning what is below.

use super::*;
use crate::state::Backfill;

#[test]
fn starting_with_the_runs_running_needs_the_filters() {
    let mut list = List::default();
    list.add(0, RunStatus::Running);
    let s = Settings {
        filters: false,
        ..settings(StartAt::Running)
    };
    let first = poll(&mut list, WatchState::new("automations/a/runs"), &s);
    assert_eq!(first.asks, [Ask::Top { after: None }]);
    assert_eq!(first.shown, Vec::<String>::new());
}

#[test]
fn starting_with_the_runs_running_follows_only_those_running() {
    // The running listing shows a run finished since (a stale page).
    let mut list = List::default();
    list.add(0, RunStatus::Completed);
    let listed = [
        run(5, 10, RunStatus::Completed),
        run(6, 9, RunStatus::Running),
    ];
    let first = drive(
        WatchState::new("automations/a/runs"),
        &settings(StartAt::Running),
        |ask| match ask {
            Ask::Running { after: None } => {
                Answer::Page(Page::new(listed.to_vec(), false, &Position::Start, None).unwrap())
            }
            _ => list.answer(ask),
        },
    );
    assert_eq!(first.shown, ["started r00006"]);
}

#[test]
fn a_page_of_new_runs_down_to_the_newest_seen_instant_is_no_burst() {
    // The newest seen at 200 s; a run of that same second, unseen, and 99
    // newer: not all newer than the newest seen.
    let mut list = List::default();
    for i in 0..150 {
        list.add(50 + i, RunStatus::Completed);
    }
    list.add(200, RunStatus::Completed);
    let state = tracking(&list, &[]);
    let tie = list.add(200, RunStatus::Completed);
    for i in 0..99 {
        list.add(201 + i, RunStatus::Completed);
    }
    let p = poll(&mut list, state, &settings(StartAt::Now));
    assert_eq!(p.asks, [Ask::Top { after: None }]);
    assert_eq!(started(&p), 100);
    assert_eq!(p.shown[0], format!("started {tie}"));
}

#[test]
fn a_backfill_seeking_where_it_stood_owns_the_runs_below_it() {
    // The backfill's cursor was refused where it stood at 95 s: the run
    // at 90 s is its to tell, after the top's new runs.
    let mut list = List::default();
    list.add(100, RunStatus::Completed);
    let mut state = tracking(&list, &[]);
    state.backfill = Some(Box::new(Backfill {
        after: None,
        at: Some(at(95)),
        ties: Vec::new(),
    }));
    let owned = list.add(90, RunStatus::Completed);
    let below_mark = list.add(99, RunStatus::Completed);
    let newest = list.add(101, RunStatus::Completed);
    let p = poll(&mut list, state, &settings(StartAt::Now));
    assert_eq!(
        p.shown,
        [
            format!("started {below_mark}"),
            format!("finished {below_mark}"),
            format!("started {newest}"),
            format!("finished {newest}"),
            format!("started {owned}"),
            format!("finished {owned}"),
        ]
    );
    assert_eq!(p.asks, [Ask::Top { after: None }, Ask::Top { after: None }]);
}

#[test]
fn a_burst_whose_mark_is_refused_is_read_from_the_top_and_a_failure_ends_it() {
    // The newest seen (100 s) deleted, then 150 new runs above it.
    let burst = || {
        let mut list = List::default();
        let mark = list.add(100, RunStatus::Completed);
        let state = tracking(&list, &[]);
        list.runs.clear();
        for i in 0..150 {
            list.add(101 + i, RunStatus::Completed);
        }
        let newer = Ask::Newer {
            before: Cursor::new(mark).unwrap(),
        };
        (list, state, newer)
    };
    let s = settings(StartAt::Now);
    let (mut list, state, newer) = burst();
    let p = poll(&mut list, state, &s);
    assert_eq!(
        p.asks,
        [
            Ask::Top { after: None },
            newer,
            Ask::Top { after: None },
            Ask::Top {
                after: Some(Cursor::new(list.runs[99].id.clone()).unwrap())
            },
        ]
    );
    assert_eq!(started(&p), 150);
    assert_eq!(p.shown.len(), 300, "no error: {:?}", p.shown.last());
    // Any other failure ends the poll, told.
    let (mut list, state, newer) = burst();
    let p = drive(state, &s, |ask| match ask {
        Ask::Newer { .. } => Answer::Failed(api_error(500, "internal_server_error")),
        _ => list.answer(ask),
    });
    assert_eq!(p.asks, [Ask::Top { after: None }, newer]);
    assert_eq!(
        p.shown,
        ["error Resend answered 500 Internal Server Error internal_server_error: "]
    );
}
