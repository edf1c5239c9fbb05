//! `Page`: one page of a list, with where to go next.

use super::position::{Direction, Position};
use crate::error::{PaginationError, PaginationErrorKind};
use crate::ids::Cursor;
use crate::rate_limit::RateLimit;
use crate::status::RunStatus;
use crate::timestamp::Timestamp;

pub(crate) mod sealed {
    /// Implemented only by this crate's list item types.
    pub trait Sealed {}
}

/// An item that pages and streams can yield: it has an id that serves as
/// the cursor past it. Sealed: implemented by this crate's item types only.
pub trait ListItem: sealed::Sealed {
    /// The item's id, as the server sent it.
    fn item_id(&self) -> &str;
}

/// A run, as a list shows it: an item with a status and a creation time.
/// Sealed, like [`ListItem`]: implemented by
/// [`AutomationRunListItem`](crate::AutomationRunListItem) and
/// [`WorkflowRunListItem`](crate::WorkflowRunListItem).
pub trait RunItem: ListItem + Clone + std::fmt::Debug + Send + Sync + Unpin + 'static {
    /// The run's status.
    fn status(&self) -> &RunStatus;
    /// When the run was created.
    fn created_at(&self) -> Timestamp;
}

/// One page of a list, with where to go next.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) has_more: bool,
    pub(crate) next_cursor: Option<Cursor>,
    pub(crate) direction: Direction,
    pub(crate) rate_limit: Option<RateLimit>,
}

impl<T: ListItem> Page<T> {
    /// A page as the server sent it, requested at `position`. When more
    /// items exist, the boundary item's id becomes the next cursor and must
    /// be a valid one: a page whose way on cannot be followed is an error,
    /// not a silent end.
    pub(crate) fn new(
        items: Vec<T>,
        has_more: bool,
        position: &Position,
        rate_limit: Option<RateLimit>,
    ) -> Result<Self, PaginationError> {
        let direction = position.direction();
        let boundary = match direction {
            Direction::Forward => items.last(),
            Direction::Backward => items.first(),
        };
        let next_cursor = match boundary {
            Some(item) if has_more => Some(Cursor::parse_for("run id", item.item_id()).map_err(
                |reason| {
                    PaginationError::new(
                        1,
                        position.cursor().map(Cursor::as_str),
                        PaginationErrorKind::InvalidRunId { reason },
                    )
                },
            )?),
            _ => None,
        };
        Ok(Self {
            items,
            has_more,
            next_cursor,
            direction,
            rate_limit,
        })
    }
}

impl<T> Page<T> {
    /// The items, in the order described by the method that produced the
    /// page: as the server sent them for [`send`](crate::ListRequest::send),
    /// in the direction of travel for [`pages`](crate::ListRequest::pages).
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Takes the items out of the page.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Whether more items exist in the direction of travel.
    pub fn has_more(&self) -> bool {
        self.has_more
    }

    /// The cursor for the next page in the direction of travel: the last
    /// item's id going forward, the first (newest) going backward. `None`
    /// when there is no more.
    pub fn next_cursor(&self) -> Option<&Cursor> {
        self.next_cursor.as_ref()
    }

    /// The direction the page was requested in.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The rate-limit headers of the response (`ratelimit-*`, or the
    /// structured `RateLimit` and `RateLimit-Policy`), when present.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }
}

impl<T: RunItem> Page<T> {
    /// The runs of a page of runs: the same as [`items`](Self::items).
    pub fn runs(&self) -> &[T] {
        &self.items
    }

    /// Takes the runs out of a page of runs: the same as
    /// [`into_items`](Self::into_items).
    pub fn into_runs(self) -> Vec<T> {
        self.items
    }
}
