//! The `metrics` feature: a watch on the fake, its metrics read from the
//! facade's debugging recorder, installed on the test's thread alone (a
//! current-thread runtime on tokio's paused clock runs everything there).

use std::time::UNIX_EPOCH;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use resend_workflows::RunStatus;
use resend_workflows_watch::MemoryStore;

use crate::common;
use crate::watch::{backfill_of_three, client, finished, started, take, watch};

/// Every metric recorded: name, labels (sorted), value.
type Recorded = Vec<(String, Vec<(String, String)>, DebugValue)>;

fn recorded(snapshotter: &Snapshotter) -> Recorded {
    let mut all: Recorded = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    all
}

/// The value of the metric `name` with exactly `labels`; panics, listing
/// what was recorded, when there is none.
fn value<'a>(all: &'a Recorded, name: &str, labels: &[(&str, &str)]) -> &'a DebugValue {
    let mut wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wanted.sort();
    all.iter()
        .find(|(n, l, _)| n == name && *l == wanted)
        .map(|(_, _, v)| v)
        .unwrap_or_else(|| panic!("no {name} {labels:?} among {all:#?}"))
}

fn counter(all: &Recorded, name: &str, labels: &[(&str, &str)]) -> u64 {
    match value(all, name, labels) {
        DebugValue::Counter(n) => *n,
        other => panic!("{name} is not a counter: {other:?}"),
    }
}

fn gauge(all: &Recorded, name: &str, labels: &[(&str, &str)]) -> f64 {
    match value(all, name, labels) {
        DebugValue::Gauge(g) => g.into_inner(),
        other => panic!("{name} is not a gauge: {other:?}"),
    }
}

fn histogram(all: &Recorded, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    match value(all, name, labels) {
        DebugValue::Histogram(h) => h.iter().map(|v| v.into_inner()).collect(),
        other => panic!("{name} is not a histogram: {other:?}"),
    }
}

/// Names of every metric recorded.
fn names(all: &Recorded) -> Vec<&str> {
    let mut names: Vec<&str> = all.iter().map(|(n, _, _)| n.as_str()).collect();
    names.dedup();
    names
}

/// Runs `test` on a current-thread runtime on tokio's paused clock, with
/// the debugging recorder installed on this thread: what it returned, and
/// every metric recorded.
fn recording<T>(test: impl std::future::Future<Output = T>) -> (T, Recorded) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let out = metrics::with_local_recorder(&recorder, || runtime.block_on(test));
    (out, recorded(&snapshotter))
}

