//! The estimate of the others' spending, answer by answer.

#![allow(clippy::arithmetic_side_effects)] // small, known values

use super::*;

const W: Duration = Duration::from_secs(1);

/// Heeds `(ms sent, remaining)` answers of a team of `limit` a second; the
/// estimate after each.
fn estimates(limit: u64, answers: &[(u64, u64)]) -> Vec<f64> {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    answers
        .iter()
        .map(|&(ms, remaining)| {
            let sent = t0 + Duration::from_millis(ms);
            traffic.heed(Seen {
                sent,
                limit,
                remaining,
                window: W,
            });
            traffic.others(sent)
        })
        .collect()
}

#[test]
fn the_others_are_what_the_window_used_less_our_own_requests_in_it() {
    // Alone: every answer says one less, ours each time.
    assert_eq!(estimates(10, &[(0, 9), (100, 8), (200, 7)]), [0.0; 3]);
    // Others sent 3 before our first, then 2 more between ours.
    assert_eq!(estimates(10, &[(0, 6), (500, 3)]), [3.0, 5.0]);
    // A new window (more left than the last said): ours count from one.
    assert_eq!(estimates(10, &[(0, 9), (900, 8), (1_100, 9)]), [0.0; 3]);
    // A request a window after the first counted starts a new window,
    // even when less is left (the others spent more in the new one).
    assert_eq!(
        estimates(10, &[(0, 8), (1_000, 2)]),
        [1.0, 7.0],
        "not 6: the first request is not in the second window"
    );
}

#[test]
fn the_peak_is_held_then_halves() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    assert_eq!(traffic.others(t0), 0.0, "nothing seen: nothing spent");
    traffic.heed(Seen {
        sent: t0,
        limit: 10,
        remaining: 1,
        window: W,
    });
    assert_eq!(traffic.others(t0), 8.0);
    assert_eq!(traffic.others(t0 + HOLD), 8.0, "held");
    assert_eq!(traffic.others(t0 + HOLD + HALF_LIFE), 4.0, "halved");
    assert_eq!(traffic.others(t0 + HOLD + HALF_LIFE * 2), 2.0);
    // A lower answer inside the hold does not lower the peak.
    traffic.heed(Seen {
        sent: t0 + Duration::from_secs(5),
        limit: 10,
        remaining: 8,
        window: W,
    });
    assert_eq!(traffic.others(t0 + Duration::from_secs(5)), 8.0);
    // A higher one raises it at once.
    let later = t0 + Duration::from_secs(10);
    traffic.heed(Seen {
        sent: later,
        limit: 10,
        remaining: 0,
        window: W,
    });
    assert_eq!(traffic.others(later), 9.0);
}

#[test]
fn a_longer_window_is_a_lower_rate_and_nothing_overflows() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    traffic.heed(Seen {
        sent: t0,
        limit: 100,
        remaining: 39,
        window: Duration::from_secs(10),
    });
    assert_eq!(traffic.others(t0), 6.0, "60 in 10 s");
    for (limit, remaining, window) in [
        (u64::MAX, 0, Duration::from_nanos(1)),
        (0, u64::MAX, Duration::MAX),
        (5, 9, Duration::ZERO),
    ] {
        let mut t = Traffic::default();
        t.heed(Seen {
            sent: t0,
            limit,
            remaining,
            window,
        });
        assert!(t.others(t0).is_finite() && t.others(t0) >= 0.0);
    }
}
