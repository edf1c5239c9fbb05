//! The collections the crate lists, one file each, and the one list request
//! they share. Adding a collection is a spec path, a [`Collection`] impl
//! and the client method that makes its request.

mod automation_runs;
mod automations;
mod request;
mod workflow_runs;

pub use automation_runs::{AutomationRuns, ListAutomationRuns};
pub use automations::{Automations, ListAutomations};
pub use request::{Collection, ListRequest};
pub use workflow_runs::{ListWorkflowRuns, WorkflowRuns};
