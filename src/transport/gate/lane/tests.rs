//! A lane's turns, on tokio's paused clock.

#![allow(clippy::arithmetic_side_effects)] // small, known values

use super::*;
use tokio::sync::Notify;

/// A team of 10 a second that nobody else spends.
fn quiet_team() -> TeamLimit {
    TeamLimit {
        limit: Some(10),
        window: Duration::from_secs(1),
        others: 0.0,
        measured: true,
    }
}

/// Takes a turn for each `(name, priority, after_ms)`, each asked
/// `after_ms` from now: who got theirs, in order, and when (ms from now).
async fn turns(lane: &Arc<Lane>, asks: Vec<(String, u8, u64)>) -> Vec<(String, u128)> {
    let t0 = Instant::now();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (name, priority, after_ms) in asks {
        let (lane, order) = (Arc::clone(lane), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            lane.turn(priority, quiet_team).await;
            order.lock().unwrap().push((name, t0.elapsed().as_millis()));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    order.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn an_urgent_turn_goes_before_the_quiet_ones_waiting_and_the_spacing_holds() {
    let lane = Arc::new(Lane::new("w", Budget::PerSecond(2.0)));
    lane.turn(URGENT, quiet_team).await; // at 0: the next turn at 510 ms
    let asks = [("q1", QUIET, 0), ("q2", QUIET, 1), ("u", URGENT, 100)];
    let asks = asks.map(|(n, p, a)| (n.to_owned(), p, a)).to_vec();
    let order = turns(&lane, asks).await;
    let order: Vec<(&str, u128)> = order.iter().map(|(n, at)| (n.as_str(), *at)).collect();
    assert_eq!(
        order,
        [("u", 510), ("q1", 1020), ("q2", 1530)],
        "the urgent one, come last, goes first; the quiet ones in their order"
    );
}

#[tokio::test(start_paused = true)]
async fn a_quiet_turn_waited_for_long_enough_goes_before_later_urgent_ones() {
    // 2 a second; a quiet turn ages after 2 s.
    let lane = Arc::new(Lane::new("w", Budget::PerSecond(2.0)).aging(Duration::from_secs(2)));
    lane.turn(URGENT, quiet_team).await; // at 0: the next turn at 510 ms
    // A quiet turn asked at 1 ms, behind urgent ones asked every 400 ms:
    // more urgent demand than the budget's 510 ms turns serve.
    let mut asks = vec![("quiet".to_owned(), QUIET, 1)];
    asks.extend((0..12).map(|i| (format!("u{i}"), URGENT, i * 400)));
    let order = turns(&lane, asks).await;
    let (_, at) = order.iter().find(|(n, _)| n == "quiet").unwrap();
    // Aged at 2 s: it takes the first turn after (2.04 s); without
    // aging it came last, at 6.63 s.
    assert!(
        (2000..=2600).contains(at),
        "the quiet turn at {at} ms: {order:?}"
    );
    let after: Vec<&str> = order
        .iter()
        .skip_while(|(n, _)| n != "quiet")
        .skip(1)
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        !after.is_empty(),
        "urgent ones that came before it aged went after it"
    );
}

#[tokio::test(start_paused = true)]
async fn a_turn_given_up_leaves_the_queue() {
    let lane = Arc::new(Lane::new("w", Budget::PerSecond(2.0)));
    lane.turn(URGENT, quiet_team).await;
    // An urgent caller gives up; the quiet one behind it is not stuck.
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), lane.turn(URGENT, quiet_team)).await;
    assert!(gave_up.is_err());
    let t0 = Instant::now();
    lane.turn(QUIET, quiet_team).await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(410),
        "at the 510 ms turn"
    );
}

#[tokio::test(start_paused = true)]
async fn attempts_are_spaced_by_the_budget_and_counted() {
    let lane = Lane::new("w", Budget::PerSecond(2.0));
    let t0 = Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        lane.turn(URGENT, quiet_team).await;
        at.push(t0.elapsed());
    }
    let ms = |n| Duration::from_millis(n);
    assert_eq!(at, [ms(0), ms(510), ms(1020), ms(1530), ms(2040)]);
    // After a pause, the next turn is at once, not a burst of turns.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let t1 = Instant::now();
    lane.turn(URGENT, quiet_team).await;
    lane.turn(URGENT, quiet_team).await;
    assert_eq!(t1.elapsed(), ms(510));
}

