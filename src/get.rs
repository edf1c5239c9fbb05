//! Retrieving one run.

use crate::call;
use crate::client::Client;
use crate::error::Error;
use crate::generated::types::{WorkflowRun, WorkflowRunObject};
use crate::ids::{RunId, WorkflowId};

impl Client {
    /// Retrieves one run of a workflow. Both ids are validated before
    /// anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed id; an [`Error::Api`] with
    /// kind [`NotFound`](crate::ApiErrorKind::NotFound) when the run does not exist.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let run = client.get_run("wf_1", "a1b2c3d4-e5f6-7890-abcd-ef1234567890").await?;
    /// println!("{} is {}", run.id, run.status);
    /// # Ok(()) }
    /// ```
    pub async fn get_run(
        &self,
        workflow_id: impl AsRef<str>,
        run_id: impl AsRef<str>,
    ) -> Result<WorkflowRun, Error> {
        let workflow_id = WorkflowId::parse_for("workflow_id", workflow_id.as_ref())?;
        let run_id = RunId::parse_for("run_id", run_id.as_ref())?;
        let request = self
            .api
            .get_workflow_run()
            .workflow_id(workflow_id)
            .run_id(run_id);
        Ok(call::run(request.send()).await?.into_inner().into())
    }
}

impl From<WorkflowRunObject> for WorkflowRun {
    fn from(run: WorkflowRunObject) -> Self {
        let WorkflowRunObject {
            completed_at,
            created_at,
            id,
            object: _,
            started_at,
            status,
            trigger,
        } = run;
        WorkflowRun {
            completed_at,
            created_at,
            id,
            started_at,
            status,
            trigger,
        }
    }
}
