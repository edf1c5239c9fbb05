//! `cargo bench --bench overhead`: what this crate costs over a hand-written
//! reqwest + serde_json loop, side by side in one run. One JSON object per
//! scenario on stdout, a table on stderr. `BENCH_QUICK=1` runs a smaller
//! version in under a minute. See BENCHMARKS.md.

// A benchmark reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod build;
mod decode;
mod measure;
mod memory;
mod prefetch;
mod ratelimit;
mod server;
mod stream;

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use resend_workflows::{Client, RetryPolicy};
use serde_json::{Value, json};

const KEY: &str = "re_bench_key";

fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The server, in a child process of this same binary.
struct ServerProcess {
    child: Child,
    base_url: String,
}

impl ServerProcess {
    fn start(total: usize, delay_ms: u64) -> Self {
        Self::start_mode(total, delay_ms, server::Mode::Mixed)
    }

    fn start_mode(total: usize, delay_ms: u64, mode: server::Mode) -> Self {
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
    async fn cpu(&self, http: &reqwest::Client) -> Duration {
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
fn client(base_url: &str) -> Client {
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
fn runtime() -> tokio::runtime::Runtime {
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

fn table(results: &[Value]) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "\n{:<9} {:<58} {:<34} holds",
        "scenario", "result", "target"
    );
    for r in results {
        let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        let summary = match r["scenario"].as_str().unwrap_or("") {
            "stream" => format!(
                "wall {:.3}x, cpu {:.3}x, instructions {:.3}x (server {:.0}% of cpu)",
                f("wall_ratio"),
                f("cpu_ratio"),
                f("instructions_ratio"),
                100.0 * f("server_cpu_share_ours")
            ),
            "decode" => format!(
                "{:.0} vs {:.0} pages/s ({:.3}x)",
                f("ours_pages_per_s"),
                f("baseline_pages_per_s"),
                f("throughput_ratio")
            ),
            "memory" => format!(
                "peak {} KiB ({} runs) vs {} KiB ({} runs): {:+.2} MiB",
                r["large_peak_rss_kib"],
                r["large_runs"],
                r["small_peak_rss_kib"],
                r["small_runs"],
                f("difference_mib")
            ),
            "prefetch" => format!(
                "{:.1} vs {:.1} pages/s ({:.2}x)",
                f("prefetch_pages_per_s"),
                f("sequential_pages_per_s"),
                f("speedup")
            ),
            "build" | "ratelimit" => r["summary"].as_str().unwrap_or("").to_owned(),
            _ => String::new(),
        };
        let _ = writeln!(
            err,
            "{:<9} {:<58} {:<34} {}",
            r["scenario"].as_str().unwrap_or(""),
            summary,
            r["target"].as_str().unwrap_or(""),
            r["holds"]
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--serve") => {
            return server::serve(server::Config {
                total: args[2].parse().unwrap(),
                delay: Duration::from_millis(args[3].parse().unwrap()),
                mode: server::Mode::parse(args.get(4).map_or("mixed", String::as_str)),
            });
        }
        Some("--memory-child") => return memory::child(args[2].parse().unwrap(), &args[3]),
        // For a profiler: `--profile-stream ours|baseline ROUNDS`.
        Some("--profile-stream") => return stream::profile(&args[2], args[3].parse().unwrap()),
        // For a profiler: `--profile-decode ours|baseline N`.
        Some("--profile-decode") => return decode::profile(&args[2], args[3].parse().unwrap()),
        _ => {}
    }
    // `cargo bench` passes `--bench`; a name filter runs the scenarios it begins.
    let only = args.iter().skip(1).find(|a| !a.starts_with("--")).cloned();
    type Scenario = (&'static str, fn() -> Value);
    let scenarios: [Scenario; 6] = [
        ("stream", stream::scenario_stream),
        ("decode", decode::scenario_decode),
        ("memory", memory::scenario_memory),
        ("prefetch", prefetch::scenario_prefetch),
        ("ratelimit", ratelimit::scenario_ratelimit),
        ("build", build::scenario_build),
    ];
    let mut results = Vec::new();
    for (name, run) in scenarios {
        // A prefix names a family: `watch` runs `watch` and `watch-memory`.
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let started = Instant::now();
        let mut result = run();
        result["quick"] = json!(quick());
        result["seconds"] = json!(started.elapsed().as_secs_f64());
        println!("{result}");
        results.push(result);
    }
    table(&results);
}
