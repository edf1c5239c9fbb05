//! Every automation of a team in one watch: events that name their
//! automation, automations found and dropped while it runs, quiet ones
//! backing off, and all of them inside one budget, every request counted.
//!
//! In real time, scaled down (intervals of a fraction of a second): on
//! tokio's paused clock the time jumps to the next timer whenever the
//! runtime idles, and with many automations there is always another's
//! timer while an answer is on its way, so paused time flew by hundreds
//! of seconds during one loopback answer (a single watch keeps no timer
//! beside its requests; a team of them cannot). Bounds are loose by a
//! quarter for these noisy machines, and every wait is bounded by the
//! fake's request budget or a deadline.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{AutomationStatus, Budget, Client, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{
    MemoryStore, Removal, RunEvent, StartAt, TeamConfig, TeamEvent, TeamStream, WatchConfig,
};
use tokio::time::Instant;

use crate::common;

/// The next event; an error fails the test. Bounded by the fake's request
/// budget (`fail_after`): past it every answer is a 403, an error here.
async fn next(events: &mut TeamStream) -> TeamEvent {
    match tokio::time::timeout(Duration::from_secs(30), events.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("unexpected error: {e}"),
        Ok(None) => panic!("the team watch ended"),
        Err(_) => panic!("no event in 30 s"),
    }
}

/// The next event that is not a run's, within `limit` of paused time.
async fn next_change(events: &mut TeamStream, limit: Duration) -> TeamEvent {
    let t0 = Instant::now();
    loop {
        let event = next(events).await;
        assert!(t0.elapsed() <= limit, "{event:?} after {:?}", t0.elapsed());
        if !matches!(event, TeamEvent::Run { .. }) {
            return event;
        }
    }
}

/// Runs `events` for `span`, items dropped; an error fails the test.
async fn run_for(events: &mut TeamStream, span: Duration) {
    let end = tokio::time::sleep(span);
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut end => return,
            item = events.next() => match item {
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("unexpected error: {e}"),
                None => panic!("the team watch ended"),
            },
        }
    }
}

