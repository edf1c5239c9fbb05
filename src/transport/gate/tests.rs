//! The gate's unit tests on tokio's paused clock, and its pacing against
//! the fake's team windows (with the `fake` feature, which the crate's
//! dev-dependency on itself turns on).
#![allow(clippy::arithmetic_side_effects)] // instants of known, small values

use std::sync::Arc;

use super::*;

const S: fn(u64) -> Duration = Duration::from_secs;
const MS: fn(u64) -> Duration = Duration::from_millis;

/// A gate that holds for as long as any server may ask.
fn open_gate(interval: Option<Duration>) -> RateGate {
    RateGate::new(interval, crate::rate_limit::MAX_SERVER_WAIT)
}

#[tokio::test(start_paused = true)]
async fn no_server_named_wait_holds_the_gate_past_its_bound() {
    let gate = RateGate::new(None, S(300));
    let t0 = Instant::now();
    // 31 days asked: five minutes held.
    gate.block_for(S(31 * 24 * 3600));
    assert_eq!(gate.earliest_start(), t0 + S(300));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(300)));
    // A used-up window's reset is a server-named wait too.
    gate.window_closed(S(86_400), None, None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(300)));
    // Under the bound, the wait is whole.
    gate.block_for(S(7));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(7)));
    assert_eq!(t0.elapsed(), S(607));
}

#[tokio::test(start_paused = true)]
async fn the_learned_pace_follows_every_limit_read_up_and_down() {
    let hints = |limit: u64, remaining: u64| Hints {
        rate_limit: Some(crate::rate_limit::RateLimit {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(S(1)),
            window: None,
        }),
        retry_after: None,
    };
    let gate = open_gate(None);
    // Before any window was used up, a limit read sets no pace.
    gate.heed_answer(&hints(1, 5), 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    // A used-up window of a limit of 1: waited out, then 1.02 s apart.
    gate.heed_answer(&hints(1, 0), 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(1)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(1020)));
    // Every answer now says 51: 20 ms apart from the next turn on.
    gate.heed_answer(&hints(51, 50), 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(1020)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(20)));
    // And down again.
    gate.heed_answer(&hints(2, 1), 0, Instant::now(), 0);
    let _ = gate.wait_turn(None, None).await;
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(510)));
    // A long window (a quota) names no per-second limit.
    let quota = Hints {
        rate_limit: Some(crate::rate_limit::RateLimit {
            limit: Some(1000),
            remaining: Some(10),
            reset: Some(S(3600)),
            window: None,
        }),
        retry_after: None,
    };
    gate.heed_answer(&quota, 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(510)));
}

#[tokio::test(start_paused = true)]
async fn a_block_delays_the_next_turn_to_the_second() {
    let gate = open_gate(None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    gate.block_for(S(3));
    let t0 = Instant::now();
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(3)));
    assert_eq!(t0.elapsed(), S(3));
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn a_shorter_block_never_shortens_a_longer_one() {
    let gate = open_gate(None);
    let t0 = Instant::now();
    gate.block_for(S(5));
    gate.block_for(S(2));
    assert_eq!(gate.earliest_start(), t0 + S(5));
    gate.block_for(S(8));
    assert_eq!(gate.earliest_start(), t0 + S(8));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(8)));
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_is_refused_at_once() {
    let gate = open_gate(None);
    let t0 = Instant::now();
    gate.block_for(S(10));
    assert_eq!(
        gate.wait_turn(Some(t0 + S(5)), None).await,
        Err(TooLate {
            until: t0 + S(10),
            by_lane: false
        })
    );
    assert_eq!(t0.elapsed(), Duration::ZERO, "nothing slept");
    // Ending exactly at the deadline is in time.
    assert_eq!(gate.wait_turn(Some(t0 + S(10)), None).await, Ok(S(10)));
}

