//! Generates the low-level client from `openapi/resend-workflows.yaml` into
//! `$OUT_DIR`. The output is never committed: change the spec and the client
//! regenerates on the next build.

// A build script reports on stderr: that is how cargo shows its failures.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const SPEC: &str = "openapi/resend-workflows.yaml";

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    match generate(Path::new(SPEC)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Stop the build with the file and the problem, not a panic backtrace.
            eprintln!("error: {SPEC}: {message}");
            println!("cargo:warning={SPEC}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(spec_path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(spec_path).map_err(|e| format!("cannot read: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_norway::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        // Auth, user agent, retries and the removal of `api-version` live in
        // hand-written hooks (src/transport/hooks.rs), not in edited output.
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote! { crate::transport::record::CallContext })
        .with_derive("PartialEq");
    // The `schemars` feature: every generated wire type derives JsonSchema
    // (the hand-written replacements implement it themselves).
    if std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    // Hand-written where the generated type would be wrong: open enums
    // (unknown statuses must not fail a page), a lenient timestamp,
    // validated ids and cursors, the status filter's comma-separated form,
    // and payloads kept as raw JSON.
    use progenitor::TypeImpl::{Display, FromStr};
    let replacements: &[(&str, &str, &[progenitor::TypeImpl])] = &[
        ("RunStatus", "crate::status::RunStatus", &[Display, FromStr]),
        (
            "StepStatus",
            "crate::status::StepStatus",
            &[Display, FromStr],
        ),
        ("StepType", "crate::status::StepType", &[Display, FromStr]),
        (
            "AutomationStatus",
            "crate::status::AutomationStatus",
            &[Display, FromStr],
        ),
        (
            "ConnectionType",
            "crate::status::ConnectionType",
            &[Display, FromStr],
        ),
        ("RunStatusFilter", "crate::status::StatusFilter", &[Display]),
        (
            "AutomationStatusFilter",
            "crate::status::AutomationStatus",
            &[Display, FromStr],
        ),
        (
            "AutomationId",
            "crate::ids::AutomationId",
            &[Display, FromStr],
        ),
        ("WorkflowId", "crate::ids::WorkflowId", &[Display, FromStr]),
        ("RunId", "crate::ids::RunId", &[Display, FromStr]),
        ("Cursor", "crate::ids::Cursor", &[Display, FromStr]),
        ("EventPayload", "crate::payload::EventPayload", &[]),
        (
            "Timestamp",
            "crate::timestamp::Timestamp",
            &[Display, FromStr],
        ),
        // Nullable in the spec: the fields that hold them are `Option`s.
        (
            "NullableTimestamp",
            "crate::timestamp::Timestamp",
            &[Display, FromStr],
        ),
        (
            "NullableWorkflowRunTrigger",
            "crate::transport::generated::types::WorkflowRunTrigger",
            &[],
        ),
        (
            "JsonObject",
            "::serde_json::Map<::std::string::String, ::serde_json::Value>",
            &[],
        ),
        (
            "NullableJsonObject",
            "::serde_json::Map<::std::string::String, ::serde_json::Value>",
            &[],
        ),
    ];
    for (schema, rust_type, impls) in replacements.iter().copied() {
        settings.with_replacement(schema, rust_type, impls.iter().copied());
    }

    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client: {e}"))?;
    let file = syn::parse2::<syn::File>(tokens)
        .map_err(|e| format!("generated code does not parse: {e}"))?;
    let code = prettyplease::unparse(&file);

    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    std::fs::write(out.join("generated.rs"), code)
        .map_err(|e| format!("cannot write generated code: {e}"))?;

    let mock_tokens = generator
        .httpmock(&spec, "crate::transport::generated")
        .map_err(|e| format!("progenitor cannot generate httpmock helpers: {e}"))?;
    let mock_file = syn::parse2::<syn::File>(mock_tokens)
        .map_err(|e| format!("generated httpmock helpers do not parse: {e}"))?;
    std::fs::write(
        out.join("generated_httpmock.rs"),
        prettyplease::unparse(&mock_file),
    )
    .map_err(|e| format!("cannot write generated httpmock helpers: {e}"))?;
    Ok(())
}
