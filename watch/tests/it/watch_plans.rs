//! The plans of a poll, differentially (proptest, paused clock): the same
//! schedule of runs created, moved, finished and deleted, with faults on
//! the way, played against a watch with each plan forced in turn (and the
//! cheapest chosen). Each tells the
//! same story of every run: `Started` once and first, then only statuses
//! the run had, then its `Finished` (with its final status) or its `Gone`
//! once and last; nothing lost. Only the requests differ.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use proptest::prelude::*;
use resend_workflows::{RetryPolicy, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::internals::{Forced, Plan};
use resend_workflows_watch::{MemoryStore, RunEvent, StartAt, WatchConfig};

use crate::common;

const POLL: Duration = Duration::from_secs(5);

/// Requests a step may take before the watch is taken for stuck (a plan
/// that waits for the full check needs a dozen polls).
const BUDGET: usize = 400;

/// What each play forces: nothing (the cheapest plan), each plan.
const FORCES: [Option<Forced>; 5] = [
    None,
    Some(Forced::Plan(Plan::Top)),
    Some(Forced::Plan(Plan::Terminal)),
    Some(Forced::Plan(Plan::Running)),
    Some(Forced::Plan(Plan::Retrieve)),
];

/// One step: runs created (in these statuses), then maybe more than a
/// page of runs that finish at once (the runs in flight end up below the
/// top page, where the plans differ), changes and deletions of runs not
/// final yet (an index among them), maybe a fault on the next requests.
#[derive(Debug, Clone)]
struct Step {
    created: Vec<u8>,
    filler: usize,
    changes: Vec<(usize, u8)>,
    deleted: Vec<usize>,
    fault: Option<(usize, u16)>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::collection::vec(any::<u8>(), 0..6),
        prop_oneof![2 => Just(0usize), 1 => 90usize..250],
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        proptest::collection::vec(any::<usize>(), 0..2),
        proptest::option::weighted(0.2, (1usize..3, prop_oneof![Just(503u16), Just(500)])),
    )
        .prop_map(|(created, filler, changes, deleted, fault)| Step {
            created,
            filler,
            changes,
            deleted,
            fault,
        })
}

/// What a run was on the fake: its statuses in turn, and whether it was
/// deleted.
#[derive(Debug, Clone, Default)]
struct Truth {
    statuses: Vec<RunStatus>,
    deleted: bool,
}

/// What a watch told of a run: `(kind, status)` in turn.
type Told = (&'static str, Option<RunStatus>);
type Story = Vec<Told>;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        max_shrink_iters: 32,
        max_shrink_time: 30_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_plan_tells_the_same_story_of_every_run(
        schedule in proptest::collection::vec(step(), 1..6),
    ) {
        // Each play's end of each run's story, by creation order.
        let mut endings: Vec<(Option<Forced>, Vec<Option<Told>>)> = Vec::new();
        for force in FORCES {
            let (truth, stories) = play(&schedule, force)
                .map_err(|e| TestCaseError::fail(format!("{force:?}: {e}")))?;
            check_stories(&truth, &stories).map_err(|e| TestCaseError::fail(format!("{force:?}: {e}")))?;
            // The end of each run's story, by creation order.
            endings.push((force, stories.iter().map(|s| s.last().cloned()).collect()));
        }
        let (first, reference) = &endings[0];
        for (force, ending) in &endings[1..] {
            prop_assert_eq!(ending, reference, "{:?} vs {:?}", force, first);
        }
    }
}

/// Each story against what the run was: `Started` once and first;
/// `Changed` only to a status it had; `Finished` with its final status,
/// or `Gone` when deleted before it finished, once and last; a run that
/// exists and is not final has neither.
fn check_stories(truth: &[Truth], stories: &[Story]) -> Result<(), String> {
    for (n, (run, story)) in truth.iter().zip(stories).enumerate() {
        let final_status = run.statuses.last().filter(|s| s.is_terminal());
        let Some((first, rest)) = story.split_first() else {
            // A run created and deleted between two polls: never seen.
            if run.deleted {
                continue;
            }
            return Err(format!("run {n} was never reported: {run:?}"));
        };
        if first.0 != "started" || rest.iter().any(|e| e.0 == "started") {
            return Err(format!("run {n}: Started not once and first: {story:?}"));
        }
        let ends = story
            .iter()
            .filter(|e| e.0 == "finished" || e.0 == "gone")
            .count();
        match (final_status, run.deleted) {
            (Some(done), _) if story.last() == Some(&("finished", Some(done.clone()))) => {}
            // Deleted before it finished: gone, or never seen final.
            (None, true) if story.last().is_some_and(|e| e.0 == "gone") => {}
            (Some(_), true) if story.last().is_some_and(|e| e.0 == "gone") => {}
            (None, false) if ends == 0 => {}
            _ => return Err(format!("run {n}: the end of {story:?} is not {run:?}")),
        }
        if ends > 1 {
            return Err(format!("run {n} ended twice: {story:?}"));
        }
        for (kind, status) in story {
            if let Some(status) = status
                && !run.statuses.contains(status)
            {
                return Err(format!("run {n}: {kind} {status} it never had: {run:?}"));
            }
        }
    }
    Ok(())
}

