//! The client's hand-written public API, held against a snapshot in the
//! repo (`tests/snapshots/public_api.txt`): a change to it shows as a diff
//! of the listing in the same commit. (The generated types' own:
//! generated_surface.rs.) To accept a change:
//!
//!     UPDATE_SNAPSHOTS=1 cargo test -p resend-workflows --features fake,tracing,schemars,metrics --test it public_api

use crate::architecture::shape;
use crate::surface;

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
        "the client's public API changed",
        "-p resend-workflows --features fake,tracing,schemars,metrics --test it public_api",
    );
}