/// Drives `events`, items dropped, until every one of `ids` has been
/// listed once (bounded by the fake's request budget).
async fn until_listed(fake: &FakeResend, events: &mut TeamStream, ids: &[&str]) {
    while !ids.iter().all(|id| listings(fake).contains_key(*id)) {
        let step = tokio::time::sleep(Duration::from_millis(50));
        tokio::select! {
            () = step => {}
            item = events.next() => match item {
                Some(Ok(TeamEvent::Run { .. })) => panic!("no run was started yet"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("unexpected error: {e}"),
                None => panic!("the team watch ended"),
            },
        }
    }
}

/// A fake with automations `ids`, no runs yet, answering 2,000 requests
/// before a 403, and a client for it.
async fn team_of(ids: &[&str]) -> (common::Fake, Client) {
    let fake = common::fake().await;
    for id in ids {
        fake.seed_automation(id, 0);
    }
    fake.fail_after(2_000, 403);
    let client = common::client(&fake.base_url());
    (fake, client)
}

fn added(id: &str, start: StartAt) -> TeamEvent {
    TeamEvent::Added {
        automation: id.to_owned(),
        start,
    }
}

/// When each automation's runs were listed (the top page of a poll and
/// any other listing), from the fake's record.
fn listings(fake: &FakeResend) -> BTreeMap<String, Vec<Instant>> {
    let mut by = BTreeMap::<String, Vec<Instant>>::new();
    for r in fake.requests() {
        let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
        if let ["automations", id, "runs"] = parts.as_slice()
            && r.param("after").is_none()
            && r.param("status").is_none()
        {
            by.entry((*id).to_owned())
                .or_default()
                .push(Instant::from_std(r.at));
        }
    }
    by
}

/// A team watch of `watch` that looks often: an automation where runs
/// happen polled every 200 ms, a quiet one at least every 800 ms, the
/// team's automations listed again every second.
fn looks_often(watch: WatchConfig) -> TeamConfig {
    TeamConfig::default()
        .watch(watch.poll_interval(Duration::from_millis(200)))
        .max_staleness(Duration::from_millis(800))
        .discovery_interval(Duration::from_secs(1))
}

// Before: one watch per automation, merged by hand; events did not say
// which automation they came from, and a new automation was not watched
// until a restart.
#[tokio::test]
async fn every_event_names_its_automation_and_automations_come_and_go() {
    let (fake, client) = team_of(&["alpha", "bravo", "charlie"]).await;
    let mut events = client.watch_automations(looks_often(
        WatchConfig::default().store(MemoryStore::new()),
    ));
    let s = Duration::from_secs;
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(next(&mut events).await);
    }
    assert_eq!(
        first,
        [
            added("alpha", StartAt::Now),
            added("bravo", StartAt::Now),
            added("charlie", StartAt::Now)
        ]
    );

    // Let every watch take its first look, then a run starts in one.
    until_listed(&fake, &mut events, &["alpha", "bravo", "charlie"]).await;
    let run = fake
        .start_automation_run("bravo", RunStatus::Running)
        .unwrap();
    match next(&mut events).await {
        TeamEvent::Run {
            automation,
            event: RunEvent::Started(started),
        } => assert_eq!((automation.as_str(), started.id), ("bravo", run.id.clone())),
        other => panic!("expected bravo's start, got {other:?}"),
    }
    fake.set_run_status("bravo", &run.id, RunStatus::Failed);
    match next(&mut events).await {
        TeamEvent::Run {
            automation,
            event: RunEvent::Finished { run: done, .. },
        } => assert_eq!(
            (automation.as_str(), done.id, done.status),
            ("bravo", run.id.clone(), RunStatus::Failed)
        ),
        other => panic!("expected bravo's finish, got {other:?}"),
    }

    // A new automation, created now, with a run already: found by the next
    // look and read from its beginning, so that run is not lost.
    let mut def = resend_workflows::fake::generate_automation("delta");
    def.created_at = chrono::Utc::now().into();
    fake.define_automation(&def);
    fake.seed_automation("delta", 0);
    let early = fake
        .start_automation_run("delta", RunStatus::Completed)
        .unwrap();
    assert_eq!(
        next_change(&mut events, s(3)).await,
        added("delta", StartAt::Beginning)
    );
    let mut delta_runs = Vec::new();
    while delta_runs.is_empty() {
        if let TeamEvent::Run { automation, event } = next(&mut events).await {
            assert_eq!(automation, "delta");
            delta_runs.push(event.run_id().to_owned());
        }
    }
    assert_eq!(delta_runs, [early.id]);

    // One deleted, one disabled: each dropped, saying why.
    assert!(fake.delete_automation("alpha"));
    assert!(fake.set_automation_status("charlie", AutomationStatus::Disabled));
    let mut dropped = Vec::new();
    for _ in 0..2 {
        dropped.push(next_change(&mut events, s(3)).await);
    }
    dropped.sort_by_key(|e| e.automation().to_owned());
    assert_eq!(
        dropped,
        [
            TeamEvent::Removed {
                automation: "alpha".into(),
                reason: Removal::Deleted
            },
            TeamEvent::Removed {
                automation: "charlie".into(),
                reason: Removal::Disabled
            },
        ]
    );
    assert_eq!(events.stats().automations, 2, "bravo and delta");
}

/// The widest gap between two of `at`.
fn widest_gap(at: &[Instant]) -> Duration {
    at.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
}

