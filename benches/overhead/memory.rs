//! The `memory` scenario: peak resident memory streaming 1,000,000 runs
//! against 10,000, each in a child process of its own.

use std::process::Command;

use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::{ServerProcess, client, measure, quick, runtime};

/// `--memory-child RUNS URL`: streams the runs, prints the peak RSS.
pub(crate) fn child(runs: usize, base_url: &str) {
    let rt = runtime();
    let count = rt.block_on(async {
        let mut stream = client(base_url).list_workflow_runs("wf").stream();
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

pub(crate) fn scenario_memory() -> Value {
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
