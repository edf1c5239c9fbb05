//! A downstream service's test, written as one would be: only the public
//! API and the `fake` feature. It pages through a seeded automation with a
//! status filter while the fake fails in the middle, and must see every
//! matching run exactly once.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, Cursor, Error, RetryPolicy, RunStatus};

/// The service's code under test: collects the ids of failed or cancelled
/// runs, resuming from its checkpoint when a page fails.
async fn collect_problem_runs(
    client: &Client,
    automation: &str,
) -> Result<(Vec<String>, usize), Error> {
    let filter = [RunStatus::Failed, RunStatus::Cancelled];
    let start = |checkpoint: Option<&Cursor>| {
        let request = client
            .list_automation_runs(automation)
            .limit(20)
            .status(filter.clone());
        match checkpoint {
            Some(c) => request.after(c).stream(),
            None => request.stream(),
        }
    };
    let (mut ids, mut resumes) = (Vec::new(), 0);
    let mut runs = start(None);
    while let Some(item) = runs.next().await {
        match item {
            Ok(run) => ids.push(run.id),
            Err(e) if resumes < 5 && e.status().is_some() => {
                resumes += 1;
                let checkpoint = runs.checkpoint().cloned();
                runs = start(checkpoint.as_ref());
            }
            Err(e) => return Err(e),
        }
    }
    Ok((ids, resumes))
}

#[tokio::test]
async fn a_filtered_traversal_survives_faults_in_the_middle() {
    let fake = FakeResend::start().await;
    // This crate's own check: every answer held against the spec.
    crate::common::check_answers(&fake);
    let seeded = fake.seed_automation("onboarding", 500);
    let expected: Vec<String> = seeded
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Failed | RunStatus::Cancelled))
        .map(|r| r.id.clone())
        .collect();
    let client = Client::builder()
        .api_key("re_test")
        .base_url(fake.base_url())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();

    // A 503 on the third page: retried by the client, invisible here.
    fake.fail_after(2, 503);
    let (ids, resumes) = collect_problem_runs(&client, "onboarding").await.unwrap();
    assert_eq!((ids.len(), resumes), (expected.len(), 0));
    assert_eq!(ids, expected);

    // A 400 on the fourth page: not retryable, so the stream ends and the
    // service resumes from its checkpoint.
    fake.fail_after(3, 400);
    let (ids, resumes) = collect_problem_runs(&client, "onboarding").await.unwrap();
    assert_eq!(resumes, 1);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no run twice"
    );
    assert_eq!(ids, expected, "every matching run once, in order");

    // An exhausted rate-limit window and some latency: slower, same answer.
    fake.exhaust_rate_limit(1);
    fake.set_latency(Duration::from_millis(5)).await;
    let (ids, _) = collect_problem_runs(&client, "onboarding").await.unwrap();
    assert_eq!(ids, expected);
    crate::common::assert_answers_valid(&fake);
}
