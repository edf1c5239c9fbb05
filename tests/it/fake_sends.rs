//! The fake tells the truth about the team's sends: `POST /emails` is
//! counted against the team's limit with the reads, in arrival order, and
//! a scripted `Sender` sends real requests on tokio's clock.

use std::time::Duration;

use resend_workflows::fake::{Caller, SendPlan, Tally};

use crate::common;

fn tally(sent: u64, refused: u64) -> Tally {
    let mut t = Tally::default();
    t.sent = sent;
    t.refused = refused;
    t
}

// The team's own sends alone, below the limit: never refused.
#[tokio::test(start_paused = true)]
async fn sends_at_9_a_second_under_a_limit_of_10_are_never_refused() {
    let fake = common::fake().await;
    fake.enforce_rate_limit(10, Duration::from_secs(1));
    let t0 = tokio::time::Instant::now();
    let mut sender = fake.send_emails(SendPlan::per_second(9).lasting(Duration::from_secs(5)));
    assert_eq!(sender.finished().await, tally(45, 0));
    assert_eq!(sender.finished().await, tally(45, 0), "finished stays so");
    assert_eq!(sender.errors(), 0);
    // On the paused clock, each send arrives when it is due.
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let traffic = fake.traffic();
    assert_eq!((traffic.sends, traffic.reads), (tally(45, 0), tally(0, 0)));
    assert_eq!(fake.rate_limited(), (0, 0));
    let requests = fake.requests();
    assert_eq!(requests.len(), 45);
    assert!(
        requests
            .iter()
            .all(|r| r.caller == Caller::Sends && r.path == "/emails" && !r.refused)
    );
}

// Bursts of 15 a second for 2 s every 4 s, 5 a second between, under a
// limit of 10: each burst second's last 5 sends are emails lost.
#[tokio::test(start_paused = true)]
async fn a_burst_above_the_limit_loses_exactly_the_sends_past_it_in_each_window() {
    let fake = common::fake().await;
    fake.enforce_rate_limit(10, Duration::from_secs(1));
    let plan = SendPlan::per_second(5)
        .bursts(15, Duration::from_secs(2), Duration::from_secs(4))
        .lasting(Duration::from_secs(6));
    let mut sender = fake.send_emails(plan);
    let got = sender.finished().await;
    // 4 burst seconds of 15 and 2 of 5: 70 sends. Each burst second is a
    // window begun by its first send (every window begins with a request,
    // here on the second): 10 admitted, 5 refused.
    let (sent, refused) = (got.sent, got.refused);
    assert_eq!(sent, 70);
    assert_eq!(refused, 20, "5 of each burst second's 15");
    assert_eq!(fake.traffic().of(Caller::Sends), tally(70, 20));
    // Refused in every burst window, the first included.
    let (all, late) = fake.rate_limited();
    assert_eq!((all, late), (20, 15));
    // The refused ones are each burst second's last 5 (due at k/15 s,
    // sent on tokio's timers, to the millisecond rounded up).
    let refused_at: Vec<u128> = {
        let requests = fake.requests();
        let t0 = requests[0].at;
        requests
            .iter()
            .filter(|r| r.refused)
            .map(|r| (r.at - t0).as_millis())
            .collect()
    };
    let expected: Vec<u128> = [0u128, 1, 4, 5]
        .iter()
        .flat_map(|s| (10..15u128).map(move |k| s * 1_000 + (k * 1_000).div_ceil(15)))
        .collect();
    assert_eq!(refused_at, expected);
}

// A send that arrives in a window the reads filled is refused, and a read
// after the sends filled one is: whoever comes later. The answers are
// Resend's: 200 with an id, or 429 with the rate-limit headers.
#[tokio::test]
async fn sends_and_reads_share_the_window_in_arrival_order() {
    let fake = common::fake().await;
    fake.seed_automation("a", 1);
    fake.enforce_rate_limit(2, Duration::from_secs(60));
    let http = common::reqwest_builder().build().unwrap();
    let send = || {
        http.post(format!("{}/emails", fake.base_url()))
            .header("authorization", "Bearer re_x")
            .header("user-agent", "test/1")
            .body(r#"{"to":["a@example.com"]}"#)
            .send()
    };
    let read = || {
        http.get(format!("{}/automations/a/runs?limit=1", fake.base_url()))
            .header("authorization", "Bearer re_x")
            .header("user-agent", "test/1")
            .send()
    };
    let ok = send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert!(
        body["id"].as_str().is_some_and(|id| id.len() == 36),
        "{body}"
    );
    assert_eq!(read().await.unwrap().status(), 200);
    // The window is full: the send after the read is refused.
    let lost = send().await.unwrap();
    assert_eq!(lost.status(), 429);
    let header = |name: &str| lost.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("ratelimit-limit"), "2");
    assert_eq!(header("ratelimit-remaining"), "0");
    assert_eq!(header("retry-after"), header("ratelimit-reset"));
    assert!(header("retry-after").parse::<u64>().unwrap() <= 60);
    let body: serde_json::Value = lost.json().await.unwrap();
    assert_eq!(body["name"], "rate_limit_exceeded");
    assert_eq!(read().await.unwrap().status(), 429);
    let traffic = fake.traffic();
    assert_eq!((traffic.sends, traffic.reads), (tally(2, 1), tally(2, 1)));
    assert_eq!(fake.rate_limited(), (2, 0));
    // A fault programmed for the reads is not spent by a send.
    fake.lift_rate_limit();
    fake.fail_next(1, 503);
    assert_eq!(send().await.unwrap().status(), 200);
    assert_eq!(read().await.unwrap().status(), 503);
}

// A sender without a duration sends until stopped.
#[tokio::test(start_paused = true)]
async fn a_sender_sends_until_stopped() {
    let fake = common::fake().await;
    let sender = fake.send_emails(SendPlan::per_second(4));
    tokio::time::sleep(Duration::from_millis(2_900)).await;
    let got = sender.stop();
    assert_eq!(got, tally(12, 0));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.traffic().sends, tally(12, 0), "nothing after the stop");
}

// The crate's client reads beside a sender, on the paused clock: the
// window that holds both refuses whoever came after it was full, and the
// reads' refusals and the sends' add up to exactly what was over.
#[tokio::test(start_paused = true)]
async fn reads_beside_a_sender_spend_the_same_windows() {
    let fake = common::fake().await;
    fake.seed_automation("a", 3);
    fake.enforce_rate_limit(10, Duration::from_secs(1));
    let client = common::paused_client(&fake.base_url(), resend_workflows::RetryPolicy::disabled());
    let mut sender = fake.send_emails(SendPlan::per_second(8).lasting(Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut reads_refused = 0;
    for _ in 0..4 {
        reads_refused += u64::from(
            client
                .list_automation_runs("a")
                .limit(1)
                .send()
                .await
                .is_err(),
        );
    }
    let sends = sender.finished().await;
    let traffic = fake.traffic();
    assert_eq!(traffic.reads, tally(4, reads_refused));
    assert_eq!(traffic.sends, sends);
    assert_eq!(sends.sent, 24);
    // The first window: 8 sends and 4 reads, 2 over the limit.
    assert_eq!(sends.refused + reads_refused, 2, "{traffic:?}");
    assert_eq!(fake.rate_limited(), (2, 0));
}
