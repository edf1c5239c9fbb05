//! The watch's guarantee as a property (proptest, paused clock): random
//! schedules of run creations and status changes on the fake, random
//! consumer crashes (the stream dropped at any point, a new one started
//! from the store) and injected faults. Every run's `Started` and
//! `Finished` are delivered at least once, in that order, nothing is lost,
//! and a duplicate appears only for events after the last commit. The
//! hostile variant plays the same schedules with a consumer slower than
//! the lease, polls longer than it (a team limit of one request a
//! second), and a store whose operations fail.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{Lease, Renewal, StateStore, StoreError, WatchConfig, WatchState};

use futures::StreamExt;
use proptest::prelude::*;
use resend_workflows::{AutomationRunListItem, RetryPolicy, RunStatus};
use resend_workflows_watch::{MemoryStore, RunEvent, StartAt};

use crate::common;

const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// Requests a step may take before the watch is taken for stuck.
const BUDGET: usize = 300;

/// Items (events and errors) a step may take before the watch is taken for
/// stuck: a watch that yields only errors sends no request.
const ITEMS: usize = 2_000;

/// One step of a schedule: runs created (in these statuses), changes to
/// runs not final yet (an index among them, a status), maybe a fault on
/// the next requests, maybe a crash after some events; in the hostile
/// variant also the consumer's work on each event and store operations
/// that fail.
#[derive(Debug, Clone)]
struct Step {
    created: Vec<u8>,
    changes: Vec<(usize, u8)>,
    fault: Option<(usize, u16)>,
    crash_after: Option<usize>,
    work_ms: u64,
    store_faults: usize,
}

/// How hostile a case's conditions are.
#[derive(Debug, Clone, Copy)]
struct Conditions {
    /// The poll interval and the lease's time-to-live.
    poll: Duration,
    ttl: Duration,
    /// The team limit the fake enforces, requests a second.
    limit: Option<u64>,
}

/// The default conditions: a 5 s interval, a 60 s lease, no limit.
const CALM: Conditions = Conditions {
    poll: POLL,
    ttl: resend_workflows_watch::DEFAULT_LEASE_TTL,
    limit: None,
};

/// A 1 s interval and a 2 s lease, under a team limit of one request a
/// second: a poll of a few pages outlasts the lease.
const HOSTILE: Conditions = Conditions {
    poll: Duration::from_secs(1),
    ttl: Duration::from_secs(2),
    limit: Some(1),
};

/// A store whose next operations fail, as many as `failing` says.
#[derive(Debug, Clone, Default)]
struct Flaky {
    inner: MemoryStore,
    failing: Arc<AtomicUsize>,
}

impl Flaky {
    fn fails(&self) -> bool {
        self.failing
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    fn injected<T: Send + 'static>(&self) -> Option<BoxFuture<'static, Result<T, StoreError>>> {
        self.fails().then(|| {
            Box::pin(async { Err(StoreError::from("injected store failure")) })
                as BoxFuture<'static, Result<T, StoreError>>
        })
    }
}

impl StateStore for Flaky {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        self.injected()
            .unwrap_or_else(|| self.inner.acquire(key, holder, ttl))
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.injected()
            .unwrap_or_else(|| self.inner.renew(key, holder, token, ttl))
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.injected()
            .unwrap_or_else(|| self.inner.commit(key, holder, token, ttl, state))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.injected()
            .unwrap_or_else(|| self.inner.release(key, holder, token))
    }
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::collection::vec(any::<u8>(), 0..5),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        proptest::option::weighted(
            0.2,
            (1usize..3, prop_oneof![Just(503u16), Just(500), Just(403)]),
        ),
        proptest::option::weighted(0.3, 0usize..6),
        prop_oneof![Just(0u64), 100u64..3_000],
        prop_oneof![Just(0usize), 1usize..4],
    )
        .prop_map(
            |(created, changes, fault, crash_after, work_ms, store_faults)| Step {
                created,
                changes,
                fault,
                crash_after,
                work_ms,
                store_faults,
            },
        )
}