/// A store that shares no turn: every one fails.
#[derive(Debug)]
struct Down;

impl SharedTurns for Down {
    fn take_turn(&self, _spacing: Duration) -> Option<BoxFuture<'_, Result<Duration, String>>> {
        Some(Box::pin(async { Err("connection refused".to_owned()) }))
    }
}

#[tokio::test(start_paused = true)]
async fn with_the_store_down_a_process_keeps_to_its_last_known_share() {
    // Two processes share 1.5 a second; the store that shares their turns
    // is down. Before: each spent the whole budget (3 a second together).
    let lane = Lane::new("team", Budget::PerSecond(1.5)).shared(Arc::new(Down));
    lane.set_sharers(2);
    let t0 = Instant::now();
    let mut at = Vec::new();
    for _ in 0..4 {
        lane.turn(URGENT, quiet_team).await;
        at.push(t0.elapsed().as_millis());
    }
    // Its share, 0.75 a second: 2 × 680 ms apart.
    assert_eq!(at, [0, 1360, 2720, 4080]);
    // Alone (or never counted), the whole budget.
    let alone = Lane::new("team", Budget::PerSecond(1.5)).shared(Arc::new(Down));
    let t1 = Instant::now();
    alone.turn(URGENT, quiet_team).await;
    alone.turn(URGENT, quiet_team).await;
    assert_eq!(t1.elapsed().as_millis(), 680);
}

#[tokio::test(start_paused = true)]
async fn a_lane_that_gives_way_spaces_its_turns_by_what_the_others_leave() {
    let lane = Lane::new("watch", crate::transport::gate::DEFAULT_BUDGET);
    let busy = || TeamLimit {
        others: 9.0,
        ..quiet_team()
    };
    let t0 = Instant::now();
    lane.turn(URGENT, busy).await;
    lane.turn(URGENT, busy).await;
    assert_eq!(t0.elapsed().as_millis(), 10_200, "a probe in ten seconds");
    let t1 = Instant::now();
    lane.turn(URGENT, quiet_team).await;
    lane.turn(URGENT, quiet_team).await;
    // Quiet since: 8 a second from the last busy turn on (127.5 ms, on a
    // timer of whole milliseconds), not the ten seconds set at it.
    assert_eq!(t1.elapsed().as_millis(), 128 + 128);
}

#[tokio::test(start_paused = true)]
async fn a_probe_s_wait_ends_when_an_answer_tells_the_burst_is_over() {
    let lane = Arc::new(Lane::new("w", crate::transport::gate::DEFAULT_BUDGET));
    let others = Arc::new(std::sync::Mutex::new(9.0));
    let team = {
        let others = Arc::clone(&others);
        move || TeamLimit {
            others: *others.lock().unwrap(),
            ..quiet_team()
        }
    };
    let learned = Arc::new(Notify::new());
    let t0 = Instant::now();
    lane.turn_heeding(URGENT, team.clone(), &learned).await; // the probe
    // Its answer, at 300 ms: the burst is over.
    let (quiet, told) = (Arc::clone(&others), Arc::clone(&learned));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        *quiet.lock().unwrap() = 0.0;
        told.notify_waiters();
    });
    lane.turn_heeding(URGENT, team, &learned).await;
    assert_eq!(
        t0.elapsed().as_millis(),
        300,
        "at the answer, not at the ten seconds set at the probe"
    );
}

#[tokio::test(start_paused = true)]
async fn a_turn_already_set_is_held_back_by_an_answer_that_tells_a_burst() {
    // Default budget, a team of 10 a second: 8 a second while quiet.
    let lane = Arc::new(Lane::new("w", crate::transport::gate::DEFAULT_BUDGET));
    let others = Arc::new(std::sync::Mutex::new(0.0));
    let team = {
        let others = Arc::clone(&others);
        move || TeamLimit {
            others: *others.lock().unwrap(),
            ..quiet_team()
        }
    };
    let t0 = Instant::now();
    lane.turn(URGENT, team.clone()).await; // at 0: the next at 127.5 ms
    // An answer at 50 ms tells the sends at 7 a second: 1 a second left.
    let burst = Arc::clone(&others);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        *burst.lock().unwrap() = 7.0;
    });
    lane.turn(URGENT, team).await;
    assert_eq!(
        t0.elapsed().as_millis(),
        1020,
        "a second (and 2%) after the last turn, not at the 127 ms set before"
    );
}
