#![doc = include_str!("../README.md")]
//!
//! ## Words
//!
//! A **lane** ([`Lane`]) is a share of the team's rate limit, spent on one
//! [`Budget`]; a **turn** is a request's slot at the rate gate, in its lane
//! ([`Lane::wait_turn`]); **outstanding** requests are sent and not yet
//! answered; a **quota** is only Resend's daily or monthly one
//! ([`ApiErrorKind::DailyQuotaExceeded`]). (The watch's glossary, in
//! `resend-workflows-watch`, says the rest: a run *in flight*, a poll, a
//! lease, a fair share.)
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod collections;
mod error;
mod ids;
mod instant;
pub mod metrics;
mod pagination;
mod payload;
mod rate_limit;
#[cfg(feature = "schemars")]
mod schema;
mod status;
mod text;
mod timestamp;
mod trace;
mod transport;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_SERVER_WAIT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use collections::{
    AutomationRuns, Automations, Collection, ListAutomationRuns, ListAutomations, ListRequest,
    ListWorkflowRuns, WorkflowRuns,
};
pub use error::{
    ApiError, ApiErrorKind, BAD_RECORD_RAW_BYTES, BadRecord, BadRecordKind, ConfigError,
    DecodeError, Error, HeldBy, InvalidArgument, InvalidReason, PaginationError,
    PaginationErrorKind, ResponseTooLarge, Throttled, TransportError,
};
pub use ids::{AutomationId, Cursor, MAX_ID_LEN, PageSize, RunId, WorkflowId};
pub use pagination::{
    Direction, ItemStream, ListItem, Page, PageStream, Position, RunItem, Traversal,
};
pub use payload::EventPayload;
pub use rate_limit::{MAX_SERVER_WAIT, RateLimit};
pub use status::{
    AutomationStatus, ConnectionType, RunStatus, StatusFilter, StepStatus, StepType,
    WorkflowRunStatus,
};
pub use timestamp::{Timestamp, TimestampError};
pub use transport::gate::{
    Budget, DEFAULT_BUDGET, Lane, LaneTicket, LaneWaiting, Priority, SharedTurns, TeamLimit,
};
/// The wire types progenitor generates from the spec (`openapi/`), for
/// building fixtures and using the [`mock`] helpers. The ergonomic API
/// re-exports the ones it returns at the crate root.
pub use transport::generated::types;
pub use transport::generated::types::{
    Automation, AutomationConnection, AutomationListItem, AutomationRun, AutomationRunListItem,
    AutomationRunStep, AutomationStep, WorkflowRun, WorkflowRunListItem, WorkflowRunTrigger,
};
pub use transport::retry::RetryPolicy;

#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;

/// progenitor's typed httpmock helpers for each operation (feature `fake`):
/// `server.list_workflow_runs(|when, then| ...)` with `when.workflow_id(..)`,
/// `when.limit(..)`, `then.ok(&page)`.
#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all
)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/generated_httpmock.rs"));
}

/// Not public API: the decoders and header readers the crate's own
/// benchmark and fuzz targets call (feature `internals`, which only the
/// crate's dev-dependency on itself and `fuzz/` enable).
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
