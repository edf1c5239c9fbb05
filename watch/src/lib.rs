#![doc = include_str!("../README.md")]
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
mod instant;
mod keeper;
mod launch;
pub mod metrics;
mod plan;
mod poll;
mod quota;
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