/// One delivered event: its epoch (a watcher's life), whether it was
/// committed when that watcher died, and what it was.
#[derive(Debug, Clone)]
struct Delivered {
    epoch: usize,
    kind: &'static str,
    id: String,
    status: RunStatus,
    committed: bool,
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        // A broken watch fails every case it touches: shrinking is bounded
        // so the suite fails in seconds instead of minutes.
        max_shrink_iters: 32,
        max_shrink_time: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_start_and_finish_is_delivered_at_least_once_in_order(
        schedule in proptest::collection::vec(step(), 1..6),
    ) {
        check_schedule(3, &schedule, CALM)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        max_shrink_iters: 32,
        max_shrink_time: 20_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_slow_consumer_long_polls_and_a_failing_store_lose_nothing(
        schedule in proptest::collection::vec(step(), 1..5),
    ) {
        check_schedule(5, &schedule, HOSTILE)?;
    }
}

/// A run that went `waiting` and back to `running` while the consumer had
/// not committed the `waiting`: the watch restarted from the store knows
/// it as `running`, as it is now, and rightly says nothing more. (Found by
/// the property test, whose oracle once waited for a second `running`.)
#[test]
fn a_change_undone_before_a_restart_is_not_waited_for() {
    let step = |created: Vec<u8>, changes: Vec<(usize, u8)>, crash_after| Step {
        created,
        changes,
        fault: None,
        crash_after,
        work_ms: 0,
        store_faults: 0,
    };
    let schedule = [
        step(vec![188, 42], vec![], None),
        step(
            vec![],
            vec![(9010428486274281703, 20), (9631119416903254370, 114)],
            None,
        ),
        step(vec![6], vec![(3242073755600524238, 49)], Some(0)),
    ];
    // Its own fake: the faults and request counts are the fake's, not a case's.
    check_schedule(4, &schedule, CALM).unwrap();
}

/// Plays `schedule` on the fake against a watch that may crash and
/// restart, and checks what it delivered. `slot` names the fake: one
/// test at a time per slot.
fn check_schedule(
    slot: usize,
    schedule: &[Step],
    conditions: Conditions,
) -> Result<(), TestCaseError> {
    let env = common::prop_env(slot);
    let fake = &env.fake;
    let id = common::unique_id("watched");
    fake.add_automation(&id, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let delivered = rt.block_on(async {
        if let Some(limit) = conditions.limit {
            // Counted on this case's paused clock.
            fake.enforce_rate_limit(limit, Duration::from_secs(1));
        }
        let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
        let flaky = Flaky::default();
        let store = flaky.inner.clone();
        let key = format!("automations/{id}/runs");
        let start = || {
            client
                .watch_automation_runs(&id, WatchConfig::default()
                .poll_interval(conditions.poll)
                .lease_ttl(conditions.ttl)
                .start(StartAt::Beginning)
                .store(flaky.clone()))
        };
        let mut events = start();
        let mut epoch = 0;
        let mut delivered: Vec<Delivered> = Vec::new();
        // This epoch's events, with the committed state seen before each.
        let mut epoch_start = 0;
        let mut last_commit = store.get(&key);
        let mut committed_upto = 0; // events of `delivered` committed
        // The fake's runs: id -> current status.
        let mut runs: Vec<(String, RunStatus)> = Vec::new();
        for step in schedule {
            for code in &step.created {
                let run = fake.start_automation_run(&id, common::status(*code)).unwrap();
                runs.push((run.id, run.status));
            }
            for (pick, code) in &step.changes {
                let open: Vec<usize> = (0..runs.len())
                    .filter(|&i| !runs[i].1.is_terminal())
                    .collect();
                if open.is_empty() {
                    break;
                }
                let i = open[pick % open.len()];
                let next = common::status(*code);
                fake.set_run_status(&id, &runs[i].0, next.clone());
                runs[i].1 = next;
            }
            fake.clear_faults();
            if let Some((n, code)) = step.fault {
                fake.fail_next(n, code);
            }
            if conditions.limit.is_some() {
                flaky.failing.store(step.store_faults, Ordering::Release);
            }
            // A watch that has lost something polls on without an
            // event: after this many requests it is answered a 403,
            // which it yields, and the case fails instead of hanging.
            fake.clear_requests();
            fake.fail_after(BUDGET, 403);
            let mut in_step = 0;
            // Pull until the watch has told everything the fake holds.
            loop {
                // What this watcher knows of a run: its own events,
                // and those an earlier watcher committed to the store.
                let caught_up = runs.iter().all(|(rid, now)| {
                    let last = delivered
                        .iter()
                        .rev()
                        .find(|d| &d.id == rid && (d.epoch == epoch || d.committed));
                    match last {
                        None => false,
                        Some(d) if now.is_terminal() => d.kind == "finished" && &d.status == now,
                        Some(d) => &d.status == now,
                    }
                });
                if caught_up {
                    break;
                }
                if step.crash_after == Some(in_step) {
                    // The consumer dies: what was not committed may come again.
                    drop(events);
                    for d in &mut delivered[epoch_start..] {
                        d.committed = false;
                    }
                    for d in &mut delivered[epoch_start..committed_upto.max(epoch_start)] {
                        d.committed = true;
                    }
                    epoch += 1;
                    epoch_start = delivered.len();
                    committed_upto = delivered.len();
                    events = start();
                }
                let item = events.next().await.expect("a watch never ends on its own");
                // A commit happened inside that call if the store moved:
                // every event delivered before it is committed.
                let now = store.get(&key);
                if now != last_commit {
                    committed_upto = delivered.len();
                    last_commit = now;
                }
                in_step += 1;
                if fake.requests().len() > BUDGET || in_step > ITEMS {
                    return Err(format!(
                        "the watch is stuck: {} requests and {in_step} items in a step, {runs:?} vs {delivered:?}",
                        fake.requests().len()
                    ));
                }
                let Ok(event) = item else { continue };
                // The consumer's work on the event (hostile: often longer
                // than the lease).
                if conditions.limit.is_some() && step.work_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(step.work_ms)).await;
                }
                delivered.push(Delivered {
                    epoch,
                    kind: event.kind(),
                    id: event.run_id().to_owned(),
                    status: event.status().clone(),
                    committed: true,
                });
                let _: &RunEvent<AutomationRunListItem> = &event;
            }
        }
        fake.clear_faults();
        fake.lift_rate_limit();
        Ok((delivered, runs))
    });
    let (delivered, runs) = match delivered {
        Ok(found) => found,
        Err(stuck) => {
            fake.clear_faults();
            fake.lift_rate_limit();
            return Err(TestCaseError::fail(stuck));
        }
    };
    // Nothing lost: every run started; every final run finished.
    for (rid, now) in &runs {
        prop_assert!(
            delivered
                .iter()
                .any(|d| &d.id == rid && d.kind == "started"),
            "{rid} never started"
        );
        if now.is_terminal() {
            prop_assert!(
                delivered
                    .iter()
                    .any(|d| &d.id == rid && d.kind == "finished"),
                "{rid} never finished"
            );
        }
    }
    // In order, within each watcher's life: Started before anything
    // else about a run (or in an earlier life), Finished the last.
    let epochs = delivered.iter().map(|d| d.epoch).max().unwrap_or(0);
    for epoch in 0..=epochs {
        let mut state: HashMap<&str, &str> = HashMap::new();
        for d in delivered.iter().filter(|d| d.epoch == epoch) {
            let before = state.get(d.id.as_str()).copied();
            let started_earlier = delivered
                .iter()
                .any(|e| e.epoch < epoch && e.id == d.id && e.kind == "started");
            match (d.kind, before) {
                ("started", None) => {}
                ("started", Some(k)) => {
                    prop_assert!(false, "{} started twice in one life (after {k})", d.id)
                }
                (_, Some("finished")) => {
                    prop_assert!(false, "{} {} after finished", d.id, d.kind)
                }
                (_, None) => {
                    prop_assert!(started_earlier, "{} {} before started", d.id, d.kind)
                }
                _ => {}
            }
            state.insert(d.id.as_str(), d.kind);
        }
    }
    // Duplicates of Started and Finished only for what was not committed.
    for (i, d) in delivered.iter().enumerate() {
        if d.kind == "changed" {
            continue;
        }
        let again = delivered[i + 1..]
            .iter()
            .any(|e| e.id == d.id && e.kind == d.kind);
        prop_assert!(
            !again || !d.committed,
            "{} {} repeated after it was committed",
            d.id,
            d.kind
        );
    }
    common::assert_answers_valid(fake);
    Ok(())
}
