//! Automations (the GA API): `Client::list_automations`,
//! `Client::get_automation`. Read-only: the crate never creates, changes,
//! stops or deletes an automation.

use super::request::{Collection, ListRequest, sealed};
use crate::client::Client;
use crate::error::{Error, InvalidArgument};
use crate::ids::AutomationId;
use crate::pagination::{ItemSealed, ListItem};
use crate::status::AutomationStatus;
use crate::transport::Operation;
use crate::transport::generated::types::{Automation, AutomationList, AutomationListItem};

/// The team's automations: `GET /automations`.
#[derive(Debug, Clone, Copy)]
pub enum Automations {}

/// A request for the team's automations.
pub type ListAutomations = ListRequest<Automations>;

impl sealed::Sealed for Automations {}

impl Collection for Automations {
    type Parent = ();
    type Item = AutomationListItem;
    type Filter = AutomationStatus;
    type List = AutomationList;

    fn check_filter(filter: &AutomationStatus) -> Result<(), InvalidArgument> {
        filter.check()
    }

    fn list(
        _: &(),
        filter: Option<&AutomationStatus>,
        page: sealed::PageQuery,
    ) -> Operation<AutomationList> {
        let filter = filter.cloned();
        Operation::new(move |api| {
            let mut request = api.list_automations().limit(page.limit());
            if let Some(filter) = filter {
                request = request.status(filter);
            }
            Box::pin(
                page.apply(request, |r, c| r.after(c), |r, c| r.before(c))
                    .send(),
            )
        })
    }

    fn items(list: AutomationList) -> (Vec<AutomationListItem>, bool) {
        (list.data, list.has_more)
    }
}

impl ItemSealed for AutomationListItem {}

impl ListItem for AutomationListItem {
    fn item_id(&self) -> &str {
        &self.id
    }
}

impl ListRequest<Automations> {
    /// Only the automations in this status (`Enabled` or `Disabled`).
    pub fn status(self, status: AutomationStatus) -> Self {
        self.set_filter(status)
    }
}

impl Client {
    /// Lists the team's automations, newest first: one page with `send()`,
    /// every one with `stream()`, like the runs.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use resend_workflows::AutomationStatus;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let enabled: Vec<_> = client
    ///     .list_automations()
    ///     .status(AutomationStatus::Enabled)
    ///     .stream()
    ///     .try_collect()
    ///     .await?;
    /// for automation in &enabled {
    ///     println!("{} {}", automation.id, automation.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_automations(&self) -> ListAutomations {
        ListRequest::new(self, Ok(()))
    }

    /// Retrieves one automation with the steps and connections of its
    /// active version: the graph that a run step's `key` refers to. The id
    /// is validated before anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed id; an [`Error::Api`] with
    /// kind [`NotFound`](crate::ApiErrorKind::NotFound) when it does not exist.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let automation = client.get_automation("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd").await?;
    /// for connection in &automation.connections {
    ///     println!("{} -> {}", connection.from, connection.to);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_automation(
        &self,
        automation_id: impl AsRef<str>,
    ) -> Result<Automation, Error> {
        let automation_id = AutomationId::parse_for("automation_id", automation_id.as_ref())?;
        self.get(Operation::new(move |api| {
            Box::pin(api.get_automation().automation_id(automation_id).send())
        }))
        .await
    }
}
