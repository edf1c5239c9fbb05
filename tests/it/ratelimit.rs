//! The team's rate limit, enforced by the fake as Resend does, on tokio's
//! paused clock. One listing is never refused and takes the bound
//! `ceil(requests / limit)` windows; four streams sharing a client get
//! every run once (four watches: the watch crate's tests/it/ratelimit.rs), each refusal waited out and retried.
//! (With several requests outstanding, the paused clock moves to the next
//! timer while they travel, so arrivals bunch up as no network would make
//! them: the pacing's claim, nothing refused after the first window, is
//! checked against the same windows in the gate's pacing property test
//! (`src/transport/gate/tests.rs`), and by the `ratelimit` benchmark on a
//! real clock.) A waiter that gives up gives its turn back.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::TryStreamExt;
use resend_workflows::{Client, RetryPolicy};
use tokio::time::Instant;

use crate::common::KEY;
use crate::common::raw;

use crate::common;

const WINDOW: Duration = Duration::from_secs(1);

fn client(fake: &resend_workflows::fake::FakeResend) -> Client {
    common::paused_client(&fake.base_url(), RetryPolicy::default())
}

/// Asserts `elapsed` is within 5% above the bound for `requests` at
/// `limit` a window, and no less than the last request's window start.
fn assert_near_bound(elapsed: Duration, requests: u32, limit: u32) {
    let windows = requests.div_ceil(limit);
    let bound = WINDOW * windows;
    assert!(
        elapsed >= WINDOW * (windows - 1),
        "{elapsed:?}: faster than the limit allows"
    );
    assert!(
        elapsed <= bound.mul_f64(1.05),
        "{elapsed:?}: over 5% above the bound {bound:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn one_listing_is_never_refused_and_takes_the_bound() {
    for limit in [2u32, 10] {
        let fake = common::fake().await;
        fake.seed_automation("big", 3_000);
        fake.enforce_rate_limit(limit.into(), WINDOW);
        let t0 = Instant::now();
        let runs: Vec<_> = client(&fake)
            .list_automation_runs("big")
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(runs.len(), 3_000);
        assert_eq!(fake.requests().len(), 30, "one request a page");
        assert_eq!(fake.rate_limited(), (0, 0), "limit {limit}");
        assert_near_bound(t0.elapsed(), 30, limit);
    }
}

#[tokio::test(start_paused = true)]
async fn four_streams_on_one_client_share_the_limit() {
    let fake = common::fake().await;
    let ids: Vec<String> = (0..4).map(|i| format!("a{i}")).collect();
    for id in &ids {
        fake.seed_automation(id, 750);
    }
    fake.enforce_rate_limit(4, WINDOW);
    let client = client(&fake);
    let t0 = Instant::now();
    let counts = futures::future::join_all(ids.iter().map(|id| {
        let stream = client.list_automation_runs(id).stream();
        async move { stream.try_collect::<Vec<_>>().await.unwrap().len() }
    }))
    .await;
    assert_eq!(counts, [750; 4]);
    let (refused, _) = fake.rate_limited();
    let pages = 4 * 8;
    assert_eq!(
        fake.requests().len(),
        pages + usize::try_from(refused).unwrap(),
        "one request a page, and one more for each refused"
    );
    assert!(
        t0.elapsed() >= Duration::from_secs(7),
        "32 requests at 4 a second"
    );
}

// A dropped waiter once kept its rate slot: 100 timed-out calls at
// 1 request/s made the next call wait 98 s while the server was idle.
#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_gives_its_rate_slot_back() {
    let server = raw::scripted(vec![raw::json(200, &[], &raw::list(false, &["a"]))]).await;
    let http = crate::common::reqwest_builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .http_client(http)
        .no_timeout()
        .requests_per_second(1.0)
        .build()
        .unwrap();
    let t0 = Instant::now();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                tokio::time::timeout(
                    Duration::from_secs(2),
                    client.list_workflow_runs("wf").send(),
                )
                .await
            })
        })
        .collect();
    for call in calls {
        let _ = call.await.unwrap();
    }
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    let sent = server.requests.load(Ordering::SeqCst);
    assert!((2..=3).contains(&sent), "{sent} requests in 2 s at 1/s");
    client.list_workflow_runs("wf").send().await.unwrap();
    assert!(
        t0.elapsed() <= Duration::from_secs(3),
        "the next call waited until {:?}",
        t0.elapsed()
    );
}

