//! `ListRequest<C>`: one list request for every collection. The options,
//! their validation, `send`, `pages` and `stream` are written once; a
//! [`Collection`] says what it lists and which generated operation to call.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use crate::client::Client;
use crate::error::{Error, InvalidArgument};
use crate::ids::PageSize;
use crate::pagination::{FetchPage, ItemStream, ListItem, ListOptions, Page, PageStream, Position};

pub(crate) mod sealed {
    /// Implemented only by this crate's collections.
    pub trait Sealed {}

    /// The arguments of one page request, opaque outside the crate.
    #[derive(Debug)]
    pub struct Fetch<'a, P, F> {
        pub(crate) client: &'a crate::client::Client,
        pub(crate) parent: &'a P,
        pub(crate) filter: Option<&'a F>,
        pub(crate) limit: crate::ids::PageSize,
        pub(crate) position: &'a crate::pagination::Position,
    }
}

/// A collection that can be listed, newest first, with `limit`, `after`
/// and `before`: what it belongs to, what it yields and how it can be
/// filtered. Sealed: implemented by this crate's collections
/// ([`AutomationRuns`](crate::AutomationRuns), [`Automations`](crate::Automations),
/// [`WorkflowRuns`](crate::WorkflowRuns)).
pub trait Collection: sealed::Sealed + Debug + Clone + Send + Sync + 'static {
    /// The id of what the items belong to (an automation, a workflow; `()`
    /// for the team's automations).
    type Parent: Debug + Clone + Send + Sync + 'static;
    /// What a page holds.
    type Item: ListItem + Debug + Send + Unpin + 'static;
    /// The filter the API offers on this list ([`std::convert::Infallible`]
    /// where it offers none).
    type Filter: Debug + Clone + Send + Sync + 'static;

    /// Checks a filter before anything is sent.
    #[doc(hidden)]
    fn check_filter(filter: &Self::Filter) -> Result<(), InvalidArgument>;

    /// Fetches one page through the generated operation.
    #[doc(hidden)]
    fn fetch(
        args: sealed::Fetch<'_, Self::Parent, Self::Filter>,
    ) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send + use<Self>;
}

/// A list request: one page with [`send`](Self::send), or every page with
/// [`pages`](Self::pages) and [`stream`](Self::stream). Made by the client
/// ([`Client::list_automation_runs`], [`Client::list_automations`],
/// [`Client::list_runs`]); nothing is sent until then, and an invalid
/// argument is reported then, before anything is sent.
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until sent"]
pub struct ListRequest<C: Collection> {
    client: Client,
    /// The parent id, or why it was rejected (reported when sent).
    parent: Result<C::Parent, InvalidArgument>,
    options: ListOptions,
    filter: Option<C::Filter>,
}

impl<C: Collection> ListRequest<C> {
    pub(crate) fn new(client: &Client, parent: Result<C::Parent, InvalidArgument>) -> Self {
        Self {
            client: client.clone(),
            parent,
            options: ListOptions::default(),
            filter: None,
        }
    }

    pub(crate) fn set_filter(mut self, filter: C::Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Items per page, 1 to 100 (default 100). Always sent explicitly:
    /// the documentation disagrees on the server's default.
    pub fn limit(mut self, limit: u32) -> Self {
        self.options.limit = Some(limit);
        self
    }

    /// Start after this item: older items, the item itself excluded.
    /// Cannot be combined with `before`.
    pub fn after(mut self, cursor: impl AsRef<str>) -> Self {
        self.options.after = Some(cursor.as_ref().to_owned());
        self
    }

    /// Start before this item: newer items, the item itself excluded.
    /// Cannot be combined with `after`. Streams then yield items oldest
    /// first.
    pub fn before(mut self, cursor: impl AsRef<str>) -> Self {
        self.options.before = Some(cursor.as_ref().to_owned());
        self
    }

    /// Caps a traversal (`pages()`, `stream()`) at `max` pages: reaching
    /// it with more items left ends the stream with a
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

    /// Validates every argument: the parent id, limit, `after`, `before`,
    /// their combination, then the filter.
    fn validate(&self) -> Result<(C::Parent, PageSize, Position), Error> {
        let parent = self.parent.clone()?;
        let (limit, position) = self.options.validate()?;
        if let Some(filter) = &self.filter {
            C::check_filter(filter)?;
        }
        Ok((parent, limit, position))
    }

    /// Sends the request and returns one page, exactly as Resend ordered it
    /// (newest first, in both directions).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for a bad id, cursor,
    /// limit or filter, or `after` with `before`; otherwise any error of
    /// the request.
    pub async fn send(self) -> Result<Page<C::Item>, Error> {
        let (parent, limit, position) = self.validate()?;
        C::fetch(sealed::Fetch {
            client: &self.client,
            parent: &parent,
            filter: self.filter.as_ref(),
            limit,
            position: &position,
        })
        .await
    }

    /// Every page from the starting position, lazily, one request per page.
    /// Forward pages (no cursor, or `after`) go from newest to oldest;
    /// backward pages (`before`) go towards the newest item and each is
    /// reversed, oldest first. See [`PageStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut pages = client.list_automation_runs("onboarding").pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} runs", page.runs().len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> PageStream<C::Item> {
        let (parent, limit, start) = match self.validate() {
            Ok(valid) => valid,
            Err(error) => return PageStream::failed(error),
        };
        let (client, filter) = (self.client, self.filter);
        let fetch: FetchPage<C::Item> = Arc::new(move |position: Position| {
            Box::pin(C::fetch(sealed::Fetch {
                client: &client,
                parent: &parent,
                filter: filter.as_ref(),
                limit,
                position: &position,
            }))
        });
        PageStream::new(fetch, start, self.options.max_pages, self.options.prefetch)
    }

    /// Every item from the starting position, lazily, one request per page:
    /// newest first going forward; oldest first going backward (`before`).
    /// See [`ItemStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let all: Vec<_> = client.list_automation_runs("onboarding").stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> ItemStream<C::Item> {
        ItemStream::new(self.pages())
    }
}
