//! Fault injection and load: under 30% failed requests every run arrives
//! exactly once; 64 concurrent streams over one client all complete.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::raw::{self, Action};
use futures::{StreamExt, TryStreamExt};
use resend_workflows::{RetryPolicy, WorkflowRunListItem};

const RUNS: usize = 10_000;

/// A deterministic pseudo-random sequence (SplitMix64) for the fault schedule.
fn splitmix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[tokio::test(start_paused = true)]
async fn thirty_percent_failures_lose_and_repeat_no_run() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", RUNS);
    let upstream = fake.base_url();
    let injected = Arc::new([(); 6].map(|_| AtomicUsize::new(0)));
    let counts = injected.clone();
    let proxy = raw::start(move |_, n| {
        let roll = splitmix(n as u64);
        if roll % 100 >= 30 {
            return Action::Forward(upstream.clone());
        }
        let kind = (roll >> 32) as usize % 6;
        counts[kind].fetch_add(1, Ordering::SeqCst);
        let error = |status: u16, name: &str| {
            format!(r#"{{"statusCode":{status},"name":"{name}","message":"injected"}}"#)
        };
        match kind {
            0 => Action::Raw(raw::json(
                429,
                &[("retry-after", "1")],
                &error(429, "rate_limit_exceeded"),
            )),
            1 => Action::Raw(raw::json(429, &[], &error(429, "rate_limit_exceeded"))),
            2 => Action::Raw(raw::json(500, &[], &error(500, "internal_server_error"))),
            3 => Action::Raw(raw::response(
                503,
                &[("content-type", "text/html")],
                b"<html>503</html>",
            )),
            4 => Action::Drop,
            _ => {
                let mut cut = raw::json(
                    200,
                    &[],
                    &format!(
                        r#"{{"object":"list","has_more":true,"data":[{}]}}"#,
                        "x".repeat(300)
                    ),
                );
                cut.truncate(cut.len() - 200);
                Action::Raw(cut)
            }
        }
    })
    .await;
    let client = common::paused_client(&proxy.base_url, RetryPolicy::default());
    let mut got: Vec<String> = Vec::with_capacity(RUNS);
    let mut resumes = 0;
    let mut stream = client.list_workflow_runs("wf").stream();
    loop {
        match stream.next().await {
            Some(Ok(run)) => got.push(run.id),
            Some(Err(e)) => {
                assert!(e.is_retryable(), "only injected faults: {e}");
                resumes += 1;
                assert!(resumes < 50, "too many resumes");
                let resume = client.list_workflow_runs("wf");
                stream = match stream.checkpoint() {
                    Some(c) => resume.after(c).stream(),
                    None => resume.stream(),
                };
            }
            None => break,
        }
    }
    let unique: HashSet<&String> = got.iter().collect();
    let expected: Vec<String> = runs.into_iter().map(|r| r.id).collect();
    let faults: Vec<usize> = injected.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    let requests = proxy.requests.load(Ordering::SeqCst);
    eprintln!(
        "fault injection: {} of {RUNS} runs delivered ({} unique), {requests} requests, \
         faults injected [429+retry-after, 429, 500, 503 html, dropped, truncated] = {faults:?}, \
         stream resumes {resumes}",
        got.len(),
        unique.len()
    );
    assert_eq!(got, expected, "every run exactly once, in order");
    let total: usize = faults.iter().sum();
    assert!(
        total * 100 >= requests * 20,
        "about 30% of {requests} requests failed ({total})"
    );
    assert!(
        faults.iter().all(|&n| n > 0),
        "every fault kind was exercised: {faults:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_streams_over_one_client_all_complete() {
    let fake = common::fake().await;
    fake.seed_workflow("wf", RUNS);
    let client = common::client(&fake.base_url());
    let streams: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let runs: Vec<WorkflowRunListItem> = client
                    .list_workflow_runs("wf")
                    .stream()
                    .try_collect()
                    .await?;
                Ok::<_, resend_workflows::Error>(runs.len())
            })
        })
        .collect();
    let mut completed = 0;
    for s in streams {
        assert_eq!(s.await.unwrap().unwrap(), RUNS);
        completed += 1;
    }
    eprintln!("load: {completed} of 64 concurrent streams completed, {RUNS} runs each");
    assert_eq!(completed, 64);
}