// The learned pace once never relaxed: one answer naming a limit of 1,
// then answers naming 100, and 20 requests took 20.4 s instead of ~2 s.
#[tokio::test(start_paused = true)]
async fn the_learned_pace_relaxes_when_the_limit_rises() {
    let list = raw::list(false, &["a"]);
    let server = raw::scripted(vec![
        raw::json(
            200,
            &[
                ("ratelimit-limit", "1"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "1"),
            ],
            &list,
        ),
        raw::json(
            200,
            &[
                ("ratelimit-limit", "100"),
                ("ratelimit-remaining", "99"),
                ("ratelimit-reset", "1"),
            ],
            &list,
        ),
    ])
    .await;
    let client = crate::common::paused_client(&server.base_url, RetryPolicy::default());
    let t0 = Instant::now();
    for _ in 0..20 {
        client.list_workflow_runs("wf").send().await.unwrap();
    }
    // The used-up window waited out (1 s), the slot taken at the old pace
    // (1.02 s), then 18 at 100 a second (10.2 ms each, 11 ms on tokio's
    // millisecond clock).
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_millis(2_200) && elapsed <= Duration::from_millis(2_250),
        "{elapsed:?}"
    );
    assert_eq!(server.requests.load(Ordering::SeqCst), 20);
}

/// When each request arrived at a server whose every answer carries only
/// the structured fields: `RateLimit-Policy: <policy>` and nothing left
/// for a second (`RateLimit: "default";r=0;t=1`).
type Arrivals = std::sync::Arc<std::sync::Mutex<Vec<Instant>>>;

/// A server answering as [`Arrivals`] says, and its arrivals.
async fn structured_server(policy: &'static str) -> (raw::RawServer, Arrivals) {
    let arrivals = Arrivals::default();
    let seen = arrivals.clone();
    let answer = raw::json(
        200,
        &[
            ("RateLimit-Policy", policy),
            ("RateLimit", r#""default";r=0;t=1"#),
        ],
        &raw::list(false, &["a"]),
    );
    let server = raw::start(move |_, _| {
        seen.lock().unwrap().push(Instant::now());
        raw::Action::Raw(answer.clone())
    })
    .await;
    (server, arrivals)
}

// Answers in the IETF draft's structured form only were not read: with
// `RateLimit: "default";r=0;t=1` (nothing left for a second) the next
// request went out at once, 0.6 ms later, and earned a 429 from a server
// that meant it.
#[tokio::test(start_paused = true)]
async fn the_structured_fields_alone_hold_the_next_request() {
    let (server, arrivals) = structured_server(r#""default";q=2;w=1"#).await;
    let client = crate::common::paused_client(&server.base_url, RetryPolicy::default());
    let page = client.list_workflow_runs("wf").send().await.unwrap();
    let answered = Instant::now();
    let read = page
        .rate_limit()
        .copied()
        .expect("the structured fields read");
    assert_eq!(
        (read.limit, read.remaining, read.reset, read.window),
        (Some(2), Some(0), Some(WINDOW), Some(WINDOW))
    );
    client.list_workflow_runs("wf").send().await.unwrap();
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1].saturating_duration_since(answered);
    assert!(
        gap >= Duration::from_millis(995) && gap <= Duration::from_millis(1_100),
        "the second request went out {gap:?} after the first answer"
    );
}

// The window an answer names sets the pace: 2 requests in 10 s are 5.1 s
// apart, even when the reset reads 1 (the window's last second), which
// alone once stood for a one-second window (510 ms apart).
#[tokio::test(start_paused = true)]
async fn a_named_window_paces_requests_over_it() {
    let (server, arrivals) = structured_server(r#""default";q=2;w=10"#).await;
    let client = crate::common::paused_client(&server.base_url, RetryPolicy::default());
    for _ in 0..3 {
        client.list_workflow_runs("wf").send().await.unwrap();
    }
    let arrivals = arrivals.lock().unwrap().clone();
    let gap = arrivals[2].saturating_duration_since(arrivals[1]);
    assert!(
        gap >= Duration::from_millis(5_100) && gap <= Duration::from_millis(5_200),
        "the third request went out {gap:?} after the second"
    );
}
