//! The page and item streams: lazy, one request per page, resumable from a
//! checkpoint, and guarded against servers that would make them loop or
//! stop short.
//!
//! Written once for any run collection: a stream is given a function that
//! fetches one page at a position, and does the rest.

use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures::Stream;
use futures::future::BoxFuture;

use crate::error::Error;
use crate::generated::types::WorkflowRun;
use crate::guard::{PaginationError, PaginationErrorKind};
use crate::ids::{Cursor, check_id};
use crate::list::{Direction, Position};
use crate::page::{HasRunId, Page};

/// Fetches the page at a position.
pub(crate) type FetchPage<R> =
    Arc<dyn Fn(Position) -> BoxFuture<'static, Result<Page<R>, Error>> + Send + Sync>;

/// A stream of pages: `Item = Result<Page, Error>`. Made by
/// [`ListRuns::pages`](crate::ListRuns::pages).
///
/// - **Lazy**: nothing is sent until the first poll; one request per page;
///   no request after a page with `has_more: false`.
/// - **Order**: forward (no cursor, or `after`), pages run newest to oldest
///   and each page is newest first. Backward (`before`), pages run from the
///   cursor towards the newest run and each page is **reversed**, oldest
///   first, so runs come in the order they happened.
/// - **Errors end the stream**: after an `Err` item the stream yields
///   `None`. [`checkpoint`](Self::checkpoint) stays valid, so a new stream
///   started from it continues without losing or repeating a run.
/// - **Loop guards**: `has_more` with no runs, a cursor seen before in this
///   traversal, a run id that cannot be a cursor, and the optional
///   `max_pages` cap each end the stream with an [`Error::Pagination`].
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<R = WorkflowRun> {
    fetch: Option<FetchPage<R>>,
    direction: Direction,
    /// The position of the next page; `None` when the traversal is over.
    next: Option<Position>,
    in_flight: Option<InFlight<R>>,
    /// Fetch the next page while the current one is consumed.
    prefetch: bool,
    /// An error to yield before anything else (a rejected argument).
    failed: Option<Error>,
    /// Hashes of the cursors this traversal has used, to detect cycles of any
    /// length at 8 bytes a page rather than a copy of each cursor.
    seen: HashSet<u64>,
    pages: u64,
    max_pages: Option<u64>,
    checkpoint: Option<Cursor>,
}

impl<R> std::fmt::Debug for PageStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("direction", &self.direction)
            .field("next", &self.next)
            .field("pages", &self.pages)
            .field("max_pages", &self.max_pages)
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

/// A page being fetched: polled by the stream (sequential), or running on
/// its own task (read-ahead), aborted if the stream is dropped first.
enum InFlight<R> {
    Local(BoxFuture<'static, Result<Page<R>, Error>>),
    Spawned(tokio::task::JoinHandle<Result<Page<R>, Error>>),
}

impl<R> Drop for InFlight<R> {
    fn drop(&mut self) {
        if let Self::Spawned(handle) = self {
            handle.abort();
        }
    }
}

impl<R> InFlight<R> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Page<R>, Error>> {
        match self {
            Self::Local(future) => future.as_mut().poll(cx),
            Self::Spawned(handle) => Pin::new(handle).poll(cx).map(|joined| match joined {
                Ok(result) => result,
                // The fetch panicked: let the panic reach the consumer, as it
                // would have without read-ahead.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }),
        }
    }
}

/// What starting the next fetch came to.
enum Next {
    Started,
    Done,
    Capped(Error),
}

fn cursor_hash(cursor: &Cursor) -> u64 {
    let mut h = DefaultHasher::new();
    cursor.as_str().hash(&mut h);
    h.finish()
}

impl<R: HasRunId + Send + 'static> PageStream<R> {
    pub(crate) fn new(
        fetch: FetchPage<R>,
        start: Position,
        max_pages: Option<u64>,
        prefetch: bool,
    ) -> Self {
        let mut seen = HashSet::new();
        if let Some(c) = start.cursor() {
            seen.insert(cursor_hash(c));
        }
        Self {
            fetch: Some(fetch),
            direction: start.direction(),
            checkpoint: start.cursor().cloned(),
            next: Some(start),
            in_flight: None,
            prefetch,
            failed: None,
            seen,
            pages: 0,
            max_pages,
        }
    }

    /// A stream that yields `error` and ends, having sent nothing.
    pub(crate) fn failed(error: Error) -> Self {
        Self {
            fetch: None,
            direction: Direction::Forward,
            next: None,
            in_flight: None,
            prefetch: false,
            failed: Some(error),
            seen: HashSet::new(),
            pages: 0,
            max_pages: None,
            checkpoint: None,
        }
    }
}

impl<R> PageStream<R> {
    /// The cursor of the last run yielded (the end of the last page, in
    /// yielded order), or the cursor the stream started from if nothing was
    /// yielded yet. Start a new stream with `.after(checkpoint)` (forward)
    /// or `.before(checkpoint)` (backward) to continue exactly after it.
    pub fn checkpoint(&self) -> Option<&Cursor> {
        self.checkpoint.as_ref()
    }

    /// The direction of travel.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Pages received so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Starts fetching the page at `next`, on its own task when `spawn` and
    /// a tokio runtime is at hand.
    fn start_next(&mut self, spawn: bool) -> Next
    where
        R: Send + 'static,
    {
        let (Some(position), Some(fetch)) = (self.next.as_ref(), self.fetch.as_ref()) else {
            return Next::Done;
        };
        if let Some(max_pages) = self.max_pages
            && self.pages >= max_pages
        {
            let cursor = position.cursor().cloned();
            self.pages += 1;
            let kind = PaginationErrorKind::MaxPagesReached { max_pages };
            return Next::Capped(self.guard(kind, cursor.as_ref()));
        }
        self.pages += 1;
        let future = fetch(position.clone());
        self.in_flight = Some(match tokio::runtime::Handle::try_current() {
            Ok(runtime) if spawn => InFlight::Spawned(runtime.spawn(future)),
            _ => InFlight::Local(future),
        });
        Next::Started
    }

