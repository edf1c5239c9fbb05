//! The integration tests, as one binary so the suite links the crate once.
//! Each module is one area; `common` holds the shared support (the spec as
//! JSON Schema, clients for mock servers, a raw HTTP server). The watch's
//! tests are the watch crate's (watch/tests/it). Tests that
//! need a process of their own (tracing globals) are separate binaries.

// Test support is `pub` for the modules that share it, not for users; tests
// report what they measured on stderr.
#![allow(unreachable_pub, clippy::print_stderr)]

mod common;

mod architecture;
mod automations;
mod bodies;
mod contract;
mod deadlines;
mod downstream;
mod fake;
mod fake_sends;
mod faults;
mod generated_surface;
mod header_props;
mod hostile;
mod options;
mod paginate;
mod public_api;
mod ratelimit;
mod recorded;
mod repeats;
mod retry;
mod schemas;
mod spec_lint;
mod spec_reference;
mod surface;
mod validation;
