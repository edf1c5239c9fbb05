//! How the fake answers: routing, Resend's cursor semantics, validation
//! errors with Resend's bodies.

use std::fmt::Write as _;

use std::sync::Mutex;

use http::{HeaderMap, Request, Response};
use httpmock::{HttpMockRequest, HttpMockResponse};

use super::state::{FakeRequest, State, StoredRun, lock};
use super::traffic::Caller;
use crate::ids::check_id;
use crate::status::{AutomationStatus, RunStatus};

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: String,
    pub(super) html: bool,
}

impl Reply {
    fn json(status: u16, body: String) -> Self {
        Self {
            status,
            body,
            html: false,
        }
    }

    fn error(status: u16, name: &str, message: &str) -> Self {
        let body = serde_json::json!({"statusCode": status, "name": name, "message": message});
        Self::json(status, body.to_string())
    }
}

fn validation(message: String) -> Reply {
    Reply::error(422, "validation_error", &message)
}

fn route(
    state: &mut State,
    method: &str,
    headers: &HeaderMap,
    path: &str,
    query: &[(String, String)],
) -> Reply {
    if !headers.contains_key("user-agent") {
        // What Resend's edge does (error code 1010): HTML, not JSON.
        return Reply {
            status: 403,
            body: "<!DOCTYPE html><html><head><title>Access denied | api.resend.com</title></head>\
                   <body><h1>Error 1010</h1><p>Access denied</p></body></html>"
                .to_owned(),
            html: true,
        };
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_none_or(str::is_empty) {
        return Reply::error(
            401,
            "missing_api_key",
            "Missing API key in the authorization header. Include the following header in the \
             request: Authorization: Bearer YOUR_API_KEY",
        );
    }
    if Caller::of(method, path) == Caller::Sends {
        // One of the team's sends, accepted as Resend accepts an email.
        state.emails += 1;
        let id = format!("00000000-0000-4000-8000-{:012x}", state.emails);
        return Reply::json(200, serde_json::json!({ "id": id }).to_string());
    }
    if method != "GET" {
        return Reply::error(405, "method_not_allowed", "Method not allowed");
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["workflows", id, "runs"] => match state.workflows.get(*id) {
            Some(runs) => list(runs, query, Filter::None),
            None => Reply::error(404, "not_found", "Workflow not found"),
        },
        ["workflows", id, "runs", run_id] => {
            get(state.workflows.get(*id), run_id, "Workflow run not found")
        }
        ["automations"] => list(&state.automation_defs, query, Filter::Automations),
        ["automations", id] => get(Some(&state.automation_defs), id, "Automation not found"),
        ["automations", id, "runs"] => match state.automations.get(*id) {
            Some(runs) => list(runs, query, Filter::Runs),
            None => Reply::error(404, "not_found", "Automation not found"),
        },
        ["automations", id, "runs", run_id] => get(
            state.automations.get(*id),
            run_id,
            "Automation run not found",
        ),
        _ => Reply::error(404, "not_found", "The requested endpoint does not exist."),
    }
}

/// The spec's operation id for a path the fake serves.
fn operation(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["workflows", _, "runs"] => Some("list_workflow_runs"),
        ["workflows", _, "runs", _] => Some("get_workflow_run"),
        ["automations"] => Some("list_automations"),
        ["automations", _] => Some("get_automation"),
        ["automations", _, "runs"] => Some("list_automation_runs"),
        ["automations", _, "runs", _] => Some("get_automation_run"),
        _ => None,
    }
}

/// The `status` filter a list takes.
#[derive(Clone, Copy)]
enum Filter {
    None,
    /// Runs: `status=a,b`, every value a documented run status.
    Runs,
    /// Automations: `status=enabled` or `disabled`.
    Automations,
}

/// Parses the `status` parameter of a list.
fn status_filter(raw: &str, kind: Filter) -> Result<Vec<&str>, Reply> {
    let (values, known, expected): (Vec<&str>, Vec<&str>, &str) = match kind {
        Filter::None => return Ok(Vec::new()),
        Filter::Runs => (
            raw.split(',').collect(),
            RunStatus::KNOWN.iter().map(RunStatus::as_str).collect(),
            "a comma-separated list of running, completed, failed, cancelled",
        ),
        Filter::Automations => (
            vec![raw],
            AutomationStatus::KNOWN
                .iter()
                .map(AutomationStatus::as_str)
                .collect(),
            "enabled or disabled",
        ),
    };
    match values.iter().find(|v| !known.contains(v)) {
        Some(v) => Err(validation(format!(
            "Invalid `status` value `{v}`: expected {expected}."
        ))),
        None => Ok(values),
    }
}

