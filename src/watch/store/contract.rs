//! What a store promises: [`StateStore`], and its answers about the lease.

use std::fmt;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use super::error::StoreError;
use crate::watch::state::WatchState;

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

/// The live members of a group, as a [`join`](StateStore::join) counted
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Members {
    /// Every live member of the group, the one joining included: they
    /// share the group's budget.
    pub live: usize,
    /// Those watching the same as the one joining, itself included: they
    /// share its automations.
    pub watching_same: usize,
}

impl Members {
    /// `live` members, `watching_same` of them watching the same as the
    /// one joining (both counting it).
    pub fn new(live: usize, watching_same: usize) -> Self {
        Self {
            live,
            watching_same,
        }
    }
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
/// A lease is held by a holder (a name, [`Watch::holder`](crate::Watch::holder))
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

    /// Marks `holder` a live member of `group` (exactly: `team` and
    /// `team/eu` are two groups) for `ttl`, watching `watching` (a name
    /// for what it watches: the same for the replicas of one team watch),
    /// and counts the live members: all of them (itself included), which
    /// share the budget, and those watching the same (itself included),
    /// which share the automations. Replicas of a team watch spread their
    /// automations over the latter only, so two services watching other
    /// automations on one store never halve each other's share.
    ///
    /// A member that lapsed (it crashed, nothing left) is deleted after a
    /// few time-to-lives by the members that still join (`PostgresStore`:
    /// three of the joiner's), and a count reads the group's members only,
    /// never the whole store. `None`, the default: the store is not
    /// shared, and a replica takes every automation it finds free.
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> Option<BoxFuture<'a, Result<Members, StoreError>>> {
        let _ = (group, holder, watching, ttl);
        None
    }

    /// Takes `holder` out of `group` at once: a team watch that stops
    /// (its stream dropped) leaves, so the others count it no more and
    /// its row does not stay behind. `None`, the default: a store without
    /// [`join`](Self::join).
    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> Option<BoxFuture<'a, Result<(), StoreError>>> {
        let _ = (group, holder);
        None
    }

    /// Takes the next of the turns that every watcher sharing `key` takes
    /// `spacing` apart, in any process: how long from now until it comes.
    /// A store several processes share implements it so that their watches
    /// keep to one budget together (`PostgresStore` does, on the
    /// database's clock). `None`, the default: each process keeps to its
    /// own budget.
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> Option<BoxFuture<'a, Result<Duration, StoreError>>> {
        let _ = (key, spacing);
        None
    }

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
}
