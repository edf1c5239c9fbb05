//! The watch's options (`WatchConfig`, `TeamConfig`): what each accepts
//! and refuses (before any request). The client's are in the client's
//! tests/it/options.rs.

use std::time::Duration;

use resend_workflows::Error as ClientError;
use resend_workflows_watch::{Error, TeamConfig, WatchConfig};

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
    let team = |config| client.watch_automation_set(["held"], config);
    let watch = WatchConfig::default;
    let teams = [
        (
            "lease_ttl",
            TeamConfig::default().watch(watch().lease_ttl(Duration::MAX)),
        ),
        (
            "lease_ttl",
            TeamConfig::default().watch(watch().lease_ttl(over)),
        ),
        (
            "poll_interval",
            TeamConfig::default()
                .watch(watch().poll_interval(over).lease_ttl(Duration::MAX))
                .max_staleness(over),
        ),
        (
            "max_staleness",
            TeamConfig::default().max_staleness(Duration::MAX),
        ),
        (
            "discovery_interval",
            TeamConfig::default().discovery_interval(over),
        ),
    ];
    for (parameter, config) in teams {
        let mut events = team(config);
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
    let singles = [
        ("lease_ttl", watch().lease_ttl(Duration::MAX)),
        ("lease_ttl", watch().lease_ttl(over)),
        (
            "poll_interval",
            watch().poll_interval(over).lease_ttl(Duration::MAX),
        ),
    ];
    for (parameter, config) in singles {
        let mut events = client.watch_automation_runs("held", config);
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
    let longest = watch()
        .lease_ttl(MAX_WATCH_DURATION)
        .start(StartAt::Beginning);
    let mut events = team(
        TeamConfig::default()
            .watch(longest)
            .max_staleness(MAX_WATCH_DURATION)
            .discovery_interval(MAX_WATCH_DURATION),
    );
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

/// Bad options a single watch refuses, each named by its parameter.
fn bad_watch_options() -> Vec<(&'static str, WatchConfig)> {
    use resend_workflows::RunStatus;
    use resend_workflows_watch::Budget;
    let watch = WatchConfig::default;
    let second = Duration::from_secs(1);
    vec![
        ("poll_interval", watch().poll_interval(Duration::ZERO)),
        ("lease_ttl", watch().poll_interval(second).lease_ttl(second)),
        ("commit_every", watch().commit_every(0)),
        ("max_pages_per_poll", watch().max_pages_per_poll(0)),
        (
            "backfill_pages",
            watch().max_pages_per_poll(5).backfill_pages(6),
        ),
        ("budget", watch().budget(Budget::Share(0.0))),
        ("steps_for", watch().steps_for([RunStatus::Running])),
        ("holder", watch().holder("")),
        ("holder", watch().holder("two words")),
    ]
}

/// The first item of a stream that must refuse its options.
async fn refused<S, T, E>(mut events: S, unwrap: impl Fn(E) -> Error) -> ClientError
where
    S: futures::Stream<Item = Result<T, E>> + Unpin,
    T: std::fmt::Debug,
{
    use futures::StreamExt;
    // Bounded: options taken by mistake would start a watch that polls on.
    let within = Duration::from_secs(10);
    let first = match tokio::time::timeout(within, events.next()).await {
        Ok(Some(Err(e))) => unwrap(e),
        Ok(Some(Ok(event))) => panic!("an event, not a refusal: {event:?}"),
        Ok(None) => panic!("no item"),
        Err(_) => panic!("no refusal within {within:?}: the options were taken"),
    };
    assert!(first.ends_watch(), "{first}");
    let next = tokio::time::timeout(within, events.next()).await;
    assert!(matches!(next, Ok(None)), "the only item");
    match first {
        Error::Client(e) => e,
        other => panic!("{other}"),
    }
}

// The "one config value": the options a single and a team watch
// share are one `WatchConfig`, checked by one rule. A bad one is refused
// with the same `InvalidArgument` by its own check, by a single watch,
// and by a team watch given it (every automation's options), before
// anything is sent.
#[tokio::test]
async fn one_config_value_is_refused_alike_by_its_check_a_single_watch_and_a_team_watch() {
    use resend_workflows_watch::WatchClient;
    let fake = crate::common::fake().await;
    fake.seed_automation("shared", 0);
    let client = crate::common::client(&fake.base_url());
    for (parameter, config) in bad_watch_options() {
        let checked = config.check().expect_err(parameter);
        assert_eq!(checked.parameter(), parameter, "{checked}");
        let team = TeamConfig::default().watch(config.clone());
        assert_eq!(team.check(), Err(checked.clone()), "{parameter}");
        let single = client.watch_automation_runs("shared", config);
        let by_single = refused(single, |e| e).await;
        let by_team = refused(client.watch_automation_set(["shared"], team), |e| {
            e.into_error()
        })
        .await;
        let expected = ClientError::InvalidArgument(checked);
        assert_eq!(by_single.to_string(), expected.to_string(), "{parameter}");
        assert_eq!(by_team.to_string(), expected.to_string(), "{parameter}");
    }
    assert_eq!(fake.requests().len(), 0, "nothing was sent");
}

#[test]
fn a_team_config_refuses_a_staleness_below_its_watches_poll_interval() {
    let watch = WatchConfig::default().poll_interval(Duration::from_secs(10));
    let team = TeamConfig::default().watch(watch);
    assert_eq!(team.check(), Ok(()), "the default staleness, 60 s");
    let refused = team
        .clone()
        .max_staleness(Duration::from_secs(9))
        .check()
        .expect_err("below the poll interval");
    assert_eq!(refused.parameter(), "max_staleness", "{refused}");
    let equal = team.max_staleness(Duration::from_secs(10));
    assert_eq!(
        equal.check(),
        Ok(()),
        "backing off from the interval itself"
    );
    assert_eq!(
        equal.watch_config().check(),
        Ok(()),
        "the getter gives the watch's options back"
    );
}

// A team watch with no holder set draws one at random once, when its
// options are checked: every automation's lease is taken under it (a
// holder drawn per automation would make one replica many watchers).
#[tokio::test]
async fn a_team_watch_takes_every_automation_s_lease_under_one_holder_drawn_once() {
    use futures::StreamExt;
    use resend_workflows_watch::{Lease, MemoryStore, StateStore, WatchClient};
    let fake = crate::common::fake().await;
    let ids = ["one", "two", "three"];
    for id in ids {
        fake.seed_automation(id, 0);
    }
    let client = crate::common::client(&fake.base_url());
    let store = MemoryStore::new();
    let watch = WatchConfig::default()
        .poll_interval(Duration::from_millis(200))
        .store(store.clone());
    let mut events = client.watch_automation_set(ids, TeamConfig::default().watch(watch));
    // Polled (its watches take their leases) until all three are held.
    let all_held = async {
        while events.stats().leases < ids.len() {
            let wait = Duration::from_millis(100);
            if let Ok(item) = tokio::time::timeout(wait, events.next()).await {
                let item = item.expect("the watch goes on");
                assert!(item.is_ok(), "{item:?}");
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), all_held)
        .await
        .expect("every automation's lease held");
    // Who holds each: the store says so to another who asks.
    let mut holders = std::collections::BTreeSet::new();
    for id in ids {
        let key = format!("automations/{id}/runs");
        match store.acquire(&key, "probe", Duration::from_secs(1)).await {
            Ok(Lease::Taken { holder, .. }) => holders.insert(holder),
            other => panic!("{key}: {other:?}"),
        };
    }
    assert_eq!(holders.len(), 1, "one holder for the team: {holders:?}");
}