// Before: quiet automations cost as much as busy ones: 20 idle ones at
// 5 s were 4 requests a second doing nothing. Here at a 25th of the scale:
// 200 ms for 5 s.
#[tokio::test]
async fn quiet_automations_back_off_to_their_staleness_and_a_busy_one_keeps_its_interval() {
    let fake = common::fake().await;
    let ids: Vec<String> = (0..20).map(|i| format!("quiet-{i:02}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    fake.seed_automation("busy", 0);
    // A run always in flight in "busy", followed from the start.
    fake.start_automation_run("busy", RunStatus::Running)
        .unwrap();
    fake.fail_after(2_000, 403);
    let client = common::client(&fake.base_url());
    let ms = Duration::from_millis;
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .start(StartAt::Running)
                    .poll_interval(ms(200))
                    .budget(Budget::PerSecond(50.0))
                    .store(MemoryStore::new()),
            )
            .max_staleness(ms(1600)),
    );
    run_for(&mut events, Duration::from_secs(16)).await;
    let seen = listings(&fake);
    let busy = &seen["busy"];
    let span = *busy.last().unwrap() - busy[0];
    assert!(span > Duration::from_secs(14), "ran {span:?}");
    // Polled every 200 ms all along.
    let per_poll = span / u32::try_from(busy.len() - 1).unwrap();
    assert!(
        per_poll >= ms(195) && per_poll <= ms(250),
        "busy: a poll every {per_poll:?}"
    );
    for id in &ids {
        let at = &seen[id];
        // Polls at 0, 0.2, 0.6, 1.4 s, then every 1.6 s.
        let widest = widest_gap(at);
        assert!(
            widest >= ms(1550) && widest <= ms(2200),
            "{id}: widest gap {widest:?}, the staleness is 1.6 s"
        );
        // A loaded machine starts each poll a little late: a fifth fewer
        // at most; never more than the cadence allows.
        let expected = 4.0 + (span.as_secs_f64() - 1.4) / 1.6;
        #[allow(clippy::cast_precision_loss)]
        let got = at.len() as f64;
        assert!(
            got >= expected * 0.8 && got <= expected + 1.0,
            "{id}: {got} polls in {span:?}, about {expected:.1}"
        );
    }
}

