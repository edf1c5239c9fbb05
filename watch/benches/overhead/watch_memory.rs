//! The `watch-memory` scenario: what a watch holds. `StartAt::Beginning`
//! over 1,000,000 finished runs against 10,000 (peak resident memory, each
//! in a child process of its own): a backfill holds a few pages, not the
//! backlog. Then a watch that follows 100,000 runs in flight: the state it
//! commits, in bytes (the file a `FileStore` writes), and what its
//! commits cost.

// Sizes and counts of one run: small, positive values.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{FileStore, StartAt, WatchConfig};
use serde_json::{Value, json};

use crate::server::Mode;
use crate::{ServerProcess, client, measure, quick, runtime};

const AUTOMATION: &str = "c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd";

/// `--watch-memory-child MODE RUNS URL DIR`: watches until every run is
/// started, prints what it measured as JSON.
pub(crate) fn child(mode: &str, runs: usize, base_url: &str, dir: &str) {
    let mode = Mode::parse(mode);
    let rt = runtime();
    let (events, wall, commits) = rt.block_on(async {
        let start = match mode {
            Mode::InFlight => StartAt::Running,
            _ => StartAt::Beginning,
        };
        let mut events = client(base_url).watch_automation_runs(
            AUTOMATION,
            WatchConfig::default()
                .start(start)
                .poll_interval(Duration::from_millis(10))
                .lease_ttl(Duration::from_secs(600))
                .max_pages_per_poll(2_000)
                .store(FileStore::new(dir)),
        );
        let t0 = Instant::now();
        let mut started = 0usize;
        while started < runs {
            match events.next().await.unwrap() {
                Ok(event) if event.kind() == "started" => started += 1,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
        // The last chunk's commit: at the consumer's next ask.
        events.shutdown().await.unwrap();
        (started, t0.elapsed(), runs.div_ceil(500))
    });
    let state_bytes = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.metadata().map_or(0, |m| m.len()))
        .max()
        .unwrap_or(0);
    println!(
        "{}",
        json!({
            "events": events, "wall_s": wall.as_secs_f64(), "commits": commits,
            "state_bytes": state_bytes, "peak_rss_kib": measure::peak_rss_kib(),
        })
    );
}

fn measure_child(mode: Mode, runs: usize) -> Value {
    let server = ServerProcess::start_mode(runs, 0, mode);
    let dir = std::env::temp_dir().join(format!(
        "resend-bench-watch-{}-{}-{runs}",
        std::process::id(),
        mode.name()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--watch-memory-child",
            mode.name(),
            &runs.to_string(),
            &server.base_url,
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn scenario_watch_memory() -> Value {
    let (small, large, in_flight) = if quick() {
        (10_000, 200_000, 20_000)
    } else {
        (10_000, 1_000_000, 100_000)
    };
    let s = measure_child(Mode::Backlog, small);
    let l = measure_child(Mode::Backlog, large);
    let f = measure_child(Mode::InFlight, in_flight);
    let kib = |v: &Value| v["peak_rss_kib"].as_f64().unwrap_or(f64::NAN);
    let diff_mib = (kib(&l) - kib(&s)) / 1024.0;
    let bytes = f["state_bytes"].as_f64().unwrap_or(f64::NAN);
    let per_run = bytes / in_flight as f64;
    let holds = diff_mib < 5.0;
    json!({
        "scenario": "watch-memory", "backlog_small": s, "backlog_large": l,
        "small_runs": small, "large_runs": large, "backlog_difference_mib": diff_mib,
        "in_flight_runs": in_flight, "in_flight": f, "state_bytes_per_run_in_flight": per_run,
        "target": "backfill of 1M: < 5 MiB over 10k", "holds": holds,
        "summary": format!(
            "backfill {large} vs {small}: {diff_mib:+.2} MiB; {in_flight} in flight: {:.1} MB a commit ({per_run:.0} B a run), peak {} MiB",
            bytes / 1e6,
            kib(&f) as u64 / 1024,
        ),
    })
}
