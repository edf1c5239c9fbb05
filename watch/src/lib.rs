//! Watching runs: every start and every finish, at least once, across
//! restarts and replicas. Resend has no webhooks for runs, so a watch polls
//! (`poll/`): the list's top page for the new runs and the runs in flight
//! near the top, then the cheapest way to learn what became of the others
//! (`plan.rs`), a page of the full check now and then, a few pages of a
//! backfill. The driver (`driver/`) holds the lease (kept by
//! `keeper.rs`), polls on time within its budget (a lane of the client's
//! rate gate, `transport/gate/`), and commits
//! the state of what was yielded (`state.rs`) to a store (`store/`) when the
//! consumer asks for more. A team watch (`team/`) runs one per automation
//! on one budget, quiet ones backing off (`cadence.rs`).

mod builder;
mod cadence;
mod driver;
mod event;
mod keeper;
mod plan;
mod poll;
mod quota;
mod state;
mod stats;
mod store;
mod stream;
mod team;
mod unpolled;
mod watched;

pub use crate::transport::gate::{Budget, DEFAULT_BUDGET};
pub use builder::{
    DEFAULT_BACKFILL_PAGES, DEFAULT_COMMIT_EVERY, DEFAULT_LEASE_TTL, DEFAULT_MAX_PAGES_PER_POLL,
    DEFAULT_POLL_INTERVAL, MAX_WATCH_DURATION, Watch,
};
pub use event::{RunEvent, StartAt};
#[cfg(feature = "internals")]
pub use plan::Plan;
#[cfg(feature = "internals")]
pub use poll::Forced;
pub use state::{LOOK_BACK, WatchState};
pub use stats::WatchStats;
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
pub use store::{
    FileStore, Lease, Members, MembershipStore, MemoryStore, Renewal, StateStore, StoreError,
    TurnStore,
};
pub use stream::WatchStream;
#[cfg(feature = "internals")]
pub use team::simulate_schedule;
pub use team::{
    DEFAULT_DISCOVERY_INTERVAL, DEFAULT_MAX_STALENESS, Removal, TeamError, TeamEvent, TeamStats,
    TeamStream, TeamWatch,
};
pub use watched::Watched;

use crate::client::Client;
use crate::collections::{AutomationRuns, WorkflowRuns};
use crate::ids::{AutomationId, WorkflowId};

impl Client {
    /// Watches an automation's runs: a stream of [`RunEvent`]s that never
    /// ends on its own. See [`Watch`] for the options.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows::{FileStore, RunEvent, StartAt};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut events = client
    ///     .watch_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd")
    ///     .start(StartAt::Now)
    ///     .store(FileStore::new("/var/lib/billing/watch"))
    ///     .stream();
    /// while let Some(item) = events.next().await {
    ///     match item {
    ///         Ok(RunEvent::Started(run)) => println!("started {}", run.id),
    ///         Ok(RunEvent::Finished { run, .. }) => println!("{} {}", run.id, run.status),
    ///         Ok(_) => {}
    ///         Err(e) if e.ends_watch() => return Err(e),
    ///         // A failed poll: the watch goes on.
    ///         Err(e) => eprintln!("poll failed: {e}"),
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
