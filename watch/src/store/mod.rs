//! Where a watch keeps its state, and the lease that lets one watcher of
//! several poll a collection: three contracts, each of its own (the state
//! and lease, [`StateStore`]; the membership of a team watch's replicas,
//! [`MembershipStore`]; the turns of a budget shared across processes,
//! [`TurnStore`]), the lease rules every store follows (`lease.rs`), the
//! deadline of every store call a watch makes (`deadline.rs`), and the
//! stores: [`MemoryStore`], [`FileStore`], and with the `postgres` feature
//! [`PostgresStore`].

mod contract;
pub(crate) mod deadline;
mod error;
mod file;
mod lane_turns;
pub(crate) mod lease;
mod membership;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod turns;

pub use contract::{Lease, Renewal, StateStore};
pub use error::StoreError;
pub use file::FileStore;
pub(crate) use lane_turns::StoreTurns;
pub use membership::{Members, MembershipStore};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use turns::TurnStore;
