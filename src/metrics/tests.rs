//! The names' conventions, and the outcome and kind classes, by table.

use super::*;

#[test]
fn names_follow_prometheus_conventions_and_each_is_listed_once() {
    let mut seen = std::collections::BTreeSet::new();
    for m in ALL {
        assert!(seen.insert(m.name), "{} twice", m.name);
        assert!(m.name.starts_with("resend_workflows_"), "{}", m.name);
        let counter = m.name.ends_with("_total");
        assert_eq!(counter, m.kind == "counter", "{}", m.name);
        assert!(["counter", "gauge", "histogram"].contains(&m.kind));
        assert!(!m.labels.is_empty() && !m.help.is_empty(), "{}", m.name);
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(
        ALL.iter()
            .filter(|m| m.name.ends_with("_seconds"))
            .map(|m| m.name)
            .collect::<Vec<_>>(),
        [REQUEST_DURATION]
    );
}

#[cfg(feature = "metrics")]
#[test]
fn a_call_s_outcome_is_its_status_class() {
    use crate::error::{ApiError, ApiErrorKind, HeldBy, Throttled};
    use reqwest::StatusCode;
    let api = |status: u16| -> Error {
        ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            kind: ApiErrorKind::Unstructured,
            name: None,
            message: String::new(),
            rate_limit: None,
            retry_after: None,
            attempts: 1,
        }
        .into()
    };
    let table = [
        (None, "success"),
        (Some(api(400)), "client_error"),
        (Some(api(404)), "client_error"),
        (Some(api(499)), "client_error"),
        (Some(api(429)), "rate_limited"),
        (Some(api(500)), "server_error"),
        (Some(api(599)), "server_error"),
        (Some(api(302)), "unexpected_status"),
        (Some(api(204)), "unexpected_status"),
    ];
    for (error, class) in &table {
        assert_eq!(outcome(error.as_ref()), *class, "{error:?}");
    }
    let throttled: Error = Throttled {
        until: std::time::SystemTime::UNIX_EPOCH,
        wait: std::time::Duration::ZERO,
        deadline: std::time::Duration::ZERO,
        held_by: HeldBy::RateLimit,
    }
    .into();
    assert_eq!(outcome(Some(&throttled)), "throttled");
}
