//! Shared test support: the spec as JSON Schema, so every body a mock serves
//! is held against the spec, and a client pointed at a mock server.
#![allow(dead_code)]

pub mod raw;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use resend_workflows::Client;
use serde_json::{Map, Value, json};

pub const KEY: &str = "re_test_5ecret_k3y_do_not_print";

/// Asserts the key appears in neither the `Debug` nor the `Display` of `value`.
#[track_caller]
pub fn assert_no_key<T: std::fmt::Debug + std::fmt::Display>(value: &T) {
    let shown = format!("{value:?}\n{value}");
    assert!(!shown.contains(KEY), "the API key leaked: {shown}");
    assert!(
        !shown.contains("5ecret"),
        "part of the API key leaked: {shown}"
    );
}

/// A client for `base_url` with the test key.
pub fn client(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .build()
        .expect("test client builds")
}

/// A reqwest builder for the tests' own HTTP clients. The crate builds its
/// reqwest clients with an explicit TLS configuration and compiles no
/// default crypto provider into reqwest, so a hand-built client needs one
/// installed: aws-lc-rs, as the crate uses by default.
pub fn reqwest_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client for `base_url` that makes one attempt per request.
pub fn client_no_retry(base_url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry(resend_workflows::RetryPolicy::disabled())
        .build()
        .expect("test client builds")
}

/// A client for tests on tokio's paused clock: no per-request timeout and
/// no idle-pool timer, so the only timers are the client's own waits, and
/// time advances exactly by them.
pub fn paused_client(base_url: &str, retry: resend_workflows::RetryPolicy) -> Client {
    paused_builder(base_url, retry)
        .build()
        .expect("test client builds")
}

/// The builder of [`paused_client`], for tests that set more.
pub fn paused_builder(
    base_url: &str,
    retry: resend_workflows::RetryPolicy,
) -> resend_workflows::ClientBuilder {
    let http = reqwest_builder()
        .pool_idle_timeout(None)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .build()
        .unwrap();
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .http_client(http)
        .no_timeout()
        .retry(retry)
}

/// A fake Resend that holds every answer it serves against the spec, and
/// fails the test (when dropped) if one broke it.
pub struct Fake(pub resend_workflows::fake::FakeResend);

impl std::ops::Deref for Fake {
    type Target = resend_workflows::fake::FakeResend;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_answers_valid(&self.0);
        }
    }
}

/// Starts a fake whose every answer is checked against the spec.
pub async fn fake() -> Fake {
    let fake = resend_workflows::fake::FakeResend::start().await;
    check_answers(&fake);
    Fake(fake)
}

/// Makes `fake` hold every answer it serves against the spec.
pub fn check_answers(fake: &resend_workflows::fake::FakeResend) {
    fake.check_answers(|operation, status, body| {
        let body: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        check(operation, status, &body)
    });
}

/// Fails if any answer `fake` served broke the spec.
#[track_caller]
pub fn assert_answers_valid(fake: &resend_workflows::fake::FakeResend) {
    let violations = fake.violations();
    assert!(
        violations.is_empty(),
        "the fake served {} answers that break the spec:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

/// A runtime and a fake shared by the cases of one property test (each
/// property takes its own `slot`, since properties run in parallel and some
/// program faults).
pub struct PropEnv {
    pub rt: tokio::runtime::Runtime,
    pub fake: resend_workflows::fake::FakeResend,
}

pub fn prop_env(slot: usize) -> &'static PropEnv {
    static ENVS: [OnceLock<PropEnv>; 8] = [const { OnceLock::new() }; 8];
    ENVS[slot].get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let fake = rt.block_on(resend_workflows::fake::FakeResend::start());
        check_answers(&fake);
        PropEnv { rt, fake }
    })
}

/// A parent id no other case uses.
pub fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}_{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A directory of its own under the system's temporary one, removed when
/// dropped (a failed test included): named by process and a counter, so
/// no run finds what an earlier one left.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(prefix: &str) -> Self {
        let name = format!("{}-{}", unique_id(prefix), std::process::id());
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The spec, parsed once.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        // Relative to this file: the watch's tests share it (their crate
        // is one folder down).
        let text = include_str!("../../../openapi/resend-workflows.yaml");
        serde_norway::from_str(text).expect("spec is YAML")
    })
}

/// The format the tests give the spec's `Timestamp`: Resend's two forms,
/// RFC 3339 and Postgres text, and nothing else. Checked with chrono, not
/// with the crate's own parser, so a bug there cannot hide.
pub const TIMESTAMP_FORMAT: &str = "resend-timestamp";