#[tokio::test(start_paused = true)]
async fn a_block_extended_while_waiting_is_waited_for_or_refused() {
    let gate = Arc::new(open_gate(None));
    let t0 = Instant::now();
    gate.block_for(S(2));
    let waiter = tokio::spawn({
        let gate = gate.clone();
        async move { gate.wait_turn(Some(t0 + S(6)), None).await }
    });
    tokio::time::sleep(S(1)).await;
    gate.block_for(S(9)); // now until t0 + 10 s
    assert_eq!(
        waiter.await.unwrap(),
        Err(TooLate {
            until: t0 + S(10),
            by_lane: false
        })
    );
    assert_eq!(t0.elapsed(), S(2), "refused when the first wait ended");
}

#[tokio::test(start_paused = true)]
async fn a_client_side_limit_spaces_requests() {
    let gate = Arc::new(open_gate(Some(MS(250))));
    let t0 = Instant::now();
    let turns: Vec<_> = (0..8)
        .map(|_| {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.wait_turn(None, None).await.unwrap();
                Instant::now()
            })
        })
        .collect();
    let mut at = Vec::new();
    for t in turns {
        at.push(t.await.unwrap() - t0);
    }
    at.sort();
    let expected: Vec<_> = (0..8).map(|i| MS(250 * i)).collect();
    assert_eq!(at, expected);
    assert_eq!(gate.lock().queued, 0, "every waiter left the queue");
}

#[tokio::test(start_paused = true)]
async fn the_limit_and_a_block_combine() {
    let gate = open_gate(Some(S(1)));
    let t0 = Instant::now();
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    gate.block_for(S(3));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(3)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(1)));
    assert_eq!(t0.elapsed(), S(4));
}

#[tokio::test(start_paused = true)]
async fn a_queue_that_would_pass_the_deadline_is_refused_at_once() {
    let gate = Arc::new(open_gate(Some(S(1))));
    let t0 = Instant::now();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let gate = gate.clone();
            tokio::spawn(async move { gate.wait_turn(None, None).await })
        })
        .collect();
    tokio::task::yield_now().await;
    // Three ahead: the turn would come at 3 s.
    assert_eq!(gate.earliest_start(), t0 + S(3));
    assert_eq!(
        gate.wait_turn(Some(t0 + MS(2500)), None).await,
        Err(TooLate {
            until: t0 + S(3),
            by_lane: false
        })
    );
    assert_eq!(gate.wait_turn(Some(t0 + S(3)), None).await, Ok(S(3)));
    for w in waiters {
        w.await.unwrap().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_gives_its_turn_back() {
    let gate = Arc::new(open_gate(Some(S(1))));
    let t0 = Instant::now();
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    // Ten waiters, each given up after 1.5 s: one gets the 1 s slot.
    let waiters: Vec<_> = (0..10)
        .map(|_| {
            let gate = gate.clone();
            tokio::spawn(async move {
                tokio::time::timeout(MS(1500), gate.wait_turn(None, None))
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut served = 0;
    for w in waiters {
        served += usize::from(w.await.unwrap());
    }
    assert_eq!((served, t0.elapsed()), (1, MS(1500)));
    assert_eq!(gate.lock().queued, 0);
    // The next request takes the 2 s slot, not the eleventh.
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(500)));
}

#[tokio::test(start_paused = true)]
async fn a_used_up_one_second_window_paces_the_rest_at_the_limit() {
    let gate = open_gate(None);
    let t0 = Instant::now();
    // The first used-up window is waited for, and the limit learned.
    gate.window_closed(S(1), Some(10), None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(1)));
    // From then on: 102 ms apart, and a used-up window costs no more.
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(102)));
    gate.window_closed(S(1), Some(10), None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(102)));
    assert_eq!(t0.elapsed(), MS(1204));
    // A longer window (a quota) is still waited out.
    gate.window_closed(S(30), Some(10), None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(30)));
    // Without a limit, a used-up window is waited for every time.
    let plain = open_gate(None);
    plain.window_closed(S(1), None, None);
    assert_eq!(plain.wait_turn(None, None).await, Ok(S(1)));
    plain.window_closed(S(1), None, None);
    assert_eq!(plain.wait_turn(None, None).await, Ok(S(1)));
    assert_eq!(pace_for(2, S(1)), Some(MS(510)));
    assert_eq!(pace_for(0, S(1)), None);
}

