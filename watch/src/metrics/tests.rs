//! The names' conventions (the watch's and the client's together), and
//! the error kinds, by table.

use super::*;

#[test]
fn names_follow_prometheus_conventions_and_each_is_listed_once() {
    let mut seen = std::collections::BTreeSet::new();
    for m in resend_workflows::metrics::ALL.iter().chain(ALL) {
        assert!(seen.insert(m.name), "{} twice", m.name);
        assert!(m.name.starts_with("resend_workflows_"), "{}", m.name);
        let counter = m.name.ends_with("_total");
        assert_eq!(counter, m.kind == "counter", "{}", m.name);
        assert!(["counter", "gauge", "histogram"].contains(&m.kind));
        assert!(!m.labels.is_empty() && !m.help.is_empty(), "{}", m.name);
    }
    assert_eq!(seen.len(), 12);
    assert_eq!(
        resend_workflows::metrics::ALL
            .iter()
            .chain(ALL)
            .filter(|m| m.name.ends_with("_seconds"))
            .map(|m| m.name)
            .collect::<Vec<_>>(),
        [
            resend_workflows::metrics::REQUEST_DURATION,
            WATCH_LAG,
            WATCH_LAST_SUCCESS
        ]
    );
}

#[cfg(feature = "metrics")]
#[test]
fn an_error_s_kind_is_the_client_s_variant_or_the_watch_s_kind() {
    use resend_workflows::{InvalidArgument, InvalidReason};
    let invalid: Error = InvalidArgument::new("automation_id", "", InvalidReason::Empty).into();
    assert_eq!(error_kind(&invalid), "invalid_argument");
    let store: Error = crate::WatchError::store("disk full").into();
    assert_eq!(error_kind(&store), "store");
    let lost: Error = crate::WatchError::new(WatchErrorKind::LeaseLost {
        holder: "b".into(),
        since: None,
    })
    .into();
    assert_eq!(error_kind(&lost), "lease_lost");
}

#[cfg(feature = "metrics")]
#[test]
fn a_timestamp_gauge_is_seconds_since_the_epoch() {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_500);
    assert_eq!(unix_seconds(at), 1.5);
    assert_eq!(unix_seconds(std::time::UNIX_EPOCH), 0.0);
}
