//! Workflow runs (the alpha API): `Client::list_workflow_runs`, `Client::get_workflow_run`.

use std::convert::Infallible;

use super::request::{Collection, ListRequest, sealed};
use crate::client::Client;
use crate::error::{Error, InvalidArgument};
use crate::ids::{RunId, WorkflowId};
use crate::pagination::{ItemSealed, ListItem, RunItem};
use crate::transport::Operation;
use crate::transport::generated::types::{WorkflowRun, WorkflowRunList, WorkflowRunListItem};

/// The runs of a workflow: `GET /workflows/{workflow_id}/runs`.
#[derive(Debug, Clone, Copy)]
pub enum WorkflowRuns {}

/// A request for a workflow's runs.
pub type ListWorkflowRuns = ListRequest<WorkflowRuns>;

impl sealed::Sealed for WorkflowRuns {}

impl Collection for WorkflowRuns {
    type Parent = WorkflowId;
    type Item = WorkflowRunListItem;
    type Filter = Infallible;
    type List = WorkflowRunList;

    fn check_filter(filter: &Infallible) -> Result<(), InvalidArgument> {
        match *filter {}
    }

    fn list(
        parent: &WorkflowId,
        _: Option<&Infallible>,
        page: sealed::PageQuery,
    ) -> Operation<WorkflowRunList> {
        let parent = parent.clone();
        Operation::new(move |api| {
            let request = api
                .list_workflow_runs()
                .workflow_id(parent)
                .limit(page.limit());
            Box::pin(
                page.apply(request, |r, c| r.after(c), |r, c| r.before(c))
                    .send(),
            )
        })
    }

    fn items(list: WorkflowRunList) -> (Vec<WorkflowRunListItem>, bool) {
        (list.data, list.has_more)
    }
}

impl ItemSealed for WorkflowRunListItem {}

impl ListItem for WorkflowRunListItem {
    fn item_id(&self) -> &str {
        &self.id
    }
}

impl RunItem for WorkflowRunListItem {
    fn status(&self) -> &crate::status::RunStatus {
        &self.status
    }

    fn created_at(&self) -> crate::timestamp::Timestamp {
        self.created_at
    }
}

impl Client {
    /// Lists a workflow's runs, newest first. `workflow_id` is any string
    /// form of the id (`&str`, `String`, [`WorkflowId`]; a `uuid::Uuid` via
    /// `to_string()`); an invalid one is reported when the request is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let page = client.list_workflow_runs("wf_1").limit(10).send().await?;
    /// if let Some(next) = page.next_cursor() {
    ///     let older = client.list_workflow_runs("wf_1").limit(10).after(next).send().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_workflow_runs(&self, workflow_id: impl AsRef<str>) -> ListWorkflowRuns {
        ListRequest::new(
            self,
            WorkflowId::parse_for("workflow_id", workflow_id.as_ref()),
        )
    }

    /// Retrieves one run of a workflow. Both ids are validated before
    /// anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed id; an [`Error::Api`] with
    /// kind [`NotFound`](crate::ApiErrorKind::NotFound) when the run does not exist.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let run = client.get_workflow_run("wf_1", "a1b2c3d4-e5f6-7890-abcd-ef1234567890").await?;
    /// println!("{} is {}", run.id, run.status);
    /// # Ok(()) }
    /// ```
    pub async fn get_workflow_run(
        &self,
        workflow_id: impl AsRef<str>,
        run_id: impl AsRef<str>,
    ) -> Result<WorkflowRun, Error> {
        let workflow_id = WorkflowId::parse_for("workflow_id", workflow_id.as_ref())?;
        let run_id = RunId::parse_for("run_id", run_id.as_ref())?;
        self.get(Operation::new(move |api| {
            Box::pin(
                api.get_workflow_run()
                    .workflow_id(workflow_id)
                    .run_id(run_id)
                    .send(),
            )
        }))
        .await
    }
}
