//! The watch's public API, held against a snapshot in the repo
//! (`watch/tests/snapshots/public_api.txt`), listed as the client's is
//! (the client's tests/it/surface.rs): a change to it shows as a diff of
//! the listing in the same commit. To accept a change:
//!
//!     UPDATE_SNAPSHOTS=1 cargo test -p resend-workflows-watch --features fake,tracing,schemars,postgres,metrics --test it public_api

use crate::architecture::shape;

#[path = "../../../tests/it/surface.rs"]
mod surface;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/public_api.txt"
);

#[test]
fn the_public_api_matches_the_snapshot() {
    surface::check_snapshot(
        SNAPSHOT,
        &surface::public_api(&shape::modules(SRC)),
        "the watch's public API changed",
        "-p resend-workflows-watch --features fake,tracing,schemars,postgres,metrics --test it public_api",
    );
}
