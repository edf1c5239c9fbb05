//! What the running listing no longer shows: a retrieve each, or the
//! terminal listing (and a retrieve for what it does not show), whichever
//! costs less; a run a page names but cannot decode is not looked for.

use super::*;
use resend_workflows::BadRecord;

/// 150 finished runs on top of `deep` runs in flight, running, tracked.
fn below(deep: i64) -> (List, Vec<String>, WatchState, Settings) {
    let mut list = List::default();
    let ids: Vec<String> = (0..deep).map(|i| list.add(i, RunStatus::Running)).collect();
    for i in 0..150 {
        list.add(1_000 + i, RunStatus::Completed);
    }
    let state = tracking(&list, &ids.iter().collect::<Vec<_>>());
    let s = Settings {
        forced: Some(Forced::Plan(Plan::Running)),
        ..settings(StartAt::Now)
    };
    (list, ids, state, s)
}

#[test]
fn few_runs_that_left_running_are_retrieved() {
    let (mut list, ids, state, s) = below(3);
    list.set(&ids[0], RunStatus::Completed);
    list.set(&ids[1], RunStatus::Failed);
    let p = poll(&mut list, state, &s);
    assert_eq!(
        p.asks,
        [
            Ask::Top { after: None },
            Ask::Running { after: None },
            Ask::Retrieve { id: ids[0].clone() },
            Ask::Retrieve { id: ids[1].clone() },
        ]
    );
    assert_eq!(p.departed, Some(2));
}

#[test]
fn many_runs_that_left_running_are_found_by_the_terminal_listing() {
    let (mut list, ids, state, s) = below(150);
    for id in &ids {
        list.set(id, RunStatus::Completed);
    }
    let p = poll(&mut list, state, &s);
    let mut asks = vec![Ask::Top { after: None }, Ask::Running { after: None }];
    asks.extend(down(&list, terminal, 3));
    assert_eq!(p.asks, asks);
    assert_eq!(p.departed, Some(150));
    assert_eq!(started(&p), 0);
    assert_eq!(p.shown.len(), 150);
}

#[test]
fn a_run_in_another_status_takes_the_terminal_listing_then_retrieves() {
    // One finished (the terminal listing shows it), one deleted (a
    // retrieve for it), one paused (a status the running listing omits).
    let (mut list, ids, mut state, s) = below(3);
    state.apply(&Change::Moved {
        id: ids[2].clone(),
        status: RunStatus::Unknown("paused".into()),
    });
    list.set(&ids[2], RunStatus::Unknown("paused".into()));
    list.set(&ids[0], RunStatus::Completed);
    list.runs.retain(|r| r.id != ids[1]);
    let p = poll(&mut list, state, &s);
    let mut asks = vec![Ask::Top { after: None }, Ask::Running { after: None }];
    asks.extend(down(&list, terminal, 2));
    asks.push(Ask::Retrieve { id: ids[1].clone() });
    assert_eq!(p.asks, asks);
    assert_eq!(p.shown, [format!("finished {}", ids[0])]);
    assert_eq!(p.state.in_flight[&ids[1]].misses(), 1);
    assert_eq!(p.state.in_flight[&ids[2]].misses(), 0);
}

#[test]
fn a_run_a_page_names_but_cannot_decode_is_not_looked_for() {
    let (mut list, ids, state, s) = below(1);
    let raw = format!(r#"{{"id":"{}","created_at":1}}"#, ids[0]);
    let p = drive(state, &s, |ask| match ask {
        Ask::Running { after: None } => {
            let bad = BadRecord::new(
                0,
                &raw,
                "created_at".into(),
                serde_json::from_str::<u8>("x").unwrap_err(),
            );
            Answer::Page(
                Page::with_bad(Vec::new(), vec![bad], false, &Position::Start, None).unwrap(),
            )
        }
        _ => list.answer(ask),
    });
    assert_eq!(
        p.asks,
        [Ask::Top { after: None }, Ask::Running { after: None }]
    );
    assert_eq!(p.departed, Some(0));
    assert_eq!(p.shown.len(), 1, "the record told: {:?}", p.shown);
    assert_eq!(
        p.silent,
        [
            Change::Unreadable { id: ids[0].clone() },
            Change::Polled {
                full: false,
                clock: Some(at(list.clock + 1))
            }
        ]
    );
}
