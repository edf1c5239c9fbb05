//! The integration tests, as one binary so the suite links the crate once.
//! Each module is one area; `common` holds the shared support (the spec as
//! JSON Schema, clients for mock servers, a raw HTTP server). Tests that
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
#[cfg(feature = "metrics")]
mod metrics;
mod options;
mod pacing;
mod paginate;
mod postgres;
mod postgres_tables;
mod postgres_team;
mod ratelimit;
mod recorded;
mod repeats;
mod replica_processes;
mod retry;
mod run_ends;
mod schemas;
mod spec_lint;
mod spec_reference;
mod store_contracts;
mod team_promises;
mod team_sim;
mod validation;
mod watch;
mod watch_floor;
mod watch_plans;
mod watch_promises;
mod watch_props;
mod watch_replicas;
mod watch_start_running;
mod watch_team;
