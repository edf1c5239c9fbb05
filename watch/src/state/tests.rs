//! The state's changes, one by one, and its saved form.

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn seen(id: &str, created_at: &str, status: RunStatus) -> Change {
    Change::Seen {
        id: id.into(),
        created_at: at(created_at),
        status,
    }
}

/// A run first seen final: its `Started`, then its `Finished`.
fn seen_final(s: &mut WatchState, id: &str, created_at: &str) {
    s.apply(&seen(id, created_at, RunStatus::Completed));
    s.apply(&Change::Ended { id: id.into() });
}

#[test]
fn runs_are_remembered_while_in_the_look_back_window() {
    let mut s = WatchState::new("automations/a/runs");
    seen_final(&mut s, "r1", "2026-10-01T12:00:00Z");
    seen_final(&mut s, "r2", "2026-10-01T12:00:20Z");
    assert_eq!(s.newest_run(), Some("r2"));
    assert!(s.knows("r1") && s.knows("r2") && !s.knows("r3"));
    // A run created at the newest's very instant: known, not the newest.
    seen_final(&mut s, "r2b", "2026-10-01T12:00:20Z");
    assert_eq!(s.newest_run(), Some("r2"));
    assert!(s.knows("r2b"));
    // A run whose clock reads earlier, seen later: known, not the newest.
    seen_final(&mut s, "r0", "2026-10-01T11:59:59Z");
    assert_eq!(s.newest_run(), Some("r2"));
    assert!(s.knows("r0"));
    // 31 s past r1, 40 s past r0: both leave the window.
    seen_final(&mut s, "r3", "2026-10-01T12:00:31Z");
    assert!(!s.knows("r0") && !s.knows("r1"), "{:?}", s.recent);
    assert!(s.knows("r2") && s.knows("r3"));
    // A run older than the window is still the newest's peer or nothing.
    seen_final(&mut s, "old", "2026-10-01T11:00:00Z");
    assert!(!s.knows("old"));
    assert_eq!(s.newest_run(), Some("r3"));
}

#[test]
fn each_change_moves_the_state_as_its_event_says() {
    let mut s = WatchState::new("automations/a/runs");
    assert_eq!(s.collection(), "automations/a/runs");
    assert!(!s.is_started());
    s.apply(&Change::Began {
        baseline: vec![("r0".into(), at("2026-10-01T12:00:00Z"))],
        backfill: false,
        clock: None,
    });
    assert!(s.is_started() && s.knows("r0") && !s.backfilling());
    assert_eq!(s.horizon(), Some(at("2026-10-01T12:00:00Z")));
    s.apply(&seen("r1", "2026-10-01T12:00:01Z", RunStatus::Running));
    s.apply(&seen("r2", "2026-10-01T12:00:02Z", RunStatus::Failed));
    let tracked: Vec<_> = s.in_flight().collect();
    assert_eq!(
        tracked,
        [("r1", &RunStatus::Running), ("r2", &RunStatus::Failed)],
        "a final run is tracked until its finish is told"
    );
    s.apply(&Change::Ended { id: "r2".into() });
    let tracked: Vec<_> = s.in_flight().collect();
    assert_eq!(tracked, [("r1", &RunStatus::Running)]);
    s.apply(&Change::Missed { id: "r1".into() });
    s.apply(&Change::Missed { id: "r1".into() });
    assert_eq!(s.in_flight["r1"].misses(), 2);
    s.apply(&Change::Sighted { id: "r1".into() });
    assert_eq!(s.in_flight["r1"].misses(), 0);
    s.apply(&Change::Missed { id: "r1".into() });
    s.apply(&Change::Moved {
        id: "r1".into(),
        status: RunStatus::Unknown("waiting".into()),
    });
    assert_eq!(s.in_flight["r1"].misses(), 0, "a move is a sighting");
    s.apply(&Change::Moved {
        id: "nobody".into(),
        status: RunStatus::Running,
    });
    let tracked: Vec<_> = s.in_flight().collect();
    assert_eq!(tracked, [("r1", &RunStatus::Unknown("waiting".into()))]);
    assert_eq!(s.in_flight["r1"].created_at(), at("2026-10-01T12:00:01Z"));
    s.apply(&Change::Ended { id: "r1".into() });
    assert_eq!(s.in_flight().count(), 0);
    assert!(s.knows("r1") && s.knows("r2"), "still in the window");
    // Polls count towards the next full check; a full one starts over.
    s.apply(&Change::Polled {
        full: false,
        clock: None,
    });
    s.apply(&Change::Polled {
        full: false,
        clock: None,
    });
    assert_eq!(s.since_full, 2);
    s.apply(&Change::Polled {
        full: true,
        clock: None,
    });
    assert_eq!(s.since_full, 0);
}

