//! `cargo bench --bench overhead`: what this crate costs over a hand-written
//! reqwest + serde_json loop, side by side in one run. One JSON object per
//! scenario on stdout, a table on stderr. `BENCH_QUICK=1` runs a smaller
//! version in under a minute. See BENCHMARKS.md.

// A benchmark reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod build;
mod measure;
mod server;

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
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
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--serve", &total.to_string(), &delay_ms.to_string()])
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

fn client(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry(RetryPolicy::disabled())
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

struct Sample {
    wall: f64,
    cpu: f64,
    server_cpu: f64,
}

fn scenario_stream() -> Value {
    let (runs, rounds) = if quick() { (20_000, 5) } else { (100_000, 9) };
    let server = ServerProcess::start(runs, 0);
    let rt = runtime();
    let control = baseline::http();
    let (ours_client, base_http) = (client(&server.base_url), baseline::http());
    let mut ours = Vec::new();
    let mut base = Vec::new();
    rt.block_on(async {
        // Warm both: connections, allocator, page cache.
        assert_eq!(
            baseline::stream_all(&base_http, &server.base_url, KEY).await,
            runs
        );
        let n = ours_client
            .list_runs("wf")
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len();
        assert_eq!(n, runs);
        for round in 0..rounds {
            for which in [round % 2, 1 - round % 2] {
                let (s0, c0, t0) = (
                    server.cpu(&control).await,
                    measure::cpu_time(),
                    Instant::now(),
                );
                let count = if which == 0 {
                    baseline::stream_all(&base_http, &server.base_url, KEY).await
                } else {
                    let mut count = 0;
                    let mut stream = ours_client.list_runs("wf").stream();
                    while let Some(run) = stream.try_next().await.unwrap() {
                        std::hint::black_box(&run);
                        count += 1;
                    }
                    count
                };
                let (wall, cpu) = (t0.elapsed(), measure::cpu_time().saturating_sub(c0));
                let server_cpu = server.cpu(&control).await.saturating_sub(s0);
                assert_eq!(count, runs);
                let sample = Sample {
                    wall: wall.as_secs_f64(),
                    cpu: cpu.as_secs_f64(),
                    server_cpu: server_cpu.as_secs_f64(),
                };
                if which == 0 {
                    base.push(sample)
                } else {
                    ours.push(sample)
                }
            }
        }
    });
    let med = |xs: &[Sample], f: fn(&Sample) -> f64| measure::median(xs.iter().map(f).collect());
    // Ratios are taken round by round (each round runs both, in alternating
    // order) and the median reported, so drift on a noisy machine cancels.
    let ratio = |f: fn(&Sample) -> f64| {
        measure::median(ours.iter().zip(&base).map(|(o, b)| f(o) / f(b)).collect())
    };
    let (wall_ratio, cpu_ratio) = (ratio(|s| s.wall), ratio(|s| s.cpu));
    let (ow, oc, os) = (
        med(&ours, |s| s.wall),
        med(&ours, |s| s.cpu),
        med(&ours, |s| s.server_cpu),
    );
    let (bw, bc, bs) = (
        med(&base, |s| s.wall),
        med(&base, |s| s.cpu),
        med(&base, |s| s.server_cpu),
    );
    json!({
        "scenario": "stream", "runs": runs, "pages": runs / 100, "rounds": rounds,
        "runtime": if std::env::var("BENCH_RUNTIME").is_ok_and(|v| v == "multi") { "multi_thread(2)" } else { "current_thread" },
        "ours_wall_s": ow, "baseline_wall_s": bw, "wall_ratio": wall_ratio,
        "ours_cpu_s": oc, "baseline_cpu_s": bc, "cpu_ratio": cpu_ratio,
        "server_cpu_share_ours": os / (os + oc), "server_cpu_share_baseline": bs / (bs + bc),
        "server_share_of_wall_ours": os / ow,
        "target": "wall_ratio <= 1.05, cpu_ratio <= 1.10",
        "holds": wall_ratio <= 1.05 && cpu_ratio <= 1.10,
    })
}

fn scenario_decode() -> Value {
    let body = server::page_body(0, 1_000);
    // Many short rounds, alternating, so drift on a noisy machine hits both.
    let (rounds, slice) = if quick() {
        (12, Duration::from_millis(60))
    } else {
        (40, Duration::from_millis(100))
    };
    let time = |f: &dyn Fn() -> usize| {
        let start = Instant::now();
        let mut pages = 0u64;
        while start.elapsed() < slice {
            for _ in 0..8 {
                std::hint::black_box(f());
                pages += 1;
            }
        }
        pages as f64 / start.elapsed().as_secs_f64()
    };
    let ours_fn = || {
        resend_workflows::internals::workflow_page(
            &reqwest::header::HeaderMap::new(),
            std::hint::black_box(&body),
        )
        .unwrap()
        .runs()
        .len()
    };
    let base_fn = || {
        serde_json::from_slice::<baseline::List>(std::hint::black_box(&body))
            .unwrap()
            .data
            .len()
    };
    assert_eq!((ours_fn(), base_fn()), (100, 100));
    let (mut ours, mut base, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (o, b) = if round % 2 == 0 {
            let b = time(&base_fn);
            (time(&ours_fn), b)
        } else {
            let o = time(&ours_fn);
            (o, time(&base_fn))
        };
        ours.push(o);
        base.push(b);
        ratios.push(o / b);
    }
    let (o, b, ratio) = (
        measure::median(ours),
        measure::median(base),
        measure::median(ratios),
    );
    json!({
        "scenario": "decode", "page_bytes": body.len(), "runs_per_page": 100, "rounds": rounds,
        "ours_pages_per_s": o, "baseline_pages_per_s": b, "throughput_ratio": ratio,
        "target": "throughput_ratio >= 0.85", "holds": ratio >= 0.85,
    })
}

fn memory_child(runs: usize, base_url: &str) {
    let rt = runtime();
    let count = rt.block_on(async {
        let mut stream = client(base_url).list_runs("wf").stream();
        let mut count = 0usize;
        while let Some(run) = stream.try_next().await.unwrap() {
            std::hint::black_box(run);
            count += 1;
        }
        count
    });
    assert_eq!(count, runs);
    println!("{}", measure::peak_rss_kib());
}

fn scenario_memory() -> Value {
    let (small, large) = if quick() {
        (10_000, 200_000)
    } else {
        (10_000, 1_000_000)
    };
    let peak = |runs: usize| -> u64 {
        let server = ServerProcess::start(runs, 0);
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--memory-child", &runs.to_string(), &server.base_url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let (s, l) = (peak(small), peak(large));
    let diff_mib = (l as f64 - s as f64) / 1024.0;
    json!({
        "scenario": "memory", "small_runs": small, "large_runs": large,
        "small_peak_rss_kib": s, "large_peak_rss_kib": l, "difference_mib": diff_mib,
        "target": "difference_mib < 5", "holds": diff_mib < 5.0,
    })
}

fn scenario_prefetch() -> Value {
    let pages = if quick() { 40 } else { 150 };
    let runs = pages * 100;
    let server = ServerProcess::start(runs, 5);
    let rt = runtime();
    let c = client(&server.base_url);
    let run = |prefetch: bool| {
        rt.block_on(async {
            let t0 = Instant::now();
            let mut stream = c.list_runs("wf").prefetch(prefetch).pages();
            let mut n = 0;
            while let Some(page) = stream.try_next().await.unwrap() {
                n += page.runs().len();
                tokio::time::sleep(Duration::from_millis(5)).await; // the consumer's work
            }
            assert_eq!(n, runs);
            t0.elapsed().as_secs_f64()
        })
    };
    let (seq, pre) = (run(false), run(true));
    let speedup = seq / pre;
    json!({
        "scenario": "prefetch", "pages": pages, "server_delay_ms": 5, "consumer_ms_per_page": 5,
        "sequential_s": seq, "prefetch_s": pre,
        "sequential_pages_per_s": pages as f64 / seq, "prefetch_pages_per_s": pages as f64 / pre,
        "speedup": speedup, "target": "speedup >= 1.7", "holds": speedup >= 1.7,
    })
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
                "wall {:.3}s vs {:.3}s ({:.3}x), cpu {:.3}s vs {:.3}s ({:.3}x), server {:.0}% of cpu",
                f("ours_wall_s"),
                f("baseline_wall_s"),
                f("wall_ratio"),
                f("ours_cpu_s"),
                f("baseline_cpu_s"),
                f("cpu_ratio"),
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
            "build" => r["summary"].as_str().unwrap_or("").to_owned(),
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
            });
        }
        Some("--memory-child") => return memory_child(args[2].parse().unwrap(), &args[3]),
        // For a profiler: `--profile-stream ours|baseline ROUNDS`.
        Some("--profile-stream") => {
            let server = ServerProcess::start(20_000, 0);
            let rt = runtime();
            let (ours, base) = (client(&server.base_url), baseline::http());
            rt.block_on(async {
                let t0 = Instant::now();
                for _ in 0..args[3].parse::<usize>().unwrap() {
                    let n = if args[2] == "ours" {
                        ours.list_runs("wf")
                            .stream()
                            .try_collect::<Vec<_>>()
                            .await
                            .unwrap()
                            .len()
                    } else {
                        baseline::stream_all(&base, &server.base_url, KEY).await
                    };
                    assert_eq!(n, 20_000);
                }
                eprintln!(
                    "{} {:?} cpu {:?}",
                    args[2],
                    t0.elapsed(),
                    measure::cpu_time()
                );
            });
            return;
        }
        // For a profiler: `--profile-decode ours|baseline N`.
        Some("--profile-decode") => {
            let body = server::page_body(0, 1_000);
            for _ in 0..args[3].parse::<usize>().unwrap() {
                let n = if args[2] == "ours" {
                    resend_workflows::internals::workflow_page(
                        &reqwest::header::HeaderMap::new(),
                        &body,
                    )
                    .unwrap()
                    .runs()
                    .len()
                } else {
                    serde_json::from_slice::<baseline::List>(&body)
                        .unwrap()
                        .data
                        .len()
                };
                std::hint::black_box(n);
            }
            return;
        }
        _ => {}
    }
    // `cargo bench` passes `--bench`; a name filter runs one scenario.
    let only = args.iter().skip(1).find(|a| !a.starts_with("--")).cloned();
    type Scenario = (&'static str, fn() -> Value);
    let scenarios: [Scenario; 5] = [
        ("stream", scenario_stream),
        ("decode", scenario_decode),
        ("memory", scenario_memory),
        ("prefetch", scenario_prefetch),
        ("build", build::scenario_build),
    ];
    let mut results = Vec::new();
    for (name, run) in scenarios {
        if only.as_deref().is_some_and(|o| o != name) {
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
