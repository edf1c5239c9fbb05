//! What a poll found, in order, and how each item moves the state.

use crate::error::Error;
use crate::event::RunEvent;
use crate::state::Change;
use resend_workflows::RunItem;

/// One item of a poll, in order: an event, a failure (a watch goes on), or
/// a change of state that yields nothing.
#[derive(Debug)]
pub(crate) enum Queued<R> {
    Event(RunEvent<R>),
    Failed(Error),
    Silent(Change),
}

impl<R: RunItem> Queued<R> {
    /// How the item changes the state, once yielded.
    pub(crate) fn change(&self) -> Option<Change> {
        match self {
            Self::Event(RunEvent::Started(run)) => Some(Change::Seen {
                id: run.item_id().to_owned(),
                created_at: run.created_at(),
                status: run.status().clone(),
            }),
            Self::Event(RunEvent::Changed { run, .. }) => Some(Change::Moved {
                id: run.item_id().to_owned(),
                status: run.status().clone(),
            }),
            Self::Event(RunEvent::Finished { run, .. }) => Some(Change::Ended {
                id: run.item_id().to_owned(),
            }),
            Self::Event(RunEvent::Gone { id, .. }) => Some(Change::Ended { id: id.clone() }),
            Self::Silent(change) => Some(change.clone()),
            Self::Failed(_) => None,
        }
    }
}
