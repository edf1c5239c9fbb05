//! The pacer's turns and the budget's rate, on tokio's paused clock.

#![allow(clippy::arithmetic_side_effects)] // small, known values

use super::*;

/// A client nothing is sent with: the pacer only reads its team limit.
fn client() -> Client {
    Client::builder()
        .api_key("re_x")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap()
}

/// Takes a turn for each `(name, priority, after_ms)`, each asked
/// `after_ms` from now: who got theirs, in order, and when (ms from now).
async fn turns(pacer: &Arc<Pacer>, asks: Vec<(String, u8, u64)>) -> Vec<(String, u128)> {
    let t0 = Instant::now();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (name, priority, after_ms) in asks {
        let (pacer, order) = (Arc::clone(pacer), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            pacer.take_turn(priority).await;
            order.lock().unwrap().push((name, t0.elapsed().as_millis()));
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    order.lock().unwrap().clone()
}

#[test]
fn a_budget_is_a_rate_of_the_team_limit_or_its_own() {
    assert_eq!(Budget::Share(0.5).rate(Some(10)), 5.0);
    assert_eq!(Budget::Share(0.5).rate(None), 1.0, "2 a second assumed");
    assert_eq!(Budget::Share(0.25).rate(Some(0)), 0.25, "a limit of 0 is 1");
    assert_eq!(Budget::PerSecond(3.0).rate(Some(10)), 3.0);
    for ok in [
        Budget::Share(1.0),
        Budget::Share(0.01),
        Budget::PerSecond(1.0 / 3600.0),
    ] {
        assert!(ok.check().is_ok(), "{ok:?}");
    }
    for bad in [
        Budget::Share(0.0),
        Budget::Share(1.5),
        Budget::Share(f64::NAN),
        Budget::PerSecond(0.0),
        Budget::PerSecond(f64::INFINITY),
        Budget::PerSecond(-1.0),
    ] {
        assert!(bad.check().is_err(), "{bad:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_urgent_turn_goes_before_the_quiet_ones_waiting_and_the_spacing_holds() {
    let client = client();
    let pacer = Arc::new(Pacer::new(Budget::PerSecond(2.0), client));
    pacer.take_turn(URGENT).await; // at 0: the next turn at 510 ms
    let asks = [("q1", QUIET, 0), ("q2", QUIET, 1), ("u", URGENT, 100)];
    let asks = asks.map(|(n, p, a)| (n.to_owned(), p, a)).to_vec();
    let order = turns(&pacer, asks).await;
    let order: Vec<(&str, u128)> = order.iter().map(|(n, at)| (n.as_str(), *at)).collect();
    assert_eq!(
        order,
        [("u", 510), ("q1", 1020), ("q2", 1530)],
        "the urgent one, come last, goes first; the quiet ones in their order"
    );
    assert_eq!(pacer.spent(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_quiet_turn_waited_for_long_enough_goes_before_later_urgent_ones() {
    let client = client();
    // 2 a second; a quiet turn ages after 2 s.
    let pacer = Arc::new(Pacer::new(Budget::PerSecond(2.0), client).aging(Duration::from_secs(2)));
    pacer.take_turn(URGENT).await; // at 0: the next turn at 510 ms
    // A quiet turn asked at 1 ms, behind urgent ones asked every 400 ms:
    // more urgent demand than the budget's 510 ms turns serve.
    let mut asks = vec![("quiet".to_owned(), QUIET, 1)];
    asks.extend((0..12).map(|i| (format!("u{i}"), URGENT, i * 400)));
    let order = turns(&pacer, asks).await;
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
    let client = client();
    let pacer = Arc::new(Pacer::new(Budget::PerSecond(2.0), client));
    pacer.take_turn(URGENT).await;
    // An urgent caller gives up; the quiet one behind it is not stuck.
    let gave_up = tokio::time::timeout(Duration::from_millis(100), pacer.take_turn(URGENT)).await;
    assert!(gave_up.is_err());
    let t0 = Instant::now();
    pacer.take_turn(QUIET).await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(410),
        "at the 510 ms turn"
    );
    assert_eq!(pacer.spent(), 2);
}

#[tokio::test(start_paused = true)]
async fn attempts_are_spaced_by_the_budget_and_counted() {
    let client = client();
    let pacer = Pacer::new(Budget::PerSecond(2.0), client);
    let t0 = Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        pacer.before_attempt().await;
        at.push(t0.elapsed());
    }
    let ms = |n| Duration::from_millis(n);
    assert_eq!(at, [ms(0), ms(510), ms(1020), ms(1530), ms(2040)]);
    assert_eq!(pacer.spent(), 5);
    // After a pause, the next turn is at once, not a burst of turns.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let t1 = Instant::now();
    pacer.before_attempt().await;
    pacer.before_attempt().await;
    assert_eq!(t1.elapsed(), ms(510));
}
