//! `cargo bench --bench overhead`: what this crate costs over a hand-written
//! reqwest + serde_json loop, side by side in one run. One JSON object per
//! scenario on stdout, a table on stderr. `BENCH_QUICK=1` runs a smaller
//! version in under a minute. See BENCHMARKS.md.

// A benchmark reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod build;
mod decode;
mod harness;
mod measure;
mod memory;
mod prefetch;
mod ratelimit;
mod server;
mod stream;

use serde_json::Value;

use harness::Scenario;
pub(crate) use harness::{KEY, ServerProcess, client, quick, runtime};

/// What a result came to, for the table.
fn summary(r: &Value) -> String {
    let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    match r["scenario"].as_str().unwrap_or("") {
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
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--serve") => return harness::serve(&args),
        Some("--memory-child") => return memory::child(args[2].parse().unwrap(), &args[3]),
        // For a profiler: `--profile-stream ours|baseline ROUNDS`.
        Some("--profile-stream") => return stream::profile(&args[2], args[3].parse().unwrap()),
        // For a profiler: `--profile-decode ours|baseline N`.
        Some("--profile-decode") => return decode::profile(&args[2], args[3].parse().unwrap()),
        _ => {}
    }
    let scenarios: [Scenario; 6] = [
        ("stream", stream::scenario_stream),
        ("decode", decode::scenario_decode),
        ("memory", memory::scenario_memory),
        ("prefetch", prefetch::scenario_prefetch),
        ("ratelimit", ratelimit::scenario_ratelimit),
        ("build", build::scenario_build),
    ];
    harness::run(&args, &scenarios, summary);
}
