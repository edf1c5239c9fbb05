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

use resend_workflows::RunStatus;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{PostgresStore, StartAt, StateStore, WatchConfig};
use tokio::sync::mpsc;

use crate::common;

/// A PostgreSQL server for one test.
pub struct Pg {
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
    pub fn start() -> Option<Self> {
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
        let pg = Self {
            data,
            bin,
            port,
            as_user,
        };
        pg.resume();
        Some(pg)
    }

    /// Starts the server (again), on the same port and data.
    pub fn resume(&self) {
        let pgdata = self.data.join("db");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            pgdata.display()
        );
        let log = self.data.join("log");
        let out = run(
            self.as_user,
            &self.bin.join("pg_ctl"),
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
    }

    /// Stops the server (its clients' connections close), keeping its data.
    pub fn stop(&self) {
        let pgdata = self.data.join("db");
        let out = run(
            self.as_user,
            &self.bin.join("pg_ctl"),
            &["-D", pgdata.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn config(&self) -> String {
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
        let mut events = client.watch_automation_runs(
            "replicated",
            WatchConfig::default()
                .start(StartAt::Beginning)
                .poll_interval(poll)
                .lease_ttl(ttl)
                .store(store),
        );
        holders.push(events.holder().to_owned());
        let tx = tx.clone();
        watchers.push(tokio::spawn(async move {
            use futures::TryStreamExt;
            while let Some(event) = events.try_next().await.unwrap() {
                let _ = tx.send((n, event.kind(), event.run_id().to_owned(), Instant::now()));
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
    let (state, token) = match store.acquire(key, &holders[survivor], ttl).await.unwrap() {
        resend_workflows_watch::Lease::Held {
            state: Some(state),
            token,
        } => (state, token),
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        store
            .commit(key, &holders[holder], token, ttl, &state)
            .await
            .unwrap(),
        resend_workflows_watch::Renewal::TakenBy { holder, .. } if holder == holders[survivor]
    ));
    assert_eq!(
        store
            .commit(key, &holders[survivor], token, ttl, &state)
            .await
            .unwrap(),
        resend_workflows_watch::Renewal::Held
    );
    watchers[survivor].abort();
}

/// Waits (real time, at most 30 s) for an item matching `want` on `rx`,
/// collecting every item on the way into `seen`.
async fn until<T: std::fmt::Debug>(
    rx: &mut mpsc::UnboundedReceiver<T>,
    seen: &mut Vec<T>,
    want: impl Fn(&[T]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !want(seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(item)) => seen.push(item),
            other => panic!("waited 30 s: {other:?}; seen {seen:?}"),
        }
    }
}

/// One watch's items: `Ok((kind, run id))` or the error's text.
type Item = Result<(&'static str, String), String>;

fn spawn_watch(
    mut events: resend_workflows_watch::WatchStream<resend_workflows::AutomationRunListItem>,
) -> (mpsc::UnboundedReceiver<Item>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        use futures::StreamExt;
        while let Some(item) = events.next().await {
            let item = item
                .map(|e| (e.kind(), e.run_id().to_owned()))
                .map_err(|e| e.to_string());
            if tx.send(item).is_err() {
                return;
            }
        }
    });
    (rx, task)
}

fn has(seen: &[Item], kind: &str, id: &str) -> bool {
    seen.iter()
        .any(|i| matches!(i, Ok((k, run)) if *k == kind && run == id))
}

// After a PostgreSQL restart the store never reconnected: every later
// poll yielded "connection closed", and new runs were never reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_watch_loses_nothing() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    fake.add_automation("failover", &[]);
    let client = common::client(&fake.base_url());
    let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
        .await
        .unwrap();
    let events = client.watch_automation_runs(
        "failover",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(Duration::from_millis(100))
            .lease_ttl(Duration::from_secs(3))
            .holder("svc-failover")
            .store(store.clone()),
    );
    let (mut rx, task) = spawn_watch(events);
    let mut seen = Vec::new();
    let first = fake
        .start_automation_run("failover", RunStatus::Running)
        .unwrap()
        .id;
    until(&mut rx, &mut seen, |s| has(s, "started", &first)).await;
    // The database goes away, while runs start and finish.
    pg.stop();
    fake.set_run_status("failover", &first, RunStatus::Completed);
    let during = fake
        .start_automation_run("failover", RunStatus::Completed)
        .unwrap()
        .id;
    until(&mut rx, &mut seen, |s| s.iter().any(Result::is_err)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    pg.resume();
    let after = fake
        .start_automation_run("failover", RunStatus::Completed)
        .unwrap()
        .id;
    until(&mut rx, &mut seen, |s| {
        has(s, "finished", &first) && has(s, "finished", &during) && has(s, "finished", &after)
    })
    .await;
    let errors: Vec<&String> = seen.iter().filter_map(|i| i.as_ref().err()).collect();
    eprintln!(
        "postgres restart: {} error items while it was down (one a poll), the first: {:?}",
        errors.len(),
        errors.first()
    );
    assert!(
        errors.iter().all(|e| e.contains("store failed")),
        "only store failures: {errors:?}"
    );
    // The lease stayed this watcher's: nobody else took it.
    let key = "automations/failover/runs";
    let ttl = Duration::from_secs(3);
    assert!(matches!(
        store.acquire(key, "svc-other", ttl).await.unwrap(),
        resend_workflows_watch::Lease::Taken { holder, .. } if holder == "svc-failover"
    ));
    task.abort();
}

// PostgresStore::connect accepted a table with other columns; every poll
// then failed with "db error", the cause buried in the source chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_of_another_shape_is_refused_by_name() {
    let Some(pg) = Pg::start() else { return };
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("CREATE TABLE settings (key text PRIMARY KEY, value text)")
        .await
        .unwrap();
    let err = PostgresStore::connect(&pg.config(), "settings")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not a watch-state table") && err.contains("no column `holder` (text)"),
        "{err}"
    );
    // A table of its own is made, and found good the next time.
    PostgresStore::connect(&pg.config(), "watch_state")
        .await
        .unwrap();
    PostgresStore::connect(&pg.config(), "watch_state")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_postgres_whose_polls_outlast_the_lease_deliver_each_run_once() {
    let Some(pg) = Pg::start() else { return };
    let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
        .await
        .unwrap();
    crate::watch_promises::replicas_with_long_polls(store).await;
}

// A restart was blind for a whole lease: dropping the stream did not give
// the lease back, and the restarted process could not reclaim its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_postgres_takes_over_at_once() {
    let Some(pg) = Pg::start() else { return };
    let fake = common::fake().await;
    fake.add_automation("deploys", &[]);
    let client = common::client(&fake.base_url());
    let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
        .await
        .unwrap();
    let ttl = Duration::from_secs(60);
    let watch = |holder: &str| {
        client.watch_automation_runs(
            "deploys",
            WatchConfig::default()
                .start(StartAt::Beginning)
                .poll_interval(Duration::from_millis(100))
                .lease_ttl(ttl)
                .holder(holder)
                .store(store.clone()),
        )
    };
    let run = fake
        .start_automation_run("deploys", RunStatus::Running)
        .unwrap()
        .id;
    // A deploy: the old process is dropped, a new one (another id) starts.
    let (mut rx, task) = spawn_watch(watch("pod-a"));
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, |s| has(s, "started", &run)).await;
    task.abort();
    // The run ends while nobody watches: the new process tells it (and
    // its start again, unless the old one committed it before it went).
    fake.set_run_status("deploys", &run, RunStatus::Completed);
    let t0 = Instant::now();
    let (mut rx, task) = spawn_watch(watch("pod-b"));
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, |s| has(s, "finished", &run)).await;
    let took = t0.elapsed();
    eprintln!(
        "postgres: a new process took over {took:?} after the old one was dropped (ttl {ttl:?})"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    task.abort();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A process that died holding the lease (nothing given back): the
    // same id, restarted, takes it back at once.
    let key = "automations/deploys/runs";
    assert!(matches!(
        store.acquire(key, "pod-c", ttl).await.unwrap(),
        resend_workflows_watch::Lease::Held { .. }
    ));
    let next = fake
        .start_automation_run("deploys", RunStatus::Running)
        .unwrap()
        .id;
    let t0 = Instant::now();
    let (mut rx, task) = spawn_watch(watch("pod-c"));
    let mut seen = Vec::new();
    until(&mut rx, &mut seen, |s| has(s, "started", &next)).await;
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    task.abort();
}

// Before: a dropped stream's late release (on its task, conditional on
// the holder's name alone) freed the lease its successor under the same
// name had just taken, and the successor told its events again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_release_on_postgres_leaves_the_successor_alone() {
    let Some(pg) = Pg::start() else { return };
    let store = PostgresStore::connect(&pg.config(), "resend_watch_state")
        .await
        .unwrap();
    crate::watch_replicas::a_late_release_leaves_the_successor_alone(store).await;
}

/// A loopback TCP proxy to `port` that forwards until it is told to
/// black-hole: from then on it accepts connections and reads what comes,
/// forwards nothing and answers nothing, and keeps every socket open.
struct BlackHole {
    port: u16,
    holed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl BlackHole {
    async fn start(target: u16) -> Self {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let holed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&holed);
        // Reads from `from`, writes to `to` while not holed; holed, keeps
        // both open and reads on, forwarding nothing.
        async fn pipe(
            mut from: tokio::net::tcp::OwnedReadHalf,
            mut to: tokio::net::tcp::OwnedWriteHalf,
            holed: std::sync::Arc<std::sync::atomic::AtomicBool>,
        ) {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match from.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if holed.load(Ordering::SeqCst) {
                    continue;
                }
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
        let task = tokio::spawn(async move {
            let mut parked = Vec::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                if flag.load(Ordering::SeqCst) {
                    parked.push(socket);
                    continue;
                }
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                let (cr, cw) = socket.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pipe(cr, sw, std::sync::Arc::clone(&flag)));
                tokio::spawn(pipe(sr, cw, std::sync::Arc::clone(&flag)));
            }
        });
        Self { port, holed, task }
    }

