//! Pagination's loop guards and the error they end a traversal with.
//!
//! A traversal never silently truncates and never loops: a page that claims
//! more runs but has none, a cursor seen before, or a run id that could not
//! be sent back as a cursor, each ends it with a [`PaginationError`].

use std::fmt;

use super::argument::InvalidArgument;

/// What broke the pagination contract.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationErrorKind {
    /// `has_more: true` with an empty `data`: following it would loop.
    EmptyPageWithMore,
    /// The next cursor was already used in this traversal: a cycle.
    CursorCycle {
        /// The repeated cursor.
        cursor: String,
    },
    /// A run id that could not be sent back as a cursor.
    InvalidRunId {
        /// Why it cannot be a cursor (its value is shown there).
        reason: InvalidArgument,
    },
    /// A run already yielded in this traversal came again, other than the
    /// cursor run repeated at the top of the next page (that one is dropped
    /// and counted): the server's pages overlap.
    RepeatedRun {
        /// The repeated run's id.
        id: String,
    },
    /// The traversal reached its `max_pages` cap with more runs left.
    MaxPagesReached {
        /// The cap.
        max_pages: u64,
    },
}

/// A traversal ended because a page broke the pagination contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaginationError {
    pub(crate) page: u64,
    pub(crate) cursor: Option<String>,
    pub(crate) kind: PaginationErrorKind,
}

impl PaginationError {
    pub(crate) fn new(page: u64, cursor: Option<&str>, kind: PaginationErrorKind) -> Self {
        Self {
            page,
            cursor: cursor.map(str::to_owned),
            kind,
        }
    }

    /// The 1-based number of the offending page within its traversal.
    pub fn page(&self) -> u64 {
        self.page
    }

    /// The cursor that page was requested with (`None` for the first page
    /// of a traversal started without one).
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &PaginationErrorKind {
        &self.kind
    }
}

impl fmt::Display for PaginationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pagination stopped at page {}", self.page)?;
        match &self.cursor {
            Some(c) => write!(f, " (cursor {c:?}): ")?,
            None => write!(f, " (no cursor): ")?,
        }
        match &self.kind {
            PaginationErrorKind::EmptyPageWithMore => {
                write!(f, "the server said has_more but sent no runs")
            }
            PaginationErrorKind::CursorCycle { cursor } => write!(
                f,
                "the next cursor {cursor:?} was already used: the server is going in a cycle"
            ),
            PaginationErrorKind::InvalidRunId { reason } => {
                write!(f, "a run id cannot be used as a cursor: {reason}")
            }
            PaginationErrorKind::RepeatedRun { id } => write!(
                f,
                "run {id:?} came again on a later page: the server's pages overlap"
            ),
            PaginationErrorKind::MaxPagesReached { max_pages } => {
                write!(f, "reached max_pages = {max_pages} with more runs left")
            }
        }
    }
}

impl std::error::Error for PaginationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            PaginationErrorKind::InvalidRunId { reason } => Some(reason),
            _ => None,
        }
    }
}
