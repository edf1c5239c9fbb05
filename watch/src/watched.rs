//! What each watchable collection adds to the shared list machinery: its
//! state key, whether it filters by status, and how it answers a poll's
//! requests.

use futures::future::BoxFuture;

use super::poll::{Answer, Ask, TERMINAL};
use resend_workflows::Client;
use resend_workflows::RunItem;
use resend_workflows::RunStatus;
use resend_workflows::{AutomationId, PageSize, WorkflowId};
use resend_workflows::{
    AutomationRun, AutomationRunListItem, AutomationRunStep, WorkflowRun, WorkflowRunListItem,
};
use resend_workflows::{AutomationRuns, Collection, ListRequest, WorkflowRuns};

/// A collection of runs a watch can follow. Implemented by
/// [`AutomationRuns`] and [`WorkflowRuns`] (sealed, like [`Collection`]).
pub trait Watched: Collection<Item: RunItem, Parent: std::fmt::Display> {
    /// The key the watch's state is saved under, e.g. `automations/<id>/runs`.
    #[doc(hidden)]
    fn state_key(parent: &Self::Parent) -> String;

    /// Whether the list filters by status (`running`, the final ones).
    #[doc(hidden)]
    const FILTERS: bool;

    /// Answers one request of a poll.
    #[doc(hidden)]
    fn read(
        client: &Client,
        parent: &Self::Parent,
        ask: Ask,
    ) -> BoxFuture<'static, Answer<Self::Item>>;
}

/// The list request `ask` names (for the list asks), a page of 100.
fn listing<C: Collection>(client: &Client, parent: &C::Parent, ask: &Ask) -> ListRequest<C> {
    let list = ListRequest::<C>::of(client, parent.clone()).limit(PageSize::MAX);
    match ask {
        Ask::Top { after: Some(c) }
        | Ask::Running { after: Some(c) }
        | Ask::Terminal { after: Some(c) } => list.after(c),
        Ask::Newer { before } => list.before(before),
        _ => list,
    }
}

impl Watched for AutomationRuns {
    fn state_key(parent: &AutomationId) -> String {
        format!("automations/{parent}/runs")
    }

    const FILTERS: bool = true;

    fn read(
        client: &Client,
        parent: &AutomationId,
        ask: Ask,
    ) -> BoxFuture<'static, Answer<AutomationRunListItem>> {
        let (client, parent) = (client.clone(), parent.clone());
        Box::pin(async move {
            let list = listing::<AutomationRuns>(&client, &parent, &ask);
            let page = match ask {
                Ask::Retrieve { id } => {
                    return match client.get_automation_run(&parent, &id).await {
                        Ok(run) => {
                            let (run, steps) = listed(run);
                            Answer::Run {
                                run,
                                steps: Some(steps),
                            }
                        }
                        Err(e) => Answer::Failed(e.into()),
                    };
                }
                Ask::Running { .. } => list.status([RunStatus::Running]).send().await,
                Ask::Terminal { .. } => list.status(TERMINAL.iter().cloned()).send().await,
                Ask::Top { .. } | Ask::Newer { .. } => list.send().await,
            };
            page.map_or_else(|e| Answer::Failed(e.into()), Answer::Page)
        })
    }
}

/// A retrieved automation run as a list shows it, and its steps.
fn listed(run: AutomationRun) -> (AutomationRunListItem, Vec<AutomationRunStep>) {
    let item = AutomationRunListItem {
        id: run.id,
        status: run.status,
        started_at: run.started_at,
        completed_at: run.completed_at,
        created_at: run.created_at,
    };
    (item, run.steps)
}

impl Watched for WorkflowRuns {
    fn state_key(parent: &WorkflowId) -> String {
        format!("workflows/{parent}/runs")
    }

    // The alpha has no status filter.
    const FILTERS: bool = false;

    fn read(
        client: &Client,
        parent: &WorkflowId,
        ask: Ask,
    ) -> BoxFuture<'static, Answer<WorkflowRunListItem>> {
        let (client, parent) = (client.clone(), parent.clone());
        Box::pin(async move {
            match ask {
                Ask::Retrieve { id } => match client.get_workflow_run(&parent, &id).await {
                    Ok(run) => Answer::Run {
                        run: workflow_listed(run),
                        steps: None,
                    },
                    Err(e) => Answer::Failed(e.into()),
                },
                ask => listing::<WorkflowRuns>(&client, &parent, &ask)
                    .send()
                    .await
                    .map_or_else(|e| Answer::Failed(e.into()), Answer::Page),
            }
        })
    }
}

/// A retrieved workflow run as a list shows it.
fn workflow_listed(run: WorkflowRun) -> WorkflowRunListItem {
    WorkflowRunListItem {
        id: run.id,
        status: run.status,
        trigger: run.trigger,
        started_at: run.started_at,
        completed_at: run.completed_at,
        created_at: run.created_at,
    }
}
