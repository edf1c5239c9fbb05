//! Team watches on several replicas sharing one PostgreSQL: each
//! automation polled by one replica at a time (its own lease), and the
//! replicas' requests together inside one budget (turns taken in the
//! database). Real time, short intervals, as `postgres.rs`.
#![cfg(feature = "postgres")]

use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::Budget;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{MembershipStore, PostgresStore, TeamConfig, TeamStream, WatchConfig};

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
            client.watch_automation_set(
                ids,
                TeamConfig::default()
                    .watch(
                        WatchConfig::default()
                            .holder(format!("replica-{n}"))
                            .budget(Budget::PerSecond(per_second))
                            .poll_interval(Duration::from_millis(100))
                            .lease_ttl(Duration::from_secs(2))
                            .store(store),
                    )
                    .budget_key(*key)
                    .max_staleness(Duration::from_millis(100)),
            ),
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

/// A team watch of the automations `ids` on `store`, under `holder` (a
/// random one when `None`), on the default budget key.
fn team(
    client: &resend_workflows::Client,
    store: &PostgresStore,
    ids: &[&str],
    holder: Option<&str>,
) -> TeamStream {
    let watch = WatchConfig::default()
        .poll_interval(Duration::from_millis(100))
        .lease_ttl(Duration::from_millis(1500))
        .store(store.clone());
    let watch = match holder {
        Some(holder) => watch.holder(holder),
        None => watch,
    };
    let config = TeamConfig::default()
        .watch(watch)
        .max_staleness(Duration::from_millis(200));
    client.watch_automation_set(ids, config)
}

// Before: a replica's share was its automations over every member of the
// budget's group, whatever they watched: two services of one team, one
// replica each with its own two automations, on one table and the default
// budget key, each took 1 of its 2, and the others were never watched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_services_of_different_automations_on_one_database_each_watch_all_of_theirs() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    let sets = [["svc-a-0", "svc-a-1"], ["svc-b-0", "svc-b-1"]];
    for id in sets.iter().flatten() {
        fake.seed_automation(id, 0);
    }
    let client = common::client(&fake.base_url());
    let mut streams = Vec::new();
    for (n, set) in sets.iter().enumerate() {
        let store = PostgresStore::connect(&pg.config(), "two_services")
            .await
            .unwrap();
        streams.push(team(&client, &store, set, Some(&format!("service-{n}"))));
    }
    // A few ttls: time to count each other and give back past a share.
    run_for(&mut streams, Duration::from_secs(5)).await;
    let leases: Vec<usize> = streams.iter().map(|s| s.stats().leases).collect();
    assert_eq!(leases, [2, 2], "each service holds all of its automations");
    // And each tells the runs of both of its automations.
    let runs: Vec<(usize, String)> = sets
        .iter()
        .enumerate()
        .flat_map(|(n, set)| {
            set.iter()
                .map(|id| {
                    let run = fake
                        .start_automation_run(id, resend_workflows::RunStatus::Running)
                        .unwrap();
                    (n, run.id)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut told: Vec<(usize, String)> = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while !runs.iter().all(|r| told.contains(r)) {
        let (item, n, _) = tokio::time::timeout_at(
            end,
            futures::future::select_all(streams.iter_mut().map(|s| s.next())),
        )
        .await
        .unwrap_or_else(|_| panic!("runs not told in 10 s: {told:?} of {runs:?}"));
        match item {
            Some(Ok(resend_workflows_watch::TeamEvent::Run { event, .. })) => {
                told.push((n, event.run_id().to_owned()));
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// The membership rows in `table`'s store: those of the table itself
/// (`members/...` keys) and of a table of members beside it, if any.
async fn membership_rows(pg: &Pg, table: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut rows: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE key LIKE 'members/%'"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let members = format!("{table}_members");
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&members])
        .await
        .unwrap()
        .get(0);
    if exists {
        let more: i64 = client
            .query_one(&format!("SELECT count(*) FROM {members}"), &[])
            .await
            .unwrap()
            .get(0);
        rows += more;
    }
    rows
}

// Before: every restart of a team replica (a random holder each time)
// left its membership row for ever: 6 restarts, 6 rows, none live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_of_a_team_replica_leave_no_membership_rows() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    fake.seed_automation("restarted", 0);
    let client = common::client(&fake.base_url());
    let store = PostgresStore::connect(&pg.config(), "restarts")
        .await
        .unwrap();
    for _ in 0..6 {
        let mut stream = team(&client, &store, &["restarted"], None);
        run_for(
            std::slice::from_mut(&mut stream),
            Duration::from_millis(600),
        )
        .await;
        assert_eq!(stream.stats().leases, 1);
        drop(stream);
    }
    // A dropped stream leaves on a task of its own, a moment later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        membership_rows(&pg, "restarts").await,
        0,
        "6 graceful stops"
    );
    // A replica that crashed: it joined once and never again (nothing
    // given back). A survivor deletes its row after a few ttls.
    let ttl = Duration::from_millis(1500);
    assert_eq!(
        store.join("team", "crashed", "team", ttl).await.unwrap(),
        resend_workflows_watch::Members::new(1, 1)
    );
    let mut survivor = team(&client, &store, &["restarted"], Some("survivor"));
    run_for(std::slice::from_mut(&mut survivor), Duration::from_secs(1)).await;
    assert_eq!(membership_rows(&pg, "restarts").await, 2, "both, a moment");
    run_for(std::slice::from_mut(&mut survivor), Duration::from_secs(7)).await;
    assert_eq!(
        membership_rows(&pg, "restarts").await,
        1,
        "the crashed one's row deleted after a few ttls"
    );
    drop(survivor);
    // A group's members are found by the key's index (group, holder),
    // never by reading the whole table.
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let key: Vec<String> = client
        .query(
            "SELECT a.attname::text FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = 'restarts_members'::regclass AND i.indisprimary
             ORDER BY array_position(i.indkey, a.attnum)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(key, ["grp", "holder"]);
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .unwrap();
    let plan: String = client
        .query(
            "EXPLAIN SELECT count(*) FROM restarts_members
             WHERE grp = 'team' AND holder <> 'x' AND lease_until > now()",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("restarts_members_pkey"), "{plan}");
}
