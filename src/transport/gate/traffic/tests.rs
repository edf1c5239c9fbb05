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
                beside: 0,
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
    // Others sent 3 before our first (a floor of 3, guessed twice: 6),
    // then 2 more between ours: their rate, 5 with the floor under it.
    assert_eq!(estimates(10, &[(0, 6), (500, 3)]), [6.0, 5.0]);
    // A new window (more left than the last said): ours count from one.
    assert_eq!(estimates(10, &[(0, 9), (900, 8), (1_100, 9)]), [0.0; 3]);
    // As much left as the last said: a new window too (ours in it would
    // have taken one), so the others spent one of it (guessed twice).
    assert_eq!(estimates(10, &[(0, 8), (300, 8)]), [2.0, 2.0]);
    // A request a window after the first counted starts a new window,
    // even when less is left (the others spent more in the new one).
    assert_eq!(
        estimates(20, &[(0, 18), (1_000, 12)]),
        [2.0, 14.0],
        "not 12: the first request is not in the second window"
    );
    // A guess is at most the limit.
    assert_eq!(estimates(10, &[(0, 1)]), [10.0]);
}

/// Heeds one answer of a team of 10 a second, sent `ms` after `t0`.
fn heed(traffic: &mut Traffic, t0: Instant, ms: u64, remaining: u64) -> f64 {
    let sent = t0 + Duration::from_millis(ms);
    traffic.heed(Seen {
        sent,
        beside: 0,
        limit: 10,
        remaining,
        window: W,
    });
    traffic.others(sent)
}

#[test]
fn a_floor_raises_the_estimate_which_is_held_until_an_answer_lowers_it() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    assert_eq!(traffic.others(t0), 0.0, "nothing seen: nothing spent");
    // One answer: the others spent 4 of the window so far; guessed 8.
    assert_eq!(heed(&mut traffic, t0, 0, 5), 8.0);
    assert!(!traffic.measured(t0), "a guess is no rate");
    // Held, not decaying: time alone never brings a lane back into a
    // burst (it did: 6 to 8 s into a 10 s burst, at a rising rate).
    assert_eq!(traffic.others(t0 + HOLD), 8.0, "held");
    assert_eq!(traffic.others(t0 + HOLD * 3), 8.0, "still held");
    assert_eq!(traffic.others(t0 + STALE - W), 8.0);
    // A guess of at least half holds it anew, at what it was.
    assert_eq!(heed(&mut traffic, t0, 2_000, 7), 8.0);
    // A lower one while it is fresh (early in a busy window, or late in
    // a quieter one) neither holds it nor lowers it.
    assert_eq!(heed(&mut traffic, t0, 4_000, 8), 8.0);
    assert_eq!(traffic.others(t0 + Duration::from_secs(2) + STALE - W), 8.0);
    // Unconfirmed for longer than STALE: it tells nothing any more.
    assert_eq!(traffic.others(t0 + Duration::from_secs(2) + STALE), 0.0);
}

#[test]
fn a_probe_after_a_silence_decides_whether_the_burst_is_over() {
    let t0 = Instant::now();
    // A burst measured: 8 a second.
    let burst = || {
        let mut traffic = Traffic::default();
        assert_eq!(heed(&mut traffic, t0, 0, 8), 2.0);
        assert_eq!(heed(&mut traffic, t0, 500, 3), 8.0);
        assert!(traffic.measured(t0 + Duration::from_millis(500)));
        // Within its hold, a low floor is early in a window: no decision.
        assert_eq!(heed(&mut traffic, t0, 2_000, 8), 8.0);
        traffic
    };
    // Ten seconds on, one probe: 1 of the others' in its window so far
    // (a guess of 2), under half of 8: the burst is over, at once.
    let mut over = burst();
    assert_eq!(heed(&mut over, t0, 10_500, 8), 2.0);
    // Not a rate, though: the lane comes back unmeasured (a little a
    // window) until two answers in one window tell one.
    assert!(!over.measured(t0 + Duration::from_millis(10_500)));
    assert_eq!(heed(&mut over, t0, 10_900, 6), 2.5);
    assert!(over.measured(t0 + Duration::from_millis(10_900)));
    // A probe that reads 4 (half of 8): still busy, held anew for
    // another hold.
    let mut busy = burst();
    assert_eq!(heed(&mut busy, t0, 10_500, 5), 8.0);
    assert!(busy.measured(t0 + Duration::from_millis(10_500) + HOLD - W));
    // One that reads 3 (a guess of 6, above half, but a floor under it):
    // the quiet after the burst, late in its window; lowered.
    let mut late = burst();
    assert_eq!(heed(&mut late, t0, 10_500, 6), 6.0);
    assert!(!late.measured(t0 + Duration::from_millis(10_500)));
}

