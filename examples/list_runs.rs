//! Lists every run of a workflow, newest first, as a table, through the
//! crate's run stream.
//!
//! With no configuration it starts an in-process fake Resend seeded with a few
//! hundred runs, so it runs anywhere:
//!
//!     cargo run --example list_runs
//!
//! With `RESEND_API_KEY` set and a workflow id, it talks to the real API:
//!
//!     RESEND_API_KEY=re_... cargo run --example list_runs -- <workflow_id>

// An example prints what it finds.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use futures::TryStreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, Error};

const DEMO_WORKFLOW: &str = "wf_demo";
const DEMO_RUNS: usize = 250;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let workflow_arg = std::env::args().nth(1);
    // Keep the fake alive for the whole run when it is used.
    let (client, workflow_id, _fake) = match (std::env::var_os("RESEND_API_KEY"), workflow_arg) {
        (Some(_), Some(workflow_id)) => (Client::from_env()?, workflow_id, None),
        (Some(_), None) => {
            return Err("RESEND_API_KEY is set: pass a workflow id, e.g. \
                        `cargo run --example list_runs -- <workflow_id>`"
                .into());
        }
        (None, _) => {
            let fake = FakeResend::start().await;
            fake.seed_workflow(DEMO_WORKFLOW, DEMO_RUNS);
            eprintln!(
                "RESEND_API_KEY is not set: using an in-process fake Resend at {} \
                 with {DEMO_RUNS} runs in workflow {DEMO_WORKFLOW}",
                fake.base_url()
            );
            let client = Client::builder()
                .api_key("re_fake_demo_key")
                .base_url(fake.base_url())
                .build()?;
            (client, DEMO_WORKFLOW.to_owned(), Some(fake))
        }
    };
    print_runs(&client, &workflow_id).await?;
    Ok(())
}

async fn print_runs(client: &Client, workflow_id: &str) -> Result<(), Error> {
    println!(
        "{:>5}  {:<36}  {:<10}  {:<25}  {:<25}  trigger",
        "#", "run id", "status", "created at", "completed at"
    );
    // Every run, newest first: one request per page of 100, lazily.
    let mut runs = client.list_runs(workflow_id).stream();
    let (mut count, mut newest) = (0, None);
    while let Some(run) = runs.try_next().await? {
        count += 1;
        newest.get_or_insert_with(|| run.id.clone());
        let completed = run
            .completed_at
            .map_or_else(|| "-".to_owned(), |t| t.to_string());
        let trigger = run.trigger.as_ref().map_or("-", |t| t.event_name.as_str());
        println!(
            "{count:>5}  {:<36}  {:<10}  {:<25}  {completed:<25}  {trigger}",
            run.id,
            run.status.as_str(),
            run.created_at.to_string(),
        );
    }
    println!("{count} runs in {} pages", runs.pages_received());
    if let Some(newest) = newest {
        println!("poll for newer runs later with .before({newest:?})");
    }
    Ok(())
}
