#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod automation_runs;
mod call;
mod client;
mod error;
mod gate;
mod generated;
mod guard;
mod hooks;
mod ids;
mod list;
mod page;
mod paginate;
mod payload;
mod ratelimit;
mod retry;
mod status;
mod timestamp;
mod trace;
mod workflow_runs;

pub use automation_runs::ListAutomationRuns;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use error::{
    ApiError, ApiErrorKind, ConfigError, DecodeError, Error, InvalidArgument, InvalidReason,
    ResponseTooLarge, TransportError,
};
pub use generated::types::{
    AutomationRun, AutomationRunObject, AutomationRunStep, WorkflowRun, WorkflowRunTrigger,
};
pub use guard::{PaginationError, PaginationErrorKind};
pub use ids::{AutomationId, Cursor, MAX_ID_LEN, PageSize, RunId, WorkflowId};
pub use list::Direction;
pub use page::{HasRunId, Page};
pub use paginate::{PageStream, RunStream};
pub use payload::EventPayload;
pub use ratelimit::RateLimit;
pub use retry::RetryPolicy;
pub use status::{RunStatus, StatusFilter, StepStatus, WorkflowRunStatus};
pub use timestamp::{Timestamp, TimestampError};
pub use workflow_runs::ListRuns;

/// The wire types progenitor generates from the spec (`openapi/`), for
/// building fixtures and using the [`mock`] helpers. The ergonomic API
/// re-exports the ones it returns at the crate root.
pub use generated::types;

#[cfg(feature = "fake")]
pub mod fake;

/// progenitor's typed httpmock helpers for each operation (feature `fake`):
/// `server.list_workflow_runs(|when, then| ...)` with `when.workflow_id(..)`,
/// `when.limit(..)`, `then.ok(&page)`.
#[cfg(feature = "fake")]
#[allow(missing_docs, clippy::all)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/generated_httpmock.rs"));
}

/// Not public API: hooks for the crate's own benchmarks.
#[doc(hidden)]
pub mod __private {
    use crate::{Error, Page};

    /// Decodes a workflow runs list body into a forward [`Page`], exactly
    /// as the client does after a response arrives.
    pub fn decode_workflow_page(body: &[u8]) -> Result<Page, Error> {
        let list: crate::types::WorkflowRunList =
            serde_json::from_slice(body).map_err(|e| crate::error::DecodeError {
                status: reqwest::StatusCode::OK,
                path: ".".to_owned(),
                snippet: String::new(),
                source: e,
            })?;
        let response = progenitor_client::ResponseValue::new(
            list,
            reqwest::StatusCode::OK,
            reqwest::header::HeaderMap::new(),
        );
        crate::page::page_from_response(response, &crate::list::Position::Start)
    }
}
