//! The watch's entry points on the client: an extension trait, so a
//! watch starts from a [`Client`] as any call does.

use resend_workflows::{
    AutomationId, AutomationRuns, Client, InvalidArgument, InvalidReason, WorkflowId, WorkflowRuns,
};

use crate::builder::Watch;
use crate::team::TeamWatch;

/// Watches from a [`Client`]: bring it into scope
/// (`use resend_workflows_watch::WatchClient;`) and the client has
/// `watch_automation_runs`, `watch_workflow_runs`, `watch_automations` and
/// `watch_automation_set`. Each watch sends its requests through a clone
/// of the client (its retries, its rate gate), in a lane of its own.
pub trait WatchClient {
    /// Watches an automation's runs: a stream of [`RunEvent`](crate::RunEvent)s that never
    /// ends on its own. See [`Watch`] for the options.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows_watch::{FileStore, RunEvent, StartAt, WatchClient};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows_watch::Error> {
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
    fn watch_automation_runs(&self, automation_id: impl AsRef<str>) -> Watch<AutomationRuns>;
    /// Watches a workflow's runs (the alpha API), as
    /// [`watch_automation_runs`](Self::watch_automation_runs) does.
    fn watch_workflow_runs(&self, workflow_id: impl AsRef<str>) -> Watch<WorkflowRuns>;
    /// Watches every automation of the team: one stream of
    /// [`TeamEvent`](crate::TeamEvent)s, each naming its automation. The automations are
    /// listed at once and again every
    /// [`discovery_interval`](TeamWatch::discovery_interval): one that
    /// appears is watched ([`TeamEvent::Added`](crate::TeamEvent::Added)), one deleted or disabled
    /// is dropped ([`TeamEvent::Removed`](crate::TeamEvent::Removed)), its state kept.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows::RunStatus;
    /// use resend_workflows_watch::{Budget, RunEvent, TeamEvent, WatchClient};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows_watch::Error> {
    /// let mut events = client
    ///     .watch_automations()
    ///     // Give way to the team's sends, keeping a fifth of the limit free.
    ///     .budget(Budget::GiveWay { reserve: 0.2, ceiling: 0.8 })
    ///     .steps_for([RunStatus::Failed])
    ///     .stream();
    /// while let Some(item) = events.next().await {
    ///     match item {
    ///         Ok(TeamEvent::Run { automation, event: RunEvent::Finished { run, steps } }) => {
    ///             println!("{automation}: {} {} ({} steps)", run.id, run.status,
    ///                 steps.map_or(0, |s| s.len()));
    ///         }
    ///         Ok(other) => println!("{other:?}"),
    ///         Err(e) if e.ends_watch() => return Err(e.into_error()),
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    fn watch_automations(&self) -> TeamWatch;
    /// Watches the automations `ids`, as
    /// [`watch_automations`](Self::watch_automations) does every one: the
    /// set is not looked for again, but one deleted is dropped all the
    /// same (its runs' listing answering 404 at two polls in a row).
    fn watch_automation_set<I>(&self, ids: I) -> TeamWatch
    where
        I: IntoIterator,
        I::Item: AsRef<str>;
}

impl WatchClient for Client {
    fn watch_automation_runs(&self, automation_id: impl AsRef<str>) -> Watch<AutomationRuns> {
        Watch::new(
            self,
            AutomationId::parse_for("automation_id", automation_id.as_ref()),
        )
    }

    fn watch_workflow_runs(&self, workflow_id: impl AsRef<str>) -> Watch<WorkflowRuns> {
        Watch::new(
            self,
            WorkflowId::parse_for("workflow_id", workflow_id.as_ref()),
        )
    }

    fn watch_automations(&self) -> TeamWatch {
        TeamWatch::new(self, None)
    }

    fn watch_automation_set<I>(&self, ids: I) -> TeamWatch
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let set = ids
            .into_iter()
            .map(|id| AutomationId::parse_for("automation_id", id.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|set| {
                if set.is_empty() {
                    Err(InvalidArgument::new(
                        "automation_ids",
                        "",
                        InvalidReason::Empty,
                    ))
                } else {
                    Ok(set)
                }
            });
        TeamWatch::new(self, Some(set))
    }
}
