//! The page and item streams: lazy, one request per page, resumable from a
//! checkpoint, with optional read-ahead. The checks live in the traversal
//! guard (`guard.rs`); this file only drives requests.
//!
//! Written once for every collection: a stream is given a function that
//! fetches one page at a position, and does the rest.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures::Stream;
use futures::future::BoxFuture;

use super::guard::Traversal;
use super::page::{ListItem, Page};
use super::position::{Direction, Position};
use crate::error::{BadRecord, Error};
use crate::ids::{Cursor, check_id};

/// Fetches the page at a position.
pub(crate) type FetchPage<T> =
    Arc<dyn Fn(Position) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// A stream of pages: `Item = Result<Page<T>, Error>`. Made by
/// [`ListRequest::pages`](crate::ListRequest::pages).
///
/// - **Lazy**: nothing is sent until the first poll; one request per page;
///   no request after a page with `has_more: false`.
/// - **Order**: forward (no cursor, or `after`), pages run newest to oldest
///   and each page is newest first. Backward (`before`), pages run from the
///   cursor towards the newest item and each page is **reversed**, oldest
///   first, so runs come in the order they happened.
/// - **Errors end the stream**: after an `Err` item the stream yields
///   `None`. [`checkpoint`](Self::checkpoint) stays valid, so a new stream
///   started from it continues without losing or repeating an item.
/// - **Loop guards**: `has_more` with no items, a cursor seen before in this
///   traversal, an id that cannot be a cursor, and the optional
///   `max_pages` cap each end the stream with an [`Error::Pagination`].
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T> {
    fetch: Option<FetchPage<T>>,
    traversal: Traversal,
    fetching: Option<Fetching<T>>,
    /// Fetch the next page while the current one is consumed.
    prefetch: bool,
    /// An error to yield before anything else (a rejected argument, or the
    /// page cap reached while reading ahead).
    failed: Option<Error>,
}

impl<T> std::fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("traversal", &self.traversal)
            .field("fetching", &self.fetching.is_some())
            .field("prefetch", &self.prefetch)
            .finish_non_exhaustive()
    }
}

/// A page being fetched: polled by the stream (sequential), or running on
/// its own task (read-ahead), aborted if the stream is dropped first.
enum Fetching<T> {
    Local(BoxFuture<'static, Result<Page<T>, Error>>),
    Spawned(tokio::task::JoinHandle<Result<Page<T>, Error>>),
}

impl<T> Drop for Fetching<T> {
    fn drop(&mut self) {
        if let Self::Spawned(handle) = self {
            handle.abort();
        }
    }
}

impl<T> Fetching<T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Page<T>, Error>> {
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

impl<T: ListItem + Send + 'static> PageStream<T> {
    pub(crate) fn new(
        fetch: FetchPage<T>,
        start: Position,
        max_pages: Option<u64>,
        prefetch: bool,
    ) -> Self {
        Self {
            fetch: Some(fetch),
            traversal: Traversal::new(start, max_pages),
            fetching: None,
            prefetch,
            failed: None,
        }
    }

    /// A stream that yields `error` and ends, having sent nothing.
    pub(crate) fn failed(error: Error) -> Self {
        Self {
            fetch: None,
            traversal: Traversal::ended(),
            fetching: None,
            prefetch: false,
            failed: Some(error),
        }
    }

    /// Starts fetching the next page, on its own task when `spawn` and a
    /// tokio runtime is at hand. `Ok(false)` when the traversal is over.
    fn start_next(&mut self, spawn: bool) -> Result<bool, Error> {
        let Some(fetch) = self.fetch.as_ref() else {
            return Ok(false);
        };
        let Some(position) = self.traversal.begin()? else {
            return Ok(false);
        };
        let future = fetch(position);
        self.fetching = Some(match tokio::runtime::Handle::try_current() {
            Ok(runtime) if spawn => Fetching::Spawned(runtime.spawn(future)),
            _ => Fetching::Local(future),
        });
        Ok(true)
    }

    fn end(&mut self, error: Error) -> Poll<Option<Result<Page<T>, Error>>> {
        self.fetching = None;
        self.fetch = None;
        Poll::Ready(Some(Err(self.traversal.fail(error))))
    }
}

impl<T> PageStream<T> {
    /// The cursor of the last item yielded (the end of the last page, in
    /// yielded order), or the cursor the stream started from if nothing was
    /// yielded yet. Start a new stream with `.after(checkpoint)` (forward)
    /// or `.before(checkpoint)` (backward) to continue exactly after it.
    pub fn checkpoint(&self) -> Option<&Cursor> {
        self.traversal.checkpoint()
    }

    /// The direction of travel.
    pub fn direction(&self) -> Direction {
        self.traversal.direction()
    }

    /// Pages received and yielded so far (a page read ahead is not counted
    /// until it is yielded).
    pub fn pages_received(&self) -> u64 {
        self.traversal.received()
    }

