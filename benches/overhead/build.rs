//! The `build` scenario: the clean build of a binary that depends on the
//! crate (default features, rustls; and `native-tls` alone, as the SDK
//! builds) against the same binary on the official SDK (resend-rs 0.31),
//! in rotating order, from clean target directories and the same cargo
//! cache; and the rebuild after an edit to the spec. In a scratch copy, so
//! the repository is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

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

/// A binary on the official SDK, resend-rs 0.31, with the same tokio
/// features: what a user would build instead.
const SDK_MAIN: &str = r#"#[tokio::main]
async fn main() {
    let resend = resend_rs::Resend::new("re_x");
    let _ = &resend;
}
"#;

const OURS_MAIN: &str = r#"#[tokio::main]
async fn main() {
    let client = resend_workflows::Client::builder().api_key("re_x").build().unwrap();
    let _ = client.list_automation_runs("a").limit(1);
}
"#;

/// A scratch binary crate `name` depending on `dependency`, with tokio.
fn app(dir: &Path, name: &str, dependency: &str, main: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{dependency}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
}

pub(crate) fn scenario_build() -> Value {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if super::quick() {
        return json!({
            "scenario": "build", "skipped": "clean builds take minutes; run without BENCH_QUICK",
            "target": "ours <= 1.00x the official SDK", "holds": Value::Null, "summary": "skipped (BENCH_QUICK)",
        });
    }
    let scratch: PathBuf = manifest.join("target").join("bench-build");
    let _ = std::fs::remove_dir_all(&scratch);
    let (krate, ours, native, sdk) = (
        scratch.join("crate"),
        scratch.join("ours"),
        scratch.join("native"),
        scratch.join("sdk"),
    );
    copy_tree(manifest, &krate);
    app(
        &ours,
        "ours-app",
        "resend-workflows = { path = \"../crate\" }",
        OURS_MAIN,
    );
    std::fs::copy(manifest.join("Cargo.lock"), ours.join("Cargo.lock")).unwrap();
    app(
        &native,
        "native-app",
        "resend-workflows = { path = \"../crate\", default-features = false, features = [\"native-tls\"] }",
        OURS_MAIN,
    );
    std::fs::copy(manifest.join("Cargo.lock"), native.join("Cargo.lock")).unwrap();
    app(&sdk, "sdk-app", "resend-rs = \"0.31\"", SDK_MAIN);
    // Resolve the SDK's dependencies into the local cache once, untimed
    // (every timed build is --offline, from the same cache).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let fetched = Command::new(&cargo)
        .arg("fetch")
        .current_dir(&sdk)
        .status()
        .is_ok_and(|s| s.success());
    if !fetched {
        return json!({
            "scenario": "build", "skipped": "resend-rs 0.31 could not be fetched into the cargo cache",
            "target": "ours <= 1.00x the official SDK", "holds": Value::Null, "summary": "skipped (no resend-rs)",
        });
    }
    // A spec edit that changes the generated code (an operation's doc
    // comment), as a developer's would: checked before the long builds.
    let spec = krate.join("openapi/resend-workflows.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen(
        "summary: Retrieve a workflow run (private alpha)",
        "summary: Retrieve one workflow run (private alpha)",
        1,
    );
    assert_ne!(text, edited, "the spec edit applies");
    let rounds = 3;
    let apps = [&ours, &native, &sdk];
    let mut seconds: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        // Each from a clean target directory, the order rotating by round.
        for k in 0..apps.len() {
            let which = (round + k) % apps.len();
            let target = scratch.join(format!("target-{round}-{which}"));
            seconds[which].push(cargo_build(apps[which], &target));
            let _ = std::fs::remove_dir_all(&target);
        }
    }
    let [ours_s, native_s, sdk_s] = seconds;
    let ratio_of =
        |xs: &[f64]| super::measure::median(xs.iter().zip(&sdk_s).map(|(o, s)| o / s).collect());
    let (ratio, native_ratio) = (ratio_of(&ours_s), ratio_of(&native_s));
    let target = scratch.join("target-edit");
    cargo_build(&ours, &target);
    std::fs::write(&spec, edited).unwrap();
    let rebuild = cargo_build(&ours, &target);
    let _ = std::fs::remove_dir_all(&scratch);
    let median = |xs: &[f64]| super::measure::median(xs.to_vec());
    let (o, n, s) = (median(&ours_s), median(&native_s), median(&sdk_s));
    json!({
        "scenario": "build", "profile": "dev", "rounds": rounds,
        "ours_clean_s": ours_s, "native_tls_clean_s": native_s, "sdk_clean_s": sdk_s,
        "ours_median_s": o, "native_tls_median_s": n, "sdk_median_s": s,
        "ratio": ratio, "native_tls_ratio": native_ratio, "spec_edit_rebuild_s": rebuild,
        "target": "ours <= 1.00x the official SDK (resend-rs 0.31)", "holds": ratio <= 1.0,
        "summary": format!(
            "clean {o:.1}s ({ratio:.2}x), native-tls {n:.1}s ({native_ratio:.2}x) vs resend-rs {s:.1}s; spec edit {rebuild:.1}s"
        ),
    })
}
