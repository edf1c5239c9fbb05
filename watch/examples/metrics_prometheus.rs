//! Exports the crate's metrics (feature `metrics`) with Prometheus'
//! exporter: a watch runs for a few seconds on the in-process fake (runs
//! starting and finishing every half second, one answer a 429), then the
//! exposition a scrape would read is printed.
//!
//!     cargo run -p resend-workflows-watch --example metrics_prometheus --features metrics
//!
//! A service serves `handle.render()` on its own `/metrics` route (or
//! enables the exporter's `http-listener` feature and calls `install()`).

// An example prints what it sees.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use futures::StreamExt;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use resend_workflows::Client;
use resend_workflows::fake::FakeResend;
use resend_workflows_watch::{MemoryStore, StartAt, WatchClient, WatchConfig, metrics};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Buckets for the calls' times, so the histogram is one in the
    // exposition (a summary otherwise).
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(resend_workflows::metrics::REQUEST_DURATION.to_owned()),
            &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
        )?
        .install_recorder()?;
    // `# HELP` lines for every metric of the crate.
    metrics::describe();

    let fake = FakeResend::start().await;
    fake.seed_automation("onboarding", 5);
    let _simulation = fake.simulate("onboarding", Duration::from_millis(500));
    // One answer refused for the rate, retried: counted among the 429s.
    fake.fail_after(3, 429);
    let client = Client::builder()
        .api_key("re_fake_demo_key")
        .base_url(fake.base_url())
        .build()?;
    let mut events = client.watch_automation_runs(
        "onboarding",
        WatchConfig::default()
            .poll_interval(Duration::from_secs(1))
            .start(StartAt::Beginning)
            .store(MemoryStore::new()),
    );
    eprintln!("watching the in-process fake for five seconds");
    let watching = async {
        while let Some(item) = events.next().await {
            if let Err(e) = item {
                eprintln!("poll failed: {e}");
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), watching).await;
    let stats = events.stats();
    eprintln!(
        "{} polls, {} requests, last success {:?}",
        stats.polls, stats.requests, stats.last_success
    );
    events.shutdown().await?;
    print!("{}", handle.render());
    Ok(())
}
