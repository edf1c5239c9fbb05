//! The `prefetch` scenario: a slow server (5 ms a page) and a slow
//! consumer (5 ms a page), with and without reading one page ahead.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde_json::{Value, json};

use crate::{ServerProcess, client, quick, runtime};

pub(crate) fn scenario_prefetch() -> Value {
    let pages = if quick() { 40 } else { 150 };
    let runs = pages * 100;
    let server = ServerProcess::start(runs, 5);
    let rt = runtime();
    let c = client(&server.base_url);
    let run = |prefetch: bool| {
        rt.block_on(async {
            let t0 = Instant::now();
            let mut stream = c.list_workflow_runs("wf").prefetch(prefetch).pages();
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
