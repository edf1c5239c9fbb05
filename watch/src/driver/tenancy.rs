//! Where a watch stands with its lease, as one value: what the watch holds
//! under the lease (its keeper, the state of what it yielded, the poll
//! under way and its items) exists only while the lease is held, so
//! losing or giving back the lease drops all of it at once, and no
//! invariant needs resetting by hand.

use std::collections::VecDeque;

use tokio::time::Instant;

use crate::keeper::Keeper;
use crate::poll::{Poll, Queued};
use crate::state::WatchState;

/// Where the watch stands with its lease.
pub(super) enum Tenancy<R> {
    /// Not held (never taken, lost, or given back past a replica's share):
    /// taken before the next poll, from the state last committed.
    Free,
    /// Held: what the watch does under it.
    Held(Box<Holding<R>>),
    /// Ended: nothing more is yielded.
    Ended,
}

/// The lease held, and what the watch does under it.
pub(super) struct Holding<R> {
    /// Renews the lease, from a task of its own.
    pub(super) keeper: Keeper,
    /// The state after the last item yielded: what a commit saves.
    pub(super) yielded: WatchState,
    /// Items yielded since the last commit.
    pub(super) uncommitted: usize,
    /// No commit is tried again before this, after one failed.
    pub(super) commit_retry: Option<Instant>,
    /// No event is yielded before this, after a renewal failed and the
    /// lease could not be vouched for: one error a poll interval, never a
    /// stream of them while the store is down.
    pub(super) unsure_retry: Option<Instant>,
    /// The poll under way, a page at a time (`None` between polls).
    pub(super) poll: Option<Poll<R>>,
    /// What the poll found, not yet yielded.
    pub(super) queue: VecDeque<Queued<R>>,
    /// No poll follows: the watch ends once its queue is yielded (the
    /// collection is gone).
    pub(super) last: bool,
}

impl<R> Holding<R> {
    /// The lease just taken, with the state last committed.
    pub(super) fn new(keeper: Keeper, yielded: WatchState) -> Self {
        Self {
            keeper,
            yielded,
            uncommitted: 0,
            commit_retry: None,
            unsure_retry: None,
            poll: None,
            queue: VecDeque::new(),
            last: false,
        }
    }

    /// Whether the poll is done and all it found yielded.
    pub(super) fn polled(&self) -> bool {
        self.queue.is_empty() && self.poll.is_none()
    }
}

impl<R> Tenancy<R> {
    /// What the watch holds under the lease, while it is held.
    pub(super) fn holding(&mut self) -> Option<&mut Holding<R>> {
        match self {
            Self::Held(holding) => Some(holding),
            Self::Free | Self::Ended => None,
        }
    }
}
