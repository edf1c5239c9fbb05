//! The state-and-lease contract: [`StateStore`], and its answers about
//! the lease. A store may serve two more contracts, each of its own
//! (`membership.rs`, `turns.rs`), which it names through
//! [`StateStore::membership`] and [`StateStore::turns`].

use std::fmt;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use super::error::StoreError;
use super::membership::MembershipStore;
use super::turns::TurnStore;
use crate::state::WatchState;

/// The answer to a watcher asking for the lease on a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The asker holds the lease, taken for the time-to-live asked, with
    /// the state last committed, if any.
    Held {
        /// The state last committed under the key, if any.
        state: Option<WatchState>,
        /// This take of the lease: the stream that took it passes it to
        /// every [`renew`](StateStore::renew),
        /// [`commit`](StateStore::commit) and
        /// [`release`](StateStore::release), and only those with it hold.
        /// Each take gives a new one, even to the same holder: a stream
        /// rebuilt under the same name takes the lease over from its
        /// predecessor, whose late renewals, commits and release then
        /// find it taken.
        token: u64,
    },
    /// Another watcher holds it, for this long yet unless it renews it.
    Taken {
        /// The holder's id.
        holder: String,
        /// How long until it expires.
        expires_in: Duration,
    },
}

/// The answer to a holder renewing its lease (or committing under it),
/// with the token of its take.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Renewal {
    /// Still the holder: renewed for the time-to-live asked (and, for a
    /// commit, the state saved). An expired lease that nobody took is
    /// still the holder's: nobody else polled meanwhile.
    Held,
    /// Another watcher took the lease (or another stream of the same
    /// holder: a later take, another token); nothing was saved.
    TakenBy {
        /// Its id (the asker's own, for a later take of its name).
        holder: String,
        /// When it took the lease, if the store knows.
        since: Option<SystemTime>,
    },
    /// Nobody holds it (it was released); nothing was saved. Take it
    /// again, with the state last committed, through
    /// [`acquire`](StateStore::acquire).
    Free,
}

/// Where a watch keeps its [`WatchState`], under a key per collection, with
/// a lease: only the holder polls and commits, renewing its lease while it
/// works. [`MemoryStore`](crate::MemoryStore) (the default), [`FileStore`](crate::FileStore) and, with the
/// `postgres` feature, `PostgresStore` implement it; so can a service's
/// own store, following the rules of each method.
///
/// A lease is held by a holder (a name, [`WatchConfig::holder`](crate::WatchConfig::holder))
/// *and* a token: each [`acquire`](Self::acquire) that takes the lease
/// gives a new token (the crate's stores count them, per key), and
/// [`renew`](Self::renew), [`commit`](Self::commit) and
/// [`release`](Self::release) hold only with the token of the take that
/// is the lease's now. So a stream dropped and rebuilt under the same
/// name (its release late, on a task) never frees, renews or commits
/// under its successor's lease: only the stream that holds it does.
///
/// A watch gives each call a deadline (its poll interval, at least a
/// second, at most half the lease's time-to-live): a call that has not
/// answered by then is dropped and the watch yields an error. A store need
/// not bound its calls itself, but a call dropped half-way must leave it
/// usable (`PostgresStore` then leaves the connection for a new one).
///
/// This is one of three contracts, each with rules of its own: the state
/// and lease here; the membership of a team watch's replicas
/// ([`MembershipStore`]); the turns of a budget that several processes
/// share ([`TurnStore`]). A watch's options take one store, which names
/// the others it serves through [`membership`](Self::membership) and
/// [`turns`](Self::turns): [`MemoryStore`](crate::MemoryStore) keeps
/// members, `PostgresStore` members and turns, [`FileStore`](crate::FileStore)
/// neither.
pub trait StateStore: Send + Sync + fmt::Debug + 'static {
    /// Takes the lease on `key` for `holder`, for `ttl`: held when nobody
    /// holds it, `holder` does (under any token: a stream rebuilt under
    /// the same name takes it over at once), or the holder's lease
    /// expired; with the state last committed and a new token, unlike
    /// every token given before on `key`.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>>;

    /// Renews `holder`'s lease on `key` for `ttl`, if it is still the
    /// holder with `token` (expired or not), without saving anything: the
    /// heartbeat of a watcher at work.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>>;

    /// Saves `state` under `key` and renews the lease, only if `holder` is
    /// still the holder with `token` (expired or not); otherwise nothing
    /// is saved.
    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>>;

    /// Gives up `holder`'s lease on `key`, if it holds it with `token`, so
    /// another watcher (or the same holder after a restart) takes it at
    /// once. With another token (a later take, under the same name or
    /// another), nothing is freed.
    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The membership this store keeps too, if it does: where the
    /// replicas of a team watch count each other ([`MembershipStore`]).
    /// `None`, the default: the store is not shared by replicas, and a
    /// replica takes every automation it finds free.
    fn membership(&self) -> Option<&dyn MembershipStore> {
        None
    }

    /// The shared turns this store keeps too, if it does: where the
    /// watches of several processes take the turns of one budget
    /// ([`TurnStore`]). `None`, the default: each process keeps to its
    /// own budget.
    fn turns(&self) -> Option<&dyn TurnStore> {
        None
    }
}
