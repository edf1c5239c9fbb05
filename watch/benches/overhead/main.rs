//! `cargo bench -p resend-workflows-watch --bench overhead`: what a watch
//! costs and how it keeps to its budget (the watch, its memory, the team
//! watch and its schedule, politeness to the team's sends, four watches
//! under the rate limit). One JSON object per scenario on stdout, a table
//! on stderr. `BENCH_QUICK=1` runs a smaller version. See the client's
//! BENCHMARKS.md, whose watch scenarios these are.

// A benchmark reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

// The client's benchmark's harness, measures and server: the same files.
#[allow(dead_code)]
#[path = "../../../benches/overhead/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../../benches/overhead/measure.rs"]
mod measure;
mod polite;
mod ratelimit_watch;
#[allow(dead_code)]
#[path = "../../../benches/overhead/server.rs"]
mod server;
mod team;
mod team_schedule;
mod watch;
mod watch_memory;

use serde_json::Value;

use harness::Scenario;
pub(crate) use harness::{KEY, ServerProcess, client, quick, runtime};

/// What a result came to, for the table: each scenario says.
fn summary(r: &Value) -> String {
    r["summary"].as_str().unwrap_or("").to_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--serve") => return harness::serve(&args),
        Some("--watch-memory-child") => {
            return watch_memory::child(&args[2], args[3].parse().unwrap(), &args[4], &args[5]);
        }
        _ => {}
    }
    let scenarios: [Scenario; 6] = [
        ("ratelimit-watch", ratelimit_watch::scenario_ratelimit_watch),
        ("watch", watch::scenario_watch),
        ("watch-memory", watch_memory::scenario_watch_memory),
        ("team", team::scenario_team),
        ("team-schedule", team_schedule::scenario_team_schedule),
        ("polite", polite::scenario_polite),
    ];
    harness::run(&args, &scenarios, summary);
}
