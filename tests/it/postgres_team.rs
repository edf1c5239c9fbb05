//! Team watches on several replicas sharing one PostgreSQL: each
//! automation polled by one replica at a time (its own lease), and the
//! replicas' requests together inside one budget (turns taken in the
//! database). Real time, short intervals, as `postgres.rs`.
#![cfg(feature = "postgres")]

use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::{Budget, PostgresStore, TeamStream};

use crate::common;
use crate::postgres::Pg;

/// The most requests the fake received in any `window`, from `since`.
fn busiest(fake: &resend_workflows::fake::FakeResend, since: Instant, window: Duration) -> usize {
    let at: Vec<Instant> = fake
        .requests()
        .iter()
        .map(|r| r.at)
        .filter(|t| *t >= since)
        .collect();
    at.iter()
        .map(|s| at.iter().filter(|t| **t >= *s && **t < *s + window).count())
        .max()
        .unwrap_or(0)
}

/// Drives `streams` for `span`, items dropped; an error fails the test.
async fn run_for(streams: &mut [TeamStream], span: Duration) {
    let end = tokio::time::Instant::now() + span;
    let mut all = futures::stream::select_all(streams.iter_mut());
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(end) => return,
            item = all.next() => match item {
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("unexpected error: {e}"),
                None => panic!("a team watch ended"),
            },
        }
    }
}

/// Two replicas' team watches on `pg`, ten automations each of a fake
/// with 20 (the lease spreads nothing yet: the first replica up would take
/// every automation), each busy enough to spend its whole budget of
/// `per_second`, under `budget_keys`.
async fn replicas(
    pg: &Pg,
    budget_keys: [&str; 2],
    per_second: f64,
    table: &str,
) -> (common::Fake, Vec<TeamStream>) {
    let fake = common::fake().await;
    for i in 0..20 {
        fake.seed_automation(&format!("auto-{i:02}"), 0);
    }
    fake.fail_after(20_000, 403);
    let client = common::client(&fake.base_url());
    let mut streams = Vec::new();
    for (n, key) in budget_keys.iter().enumerate() {
        let store = PostgresStore::connect(&pg.config(), table).await.unwrap();
        let ids: Vec<String> = (n * 10..n * 10 + 10)
            .map(|i| format!("auto-{i:02}"))
            .collect();
        streams.push(
            client
                .watch_automation_set(ids)
                .holder(format!("replica-{n}"))
                .budget_key(*key)
                .budget(Budget::PerSecond(per_second))
                .poll_interval(Duration::from_millis(100))
                .max_staleness(Duration::from_millis(100))
                .lease_ttl(Duration::from_secs(2))
                .store(store)
                .stream(),
        );
    }
    (fake, streams)
}

/// The busiest second of two replicas on a budget of 10 a second each,
/// under `budget_keys` (see [`replicas`]).
async fn two_replicas(pg: &Pg, budget_keys: [&str; 2], table: &str) -> usize {
    let (fake, mut streams) = replicas(pg, budget_keys, 10.0, table).await;
    let since = Instant::now() + Duration::from_secs(2);
    run_for(&mut streams, Duration::from_secs(8)).await;
    busiest(&fake, since, Duration::from_secs(1))
}

// Before: each replica's gate knew only its own traffic, so two replicas
// spent twice the team's budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_database_keep_to_one_budget_together() {
    let Some(pg) = Pg::start() else { return };
    // The control: two budgets (two names), each replica its own 10/s.
    let apart = two_replicas(&pg, ["one", "two"], "team_apart").await;
    assert!(
        apart >= 15,
        "two budgets of 10/s: {apart} in the busiest second, about 20"
    );
    // One name: one budget of 10/s for both, spaced on the database.
    let together = two_replicas(&pg, ["team", "team"], "team_together").await;
    assert!(
        (8..=11).contains(&together),
        "one budget of 10/s for two replicas: {together} in the busiest second"
    );
}

// The replicas on PostgreSQL: members and leases on the database's clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_postgres_share_the_automations_and_take_over_losing_nothing() {
    let Some(pg) = Pg::start() else { return };
    let store = PostgresStore::connect(&pg.config(), "team_replicas")
        .await
        .unwrap();
    crate::watch_replicas::share_and_take_over(&store)
        .await
        .abort();
}

// Issue 25: with their database down, each replica fell back to the whole
// shared budget: two replicas sharing 1.5 a second sent 3.2 a second
// together, and the team's sends paid for it. Now each keeps to its last
// known share (the budget over the replicas it last counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_whose_database_is_down_keep_to_their_share_of_one_budget() {
    let Some(pg) = Pg::start() else { return };
    let (fake, mut streams) = replicas(&pg, ["team", "team"], 1.5, "team_down").await;
    // Both join, and count each other, while the database is up.
    let up = Instant::now() + Duration::from_secs(2);
    drive(&mut streams, Duration::from_secs(4)).await;
    let together = rate(&fake, up, Instant::now());
    pg.stop();
    let down = Instant::now() + Duration::from_secs(1);
    let errors = drive(&mut streams, Duration::from_secs(7)).await;
    let apart = rate(&fake, down, Instant::now());
    pg.resume();
    eprintln!(
        "postgres down: {together:.2}/s together while up, {apart:.2}/s while down \
         ({errors} error items)"
    );
    assert!(errors > 0, "the database was down: the watches said so");
    assert!(
        together <= 1.5 * 1.2,
        "up, one budget of 1.5/s: {together:.2}/s"
    );
    assert!(
        (0.75..=1.5 * 1.2).contains(&apart),
        "down, each its share of 1.5/s: {apart:.2}/s together (the whole budget each: 3)"
    );
}

/// Drives `streams` for `span`, items dropped: the error items counted.
async fn drive(streams: &mut [TeamStream], span: Duration) -> usize {
    let end = tokio::time::Instant::now() + span;
    let mut all = futures::stream::select_all(streams.iter_mut());
    let mut errors = 0;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(end) => return errors,
            item = all.next() => match item {
                Some(Ok(_)) => {}
                Some(Err(_)) => errors += 1,
                None => panic!("a team watch ended"),
            },
        }
    }
}

/// The fake's requests a second from `from` to `to`.
fn rate(fake: &resend_workflows::fake::FakeResend, from: Instant, to: Instant) -> f64 {
    let n = fake
        .requests()
        .iter()
        .filter(|r| r.at >= from && r.at < to)
        .count();
    // A few hundred requests: exact in an f64.
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    n / to.duration_since(from).as_secs_f64()
}
