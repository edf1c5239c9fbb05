#![doc = include_str!("../README.md")]
//!
//! ## Glossary
//!
//! One word a concept, in these docs, the code and the metrics:
//!
//! - **run in flight**: a run the watch saw start and not yet finish; it
//!   follows it until it does ([`WatchState::in_flight`]). (The client's
//!   word for its requests sent and not answered is *outstanding*.)
//! - **poll**: one round of a watch's requests for its collection; *busy*
//!   when it found something or runs are in flight (the next one at the
//!   poll interval), *quiet* when not (backing off, up to the team's
//!   `max_staleness`) ([`WatchStats::polls`]).
//! - **lane**: a [`Lane`](resend_workflows::Lane) of the client's rate
//!   gate: the requests a watch (or a user's own code) sends on one budget.
//! - **turn**: a request's slot at the rate gate, in its lane: every
//!   attempt waits for one; a [`TurnStore`] hands them out across
//!   processes.
//! - **budget**: the share of the team's rate limit a lane may spend
//!   ([`Budget`]).
//! - **lease**: the right to poll one collection, held for a ttl and
//!   renewed ([`Lease`], [`StateStore::acquire`]).
//! - **holder**: the process that holds a lease, by the id it gives
//!   ([`Lease::Taken`] names another's).
//! - **replica** (a **member** of its group): one of the processes running
//!   the same team watch ([`Members`], [`MembershipStore`]).
//! - **group**: the replicas spending one budget, named by `budget_key`.
//! - **fair share**: the leases of a team's automations one replica may
//!   hold: the automations over the live replicas watching them, rounded
//!   up ([`TeamStats::leases`]).
//! - **state**: what a watch has told, committed so that the next one
//!   resumes exactly ([`WatchState`]).
//! - **store**: where states, leases, and members and turns if it keeps
//!   them, live ([`StateStore`]).
//! - **backfill**: the runs from before the start, read a few pages a poll
//!   ([`StartAt::Beginning`]).
//! - **full check**: the unfiltered list, a page a poll down to the oldest
//!   run in flight, now and then, for what no plan sees (a run deleted,
//!   or in a status the crate does not know); elsewhere *check* is only
//!   validating an option or a state.
//! - **quota** (the client's word only): Resend's daily or monthly quota,
//!   never a rate or a share.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Watching runs: every start and every finish, at least once, across
// restarts and replicas. Resend has no webhooks for runs, so a watch polls
// (`poll/`): the list's top page for the new runs and the runs in flight
// near the top, then the cheapest way to learn what became of the others
// (`plan.rs`), a page of the full check now and then, a few pages of a
// backfill. The driver (`driver/`) holds the lease (kept by
// `keeper.rs`), polls on time within its budget (a lane of the client's
// rate gate, the client's `src/transport/gate/`), and commits
// the state of what was yielded (`state.rs`) to a store (`store/`) when the
// consumer asks for more. A team watch (`team/`) runs one per automation
// on one budget, quiet ones backing off (`cadence.rs`).

mod cadence;
mod client;
mod config;
mod driver;
mod error;
mod event;
mod fair_share;
mod instant;
mod keeper;
mod launch;
pub mod metrics;
mod plan;
mod poll;
mod state;
mod stats;
mod store;
mod stream;
mod team;
mod trace;
mod unpolled;
mod watched;

pub use client::WatchClient;
pub use config::{
    DEFAULT_BACKFILL_PAGES, DEFAULT_COMMIT_EVERY, DEFAULT_LEASE_TTL, DEFAULT_MAX_PAGES_PER_POLL,
    DEFAULT_POLL_INTERVAL, MAX_WATCH_DURATION, WatchConfig,
};
pub use error::{Error, WatchError, WatchErrorKind};
pub use event::{RunEvent, StartAt};
/// The budget a watch spends of the team's rate limit (a lane of the
/// client's rate gate): the client's, re-exported.
pub use resend_workflows::{Budget, DEFAULT_BUDGET};
pub use state::{LOOK_BACK, WatchState};
pub use stats::WatchStats;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use store::PostgresStore;
pub use store::{
    FileStore, Lease, Members, MembershipStore, MemoryStore, Renewal, StateStore, StoreError,
    TurnStore,
};
pub use stream::WatchStream;
pub use team::{
    DEFAULT_DISCOVERY_INTERVAL, DEFAULT_MAX_STALENESS, Removal, TeamConfig, TeamError, TeamEvent,
    TeamStats, TeamStream,
};
pub use watched::Watched;

/// Not public API (feature `internals`): the plans a watch can be forced
/// to and the scheduler's simulation, for the crate's own benchmark and
/// differential tests (enabled through its dev-dependency on itself, so
/// users never compile them).
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::plan::Plan;
    pub use crate::poll::Forced;
    pub use crate::team::simulate_schedule;
}
