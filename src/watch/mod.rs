//! Watching runs: every start and every finish, at least once, across
//! restarts and replicas. Resend has no webhooks for runs, so a watch polls:
//! new runs by a backward traversal from the newest one seen, the runs in
//! flight through the `status=running` listing (automations) or a re-read
//! of the list's top (workflows). Its state is committed to a store when
//! the consumer asks for the next event after the last event of a poll.

mod event;
mod file;
mod poll;
#[cfg(feature = "postgres")]
mod postgres;
mod state;
mod store;
mod stream;
mod watched;

pub use event::{RunEvent, StartAt};
pub use file::FileStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use state::WatchState;
pub use store::{Lease, MemoryStore, StateStore, StoreError};
pub use stream::{DEFAULT_LEASE_TTL, DEFAULT_POLL_INTERVAL, Watch, WatchStream};
pub use watched::{Seen, Watched};

use crate::client::Client;
use crate::collections::{AutomationRuns, WorkflowRuns};
use crate::ids::{AutomationId, WorkflowId};

impl Client {
    /// Watches an automation's runs: a stream of [`RunEvent`]s that never
    /// ends on its own. See [`Watch`] for the options.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use resend_workflows::{FileStore, RunEvent, StartAt};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut events = client
    ///     .watch_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd")
    ///     .start(StartAt::Now)
    ///     .store(FileStore::new("/var/lib/billing/watch"))
    ///     .stream();
    /// while let Some(event) = events.try_next().await? {
    ///     match event {
    ///         RunEvent::Started(run) => println!("started {}", run.id),
    ///         RunEvent::Finished(run) => println!("{} {}", run.id, run.status),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn watch_automation_runs(&self, automation_id: impl AsRef<str>) -> Watch<AutomationRuns> {
        Watch::new(
            self,
            AutomationId::parse_for("automation_id", automation_id.as_ref()),
        )
    }

    /// Watches a workflow's runs (the alpha API), as
    /// [`watch_automation_runs`](Self::watch_automation_runs) does.
    pub fn watch_workflow_runs(&self, workflow_id: impl AsRef<str>) -> Watch<WorkflowRuns> {
        Watch::new(
            self,
            WorkflowId::parse_for("workflow_id", workflow_id.as_ref()),
        )
    }
}
