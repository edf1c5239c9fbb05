//! The generated client's public surface, held against a snapshot in the
//! repo: a spec change shows up as a diff of `tests/snapshots/generated_api.txt`
//! in the same commit. To accept a change:
//!
//!     UPDATE_SNAPSHOTS=1 cargo test --all-features --test it generated_surface

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/generated_api.txt"
);
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/generated_api.txt"));

/// The first lines where two listings differ, as `-old` / `+new`.
fn diff(old: &str, new: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let start = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let mut out = format!("first difference at line {}:\n", start + 1);
    for line in old.iter().skip(start).take(8) {
        out.push_str(&format!("-{line}\n"));
    }
    for line in new.iter().skip(start).take(8) {
        out.push_str(&format!("+{line}\n"));
    }
    out
}

#[test]
fn the_generated_surface_matches_the_snapshot() {
    let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if committed == GENERATED {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, GENERATED).unwrap();
        eprintln!("updated {SNAPSHOT}");
        return;
    }
    panic!(
        "the generated client changed (the spec or progenitor did); review the listing and accept it \
         with `UPDATE_SNAPSHOTS=1 cargo test --all-features --test it generated_surface`\n{}",
        diff(&committed, GENERATED)
    );
}

#[test]
fn the_diff_names_the_change() {
    let d = diff("a\nb\nc\n", "a\nB\nc\n");
    assert!(
        d.contains("line 2") && d.contains("-b") && d.contains("+B"),
        "{d}"
    );
}