#[tokio::test(start_paused = true)]
async fn a_429_naming_the_limit_starts_the_pacing() {
    let gate = open_gate(None);
    gate.learn_limit(4, None);
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(255)));
    // A 429 that names its window: the pace is over that window.
    let gate = open_gate(None);
    gate.learn_limit(4, Some(S(2)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(Duration::ZERO));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(510)));
}

/// An answer's rate limit: limit, remaining, reset and window.
fn named(limit: u64, remaining: u64, reset: Duration, window: Option<Duration>) -> Hints {
    let mut rate_limit = crate::rate_limit::RateLimit {
        limit: Some(limit),
        remaining: Some(remaining),
        reset: Some(reset),
        window: None,
    };
    rate_limit.window = window;
    Hints {
        rate_limit: Some(rate_limit),
        retry_after: None,
    }
}

#[test]
fn the_pace_is_the_window_2_percent_wider_over_the_limit() {
    assert_eq!(pace_for(2, S(1)), Some(MS(510)));
    assert_eq!(pace_for(2, S(10)), Some(MS(5_100)));
    assert_eq!(
        pace_for(100, S(1)),
        Some(MS(10) + Duration::from_micros(200))
    );
    assert_eq!(pace_for(1_000, S(86_400)), Some(MS(88_128)));
    assert_eq!(pace_for(0, S(10)), None);
    assert_eq!(pace_for(u64::MAX, S(10)), None);
    // No window a header names overflows it, and none paces past the cap.
    let max = crate::rate_limit::MAX_SERVER_WAIT;
    assert_eq!(pace_for(1, max), Some(max));
    assert_eq!(pace_for(1, Duration::MAX), Some(max));
}

#[tokio::test(start_paused = true)]
async fn a_named_window_sets_the_pace_never_one_second_assumed() {
    // A used-up window of 10 s for 2: waited out, then 5.1 s apart.
    let gate = open_gate(None);
    gate.heed_answer(&named(2, 0, S(10), Some(S(10))), 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(10)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(5_100)));
    // Its reset read 1 (the window's last second): still 10 s, not 1.
    let gate = open_gate(None);
    gate.heed_answer(&named(2, 0, S(1), Some(S(10))), 0, Instant::now(), 0);
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(1)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(5_100)));
    // Named, the limit is followed whatever the reset reads.
    gate.heed_answer(&named(10, 9, S(3_600), Some(S(1))), 0, Instant::now(), 0);
    let _ = gate.wait_turn(None, None).await;
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(102)));
    gate.heed_answer(&named(100, 9, S(1), Some(S(10))), 0, Instant::now(), 0);
    let _ = gate.wait_turn(None, None).await;
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(102)));
    // Unnamed, a reset of a second at most stands for a one-second window,
    // as before; a longer one (a quota) is not followed.
    gate.heed_answer(&named(50, 9, S(1), None), 0, Instant::now(), 0);
    let _ = gate.wait_turn(None, None).await;
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(21)));
    gate.heed_answer(&named(1, 9, S(3_600), None), 0, Instant::now(), 0);
    let _ = gate.wait_turn(None, None).await;
    assert_eq!(gate.wait_turn(None, None).await, Ok(MS(21)));
}

#[tokio::test(start_paused = true)]
async fn no_pace_holds_the_gate_past_its_bound() {
    // A day's quota used up: its reset and its pace, both held to 5 min.
    let gate = RateGate::new(None, S(300));
    gate.heed_answer(
        &named(1_000, 0, S(86_400), Some(S(86_400))),
        0,
        Instant::now(),
        0,
    );
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(300)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(88) + MS(128)));
    let gate = RateGate::new(None, S(300));
    gate.heed_answer(
        &named(1, 0, S(86_400), Some(S(86_400))),
        0,
        Instant::now(),
        0,
    );
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(300)));
    assert_eq!(gate.wait_turn(None, None).await, Ok(S(300)));
}

