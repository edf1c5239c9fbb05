//! Pagination streams against the fake (httpmock underneath) and against
//! misbehaving servers: exact cursor sequences, laziness, order in both
//! directions, resuming from checkpoints, and every loop guard.

use crate::common;

use std::time::Duration;

use crate::common::{client, valid};
use futures::{StreamExt, TryStreamExt};
use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};
use proptest::prelude::*;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Cursor, Direction, Error, PaginationErrorKind, WorkflowRunListItem};
use serde_json::json;

fn ids(runs: &[WorkflowRunListItem]) -> Vec<String> {
    runs.iter().map(|r| r.id.clone()).collect()
}

/// (limit, after, before) of each request the fake received.
fn sent(fake: &FakeResend, workflow_id: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let path = format!("/workflows/{workflow_id}/runs");
    fake.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| {
            (
                r.param("limit").unwrap_or("-").to_owned(),
                r.param("after").map(str::to_owned),
                r.param("before").map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn forward_stream_sends_the_exact_cursor_sequence_and_no_trailing_request() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", 250);
    let client = client(&fake.base_url());
    let stream = client.list_workflow_runs("wf").stream();
    assert!(
        fake.requests().is_empty(),
        "lazy: nothing sent before the first poll"
    );
    let got: Vec<WorkflowRunListItem> = stream.try_collect().await.unwrap();
    assert_eq!(ids(&got), ids(&runs), "every run once, newest first");
    let s = |i: usize| Some(runs[i].id.clone());
    assert_eq!(
        sent(&fake, "wf"),
        vec![
            ("100".into(), None, None),
            ("100".into(), s(99), None),
            ("100".into(), s(199), None),
        ]
    );
}

#[tokio::test]
async fn backward_stream_yields_oldest_first_with_first_id_cursors() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", 251);
    let client = client(&fake.base_url());
    let oldest = &runs[250].id;
    let mut stream = client
        .list_workflow_runs("wf")
        .limit(100)
        .before(oldest)
        .stream();
    assert_eq!(stream.direction(), Direction::Backward);
    let mut got = Vec::new();
    while let Some(run) = stream.try_next().await.unwrap() {
        got.push(run.id);
    }
    let mut expected = ids(&runs[..250]);
    expected.reverse();
    assert_eq!(
        got, expected,
        "the runs newer than the cursor, oldest first"
    );
    let s = |i: usize| Some(runs[i].id.clone());
    assert_eq!(
        sent(&fake, "wf"),
        vec![
            ("100".into(), None, s(250)),
            ("100".into(), None, s(150)),
            ("100".into(), None, s(50)),
        ]
    );
    assert_eq!(
        stream.checkpoint().map(Cursor::as_str),
        Some(runs[0].id.as_str())
    );
}

#[tokio::test]
async fn pages_are_send_static_and_one_request_each() {
    let fake = common::fake().await;
    fake.seed_workflow("wf", 30);
    let pages = client(&fake.base_url())
        .list_workflow_runs("wf")
        .limit(10)
        .pages();
    let pages: Vec<_> = tokio::spawn(pages.try_collect::<Vec<_>>())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.runs().len()).collect::<Vec<_>>(),
        [10, 10, 10]
    );
    assert_eq!(sent(&fake, "wf").len(), 3);
}

#[tokio::test]
async fn an_empty_workflow_costs_one_request() {
    let fake = common::fake().await;
    fake.seed_workflow("wf", 0);
    let got: Vec<WorkflowRunListItem> = client(&fake.base_url())
        .list_workflow_runs("wf")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(got.is_empty());
    assert_eq!(sent(&fake, "wf"), vec![("100".into(), None, None)]);
}

