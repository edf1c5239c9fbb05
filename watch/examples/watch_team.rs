//! Watches every automation of a team in one stream, on one budget, and
//! prints each event as it comes, with the requests spent each second.
//!
//! With no configuration it runs on the in-process fake for about fifteen
//! seconds: twelve automations (three busy, nine quiet), a team limit of
//! 10 requests a second enforced, one automation added and one deleted
//! while it runs:
//!
//!     cargo run -p resend-workflows-watch --example watch_team
//!
//! With `RESEND_API_KEY` it watches the team's automations on the real API
//! until Ctrl-C, each automation's state in a file of `state_dir`:
//!
//!     RESEND_API_KEY=re_... cargo run -p resend-workflows-watch --example watch_team -- [state_dir]

// An example prints what it sees.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, RunStatus};
use resend_workflows_watch::WatchClient;
use resend_workflows_watch::{FileStore, RunEvent, TeamConfig, TeamEvent, TeamStream, WatchConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("RESEND_API_KEY").is_some() {
        let state_dir = std::env::args()
            .nth(1)
            .unwrap_or_else(|| ".resend-team-watch".to_owned());
        let client = Client::from_env()?;
        let events = client.watch_automations(
            TeamConfig::default().watch(
                WatchConfig::default()
                    .steps_for([RunStatus::Failed])
                    .store(FileStore::new(&state_dir)),
            ),
        );
        eprintln!("watching the team's automations (state in {state_dir}); Ctrl-C to stop");
        tokio::select! {
            () = print_events(events, None) => {}
            _ = tokio::signal::ctrl_c() => eprintln!("stopped"),
        }
        return Ok(());
    }

    let fake = Arc::new(FakeResend::start().await);
    fake.enforce_rate_limit(10, Duration::from_secs(1));
    let busy = ["signup", "checkout", "invoice"];
    let quiet: Vec<String> = (1..=9).map(|i| format!("quiet-{i}")).collect();
    let mut simulations = Vec::new();
    for id in busy {
        fake.seed_automation(id, 3);
        simulations.push(fake.simulate(id, Duration::from_millis(700)));
    }
    for id in &quiet {
        fake.seed_automation(id, 1);
    }
    eprintln!(
        "RESEND_API_KEY is not set: watching the in-process fake at {} \
         (team limit 10 requests/s, the watch's budget half of it) for fifteen seconds",
        fake.base_url()
    );
    let client = Client::builder()
        .api_key("re_fake_demo_key")
        .base_url(fake.base_url())
        .build()?;
    let events = client.watch_automations(
        TeamConfig::default()
            .watch(
                WatchConfig::default()
                    .poll_interval(Duration::from_secs(1))
                    .steps_for([RunStatus::Failed]),
            )
            .max_staleness(Duration::from_secs(8))
            .discovery_interval(Duration::from_secs(3)),
    );

    // The team changes while it runs: one automation added, one deleted.
    let changes = {
        let fake = Arc::clone(&fake);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            eprintln!("-- the team adds automation 'welcome-back'");
            // Created now: watched from its beginning, no run of it missed.
            let mut added = resend_workflows::fake::generate_automation("welcome-back");
            added.created_at = chrono::Utc::now().into();
            fake.define_automation(&added);
            fake.seed_automation("welcome-back", 0);
            simulations.push(fake.simulate("welcome-back", Duration::from_millis(900)));
            tokio::time::sleep(Duration::from_secs(4)).await;
            eprintln!("-- the team deletes automation 'quiet-9'");
            fake.delete_automation("quiet-9");
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(simulations);
        })
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(15),
        print_events(events, Some(Arc::clone(&fake))),
    )
    .await;
    changes.abort();
    eprintln!("done: {} requests in all", fake.requests().len());
    Ok(())
}

/// Prints each event, and once a second the requests of the last second
/// (on the fake, which counts them).
async fn print_events(mut events: TeamStream, fake: Option<Arc<FakeResend>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut counted = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Some(fake) = &fake {
                    let all = fake.requests().len();
                    let stats = events.stats();
                    println!(
                        "   {} requests in the last second; {} automations watched, lag {:?}",
                        all - counted,
                        stats.automations,
                        stats.lag
                    );
                    counted = all;
                }
            }
            item = events.next() => match item {
                Some(Ok(TeamEvent::Run { automation, event })) => match event {
                    RunEvent::Started(run) => {
                        println!("{automation:>13}  started   {} ({})", run.id, run.status);
                    }
                    RunEvent::Finished { run, steps } => {
                        let failing = steps
                            .iter()
                            .flatten()
                            .find(|s| s.error.is_some())
                            .and_then(|s| s.key.clone());
                        match failing {
                            Some(step) => println!(
                                "{automation:>13}  finished  {} ({}, at step {step})",
                                run.id, run.status
                            ),
                            None => println!(
                                "{automation:>13}  finished  {} ({})",
                                run.id, run.status
                            ),
                        }
                    }
                    other => println!("{automation:>13}  {} {}", other.kind(), other.run_id()),
                },
                Some(Ok(TeamEvent::Added { automation, start })) => {
                    println!("{automation:>13}  watched from now on (start {start:?})");
                }
                Some(Ok(TeamEvent::Removed { automation, reason })) => {
                    println!("{automation:>13}  no longer watched ({reason:?})");
                }
                Some(Ok(other)) => println!("{other:?}"),
                Some(Err(e)) if e.ends_watch() => {
                    eprintln!("the watch ended: {e}");
                    return;
                }
                Some(Err(e)) => eprintln!("{e} (the watch goes on)"),
                None => return,
            },
        }
    }
}
