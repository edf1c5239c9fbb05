//! `Page`: one page of a list, with where to go next.

use super::position::{Direction, Position};
use crate::error::{BadRecord, PaginationError, PaginationErrorKind};
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
    /// The records that did not decode (the others are `items`).
    pub(crate) bad: Vec<BadRecord>,
    pub(crate) has_more: bool,
    pub(crate) next_cursor: Option<Cursor>,
    pub(crate) direction: Direction,
    pub(crate) rate_limit: Option<RateLimit>,
    /// The latest the server's clock read when it sent the page (the end
    /// of the second its `Date` header names), if it said.
    pub(crate) server_clock: Option<Timestamp>,
}

impl<T: ListItem> Page<T> {
    /// A page as the server sent it, requested at `position`. When more
    /// items exist, the boundary item's id becomes the next cursor and must
    /// be a valid one: a page whose way on cannot be followed is an error,
    /// not a silent end.
    ///
    /// # Errors
    /// The pagination error when more items exist and the boundary's id
    /// is not a valid cursor.
    pub fn new(
        items: Vec<T>,
        has_more: bool,
        position: &Position,
        rate_limit: Option<RateLimit>,
    ) -> Result<Self, PaginationError> {
        Self::with_bad(items, Vec::new(), has_more, position, rate_limit)
    }

    /// A page whose records `bad` did not decode (each knows its place on
    /// the page); `items` are the others, in the server's order. The
    /// boundary is the page's last record as the server sent it (first,
    /// going backward), decoded or not: a bad record with a usable id
    /// still leads on.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_bad(
        items: Vec<T>,
        mut bad: Vec<BadRecord>,
        has_more: bool,
        position: &Position,
        rate_limit: Option<RateLimit>,
    ) -> Result<Self, PaginationError> {
        let direction = position.direction();
        let records = items.len().saturating_add(bad.len());
        let edge = match direction {
            Direction::Forward => records.checked_sub(1),
            Direction::Backward => Some(0),
        };
        let boundary = match bad.iter().find(|b| Some(b.index) == edge) {
            Some(record) => Some(record.id.as_deref().unwrap_or("")),
            None => match direction {
                Direction::Forward => items.last().map(ListItem::item_id),
                Direction::Backward => items.first().map(ListItem::item_id),
            },
        };
        let next_cursor = match boundary {
            Some(id) if has_more => Some(Cursor::parse_for("run id", id).map_err(|reason| {
                PaginationError::new(
                    1,
                    position.cursor().map(Cursor::as_str),
                    PaginationErrorKind::InvalidRunId { reason },
                )
            })?),
            _ => None,
        };
        // Each bad record learns its decoded neighbours, in server order.
        bad.sort_by_key(|b| b.index);
        for (n, record) in bad.iter_mut().enumerate() {
            // Decoded records before it: its index less the bad ones.
            let before = record.index.saturating_sub(n);
            record.prev = before
                .checked_sub(1)
                .and_then(|i| items.get(i))
                .map(|item| item.item_id().to_owned());
            record.next = items.get(before).map(|item| item.item_id().to_owned());
        }
        Ok(Self {
            items,
            bad,
            has_more,
            next_cursor,
            direction,
            rate_limit,
            server_clock: None,
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

    /// The records of the page that did not decode (a field of the wrong
    /// type, a timestamp nothing parses), in the server's order: each names
    /// its id, the field and its raw JSON. The page's other records are
    /// its items, and its way on is kept. Empty on a page that decoded
    /// whole.
    pub fn bad_records(&self) -> &[BadRecord] {
        &self.bad
    }

    /// The latest the server's clock read when it sent the page (the end
    /// of the second its `Date` header names), if it said.
    pub fn server_clock(&self) -> Option<Timestamp> {
        self.server_clock
    }

    /// The same page, the server's clock read `clock` when it sent it.
    #[must_use]
    pub fn with_server_clock(mut self, clock: Option<Timestamp>) -> Self {
        self.server_clock = clock;
        self
    }

    /// Takes the bad records out of the page (its items are kept).
    pub fn take_bad(&mut self) -> Vec<BadRecord> {
        std::mem::take(&mut self.bad)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BadRecord;

    #[derive(Debug, Clone, PartialEq)]
    struct Item(&'static str);

    impl sealed::Sealed for Item {}

    impl ListItem for Item {
        fn item_id(&self) -> &str {
            self.0
        }
    }

    fn bad(index: usize, id: &str) -> BadRecord {
        let raw = format!(r#"{{"id":"{id}","created_at":"infinity"}}"#);
        let source = serde_json::from_str::<u8>("\"x\"").unwrap_err();
        BadRecord::new(index, &raw, "created_at".into(), source)
    }

    #[test]
    fn a_bad_record_knows_its_neighbours_and_at_the_boundary_still_leads_on() {
        // Server order: a, X, b, Y (Y the last record: the forward boundary).
        let items = vec![Item("a"), Item("b")];
        let page = Page::with_bad(
            items.clone(),
            vec![bad(3, "Y"), bad(1, "X")],
            true,
            &Position::Start,
            None,
        )
        .unwrap();
        assert_eq!(page.next_cursor().map(Cursor::as_str), Some("Y"));
        let around: Vec<_> = page
            .bad_records()
            .iter()
            .map(|b| (b.id(), b.prev.as_deref(), b.next.as_deref()))
            .collect();
        assert_eq!(
            around,
            [
                (Some("X"), Some("a"), Some("b")),
                (Some("Y"), Some("b"), None)
            ]
        );
        // Backward, the first record is the boundary.
        let c = Cursor::new("c").unwrap();
        let page =
            Page::with_bad(items, vec![bad(0, "Z")], true, &Position::Before(c), None).unwrap();
        assert_eq!(page.next_cursor().map(Cursor::as_str), Some("Z"));
        // A boundary without a usable id cannot lead on: an error.
        let none = {
            let source = serde_json::from_str::<u8>("\"x\"").unwrap_err();
            BadRecord::new(1, r#"{"created_at":1}"#, "created_at".into(), source)
        };
        let err =
            Page::with_bad(vec![Item("a")], vec![none], true, &Position::Start, None).unwrap_err();
        assert!(matches!(
            err.kind(),
            PaginationErrorKind::InvalidRunId { .. }
        ));
    }
}
