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
    let spec: openapiv3::OpenAPI = serde_yaml::from_str(&text)
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

    // A listing of the public surface, held against tests/snapshots/ so a
    // spec change shows up as a reviewable diff in the same commit.
    let mut api = String::new();
    list_items(&file.items, "", &mut api);

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
    api.push_str("\n# httpmock helpers (feature fake)\n");
    list_items(&mock_file.items, "mock::", &mut api);
    std::fs::write(out.join("generated_api.txt"), api)
        .map_err(|e| format!("cannot write the generated API listing: {e}"))?;
    Ok(())
}

/// Tokens as compact text: `Option<Timestamp>`, not `Option < Timestamp >`.
fn text(tokens: &impl quote::ToTokens) -> String {
    let mut s = tokens.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        ("& ", "&"),
        (" ,", ","),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        ("' ", "'"),
        (" : ", ": "),
        (" ->", " ->"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// The item's doc comment on one line, if it has one.
fn doc(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().split_whitespace().collect::<Vec<_>>().join(" ")),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("  // {}", lines.join(" "))
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// One line per public item, field, variant and method, in source order.
fn list_items(items: &[syn::Item], prefix: &str, out: &mut String) {
    use std::fmt::Write as _;
    for item in items {
        match item {
            syn::Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    list_items(inner, &format!("{prefix}{}::", m.ident), out);
                }
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                let _ = writeln!(
                    out,
                    "struct {prefix}{}{}{}",
                    s.ident,
                    text(&s.generics),
                    doc(&s.attrs)
                );
                for field in s.fields.iter().filter(|f| is_pub(&f.vis)) {
                    let name = field
                        .ident
                        .as_ref()
                        .map_or("0".to_owned(), ToString::to_string);
                    let _ = writeln!(out, "    {name}: {}{}", text(&field.ty), doc(&field.attrs));
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                let _ = writeln!(out, "enum {prefix}{}{}", e.ident, doc(&e.attrs));
                for variant in &e.variants {
                    let _ = writeln!(out, "    {}{}", variant.ident, text(&variant.fields));
                }
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "trait {prefix}{}", t.ident);
                for method in &t.items {
                    if let syn::TraitItem::Fn(f) = method {
                        let _ = writeln!(out, "    {}", text(&f.sig));
                    }
                }
            }
            syn::Item::Impl(i) => {
                let target = text(&i.self_ty);
                if let Some((path, _)) = &i.trait_ {
                    let _ = writeln!(out, "impl {} for {prefix}{target}", text(path));
                    continue;
                }
                for method in &i.items {
                    if let syn::ImplItem::Fn(f) = method
                        && is_pub(&f.vis)
                    {
                        let sig = text(&f.sig);
                        let sig = sig.strip_prefix("fn ").unwrap_or(&sig);
                        let _ = writeln!(out, "fn {prefix}{target}::{sig}{}", doc(&f.attrs));
                    }
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                let _ = writeln!(out, "type {prefix}{} = {}", t.ident, text(&t.ty));
            }
            syn::Item::Fn(f) if is_pub(&f.vis) => {
                let _ = writeln!(out, "{prefix}{}", text(&f.sig));
            }
            _ => {}
        }
    }
}