#[test]
fn the_team_s_limit_is_read_with_its_window() {
    let gate = open_gate(None);
    let now = Instant::now();
    assert_eq!((gate.team(now).limit, gate.team(now).window), (None, S(1)));
    gate.heed_answer(&named(100, 9, S(30), Some(S(10))), 0, now, 0);
    assert_eq!(
        (gate.team(now).limit, gate.team(now).window),
        (Some(100), S(10))
    );
    gate.heed_answer(&named(20, 9, S(1), Some(S(1))), 0, now, 0);
    assert_eq!(
        (gate.team(now).limit, gate.team(now).window),
        (Some(20), S(1))
    );
    gate.heed_answer(&named(7, 9, S(1), None), 0, now, 0);
    assert_eq!(
        (gate.team(now).limit, gate.team(now).window),
        (Some(7), S(1))
    );
}

#[tokio::test(start_paused = true)]
async fn instants_never_overflow() {
    let now = Instant::now();
    assert!(later(now, Duration::MAX) > later(now, S(86_400 * 365)));
    assert_eq!(later(now, S(3)), now + S(3));
    let gate = open_gate(None);
    gate.block_for(Duration::MAX);
    assert!(gate.wait_turn(Some(now + S(60)), None).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn a_lane_wait_past_the_deadline_is_bounded_and_named() {
    // The gate paces (a limit learned), and the lane spends 1 a second:
    // its second turn comes at 1.02 s.
    let gate = open_gate(None);
    gate.learn_limit(10, None);
    let lane = LaneTicket::new(
        Arc::new(Lane::new("team watch", Budget::PerSecond(1.0))),
        Priority::Urgent,
    );
    let t0 = Instant::now();
    assert_eq!(
        gate.wait_turn(Some(t0 + S(3)), Some(&lane)).await,
        Ok(MS(0))
    );
    // A deadline before the lane's turn: refused at the deadline, not
    // later; the lane, not the rate limit, named.
    let refused = gate.wait_turn(Some(t0 + MS(500)), Some(&lane)).await;
    assert_eq!(t0.elapsed(), MS(500), "waited until the deadline, no more");
    assert_eq!(
        refused,
        Err(TooLate {
            until: t0 + MS(1020),
            by_lane: true
        })
    );
    // The refused wait left the lane's queue: the next turn comes on time.
    assert_eq!(gate.wait_turn(None, Some(&lane)).await, Ok(MS(520)));
    assert_eq!(t0.elapsed(), MS(1020));
    // The gate alone past the deadline: refused at once, the rate limit
    // named, and no lane turn taken.
    gate.block_for(S(10));
    let t1 = Instant::now();
    assert_eq!(
        gate.wait_turn(Some(t1 + S(5)), Some(&lane)).await,
        Err(TooLate {
            until: t1 + S(10),
            by_lane: false
        })
    );
    assert_eq!(t1.elapsed(), MS(0));
}

/// An answer of a team of 10 a second, its window a second, with
/// `remaining` left.
fn answer(remaining: u64) -> Hints {
    Hints {
        rate_limit: Some(RateLimit {
            limit: Some(10),
            remaining: Some(remaining),
            reset: Some(S(1)),
            window: Some(S(1)),
        }),
        retry_after: None,
    }
}

#[tokio::test(start_paused = true)]
async fn every_answer_tells_the_lanes_what_the_team_s_other_calls_spend() {
    let gate = open_gate(None);
    let t0 = Instant::now();
    assert_eq!(gate.team(t0).others, 0.0);
    assert!(!gate.team(t0).measured);
    // Our first request of a window: 6 of 10 left, so the others spent 3
    // of it so far: 3 a second at least, guessed 6 (see traffic.rs).
    gate.heed_answer(&answer(6), 0, t0, 0);
    let team = gate.team(t0);
    assert_eq!(
        (team.limit, team.others, team.measured),
        (Some(10), 6.0, false)
    );
    // Our second in it, 500 ms later: 2 left, so the others spent 3 more
    // in between: 6 a second.
    gate.heed_answer(&answer(2), 0, t0 + MS(500), 0);
    let team = gate.team(t0 + MS(500));
    assert_eq!((team.others, team.measured), (6.0, true));
    // They leave 4: the default budget spends 2 (4 less a reserve of 2).
    assert_eq!(DEFAULT_BUDGET.rate(&team), 2.0);
}

#[tokio::test(start_paused = true)]
async fn an_answer_that_tells_the_others_quiet_brings_a_held_turn_forward() {
    let gate = Arc::new(open_gate(None));
    let t0 = Instant::now();
    // A burst: the others spent 8 of 10 of the window so far (a guess
    // of all of it), so the default lane probes once in ten seconds.
    gate.heed_answer(&answer(1), 0, t0, 0);
    let lane = LaneTicket::new(
        Arc::new(Lane::new("watch", DEFAULT_BUDGET)),
        Priority::Urgent,
    );
    assert_eq!(gate.wait_turn(None, Some(&lane)).await, Ok(MS(0)));
    // The probe's answer comes 6 s later, the burst over (the others
    // spent nothing of its window): the turn waiting since comes then.
    let next = {
        let lane = lane.clone();
        let gate = Arc::clone(&gate);
        tokio::spawn(async move { gate.wait_turn(None, Some(&lane)).await })
    };
    tokio::time::sleep(S(6)).await;
    gate.heed_answer(&answer(9), 0, t0 + S(6), 0);
    assert_eq!(next.await.unwrap(), Ok(S(6)));
    assert_eq!(t0.elapsed(), S(6), "not the 10.2 s the probe set");
}

#[cfg(feature = "fake")]
mod pacing {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use crate::fake::LimitEnforcer;
    use crate::rate_limit::RateLimit;
    use crate::transport::gate::RateGate;
    use crate::transport::headers::Hints;

    /// The network between the gate and the fake: every request takes
    /// `latency` each way, plus up to `jitter` more on its way there.
    #[derive(Debug, Clone, Copy)]
    struct Network {
        latency: Duration,
        jitter: Duration,
        seed: u64,
    }

    /// `streams` tasks each send `each` requests through one gate to this
    /// limit, over `net`, heeding each answer as the client does
    /// ([`RateGate::heed_answer`], [`RateGate::heed_refusal`]): a used-up
    /// window closes the gate; a 429 is waited out and teaches the limit. Returns the time from the first request's
    /// arrival to the last one's, and the refusals (all, after the first
    /// window).
    /// With `warm_up`, one request opens the first window and the streams
    /// start two seconds later (a watch's first look, then a busy poll).
    async fn paced(
        limit: u64,
        streams: u64,
        each: u64,
        net: Network,
        warm_up: bool,
    ) -> (Duration, (u64, u64)) {
        let team = Arc::new(Mutex::new(LimitEnforcer::enforced(
            limit,
            Duration::from_secs(1),
        )));
        if warm_up {
            let mut team = team.lock().unwrap();
            let now = team.now();
            assert!(team.admit(now).remaining > 0);
        }
        tokio::time::sleep(Duration::from_secs(if warm_up { 2 } else { 0 })).await;
        let gate = Arc::new(RateGate::new(None, crate::rate_limit::MAX_SERVER_WAIT));
        let tasks = (0..streams).map(|stream| {
            let (team, gate) = (Arc::clone(&team), Arc::clone(&gate));
            tokio::spawn(async move {
                let mut x = net.seed ^ (stream + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let mut done = 0;
                let mut arrivals = Vec::new();
                while done < each {
                    gate.wait_turn(None, None).await.unwrap();
                    let sending = gate.outstanding.start();
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let jitter = net.jitter.mul_f64((x % 1_000) as f64 / 1_000.0);
                    tokio::time::sleep(net.latency + jitter).await;
                    let (window, now) = {
                        let mut team = team.lock().unwrap();
                        let now = team.now();
                        (team.admit(now), now)
                    };
                    tokio::time::sleep(net.latency).await;
                    let others = sending.others();
                    drop(sending);
                    // What the answer's headers say, heeded as the client does.
                    let reset = Duration::from_secs(window.reset_secs);
                    let hints = Hints {
                        rate_limit: Some(RateLimit {
                            limit: Some(window.limit),
                            remaining: Some(window.remaining),
                            reset: Some(reset),
                            window: None,
                        }),
                        retry_after: window.refused.then_some(reset),
                    };
                    gate.heed_answer(&hints, others, tokio::time::Instant::now(), 0);
                    if window.refused {
                        gate.heed_refusal(&hints, true);
                    } else {
                        done += 1;
                        arrivals.push(now);
                    }
                }
                arrivals
            })
        });
        let arrivals: Vec<Instant> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .flat_map(Result::unwrap)
            .collect();
        let first = arrivals.iter().min().copied();
        let last = arrivals.iter().max().copied();
        let span = match (first, last) {
            (Some(first), Some(last)) => last - first,
            _ => Duration::ZERO,
        };
        let refused = team.lock().unwrap().refused();
        (span, refused)
    }

    /// A watch's case: a quiet first window, then concurrent streams that
    /// start together in a later one. The answers' `remaining`, less the
    /// outstanding requests, keep them inside every window from the start.
    #[test]
    fn a_burst_after_a_quiet_window_is_never_refused() {
        for (limit, streams, latency_ms) in [(10, 4, 20), (5, 4, 50), (10, 8, 5), (3, 2, 100)] {
            let net = Network {
                latency: Duration::from_millis(latency_ms),
                jitter: Duration::from_millis(5),
                seed: 7,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let (_, refused) = rt.block_on(paced(limit, streams, 30, net, true));
            assert_eq!(refused, (0, 0), "limit {limit}, {streams} streams");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The gate's pacing against the fake's windows, over a network
        /// with latency and jitter: after the first window nothing is
        /// refused, and the last request arrives within 5% of the bound
        /// `ceil(requests / limit)` windows after the first. (End to end on
        /// tokio's paused clock, an outstanding request arrives at the next
        /// timer's instant, a jitter no pacing could absorb: the claim is
        /// checked here, and by the `ratelimit` benchmark on a real clock.)
        #[test]
        fn paced_streams_are_refused_only_in_the_first_window(
            limit in 1u64..=10,
            streams in 1u64..=6,
            each in 1u64..=40,
            latency_ms in 0u64..=150,
            jitter_ms in 0u64..=15,
            seed: u64,
        ) {
            let net = Network {
                latency: Duration::from_millis(latency_ms),
                jitter: Duration::from_millis(jitter_ms),
                seed: seed | 1,
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let (elapsed, (refused, late)) = rt.block_on(paced(limit, streams, each, net, false));
            proptest::prop_assert_eq!(late, 0, "refused after the first window");
            // Only the first window's burst, sent before any answer told
            // the limit: the streams beyond it, one request each at most.
            proptest::prop_assert!(refused <= streams.saturating_sub(limit), "{refused} refused");
            let total = streams * each;
            let windows = u32::try_from(total.div_ceil(limit)).unwrap();
            let bound = Duration::from_secs(1) * windows;
            // The last request arrives in the last window...
            proptest::prop_assert!(elapsed + Duration::from_secs(1) >= bound, "{elapsed:?}");
            // ...and within 5% of the bound, or of what the round trips
            // allow a stream (each request waits for the last answer).
            // Over a network the first used-up window is waited out in
            // whole seconds (the reset header's unit): a second and a
            // round trip more, once.
            let round_trip = net.latency * 2 + net.jitter;
            let streaming = net.latency * 2 * u32::try_from(each).unwrap();
            let once = if round_trip.is_zero() { Duration::ZERO } else { Duration::from_secs(1) + round_trip };
            let allowed = bound.max(streaming).mul_f64(1.05) + once;
            proptest::prop_assert!(elapsed <= allowed, "{elapsed:?} against {allowed:?}");
        }
    }
}
