//! Retries: the policy a client is built with (`policy.rs`), the decision after
//! each attempt (`decide.rs`, a pure function tested over a table without
//! HTTP) and the jitter of a backoff (`jitter.rs`).
//!
//! GET is idempotent, so retrying it is safe. The wait honours what the
//! server said (the longer of `retry-after` and the `ratelimit-reset` of a
//! used-up window), else exponential backoff with full jitter. Attempts and an overall
//! deadline bound it; the wait is on tokio's timer, never a blocking sleep.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

mod decide;
mod jitter;
mod policy;

pub(crate) use decide::{Decision, Outcome, Stop, Wait, decide};
pub(crate) use jitter::jitter;
pub use policy::RetryPolicy;
