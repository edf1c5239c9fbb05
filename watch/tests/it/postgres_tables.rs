//! `PostgresStore`'s tables: the state and lease, the team watches'
//! members and the budgets' turns each in a table of its own, and a table
//! of an older version, whose turns were rows of the state table, moved
//! when it is opened. A real server, as tests/it/postgres.rs starts it.
#![cfg(feature = "postgres")]

use std::time::Duration;

use resend_workflows_watch::{Lease, PostgresStore, Renewal, StateStore, WatchState};

use crate::postgres::Pg;

/// A client of `pg`'s, to look at the tables.
async fn client(pg: &Pg) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The keys (or groups and holders) of `table`'s rows, in order; `None`
/// when there is no such table.
async fn keys(client: &tokio_postgres::Client, table: &str, key: &str) -> Option<Vec<String>> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .unwrap()
        .get(0);
    if !exists {
        return None;
    }
    let rows = client
        .query(&format!("SELECT {key} FROM {table} ORDER BY 1"), &[])
        .await
        .unwrap();
    Some(rows.iter().map(|r| r.get(0)).collect())
}

/// The state, member and turn rows of `table`'s store, by table.
async fn tables(client: &tokio_postgres::Client, table: &str) -> [Option<Vec<String>>; 3] {
    [
        keys(client, table, "key").await,
        keys(client, &format!("{table}_members"), "grp || ':' || holder").await,
        keys(client, &format!("{table}_turns"), "key").await,
    ]
}

/// The rows each contract writes, in a table each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_members_and_turns_never_share_a_table() {
    let Some(pg) = Pg::start() else { return };
    let store = PostgresStore::connect(&pg.config(), "apart").await.unwrap();
    let ttl = Duration::from_secs(30);
    let key = "automations/a/runs";
    assert!(matches!(
        store.acquire(key, "a", ttl).await.unwrap(),
        Lease::Held { token: 1, .. }
    ));
    let members = store.membership().expect("members");
    members.join("team", "a", "team", ttl).await.unwrap();
    let turns = store.turns().expect("turns");
    assert_eq!(
        turns
            .take_turn("budgets/team", Duration::from_secs(1))
            .await
            .unwrap(),
        Duration::ZERO
    );
    let client = client(&pg).await;
    assert_eq!(
        tables(&client, "apart").await,
        [
            Some(vec![key.to_owned()]),
            Some(vec!["team:a".to_owned()]),
            Some(vec!["budgets/team".to_owned()]),
        ]
    );
}

/// A table of a version that kept the turns in the state table (and had
/// no lease generation yet): opened, its turn rows move to the table of
/// turns, their next turn kept, so the replicas' spacing goes on; its
/// states and leases stay, and work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_table_s_turns_move_to_the_table_of_turns() {
    let Some(pg) = Pg::start() else { return };
    let client = client(&pg).await;
    let key = "automations/a/runs";
    let state = r#"{"version":2,"collection":"automations/a/runs","started":false,"mark":null}"#;
    client
        .batch_execute(&format!(
            "CREATE TABLE oldturns (key text PRIMARY KEY, state text, holder text,
               lease_until timestamptz NOT NULL DEFAULT 'epoch', taken_at timestamptz,
               updated_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO oldturns (key, state, holder, lease_until, taken_at)
               VALUES ('{key}', '{state}', 'a', now() + interval '1 hour', now());
             INSERT INTO oldturns (key, lease_until)
               VALUES ('budgets/team', now() + interval '30 seconds'),
                      ('budgets/team/eu', now() - interval '1 hour')"
        ))
        .await
        .unwrap();
    let store = PostgresStore::connect(&pg.config(), "oldturns")
        .await
        .unwrap();
    assert_eq!(
        tables(&client, "oldturns").await,
        [
            Some(vec![key.to_owned()]),
            Some(vec![]),
            Some(vec![
                "budgets/team".to_owned(),
                "budgets/team/eu".to_owned()
            ]),
        ]
    );
    let turns = store.turns().expect("turns");
    let spacing = Duration::from_secs(1);
    let wait = turns.take_turn("budgets/team", spacing).await.unwrap();
    assert!(
        wait <= Duration::from_secs(30) && wait > Duration::from_secs(25),
        "the moved turn, 30 s on: {wait:?}"
    );
    assert_eq!(
        turns.take_turn("budgets/team/eu", spacing).await.unwrap(),
        Duration::ZERO,
        "a turn long past"
    );
    // The holder's lease and state, as they were.
    let ttl = Duration::from_secs(30);
    let Lease::Held {
        state: Some(held),
        token,
    } = store.acquire(key, "a", ttl).await.unwrap()
    else {
        panic!("not held with its state")
    };
    assert_eq!(held, serde_json::from_str::<WatchState>(state).unwrap());
    assert_eq!(
        store.commit(key, "a", token, ttl, &held).await.unwrap(),
        Renewal::Held
    );
    // Opened again (another replica, or a restart): nothing moves twice.
    drop(
        PostgresStore::connect(&pg.config(), "oldturns")
            .await
            .unwrap(),
    );
    let [states, _, moved] = tables(&client, "oldturns").await;
    assert_eq!(
        (states, moved),
        (
            Some(vec![key.to_owned()]),
            Some(vec![
                "budgets/team".to_owned(),
                "budgets/team/eu".to_owned()
            ])
        )
    );
}
