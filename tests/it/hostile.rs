//! A table of hostile responses: each ends in a typed error or a documented
//! recovery, never a panic or a hang (every case runs under a timeout).

use crate::common;

use std::time::Duration;

use crate::common::raw::{self, Action};
use crate::common::{KEY, assert_no_key};
use futures::StreamExt;
use resend_workflows::{ApiErrorKind, Client, Error, PaginationErrorKind, RetryPolicy};

/// What a case must end in.
#[derive(Debug)]
enum Expect {
    /// Success, with exactly these run ids decoded.
    Ok(&'static [&'static str]),
    /// An API error with this status and kind.
    Api(u16, ApiErrorKind),
    Decode(&'static str),
    /// One record does not decode (its field), the page does.
    BadRecord(&'static str),
    Transport,
    Timeout,
    TooLarge,
    BadRunId,
}

fn run_json(id: &str) -> String {
    format!(r#"{{"id":"{id}","status":"completed","created_at":"2026-01-01T00:00:00Z"}}"#)
}

fn list_json(has_more: bool, ids: &[&str]) -> String {
    let data: Vec<String> = ids.iter().map(|id| run_json(id)).collect();
    format!(
        r#"{{"object":"list","has_more":{has_more},"data":[{}]}}"#,
        data.join(",")
    )
}

fn cases() -> Vec<(&'static str, Action, Expect)> {
    let ok = list_json(false, &["a"]);
    let big = format!(
        r#"{{"object":"list","has_more":false,"data":[],"pad":"{}"}}"#,
        "x".repeat(20 << 20)
    );
    let mut chunked_big = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for chunk in big.as_bytes().chunks(1 << 20) {
        chunked_big.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked_big.extend_from_slice(chunk);
        chunked_big.extend_from_slice(b"\r\n");
    }
    chunked_big.extend_from_slice(b"0\r\n\r\n");
    let mut cut = raw::json(200, &[], &ok);
    cut.truncate(cut.len() - 5);
    let html = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
    let hostile = format!("one\ntwo \x1b[31mred\x1b[0m {}", "x".repeat(100_000));
    let hostile_error =
        serde_json::json!({"statusCode": 400, "name": "validation_error", "message": hostile})
            .to_string();
    let hostile_object =
        serde_json::json!({"object": hostile, "has_more": false, "data": []}).to_string();
    let hostile_flag =
        serde_json::json!({"object": "list", "has_more": hostile, "data": []}).to_string();
    vec![
        (
            "HTML error page",
            Action::Raw(raw::response(
                500,
                &[("content-type", "text/html")],
                html.as_bytes(),
            )),
            Expect::Api(500, ApiErrorKind::Unstructured),
        ),
        (
            "HTML 403 from the edge",
            Action::Raw(raw::response(
                403,
                &[("content-type", "text/html")],
                b"<html>Error 1010</html>",
            )),
            Expect::Api(403, ApiErrorKind::Unstructured),
        ),
        (
            "empty 200 body",
            Action::Raw(raw::json(200, &[], "")),
            Expect::Decode("."),
        ),
        (
            "truncated JSON",
            Action::Raw(raw::json(200, &[], r#"{"object":"list","has_"#)),
            Expect::Decode("?"),
        ),
        (
            "has_more of the wrong type",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"list","has_more":"yes","data":[]}"#,
            )),
            Expect::Decode("has_more"),
        ),
        (
            "status of the wrong type",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"list","has_more":false,"data":[{"id":"a","status":5,"created_at":"2026-01-01T00:00:00Z"}]}"#,
            )),
            Expect::BadRecord("status"),
        ),
        (
            "missing data",
            Action::Raw(raw::json(200, &[], r#"{"object":"list","has_more":false}"#)),
            Expect::Decode("."),
        ),
        (
            "data: null",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"list","has_more":false,"data":null}"#,
            )),
            Expect::Decode("data"),
        ),
        (
            "missing created_at",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"list","has_more":false,"data":[{"id":"a","status":"running"}]}"#,
            )),
            Expect::BadRecord("."),
        ),
        (
            "unparseable timestamp",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"list","has_more":false,"data":[{"id":"a","status":"running","created_at":"yesterday"}]}"#,
            )),
            Expect::BadRecord("created_at"),
        ),
        (
            "an unexpected object tag (the API drifted: still a page)",
            Action::Raw(raw::json(
                200,
                &[],
                r#"{"object":"run","has_more":false,"data":[]}"#,
            )),
            Expect::Ok(&[]),
        ),
        (
            "a JSON array",
            Action::Raw(raw::json(200, &[], "[1,2,3]")),
            Expect::Decode("[0]"),
        ),
        (
            "not UTF-8",
            Action::Raw(raw::response(
                200,
                &[("content-type", "application/json")],
                b"\xff\xfe\x00{",
            )),
            Expect::Decode("."),
        ),
        (
            "deeply nested JSON",
            Action::Raw(raw::json(200, &[], &"[".repeat(100_000))),
            Expect::Decode("[0][0][0]"),
        ),
        (
            "empty run id with has_more",
            Action::Raw(raw::json(200, &[], &list_json(true, &["a", ""]))),
            Expect::BadRunId,
        ),
        (
            "run id with a slash",
            Action::Raw(raw::json(200, &[], &list_json(false, &["a/b"]))),
            Expect::BadRunId,
        ),
        (
            "run id with a question mark",
            Action::Raw(raw::json(200, &[], &list_json(true, &["a?limit=1"]))),
            Expect::BadRunId,
        ),
        (
            "20 MiB body with content-length",
            Action::Raw(raw::json(200, &[], &big)),
            Expect::TooLarge,
        ),
        (
            "20 MiB chunked body",
            Action::Raw(chunked_big),
            Expect::TooLarge,
        ),
        ("body cut off", Action::Raw(cut), Expect::Transport),
        ("connection dropped", Action::Drop, Expect::Transport),
        (
            "not HTTP at all",
            Action::Raw(b"HELLO THERE\r\n\r\n".to_vec()),
            Expect::Transport,
        ),
        (
            "headers then silence",
            Action::Stall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{".to_vec()),
            Expect::Timeout,
        ),
        (
            "429 with retry-after 99999",
            Action::Raw(raw::json(
                429,
                &[("retry-after", "99999")],
                r#"{"statusCode":429,"name":"rate_limit_exceeded","message":"slow down"}"#,
            )),
            Expect::Api(429, ApiErrorKind::RateLimitExceeded),
        ),
        (
            "garbage rate-limit headers",
            Action::Raw(raw::json(
                200,
                &[
                    ("ratelimit-remaining", "lots"),
                    ("ratelimit-reset", "-1"),
                    ("retry-after", "soon"),
                    ("ratelimit-limit", "1e99"),
                ],
                &ok,
            )),
            Expect::Ok(&["a"]),
        ),
        (
            "valid JSON labelled HTML",
            Action::Raw(raw::response(
                200,
                &[("content-type", "text/html")],
                ok.as_bytes(),
            )),
            Expect::Ok(&["a"]),
        ),
        (
            "204 No Content",
            Action::Raw(raw::response(204, &[], b"")),
            Expect::Api(204, ApiErrorKind::Unstructured),
        ),
        (
            "redirect elsewhere",
            Action::Raw(raw::response(
                301,
                &[("location", "http://127.0.0.2:9/steal")],
                b"",
            )),
            Expect::Api(301, ApiErrorKind::Unstructured),
        ),
        (
            "unknown 5xx with JSON",
            Action::Raw(raw::json(599, &[], r#"{"name":"brand_new","message":"?"}"#)),
            Expect::Api(599, ApiErrorKind::Other("brand_new".into())),
        ),
        (
            "error body missing its message",
            Action::Raw(raw::json(404, &[], r#"{"name":"not_found"}"#)),
            Expect::Api(404, ApiErrorKind::Unstructured),
        ),
        // The defects of the "No answer from a server can crash..." review:
        (
            "ratelimit-reset of u64::MAX with nothing left",
            Action::Raw(raw::json(
                200,
                &[
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", "18446744073709551615"),
                ],
                &ok,
            )),
            Expect::Ok(&["a"]),
        ),
        (
            "retry-after of u64::MAX",
            Action::Raw(raw::json(
                503,
                &[("retry-after", "18446744073709551615")],
                r#"{"statusCode":503,"name":"service_unavailable","message":"down"}"#,
            )),
            Expect::Api(503, ApiErrorKind::Other("service_unavailable".into())),
        ),
        (
            "retry-after as a date in the year 9999",
            Action::Raw(raw::json(
                429,
                &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
                r#"{"statusCode":429,"name":"rate_limit_exceeded","message":"slow down"}"#,
            )),
            Expect::Api(429, ApiErrorKind::RateLimitExceeded),
        ),
        (
            "a message with newlines, ANSI escapes and 100 KB",
            Action::Raw(raw::json(400, &[], &hostile_error)),
            Expect::Api(400, ApiErrorKind::ValidationError),
        ),
        (
            "an object tag with newlines, ANSI escapes and 100 KB (decoded: any object)",
            Action::Raw(raw::json(200, &[], &hostile_object)),
            Expect::Ok(&[]),
        ),
        (
            "a has_more of 100 KB of text with newlines and ANSI escapes",
            Action::Raw(raw::json(200, &[], &hostile_flag)),
            Expect::Decode("has_more"),
        ),
        (
            "content-length of 1 TiB, 2 bytes sent",
            Action::Trickle(vec![
                b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\nconnection: close\r\n\r\n"
                    .to_vec(),
                b"{".to_vec(),
                b"\"".to_vec(),
            ]),
            Expect::TooLarge,
        ),
    ]
}

fn check(name: &str, expect: &Expect, result: &Result<Vec<String>, Error>) -> Option<String> {
    if let Err(e) = result {
        assert_no_key(e);
        let shown = e.to_string();
        assert!(!shown.is_empty());
        // Server text is escaped and bounded in every message.
        assert!(
            shown.chars().count() <= 1200 && !shown.contains(['\n', '\x1b']),
            "{name}: {shown:.300}"
        );
    }
    let fits = match (expect, result) {
        (Expect::Ok(ids), Ok(got)) => got == ids,
        (Expect::Api(s, kind), Err(Error::Api(e))) => e.status().as_u16() == *s && e.kind() == kind,
        (Expect::Decode(path), Err(Error::Decode(e))) => e.path() == *path,
        (Expect::BadRecord(field), Err(Error::BadRecord(e))) => {
            e.field() == *field && e.id() == Some("a")
        }
        (Expect::Transport, Err(Error::Transport(_))) => true,
        (Expect::Timeout, Err(e)) => e.is_timeout(),
        (Expect::TooLarge, Err(Error::ResponseTooLarge(e))) => {
            e.limit() == 4 << 20 && e.received() > e.limit()
        }
        (Expect::BadRunId, Err(Error::Pagination(e))) => {
            matches!(e.kind(), PaginationErrorKind::InvalidRunId { .. })
        }
        _ => false,
    };
    (!fits).then(|| format!("{name}: expected {expect:?}, got {result:?}"))
}

#[tokio::test(start_paused = true)]
async fn every_hostile_response_ends_in_a_typed_error_or_a_documented_recovery() {
    let table = cases();
    assert!(table.len() >= 20);
    let mut misfits = Vec::new();
    for (name, action, expect) in table {
        let action = std::sync::Mutex::new(Some(action));
        let server =
            raw::start(move |_, _| action.lock().unwrap().take().unwrap_or(Action::Drop)).await;
        // One attempt: the cases are about what each answer becomes. A
        // timeout only where the server stalls, since on the paused clock a
        // pending timeout is reached as soon as the runtime waits.
        let mut builder = Client::builder()
            .api_key(KEY)
            .base_url(&server.base_url)
            .retry(RetryPolicy::disabled());
        builder = if matches!(expect, Expect::Timeout) {
            builder.timeout(Duration::from_secs(30))
        } else {
            builder.no_timeout()
        };
        let client = builder.build().unwrap();
        let stream = client.list_workflow_runs("wf").stream();
        let outcome = tokio::time::timeout(Duration::from_secs(3600), stream.collect::<Vec<_>>())
            .await
            .unwrap_or_else(|_| panic!("{name}: hung"));
        let result: Result<Vec<String>, Error> =
            outcome.into_iter().map(|r| r.map(|run| run.id)).collect();
        misfits.extend(check(name, &expect, &result));
    }
    assert!(misfits.is_empty(), "{}", misfits.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn hostile_retryable_answers_are_retried_then_reported() {
    // A 503 HTML page every time: retried, then reported with its status.
    let server = raw::start(|_, _| {
        Action::Raw(raw::response(
            503,
            &[("retry-after", "1")],
            b"<html>down</html>",
        ))
    })
    .await;
    let client = common::paused_client(&server.base_url, RetryPolicy::default());
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert_eq!(
        (err.status().map(|s| s.as_u16()), err.attempts()),
        (Some(503), Some(4))
    );
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert_no_key(&err);
}

// Issue 28, case 12: a run that does not decode failed its whole page, and
// a stream resumed from its checkpoint failed on it again for ever.
#[tokio::test(start_paused = true)]
async fn a_run_that_does_not_decode_is_named_where_it_stands_and_a_resume_goes_past_it() {
    let body = |ids: &[(&str, &str)]| {
        let data: Vec<String> = ids
            .iter()
            .map(|(id, at)| format!(r#"{{"id":"{id}","status":"completed","created_at":"{at}"}}"#))
            .collect();
        format!(
            r#"{{"object":"list","has_more":false,"data":[{}]}}"#,
            data.join(",")
        )
    };
    let page = body(&[
        ("a", "2026-01-01T00:00:03Z"),
        ("b", "infinity"),
        ("c", "2026-01-01T00:00:01Z"),
    ]);
    let rest = body(&[("c", "2026-01-01T00:00:01Z")]);
    let server = raw::start(move |req, _| {
        let answer = if req.target.contains("after=b") {
            &rest
        } else {
            &page
        };
        Action::Raw(raw::json(200, &[], answer))
    })
    .await;
    let client = common::paused_client(&server.base_url, RetryPolicy::disabled());
    let mut runs = client.list_workflow_runs("wf").stream();
    let first = runs.next().await.expect("an item").expect("run a decodes");
    assert_eq!(first.id, "a");
    let err = runs.next().await.expect("an item").unwrap_err();
    let record = err.as_bad_record().expect("a bad record");
    assert_eq!(
        (record.id(), record.field(), record.index()),
        (Some("b"), "created_at", 1)
    );
    assert_eq!(
        record.raw(),
        r#"{"id":"b","status":"completed","created_at":"infinity"}"#
    );
    let shown = err.to_string();
    assert!(
        shown.contains("\"b\"") && shown.contains("created_at"),
        "{shown}"
    );
    assert!(runs.next().await.is_none(), "an error ends the stream");
    // The checkpoint is past the record: a resume goes on with run c.
    let resumed: Vec<String> = client
        .list_workflow_runs("wf")
        .after(runs.checkpoint().unwrap())
        .stream()
        .map(|r| r.unwrap().id)
        .collect()
        .await;
    assert_eq!(resumed, ["c"]);
    // A page holds the record beside its runs, and goes on.
    let pages: Vec<_> = client
        .list_workflow_runs("wf")
        .pages()
        .map(|p| p.unwrap())
        .collect()
        .await;
    assert_eq!(pages.len(), 1);
    let ids: Vec<&str> = pages[0].runs().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);
    let bad: Vec<_> = pages[0].bad_records().iter().map(|b| b.id()).collect();
    assert_eq!(bad, [Some("b")]);
    // The raw JSON is kept within its bound.
    let long = format!(
        r#"{{"object":"list","has_more":false,"data":[{{"id":"x","status":"completed","created_at":"never","pad":"{}"}}]}}"#,
        "é".repeat(4_000)
    );
    let server = raw::start(move |_, _| Action::Raw(raw::json(200, &[], &long))).await;
    let client = common::paused_client(&server.base_url, RetryPolicy::disabled());
    let page = client.list_workflow_runs("wf").send().await.unwrap();
    let bad = page.bad_records();
    assert_eq!((bad.len(), page.runs().len()), (1, 0));
    let max = resend_workflows::BAD_RECORD_RAW_BYTES;
    assert!(bad[0].is_truncated() && (max - 1..=max).contains(&bad[0].raw().len()));
}
