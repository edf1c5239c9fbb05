//! The `stream` scenario: 100,000 runs (1,000 pages) through
//! `list_workflow_runs(..).stream()` against the hand-written loop, wall and CPU,
//! round by round; and the same comparison in instructions, counted by
//! callgrind (the same total run after run on a noisy machine).

use std::process::Command;
use std::time::Instant;

use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::{KEY, ServerProcess, baseline, client, measure, quick, runtime};

struct Sample {
    wall: f64,
    cpu: f64,
    server_cpu: f64,
}

pub(crate) fn scenario_stream() -> Value {
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
            .list_workflow_runs("wf")
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
                    let mut stream = ours_client.list_workflow_runs("wf").stream();
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
    // Instructions: full runs only (callgrind runs ~50x slower).
    let counted = if quick() {
        None
    } else {
        instructions("ours").zip(instructions("baseline"))
    };
    let instructions_ratio = counted.map(|(o, b)| o as f64 / b as f64);
    json!({
        "scenario": "stream",
        "ours_instructions_per_20k_runs": counted.map(|c| c.0),
        "baseline_instructions_per_20k_runs": counted.map(|c| c.1),
        "instructions_ratio": instructions_ratio, "runs": runs, "pages": runs / 100, "rounds": rounds,
        "runtime": if std::env::var("BENCH_RUNTIME").is_ok_and(|v| v == "multi") { "multi_thread(2)" } else { "current_thread" },
        "ours_wall_s": ow, "baseline_wall_s": bw, "wall_ratio": wall_ratio,
        "ours_cpu_s": oc, "baseline_cpu_s": bc, "cpu_ratio": cpu_ratio,
        "server_cpu_share_ours": os / (os + oc), "server_cpu_share_baseline": bs / (bs + bc),
        "server_share_of_wall_ours": os / ow,
        "target": "wall_ratio <= 1.05, cpu_ratio <= 1.10",
        "holds": wall_ratio <= 1.05 && cpu_ratio <= 1.10,
    })
}

/// `--profile-stream ours|baseline ROUNDS`: one side alone, 20,000 runs a
/// round, for a profiler.
pub(crate) fn profile(side: &str, rounds: usize) {
    let server = ServerProcess::start(20_000, 0);
    let rt = runtime();
    let (ours, base) = (client(&server.base_url), baseline::http());
    rt.block_on(async {
        let t0 = Instant::now();
        for _ in 0..rounds {
            let n = if side == "ours" {
                let runs: Vec<_> = ours
                    .list_workflow_runs("wf")
                    .stream()
                    .try_collect()
                    .await
                    .unwrap();
                runs.len()
            } else {
                baseline::stream_all(&base, &server.base_url, KEY).await
            };
            assert_eq!(n, 20_000);
        }
        eprintln!("{side} {:?} cpu {:?}", t0.elapsed(), measure::cpu_time());
    });
}

/// Instructions a round of 20,000 runs costs `side`, counted by callgrind
/// (`valgrind --tool=callgrind`, the server process not traced): three
/// rounds less one, halved, so start-up and connection set-up cancel.
/// `None` without valgrind.
fn instructions(side: &str) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let count = |rounds: u32| -> Option<u64> {
        let out_file = std::env::temp_dir().join(format!(
            "bench-callgrind-{}-{side}-{rounds}",
            std::process::id()
        ));
        let out = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg(&exe)
            .args(["--profile-stream", side, &rounds.to_string()])
            .output()
            .ok()?;
        let _ = std::fs::remove_file(&out_file);
        if !out.status.success() {
            return None;
        }
        // `==PID== I   refs:      27,801,966`
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| l.split("I   refs:").nth(1))
            .and_then(|n| n.trim().replace(',', "").parse().ok())
    };
    Some(count(3)?.checked_sub(count(1)?)? / 2)
}
