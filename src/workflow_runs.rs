//! Workflow runs (the alpha API): `Client::list_runs`, `Client::get_run`.

use crate::call;
use crate::client::Client;
use crate::error::Error;
use crate::generated::types::{WorkflowRun, WorkflowRunObject};
use crate::ids::{PageSize, RunId, WorkflowId};
use crate::list::{ListOptions, Position, at_position, list_options_setters, traverse};
use crate::page::{Page, page_from_response};
use crate::paginate::{PageStream, RunStream};

/// A request for a workflow's runs: one page with [`send`](Self::send), or
/// every page with [`pages`](Self::pages) and [`stream`](Self::stream).
/// Made by [`Client::list_runs`]; nothing is validated or sent until then.
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until sent"]
pub struct ListRuns {
    client: Client,
    workflow_id: String,
    options: ListOptions,
}

impl Client {
    /// Lists a workflow's runs, newest first. `workflow_id` is any string
    /// form of the id (`&str`, `String`, [`WorkflowId`]; a `uuid::Uuid` via
    /// `to_string()`); it is validated when the request is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let page = client.list_runs("wf_1").limit(10).send().await?;
    /// if let Some(next) = page.next_cursor() {
    ///     let older = client.list_runs("wf_1").limit(10).after(next).send().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_runs(&self, workflow_id: impl AsRef<str>) -> ListRuns {
        ListRuns {
            client: self.clone(),
            workflow_id: workflow_id.as_ref().to_owned(),
            options: ListOptions::default(),
        }
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

impl ListRuns {
    list_options_setters!();

    /// Validates every argument: workflow id, limit, `after`, `before`,
    /// then their combination.
    fn validate(&self) -> Result<(WorkflowId, PageSize, Position), Error> {
        let workflow_id = WorkflowId::parse_for("workflow_id", self.workflow_id.as_str())?;
        let (limit, position) = self.options.validate()?;
        Ok((workflow_id, limit, position))
    }

    /// Sends the request and returns one page, exactly as Resend ordered it
    /// (newest first, in both directions).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for a bad id, cursor or
    /// limit, or `after` with `before`; otherwise any error of the request.
    pub async fn send(self) -> Result<Page, Error> {
        let (workflow_id, limit, position) = self.validate()?;
        fetch(self.client, workflow_id, limit, position).await
    }

    /// Every page from the starting position, lazily, one request per page.
    /// Forward pages (no cursor, or `after`) go from newest to oldest;
    /// backward pages (`before`) go towards the newest run and each is
    /// reversed, oldest first. See [`PageStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut pages = client.list_runs("wf_1").pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} runs", page.runs().len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> PageStream<WorkflowRun> {
        match self.validate() {
            Err(error) => PageStream::failed(error),
            Ok((workflow_id, limit, start)) => {
                let client = self.client;
                traverse(limit, start, &self.options, move |limit, position| {
                    fetch(client.clone(), workflow_id.clone(), limit, position)
                })
            }
        }
    }

    /// Every run from the starting position, lazily, one request per page:
    /// newest first going forward; oldest first going backward (`before`).
    /// See [`RunStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let all: Vec<_> = client.list_runs("wf_1").stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> RunStream<WorkflowRun> {
        RunStream::new(self.pages())
    }
}

async fn fetch(
    client: Client,
    workflow_id: WorkflowId,
    limit: PageSize,
    position: Position,
) -> Result<Page<WorkflowRun>, Error> {
    let request = client
        .api
        .list_workflow_runs()
        .workflow_id(workflow_id)
        .limit(limit.non_zero());
    let request = at_position!(request, &position);
    page_from_response(call::run(request.send()).await?, &position)
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
