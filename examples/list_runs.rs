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
use resend_workflows::{Client, Cursor, Error, ItemStream, ListItem, RunStatus, Timestamp};

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
        let runs = |after: Option<&Cursor>| match after {
            Some(c) => client.list_workflow_runs(&id).after(c).stream(),
            None => client.list_workflow_runs(&id).stream(),
        };
        print_runs(runs, |r| (&r.status, r.created_at, r.completed_at)).await?;
    } else {
        let runs = |after: Option<&Cursor>| match after {
            Some(c) => client.list_automation_runs(&id).after(c).stream(),
            None => client.list_automation_runs(&id).stream(),
        };
        print_runs(runs, |r| (&r.status, r.created_at, r.completed_at)).await?;
    }
    Ok(())
}

/// How many times in a row a failed read is resumed before giving up.
const RESUMES: u32 = 3;

/// Prints every run, from `runs(None)` on, as a table row, then how many
/// in how many pages. A record that does not decode is reported and read
/// past, and a failed read that may succeed again resumes from the
/// checkpoint (`runs(Some(checkpoint))`): nothing is lost or repeated.
async fn print_runs<T: ListItem + Send + Unpin + 'static>(
    runs: impl Fn(Option<&Cursor>) -> ItemStream<T>,
    fields: impl Fn(&T) -> (&RunStatus, Timestamp, Option<Timestamp>),
) -> Result<(), Error> {
    println!(
        "{:>5}  {:<36}  {:<10}  {:<32}  completed at",
        "#", "run id", "status", "created at"
    );
    // Every run, newest first: one request per page of 100, lazily.
    let (mut count, mut newest, mut pages, mut failed) = (0, None, 0, 0);
    // Where the last skip resumed from.
    let mut skipped_at: Option<Option<Cursor>> = None;
    let mut stream = runs(None);
    loop {
        match stream.try_next().await {
            Ok(Some(run)) => {
                failed = 0;
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
            Ok(None) => break,
            // A stream ends after an error; a new one from its checkpoint
            // goes on. One record the server sent that does not decode is
            // said and read past (the checkpoint is past it).
            Err(e) if e.is_bad_record() || (e.is_retryable() && failed < RESUMES) => {
                let checkpoint = stream.checkpoint().cloned();
                if e.is_bad_record() {
                    // A record whose id cannot be a cursor leaves the
                    // checkpoint before it: read again, it comes again.
                    if skipped_at.as_ref() == Some(&checkpoint) {
                        return Err(e);
                    }
                    eprintln!("skipped: {e}");
                    skipped_at = Some(checkpoint.clone());
                } else {
                    failed += 1;
                    eprintln!("resuming after: {e}");
                }
                pages += stream.pages_received();
                stream = runs(checkpoint.as_ref());
            }
            Err(e) => return Err(e),
        }
    }
    pages += stream.pages_received();
    println!("{count} runs in {pages} pages");
    if let Some(newest) = newest {
        println!(
            "newer runs come before {newest:?}: watch them with `cargo run -p resend-workflows-watch --example watch_runs`"
        );
    }
    Ok(())
}
