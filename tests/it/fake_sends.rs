//! The fake tells the truth about the team's sends: `POST /emails` is
//! counted against the team's limit with the reads, in arrival order.

use std::time::Duration;

use resend_workflows::fake::Tally;

use crate::common;

fn tally(sent: u64, refused: u64) -> Tally {
    let mut t = Tally::default();
    t.sent = sent;
    t.refused = refused;
    t
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
