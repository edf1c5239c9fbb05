//! Not public API (feature `internals`): what a page or a run costs after
//! its bytes arrive, and what the header readers make of any headers, for
//! the crate's benchmark and fuzz targets. Each goes through the same code
//! the client runs on a response.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::ids::check_id;
use crate::pagination::{ListItem, Page, Position};
use crate::rate_limit::RateLimit;
use crate::transport::decode_error;
use crate::transport::generated::types::{
    Automation, AutomationList, AutomationListItem, AutomationRun, AutomationRunList,
    AutomationRunListItem, ErrorBody, WorkflowRun, WorkflowRunList, WorkflowRunListItem,
};
use crate::transport::headers::{self, Hints};

/// Decodes `body` as the client does, with the same error on failure.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body)
        .map_err(|e| decode_error::<T>(StatusCode::OK, &bytes::Bytes::copy_from_slice(body), e))
}

/// A page as a stream accepts it: decoded, made (next cursor checked),
/// every id checked as a cursor, the rate-limit headers read.
fn page<T: ListItem>(headers: &HeaderMap, items: Vec<T>, has_more: bool) -> Result<Page<T>, Error> {
    let rate_limit = headers::rate_limit(headers);
    let page = Page::new(items, has_more, &Position::Start, rate_limit)?;
    for item in page.items() {
        check_id("run id", item.item_id())?;
    }
    Ok(page)
}

/// Everything a page of workflow runs costs after its bytes arrive.
pub fn workflow_page(headers: &HeaderMap, body: &[u8]) -> Result<Page<WorkflowRunListItem>, Error> {
    let list: WorkflowRunList = decode(body)?;
    page(headers, list.data, list.has_more)
}

/// Everything a page of automation runs costs after its bytes arrive.
pub fn automation_page(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Page<AutomationRunListItem>, Error> {
    let list: AutomationRunList = decode(body)?;
    page(headers, list.data, list.has_more)
}

/// Everything a page of automations costs after its bytes arrive.
pub fn automation_list_page(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Page<AutomationListItem>, Error> {
    let list: AutomationList = decode(body)?;
    page(headers, list.data, list.has_more)
}

/// A retrieved automation, decoded as the client does.
pub fn automation(body: &[u8]) -> Result<Automation, Error> {
    decode(body)
}

/// An error body, decoded as the client does (its `name` and `message`).
pub fn error_body(body: &[u8]) -> Result<(String, String), Error> {
    let body: ErrorBody = decode(body)?;
    Ok((body.name, body.message))
}

/// A retrieved workflow run, decoded as the client does.
pub fn workflow_run(body: &[u8]) -> Result<WorkflowRun, Error> {
    decode(body)
}

/// A retrieved automation run, decoded as the client does.
pub fn automation_run(body: &[u8]) -> Result<AutomationRun, Error> {
    decode(body)
}

/// What the client reads from a response's headers: the rate limit, the
/// `retry-after`, and the wait it would honour before the next request.
pub fn read_headers(
    headers: &HeaderMap,
    now: SystemTime,
) -> (Option<RateLimit>, Option<Duration>, Option<Duration>) {
    let hints = Hints::read(headers, now);
    (hints.rate_limit, hints.retry_after, hints.server_wait())
}
