//! What every scenario of both crates' benchmarks shares (the client's
//! benches/overhead, and the watch's, which includes this file): the key,
//! the quick switch, the server in a process of its own, a client, a
//! runtime.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use resend_workflows::{Client, RetryPolicy};
use serde_json::{Value, json};

use crate::server;

pub(crate) const KEY: &str = "re_bench_key";

pub(crate) fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The server, in a child process of this same binary.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) base_url: String,
}

impl ServerProcess {
    pub(crate) fn start(total: usize, delay_ms: u64) -> Self {
        Self::start_mode(total, delay_ms, server::Mode::Mixed)
    }

    pub(crate) fn start_mode(total: usize, delay_ms: u64, mode: server::Mode) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--serve",
                &total.to_string(),
                &delay_ms.to_string(),
                mode.name(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the bench server");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        let base_url = format!("http://127.0.0.1:{}", port.trim());
        Self { child, base_url }
    }

    /// The server process's CPU time so far.
    pub(crate) async fn cpu(&self, http: &reqwest::Client) -> Duration {
        let micros: u64 = http
            .get(format!("{}/__cpu", self.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .parse()
            .unwrap();
        Duration::from_micros(micros)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // ends the server
        let _ = self.child.wait();
    }
}

/// The client as users get it: the default retry policy (its per-attempt
/// request copy included) and every default.
pub(crate) fn client(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry(RetryPolicy::default())
        .build()
        .unwrap()
}

/// The client side's runtime: `BENCH_RUNTIME=multi` for a two-worker
/// multi-thread runtime; by default a current-thread runtime, so the
/// client's own work is measured without thread hand-offs in the noise.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    if std::env::var("BENCH_RUNTIME").is_ok_and(|v| v == "multi") {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }
}

/// A scenario: its name and what runs it.
pub(crate) type Scenario = (&'static str, fn() -> Value);

/// Serves the benchmark's server in this process (`--serve TOTAL
/// DELAY_MS [MODE]`): what a [`ServerProcess`] starts.
pub(crate) fn serve(args: &[String]) {
    server::serve(server::Config {
        total: args[2].parse().unwrap(),
        delay: Duration::from_millis(args[3].parse().unwrap()),
        mode: server::Mode::parse(args.get(4).map_or("mixed", String::as_str)),
    });
}

/// Runs the `scenarios` whose name begins with the filter in `args`, if
/// any (`cargo bench` passes `--bench`; a prefix names a family, `watch`
/// runs `watch` and `watch-memory`), each result on stdout as it ends
/// (with `quick` and its `seconds`), then a table of them on stderr,
/// `summary` saying what each came to.
pub(crate) fn run(args: &[String], scenarios: &[Scenario], summary: fn(&Value) -> String) {
    let only = args.iter().skip(1).find(|a| !a.starts_with("--"));
    let mut results = Vec::new();
    for (name, run) in scenarios {
        if only.is_some_and(|o| !name.starts_with(o.as_str())) {
            continue;
        }
        let started = Instant::now();
        let mut result = run();
        result["quick"] = json!(quick());
        result["seconds"] = json!(started.elapsed().as_secs_f64());
        println!("{result}");
        results.push(result);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "\n{:<9} {:<58} {:<34} holds",
        "scenario", "result", "target"
    );
    for r in &results {
        let _ = writeln!(
            err,
            "{:<9} {:<58} {:<34} {}",
            r["scenario"].as_str().unwrap_or(""),
            summary(r),
            r["target"].as_str().unwrap_or(""),
            r["holds"]
        );
    }
}