fn list(runs: &[StoredRun], query: &[(String, String)], kind: Filter) -> Reply {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let filter = match (param("status"), kind) {
        (Some(raw), Filter::Runs | Filter::Automations) => match status_filter(raw, kind) {
            Ok(f) => Some(f),
            Err(reply) => return reply,
        },
        _ => None,
    };
    let matches = |run: &StoredRun| {
        filter
            .as_ref()
            .is_none_or(|f| f.contains(&run.status.as_str()))
    };
    let limit = match param("limit") {
        // Without a limit, every run at once, as the runs page documents.
        None => usize::MAX,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                return validation(format!(
                    "The `limit` must be between 1 and 100, got `{raw}`."
                ));
            }
        },
    };
    let (after, before) = (param("after"), param("before"));
    for (name, cursor) in [("after", after), ("before", before)] {
        if let Some(c) = cursor
            && check_id(name, c).is_err()
        {
            return validation(format!("The `{name}` cursor `{c}` is not a valid id."));
        }
    }
    let position = |name: &str, cursor: &str| {
        runs.iter().position(|r| r.id == cursor).ok_or_else(|| {
            validation(format!(
                "The `{name}` cursor `{cursor}` does not match a run."
            ))
        })
    };
    // Indices of the page's runs (newest first) and whether more lie beyond.
    let (page, has_more): (Vec<usize>, bool) = match (after, before) {
        (Some(_), Some(_)) => {
            return validation("You can only use either `after` or `before`, not both.".to_owned());
        }
        (None, Some(c)) => {
            let end = match position("before", c) {
                Ok(i) => i,
                Err(reply) => return reply,
            };
            // The `limit` matching runs right before the cursor (newer ones).
            let mut newer = (0..end).rev().filter(|&i| matches(&runs[i]));
            let mut page: Vec<usize> = newer.by_ref().take(limit).collect();
            let has_more = newer.next().is_some();
            page.reverse();
            (page, has_more)
        }
        (after, None) => {
            let start = match after.map(|c| position("after", c)) {
                Some(Ok(i)) => i + 1,
                Some(Err(reply)) => return reply,
                None => 0,
            };
            let mut older = (start..runs.len()).filter(|&i| matches(&runs[i]));
            let page: Vec<usize> = older.by_ref().take(limit).collect();
            (page, older.next().is_some())
        }
    };
    let mut body =
        String::with_capacity(64 + page.iter().map(|&i| runs[i].json.len() + 1).sum::<usize>());
    let _ = write!(body, r#"{{"object":"list","has_more":{has_more},"data":["#);
    for (n, &i) in page.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&runs[i].json);
    }
    body.push_str("]}");
    Reply::json(200, body)
}

fn get(runs: Option<&Vec<StoredRun>>, run_id: &str, missing: &str) -> Reply {
    // A path segment that cannot be an id is not found, as on Resend.
    match runs.and_then(|runs| runs.iter().find(|r| r.id == run_id)) {
        Some(run) => Reply::json(200, run.detail.clone()),
        None => Reply::error(404, "not_found", missing),
    }
}

fn injected(status: u16) -> Reply {
    let name = match status {
        401 => "missing_api_key",
        403 => "invalid_api_key",
        404 => "not_found",
        429 => "rate_limit_exceeded",
        500.. => "internal_server_error",
        _ => "validation_error",
    };
    Reply::error(status, name, "Injected by FakeResend.")
}

/// The answer on loopback (httpmock's server).
pub(super) fn respond(shared: &Mutex<State>, req: &HttpMockRequest) -> HttpMockResponse {
    let answer = answer(shared, &req.to_http_request());
    let mut response = HttpMockResponse::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        response = response.header(name.as_str(), value.to_str().unwrap_or_default());
    }
    response.body(answer.into_body()).build()
}

/// The answer to `req`, whichever server received it (its body unread:
/// no route reads one).
pub(super) fn answer<B>(shared: &Mutex<State>, req: &Request<B>) -> Response<String> {
    let path = req.uri().path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let method = req.method().as_str();
    let mut state = lock(shared);
    let now = state.limit.now();
    let caller = Caller::of(method, &path);
    let mut window = state.limit.admit_from(caller, now);
    state.requests.push(FakeRequest {
        path: path.clone(),
        query: query.clone(),
        at: now,
        refused: window.refused,
        caller,
    });
    // The programmed faults are the reads': the team's sends beside them
    // neither fire nor spend them.
    let reads = caller == Caller::Reads;
    if reads && state.faults.exhausted > 0 {
        state.faults.exhausted -= 1;
        window.remaining = 0;
    }
    let reply = if window.refused {
        Reply::error(
            429,
            "rate_limit_exceeded",
            "Too many requests. You can only make a few requests per second.",
        )
    } else {
        match if reads { state.fault() } else { None } {
            Some(status) => injected(status),
            None => route(&mut state, method, req.headers(), &path, &query),
        }
    };
    let check = state.check.clone();
    drop(state);
    if let (Some(check), Some(operation), false) = (check, operation(&path), reply.html)
        && let Err(problem) = check(operation, reply.status, &reply.body)
    {
        let line = format!("{operation} {} for {path}: {problem}", reply.status);
        lock(shared).violations.push(line);
    }

    let content_type = if reply.html {
        "text/html; charset=UTF-8"
    } else {
        "application/json"
    };
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", content_type)
        .header("ratelimit-limit", window.limit.to_string())
        .header("ratelimit-remaining", window.remaining.to_string())
        .header("ratelimit-reset", window.reset_secs.to_string());
    if window.refused {
        response = response.header("retry-after", window.reset_secs.to_string());
    }
    response
        .body(reply.body)
        .expect("a status and headers the fake chose")
}
