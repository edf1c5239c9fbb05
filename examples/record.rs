//! Records real answers for the drift check (`tests/recorded/`): a page of
//! an automation's runs, one run, and the automation, as the API sends
//! them, with ids, names and payload values scrubbed (their shape kept).
//!
//!     RESEND_API_KEY=re_... cargo run --example record -- <automation_id>
//!
//! writes `tests/recorded/recorded-<date>-<operation>.json`; `cargo test`
//! then decodes each and validates it against the spec. Without a key it
//! records from the in-process fake into a temporary folder, to show what
//! it does. It only reads.

// An example prints what it does.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use resend_workflows::fake::FakeResend;
use resend_workflows::{AutomationId, DEFAULT_BASE_URL};
use serde_json::{Map, Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let id_arg = std::env::args().nth(1);
    let (base, key, automation, out, _fake) = match (std::env::var("RESEND_API_KEY"), id_arg) {
        (Ok(key), Some(id)) => {
            let base =
                std::env::var("RESEND_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
            let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/recorded");
            (base, key, id, out, None)
        }
        (Ok(_), None) => {
            return Err(
                "pass an automation id: cargo run --example record -- <automation_id>".into(),
            );
        }
        (Err(_), _) => {
            let fake = FakeResend::start().await;
            fake.seed_automation("onboarding", 3);
            let out = std::env::temp_dir().join("resend-workflows-recorded");
            eprintln!(
                "RESEND_API_KEY is not set: recording from an in-process fake into {}",
                out.display()
            );
            (
                fake.base_url(),
                "re_fake_demo_key".to_owned(),
                "onboarding".to_owned(),
                out,
                Some(fake),
            )
        }
    };
    // The id goes into a path: the crate's own check.
    let automation = AutomationId::new(automation)?;
    let http = http_client()?;
    let get = |path: String| {
        let (http, key, base) = (http.clone(), key.clone(), base.clone());
        async move {
            let response = http
                .get(format!("{base}{path}"))
                .bearer_auth(&key)
                .header("user-agent", resend_workflows::DEFAULT_USER_AGENT)
                .send()
                .await?;
            let status = response.status().as_u16();
            let body: Value = response.json().await?;
            Ok::<_, reqwest::Error>((path, status, body))
        }
    };
    let runs = get(format!("/automations/{automation}/runs?limit=5")).await?;
    let first_run = runs.2["data"][0]["id"].as_str().map(str::to_owned);
    let mut answers = vec![("list_automation_runs", runs)];
    if let Some(run) = first_run {
        answers.push((
            "get_automation_run",
            get(format!("/automations/{automation}/runs/{run}")).await?,
        ));
    }
    answers.push((
        "get_automation",
        get(format!("/automations/{automation}")).await?,
    ));

    std::fs::create_dir_all(&out)?;
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let mut scrub = Scrub::default();
    // The automation's id is in every path: scrubbed from the first.
    scrub.id(automation.as_str(), "id");
    for (operation, (path, status, body)) in answers {
        let body = scrub.value(None, body);
        let file = out.join(format!("recorded-{date}-{operation}.json"));
        let record = json!({
            "source": format!("recorded from GET {base}{} ({status}) on {date} by examples/record.rs, scrubbed", scrub.path(&path)),
            "operation": operation,
            "status": status,
            "body": body,
        });
        std::fs::write(&file, serde_json::to_string_pretty(&record)? + "\n")?;
        println!("{status} {operation} -> {}", file.display());
    }
    Ok(())
}

/// The client's TLS (rustls, aws-lc-rs, the platform's verifier), for raw GETs:
/// the drift check wants the bytes as sent, not the crate's decoding.
fn http_client() -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(tls)
        .build()?)
}

/// Replaces what could identify an account, keeping the shape: ids become
/// stable fake ids (a UUID stays a UUID), names and step keys stable
/// placeholders, and the values inside configs, outputs, errors and
/// payloads `"x"`, `0` or `false` (their keys kept).
#[derive(Default)]
struct Scrub {
    ids: HashMap<String, String>,
}

impl Scrub {
    fn id(&mut self, id: &str, prefix: &str) -> String {
        let n = self.ids.len();
        self.ids
            .entry(id.to_owned())
            .or_insert_with(|| {
                let uuid = id.len() == 36 && id.chars().filter(|&c| c == '-').count() == 4;
                if uuid {
                    format!("00000000-0000-4000-8000-{n:012x}")
                } else {
                    format!("{prefix}_{n}")
                }
            })
            .clone()
    }

    /// The request path, its ids scrubbed as in the bodies.
    fn path(&mut self, path: &str) -> String {
        path.split('/')
            .map(|segment| match segment.split_once('?') {
                Some((s, q)) if self.ids.contains_key(s) => format!("{}?{q}", self.ids[s]),
                _ if self.ids.contains_key(segment) => self.ids[segment].clone(),
                _ => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn value(&mut self, key: Option<&str>, value: Value) -> Value {
        match (key, value) {
            (Some("id"), Value::String(s)) => Value::String(self.id(&s, "id")),
            (Some("name"), Value::String(s)) => {
                Value::String(format!("Automation {}", self.id(&s, "name")))
            }
            (Some("key" | "from" | "to"), Value::String(s)) => Value::String(self.id(&s, "step")),
            (Some("config" | "output" | "error" | "payload"), v) => opaque(v),
            (_, Value::Object(map)) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = self.value(Some(&k), v);
                        (k, v)
                    })
                    .collect::<Map<_, _>>(),
            ),
            (_, Value::Array(items)) => {
                Value::Array(items.into_iter().map(|v| self.value(None, v)).collect())
            }
            (_, v) => v,
        }
    }
}

/// A value whose content is the account's: its structure kept, its leaves blanked.
fn opaque(value: Value) -> Value {
    match value {
        Value::String(_) => Value::String("x".to_owned()),
        Value::Number(_) => json!(0),
        Value::Bool(_) => Value::Bool(false),
        Value::Array(items) => Value::Array(items.into_iter().map(opaque).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, opaque(v))).collect()),
        Value::Null => Value::Null,
    }
}
