//! The watch at the floor, against the fake on tokio's paused clock: what
//! a finish carries, where a watch starts, what its budget allows beside
//! the team's other calls, when polls start, and the defects of the watch
//! before plans, each with the case that showed it. (The plans themselves
//! are in `watch_plans.rs` and the poll machine's own tests.)

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Budget, RetryPolicy, RunStatus};
use resend_workflows_watch::Error;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{MemoryStore, RunEvent, StartAt, WatchConfig, WatchErrorKind};
use serde_json::json;
use tokio::time::Instant;

use crate::common::{self, raw};
use crate::watch::{BUDGET, client, finished, run_requests, started, take};

const POLL: Duration = Duration::from_secs(5);

/// Creates `in_flight` running runs of `id`, then `filler` completed ones
/// above them: the runs in flight end up below the top page.
fn deep(fake: &FakeResend, id: &str, in_flight: usize, filler: usize) -> Vec<String> {
    let ids = (0..in_flight)
        .map(|_| {
            fake.start_automation_run(id, RunStatus::Running)
                .unwrap()
                .id
        })
        .collect();
    for _ in 0..filler {
        fake.start_automation_run(id, RunStatus::Completed).unwrap();
    }
    ids
}

// The watch retrieved a finished run with its steps, then dropped them: a
// service that reacts to failures had to fetch each failed run again.
#[tokio::test(start_paused = true)]
async fn a_failed_finish_carries_its_steps_and_a_completed_one_none() {
    let fake = common::fake().await;
    fake.add_automation("steps", &[]);
    let client = client(&fake);
    let mut events = client.watch_automation_runs(
        "steps",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .steps_for([RunStatus::Failed])
            .store(MemoryStore::new()),
    );
    let first = fake
        .start_automation_run("steps", RunStatus::Completed)
        .unwrap();
    assert_eq!(
        take(&mut events, 2).await[0],
        started(&first.id, "completed")
    );
    let a = fake
        .start_automation_run("steps", RunStatus::Running)
        .unwrap();
    let b = fake
        .start_automation_run("steps", RunStatus::Running)
        .unwrap();
    assert_eq!(
        take(&mut events, 2).await,
        [started(&a.id, "running"), started(&b.id, "running")]
    );
    let bounce = json!({"message": "The recipient's address bounced."});
    assert!(fake.fail_run("steps", &a.id, "send_welcome", bounce.clone()));
    fake.set_run_status("steps", &b.id, RunStatus::Completed);
    fake.clear_requests();
    let mut ends = Vec::new();
    while ends.len() < 2 {
        let event = events.next().await.unwrap().unwrap();
        if let RunEvent::Finished { run, steps } = event {
            ends.push((run.id, run.status, steps));
        }
    }
    // The completed one first: the failed one's steps took a retrieve.
    ends.sort_by_key(|(id, ..)| id != &a.id);
    let (id, status, steps) = &ends[0];
    assert_eq!((id, status), (&a.id, &RunStatus::Failed));
    let steps = steps.as_ref().expect("the failed run's steps");
    let failing: Vec<_> = steps
        .iter()
        .filter(|s| s.error.is_some())
        .map(|s| {
            (
                s.key.as_deref(),
                s.error.clone().map(serde_json::Value::Object),
            )
        })
        .collect();
    assert_eq!(failing, [(Some("send_welcome"), Some(bounce))]);
    assert_eq!(
        (&ends[1].0, &ends[1].1, &ends[1].2),
        (&b.id, &RunStatus::Completed, &None),
        "no steps asked for completed runs"
    );
    // The top page, and one retrieve for the failed run's steps.
    assert_eq!(run_requests(&fake, "steps"), 2);
}

// A service switching stores started its new watch `Now`, and lost the
// outcome of every run already in flight.
#[tokio::test(start_paused = true)]
async fn starting_now_can_follow_the_runs_already_running() {
    let fake = common::fake().await;
    fake.add_automation("switch", &[]);
    let done = fake
        .start_automation_run("switch", RunStatus::Completed)
        .unwrap();
    let r1 = fake
        .start_automation_run("switch", RunStatus::Running)
        .unwrap();
    let r2 = fake
        .start_automation_run("switch", RunStatus::Running)
        .unwrap();
    let client = client(&fake);
    let mut following = client.watch_automation_runs(
        "switch",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Running)
            .store(MemoryStore::new()),
    );
    // The runs running at the start (a listing of them, newest first);
    // not the one that had finished.
    assert_eq!(
        take(&mut following, 2).await,
        [started(&r2.id, "running"), started(&r1.id, "running")]
    );
    fake.set_run_status("switch", &r1.id, RunStatus::Failed);
    let r3 = fake
        .start_automation_run("switch", RunStatus::Running)
        .unwrap();
    fake.set_run_status("switch", &r2.id, RunStatus::Completed);
    let mut got = take(&mut following, 3).await;
    got.sort();
    let mut expected = [
        finished(&r1.id, "failed"),
        finished(&r2.id, "completed"),
        started(&r3.id, "running"),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert!(got.iter().all(|(_, id, _)| *id != done.id));
}

