//! The watch's integration tests, as one binary so the suite links the
//! crates once. Each module is one area; `common` is the client's shared
//! support (tests/it/common: the spec as JSON Schema, clients for the fake,
//! a raw HTTP server), the same files, and `cut` the watch's own (stores
//! that fail on cue).

// Test support is `pub` for the modules that share it, not for users; tests
// report what they measured on stderr.
#![allow(unreachable_pub, clippy::print_stderr)]

#[path = "../../../tests/it/common/mod.rs"]
mod common;
mod cut;

mod architecture;
#[cfg(feature = "metrics")]
mod metrics;
mod options;
mod pacing;
mod postgres;
mod postgres_tables;
mod postgres_team;
mod public_api;
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
mod watch_start_running;
mod watch_team;
