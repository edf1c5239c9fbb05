//! What a poll reports of the runs it reads: a new run tracked, a run
//! missed and seen again, a finish with its steps or without them.

use super::*;

#[test]
fn a_new_run_in_flight_is_seen_by_the_poll_that_found_it() {
    // The whole list on one page: a run in flight it did not show would
    // be missed.
    let mut list = List::default();
    list.add(0, RunStatus::Completed);
    let s = settings(StartAt::Now);
    let state = begun(&mut list, &s);
    let new = list.add(10, RunStatus::Running);
    let p = poll(&mut list, state, &s);
    assert_eq!(p.shown, [format!("started {new}")]);
    assert_eq!(p.state.in_flight[&new].misses(), 0);
}

#[test]
fn a_run_missed_then_seen_again_is_sighted_once() {
    let mut list = List::default();
    let missed = list.add(0, RunStatus::Running);
    let kept = list.add(1, RunStatus::Running);
    let mut state = tracking(&list, &[&missed, &kept]);
    state.apply(&Change::Missed { id: missed.clone() });
    let p = poll(&mut list, state, &settings(StartAt::Now));
    assert_eq!(p.shown, Vec::<String>::new());
    assert_eq!(
        p.silent,
        [
            Change::Sighted { id: missed.clone() },
            Change::Polled {
                full: true,
                clock: Some(at(list.clock + 1))
            }
        ]
    );
    assert_eq!(p.state.in_flight[&missed].misses(), 0);
    assert_eq!(p.state.in_flight[&kept].misses(), 0);
}

/// A state begun on a list of one run, a failed run new since, and
/// settings that ask for a failed run's steps.
fn a_failure_new() -> (List, WatchState, Settings, String) {
    let mut list = List::default();
    list.add(0, RunStatus::Completed);
    let s = Settings {
        steps_for: vec![RunStatus::Failed],
        ..settings(StartAt::Now)
    };
    let state = begun(&mut list, &s);
    let failed = list.add(10, RunStatus::Failed);
    (list, state, s, failed)
}

#[test]
fn a_finish_whose_steps_cannot_be_read_is_told_without_them() {
    let (mut list, state, s, failed) = a_failure_new();
    list.broken.insert(failed.clone());
    let p = poll(&mut list, state, &s);
    assert_eq!(
        p.shown,
        [
            format!("started {failed}"),
            format!("finished {failed}"),
            format!("error RunUnreadable {{ run_id: \"{failed}\" }}"),
        ]
    );
    assert_eq!(p.with_steps, Vec::<String>::new());
}

#[test]
fn a_finish_is_told_with_steps_only_from_a_final_run() {
    // The retrieve shows the run not final (a server's stale read): the
    // finish is told as listed, without steps.
    let (mut list, state, s, failed) = a_failure_new();
    let stale = Run {
        status: RunStatus::Running,
        ..list.runs[0].clone()
    };
    let p = drive(state, &s, |ask| match ask {
        Ask::Retrieve { .. } => Answer::Run {
            run: stale.clone(),
            steps: Some(Vec::new()),
        },
        _ => list.answer(ask),
    });
    assert_eq!(
        p.shown,
        [format!("started {failed}"), format!("finished {failed}")]
    );
    assert_eq!(p.with_steps, Vec::<String>::new());
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
    assert_eq!(first.in_flight, 3, "three in flight, no backfill");
    assert!(!first.missing);
    // Two leave `running`, unseen by the top pages.
    list.set(&ids[0], RunStatus::Completed);
    list.set(&ids[1], RunStatus::Failed);
    let second = poll(&mut list, first.state.clone(), &s);
    assert_eq!(second.departed, Some(2), "{:?}", second.shown);
    assert_eq!(second.in_flight, 1, "one left in flight");
    // A backfill not done counts one beside the runs in flight.
    let mut state = second.state.clone();
    state.backfill = Some(Box::default());
    let backfilling = Poll::<Run>::new(state, s.clone(), 0, Instant::now());
    assert_eq!(backfilling.in_flight(), 2);
    // Every listing answers 404: missing.
    list.gone = true;
    let gone = poll(&mut list, second.state, &s);
    assert!(gone.missing, "{:?}", gone.shown);
}
