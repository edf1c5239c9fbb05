//! Automation runs (the GA API): `Client::list_automation_runs`,
//! `Client::get_automation_run`. The same builder options, validation,
//! pages, streams, checkpoints and loop guards as workflow runs, plus a
//! status filter.

use crate::call;
use crate::client::Client;
use crate::error::Error;
use crate::generated::types::{AutomationRun, AutomationRunObject};
use crate::ids::{AutomationId, PageSize, RunId};
use crate::list::{ListOptions, Position, at_position, list_options_setters, traverse};
use crate::page::{Page, page_from_response};
use crate::paginate::{PageStream, RunStream};
use crate::status::{RunStatus, StatusFilter};

/// A request for an automation's runs, optionally filtered by status: one
/// page with [`send`](Self::send), or every page with [`pages`](Self::pages)
/// and [`stream`](Self::stream). Made by [`Client::list_automation_runs`].
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until sent"]
pub struct ListAutomationRuns {
    client: Client,
    automation_id: String,
    options: ListOptions,
    status: Option<StatusFilter>,
}

impl Client {
    /// Lists an automation's runs, newest first (the GA form of
    /// [`list_runs`](Self::list_runs)). The id is validated when sent.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use resend_workflows::RunStatus;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let failed: Vec<_> = client
    ///     .list_automation_runs("7c9e6679-7425-40de-944b-e07fc1f90ae7")
    ///     .status([RunStatus::Failed, RunStatus::Cancelled])
    ///     .stream()
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn list_automation_runs(&self, automation_id: impl AsRef<str>) -> ListAutomationRuns {
        ListAutomationRuns {
            client: self.clone(),
            automation_id: automation_id.as_ref().to_owned(),
            options: ListOptions::default(),
            status: None,
        }
    }

    /// Retrieves one automation run with its steps, in graph order. Both
    /// ids are validated before anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed id; an [`Error::Api`] with
    /// kind [`NotFound`](crate::ApiErrorKind::NotFound) when the run does not exist.
    pub async fn get_automation_run(
        &self,
        automation_id: impl AsRef<str>,
        run_id: impl AsRef<str>,
    ) -> Result<AutomationRunObject, Error> {
        let automation_id = AutomationId::parse_for("automation_id", automation_id.as_ref())?;
        let run_id = RunId::parse_for("run_id", run_id.as_ref())?;
        let request = self
            .api
            .get_automation_run()
            .automation_id(automation_id)
            .run_id(run_id);
        Ok(call::run(request.send()).await?.into_inner())
    }
}

impl ListAutomationRuns {
    list_options_setters!();

    /// Only runs in these statuses, sent as one comma-separated `status`
    /// parameter. An empty set is rejected when sent.
    pub fn status(mut self, statuses: impl IntoIterator<Item = RunStatus>) -> Self {
        self.status = Some(statuses.into_iter().collect());
        self
    }

    /// Validates every argument: automation id, limit, `after`, `before`,
    /// their combination, then the status filter.
    fn validate(&self) -> Result<(AutomationId, PageSize, Position), Error> {
        let automation_id = AutomationId::parse_for("automation_id", self.automation_id.as_str())?;
        let (limit, position) = self.options.validate()?;
        if let Some(filter) = &self.status {
            filter.check()?;
        }
        Ok((automation_id, limit, position))
    }

    /// Sends the request and returns one page, exactly as Resend ordered it
    /// (newest first, in both directions).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for a bad id, cursor,
    /// limit or status filter, or `after` with `before`; otherwise any
    /// error of the request.
    pub async fn send(self) -> Result<Page<AutomationRun>, Error> {
        let (automation_id, limit, position) = self.validate()?;
        fetch(self.client, automation_id, self.status, limit, position).await
    }

    /// Every page from the starting position, lazily; ordered and guarded
    /// like [`ListRuns::pages`](crate::ListRuns::pages).
    pub fn pages(self) -> PageStream<AutomationRun> {
        match self.validate() {
            Err(error) => PageStream::failed(error),
            Ok((automation_id, limit, start)) => {
                let (client, status) = (self.client, self.status);
                traverse(limit, start, &self.options, move |limit, position| {
                    fetch(
                        client.clone(),
                        automation_id.clone(),
                        status.clone(),
                        limit,
                        position,
                    )
                })
            }
        }
    }

    /// Every matching run from the starting position: newest first going
    /// forward, oldest first going backward (`before`).
    pub fn stream(self) -> RunStream<AutomationRun> {
        RunStream::new(self.pages())
    }
}

async fn fetch(
    client: Client,
    automation_id: AutomationId,
    status: Option<StatusFilter>,
    limit: PageSize,
    position: Position,
) -> Result<Page<AutomationRun>, Error> {
    let mut request = client
        .api
        .list_automation_runs()
        .automation_id(automation_id)
        .limit(limit.non_zero());
    if let Some(status) = status {
        request = request.status(status);
    }
    let request = at_position!(request, &position);
    page_from_response(call::run(request.send()).await?, &position)
}
