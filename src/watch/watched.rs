//! What each watchable collection adds to the shared list machinery: its
//! state key, and how it learns what became of the runs in flight.

use std::collections::HashMap;

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use crate::client::Client;
use crate::collections::{AutomationRuns, Collection, ListRequest, WorkflowRuns};
use crate::error::{ApiErrorKind, Error};
use crate::ids::{AutomationId, WorkflowId};
use crate::pagination::RunItem;
use crate::status::RunStatus;
use crate::transport::generated::types::{
    AutomationRun, AutomationRunListItem, WorkflowRunListItem,
};

/// What became of a run in flight: seen again (in whatever status), or
/// gone (deleted, or no longer retrievable).
pub type Seen<R> = (String, Option<R>);

/// A collection of runs a watch can follow. Implemented by
/// [`AutomationRuns`] and [`WorkflowRuns`] (sealed, like [`Collection`]).
pub trait Watched: Collection<Item: RunItem> {
    /// The key the watch's state is saved under, e.g. `automations/<id>/runs`.
    #[doc(hidden)]
    fn state_key(parent: &Self::Parent) -> String;

    /// The current form of the `tracked` runs (id, last status) whose
    /// status may have changed, or `None` for those gone.
    #[doc(hidden)]
    fn recheck(
        client: &Client,
        parent: &Self::Parent,
        tracked: Vec<(String, RunStatus)>,
    ) -> BoxFuture<'static, Result<Vec<Seen<Self::Item>>, Error>>;
}

/// Whether an error says a run (or a cursor run) is not there.
pub(crate) fn is_gone(error: &Error) -> bool {
    error.as_api().is_some_and(|api| {
        matches!(
            api.kind(),
            ApiErrorKind::NotFound | ApiErrorKind::ValidationError
        )
    })
}

impl Watched for AutomationRuns {
    fn state_key(parent: &AutomationId) -> String {
        format!("automations/{parent}/runs")
    }

    /// One listing of the `running` runs (a page per 100), then one
    /// retrieve per tracked run that left that set.
    fn recheck(
        client: &Client,
        parent: &AutomationId,
        tracked: Vec<(String, RunStatus)>,
    ) -> BoxFuture<'static, Result<Vec<Seen<AutomationRunListItem>>, Error>> {
        let (client, parent) = (client.clone(), parent.clone());
        Box::pin(async move {
            let running: HashMap<String, AutomationRunListItem> = client
                .list_automation_runs(&parent)
                .status([RunStatus::Running])
                .stream()
                .map_ok(|run| (run.id.clone(), run))
                .try_collect()
                .await?;
            let mut seen = Vec::new();
            for (id, last) in tracked {
                if let Some(run) = running.get(&id) {
                    if last != RunStatus::Running {
                        seen.push((id, Some(run.clone())));
                    }
                    continue;
                }
                match client.get_automation_run(&parent, &id).await {
                    Ok(run) => seen.push((id, Some(listed(run)))),
                    Err(e) if is_gone(&e) => seen.push((id, None)),
                    Err(e) => return Err(e),
                }
            }
            Ok(seen)
        })
    }
}

/// A retrieved automation run as a list shows it.
fn listed(run: AutomationRun) -> AutomationRunListItem {
    AutomationRunListItem {
        id: run.id,
        status: run.status,
        started_at: run.started_at,
        completed_at: run.completed_at,
        created_at: run.created_at,
    }
}

impl Watched for WorkflowRuns {
    fn state_key(parent: &WorkflowId) -> String {
        format!("workflows/{parent}/runs")
    }

    /// No status filter in the alpha: the list is read from the newest run
    /// down to the oldest one tracked.
    fn recheck(
        client: &Client,
        parent: &WorkflowId,
        tracked: Vec<(String, RunStatus)>,
    ) -> BoxFuture<'static, Result<Vec<Seen<WorkflowRunListItem>>, Error>> {
        let request: ListRequest<WorkflowRuns> = client.list_workflow_runs(parent);
        Box::pin(async move {
            let mut left: HashMap<String, RunStatus> = tracked.into_iter().collect();
            let mut seen = Vec::new();
            let mut runs = request.stream();
            while !left.is_empty() {
                let Some(run) = runs.next().await.transpose()? else {
                    break;
                };
                if let Some(last) = left.remove(&run.id)
                    && last != run.status
                {
                    seen.push((run.id.clone(), Some(run)));
                }
            }
            seen.extend(left.into_keys().map(|id| (id, None)));
            Ok(seen)
        })
    }
}
