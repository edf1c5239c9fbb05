//! The generated client's public surface, held against a snapshot in the
//! repo: a spec change shows up as a diff of `tests/snapshots/generated_api.txt`
//! in the same commit. The listing is made here, from the code `build.rs`
//! wrote (so no user's build pays for it). To accept a change:
//!
//!     UPDATE_SNAPSHOTS=1 cargo test --features fake,tracing,schemars --test it generated_surface

use crate::surface;

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/generated_api.txt"
);
const CLIENT: &str = include_str!(concat!(env!("OUT_DIR"), "/generated.rs"));
const MOCK: &str = include_str!(concat!(env!("OUT_DIR"), "/generated_httpmock.rs"));

/// The listing: one line per public item, field, variant and method of the
/// generated client, then of its httpmock helpers.
fn listing() -> String {
    let mut api = String::new();
    let client = syn::parse_file(CLIENT).expect("the generated client parses");
    surface::list_items(&client.items, "", true, &mut api);
    api.push_str("\n# httpmock helpers (feature fake)\n");
    let mock = syn::parse_file(MOCK).expect("the generated httpmock helpers parse");
    surface::list_items(&mock.items, "mock::", true, &mut api);
    api
}

#[test]
fn the_generated_surface_matches_the_snapshot() {
    surface::check_snapshot(
        SNAPSHOT,
        &listing(),
        "the generated client changed (the spec or progenitor did)",
        "--features fake,tracing,schemars --test it generated_surface",
    );
}

#[test]
fn the_diff_names_the_change() {
    let d = surface::diff("a\nb\nc\n", "a\nB\nc\n");
    assert!(
        d.contains("line 2") && d.contains("-b") && d.contains("+B"),
        "{d}"
    );
}
