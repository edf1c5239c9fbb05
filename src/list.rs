//! What every list request shares: direction, position, the page-size and
//! cursor options with their validation, and the step from a validated
//! request to a page stream. The per-collection builders
//! (`workflow_runs.rs`, `automation_runs.rs`) add only their parent id,
//! their filters and the generated operation they call.

use std::future::Future;
use std::sync::Arc;

use crate::error::{Error, InvalidArgument, InvalidReason};
use crate::ids::{Cursor, PageSize, check_id};
use crate::page::{HasRunId, Page};
use crate::paginate::{FetchPage, PageStream};

/// Which way a traversal goes through the newest-first list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From newer to older runs: no cursor, or `after(cursor)`.
    Forward,
    /// From older to newer runs: `before(cursor)`.
    Backward,
}

/// Where a page starts: validated, so `after` and `before` cannot both be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Position {
    Start,
    After(Cursor),
    Before(Cursor),
}

impl Position {
    pub(crate) fn direction(&self) -> Direction {
        match self {
            Self::Before(_) => Direction::Backward,
            Self::Start | Self::After(_) => Direction::Forward,
        }
    }

    pub(crate) fn cursor(&self) -> Option<&Cursor> {
        match self {
            Self::Start => None,
            Self::After(c) | Self::Before(c) => Some(c),
        }
    }
}

/// The options every list request has, as given (validated on use).
#[derive(Debug, Clone, Default)]
pub(crate) struct ListOptions {
    pub(crate) limit: Option<u32>,
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) max_pages: Option<u64>,
    pub(crate) prefetch: bool,
}

impl ListOptions {
    /// Validates the limit, then `after`, `before` and their combination.
    pub(crate) fn validate(&self) -> Result<(PageSize, Position), Error> {
        let limit = match self.limit {
            Some(n) => PageSize::new(n)?,
            None => PageSize::default(),
        };
        let position = match (&self.after, &self.before) {
            (None, None) => Position::Start,
            (Some(a), None) => Position::After(Cursor::parse_for("after", a.as_str())?),
            (None, Some(b)) => Position::Before(Cursor::parse_for("before", b.as_str())?),
            (Some(a), Some(b)) => {
                check_id("after", a)?;
                check_id("before", b)?;
                let reason = InvalidReason::Conflict { with: "before" };
                return Err(InvalidArgument::new("after", a, reason).into());
            }
        };
        Ok((limit, position))
    }
}

/// A page stream that fetches each page with `fetch(limit, position)`.
pub(crate) fn traverse<R, F, Fut>(
    limit: PageSize,
    start: Position,
    options: &ListOptions,
    fetch: F,
) -> PageStream<R>
where
    R: HasRunId + Send + 'static,
    F: Fn(PageSize, Position) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<R>, Error>> + Send + 'static,
{
    let fetch: FetchPage<R> = Arc::new(move |position| Box::pin(fetch(limit, position)));
    PageStream::new(fetch, start, options.max_pages, options.prefetch)
}

/// The setters every list builder shares, written once.
macro_rules! list_options_setters {
    () => {
        /// Runs per page, 1 to 100 (default 100). Always sent explicitly:
        /// the documentation disagrees on the server's default.
        pub fn limit(mut self, limit: u32) -> Self {
            self.options.limit = Some(limit);
            self
        }

        /// Start after this run: older runs, the run itself excluded.
        /// Cannot be combined with `before`.
        pub fn after(mut self, cursor: impl AsRef<str>) -> Self {
            self.options.after = Some(cursor.as_ref().to_owned());
            self
        }

        /// Start before this run: newer runs, the run itself excluded.
        /// Cannot be combined with `after`. Streams then yield runs oldest
        /// first.
        pub fn before(mut self, cursor: impl AsRef<str>) -> Self {
            self.options.before = Some(cursor.as_ref().to_owned());
            self
        }

        /// Caps a traversal (`pages()`, `stream()`) at `max` pages: reaching
        /// it with more runs left ends the stream with a
        /// [`PaginationErrorKind::MaxPagesReached`](crate::PaginationErrorKind::MaxPagesReached)
        /// error, never a silent stop. No cap by default.
        pub fn max_pages(mut self, max: u64) -> Self {
            self.options.max_pages = Some(max);
            self
        }

        /// Read ahead: `pages()` and `stream()` fetch the next page on a
        /// tokio task while the current one is consumed, so a consumer that
        /// works on each page overlaps with the network. Off by default: a
        /// sequential stream sends a request only when asked for more, and
        /// with read-ahead at most one page beyond what was consumed is
        /// fetched (a stream dropped early aborts it).
        pub fn prefetch(mut self, enabled: bool) -> Self {
            self.options.prefetch = enabled;
            self
        }
    };
}

pub(crate) use list_options_setters;

/// Sets `after` or `before` on a generated list builder from a position.
macro_rules! at_position {
    ($request:expr, $position:expr) => {
        match $position {
            Position::Start => $request,
            Position::After(c) => $request.after(c.clone()),
            Position::Before(c) => $request.before(c.clone()),
        }
    };
}

pub(crate) use at_position;
