//! Lists a workflow's runs page by page, as a table.
//!
//! With no configuration it starts an in-process fake Resend seeded with a few
//! hundred runs, so it runs anywhere:
//!
//!     cargo run --example list_runs
//!
//! With `RESEND_API_KEY` set and a workflow id, it talks to the real API:
//!
//!     RESEND_API_KEY=re_... cargo run --example list_runs -- <workflow_id>

use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, Cursor, Error};

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
        "{:>4}  {:<36}  {:<10}  {:<25}  {:<25}  trigger",
        "page", "run id", "status", "created at", "completed at"
    );
    let mut cursor: Option<Cursor> = None;
    let (mut pages, mut total) = (0, 0);
    loop {
        let mut request = client.list_runs(workflow_id).limit(100);
        if let Some(c) = &cursor {
            request = request.after(c);
        }
        let page = request.send().await?;
        pages += 1;
        for run in page.runs() {
            total += 1;
            let completed = run
                .completed_at
                .map_or_else(|| "-".to_owned(), |t| t.to_string());
            let trigger = run.trigger.as_ref().map_or("-", |t| t.event_name.as_str());
            println!(
                "{pages:>4}  {:<36}  {:<10}  {:<25}  {:<25}  {trigger}",
                run.id,
                run.status.as_str(),
                run.created_at.to_string(),
                completed,
            );
        }
        if let Some(rl) = page.rate_limit() {
            eprintln!(
                "page {pages}: {} runs; rate limit {}/{} left, resets in {:?}",
                page.runs().len(),
                rl.remaining.map_or("?".into(), |n| n.to_string()),
                rl.limit.map_or("?".into(), |n| n.to_string()),
                rl.reset.unwrap_or_default(),
            );
        }
        match page.next_cursor() {
            Some(next) => cursor = Some(next.clone()),
            None => break,
        }
    }
    println!("{total} runs in {pages} pages");
    Ok(())
}