    fn end(&mut self, error: Error) -> Poll<Option<Result<Page<R>, Error>>> {
        self.next = None;
        self.in_flight = None;
        self.fetch = None;
        Poll::Ready(Some(Err(error)))
    }

    fn guard(&self, kind: PaginationErrorKind, cursor: Option<&Cursor>) -> Error {
        PaginationError::new(self.pages, cursor.map(Cursor::as_str), kind).into()
    }

    /// Checks a received page against the guards and makes it the one to
    /// yield: reversed when going backward, with the next position set.
    fn accept(&mut self, mut page: Page<R>, asked: Option<&Cursor>) -> Result<Page<R>, Error>
    where
        R: HasRunId,
    {
        if page.has_more && page.runs.is_empty() {
            return Err(self.guard(PaginationErrorKind::EmptyPageWithMore, asked));
        }
        // Every run may become the checkpoint, so every id must be a cursor.
        if let Some(Err(reason)) = page
            .runs
            .iter()
            .map(|run| check_id("run id", run.run_id()))
            .find(Result::is_err)
        {
            return Err(self.guard(PaginationErrorKind::InvalidRunId { reason }, asked));
        }
        self.next = match page.next_cursor.clone() {
            Some(cursor) if page.has_more => {
                if !self.seen.insert(cursor_hash(&cursor)) {
                    let cursor_str = cursor.as_str().to_owned();
                    return Err(self.guard(
                        PaginationErrorKind::CursorCycle { cursor: cursor_str },
                        asked,
                    ));
                }
                Some(match self.direction {
                    Direction::Forward => Position::After(cursor),
                    Direction::Backward => Position::Before(cursor),
                })
            }
            _ => None,
        };
        if self.direction == Direction::Backward {
            page.runs.reverse();
        }
        if let Some(last) = page.runs.last() {
            self.checkpoint = Some(Cursor::from_checked(last.run_id().to_owned()));
        }
        Ok(page)
    }
}

impl<R: HasRunId + Send + 'static> Stream for PageStream<R> {
    type Item = Result<Page<R>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(error) = this.failed.take() {
            return this.end(error);
        }
        if this.in_flight.is_none() {
            match this.start_next(false) {
                Next::Started => {}
                Next::Done => return Poll::Ready(None),
                Next::Capped(error) => return this.end(error),
            }
        }
        let fetched = ready!(
            this.in_flight
                .as_mut()
                .expect("a request is in flight")
                .poll(cx)
        );
        this.in_flight = None;
        let asked = this.next.take();
        let asked = asked.as_ref().and_then(Position::cursor);
        let result = fetched
            .map_err(|e| match e {
                // A single page numbers itself 1; here it has a place in the traversal.
                Error::Pagination(mut p) => {
                    p.page = this.pages;
                    Error::Pagination(p)
                }
                other => other,
            })
            .and_then(|page| this.accept(page, asked));
        match result {
            Ok(page) => {
                if this.prefetch {
                    // Read ahead while the consumer works on this page; a
                    // cap reached here is reported after this page.
                    if let Next::Capped(error) = this.start_next(true) {
                        this.failed = Some(error);
                    }
                }
                Poll::Ready(Some(Ok(page)))
            }
            Err(error) => this.end(error),
        }
    }
}

/// A stream of runs: `Item = Result<WorkflowRun, Error>`, one page at a time
/// underneath. Made by [`ListRuns::stream`](crate::ListRuns::stream).
///
/// Forward (no cursor, or `after`): newest first. Backward (`before`): the
/// runs newer than the cursor, **oldest first**. After an error the stream
/// ends; [`checkpoint`](Self::checkpoint) is the last run yielded, and a new
/// stream started from it continues with exactly the runs not yet yielded.
/// See [`PageStream`] for laziness and the loop guards.
#[must_use = "streams do nothing unless polled"]
pub struct RunStream<R = WorkflowRun> {
    pages: PageStream<R>,
    buffer: VecDeque<R>,
    checkpoint: Option<Cursor>,
}

impl<R> std::fmt::Debug for RunStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStream")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .field("checkpoint", &self.checkpoint)
            .finish()
    }
}

impl<R: HasRunId + Send + 'static> RunStream<R> {
    pub(crate) fn new(pages: PageStream<R>) -> Self {
        Self {
            checkpoint: pages.checkpoint.clone(),
            pages,
            buffer: VecDeque::new(),
        }
    }
}

impl<R> RunStream<R> {
    /// The cursor of the last run yielded, or the cursor the stream started
    /// from if none was yielded yet. Resume with `.after(checkpoint)`
    /// forward or `.before(checkpoint)` backward.
    pub fn checkpoint(&self) -> Option<&Cursor> {
        self.checkpoint.as_ref()
    }

    /// The direction of travel.
    pub fn direction(&self) -> Direction {
        self.pages.direction
    }

    /// Pages received so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages.pages
    }
}

impl<R: HasRunId + Send + Unpin + 'static> Stream for RunStream<R> {
    type Item = Result<R, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(run) = this.buffer.pop_front() {
                // Ids were checked as cursors when the page was accepted;
                // the checkpoint's buffer is reused, not reallocated per run.
                match &mut this.checkpoint {
                    Some(checkpoint) => checkpoint.set_checked(run.run_id()),
                    None => this.checkpoint = Some(Cursor::from_checked(run.run_id().to_owned())),
                }
                return Poll::Ready(Some(Ok(run)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffer = page.runs.into(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}
