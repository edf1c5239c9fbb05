//! Watches an automation's runs and prints every start and every outcome
//! as it happens.
//!
//! With no configuration it runs the in-process fake's simulation (runs
//! starting and finishing every half second) for about ten seconds:
//!
//!     cargo run -p resend-workflows-watch --example watch_runs
//!
//! With `RESEND_API_KEY` and an automation id it watches the real API until
//! Ctrl-C, its state in a file, so a restart goes on where it stopped:
//!
//!     RESEND_API_KEY=re_... cargo run -p resend-workflows-watch --example watch_runs -- <automation_id> [state_dir]

// An example prints what it sees.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use futures::StreamExt;
use resend_workflows::Client;
use resend_workflows::fake::FakeResend;
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{FileStore, RunEvent, StartAt, WatchConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let id_arg = args.next();
    let state_dir = args.next().unwrap_or_else(|| ".resend-watch".to_owned());
    match (std::env::var_os("RESEND_API_KEY"), id_arg) {
        (Some(_), Some(id)) => {
            let client = Client::from_env()?;
            let events = client.watch_automation_runs(
                &id,
                WatchConfig::default()
                    .start(StartAt::Now)
                    .store(FileStore::new(&state_dir)),
            );
            eprintln!("watching automation {id} (state in {state_dir}); Ctrl-C to stop");
            tokio::select! {
                () = print_events(events) => {}
                _ = tokio::signal::ctrl_c() => eprintln!("stopped"),
            }
        }
        (Some(_), None) => {
            return Err("RESEND_API_KEY is set: pass an automation id, e.g. \
                        `cargo run -p resend-workflows-watch --example watch_runs -- <automation_id>`"
                .into());
        }
        (None, _) => {
            let fake = FakeResend::start().await;
            fake.seed_automation("onboarding", 5);
            let _simulation = fake.simulate("onboarding", Duration::from_millis(500));
            eprintln!(
                "RESEND_API_KEY is not set: watching the in-process fake at {} for ten seconds",
                fake.base_url()
            );
            let client = Client::builder()
                .api_key("re_fake_demo_key")
                .base_url(fake.base_url())
                .build()?;
            let events = client.watch_automation_runs(
                "onboarding",
                WatchConfig::default()
                    .poll_interval(Duration::from_secs(1))
                    .lease_ttl(Duration::from_secs(5)),
            );
            let _ = tokio::time::timeout(Duration::from_secs(10), print_events(events)).await;
            eprintln!("done");
        }
    }
    Ok(())
}

async fn print_events(
    mut events: resend_workflows_watch::WatchStream<resend_workflows::AutomationRunListItem>,
) {
    while let Some(event) = events.next().await {
        match event {
            Ok(RunEvent::Started(run)) => println!("started   {} ({})", run.id, run.status),
            Ok(RunEvent::Changed { run, from }) => {
                println!("changed   {} ({from} -> {})", run.id, run.status);
            }
            Ok(RunEvent::Finished { run, .. }) => println!("finished  {} ({})", run.id, run.status),
            Ok(other) => println!("{}       {}", other.kind(), other.run_id()),
            // Errors are items: the watch goes on from its state.
            Err(e) => eprintln!("error: {e}"),
        }
    }
}
