//! Every automation of a team in one watch, on one budget: a watch per
//! automation (the same polls, state and lease as a single watch, keyed by
//! the automation), all spending from one lane of the client's rate gate, each polled at the base
//! interval while runs happen in it and backing off when quiet
//! (`cadence.rs`), merged into one stream whose items name their
//! automation (`stream.rs`); and, for the whole team, a look at its
//! automations at the discovery interval (`discover.rs`), which starts and
//! drops watches.

mod config;
mod discover;
mod event;
#[cfg(feature = "internals")]
mod schedule;
mod stream;

pub use config::{DEFAULT_DISCOVERY_INTERVAL, DEFAULT_MAX_STALENESS, TeamConfig};
pub use event::{Removal, TeamError, TeamEvent};
#[cfg(feature = "internals")]
pub use schedule::simulate_schedule;
pub(crate) use stream::open::team_stream;
pub use stream::{TeamStats, TeamStream};