#[test]
fn a_backfill_goes_on_from_its_cursor_until_done() {
    let mut s = WatchState::new("automations/a/runs");
    s.apply(&Change::Began {
        baseline: vec![],
        backfill: true,
        clock: None,
    });
    assert_eq!(s.backfill.as_deref(), Some(&Backfill::default()));
    let next = Backfill {
        after: Some("r100".into()),
        ..Backfill::default()
    };
    s.apply(&Change::Backfilled {
        next: Some(next.clone()),
    });
    assert_eq!(s.backfill.as_deref(), Some(&next));
    assert!(s.backfilling());
    s.apply(&Change::Backfilled { next: None });
    assert!(!s.backfilling());
}

#[test]
fn a_backfill_owns_what_is_below_where_it_stands_ties_included() {
    let at = |secs: i64| Timestamp::from(chrono::DateTime::from_timestamp(secs, 0).unwrap());
    let mut b = Backfill::default();
    assert!(b.owns("x", at(100)), "from the top: everything");
    b.read("r3", at(50));
    b.read("r2", at(40));
    b.read("r1", at(40));
    assert_eq!(
        (b.at, b.ties.clone()),
        (Some(at(40)), vec!["r2".into(), "r1".into()])
    );
    let owned = [
        ("r9", 60),
        ("r3", 50),
        ("r2", 40),
        ("r1", 40),
        ("r0", 40),
        ("q", 39),
    ]
    .map(|(id, t)| b.owns(id, at(t)));
    assert_eq!(owned, [false, false, false, false, true, true]);
    b.after = Some("r1".into());
    assert!(!b.seeking(), "not yet refused");
    b.after = None;
    assert!(b.seeking());
}

#[test]
fn a_state_resumes_only_its_own_collection_and_version() {
    let s = WatchState::new("automations/a/runs");
    assert!(s.check("automations/a/runs").is_ok());
    let e = s.check("automations/b/runs").unwrap_err();
    assert_eq!(
        e.kind(),
        &WatchErrorKind::StateMismatch {
            expected: "automations/b/runs".into(),
            found: "automations/a/runs".into()
        }
    );
    for version in [1, 3] {
        let mut json = serde_json::to_value(&s).unwrap();
        json["version"] = version.into();
        let other: WatchState = serde_json::from_value(json).unwrap();
        assert_eq!(
            other.check("automations/a/runs").unwrap_err().kind(),
            &WatchErrorKind::StateVersion { found: version }
        );
    }
}