/// Plays `schedule` against a watch with `force`; what each run was and
/// what the watch told of it, by creation order.
fn play(schedule: &[Step], force: Option<Forced>) -> Result<(Vec<Truth>, Vec<Story>), String> {
    let env = common::prop_env(6);
    let fake = &env.fake;
    let id = common::unique_id("planned");
    fake.add_automation(&id, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
        let mut config = WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(MemoryStore::new());
        if let Some(force) = force {
            config = config.force(force);
        }
        let mut events = client.watch_automation_runs(&id, config);
        let mut ids: Vec<String> = Vec::new();
        let mut truth: Vec<Truth> = Vec::new();
        let mut stories: HashMap<String, Story> = HashMap::new();
        for step in schedule {
            for code in &step.created {
                let run = fake
                    .start_automation_run(&id, common::status(*code))
                    .unwrap();
                ids.push(run.id);
                truth.push(Truth {
                    statuses: vec![run.status],
                    deleted: false,
                });
            }
            for _ in 0..step.filler {
                let run = fake
                    .start_automation_run(&id, RunStatus::Completed)
                    .unwrap();
                ids.push(run.id);
                truth.push(Truth {
                    statuses: vec![run.status],
                    deleted: false,
                });
            }
            let open = |truth: &[Truth]| -> Vec<usize> {
                (0..truth.len())
                    .filter(|&i| {
                        !truth[i].deleted && !truth[i].statuses.last().unwrap().is_terminal()
                    })
                    .collect()
            };
            for (pick, code) in &step.changes {
                let open = open(&truth);
                let Some(&i) = open.get(pick % open.len().max(1)) else {
                    break;
                };
                let next = common::status(*code);
                fake.set_run_status(&id, &ids[i], next.clone());
                truth[i].statuses.push(next);
            }
            for pick in &step.deleted {
                let open = open(&truth);
                let Some(&i) = open.get(pick % open.len().max(1)) else {
                    break;
                };
                fake.delete_run(&id, &ids[i]);
                truth[i].deleted = true;
            }
            fake.clear_faults();
            if let Some((n, code)) = step.fault {
                fake.fail_next(n, code);
            }
            fake.clear_requests();
            // A watch that lost something polls on without an event: a 403
            // after the budget, yielded, fails the case instead of hanging.
            fake.fail_after(BUDGET, 403);
            // Polls done when the step began: the one going on may have
            // read before the changes, the next reads after them.
            let polls_before = events.stats().polls;
            let mut finishes_late = None;
            loop {
                // Every plan sees a final status within those two polls
                // (a deletion, or a status the crate does not know, may
                // wait for the full check).
                let finished = truth.iter().zip(&ids).all(|(run, rid)| {
                    let now = run.statuses.last().unwrap();
                    run.deleted
                        || !now.is_terminal()
                        || stories
                            .get(rid)
                            .and_then(|s| s.last())
                            .is_some_and(|(kind, status)| {
                                *kind == "finished" && status.as_ref() == Some(now)
                            })
                });
                let polls = events.stats().polls - polls_before;
                if !finished && polls > 2 {
                    finishes_late.get_or_insert(polls);
                }
                let caught_up = truth.iter().zip(&ids).all(|(run, rid)| {
                    let last = stories.get(rid).and_then(|s| s.last());
                    let now = run.statuses.last().unwrap();
                    match last {
                        Some(("gone", _)) => true,
                        Some((kind, Some(status))) if run.deleted => {
                            *kind == "finished" && now == status
                        }
                        None if run.deleted => true,
                        Some((kind, Some(status))) if now.is_terminal() => {
                            *kind == "finished" && status == now
                        }
                        Some((_, Some(status))) => status == now,
                        _ => false,
                    }
                });
                // A deleted run the watch saw in flight must come to its
                // end: its `Gone`.
                let pending_gone = truth.iter().zip(&ids).any(|(run, rid)| {
                    run.deleted
                        && stories
                            .get(rid)
                            .and_then(|s| s.last())
                            .is_some_and(|(kind, _)| *kind != "gone" && *kind != "finished")
                });
                if caught_up && !pending_gone {
                    if let Some(polls) = finishes_late {
                        return Err(format!(
                            "a final status took over {polls} polls: {truth:?} vs {stories:?}"
                        ));
                    }
                    break;
                }
                let item = events.next().await.ok_or("the watch ended")?;
                if fake.requests().len() > BUDGET {
                    return Err(format!(
                        "stuck: {} requests in a step; {truth:?} vs {stories:?}",
                        fake.requests().len()
                    ));
                }
                let Ok(event) = item else { continue };
                let told = match &event {
                    RunEvent::Gone { .. } => None,
                    e => Some(e.status().clone()),
                };
                stories
                    .entry(event.run_id().to_owned())
                    .or_default()
                    .push((event.kind(), told));
            }
        }
        let stories = ids
            .iter()
            .map(|rid| stories.remove(rid).unwrap_or_default())
            .collect();
        Ok((truth, stories))
    });
    fake.clear_faults();
    result
}