#[test]
fn a_watch_on_the_fake_records_its_requests_events_and_429s_exactly() {
    let ((stats, fake_requests, polled_at, seeded_ids), all) = recording(async {
        let fake = common::fake().await;
        let seeded = fake.seed_automation("a", 3);
        let client = client(&fake);
        let mut events = watch(&client, "a", &MemoryStore::new());
        assert_eq!(take(&mut events, 5).await, backfill_of_three(&seeded));
        // The next poll's first request is answered 429, and retried.
        fake.fail_next(1, 429);
        let x = fake
            .start_automation_run("a", RunStatus::Completed)
            .unwrap();
        assert_eq!(
            take(&mut events, 2).await,
            [started(&x.id, "completed"), finished(&x.id, "completed")]
        );
        let stats = events.stats();
        let polled_at = std::time::SystemTime::now();
        events.shutdown().await.unwrap();
        let mut ids: Vec<String> = seeded.into_iter().map(|r| r.id).collect();
        ids.push(x.id);
        (stats, fake.requests().len(), polled_at, ids)
    });
    let list = [("operation", "list_automation_runs")];
    let ok = [
        ("operation", "list_automation_runs"),
        ("outcome", "success"),
    ];
    let a = [("automation", "a")];
    // Two polls of one request each (an idle list's top page), the second
    // sent twice: once answered 429, then retried.
    assert_eq!(fake_requests, 3, "the fake's count");
    assert_eq!(counter(&all, "resend_workflows_requests_total", &ok), 2);
    assert_eq!(
        counter(&all, "resend_workflows_request_attempts_total", &list),
        3
    );
    assert_eq!(
        counter(&all, "resend_workflows_rate_limited_responses_total", &list),
        1
    );
    // On the paused clock: the first call took no time; the retried one
    // waited for its lane's next turn, 1.02 / 10 s after the attempt
    // before it (the default budget spends at least a hundredth of the
    // team's limit, 1,000 a second on the fake), or for its own backoff
    // (full jitter, at most 250 ms) if longer.
    let durations = histogram(&all, "resend_workflows_request_duration_seconds", &ok);
    assert_eq!(durations.len(), 2);
    assert_eq!(durations[0], 0.0);
    assert!(
        (0.102..=0.25).contains(&durations[1]),
        "the lane's spacing, or the retry's backoff: {durations:?}"
    );
    // The watch: its events by kind, polls, the lane's requests.
    let started_ = [("automation", "a"), ("kind", "started")];
    let finished_ = [("automation", "a"), ("kind", "finished")];
    assert_eq!(
        counter(&all, "resend_workflows_watch_events_total", &started_),
        4
    );
    assert_eq!(
        counter(&all, "resend_workflows_watch_events_total", &finished_),
        3
    );
    // The second poll had not ended: it ends when the consumer asks for
    // the item after its last.
    assert_eq!(counter(&all, "resend_workflows_watch_polls_total", &a), 1);
    assert_eq!(stats.polls, 1);
    let lane = [("lane", "watch automations/a/runs")];
    assert_eq!(
        counter(&all, "resend_workflows_lane_requests_total", &lane),
        3
    );
    assert_eq!(stats.requests, 3);
    // No error was yielded: none recorded.
    assert!(
        !names(&all).contains(&"resend_workflows_watch_errors_total"),
        "{all:#?}"
    );
    // The lease: held, then given back at the shutdown.
    assert_eq!(gauge(&all, "resend_workflows_watch_lease_held", &a), 0.0);
    // The second poll started on time.
    assert_eq!(gauge(&all, "resend_workflows_watch_lag_seconds", &a), 0.0);
    // The last successful poll: the same time stats() tells, in seconds.
    let last = stats.last_success.expect("a poll succeeded");
    assert!(last <= polled_at, "{last:?} after {polled_at:?}");
    let last = last.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert_eq!(
        gauge(
            &all,
            "resend_workflows_watch_last_success_timestamp_seconds",
            &a
        ),
        last
    );
    // The budget the lane may spend, in requests a second, set at each
    // turn: the default's before it has seen the team's other calls (two
    // and a half a window, but never under a hundredth of the limit).
    let budget = gauge(
        &all,
        "resend_workflows_lane_budget_requests_per_second",
        &lane,
    );
    assert_eq!(budget, 10.0);
    // No label carries the key, a run id or a header: the recorded ones
    // are the operation, outcome, automation, kind and lane.
    for (name, labels, _) in &all {
        for (key, value) in labels {
            assert!(
                ["operation", "outcome", "automation", "kind", "lane"].contains(&key.as_str()),
                "{name}: {key}"
            );
            assert!(!value.contains(common::KEY), "{name}: the key leaked");
            assert!(
                seeded_ids.iter().all(|id| !value.contains(id.as_str())),
                "{name}: a run id in {value}"
            );
        }
    }
    // Every metric recorded is one the modules document (the client's
    // or the watch's).
    for name in names(&all) {
        assert!(
            resend_workflows::metrics::ALL
                .iter()
                .chain(resend_workflows_watch::metrics::ALL)
                .any(|m| m.name == name),
            "{name} is in neither crate's metrics::ALL"
        );
    }
}

#[test]
fn a_failed_poll_is_an_error_by_kind_and_keeps_the_last_success() {
    let ((failed, later), all) = recording(async {
        let fake = common::fake().await;
        let seeded = fake.seed_automation("b", 1);
        let client = client(&fake);
        let mut events = watch(&client, "b", &MemoryStore::new());
        assert_eq!(
            take(&mut events, 1).await,
            [started(&seeded[0].id, "running")]
        );
        // The next poll's request is refused (403: not retried).
        fake.fail_next(1, 403);
        let error = futures::TryStreamExt::try_next(&mut events)
            .await
            .expect_err("the poll fails");
        assert_eq!(error.as_api().map(|a| a.status().as_u16()), Some(403));
        let failed = events.stats();
        // The poll after it finds a new run (a poll ends when the
        // consumer asks for the item after its last).
        let x = fake.start_automation_run("b", RunStatus::Running).unwrap();
        assert_eq!(take(&mut events, 1).await, [started(&x.id, "running")]);
        let later = events.stats();
        events.shutdown().await.unwrap();
        (failed, later)
    });
    let b = [("automation", "b")];
    // The first poll ended (a success) when the error was asked for.
    assert_eq!(failed.polls, 1);
    let first = failed.last_success.expect("the first poll succeeded");
    // The second poll failed: the last success stays the first's.
    assert_eq!(later.polls, 2);
    assert_eq!(later.last_success, Some(first));
    assert_eq!(counter(&all, "resend_workflows_watch_polls_total", &b), 2);
    assert_eq!(
        counter(
            &all,
            "resend_workflows_watch_errors_total",
            &[("automation", "b"), ("kind", "api")]
        ),
        1
    );
    let refused = [
        ("operation", "list_automation_runs"),
        ("outcome", "client_error"),
    ];
    assert_eq!(
        counter(&all, "resend_workflows_requests_total", &refused),
        1
    );
    let last = first.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert_eq!(
        gauge(
            &all,
            "resend_workflows_watch_last_success_timestamp_seconds",
            &b
        ),
        last
    );
}