// The bound on paper: each poll costs a request, so N quiet automations
// on a budget of B requests a second are each polled about every N / B
// seconds when the staleness asks for more often; the budget holds in
// every window and no automation starves.
#[tokio::test]
async fn many_quiet_automations_on_a_small_budget_are_each_polled_about_every_n_over_b() {
    let fake = common::fake().await;
    let n = 40;
    let ids: Vec<String> = (0..n).map(|i| format!("q-{i:03}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    fake.fail_after(2_000, 403);
    let client = common::client(&fake.base_url());
    let b = 20.0;
    let ms = Duration::from_millis;
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(ms(200))
                    .budget(Budget::PerSecond(b))
                    .store(MemoryStore::new()),
            )
            .max_staleness(ms(400)),
    );
    run_for(&mut events, Duration::from_secs(20)).await;
    let requests = fake.requests();
    // The budget in every 1 s window: at most B, one more for the
    // window's edge.
    let at: Vec<Instant> = requests.iter().map(|r| Instant::from_std(r.at)).collect();
    let widest = at
        .iter()
        .map(|start| {
            at.iter()
                .filter(|t| **t >= *start && **t - *start < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert!(
        (18..=21).contains(&widest),
        "{widest} requests in the busiest 1 s window, budget 20"
    );
    // N / B = 2 s; the pacer's spacing is 2% wider.
    #[allow(clippy::cast_precision_loss)]
    let bound = Duration::from_secs_f64(n as f64 / b * 1.02);
    let span = *at.last().unwrap() - at[0];
    let seen = listings(&fake);
    for id in &ids {
        let polls = &seen[id];
        let widest = widest_gap(polls);
        assert!(
            widest >= bound.mul_f64(0.9) && widest <= bound.mul_f64(1.2),
            "{id}: widest gap {widest:?}, about N/B = {bound:?}"
        );
        let expected = span.as_secs_f64() / bound.as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let got = polls.len() as f64;
        assert!(
            got >= expected * 0.8 && got <= expected + 1.5,
            "{id}: {got} polls in {span:?}, about {expected:.1}"
        );
    }
    let stats = events.stats();
    assert!(
        stats.lag >= ms(1000),
        "the lag says the budget sets the pace: {:?}",
        stats.lag
    );
}

// State per automation: a file each in a FileStore's folder, committed
// with the single watch's rule, so a restart goes on from each one's own
// state: nothing lost, nothing reported twice once committed.
#[tokio::test]
async fn each_automation_s_state_is_its_own_file_and_a_restart_goes_on_from_it() {
    let (fake, client) = team_of(&["one", "two"]).await;
    let dir = common::TempDir::new("team-files");
    let watch = || {
        client.watch_automations(looks_often(
            WatchConfig::default()
                .holder("replica-a")
                .store(resend_workflows_watch::FileStore::new(dir.path())),
        ))
    };
    let mut events = watch();
    until_listed(&fake, &mut events, &["one", "two"]).await;
    let first = fake
        .start_automation_run("one", RunStatus::Completed)
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        if let TeamEvent::Run { automation, event } = next(&mut events).await {
            got.push((automation, event.kind(), event.run_id().to_owned()));
        }
    }
    assert_eq!(
        got,
        [
            ("one".to_owned(), "started", first.id.clone()),
            ("one".to_owned(), "finished", first.id.clone())
        ]
    );
    // Asking for more commits what was yielded; then the process "ends".
    run_for(&mut events, Duration::from_millis(500)).await;
    drop(events);
    let store = resend_workflows_watch::FileStore::new(dir.path());
    for id in ["one", "two"] {
        let key = format!("automations/{id}/runs");
        assert!(store.path(&key).exists(), "{id}'s own file");
    }
    // While it was down, a run started in each.
    let in_one = fake
        .start_automation_run("one", RunStatus::Running)
        .unwrap();
    let in_two = fake
        .start_automation_run("two", RunStatus::Running)
        .unwrap();
    let mut events = watch();
    let mut started = Vec::new();
    while started.len() < 2 {
        if let TeamEvent::Run { automation, event } = next(&mut events).await {
            assert_eq!(event.kind(), "started", "{automation}: {event:?}");
            started.push((automation, event.run_id().to_owned()));
        }
    }
    started.sort();
    assert_eq!(
        started,
        [("one".to_owned(), in_one.id), ("two".to_owned(), in_two.id)],
        "the runs of the downtime, and not the first run again"
    );
}

// Bad arguments are rejected before a request is sent: the first and only
// item, one that ends the watch.
#[tokio::test]
async fn bad_arguments_are_the_only_item_and_nothing_is_sent() {
    let fake = common::fake().await;
    fake.seed_automation("ok", 0);
    let client = common::client(&fake.base_url());
    let ms = Duration::from_millis;
    let empty: [&str; 0] = [];
    let team = TeamConfig::default;
    let watch = |config: WatchConfig| team().watch(config);
    let all = |config| client.watch_automations(config);
    let cases = [
        ("automation_ids", client.watch_automation_set(empty, team())),
        (
            "automation_id",
            client.watch_automation_set(["ok", "not an id"], team()),
        ),
        (
            "max_staleness",
            all(watch(WatchConfig::default().poll_interval(ms(500))).max_staleness(ms(400))),
        ),
        (
            "discovery_interval",
            all(team().discovery_interval(ms(999))),
        ),
        (
            "poll_interval",
            all(watch(WatchConfig::default().poll_interval(ms(0)))),
        ),
        ("holder", all(watch(WatchConfig::default().holder("")))),
        ("budget_key", all(team().budget_key("a b"))),
        (
            "budget",
            all(watch(WatchConfig::default().budget(Budget::Share(0.0)))),
        ),
    ];
    for (parameter, mut events) in cases {
        let error = match events.next().await {
            Some(Err(e)) => e,
            other => panic!("{parameter}: {other:?}"),
        };
        assert!(error.ends_watch(), "{parameter}: {error}");
        assert_eq!(error.automation(), None);
        match error.error() {
            resend_workflows_watch::Error::Client(resend_workflows::Error::InvalidArgument(e)) => {
                assert_eq!(e.parameter(), parameter, "{error}");
            }
            other => panic!("{parameter}: {other}"),
        }
        assert!(events.next().await.is_none(), "{parameter}: the only item");
    }
    assert_eq!(fake.requests().len(), 0, "nothing was sent");
}

// The slow case of the budget: a team limit of 2 requests a second, one
// of them spent by the service's own sends, so the whole team watch has
// 1 a second for eight automations (two with runs, six quiet): no request
// of the team is refused, the watch keeps to its half in every 10 s
// window, and every run is told, late but whole.
#[tokio::test]
async fn a_team_on_two_requests_a_second_shared_with_sends_gives_way_and_tells_every_run() {
    let fake = common::fake().await;
    let ids: Vec<String> = (0..8).map(|i| format!("slow-{i}")).collect();
    for id in &ids {
        fake.seed_automation(id, 0);
    }
    fake.enforce_rate_limit(2, Duration::from_secs(1));
    fake.share_rate_limit(1);
    fake.fail_after(2_000, 403);
    let client = common::client(&fake.base_url());
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(Duration::from_secs(1))
                    .store(MemoryStore::new()),
            )
            .max_staleness(Duration::from_secs(4))
            .discovery_interval(Duration::from_secs(5)),
    );
    until_listed(
        &fake,
        &mut events,
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let t0 = std::time::Instant::now();
    let mut runs = Vec::new();
    let mut told = std::collections::BTreeSet::new();
    let tell = |told: &mut std::collections::BTreeSet<_>, event: TeamEvent| {
        if let TeamEvent::Run { automation, event } = event {
            told.insert((automation, event.kind(), event.run_id().to_owned()));
        }
    };
    for round in 0..6 {
        let id = &ids[round % 2];
        let run = fake.start_automation_run(id, RunStatus::Running).unwrap();
        runs.push((id.clone(), run.id));
        let pause = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                event = next(&mut events) => tell(&mut told, event),
            }
        }
    }
    for (id, run) in &runs {
        fake.set_run_status(id, run, RunStatus::Completed);
    }
    while told.len() < runs.len() * 2 {
        tell(&mut told, next(&mut events).await);
    }
    for (id, run) in &runs {
        for kind in ["started", "finished"] {
            assert!(
                told.contains(&(id.clone(), kind, run.clone())),
                "{id} {kind} {run}"
            );
        }
    }
    let requests = fake.requests();
    assert!(
        requests.iter().all(|r| !r.refused || r.at < t0),
        "a request of the watch was refused: the team's sends had the other half"
    );
    let at: Vec<std::time::Instant> = requests.iter().map(|r| r.at).filter(|t| *t >= t0).collect();
    let busiest = at
        .iter()
        .map(|s| {
            at.iter()
                .filter(|t| **t >= *s && **t < *s + Duration::from_secs(10))
                .count()
        })
        .max()
        .unwrap_or(0);
    // The sends take one of each window's two, arriving anywhere in it:
    // the default budget gives way, spending at most the one they leave
    // (half of it, 5 in 10 s, once an answer shows them; a watch that
    // begins each window sees them only after it, and the one it takes
    // is theirs to spare), and no send is refused.
    let traffic = fake.traffic();
    eprintln!("{busiest} requests in the busiest 10 s; {traffic:?}");
    assert!(
        (4..=11).contains(&busiest),
        "{busiest} requests in the busiest 10 s window; what the sends leave is 10"
    );
    assert_eq!(traffic.sends.refused, 0, "a send was refused: {traffic:?}");
}

