//! Who goes first among a lane's waiting turns.

/// A turn's rank in the queue: see the lane module's docs.
pub(crate) const URGENT: u8 = 0;
/// See [`URGENT`].
pub(crate) const QUIET: u8 = 1;

/// Who goes first in a [`Lane`](super::Lane) when several calls wait:
/// urgent before quiet, first come, first served within each; but a quiet
/// turn waited for longer than the lane's [`aging`](super::Lane::aging)
/// takes every other turn from the urgent ones that came after it, so
/// none starves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Priority {
    /// Ahead of the quiet ones (a watch's automation while runs happen
    /// in it).
    Urgent,
    /// Behind the urgent ones, but never starved.
    Quiet,
}

impl Priority {
    /// The queue's order: urgent first.
    pub(super) fn rank(self) -> u8 {
        match self {
            Self::Urgent => URGENT,
            Self::Quiet => QUIET,
        }
    }
}
