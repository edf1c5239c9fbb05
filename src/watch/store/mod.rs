//! Where a watch keeps its state, and the lease that lets one watcher of
//! several poll a collection: the [`StateStore`] trait, the lease rules
//! every store follows (`lease.rs`), the deadline of every store call a
//! watch makes (`deadline.rs`), and the stores: [`MemoryStore`],
//! [`FileStore`], and with the `postgres` feature [`PostgresStore`].

mod contract;
pub(crate) mod deadline;
mod error;
mod file;
pub(crate) mod lease;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod turns;

pub use contract::{Lease, Members, Renewal, StateStore};
pub use error::StoreError;
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub(crate) use turns::StoreTurns;