// Issue 28, case 14: discovery compared the local clock with the server's
// `created_at`. A server whose clock reads an hour behind ours: an
// automation created after the first look was taken for an old one and
// started `Now`, and its first run was never told.
#[tokio::test]
async fn an_automation_created_after_the_first_look_starts_at_its_beginning_whatever_the_clocks() {
    let fake = common::fake().await;
    let hour_behind = |secs: i64| -> resend_workflows::Timestamp {
        (chrono::Utc::now() - chrono::Duration::seconds(3_600 - secs)).into()
    };
    let mut old = resend_workflows::fake::generate_automation("old");
    old.created_at = hour_behind(-600);
    fake.define_automation(&old);
    fake.seed_automation("old", 0);
    fake.fail_after(2_000, 403);
    let client = common::client(&fake.base_url());
    let mut events = client.watch_automations(looks_often(
        WatchConfig::default().store(MemoryStore::new()),
    ));
    assert_eq!(next(&mut events).await, added("old", StartAt::Now));
    until_listed(&fake, &mut events, &["old"]).await;
    // Created now, by the server's clock: an hour before ours.
    let mut new = resend_workflows::fake::generate_automation("new");
    new.created_at = hour_behind(0);
    fake.define_automation(&new);
    fake.seed_automation("new", 0);
    let early = fake
        .start_automation_run("new", RunStatus::Completed)
        .unwrap();
    assert_eq!(
        next_change(&mut events, Duration::from_secs(3)).await,
        added("new", StartAt::Beginning)
    );
    match next(&mut events).await {
        TeamEvent::Run { automation, event } => {
            assert_eq!(
                (automation.as_str(), event.run_id()),
                ("new", early.id.as_str())
            );
        }
        other => panic!("{other:?}"),
    }
}

