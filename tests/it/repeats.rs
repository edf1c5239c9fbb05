//! A run repeated across a page boundary (a server whose cursor includes
//! the cursor run) is yielded once; any other repeat ends the stream with
//! an error. (Each failed before its fix.)

use futures::{StreamExt, TryStreamExt};
use resend_workflows::{Error, PaginationErrorKind};

use crate::common::raw::{self, Action};

// A run repeated across a page boundary (an inclusive cursor) was
// yielded twice.
async fn paged(pages: Vec<(&'static str, String)>) -> raw::RawServer {
    raw::start(move |req, _| {
        let cursor = ["after=", "before="]
            .iter()
            .find_map(|k| req.target.split(['?', '&']).find_map(|p| p.strip_prefix(k)))
            .unwrap_or("");
        match pages.iter().find(|(c, _)| *c == cursor) {
            Some((_, body)) => Action::Raw(raw::json(200, &[], body)),
            None => Action::Drop,
        }
    })
    .await
}

#[tokio::test]
async fn a_run_repeated_at_a_page_boundary_is_yielded_once() {
    // Forward: the next page starts with the cursor run itself.
    let server = paged(vec![
        ("", raw::list(true, &["d", "c"])),
        ("c", raw::list(false, &["c", "b", "a"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let mut stream = client.list_workflow_runs("wf").limit(2).stream();
    let mut got = Vec::new();
    while let Some(run) = stream.try_next().await.unwrap() {
        got.push(run.id);
    }
    assert_eq!(got, ["d", "c", "b", "a"]);
    assert_eq!(stream.repeats_dropped(), 1);
    // Backward: the page before the cursor ends with the cursor run.
    let server = paged(vec![
        ("a", raw::list(true, &["c", "b"])),
        ("c", raw::list(false, &["e", "d", "c"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let pages = client.list_workflow_runs("wf").limit(2).before("a").pages();
    let pages: Vec<_> = pages.try_collect().await.unwrap();
    let got: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.runs())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(got, ["b", "c", "d", "e"]);
}

#[tokio::test]
async fn any_other_repeat_ends_the_stream_with_an_error() {
    let server = paged(vec![
        ("", raw::list(true, &["d", "c"])),
        ("c", raw::list(false, &["b", "d", "a"])),
    ])
    .await;
    let client = crate::common::client(&server.base_url);
    let items: Vec<_> = client
        .list_workflow_runs("wf")
        .limit(2)
        .stream()
        .collect()
        .await;
    let ids: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids, ["d", "c"], "the page with the repeat is not yielded");
    match items.last() {
        Some(Err(Error::Pagination(e))) => {
            assert_eq!(
                e.kind(),
                &PaginationErrorKind::RepeatedRun { id: "d".into() }
            );
            assert_eq!((e.page(), e.cursor()), (2, Some("c")));
        }
        other => panic!("{other:?}"),
    }
}
