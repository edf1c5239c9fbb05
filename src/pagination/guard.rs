//! The traversal guard: what a stream of pages checks and remembers, kept
//! synchronous so unit tests drive it without a server.
//!
//! A traversal never silently truncates and never loops: a page that claims
//! more items but has none, a cursor seen before (a cycle of any length), an
//! id that could not be sent back as a cursor, and the optional page cap
//! each end it with a [`PaginationError`]. It also keeps the checkpoint: the
//! id of the last item of the last page accepted, in the order yielded.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use super::overlap::{IdSet, Overlap, id_hash};
use super::page::{ListItem, Page};
use super::position::{Direction, Position};
use crate::error::{Error, PaginationError, PaginationErrorKind};
use crate::ids::{Cursor, check_id};

/// One traversal's state: where it is, where it has been, what it yielded;
/// the pagination contract a stream keeps (no page with `has_more` and no
/// items, no cursor seen twice, no item repeated from the same or the
/// previous page), for code that sends its own list requests page by page
/// ([`ListRequest::send`](crate::ListRequest::send)) and follows them:
/// [`begin`](Self::begin) before each request, [`accept`](Self::accept)
/// each page that arrives.
#[derive(Debug)]
pub struct Traversal {
    direction: Direction,
    /// The position of the next page to request; `None` once it is over.
    next: Option<Position>,
    /// The position of the page requested and not yet accepted.
    pending: Option<Position>,
    /// Hashes of the cursors used, to detect cycles of any length at 8
    /// bytes a page rather than a copy of each cursor.
    seen: IdSet,
    /// The boundary-repeat rule (overlap.rs).
    overlap: Overlap,
    /// Pages requested: the number of the page asked for last, for errors.
    requested: u64,
    /// Pages received and accepted.
    received: u64,
    max_pages: Option<u64>,
    checkpoint: Option<Cursor>,
    /// Whether every item's id must be usable as a cursor (every item may
    /// become a stream's checkpoint); else only the boundary's, which
    /// `Page::new` checks (a watch resumes from boundaries only).
    every_id: bool,
}

fn cursor_hash(cursor: &Cursor) -> u64 {
    id_hash(cursor.as_str())
}

impl Traversal {
    pub(crate) fn new(start: Position, max_pages: Option<u64>) -> Self {
        let mut seen = IdSet::default();
        if let Some(c) = start.cursor() {
            seen.insert(cursor_hash(c));
        }
        Self {
            direction: start.direction(),
            checkpoint: start.cursor().cloned(),
            next: Some(start),
            pending: None,
            seen,
            overlap: Overlap::default(),
            requested: 0,
            received: 0,
            max_pages,
            every_id: true,
        }
    }

    /// A traversal a watch's poll makes, from `start`: the same guards as
    /// a stream's (a page with `has_more` and no items, a cursor seen
    /// before, a run repeated from the same or the previous page), but
    /// only the boundary's id need be a cursor, since a poll goes on from
    /// boundaries only.
    pub fn boundaries_only(start: Position) -> Self {
        Self {
            every_id: false,
            ..Self::new(start, None)
        }
    }

    /// The position of the next page to request, if the traversal goes on.
    pub fn next_position(&self) -> Option<&Position> {
        self.next.as_ref()
    }

    /// The position requested and not yet accepted, if any.
    pub fn pending_position(&self) -> Option<&Position> {
        self.pending.as_ref()
    }

    /// A traversal that is already over.
    pub(crate) fn ended() -> Self {
        let mut ended = Self::new(Position::Start, None);
        ended.next = None;
        ended
    }

    pub(crate) fn direction(&self) -> Direction {
        self.direction
    }

    /// The cursor of the last item accepted, or the starting cursor.
    pub(crate) fn checkpoint(&self) -> Option<&Cursor> {
        self.checkpoint.as_ref()
    }

    /// Pages received and accepted.
    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    /// Repeated cursor items dropped at page boundaries.
    pub(crate) fn repeats_dropped(&self) -> u64 {
        self.overlap.dropped()
    }

    /// The position of the next page to request, counted as requested;
    /// `None` when the traversal is over. Reaching the page cap with more
    /// pages left ends the traversal with its error.
    pub fn begin(&mut self) -> Result<Option<Position>, PaginationError> {
        let Some(position) = self.next.take() else {
            return Ok(None);
        };
        self.requested = self.requested.saturating_add(1);
        if let Some(max_pages) = self.max_pages
            && self.requested > max_pages
        {
            return Err(PaginationError::new(
                self.requested,
                position.cursor().map(Cursor::as_str),
                PaginationErrorKind::MaxPagesReached { max_pages },
            ));
        }
        self.pending = Some(position.clone());
        Ok(Some(position))
    }

    /// Checks the page that arrived for the pending request against the
    /// guards and makes it the one to yield: reversed when going backward
    /// (oldest first), with the next position and the checkpoint set.
    pub fn accept<T: ListItem>(&mut self, page: &mut Page<T>) -> Result<(), Error> {
        let asked = self.pending.take();
        let asked = asked.as_ref().and_then(Position::cursor);
        let fail = |kind| -> Result<(), Error> {
            Err(PaginationError::new(self.requested, asked.map(Cursor::as_str), kind).into())
        };
        if page.has_more && page.items.is_empty() && page.bad.is_empty() {
            return fail(PaginationErrorKind::EmptyPageWithMore);
        }
        // Every item may become the checkpoint, so every id must be a
        // cursor; the boundary's was checked when the page was made.
        let checked = match (&page.next_cursor, self.direction) {
            (None, _) => None,
            (Some(_), Direction::Forward) => page.items.len().checked_sub(1),
            (Some(_), Direction::Backward) => Some(0),
        };
        let invalid = page
            .items
            .iter()
            .enumerate()
            .filter(|_| self.every_id)
            .filter(|(i, _)| Some(*i) != checked)
            .find_map(|(_, item)| check_id("run id", item.item_id()).err());
        if let Some(reason) = invalid {
            return fail(PaginationErrorKind::InvalidRunId { reason });
        }
        // `Page::new` sets a next cursor only when the server said has_more.
        self.next = match page.next_cursor.clone() {
            Some(cursor) => {
                if !self.seen.insert(cursor_hash(&cursor)) {
                    let cursor = cursor.as_str().to_owned();
                    return fail(PaginationErrorKind::CursorCycle { cursor });
                }
                Some(Position::from(self.direction, cursor))
            }
            None => None,
        };
        if self.direction == Direction::Backward {
            page.items.reverse();
        }
        if let Err(id) = self
            .overlap
            .check(&mut page.items, asked.map(Cursor::as_str))
        {
            self.next = None;
            return fail(PaginationErrorKind::RepeatedRun { id });
        }
        if let Some(last) = page.items.last() {
            match &mut self.checkpoint {
                Some(checkpoint) => checkpoint.set_checked(last.item_id()),
                None => self.checkpoint = Some(Cursor::from_checked(last.item_id().to_owned())),
            }
        }
        self.received = self.received.saturating_add(1);
        Ok(())
    }

    /// Ends the traversal with `error`, numbering a page's own pagination
    /// error (which calls itself page 1) with its place in the traversal.
    pub fn fail(&mut self, error: Error) -> Error {
        self.next = None;
        self.pending = None;
        match error {
            Error::Pagination(mut p) => {
                p.page = self.requested;
                Error::Pagination(p)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests;
