//! The client progenitor generates from `openapi/resend-workflows.yaml`
//! (see `build.rs`), and its wire types. Nothing hand-written lives here;
//! only the transport holds the generated client.
#![allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    dead_code,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));
