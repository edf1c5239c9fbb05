//! The main job: lists every run of an automation, newest first, as a
//! table, through the crate's run stream.
//!
//! With no configuration it starts an in-process fake Resend seeded with a
//! few hundred runs, so it runs anywhere:
//!
//!     cargo run --example list_runs
//!
//! With `RESEND_API_KEY` set and an automation id, it reads the real API:
//!
//!     RESEND_API_KEY=re_... cargo run --example list_runs -- <automation_id>
//!
//! `--workflows` lists a workflow's runs instead, on the private alpha's
//! paths (`/workflows/{id}/runs`), for accounts still on it.

// An example prints what it finds.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use futures::TryStreamExt;
use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, Error, ItemStream, ListItem, RunStatus, Timestamp};

const DEMO_ID: &str = "onboarding";
const DEMO_RUNS: usize = 250;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workflows = args.iter().any(|a| a == "--workflows");
    let id_arg = args.iter().find(|a| !a.starts_with("--")).cloned();
    // Keep the fake alive for the whole run when it is used.
    let (client, id, _fake) = match (std::env::var_os("RESEND_API_KEY"), id_arg) {
        (Some(_), Some(id)) => (Client::from_env()?, id, None),
        (Some(_), None) => {
            return Err("RESEND_API_KEY is set: pass an automation id, e.g. \
                        `cargo run --example list_runs -- <automation_id>`"
                .into());
        }
        (None, _) => {
            let fake = FakeResend::start().await;
            if workflows {
                fake.seed_workflow(DEMO_ID, DEMO_RUNS);
            } else {
                fake.seed_automation(DEMO_ID, DEMO_RUNS);
            }
            eprintln!(
                "RESEND_API_KEY is not set: using an in-process fake Resend at {} with {DEMO_RUNS} \
                 runs in {} {DEMO_ID}",
                fake.base_url(),
                if workflows { "workflow" } else { "automation" },
            );
            let client = Client::builder()
                .api_key("re_fake_demo_key")
                .base_url(fake.base_url())
                .build()?;
            (client, DEMO_ID.to_owned(), Some(fake))
        }
    };
    if workflows {
        let runs = client.list_workflow_runs(&id).stream();
        print_runs(runs, |r| (&r.status, r.created_at, r.completed_at)).await?;
    } else {
        let runs = client.list_automation_runs(&id).stream();
        print_runs(runs, |r| (&r.status, r.created_at, r.completed_at)).await?;
    }
    Ok(())
}

/// Prints every run of `runs` as a table row, then how many in how many pages.
async fn print_runs<T: ListItem + Send + Unpin + 'static>(
    mut runs: ItemStream<T>,
    fields: impl Fn(&T) -> (&RunStatus, Timestamp, Option<Timestamp>),
) -> Result<(), Error> {
    println!(
        "{:>5}  {:<36}  {:<10}  {:<32}  completed at",
        "#", "run id", "status", "created at"
    );
    // Every run, newest first: one request per page of 100, lazily.
    let (mut count, mut newest) = (0, None);
    while let Some(run) = runs.try_next().await? {
        count += 1;
        newest.get_or_insert_with(|| run.item_id().to_owned());
        let (status, created, completed) = fields(&run);
        let completed = completed.map_or_else(|| "-".to_owned(), |t| t.to_string());
        println!(
            "{count:>5}  {:<36}  {:<10}  {:<32}  {completed}",
            run.item_id(),
            status.as_str(),
            created.to_string(),
        );
    }
    println!("{count} runs in {} pages", runs.pages_received());
    if let Some(newest) = newest {
        println!(
            "newer runs come before {newest:?}: watch them with `cargo run -p resend-workflows-watch --example watch_runs`"
        );
    }
    Ok(())
}