#[tokio::test]
async fn an_invalid_argument_is_the_only_item_and_nothing_is_sent() {
    let fake = common::fake().await;
    let mut stream = client(&fake.base_url())
        .list_workflow_runs("wf")
        .after("x")
        .before("y")
        .stream();
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidArgument(_)))
    ));
    assert!(stream.next().await.is_none());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn an_error_ends_the_stream_and_the_checkpoint_resumes_exactly() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", 95);
    let client = client(&fake.base_url());
    fake.fail_after(2, 400);
    let mut stream = client.list_workflow_runs("wf").limit(20).stream();
    let mut got = Vec::new();
    let error = loop {
        match stream.next().await {
            Some(Ok(run)) => got.push(run.id),
            Some(Err(e)) => break e,
            None => panic!("the injected failure should surface"),
        }
    };
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(stream.next().await.is_none(), "an error ends the stream");
    assert_eq!(got.len(), 40);
    let checkpoint = stream.checkpoint().unwrap().clone();
    assert_eq!(checkpoint.as_str(), got.last().unwrap());
    let rest: Vec<WorkflowRunListItem> = client
        .list_workflow_runs("wf")
        .limit(20)
        .after(&checkpoint)
        .stream()
        .try_collect()
        .await
        .unwrap();
    got.extend(ids(&rest));
    assert_eq!(got, ids(&runs));
}

/// A misbehaving server: answers each request from `pages`, keyed by the
/// `after` cursor ("" for none).
async fn scripted(pages: Vec<(&'static str, bool, Vec<&'static str>)>) -> MockServer {
    let server = MockServer::start_async().await;
    let pages: Vec<(String, serde_json::Value)> = pages
        .into_iter()
        .map(|(after, has_more, ids)| {
            let data: Vec<_> = ids
                .iter()
                .map(|id| json!({"id": id, "status": "completed", "created_at": "2026-01-01T00:00:00Z"}))
                .collect();
            let body = json!({"object": "list", "has_more": has_more, "data": data});
            (after.to_owned(), valid("list_workflow_runs", 200, body))
        })
        .collect();
    server
        .mock_async(move |when, then| {
            when.any_request();
            then.respond_with(move |req: &HttpMockRequest| {
                let after = req
                    .query_params()
                    .into_iter()
                    .find(|(k, _)| k == "after")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let body = pages
                    .iter()
                    .find(|(a, _)| *a == after)
                    .map(|(_, b)| b.to_string())
                    .unwrap_or_else(|| panic!("unscripted cursor {after}"));
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body)
                    .build()
            });
        })
        .await;
    server
}

async fn guard_error(server: &MockServer) -> (resend_workflows::PaginationError, usize) {
    let stream = client(&server.base_url())
        .list_workflow_runs("wf")
        .limit(2)
        .stream();
    let items: Vec<_> = tokio::time::timeout(Duration::from_secs(20), stream.collect::<Vec<_>>())
        .await
        .expect("a loop guard must end the stream, not hang");
    let runs = items.iter().filter(|i| i.is_ok()).count();
    match items.into_iter().last() {
        Some(Err(Error::Pagination(e))) => (e, runs),
        other => panic!("expected a pagination error last, got {other:?}"),
    }
}

#[tokio::test]
async fn has_more_with_no_runs_is_an_error_naming_page_and_cursor() {
    let server = scripted(vec![("", true, vec!["a", "b"]), ("b", true, vec![])]).await;
    let (e, runs) = guard_error(&server).await;
    assert_eq!(
        (e.kind(), e.page(), e.cursor(), runs),
        (&PaginationErrorKind::EmptyPageWithMore, 2, Some("b"), 2)
    );
    assert!(e.to_string().contains("page 2"), "{e}");
}

#[tokio::test]
async fn a_cycle_of_two_pages_is_detected() {
    let server = scripted(vec![
        ("", true, vec!["a", "b"]),
        ("b", true, vec!["c", "d"]),
        ("d", true, vec!["e", "b"]),
    ])
    .await;
    let (e, runs) = guard_error(&server).await;
    assert_eq!(
        e.kind(),
        &PaginationErrorKind::CursorCycle { cursor: "b".into() }
    );
    assert_eq!((e.page(), e.cursor(), runs), (3, Some("d"), 4));
}

#[tokio::test]
async fn the_same_cursor_twice_in_a_row_is_detected() {
    let server = scripted(vec![("", true, vec!["a", "b"]), ("b", true, vec!["b"])]).await;
    let (e, _) = guard_error(&server).await;
    assert_eq!(
        (e.kind(), e.page()),
        (&PaginationErrorKind::CursorCycle { cursor: "b".into() }, 2)
    );
}