// One busy automation took half a team's budget or more, and the watch set
// no limit of its own: a service could not both watch and send.
#[tokio::test(start_paused = true)]
async fn the_budget_holds_beside_the_team_s_own_sends_and_the_lag_says_it_stretched() {
    let fake = common::fake().await;
    fake.add_automation("busy", &[]);
    let in_flight = deep(&fake, "busy", 300, 150);
    // A team limit of 2 a second, of which the service's own sends take 1.
    fake.enforce_rate_limit(2, Duration::from_secs(1));
    fake.share_rate_limit(1);
    fake.fail_after(BUDGET, 403);
    let client = common::paused_client(&fake.base_url(), RetryPolicy::default());
    let mut events = client.watch_automation_runs(
        "busy",
        WatchConfig::default()
            .poll_interval(Duration::from_secs(2))
            .start(StartAt::Running)
            .budget(Budget::Share(0.5))
            .store(MemoryStore::new()),
    );
    assert_eq!(take(&mut events, 300).await.len(), 300);
    let mut lag = Duration::ZERO;
    let mut told: HashMap<String, String> = HashMap::new();
    // Six rounds of 30 runs finishing, while the watch polls every 2 s: a
    // poll costs a few pages, more than 2 s of its budget.
    for round in 0..6 {
        let finishing = &in_flight[round * 30..(round + 1) * 30];
        for (i, id) in finishing.iter().enumerate() {
            let status = if i % 10 == 0 {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            };
            fake.set_run_status("busy", id, status);
        }
        while !finishing.iter().all(|id| told.contains_key(id)) {
            let event = match events.next().await.unwrap() {
                Ok(event) => event,
                Err(e) => panic!("round {round}: {e}"),
            };
            lag = lag.max(events.stats().lag);
            told.insert(event.run_id().to_owned(), event.kind().to_owned());
        }
    }
    // Nothing lost: each finished run's `Finished`, and nothing else.
    assert_eq!(told.len(), 180);
    assert!(told.values().all(|kind| kind == "finished"), "{told:?}");
    // The budget (1 a second) held over every 10 s window, and nothing of
    // the team's was refused.
    let at: Vec<Instant> = fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/automations/busy/runs"))
        .map(|r| Instant::from_std(r.at))
        .collect();
    let widest = at
        .iter()
        .map(|&t0| {
            at.iter()
                .filter(|&&t| t >= t0 && t < t0 + Duration::from_secs(10))
                .count()
        })
        .max()
        .unwrap();
    assert!(
        (9..=10).contains(&widest),
        "{widest} requests in a 10 s window"
    );
    assert_eq!(fake.rate_limited(), (0, 0), "nothing refused");
    // The floor did not fit in 2 s of budget: the interval stretched, and
    // the lag said so.
    assert!(lag > Duration::from_secs(1), "lag {lag:?}");
    eprintln!(
        "budget: {} requests, widest 10 s window {widest}, lag up to {lag:?}",
        at.len()
    );
}

// The next poll started a whole interval after the last one ended: a poll
// that took 20 s ran every 25 s.
#[tokio::test(start_paused = true)]
async fn polls_start_an_interval_apart_and_one_that_overruns_is_followed_at_once() {
    for (work, expected_gap, expected_lag) in [
        // The consumer's 2 x 1.5 s: the poll fits in the interval.
        (1_500, POLL, Duration::ZERO),
        // 2 x 3 s: it overruns by 1 s, the next starts at once, 1 s late.
        (3_000, Duration::from_secs(6), Duration::from_secs(1)),
    ] {
        let fake = common::fake().await;
        fake.add_automation("timed", &[]);
        let client = client(&fake);
        let mut events = client.watch_automation_runs(
            "timed",
            WatchConfig::default()
                .poll_interval(POLL)
                .start(StartAt::Beginning)
                .store(MemoryStore::new()),
        );
        fake.start_automation_run("timed", RunStatus::Completed)
            .unwrap();
        let mut lags = Vec::new();
        for _ in 0..4 {
            // A new run each poll; the consumer works on each event.
            for _ in 0..2 {
                events.next().await.unwrap().unwrap();
                tokio::time::sleep(Duration::from_millis(work)).await;
            }
            lags.push(events.stats().lag);
            fake.start_automation_run("timed", RunStatus::Completed)
                .unwrap();
        }
        let tops: Vec<Instant> = fake
            .requests()
            .iter()
            .filter(|r| r.path == "/automations/timed/runs" && r.param("after").is_none())
            .map(|r| Instant::from_std(r.at))
            .collect();
        let gaps: Vec<Duration> = tops.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.len() >= 3, "{gaps:?}");
        for gap in &gaps {
            assert!(
                *gap >= expected_gap && *gap <= expected_gap + Duration::from_millis(2),
                "work {work} ms: polls {gaps:?} apart, expected {expected_gap:?}"
            );
        }
        let lag = *lags.last().unwrap();
        assert!(
            lag >= expected_lag && lag <= expected_lag + Duration::from_millis(2),
            "work {work} ms: lag {lags:?}, expected {expected_lag:?}"
        );
    }
}

