//! The watch's builder options: what each accepts and refuses (before
//! any request). The client's are in the client's tests/it/options.rs.

use std::time::Duration;

use resend_workflows::Error as ClientError;
use resend_workflows_watch::Error;

// Before: `lease_ttl(Duration::MAX)` passed validation, and the team
// watch's first poll panicked on an `Instant` overflow in the store.
#[tokio::test]
async fn a_duration_the_stores_and_clocks_cannot_hold_is_refused_before_anything_runs() {
    use futures::StreamExt;
    use resend_workflows_watch::{MAX_WATCH_DURATION, StartAt, WatchClient};
    assert_eq!(MAX_WATCH_DURATION, Duration::from_secs(365 * 24 * 60 * 60));
    let fake = crate::common::fake().await;
    fake.seed_automation("held", 0);
    let client = crate::common::client(&fake.base_url());
    let over = MAX_WATCH_DURATION + Duration::from_nanos(1);
    let team = || client.watch_automation_set(["held"]);
    let teams = [
        ("lease_ttl", team().lease_ttl(Duration::MAX)),
        ("lease_ttl", team().lease_ttl(over)),
        (
            "poll_interval",
            team()
                .poll_interval(over)
                .max_staleness(over)
                .lease_ttl(Duration::MAX),
        ),
        ("max_staleness", team().max_staleness(Duration::MAX)),
        ("discovery_interval", team().discovery_interval(over)),
    ];
    for (parameter, watch) in teams {
        let mut events = watch.stream();
        match events.next().await {
            Some(Err(e)) => match e.error() {
                Error::Client(ClientError::InvalidArgument(a)) => {
                    assert_eq!(a.parameter(), parameter, "{e}")
                }
                other => panic!("{parameter}: {other}"),
            },
            other => panic!("{parameter}: {other:?}"),
        }
        assert!(events.next().await.is_none(), "{parameter}: the only item");
    }
    let single = || client.watch_automation_runs("held");
    let singles = [
        ("lease_ttl", single().lease_ttl(Duration::MAX)),
        ("lease_ttl", single().lease_ttl(over)),
        (
            "poll_interval",
            single().poll_interval(over).lease_ttl(Duration::MAX),
        ),
    ];
    for (parameter, watch) in singles {
        let mut events = watch.stream();
        match events.next().await {
            Some(Err(Error::Client(ClientError::InvalidArgument(a)))) => {
                assert_eq!(a.parameter(), parameter);
            }
            other => panic!("{parameter}: {other:?}"),
        }
        assert!(events.next().await.is_none(), "{parameter}: the only item");
    }
    assert_eq!(fake.requests().len(), 0, "nothing was sent");
    // The longest accepted: the watch runs.
    let mut events = team()
        .lease_ttl(MAX_WATCH_DURATION)
        .max_staleness(MAX_WATCH_DURATION)
        .discovery_interval(MAX_WATCH_DURATION)
        .start(StartAt::Beginning)
        .stream();
    let first = tokio::time::timeout(Duration::from_secs(10), events.next()).await;
    assert!(
        matches!(
            first,
            Ok(Some(Ok(resend_workflows_watch::TeamEvent::Added { .. })))
        ),
        "{first:?}"
    );
    let run = fake
        .start_automation_run("held", resend_workflows::RunStatus::Running)
        .unwrap()
        .id;
    let told = tokio::time::timeout(Duration::from_secs(10), events.next()).await;
    match told {
        Ok(Some(Ok(resend_workflows_watch::TeamEvent::Run { event, .. }))) => {
            assert_eq!((event.kind(), event.run_id()), ("started", run.as_str()));
        }
        other => panic!("{other:?}"),
    }
}
