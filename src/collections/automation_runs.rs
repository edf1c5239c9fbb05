//! Automation runs (the GA API): `Client::list_automation_runs`,
//! `Client::get_automation_run`. The same request, validation, pages,
//! streams, checkpoints and loop guards as workflow runs, plus a status
//! filter.

use super::request::{Collection, ListRequest, sealed};
use crate::client::Client;
use crate::error::{Error, InvalidArgument};
use crate::ids::{AutomationId, RunId};
use crate::pagination::{ItemSealed, ListItem, RunItem};
use crate::status::{RunStatus, StatusFilter};
use crate::transport::Operation;
use crate::transport::generated::types::{AutomationRun, AutomationRunList, AutomationRunListItem};

/// The runs of an automation: `GET /automations/{automation_id}/runs`.
#[derive(Debug, Clone, Copy)]
pub enum AutomationRuns {}

/// A request for an automation's runs.
pub type ListAutomationRuns = ListRequest<AutomationRuns>;

impl sealed::Sealed for AutomationRuns {}

impl Collection for AutomationRuns {
    type Parent = AutomationId;
    type Item = AutomationRunListItem;
    type Filter = StatusFilter;
    type List = AutomationRunList;

    fn check_filter(filter: &StatusFilter) -> Result<(), InvalidArgument> {
        filter.check()
    }

    fn list(
        parent: &AutomationId,
        filter: Option<&StatusFilter>,
        page: sealed::PageQuery,
    ) -> Operation<AutomationRunList> {
        let (parent, filter) = (parent.clone(), filter.cloned());
        Operation::new(move |api| {
            let mut request = api
                .list_automation_runs()
                .automation_id(parent)
                .limit(page.limit());
            if let Some(filter) = filter {
                request = request.status(filter);
            }
            Box::pin(
                page.apply(request, |r, c| r.after(c), |r, c| r.before(c))
                    .send(),
            )
        })
    }

    fn items(list: AutomationRunList) -> (Vec<AutomationRunListItem>, bool) {
        (list.data, list.has_more)
    }
}

impl ItemSealed for AutomationRunListItem {}

impl ListItem for AutomationRunListItem {
    fn item_id(&self) -> &str {
        &self.id
    }
}

impl RunItem for AutomationRunListItem {
    fn status(&self) -> &crate::status::RunStatus {
        &self.status
    }

    fn created_at(&self) -> crate::timestamp::Timestamp {
        self.created_at
    }
}

impl ListRequest<AutomationRuns> {
    /// Only runs in these statuses, sent as one comma-separated `status`
    /// parameter. An empty set is rejected when sent.
    pub fn status(self, statuses: impl IntoIterator<Item = RunStatus>) -> Self {
        self.set_filter(statuses.into_iter().collect())
    }
}

impl Client {
    /// Lists an automation's runs, newest first (the GA form of
    /// [`list_workflow_runs`](Self::list_workflow_runs)). An invalid id is reported when the
    /// request is sent.
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
        ListRequest::new(
            self,
            AutomationId::parse_for("automation_id", automation_id.as_ref()),
        )
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
    ) -> Result<AutomationRun, Error> {
        let automation_id = AutomationId::parse_for("automation_id", automation_id.as_ref())?;
        let run_id = RunId::parse_for("run_id", run_id.as_ref())?;
        self.get(Operation::new(move |api| {
            Box::pin(
                api.get_automation_run()
                    .automation_id(automation_id)
                    .run_id(run_id)
                    .send(),
            )
        }))
        .await
    }
}