// 300 runs in a status the crate did not know cost 302 requests a poll:
// one retrieve each, every poll.
#[tokio::test(start_paused = true)]
async fn runs_in_a_status_the_crate_does_not_know_cost_no_request_each() {
    let fake = common::fake().await;
    fake.add_automation("odd", &[]);
    let client = client(&fake);
    let mut events = client.watch_automation_runs(
        "odd",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(MemoryStore::new()),
    );
    let odd = deep(&fake, "odd", 300, 0);
    assert_eq!(take(&mut events, 300).await.len(), 300);
    for id in &odd {
        fake.set_run_status("odd", id, RunStatus::Unknown("waiting".into()));
    }
    // 150 finished runs on top: the 300 are below the top page.
    for _ in 0..150 {
        fake.start_automation_run("odd", RunStatus::Completed)
            .unwrap();
    }
    let mut changed = 0;
    while changed < 300 {
        if events.next().await.unwrap().unwrap().kind() == "changed" {
            changed += 1;
        }
    }
    // From here on nothing changes: 24 polls, a new run at each.
    fake.clear_requests();
    let polls = events.stats().polls;
    for _ in 0..24 {
        let z = fake
            .start_automation_run("odd", RunStatus::Completed)
            .unwrap();
        assert_eq!(take(&mut events, 2).await[0], started(&z.id, "completed"));
    }
    let polled = events.stats().polls - polls;
    let requests = run_requests(&fake, "odd");
    // The top page each poll, and a full check every 12 polls (the list
    // down to the oldest of them: 5 pages), never a retrieve.
    let retrieves = fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/automations/odd/runs/"))
        .count();
    assert_eq!(retrieves, 0);
    eprintln!("unknown statuses: {requests} requests in {polled} polls");
    assert!(
        (24..=24 * 3 + 2 * 5).contains(&requests),
        "{requests} requests in {polled} polls"
    );
    assert!((24..=25).contains(&polled), "{polled}");
}

// A run deleted while in flight got `Started` and then nothing, ever.
#[tokio::test(start_paused = true)]
async fn a_run_deleted_in_flight_ends_with_gone_once_confirmed() {
    let fake = common::fake().await;
    fake.add_automation("del", &[]);
    let client = client(&fake);
    let mut events = client.watch_automation_runs(
        "del",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(MemoryStore::new()),
    );
    let runs = deep(&fake, "del", 3, 150);
    assert_eq!(take(&mut events, 3 + 300).await.len(), 303);
    assert!(fake.delete_run("del", &runs[1]));
    let polls = events.stats().polls;
    let event = loop {
        let event = events.next().await.unwrap().unwrap();
        if event.kind() != "started" && event.kind() != "finished" {
            break event;
        }
    };
    assert_eq!(
        (event.kind(), event.run_id(), event.status()),
        ("gone", runs[1].as_str(), &RunStatus::Running)
    );
    assert!(event.run().is_none());
    // Confirmed: looked for twice, at two polls.
    let polled = events.stats().polls - polls;
    eprintln!("gone after {polled} polls");
    assert!((1..=3).contains(&polled), "{polled} polls");
    // The others are still followed; nothing more about the gone one.
    fake.set_run_status("del", &runs[0], RunStatus::Completed);
    fake.set_run_status("del", &runs[2], RunStatus::Completed);
    let mut ends = take(&mut events, 2).await;
    ends.sort();
    let mut expected = [
        finished(&runs[0], "completed"),
        finished(&runs[2], "completed"),
    ];
    expected.sort();
    assert_eq!(ends, expected);
}