#[test]
fn a_rate_from_two_answers_in_a_window_replaces_the_estimate() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    assert_eq!(heed(&mut traffic, t0, 0, 5), 8.0);
    // A new window: 1 spent by the others, then 1 more in 500 ms: 2 a
    // second, and no floor above it.
    assert_eq!(heed(&mut traffic, t0, 3_000, 8), 8.0);
    assert_eq!(heed(&mut traffic, t0, 3_500, 6), 2.0, "lowered at once");
    assert!(traffic.measured(t0 + Duration::from_millis(3_500)));
    // A burst: 4 more in 200 ms; over the window so far, 5 in 700 ms.
    let burst = heed(&mut traffic, t0, 3_700, 1);
    assert!((burst - 5.0 / 0.7).abs() < 1e-9, "raised at once: {burst}");
    // Silent for longer than it is held: a burst may have begun unseen.
    let set = t0 + Duration::from_millis(3_700);
    assert!(traffic.measured(set + HOLD - Duration::from_millis(1)));
    assert!(!traffic.measured(set + HOLD), "measured no more");
    // Requests outstanding together: an answer with more left may be the
    // older one's; within a window's length it is the same window.
    let mut together = Traffic::default();
    let seen = |ms: u64, remaining: u64| Seen {
        sent: t0 + Duration::from_millis(ms),
        beside: 1,
        limit: 10,
        remaining,
        window: W,
    };
    together.heed(seen(0, 6));
    together.heed(seen(200, 7));
    // Same window, ours 2 of the 3 used: the others spent 1. Taken for a
    // new window, the first answer's guess of 6 would have been held.
    let rate = together.others(t0 + Duration::from_millis(200));
    assert_eq!(rate, 1.0, "the same window: both ours counted");
    // Two answers closer than a rate tells: a floor only.
    let mut close = Traffic::default();
    assert_eq!(heed(&mut close, t0, 0, 9), 0.0);
    assert_eq!(heed(&mut close, t0, 100, 5), 6.0, "3 guessed twice");
    assert!(!close.measured(t0 + Duration::from_millis(100)));
}

#[test]
fn a_burst_counted_over_part_of_a_window_holds_the_estimate() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    // A burst: 5 sends in 500 ms, 10 a second.
    assert_eq!(heed(&mut traffic, t0, 0, 8), 2.0);
    assert_eq!(heed(&mut traffic, t0, 500, 2), 10.0);
    // The next window counts 3 in 400 ms (7.5 a second): the same burst,
    // counted short; held at 10, not lowered to 7.5.
    assert_eq!(heed(&mut traffic, t0, 1_100, 8), 10.0);
    assert_eq!(heed(&mut traffic, t0, 1_500, 4), 10.0);
    assert!(
        traffic.measured(t0 + Duration::from_millis(1_500) + HOLD - W),
        "anew"
    );
    // Then 1 in 500 ms: under half, the burst is over: lowered at once.
    assert_eq!(heed(&mut traffic, t0, 2_100, 8), 10.0);
    assert_eq!(heed(&mut traffic, t0, 2_600, 6), 2.0);
}

#[test]
fn a_longer_window_is_a_lower_rate_and_nothing_overflows() {
    let t0 = Instant::now();
    let mut traffic = Traffic::default();
    traffic.heed(Seen {
        sent: t0,
        beside: 0,
        limit: 100,
        remaining: 69,
        window: Duration::from_secs(10),
    });
    assert_eq!(traffic.others(t0), 6.0, "30 in 10 s, guessed twice");
    for (limit, remaining, window) in [
        (u64::MAX, 0, Duration::from_nanos(1)),
        (0, u64::MAX, Duration::MAX),
        (5, 9, Duration::ZERO),
    ] {
        let mut t = Traffic::default();
        t.heed(Seen {
            sent: t0,
            beside: 0,
            limit,
            remaining,
            window,
        });
        assert!(t.others(t0).is_finite() && t.others(t0) >= 0.0);
    }
}
