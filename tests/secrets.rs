//! The API key never appears in Debug, Display, errors or tracing output.

// Test support is `pub` for the modules that share it; tests report on stderr.
#![allow(unreachable_pub, clippy::print_stderr)]

#[path = "it/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::raw::{self, Action};
use common::{KEY, assert_no_key};
use futures::StreamExt;
use resend_workflows::{Client, RetryPolicy};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_key_is_in_no_debug_display_error_or_trace() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let mut shown = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        rt.block_on(async {
            let ok = r#"{"object":"list","has_more":false,"data":[{"id":"a","status":"completed","created_at":"2026-01-01T00:00:00Z"}]}"#;
            let server = raw::start(move |req, n| {
                // The key does reach the server, where it belongs.
                assert!(req.head.contains(KEY));
                match n % 6 {
                    0 => Action::Raw(raw::json(429, &[("retry-after", "1")], r#"{"name":"rate_limit_exceeded","message":"slow"}"#)),
                    1 => Action::Raw(raw::json(200, &[("ratelimit-remaining", "0"), ("ratelimit-reset", "1")], ok)),
                    2 => Action::Raw(raw::response(403, &[], b"<html>denied</html>")),
                    3 => Action::Raw(raw::json(200, &[], "{not json")),
                    4 => Action::Drop,
                    _ => Action::Raw(raw::json(404, &[], r#"{"name":"not_found","message":"Workflow run not found"}"#)),
                }
            })
            .await;
            let client = common::paused_client(&server.base_url, RetryPolicy::default().max_attempts(2));
            shown.push(format!("{client:?}"));
            shown.push(format!("{:?}", Client::builder().api_key(KEY)));
            shown.push(format!("{:?}", client.list_workflow_runs("wf").after("c")));
            let stream = client.list_workflow_runs("wf").stream();
            shown.push(format!("{stream:?}"));
            let mut errors = Vec::new();
            for _ in 0..4 {
                errors.extend(client.list_workflow_runs("wf").send().await.err());
                errors.extend(client.get_workflow_run("wf", "run").await.err());
            }
            errors.extend(stream.filter_map(|r| async { r.err() }).collect::<Vec<_>>().await);
            errors.extend(client.list_workflow_runs("wf/x").send().await.err());
            errors.extend(Client::builder().api_key(KEY).base_url("http://example.com").build().err());
            assert!(errors.len() >= 8, "{errors:?}");
            for e in &errors {
                assert_no_key(e);
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    assert!(!format!("{s:?} {s}").contains(KEY));
                    source = s.source();
                }
                shown.push(format!("{e:?} {e}"));
            }
        });
    });
    for s in &shown {
        assert!(!s.contains(KEY) && !s.contains("5ecret"), "{s}");
    }
    let trace = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        trace.contains("resend_request") && trace.contains("retrying"),
        "tracing is on:\n{trace}"
    );
    assert!(
        trace.contains("attempt=") && trace.contains("status=429"),
        "{trace}"
    );
    assert!(
        !trace.contains(KEY) && !trace.contains("5ecret"),
        "the key is in the trace:\n{trace}"
    );
    if std::env::var_os("SHOW_TRACE").is_some() {
        eprintln!("{trace}");
    }
}