#[tokio::test]
async fn a_run_id_that_cannot_be_a_cursor_is_an_error() {
    for (ids, has_more) in [
        (vec!["a", "b/c"], false),
        (vec!["a", "b?x=1"], true),
        (vec!["", "b"], false),
    ] {
        let server = scripted(vec![("", has_more, ids.clone())]).await;
        let (e, runs) = guard_error(&server).await;
        assert!(
            matches!(e.kind(), PaginationErrorKind::InvalidRunId { .. }),
            "{ids:?}: {e}"
        );
        assert_eq!((e.page(), runs), (1, 0), "{ids:?}");
    }
}

#[tokio::test]
async fn max_pages_ends_with_its_own_error_only_when_runs_are_left() {
    let fake = common::fake().await;
    fake.seed_workflow("wf", 250);
    fake.seed_workflow("wf200", 200);
    let client = client(&fake.base_url());
    let items: Vec<_> = client
        .list_workflow_runs("wf")
        .max_pages(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 200);
    match items.last() {
        Some(Err(Error::Pagination(e))) => {
            assert_eq!(
                e.kind(),
                &PaginationErrorKind::MaxPagesReached { max_pages: 2 }
            );
            assert_eq!(e.page(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sent(&fake, "wf").len(),
        2,
        "the cap stops before the request"
    );
    let all: Vec<WorkflowRunListItem> = client
        .list_workflow_runs("wf200")
        .max_pages(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 200);
}

/// Waits (real time, at most 5 s) until the fake has received `n` list
/// requests for `wf`; returns how many it has.
async fn requests_reach(fake: &FakeResend, wf: &str, n: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen = sent(fake, wf).len();
        if seen >= n || std::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn read_ahead_fetches_the_next_page_while_the_consumer_works() {
    let fake = common::fake().await;
    fake.seed_workflow("wf", 30);
    let client = client(&fake.base_url());

    // With read-ahead, the second page's request reaches the server while
    // the consumer holds the first page and does not poll.
    let mut pages = client
        .list_workflow_runs("wf")
        .limit(10)
        .prefetch(true)
        .pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(first.runs().len(), 10);
    assert_eq!(
        requests_reach(&fake, "wf", 2).await,
        2,
        "the next page was read ahead"
    );
    assert_eq!(
        pages.pages_received(),
        1,
        "a page read ahead is not yet received"
    );
    // ...and is the one yielded next, without another request.
    let second = pages.try_next().await.unwrap().unwrap();
    assert_eq!(second.runs().len(), 10);
    assert_eq!(
        requests_reach(&fake, "wf", 3).await,
        3,
        "and the third is read ahead"
    );

    // Without it, nothing is sent until the consumer asks.
    fake.clear_requests();
    let mut pages = client.list_workflow_runs("wf").limit(10).pages();
    pages.try_next().await.unwrap().unwrap();
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(sent(&fake, "wf").len(), 1);
}

#[tokio::test]
async fn read_ahead_keeps_order_and_costs_at_most_one_page_more() {
    let fake = common::fake().await;
    let runs = fake.seed_workflow("wf", 250);
    let client = client(&fake.base_url());

    let got: Vec<WorkflowRunListItem> = client
        .list_workflow_runs("wf")
        .prefetch(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ids(&runs));
    assert_eq!(
        sent(&fake, "wf").len(),
        3,
        "no trailing request with read-ahead either"
    );

    // A consumer that stops inside the second page.
    fake.clear_requests();
    let mut stream = client
        .list_workflow_runs("wf")
        .limit(50)
        .prefetch(true)
        .stream();
    for _ in 0..60 {
        stream.try_next().await.unwrap().unwrap();
    }
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let n = sent(&fake, "wf").len();
    assert!(
        (2..=3).contains(&n),
        "consumed 2 pages, read ahead at most 1: {n} requests"
    );

    // Without read-ahead, only what was consumed.
    fake.clear_requests();
    let mut stream = client.list_workflow_runs("wf").limit(50).stream();
    for _ in 0..60 {
        stream.try_next().await.unwrap().unwrap();
    }
    drop(stream);
    assert_eq!(sent(&fake, "wf").len(), 2);

    // The cap holds with read-ahead: no request beyond it, then its error.
    fake.clear_requests();
    let items: Vec<_> = client
        .list_workflow_runs("wf")
        .prefetch(true)
        .max_pages(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 200);
    assert!(matches!(items.last(), Some(Err(Error::Pagination(_)))));
    assert_eq!(sent(&fake, "wf").len(), 2);
}

/// Takes items from `stream` into `got` until it ends (`true`), an error
/// (a 404: the injected fault), or `stop` items were taken.
async fn drain<S, T>(
    stream: &mut S,
    got: &mut Vec<String>,
    stop: Option<usize>,
    ids: impl Fn(T) -> Vec<String>,
) -> bool
where
    S: futures::Stream<Item = Result<T, Error>> + Unpin,
{
    let mut taken = 0;
    loop {
        if stop == Some(taken) {
            return false;
        }
        match stream.next().await {
            Some(Ok(item)) => {
                got.extend(ids(item));
                taken += 1;
            }
            Some(Err(e)) => {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(404), "{e}");
                return false;
            }
            None => return true,
        }
    }
}

// ---- property tests against the stateful fake ----

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every run exactly once, in the documented order, with
    /// ceil(n / size) requests (one when n = 0), in both directions.
    #[test]
    fn streams_yield_every_run_once_in_order(
        n in 0usize..=1000,
        size in 1u32..=100,
        backward in any::<bool>(),
        prefetch in any::<bool>(),
    ) {
        let common::PropEnv { rt, fake } = common::prop_env(0);
        let wf = common::unique_id("wf_prop");
        // Backward starts before an extra, oldest run: n runs are newer than it.
        let runs = fake.seed_workflow(&wf, n + usize::from(backward));
        let client = client(&fake.base_url());
        let request = client.list_workflow_runs(&wf).limit(size).prefetch(prefetch);
        let request = if backward { request.before(&runs[n].id) } else { request };
        let got: Vec<WorkflowRunListItem> = rt.block_on(request.stream().try_collect()).unwrap();
        let mut expected = ids(&runs[..n]);
        if backward {
            expected.reverse();
        }
        prop_assert_eq!(ids(&got), expected);
        let requests = n.div_ceil(size as usize).max(1);
        prop_assert_eq!(sent(fake, &wf).len(), requests);
        common::assert_answers_valid(fake);
    }

    /// A non-retryable failure at a random page, or a consumer that stops
    /// at a random run: resuming from the checkpoint yields exactly the
    /// remaining runs, none lost, none repeated.
    #[test]
    fn resuming_from_a_checkpoint_loses_and_repeats_nothing(
        n in 1usize..=600,
        size in 1u32..=100,
        backward in any::<bool>(),
        fail_page in 0usize..8,
        stop_early in proptest::option::of(0usize..600),
        by_page in any::<bool>(),
    ) {
        let common::PropEnv { rt, fake } = common::prop_env(1);
        let wf = common::unique_id("wf_prop");
        let runs = fake.seed_workflow(&wf, n + usize::from(backward));
        let client = client(&fake.base_url());
        let start = |c: Option<String>| {
            let r = client.list_workflow_runs(&wf).limit(size);
            match (backward, c) {
                (true, c) => r.before(c.unwrap_or_else(|| runs[n].id.clone())),
                (false, Some(c)) => r.after(c),
                (false, None) => r,
            }
        };
        let mut expected = ids(&runs[..n]);
        if backward {
            expected.reverse();
        }
        let got = rt.block_on(async {
            let mut got = Vec::new();
            let mut checkpoint = None;
            // At most two interruptions, then run to the end.
            for round in 0..3 {
                if round == 0 {
                    fake.fail_after(fail_page, 404);
                }
                // Run by run through `stream()`, or page by page through
                // `pages()`: both checkpoints must resume exactly.
                let stop = stop_early.filter(|_| round == 1);
                let (done, next) = if by_page {
                    let mut pages = start(checkpoint.clone()).pages();
                    let done = drain(&mut pages, &mut got, stop.map(|s| s % 8), |p| {
                        p.runs().iter().map(|r| r.id.clone()).collect()
                    })
                    .await;
                    (done, pages.checkpoint().map(|c| c.as_str().to_owned()))
                } else {
                    let mut runs = start(checkpoint.clone()).stream();
                    let done = drain(&mut runs, &mut got, stop, |r| vec![r.id]).await;
                    (done, runs.checkpoint().map(|c| c.as_str().to_owned()))
                };
                if done {
                    return got;
                }
                checkpoint = next;
            }
            got
        });
        fake.clear_faults();
        prop_assert_eq!(got, expected);
        common::assert_answers_valid(fake);
    }
}
