//! The watch's integration tests, as one binary so the suite links the
//! crates once. Each module is one area; `common` holds the shared support
//! (the spec as JSON Schema, clients for the fake, a raw HTTP server), a
//! copy of the client's tests/it/common.

// Test support is `pub` for the modules that share it, not for users; tests
// report what they measured on stderr.
#![allow(unreachable_pub, clippy::print_stderr)]

mod common;

mod architecture;
#[cfg(feature = "metrics")]
mod metrics;
mod options;
mod pacing;
mod postgres;
mod postgres_tables;
mod postgres_team;
mod ratelimit;
mod replica_processes;
mod run_ends;
mod store_contracts;
mod team_promises;
mod team_sim;
mod watch;
mod watch_floor;
mod watch_plans;
mod watch_promises;
mod watch_props;
mod watch_replicas;
mod watch_team;
