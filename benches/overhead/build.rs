//! The `build` scenario: the clean build of a binary that depends on the
//! crate (default features), and its rebuild after an edit to the spec, in a
//! scratch copy so the repository is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

const APP_MAIN: &str = r#"fn main() {
    let client = resend_workflows::Client::builder().api_key("re_x").build().unwrap();
    println!("{client:?}");
}
"#;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn cargo_build(app: &Path, target: &Path) -> f64 {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let start = Instant::now();
    let status = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(app)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("run cargo");
    assert!(status.success(), "the scratch build failed");
    start.elapsed().as_secs_f64()
}

pub(crate) fn scenario_build() -> Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tls = if std::fs::read_to_string(manifest.join("Cargo.toml"))
        .unwrap_or_default()
        .contains("rustls-no-provider")
    {
        "rustls + ring"
    } else {
        "rustls + aws-lc-rs"
    };
    if super::quick() {
        return json!({
            "scenario": "build", "skipped": "a clean build takes minutes; run without BENCH_QUICK",
            "tls": tls, "target": "lowest clean build", "holds": Value::Null, "summary": "skipped (BENCH_QUICK)",
        });
    }
    let scratch: PathBuf = manifest.join("target").join("bench-build");
    let _ = std::fs::remove_dir_all(&scratch);
    let (krate, app, target) = (
        scratch.join("crate"),
        scratch.join("app"),
        scratch.join("target"),
    );
    copy_tree(manifest, &krate);
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"bench-app\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nresend-workflows = { path = \"../crate\" }\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(app.join("src/main.rs"), APP_MAIN).unwrap();
    std::fs::copy(manifest.join("Cargo.lock"), app.join("Cargo.lock")).unwrap();

    let clean = cargo_build(&app, &target);
    // An edit that changes the generated code (a description becomes a doc
    // comment), as a developer's spec change would.
    let spec = krate.join("openapi/resend-workflows.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen(
        "Returns one run of a workflow.",
        "Returns one run of a workflow, by id.",
        1,
    );
    assert_ne!(text, edited, "the edit applies");
    std::fs::write(&spec, edited).unwrap();
    let rebuild = cargo_build(&app, &target);
    let _ = std::fs::remove_dir_all(&scratch);
    json!({
        "scenario": "build", "profile": "dev", "tls": tls,
        "clean_build_s": clean, "spec_edit_rebuild_s": rebuild,
        "target": "lowest clean build", "holds": Value::Null,
        "summary": format!("clean {clean:.1}s, after a spec edit {rebuild:.1}s ({tls})"),
    })
}
