//! The full check: when a poll reads a page of it, which runs in flight a
//! page judges (missed), where it goes on, and a refused cursor.

use super::*;
use crate::plan::FULL_EVERY;
use crate::state::Check;

/// 150 finished runs on top of three runs in flight, created at 50, 60
/// and 70 s and deleted since; a check under way after `r00800`, the runs
/// created from 70 s on judged already. The terminal listing shows none.
fn under_way() -> (List, [String; 3], WatchState, Settings) {
    let mut list = List::default();
    let tracked = [50, 60, 70].map(|t| list.add(t, RunStatus::Running));
    for i in 0..150 {
        list.add(100 + i, RunStatus::Completed);
    }
    let mut state = tracking(&list, &tracked.iter().collect::<Vec<_>>());
    list.runs.retain(|r| !tracked.contains(&r.id));
    state.check = Some(Check {
        after: Some("r00800".into()),
        upper: Some(at(70)),
    });
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    (list, tracked, state, s)
}

/// The poll, the check's page answered by `check`, the terminal listing
/// by an empty page.
fn checked(list: &mut List, state: WatchState, s: &Settings, check: Answer<Run>) -> Polled {
    let mut check = Some(check);
    drive(state, s, |ask| match ask {
        Ask::Terminal { after: None } => {
            Answer::Page(Page::new(Vec::new(), false, &Position::Start, None).unwrap())
        }
        Ask::Top { after: Some(c) } if c.as_str() == "r00800" => check.take().unwrap(),
        _ => list.answer(ask),
    })
}

fn check_page(created: [i64; 2]) -> Answer<Run> {
    let items = vec![
        run(900, created[0], RunStatus::Completed),
        run(901, created[1], RunStatus::Completed),
    ];
    let position = Position::After(Cursor::new("r00800").unwrap());
    Answer::Page(Page::new(items, true, &position, None).unwrap())
}

#[test]
fn a_page_judges_the_runs_between_its_bounds_and_ends_below_the_oldest() {
    // The page's oldest at 50 s, the oldest in flight's instant: the run
    // created then may be on the next page, the one at 70 s was judged,
    // the one at 60 s is missed; the check goes on.
    let (mut list, [a, b, _], state, s) = under_way();
    let p = checked(&mut list, state.clone(), &s, check_page([65, 50]));
    assert_eq!(p.asks.len(), 3, "{:?}", p.asks);
    assert_eq!(
        p.silent,
        [
            Change::Missed { id: b.clone() },
            Change::Checked {
                next: Some(Check {
                    after: Some("r00901".into()),
                    upper: Some(at(50)),
                })
            },
            Change::Polled {
                full: false,
                clock: Some(at(list.clock + 1))
            },
        ]
    );
    // Below the oldest in flight (40 s): both below 70 s missed, done.
    let p = checked(&mut list, state, &s, check_page([65, 40]));
    assert_eq!(
        p.silent,
        [
            Change::Missed { id: a },
            Change::Missed { id: b },
            Change::Checked { next: None },
            Change::Polled {
                full: true,
                clock: Some(at(list.clock + 1))
            },
        ]
    );
}

#[test]
fn a_refused_cursor_starts_the_check_over_and_any_other_failure_is_told() {
    // The server's clock as the pages of the list under way are dated.
    let clock = under_way().0.clock + 1;
    for (status, name, silent, shown) in [
        (
            422,
            "validation_error",
            vec![
                Change::Checked { next: None },
                Change::Polled {
                    full: false,
                    clock: Some(at(clock)),
                },
            ],
            Vec::<&str>::new(),
        ),
        (
            500,
            "internal_server_error",
            vec![Change::Polled {
                full: false,
                clock: Some(at(clock)),
            }],
            vec!["error Resend answered 500 Internal Server Error internal_server_error: "],
        ),
    ] {
        let (mut list, _, state, s) = under_way();
        let p = checked(
            &mut list,
            state,
            &s,
            Answer::Failed(api_error(status, name)),
        );
        assert_eq!(p.asks.len(), 3, "{status}: {:?}", p.asks);
        assert_eq!(p.silent, silent, "{status}");
        assert_eq!(p.shown, shown, "{status}");
    }
}

#[test]
fn no_check_when_the_top_pages_showed_every_run_in_flight() {
    let mut list = List::default();
    for i in 0..150 {
        list.add(i, RunStatus::Completed);
    }
    let shown = list.add(200, RunStatus::Running);
    let mut state = tracking(&list, &[&shown]);
    state.since_full = FULL_EVERY;
    let p = poll(&mut list, state, &settings(StartAt::Now));
    assert_eq!(p.asks, [Ask::Top { after: None }]);
    assert_eq!(
        p.silent,
        [Change::Polled {
            full: true,
            clock: Some(at(list.clock + 1))
        }]
    );
}

#[test]
fn no_check_with_no_run_left_in_flight() {
    // One run in flight below 150 finished ones, a check due.
    let mut list = List::default();
    let deep = list.add(0, RunStatus::Running);
    for i in 0..150 {
        list.add(100 + i, RunStatus::Completed);
    }
    let mut state = tracking(&list, &[&deep]);
    state.since_full = FULL_EVERY;
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Terminal)),
        ..settings(StartAt::Now)
    };
    // It finished: the terminal listing shows it, and none is left.
    list.set(&deep, RunStatus::Completed);
    let p = poll(&mut list, state, &s);
    let mut asks = vec![Ask::Top { after: None }];
    asks.extend(down(&list, terminal, 2));
    assert_eq!(p.asks, asks);
    assert_eq!(p.shown, [format!("finished {deep}")]);
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