#[test]
fn the_state_round_trips_through_json_compactly() {
    let mut s = WatchState::new("workflows/w/runs");
    s.apply(&Change::Began {
        baseline: vec![],
        backfill: true,
        clock: None,
    });
    s.apply(&seen(
        "r0",
        "2026-10-01T12:00:00Z",
        RunStatus::Unknown("paused".into()),
    ));
    s.apply(&seen("r1", "2026-10-01T12:00:01.5Z", RunStatus::Running));
    s.apply(&Change::Missed { id: "r1".into() });
    s.apply(&Change::Polled {
        full: false,
        clock: Some(at("2026-10-01T12:00:03Z")),
    });
    let json = serde_json::to_string(&s).unwrap();
    // A run in flight is its status, creation time and misses, as a tuple.
    assert!(
        json.contains(r#""r1":["running","2026-10-01T12:00:01.500+00:00",1]"#)
            || json.contains(r#""r1":["running","#),
        "{json}"
    );
    let back: WatchState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    let in_flight: Vec<_> = back.in_flight().collect();
    assert_eq!(
        in_flight,
        [
            ("r0", &RunStatus::Unknown("paused".into())),
            ("r1", &RunStatus::Running)
        ]
    );
}

#[test]
fn runs_stamped_ahead_move_the_window_no_further_than_the_server_s_clock() {
    let at = |secs: i64| Timestamp::from(chrono::DateTime::from_timestamp(secs, 0).unwrap());
    // (newest, the server's clock) -> where the window hangs from.
    let table = [
        ((100, None), 100),
        ((100, Some(101)), 100),
        ((100, Some(100)), 100),
        ((100, Some(99)), 99),
        ((3_700, Some(20)), 20),
    ];
    for ((newest, clock), expected) in table {
        assert_eq!(horizon_of(at(newest), clock.map(at)), at(expected));
    }
    // A run told started and finished: known while in the window.
    let seen = |s: &mut WatchState, id: &str, secs: i64| {
        s.apply(&Change::Seen {
            id: id.into(),
            created_at: at(secs),
            status: RunStatus::Completed,
        });
        s.apply(&Change::Ended { id: id.into() });
    };
    // A poll whose answers told the server's clock up to `secs`.
    let polled = |secs: i64| Change::Polled {
        full: false,
        clock: Some(at(secs)),
    };
    let mut s = WatchState::new("automations/a/runs");
    seen(&mut s, "a", 10);
    assert_eq!(s.horizon(), Some(at(10)), "no clock told: the newest");
    s.apply(&polled(20));
    assert_eq!((s.clock, s.horizon()), (Some(at(20)), Some(at(10))));
    // Any number stamped ahead of it, by any amount.
    for (i, secs) in [107, 52, 3_620, 3_630].into_iter().enumerate() {
        seen(&mut s, &format!("ahead{i}"), secs);
        assert_eq!(s.horizon(), Some(at(20)));
    }
    assert_eq!(s.newest_run(), Some("ahead3"));
    // The runs created after them, as the clock goes on: the window hangs
    // from the clock, and the runs stamped ahead stay known.
    for (i, secs) in [44, 49, 54].into_iter().enumerate() {
        s.apply(&polled(secs + 1));
        seen(&mut s, &format!("r{i}"), secs);
        assert_eq!(s.horizon(), Some(at(secs + 1)));
    }
    let known = ["a", "ahead0", "ahead1", "ahead2", "ahead3", "r0", "r2"].map(|id| s.knows(id));
    assert_eq!(known, [false, true, true, true, true, true, true]);
    // An answer that tells an earlier time moves nothing back.
    s.apply(&polled(40));
    assert_eq!((s.clock, s.horizon()), (Some(at(55)), Some(at(55))));
    // The clock past them all: the newest again, and they leave the
    // window one after the other.
    s.apply(&polled(4_000));
    seen(&mut s, "later", 3_649);
    assert_eq!(s.horizon(), Some(at(3_649)));
    let known = ["ahead1", "r2", "ahead2", "ahead3", "later"].map(|id| s.knows(id));
    assert_eq!(known, [false, false, true, true, true]);
    seen(&mut s, "latest", 3_651);
    assert!(!s.knows("ahead2") && s.knows("ahead3"), "{:?}", s.recent);
}

#[test]
fn a_state_saved_before_the_clock_was_kept_loads_without_one() {
    let mut s = WatchState::new("automations/a/runs");
    s.apply(&seen("r0", "2026-10-01T12:00:00Z", RunStatus::Completed));
    let mut json = serde_json::to_value(&s).unwrap();
    assert!(json.get("clock").is_none(), "{json}");
    json["runner_up"] = "2026-10-01T11:00:00Z".into();
    let old: WatchState = serde_json::from_value(json).unwrap();
    assert_eq!(old, s);
    assert_eq!(old.horizon(), Some(at("2026-10-01T12:00:00Z")));
}

#[test]
fn a_start_hangs_its_window_from_the_server_s_clock_its_answer_told() {
    let mut s = WatchState::new("automations/a/runs");
    s.apply(&Change::Began {
        baseline: vec![
            ("r0".into(), at("2026-10-01T12:00:00Z")),
            ("ahead".into(), at("2026-10-01T12:05:00Z")),
        ],
        backfill: false,
        clock: Some(at("2026-10-01T12:00:01Z")),
    });
    assert_eq!(s.horizon(), Some(at("2026-10-01T12:00:01Z")));
    assert_eq!(s.newest_run(), Some("ahead"));
    assert!(s.knows("r0") && s.knows("ahead"), "{:?}", s.recent);
}

#[test]
fn a_record_that_did_not_decode_is_kept_once_and_the_last_hundred_only() {
    let mut s = WatchState::new("automations/a/runs");
    let unreadable = |id: &str| Change::Unreadable { id: id.into() };
    s.apply(&unreadable("a"));
    s.apply(&unreadable("a"));
    assert_eq!(s.unreadable, ["a"]);
    for i in 1..UNREADABLE_KEPT {
        s.apply(&unreadable(&format!("u{i}")));
    }
    assert_eq!(
        (s.unreadable.len(), s.unreadable[0].as_str()),
        (UNREADABLE_KEPT, "a")
    );
    s.apply(&unreadable("last"));
    assert_eq!(
        (s.unreadable.len(), s.unreadable[0].as_str()),
        (UNREADABLE_KEPT, "u1")
    );
    assert_eq!(s.unreadable.last().map(String::as_str), Some("last"));
}
