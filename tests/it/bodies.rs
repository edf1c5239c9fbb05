//! What a server's bodies can do to the client's messages and memory:
//! nothing. Server text is bounded and escaped in messages; an announced
//! length is never preallocated. (Each failed before its fix.)

use resend_workflows::{ApiErrorKind, Client, Error, RetryPolicy};

use crate::common::KEY;
use crate::common::raw::{self, Action};

// Server text once reached Display raw and unbounded.
#[tokio::test]
async fn server_text_in_messages_is_bounded_and_escaped() {
    let hostile = format!(
        "line one\nline two \x1b[31mred\x1b[0m {}",
        "x".repeat(100_000)
    );
    let bodies = [
        raw::json(
            400,
            &[],
            &raw::error_body(400, "validation_error", &hostile),
        ),
        raw::json(
            400,
            &[],
            &raw::error_body(400, &format!("name\n{}", "y".repeat(5000)), "m"),
        ),
        raw::json(
            200,
            &[],
            &serde_json::json!({"object": "list", "has_more": hostile, "data": []}).to_string(),
        ),
        raw::response(502, &[("content-type", "text/html")], hostile.as_bytes()),
    ];
    for body in bodies {
        let server = raw::scripted(vec![body]).await;
        let client = Client::builder()
            .api_key(KEY)
            .base_url(&server.base_url)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = client.list_workflow_runs("wf").send().await.unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.chars().count() <= 1200,
            "{} chars: {:.200}",
            shown.len(),
            shown
        );
        assert!(
            !shown.contains('\n') && !shown.contains('\x1b'),
            "{shown:?}"
        );
        if let Some(api) = err.as_api()
            && api.kind() == &ApiErrorKind::ValidationError
        {
            assert_eq!(api.message(), hostile, "the full message stays available");
        }
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            if !s.is::<serde_json::Error>() {
                let shown = s.to_string();
                assert!(
                    shown.chars().count() <= 1200 && !shown.contains('\n'),
                    "{shown:.300}"
                );
            }
            source = s.source();
        }
    }
}

// The announced content-length was preallocated: 1 TiB announced and
// 2 bytes sent once aborted the process.
#[tokio::test]
async fn an_announced_length_is_not_preallocated() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\nconnection: close\r\n\r\n".to_vec();
    let server =
        raw::start(move |_, _| Action::Trickle(vec![head.clone(), b"{".to_vec(), b"\"".to_vec()]))
            .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .retry(RetryPolicy::disabled())
        .max_response_bytes(usize::MAX)
        .build()
        .unwrap();
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(ref t) if t.is_body()),
        "{err:?}"
    );
}
