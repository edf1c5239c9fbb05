//! Generates the low-level client from `openapi/resend-workflows.yaml` into
//! `$OUT_DIR`. The output is never committed: change the spec and the client
//! regenerates on the next build.

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
    let spec: openapiv3::OpenAPI = serde_yaml::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        // Auth, user agent, retries and the removal of `api-version` live in
        // hand-written hooks (src/client.rs), not in edited output.
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote! { crate::client::Inner })
        .with_derive("PartialEq")
        // Hand-written where the generated type would be wrong: an open enum
        // (unknown statuses must not fail a page) and a lenient timestamp.
        .with_replacement(
            "WorkflowRunStatus",
            "crate::model::WorkflowRunStatus",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        )
        .with_replacement(
            "WorkflowId",
            "crate::ids::WorkflowId",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        )
        .with_replacement(
            "RunId",
            "crate::ids::RunId",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        )
        .with_replacement(
            "Cursor",
            "crate::ids::Cursor",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        )
        .with_replacement(
            "Timestamp",
            "crate::model::Timestamp",
            [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
        );

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
        .httpmock(&spec, "crate::generated")
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
