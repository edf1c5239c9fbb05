//! The shared-turns contract: [`TurnStore`].

use std::time::Duration;

use futures::future::BoxFuture;

use super::error::StoreError;

/// Where the watches of several processes take the turns of one budget,
/// so that their requests together keep to it: a queue of turns per key
/// (a team watch's budget), spaced on one clock. `PostgresStore` (feature
/// `postgres`) serves it, on the database's clock, through
/// [`StateStore::turns`](crate::StateStore::turns); so can a service's own
/// store, following the rules of [`take_turn`](Self::take_turn). It holds
/// no state, no lease and no members: a store may keep turns without
/// them, and the reverse.
///
/// A team watch takes a turn before each of its requests, each call with
/// the deadline of the watch's store calls; while the store fails, each
/// process keeps to its last known share of the budget.
pub trait TurnStore: Send + Sync {
    /// Takes the next turn under `key`: how long from now until it comes.
    /// The first turn of a key comes at once; each next one `spacing` (the
    /// spacing of the turn before it) after the one before, or at once
    /// when that time has passed: turns are never saved up. Keys are
    /// apart: a turn under one never delays another's.
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> BoxFuture<'a, Result<Duration, StoreError>>;
}
