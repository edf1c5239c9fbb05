//! Three replica processes of one team watch against one fake and one
//! real PostgreSQL, one of them killed (SIGKILL: no lease given back)
//! midway: its automations are taken over within the lease's ttl, no run
//! is lost, and the replicas' requests together stay inside one budget in
//! every 10 s window. The replicas are this test binary run again
//! (`replica_child`, ignored unless the parent starts it).
#![cfg(feature = "postgres")]

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows::{Budget, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{PostgresStore, TeamConfig, TeamEvent, WatchConfig};

use crate::common;
use crate::postgres::Pg;

const AUTOMATIONS: usize = 12;
/// The same, as the database counts.
const AUTOMATIONS_I64: i64 = 12;
const BUDGET: f64 = 4.0;
const TTL: Duration = Duration::from_millis(1500);
const TABLE: &str = "team_processes";

/// A replica: run by the parent with its settings in the environment;
/// writes each run event as a line `automation kind run` to its file.
#[test]
#[ignore = "a child process of three_replica_processes_one_killed_lose_nothing"]
fn replica_child() {
    let Ok(out) = std::env::var("RW_REPLICA_OUT") else {
        return;
    };
    let env = |name: &str| std::env::var(name).expect(name);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = PostgresStore::connect(&env("RW_REPLICA_PG"), TABLE)
            .await
            .unwrap();
        let client = common::client(&env("RW_REPLICA_FAKE"));
        let mut events = client.watch_automations(
            TeamConfig::default()
                .watch(
                    WatchConfig::default()
                        .holder(env("RW_REPLICA_HOLDER"))
                        .budget(Budget::PerSecond(BUDGET))
                        .poll_interval(Duration::from_millis(300))
                        .lease_ttl(TTL)
                        .store(store),
                )
                .max_staleness(Duration::from_millis(600))
                .discovery_interval(Duration::from_secs(1)),
        );
        let mut file = std::fs::File::create(&out).unwrap();
        while let Some(item) = events.next().await {
            if let Ok(TeamEvent::Run { automation, event }) = item {
                writeln!(file, "{automation} {} {}", event.kind(), event.run_id()).unwrap();
                file.flush().unwrap();
            }
        }
    });
}

fn spawn(pg: &Pg, fake: &str, holder: &str, out: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "replica_processes::replica_child",
            "--ignored",
            "--test-threads=1",
            "-q",
        ])
        .env("RW_REPLICA_OUT", out)
        .env("RW_REPLICA_PG", pg.config())
        .env("RW_REPLICA_FAKE", fake)
        .env("RW_REPLICA_HOLDER", holder)
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Every (automation, kind, run) the replicas' files hold.
fn told(files: &[std::path::PathBuf]) -> BTreeSet<(String, String, String)> {
    let mut all = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            if let [a, k, r] = parts.as_slice() {
                all.insert(((*a).to_owned(), (*k).to_owned(), (*r).to_owned()));
            }
        }
    }
    all
}

/// Each live holder's count of automation leases, from the database.
async fn holders(pg: &Pg) -> HashMap<String, i64> {
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            &format!(
                "SELECT holder, count(*) FROM {TABLE}
                 WHERE left(key, 12) = 'automations/' AND holder IS NOT NULL
                   AND lease_until > now() GROUP BY holder"
            ),
            &[],
        )
        .await
        .unwrap_or_default();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

async fn until(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let t0 = Instant::now();
    while !check().await {
        assert!(t0.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replica_processes_one_killed_lose_nothing() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    let ids: Vec<String> = (0..AUTOMATIONS).map(|i| format!("proc-{i:02}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    // The table, made before the replicas race to make it.
    drop(PostgresStore::connect(&pg.config(), TABLE).await.unwrap());
    let dir = common::TempDir::new("replica-processes");
    let files: Vec<_> = (0..3)
        .map(|n| dir.path().join(format!("r{n}.log")))
        .collect();
    let mut children: Vec<Child> = (0..3)
        .map(|n| spawn(&pg, &fake.base_url(), &format!("replica-{n}"), &files[n]))
        .collect();
    until(
        Duration::from_secs(60),
        "each replica holds its share",
        async || {
            let h = holders(&pg).await;
            h.len() == 3 && h.values().all(|n| *n == 4)
        },
    )
    .await;

    // Runs start and finish in every automation; replica 0 is killed.
    let t0 = Instant::now();
    let mut started = Vec::new();
    let mut killed_at = None;
    let mut taken_over = None;
    for round in 0..30 {
        let id = &ids[round % AUTOMATIONS];
        let run = fake.start_automation_run(id, RunStatus::Running).unwrap();
        started.push((id.clone(), run.id));
        if round >= 3 {
            let (id, run) = &started[round - 3];
            fake.set_run_status(id, run, RunStatus::Completed);
        }
        if round == 12 {
            children[0].kill().unwrap();
            children[0].wait().unwrap();
            killed_at = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let (Some(at), None) = (killed_at, taken_over) {
            let h = holders(&pg).await;
            if h.len() == 2 && h.values().sum::<i64>() == AUTOMATIONS_I64 {
                taken_over = Some(at.elapsed());
            }
        }
    }
    for (id, run) in &started[started.len() - 3..] {
        fake.set_run_status(id, run, RunStatus::Completed);
    }
    // Its automations taken over: the two left hold all, soon after its
    // leases and its membership ran out (a ttl each, then a renewal of
    // the survivors' count, then a poll interval).
    let taken_over = taken_over.expect("the survivors hold all before the runs end");
    // Nothing lost: every run's start and finish, told by a replica.
    until(Duration::from_secs(30), "every run told", async || {
        let told = told(&files);
        started.iter().all(|(id, run)| {
            ["started", "finished"]
                .iter()
                .all(|k| told.contains(&(id.clone(), (*k).to_owned(), run.clone())))
        })
    })
    .await;
    for child in &mut children[1..] {
        let _ = child.kill();
        let _ = child.wait();
    }
    // One budget for the three: every 10 s window from the runs' start.
    let at: Vec<Instant> = fake
        .requests()
        .iter()
        .map(|r| r.at)
        .filter(|t| *t >= t0)
        .collect();
    let window = Duration::from_secs(10);
    let busiest = at
        .iter()
        .map(|s| at.iter().filter(|t| **t >= *s && **t < *s + window).count())
        .max()
        .unwrap_or(0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let budget = (BUDGET * 10.0) as usize;
    assert!(
        busiest <= budget + 1,
        "{busiest} requests in the busiest 10 s window of three replicas, budget {budget}"
    );
    assert!(
        taken_over < 2 * TTL,
        "taken over {taken_over:?} after the kill, the ttl {TTL:?}"
    );
    eprintln!(
        "three replicas: busiest 10 s window {busiest} (budget {budget}); \
         the killed one's automations taken over {taken_over:?} after the kill; {} runs told",
        started.len()
    );
}