    /// How many times the cursor item came again at the top of the next
    /// page (a server whose cursors include the item) and was dropped, so
    /// that no item is yielded twice.
    pub fn repeats_dropped(&self) -> u64 {
        self.traversal.repeats_dropped()
    }
}

impl<T: ListItem + Send + 'static> Stream for PageStream<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(error) = this.failed.take() {
            return this.end(error);
        }
        if this.fetching.is_none() {
            match this.start_next(false) {
                Ok(true) => {}
                Ok(false) => return Poll::Ready(None),
                Err(error) => return this.end(error),
            }
        }
        let Some(fetching) = this.fetching.as_mut() else {
            return Poll::Ready(None);
        };
        let fetched = ready!(fetching.poll(cx));
        this.fetching = None;
        let result = fetched.and_then(|mut page| {
            this.traversal.accept(&mut page)?;
            Ok(page)
        });
        match result {
            Ok(page) => {
                if this.prefetch {
                    // Read ahead while the consumer works on this page; a
                    // cap reached here is reported after this page.
                    if let Err(error) = this.start_next(true) {
                        this.failed = Some(error);
                    }
                }
                Poll::Ready(Some(Ok(page)))
            }
            Err(error) => this.end(error),
        }
    }
}

/// A stream of items (runs, or automations): `Item = Result<T, Error>`, one
/// page at a time underneath. Made by
/// [`ListRequest::stream`](crate::ListRequest::stream).
///
/// Forward (no cursor, or `after`): newest first. Backward (`before`): the
/// items newer than the cursor, **oldest first**. After an error the stream
/// ends; [`checkpoint`](Self::checkpoint) is the last item yielded, and a
/// new stream started from it continues with exactly the items not yet
/// yielded. See [`PageStream`] for laziness and the loop guards.
///
/// A record that does not decode (a field of the wrong type, a timestamp
/// nothing parses) while its page does is yielded in its place as an
/// [`Error::BadRecord`], naming it, after the runs before it; the stream
/// ends there as after any error, and the checkpoint is that record's id
/// (when it can be a cursor): a stream started from it goes on past it,
/// so one bad record never wedges a reader. A [`PageStream`] instead
/// yields the page, its bad records in
/// [`Page::bad_records`](crate::Page::bad_records), and goes on: a page is
/// the server's answer, whole.
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T> {
    pages: PageStream<T>,
    buffer: VecDeque<T>,
    checkpoint: Option<Cursor>,
    /// A record that did not decode, yielded once the buffer is: the end.
    bad: Option<BadRecord>,
    over: bool,
}

impl<T> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .field("checkpoint", &self.checkpoint)
            .finish()
    }
}

impl<T: ListItem + Send + 'static> ItemStream<T> {
    pub(crate) fn new(pages: PageStream<T>) -> Self {
        Self {
            checkpoint: pages.checkpoint().cloned(),
            pages,
            buffer: VecDeque::new(),
            bad: None,
            over: false,
        }
    }
}

impl<T> ItemStream<T> {
    /// The cursor of the last item yielded, or the cursor the stream
    /// started from if none was yielded yet. Resume with `.after(checkpoint)`
    /// forward or `.before(checkpoint)` backward.
    pub fn checkpoint(&self) -> Option<&Cursor> {
        self.checkpoint.as_ref()
    }

    /// The direction of travel.
    pub fn direction(&self) -> Direction {
        self.pages.direction()
    }

    /// Pages received so far.
    pub fn pages_received(&self) -> u64 {
        self.pages.pages_received()
    }

    /// How many repeated cursor items were dropped (see
    /// [`PageStream::repeats_dropped`]).
    pub fn repeats_dropped(&self) -> u64 {
        self.pages.repeats_dropped()
    }
}

impl<T: ListItem + Send + Unpin + 'static> Stream for ItemStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.over {
                return Poll::Ready(None);
            }
            if let Some(item) = this.buffer.pop_front() {
                // Ids were checked as cursors when the page was accepted;
                // the checkpoint's buffer is reused, not reallocated per item.
                match &mut this.checkpoint {
                    Some(checkpoint) => checkpoint.set_checked(item.item_id()),
                    None => this.checkpoint = Some(Cursor::from_checked(item.item_id().to_owned())),
                }
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(bad) = this.bad.take() {
                // The record in its place: the stream ends there, its
                // checkpoint past it when its id can be a cursor.
                this.over = true;
                if let Some(id) = bad.id().filter(|id| check_id("run id", id).is_ok()) {
                    this.checkpoint = Some(Cursor::from_checked(id.to_owned()));
                }
                return Poll::Ready(Some(Err(bad.into())));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(mut page)) => {
                    let direction = page.direction();
                    let mut bad = page.take_bad();
                    this.buffer = page.items.into();
                    // The first record in the direction of travel that
                    // does not decode: the items before it come first.
                    let first = match direction {
                        Direction::Forward => bad.drain(..).next(),
                        Direction::Backward => bad.pop(),
                    };
                    if let Some(first) = first {
                        let before = match direction {
                            Direction::Forward => first.prev.clone(),
                            Direction::Backward => first.next.clone(),
                        };
                        let keep = before.map_or(0, |id| {
                            this.buffer
                                .iter()
                                .position(|item| item.item_id() == id)
                                .map_or(0, |i| i.saturating_add(1))
                        });
                        this.buffer.truncate(keep);
                        this.bad = Some(first);
                    }
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}
