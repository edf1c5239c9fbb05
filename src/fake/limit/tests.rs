use std::time::{Duration, Instant};

use super::LimitEnforcer;
use crate::fake::traffic::{Caller, Tally};

const R: Caller = Caller::Reads;
const S: Caller = Caller::Sends;

fn ms(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

fn tally(sent: u64, refused: u64) -> Tally {
    Tally { sent, refused }
}

/// Feeds `arrivals` (caller, ms) to `limit` and checks each answer's
/// (refused, remaining, reset_secs).
#[track_caller]
fn check(limit: &mut LimitEnforcer, t0: Instant, arrivals: &[(Caller, u64, (bool, u64, u64))]) {
    for &(caller, at, expected) in arrivals {
        let w = limit.admit_from(caller, ms(t0, at));
        assert_eq!(
            (w.refused, w.remaining, w.reset_secs),
            expected,
            "{caller:?} at {at} ms"
        );
    }
}

#[test]
fn a_window_begins_with_the_first_request_after_the_last_one_ended() {
    let t0 = Instant::now();
    let mut limit = LimitEnforcer::enforced(2, Duration::from_secs(1));
    check(
        &mut limit,
        t0,
        &[
            (R, 0, (false, 1, 1)),
            (R, 300, (false, 0, 1)),
            (R, 600, (true, 0, 1)),
            // The first window ended at 1,000: this request begins the next.
            (R, 1_000, (false, 1, 1)),
            (R, 1_500, (false, 0, 1)),
            (R, 1_999, (true, 0, 1)),
            // A quiet gap, then a window from 2,500 to 3,500: not the
            // clock's second, nor a grid from the first request.
            (R, 2_500, (false, 1, 1)),
            (R, 3_200, (false, 0, 1)),
            (R, 3_400, (true, 0, 1)),
            (R, 3_500, (false, 1, 1)),
        ],
    );
    assert_eq!(limit.refused(), (3, 2));
    assert_eq!(limit.traffic().reads, tally(10, 3));
}

#[test]
fn the_reset_is_the_whole_seconds_left_rounded_up() {
    let t0 = Instant::now();
    let mut limit = LimitEnforcer::enforced(100, Duration::from_secs(2));
    for (at, reset) in [(0, 2), (1, 2), (999, 2), (1_000, 1), (1_001, 1), (1_999, 1)] {
        assert_eq!(limit.admit(ms(t0, at)).reset_secs, reset, "at {at} ms");
    }
    // The next window, begun at 2,300 by this request: 2 s left.
    assert_eq!(limit.admit(ms(t0, 2_300)).reset_secs, 2);
    assert_eq!(limit.admit(ms(t0, 3_400)).reset_secs, 1);
}

#[test]
fn whoever_comes_later_in_a_full_window_is_refused() {
    let t0 = Instant::now();
    // A read before a send in a full window refuses the send...
    let mut limit = LimitEnforcer::enforced(2, Duration::from_secs(1));
    check(
        &mut limit,
        t0,
        &[
            (R, 0, (false, 1, 1)),
            (R, 100, (false, 0, 1)),
            (S, 200, (true, 0, 1)),
            (S, 1_200, (false, 1, 1)),
            (R, 1_300, (false, 0, 1)),
            (S, 1_400, (true, 0, 1)),
        ],
    );
    let t = limit.traffic();
    assert_eq!((t.reads, t.sends), (tally(3, 0), tally(3, 2)));
    // ...and a send before a read refuses the read.
    let mut limit = LimitEnforcer::enforced(2, Duration::from_secs(1));
    check(
        &mut limit,
        t0,
        &[
            (S, 0, (false, 1, 1)),
            (S, 100, (false, 0, 1)),
            (R, 200, (true, 0, 1)),
            (R, 1_000, (false, 1, 1)),
            (S, 1_010, (false, 0, 1)),
            (R, 1_020, (true, 0, 1)),
        ],
    );
    let t = limit.traffic();
    assert_eq!((t.reads, t.sends), (tally(3, 2), tally(3, 0)));
    assert_eq!(limit.refused(), (2, 1));
    assert_eq!(t.of(Caller::Reads).admitted(), 1);
}

#[test]
fn every_caller_is_counted_informative_or_enforced() {
    let t0 = Instant::now();
    let mut open = LimitEnforcer::default();
    for n in 0..2_000 {
        let caller = if n % 4 == 0 { S } else { R };
        assert!(!open.admit_from(caller, ms(t0, n / 10)).refused);
    }
    let t = open.traffic();
    assert_eq!((t.sends, t.reads), (tally(500, 0), tally(1_500, 0)));
    assert_eq!(open.refused(), (0, 0));
    // Enforced at 3 a second: a burst of 5 of each at once, each second.
    let mut limit = LimitEnforcer::enforced(3, Duration::from_secs(1));
    for second in 0..4 {
        for i in 0..10 {
            let caller = if i % 2 == 0 { S } else { R };
            limit.admit_from(caller, ms(t0, second * 1_000 + i));
        }
    }
    // Each window: S R S admitted, then R S R S R S R refused.
    let t = limit.traffic();
    assert_eq!((t.sends, t.reads), (tally(20, 12), tally(20, 16)));
    assert_eq!(limit.refused(), (28, 21));
}

#[test]
fn virtual_sends_are_spread_across_each_window_and_counted_in_time_order() {
    let t0 = Instant::now();
    // 3 a second, 2 of them virtual sends at 0 and 500 ms of each window.
    let mut limit = LimitEnforcer::enforced(3, Duration::from_secs(1));
    limit.share(2);
    check(
        &mut limit,
        t0,
        &[
            // Begins the window; the virtual send at 0 comes after it.
            (R, 0, (false, 2, 1)),
            (R, 100, (false, 0, 1)),
            // The window is full: this read is refused, and so is the
            // virtual send at 500.
            (R, 400, (true, 0, 1)),
            // A window from 1,200: a virtual send at 1,200, one at 1,700.
            (R, 1_200, (false, 2, 1)),
            (R, 1_600, (false, 0, 1)),
            (R, 1_650, (true, 0, 1)),
            // From 2,300: this read first, then the virtual send at 2,300.
            (R, 2_300, (false, 2, 1)),
            (R, 2_900, (true, 0, 1)),
        ],
    );
    limit.settle(ms(t0, 10_000));
    let t = limit.traffic();
    // 6 virtual sends, those at 500 and 1,700 refused (their windows full
    // of reads before them).
    assert_eq!(t.sends, tally(6, 2));
    assert_eq!(t.reads, tally(8, 3));
    // Windows without a real request count no virtual send.
    limit.settle(ms(t0, 20_000));
    assert_eq!(limit.traffic().sends, tally(6, 2));
}

#[test]
fn a_read_before_a_virtual_send_takes_its_place() {
    let t0 = Instant::now();
    // The old fake counted the other calls first: the read was refused.
    // Now the read, first in its window, is admitted, and the send it
    // displaced is counted refused.
    for (share, reads, expected_sends, expected_reads) in [
        // limit 2: read@0, virtual@0, read@250 refused, virtual@500 refused
        (2, vec![0, 250], tally(2, 1), tally(2, 1)),
        // limit 2, one virtual: read@0, virtual@0, read@600 refused
        (1, vec![0, 600], tally(1, 0), tally(2, 1)),
        // two reads at the same instant come before that instant's send
        (1, vec![0, 0], tally(1, 1), tally(2, 0)),
        // limit 2, 4 virtual at 0, 250, 500, 750: read@0, virtual@0,
        // then 3 virtual refused and read@900 refused
        (4, vec![0, 900], tally(4, 3), tally(2, 1)),
    ] {
        let mut limit = LimitEnforcer::enforced(2, Duration::from_secs(1));
        limit.share(share);
        for at in &reads {
            limit.admit(ms(t0, *at));
        }
        limit.settle(ms(t0, 5_000));
        let t = limit.traffic();
        assert_eq!(
            (t.sends, t.reads),
            (expected_sends, expected_reads),
            "share {share}, reads at {reads:?}"
        );
        assert_eq!(limit.refused().0, t.sends.refused + t.reads.refused);
    }
}