/// Whether `s` is a timestamp in one of Resend's two forms.
pub fn is_resend_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z").is_ok()
}

/// OpenAPI 3.0 `nullable: true` (beside a `type`) becomes a JSON Schema
/// union with null.
fn convert(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable" && k.as_str() != "example")
                .map(|(k, v)| (k.clone(), convert(v)))
                .collect();
            // OpenAPI 3.0.3: `nullable` adds null only beside a `type`.
            if map.get("nullable") == Some(&Value::Bool(true)) && map.contains_key("type") {
                let inner = Value::Object(std::mem::take(&mut out));
                out.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => spec
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => value,
    }
}

/// The JSON Schema of the response of `operation_id` for `status`, falling
/// back to the `4XX`/`5XX` range the way OpenAPI does.
pub fn response_schema(operation_id: &str, status: u16) -> Value {
    let spec = spec();
    let operation = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id} in the spec"));
    let responses = &operation["responses"];
    let range = format!("{}XX", status / 100);
    let response = [status.to_string(), range, "default".to_owned()]
        .iter()
        .find_map(|key| responses.get(key))
        .unwrap_or_else(|| panic!("{operation_id} documents no {status} response"));
    let response = resolve(spec, response);
    let schema = &response["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "{operation_id} {status}: no JSON schema");
    let mut components = convert(&spec["components"]);
    components["schemas"]["Timestamp"]["format"] = json!(TIMESTAMP_FORMAT);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [convert(schema)],
        "components": components,
    })
}

/// The validator of a response, compiled once: formats are checked.
fn validator(operation_id: &str, status: u16) -> Arc<jsonschema::Validator> {
    type Cache = Mutex<HashMap<(String, u16), Arc<jsonschema::Validator>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (operation_id.to_owned(), status);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_format(TIMESTAMP_FORMAT, is_resend_timestamp)
        .build(&response_schema(operation_id, status))
        .expect("schema compiles");
    let validator = Arc::new(validator);
    cache.lock().unwrap().insert(key, validator.clone());
    validator
}

/// Why `body` breaks the spec for that response, or `Ok`.
pub fn check(operation_id: &str, status: u16, body: &Value) -> Result<(), String> {
    let validator = validator(operation_id, status);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// `body`, after asserting it matches the spec: every mock body goes through here.
#[track_caller]
pub fn valid(operation_id: &str, status: u16, body: Value) -> Value {
    if let Err(e) = check(operation_id, status, &body) {
        panic!("mock body for {operation_id} {status} breaks the spec: {e}\n{body:#}");
    }
    body
}

/// `body`, after asserting it breaks the spec (for decode-error tests).
#[track_caller]
pub fn invalid(operation_id: &str, status: u16, body: Value) -> Value {
    assert!(
        check(operation_id, status, &body).is_err(),
        "expected {operation_id} {status} body to break the spec: {body:#}"
    );
    body
}

/// The seed's list example, verbatim.
pub fn seed_list() -> Value {
    json!({
      "object": "list",
      "has_more": false,
      "data": [
        {
          "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
          "status": "completed",
          "started_at": "2025-10-01T12:00:00.000Z",
          "completed_at": "2025-10-01T12:05:00.000Z",
          "created_at": "2025-10-01T12:00:00.000Z"
        },
        {
          "id": "b2c3d4e5-f6a7-8901-bcde-f12345678901",
          "status": "running",
          "started_at": "2025-10-02T08:30:00.000Z",
          "completed_at": null,
          "created_at": "2025-10-02T08:30:00.000Z"
        }
      ]
    })
}

/// The single-run example of the API facts, verbatim.
pub fn seed_run() -> Value {
    json!({
      "object": "workflow_run",
      "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
      "status": "completed",
      "trigger": {"event_name": "user.created", "payload": {"plan": "pro"}},
      "started_at": "2025-10-01T12:00:00.000Z",
      "completed_at": "2025-10-01T12:05:00.000Z",
      "created_at": "2025-10-01T12:00:00.000Z"
    })
}

pub fn error_body(status: u16, name: &str, message: &str) -> Value {
    json!({"statusCode": status, "name": name, "message": message})
}

/// A status drawn from a byte, for property tests: running twice as often,
/// and one the crate does not know.
pub fn status(code: u8) -> resend_workflows::RunStatus {
    use resend_workflows::RunStatus;
    match code % 7 {
        0 | 1 => RunStatus::Running,
        2 => RunStatus::Completed,
        3 => RunStatus::Failed,
        4 => RunStatus::Cancelled,
        5 => RunStatus::Skipped,
        _ => RunStatus::Unknown("waiting".into()),
    }
}
