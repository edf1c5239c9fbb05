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
    /// The asker holds the lease (taken, or renewed) for the time-to-live
    /// asked; here is the state last committed, if any.
    Held(Option<WatchState>),
    /// Another watcher holds it, for this long yet unless it renews it.
    Taken {
        /// The holder's id.
        holder: String,
        /// How long until it expires.
        expires_in: Duration,
    },
}

/// The answer to a holder renewing its lease (or committing under it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Renewal {
    /// Still the holder: renewed for the time-to-live asked (and, for a
    /// commit, the state saved). An expired lease that nobody took is
    /// still the holder's: nobody else polled meanwhile.
    Held,
    /// Another watcher took the lease; nothing was saved.
    TakenBy {
        /// Its id.
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
pub trait StateStore: Send + Sync + fmt::Debug + 'static {
    /// Takes or renews the lease on `key` for `holder`, for `ttl`: held
    /// when nobody holds it, `holder` does, or the holder's lease expired;
    /// with the state last committed.
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>>;

    /// Renews `holder`'s lease on `key` for `ttl`, if it is still the
    /// holder (expired or not), without saving anything: the heartbeat of
    /// a watcher at work.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>>;

    /// Saves `state` under `key` and renews the lease, only if `holder` is
    /// still the holder (expired or not); otherwise nothing is saved.
    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>>;

    /// Marks `holder` a live member of `group` for `ttl`, and counts the
    /// live members (itself included): replicas of a team watch spread
    /// the automations over the members. `None`, the default: the store
    /// is not shared, and a replica takes every automation it finds free.
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> Option<BoxFuture<'a, Result<usize, StoreError>>> {
        let _ = (group, holder, ttl);
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

    /// Gives up `holder`'s lease on `key`, if it holds it, so another
    /// watcher (or the same holder after a restart) takes it at once.
    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}
