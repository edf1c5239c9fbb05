//! `PostgresStore` against a real PostgreSQL server, started by the test
//! (initdb into a temporary directory, as an unprivileged user when run as
//! root, on a free loopback port; stopped at the end). Under `CI=true` it
//! must run: a missing PostgreSQL fails the test instead of skipping it.
//! Leases live on the database's clock, so this test runs in real time,
//! with short intervals.
#![cfg(feature = "postgres")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use resend_workflows::{PostgresStore, RunStatus, StartAt, StateStore};
use tokio::sync::mpsc;

use crate::common;

/// A PostgreSQL server for one test.
struct Pg {
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    as_user: Option<&'static str>,
}

fn run(as_user: Option<&str>, program: &Path, args: &[&str]) -> std::process::Output {
    let mut command = match as_user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .current_dir("/")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
}

/// Where PostgreSQL's server programs are, if installed.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return Some(dir.into());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

impl Pg {
    /// Starts a server, or `None` when PostgreSQL is not installed (a
    /// failure under `CI=true`).
    fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is not installed: .ci/run installs it (apt-get install postgresql)"
            );
            eprintln!("skipping: PostgreSQL is not installed");
            return None;
        };
        let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout)
            .trim()
            == "0";
        let as_user = root.then_some("nobody");
        let data = std::env::temp_dir().join(format!(
            "resend-pg-{}-{}",
            std::process::id(),
            common::unique_id("pg")
        ));
        std::fs::create_dir_all(&data).unwrap();
        if let Some(user) = as_user {
            let ok = Command::new("chown")
                .args([user, data.to_str().unwrap()])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pgdata = data.join("db");
        let out = run(
            as_user,
            &bin.join("initdb"),
            &[
                "-D",
                pgdata.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            pgdata.display()
        );
        let log = data.join("log");
        let out = run(
            as_user,
            &bin.join("pg_ctl"),
            &[
                "-D",
                pgdata.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {} {}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(Self {
            data,
            bin,
            port,
            as_user,
        })
    }

    fn config(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let pgdata = self.data.join("db");
        let _ = run(
            self.as_user,
            &self.bin.join("pg_ctl"),
            &["-D", pgdata.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// One watcher's events, as (watcher, kind, run id, when).
type Seen = (usize, &'static str, String, Instant);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_poll_once_between_them_and_the_survivor_takes_over() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    fake.add_automation("replicated", &[]);
    let client = common::client(&fake.base_url());
    let ttl = Duration::from_millis(1500);
    let poll = Duration::from_millis(100);
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let mut watchers = Vec::new();
    let mut holders = Vec::new();
    for n in 0..2 {
        let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
            .await
            .unwrap();
        let mut events = client
            .watch_automation_runs("replicated")
            .start(StartAt::Beginning)
            .poll_interval(poll)
            .lease_ttl(ttl)
            .store(store)
            .stream();
        holders.push(events.holder().to_owned());
        let tx = tx.clone();
        watchers.push(tokio::spawn(async move {
            use futures::TryStreamExt;
            while let Some(event) = events.try_next().await.unwrap() {
                let _ = tx.send((n, event.kind(), event.run().id.clone(), Instant::now()));
            }
        }));
    }
    let mut seen: Vec<Seen> = Vec::new();
    let mut wait_for = |seen: &mut Vec<Seen>, pred: &dyn Fn(&[Seen]) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            while let Ok(item) = rx.try_recv() {
                seen.push(item);
            }
            if pred(seen) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out; seen {seen:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    // Runs before and after the first poll: one watcher reports them all.
    let mut runs = vec![
        fake.start_automation_run("replicated", RunStatus::Completed)
            .unwrap()
            .id,
    ];
    for _ in 0..3 {
        runs.push(
            fake.start_automation_run("replicated", RunStatus::Running)
                .unwrap()
                .id,
        );
    }
    wait_for(&mut seen, &|s| {
        runs.iter().all(|id| s.iter().any(|e| &e.2 == id))
    });
    let holder = seen[0].0;
    assert!(
        seen.iter().all(|e| e.0 == holder),
        "only the lease holder polls: {seen:?}"
    );
    // The holder dies without releasing its lease.
    watchers[holder].abort();
    let died = Instant::now();
    fake.set_run_status("replicated", &runs[1], RunStatus::Failed);
    let late = fake
        .start_automation_run("replicated", RunStatus::Completed)
        .unwrap()
        .id;
    runs.push(late.clone());
    let survivor = 1 - holder;
    wait_for(&mut seen, &|s| {
        s.iter()
            .any(|e| e.0 == survivor && e.2 == late && e.1 == "finished")
    });
    let first = seen.iter().find(|e| e.0 == survivor).unwrap().3;
    let takeover = first.duration_since(died);
    eprintln!(
        "postgres: the survivor took over {takeover:?} after the holder died (lease ttl {ttl:?})"
    );
    assert!(takeover <= ttl + Duration::from_millis(700), "{takeover:?}");
    // Nothing lost: every run started and the finished ones finished.
    for id in &runs {
        assert!(
            seen.iter().any(|e| &e.2 == id && e.1 == "started"),
            "{id} never started"
        );
    }
    assert!(
        seen.iter()
            .any(|e| e.2 == runs[1] && e.1 == "finished" && e.0 == survivor)
    );
    // The dead holder can no longer commit.
    let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
        .await
        .unwrap();
    let key = "automations/replicated/runs";
    let state = match store.acquire(key, &holders[survivor], ttl).await.unwrap() {
        resend_workflows::Lease::Held(Some(state)) => state,
        other => panic!("{other:?}"),
    };
    assert!(
        !store
            .commit(key, &holders[holder], ttl, &state)
            .await
            .unwrap()
    );
    assert!(
        store
            .commit(key, &holders[survivor], ttl, &state)
            .await
            .unwrap()
    );
    watchers[survivor].abort();
}
