//! The membership contract: [`MembershipStore`], and its answer,
//! [`Members`].

use std::time::Duration;

use futures::future::BoxFuture;

use super::error::StoreError;

/// The live members of a group, as a [`join`](MembershipStore::join)
/// counted them.
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

/// Where the replicas of team watches count each other: a group (a team
/// watch's budget key) of members (its replicas, by holder), each live
/// for a time-to-live from its last [`join`](Self::join).
/// [`MemoryStore`](crate::MemoryStore) and, with the `postgres` feature,
/// `PostgresStore` serve it, through
/// [`StateStore::membership`](crate::StateStore::membership); so can a
/// service's own store, following the rules of each method. It holds no
/// state and no lease: a store may keep members without them, and the
/// reverse.
///
/// A team watch renews its replica's membership every third of the
/// lease's time-to-live and leaves when it stops; each call has the
/// deadline of the watch's store calls, as
/// [`StateStore`](crate::StateStore)'s do.
pub trait MembershipStore: Send + Sync {
    /// Marks `holder` a live member of `group` (exactly: `team` and
    /// `team/eu` are two groups) for `ttl`, watching `watching` (a name
    /// for what it watches: the same for the replicas of one team watch),
    /// and counts the live members: all of them (itself included), which
    /// share the budget, and those watching the same (itself included),
    /// which share the automations. Replicas of a team watch spread their
    /// automations over the latter only, so two services watching other
    /// automations on one store never halve each other's share. Joining
    /// again renews the membership, and what it watches is the last
    /// join's.
    ///
    /// A member that lapsed (it crashed, nothing left) is counted no more,
    /// and deleted after a few time-to-lives by the members that still
    /// join (`PostgresStore`: three of the joiner's; `MemoryStore`: at
    /// once); a count reads the group's members only, never the whole
    /// store.
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Members, StoreError>>;

    /// Takes `holder` out of `group` at once: a team watch that stops
    /// (its stream dropped) leaves, so the others count it no more and
    /// its row does not stay behind. Leaving a group one is not in does
    /// nothing.
    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}
