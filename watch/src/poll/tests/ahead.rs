//! Runs stamped ahead of the server's clock (issue 28, case 4): they
//! never hide the runs created after them.

use super::*;

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