    fn hole(&self, on: bool) {
        self.holed.store(on, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// Before: a database whose address black-holed hung the watch silently
// (no item, no error), its store calls without a deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_database_gives_an_error_a_poll_interval_never_silence() {
    let Some(pg) = Pg::start() else { return };
    let proxy = BlackHole::start(pg.port).await;
    let config = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        proxy.port
    );
    let fake = common::fake().await;
    fake.add_automation("holed", &[]);
    let client = common::client(&fake.base_url());
    let store = PostgresStore::connect(&config, "resend_watch_state")
        .await
        .unwrap();
    let events = client.watch_automation_runs(
        "holed",
        WatchConfig::default()
            .start(StartAt::Beginning)
            .poll_interval(Duration::from_millis(500))
            .lease_ttl(Duration::from_secs(3))
            .holder("svc-holed")
            .store(store),
    );
    let (mut rx, task) = spawn_watch(events);
    let mut seen = Vec::new();
    let first = fake
        .start_automation_run("holed", RunStatus::Running)
        .unwrap()
        .id;
    until(&mut rx, &mut seen, |s| has(s, "started", &first)).await;
    // The database's address black-holes: every socket open, nothing
    // forwarded, nothing answered.
    proxy.hole(true);
    let holed = Instant::now();
    fake.set_run_status("holed", &first, RunStatus::Completed);
    let mut errors: Vec<(Duration, String)> = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(12);
    while let Ok(item) = tokio::time::timeout_at(end, rx.recv()).await {
        match item {
            Some(Err(e)) => errors.push((holed.elapsed(), e)),
            Some(Ok(event)) => seen.push(Ok(event)),
            None => panic!("the watch ended; errors {errors:?}"),
        }
    }
    eprintln!(
        "black hole: {} errors in 12 s, the first after {:?}: {:?}",
        errors.len(),
        errors.first().map(|e| e.0),
        errors.first().map(|e| &e.1)
    );
    // An error every poll interval and store deadline (1 s here: the
    // interval, at least a second), the renewals of a poll's requests
    // silent (at most three deadlines and an interval between two): at
    // least 12 s / 3.5 s; each error a call that waited its whole
    // deadline, one call at a time: at most 12 s / 1 s, and one.
    assert!(
        (4..=13).contains(&errors.len()),
        "{} errors: {errors:?}",
        errors.len()
    );
    assert!(
        errors.iter().all(|(_, e)| e.contains("store failed")),
        "{errors:?}"
    );
    let gaps: Vec<Duration> = std::iter::once(Duration::ZERO)
        .chain(errors.iter().map(|e| e.0))
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    assert!(
        gaps.iter().all(|g| *g <= Duration::from_millis(3600)),
        "never silent a ttl: {gaps:?}"
    );
    // The address answers again: the watch goes on, nothing lost.
    proxy.hole(false);
    let after = fake
        .start_automation_run("holed", RunStatus::Completed)
        .unwrap()
        .id;
    until(&mut rx, &mut seen, |s| {
        has(s, "finished", &first) && has(s, "finished", &after)
    })
    .await;
    task.abort();
}

// The lease's token on PostgreSQL: each take a new one, and only the take
// that holds the lease renews, commits or releases it; a table of an older
// version gets the column when opened, its rows kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_take_that_holds_the_lease_renews_commits_or_releases_it() {
    use resend_workflows_watch::{Lease, Renewal, WatchState};
    let Some(pg) = Pg::start() else { return };
    let (client, connection) = tokio_postgres::connect(&pg.config(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // A table as the previous version made it, one lease in it.
    client
        .batch_execute(
            "CREATE TABLE older (key text PRIMARY KEY, state text, holder text,
               lease_until timestamptz NOT NULL DEFAULT 'epoch', taken_at timestamptz,
               updated_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO older (key, holder, lease_until, taken_at)
               VALUES ('k', 'a', now() + interval '1 hour', now())",
        )
        .await
        .unwrap();
    let store = PostgresStore::connect(&pg.config(), "older").await.unwrap();
    let ttl = Duration::from_secs(30);
    let token = |lease: Lease| match lease {
        Lease::Held { token, .. } => token,
        other => panic!("{other:?}"),
    };
    // Its holder's old lease had generation 0: the next take is 1.
    let t1 = token(store.acquire("k", "a", ttl).await.unwrap());
    assert_eq!(t1, 1);
    let state: WatchState = serde_json::from_value(serde_json::json!({
        "version": 2, "collection": "k", "started": false, "mark": null
    }))
    .unwrap();
    assert_eq!(
        store.commit("k", "a", t1, ttl, &state).await.unwrap(),
        Renewal::Held
    );
    // The same holder takes it again (a stream rebuilt): token 2.
    let t2 = token(store.acquire("k", "a", ttl).await.unwrap());
    assert_eq!(t2, 2);
    assert!(matches!(
        store.renew("k", "a", t1, ttl).await.unwrap(),
        Renewal::TakenBy { holder, since: Some(_) } if holder == "a"
    ));
    assert!(matches!(
        store.commit("k", "a", t1, ttl, &state).await.unwrap(),
        Renewal::TakenBy { holder, .. } if holder == "a"
    ));
    // The first take's late release frees nothing.
    store.release("k", "a", t1).await.unwrap();
    assert!(matches!(
        store.acquire("k", "b", ttl).await.unwrap(),
        Lease::Taken { holder, .. } if holder == "a"
    ));
    assert_eq!(store.renew("k", "a", t2, ttl).await.unwrap(), Renewal::Held);
    // Its own does.
    store.release("k", "a", t2).await.unwrap();
    assert_eq!(store.renew("k", "a", t2, ttl).await.unwrap(), Renewal::Free);
    assert_eq!(
        store.acquire("k", "b", ttl).await.unwrap(),
        Lease::Held {
            state: Some(state),
            token: 3
        }
    );
}