// `has_more: true` forever with fresh ids made one poll endless: 371
// requests, ~74,000 events buffered after 8 s, nothing yielded.
#[tokio::test(start_paused = true)]
async fn a_server_with_pages_without_end_ends_a_poll_at_its_bound() {
    let server = raw::start(|_, n| {
        let ids: Vec<String> = (0..100)
            .map(|i| format!("00000000-0000-4000-8000-{:012x}", n * 100 + i))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        raw::Action::Raw(raw::json(200, &[], &raw::list(true, &ids)))
    })
    .await;
    let client = common::paused_client(&server.base_url, RetryPolicy::default());
    let mut events = client.watch_automation_runs(
        "c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd",
        WatchConfig::default()
            .poll_interval(POLL)
            .max_pages_per_poll(40)
            .store(MemoryStore::new()),
    );
    let mut yielded = 0;
    let (pages, elapsed) = loop {
        match events.next().await.unwrap() {
            Ok(_) => yielded += 1,
            Err(Error::Watch(e)) => match e.kind() {
                WatchErrorKind::PollTooLong { pages, elapsed } => break (*pages, *elapsed),
                other => panic!("{other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
        let sent = server.requests.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent <= 200, "{sent} requests, {yielded} events, no bound");
    };
    let sent = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    // Five polls read the top page (100 new runs each); the sixth reads
    // the look-back window, as deep as the server says it goes: to the
    // bound, what it found reported before the error.
    assert_eq!(pages, 40);
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    assert_eq!(sent, 1 + 5 + 40);
    assert_eq!(yielded, 2 * 100 * (5 + 40));
    // The watch goes on: the next poll is an item, not a hang.
    assert!(events.next().await.is_some());
}

/// `t`, `secs` seconds earlier.
fn earlier(t: resend_workflows::Timestamp, secs: i64) -> resend_workflows::Timestamp {
    (t.as_datetime() - chrono::Duration::seconds(secs)).into()
}

// A run that appeared below the newest run seen (a late insert, or a clock
// that reads earlier) was never reported.
#[tokio::test(start_paused = true)]
async fn late_runs_within_the_look_back_window_are_found_and_older_ones_are_not() {
    let fake = common::fake().await;
    fake.add_automation("late", &[]);
    let client = client(&fake);
    let mut events = client.watch_automation_runs(
        "late",
        WatchConfig::default()
            .poll_interval(POLL)
            .start(StartAt::Beginning)
            .store(MemoryStore::new()),
    );
    let newest = fake
        .start_automation_run("late", RunStatus::Completed)
        .unwrap();
    assert_eq!(take(&mut events, 2).await.len(), 2);
    // 10 s late, near the top: the next poll, oldest first.
    let late = fake
        .insert_automation_run("late", RunStatus::Running, earlier(newest.created_at, 10))
        .unwrap();
    let z = fake
        .start_automation_run("late", RunStatus::Completed)
        .unwrap();
    assert_eq!(
        take(&mut events, 3).await,
        [
            started(&late.id, "running"),
            started(&z.id, "completed"),
            finished(&z.id, "completed"),
        ]
    );
    // 20 s late, below 120 newer runs (past the top page): the window is
    // read every few polls.
    for _ in 0..120 {
        fake.start_automation_run("late", RunStatus::Completed)
            .unwrap();
    }
    assert_eq!(take(&mut events, 240).await.len(), 240);
    let top = fake
        .start_automation_run("late", RunStatus::Completed)
        .unwrap();
    let deep_late = fake
        .insert_automation_run("late", RunStatus::Completed, earlier(top.created_at, 20))
        .unwrap();
    // Older than the look-back window (30 s): past what the watch looks
    // for, never reported.
    let too_late = fake
        .insert_automation_run("late", RunStatus::Completed, earlier(top.created_at, 45))
        .unwrap();
    let polls = events.stats().polls;
    let mut found_at = None;
    let mut seen = Vec::new();
    for _ in 0..8 {
        let z = fake
            .start_automation_run("late", RunStatus::Completed)
            .unwrap();
        loop {
            let event = events.next().await.unwrap().unwrap();
            seen.push(event.run_id().to_owned());
            if event.run_id() == deep_late.id {
                found_at.get_or_insert(events.stats().polls - polls);
            }
            if event.run_id() == z.id && event.kind() == "finished" {
                break;
            }
        }
    }
    let found_at = found_at.expect("the late run below the top page");
    assert!((1..=6).contains(&found_at), "found at poll {found_at}");
    assert_eq!(
        seen.iter().filter(|id| **id == deep_late.id).count(),
        2,
        "started, finished"
    );
    assert!(!seen.contains(&too_late.id));
}
