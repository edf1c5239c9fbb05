//! The watch's entry points on the client: an extension trait, so a
//! watch starts from a [`Client`] as any call does.

use resend_workflows::{
    AutomationId, AutomationRunListItem, AutomationRuns, Client, InvalidArgument, InvalidReason,
    WorkflowId, WorkflowRunListItem, WorkflowRuns,
};

use crate::config::WatchConfig;
use crate::launch::single;
use crate::stream::WatchStream;
use crate::team::{TeamConfig, TeamStream, team_stream};

/// Watches from a [`Client`]: bring it into scope
/// (`use resend_workflows_watch::WatchClient;`) and the client has
/// `watch_automation_runs`, `watch_workflow_runs`, `watch_automations` and
/// `watch_automation_set`. Each watch sends its requests through a clone
/// of the client (its retries, its rate gate), in a lane of its own.
pub trait WatchClient {
    /// Watches an automation's runs with the options `config`: a stream
    /// of [`RunEvent`](crate::RunEvent)s that never ends on its own; a
    /// failed poll is an item, and the watch goes on from its state. It
    /// ends only after an error for which [`Error::ends_watch`](crate::Error::ends_watch)
    /// is true: an invalid id or option (the first item, nothing sent), a
    /// saved state for another collection or of a newer version, a lease
    /// another watcher took, or a collection that is not there. Nothing is
    /// sent until the stream is polled.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows_watch::{FileStore, RunEvent, StartAt, WatchClient, WatchConfig};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows_watch::Error> {
    /// let config = WatchConfig::default()
    ///     .start(StartAt::Now)
    ///     .store(FileStore::new("/var/lib/billing/watch"));
    /// let mut events = client.watch_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd", config);
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
    fn watch_automation_runs(
        &self,
        automation_id: impl AsRef<str>,
        config: WatchConfig,
    ) -> WatchStream<AutomationRunListItem>;
    /// Watches a workflow's runs (the alpha API), as
    /// [`watch_automation_runs`](Self::watch_automation_runs) does.
    fn watch_workflow_runs(
        &self,
        workflow_id: impl AsRef<str>,
        config: WatchConfig,
    ) -> WatchStream<WorkflowRunListItem>;
    /// Watches every automation of the team with the options `config`
    /// (every automation's watch takes its [`WatchConfig`]): one stream
    /// of [`TeamEvent`](crate::TeamEvent)s, each naming its automation,
    /// that never ends on its own; it ends after an error for which
    /// [`TeamError::ends_watch`](crate::TeamError::ends_watch) is true (an
    /// invalid option, the first item). The automations are
    /// listed at once and again every
    /// [`discovery_interval`](TeamConfig::discovery_interval): one that
    /// appears is watched ([`TeamEvent::Added`](crate::TeamEvent::Added)), one deleted or disabled
    /// is dropped ([`TeamEvent::Removed`](crate::TeamEvent::Removed)), its state kept.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows::RunStatus;
    /// use resend_workflows_watch::{Budget, RunEvent, TeamConfig, TeamEvent, WatchClient, WatchConfig};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows_watch::Error> {
    /// let watch = WatchConfig::default()
    ///     // Give way to the team's sends, keeping a fifth of the limit free.
    ///     .budget(Budget::GiveWay { reserve: 0.2, ceiling: 0.8 })
    ///     .steps_for([RunStatus::Failed]);
    /// let mut events = client.watch_automations(TeamConfig::default().watch(watch));
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
    fn watch_automations(&self, config: TeamConfig) -> TeamStream;
    /// Watches the automations `ids`, as
    /// [`watch_automations`](Self::watch_automations) does every one: the
    /// set is not looked for again, but one deleted is dropped all the
    /// same (its runs' listing answering 404 at two polls in a row). An
    /// invalid or empty set is refused as an invalid option is.
    fn watch_automation_set<I>(&self, ids: I, config: TeamConfig) -> TeamStream
    where
        I: IntoIterator,
        I::Item: AsRef<str>;
}

impl WatchClient for Client {
    fn watch_automation_runs(
        &self,
        automation_id: impl AsRef<str>,
        config: WatchConfig,
    ) -> WatchStream<AutomationRunListItem> {
        let id = AutomationId::parse_for("automation_id", automation_id.as_ref());
        single::<AutomationRuns>(self, id, &config)
    }

    fn watch_workflow_runs(
        &self,
        workflow_id: impl AsRef<str>,
        config: WatchConfig,
    ) -> WatchStream<WorkflowRunListItem> {
        let id = WorkflowId::parse_for("workflow_id", workflow_id.as_ref());
        single::<WorkflowRuns>(self, id, &config)
    }

    fn watch_automations(&self, config: TeamConfig) -> TeamStream {
        team_stream(self, None, config)
    }

    fn watch_automation_set<I>(&self, ids: I, config: TeamConfig) -> TeamStream
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
        team_stream(self, Some(set), config)
    }
}