// Issue 28, case 12, for discovery: one automation whose record does not
// decode failed the whole look, and no automation was watched.
#[tokio::test]
async fn an_automation_record_that_does_not_decode_is_one_error_and_the_others_are_watched() {
    use crate::common::raw::{self, Action};

    let automations = r#"{"object":"list","has_more":false,"data":[
        {"id":"good","name":"Good","status":"enabled","created_at":"2026-01-01 00:00:00+00"},
        {"id":"odd","name":"Odd","status":"enabled","created_at":"infinity"}]}"#;
    let runs = r#"{"object":"list","has_more":false,"data":[]}"#;
    let server = raw::start(move |req, _| {
        let body = if req.target.starts_with("/automations?") || req.target == "/automations" {
            automations
        } else {
            runs
        };
        Action::Raw(raw::json(200, &[], body))
    })
    .await;
    let client = common::client(&server.base_url);
    let mut events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(Duration::from_millis(200))
                    .store(MemoryStore::new()),
            )
            .discovery_interval(Duration::from_secs(60)),
    );
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
            Ok(Some(Ok(event))) => seen.push(format!("{event:?}")),
            Ok(Some(Err(e))) => {
                assert_eq!(e.automation(), Some("odd"), "{e}");
                let record = e.error().as_bad_record().expect("a bad record");
                assert_eq!((record.id(), record.field()), (Some("odd"), "created_at"));
                seen.push("bad odd".into());
            }
            other => panic!("{other:?} after {seen:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "bad odd".to_owned(),
            format!("{:?}", added("good", StartAt::Now))
        ]
    );
}

// Before: stats() said nothing of when an automation was last polled
// successfully, so a liveness alert needed logs or a metrics stack.
#[tokio::test]
async fn stats_tell_each_automation_s_last_successful_poll() {
    let (_fake, client) = team_of(&["alpha", "bravo"]).await;
    let mut events = client.watch_automations(
        TeamConfig::default().watch(
            WatchConfig::default()
                .poll_interval(Duration::from_millis(200))
                .store(MemoryStore::new()),
        ),
    );
    let before = std::time::SystemTime::now();
    assert_eq!(next(&mut events).await, added("alpha", StartAt::Now));
    assert_eq!(next(&mut events).await, added("bravo", StartAt::Now));
    let stats = events.stats();
    let none: BTreeMap<String, _> = [("alpha".into(), None), ("bravo".into(), None)].into();
    assert_eq!(stats.last_success, none, "none polled yet");
    // The team's budget (2.5 requests a second until it has seen the
    // others' traffic) polls both within a second or so: 3 s is ample.
    run_for(&mut events, Duration::from_secs(3)).await;
    let after = std::time::SystemTime::now();
    let stats = events.stats();
    assert_eq!(stats.automations, 2);
    for id in ["alpha", "bravo"] {
        let last = stats.last_success[id].expect("polled successfully");
        assert!(before <= last && last <= after, "{id}: {last:?}");
    }
    assert_eq!(stats.last_success.len(), 2);
}
