//! Arguments are validated before anything is sent: each rejection is a
//! typed error naming the parameter and showing the value, and the server
//! sees nothing.

use crate::common::{KEY, client};
use httpmock::MockServer;
use proptest::prelude::*;
use resend_workflows::{Client, Error, InvalidReason};

fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn rejected(result: Result<impl std::fmt::Debug, Error>) -> resend_workflows::InvalidArgument {
    match result {
        Err(Error::InvalidArgument(e)) => e,
        other => panic!("expected an invalid-argument error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_bad_argument_is_named_and_nothing_is_sent() {
    // A catch-all that counts requests: nothing should reach it.
    let server = MockServer::start_async().await;
    let catch_all = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server.base_url());
    let long = "a".repeat(257);
    let cases: Vec<(resend_workflows::ListWorkflowRuns, &str, InvalidReason)> = vec![
        (
            client.list_workflow_runs(""),
            "workflow_id",
            InvalidReason::Empty,
        ),
        (
            client.list_workflow_runs("wf/../x"),
            "workflow_id",
            InvalidReason::ForbiddenChar { ch: '/', at: 2 },
        ),
        (
            client.list_workflow_runs(&long),
            "workflow_id",
            InvalidReason::TooLong { len: 257, max: 256 },
        ),
        (
            client.list_workflow_runs("wf").limit(0),
            "limit",
            InvalidReason::OutOfRange { min: 1, max: 100 },
        ),
        (
            client.list_workflow_runs("wf").limit(101),
            "limit",
            InvalidReason::OutOfRange { min: 1, max: 100 },
        ),
        (
            client.list_workflow_runs("wf").after("a&b=c"),
            "after",
            InvalidReason::ForbiddenChar { ch: '&', at: 1 },
        ),
        (
            client.list_workflow_runs("wf").before("é"),
            "before",
            InvalidReason::ForbiddenChar { ch: 'é', at: 0 },
        ),
        (
            client.list_workflow_runs("wf").before(""),
            "before",
            InvalidReason::Empty,
        ),
        (
            client.list_workflow_runs("wf").after("a").before("b"),
            "after",
            InvalidReason::Conflict { with: "before" },
        ),
    ];
    for (request, parameter, reason) in cases {
        let e = rejected(request.send().await);
        assert_eq!(e.parameter(), parameter, "{e}");
        assert_eq!(e.reason(), &reason, "{e}");
        assert!(e.to_string().contains(parameter), "{e}");
    }
    let e = rejected(client.get_workflow_run("wf", "run?x=1").await);
    assert_eq!((e.parameter(), e.value()), ("run_id", "run?x=1"));
    let e = rejected(client.get_workflow_run(" ", "run").await);
    assert_eq!(e.parameter(), "workflow_id");
    catch_all.assert_calls_async(0).await;
}

#[test]
fn the_error_shows_the_value_but_not_too_much_of_it() {
    let e = rejected(resend_workflows::Cursor::new(format!(
        "{}/",
        "x".repeat(300)
    )));
    assert_eq!(e.parameter(), "cursor");
    assert!(e.value().chars().count() <= 81, "{}", e.value());
    let e = rejected(resend_workflows::RunId::new("a b"));
    assert_eq!(
        e.to_string(),
        "`run_id` = \"a b\" has ' ' at byte 1; ids are ASCII letters, digits, '-' and '_'"
    );
}

#[test]
fn builder_errors_are_clear_and_never_show_the_key() {
    let err = Client::builder().build().unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert!(err.to_string().contains("API key"), "{err}");
    for url in ["not a url", "ftp://x.test", "http://example.com"] {
        let err = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        assert!(!format!("{err} {err:?}").contains(KEY));
    }
    let err = Client::builder()
        .api_key("re_bad\nkey")
        .build()
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("re_bad"), "{err}");
}

#[test]
fn debug_never_shows_the_key() {
    let builder = Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:1");
    assert!(!format!("{builder:?}").contains(KEY));
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {:?}", client.list_workflow_runs("wf"));
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// An id is accepted exactly when it is 1..=256 safe ASCII bytes.
    #[test]
    fn ids_are_accepted_iff_safe(s in "\\PC{0,12}|[A-Za-z0-9_-]{0,300}|[A-Za-z0-9_/?#&%. -]{1,20}") {
        let ok = is_valid_id(&s);
        prop_assert_eq!(resend_workflows::WorkflowId::new(s.as_str()).is_ok(), ok);
        prop_assert_eq!(resend_workflows::Cursor::new(s.as_str()).is_ok(), ok);
        prop_assert_eq!(resend_workflows::RunId::new(s.as_str()).is_ok(), ok);
        if !ok {
            let e = rejected(resend_workflows::Cursor::new(s.as_str()));
            prop_assert_eq!(e.parameter(), "cursor");
        }
    }

    /// Limits are accepted exactly in 1..=100.
    #[test]
    fn limits_are_accepted_iff_in_range(n in any::<u32>()) {
        prop_assert_eq!(resend_workflows::PageSize::new(n).is_ok(), (1..=100).contains(&n));
    }
}
