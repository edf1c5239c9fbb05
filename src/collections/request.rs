//! `ListRequest<C>`: one list request for every collection. The options,
//! their validation, `send`, `pages` and `stream`, and the fetch of a page
//! through the transport, are written once; a [`Collection`] says what it
//! lists and writes the generated operation's builder chain.

use std::fmt::Debug;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{BadRecord, Error, InvalidArgument};
use crate::ids::{Cursor, PageSize};
use crate::pagination::{FetchPage, ItemStream, ListItem, ListOptions, Page, PageStream, Position};
use crate::transport::{Operation, Transport};

pub(crate) mod sealed {
    /// Implemented only by this crate's collections.
    pub trait Sealed {}

    /// Where one page starts and how many items it holds, opaque outside
    /// the crate.
    #[derive(Debug, Clone)]
    pub struct PageQuery {
        pub(crate) limit: crate::ids::PageSize,
        pub(crate) position: crate::pagination::Position,
    }
}

use sealed::PageQuery;

impl PageQuery {
    /// The `limit` to send.
    pub(crate) fn limit(&self) -> NonZeroU32 {
        self.limit.non_zero()
    }

    /// Sets the cursor on a generated request builder: `after` or `before`
    /// (each generated operation has its own builder type, hence the two
    /// setters).
    pub(crate) fn apply<B>(
        &self,
        request: B,
        after: impl FnOnce(B, Cursor) -> B,
        before: impl FnOnce(B, Cursor) -> B,
    ) -> B {
        match &self.position {
            Position::Start => request,
            Position::After(c) => after(request, c.clone()),
            Position::Before(c) => before(request, c.clone()),
        }
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
    type Item: ListItem + Debug + Send + Unpin + DeserializeOwned + 'static;
    /// The filter the API offers on this list ([`std::convert::Infallible`]
    /// where it offers none).
    type Filter: Debug + Clone + Send + Sync + 'static;

    /// A page as the wire has it.
    #[doc(hidden)]
    type List: DeserializeOwned + Send + 'static;

    /// Checks a filter before anything is sent.
    #[doc(hidden)]
    fn check_filter(filter: &Self::Filter) -> Result<(), InvalidArgument>;

    /// The request for one page: the generated operation's builder chain.
    #[doc(hidden)]
    fn list(
        parent: &Self::Parent,
        filter: Option<&Self::Filter>,
        page: PageQuery,
    ) -> Operation<Self::List>;

    /// A page's items, and whether more lie beyond.
    #[doc(hidden)]
    fn items(list: Self::List) -> (Vec<Self::Item>, bool);
}

/// Fetches one page of `C` at `page` through the transport.
fn fetch<C: Collection>(
    transport: &Transport,
    parent: &C::Parent,
    filter: Option<&C::Filter>,
    page: PageQuery,
) -> impl Future<Output = Result<Page<C::Item>, Error>> + Send + 'static {
    let operation = C::list(parent, filter, page.clone());
    let transport = transport.clone();
    async move {
        // The answer's rate limit and the server's clock.
        let (items, bad, has_more, heard) = match transport.call_keeping_body(operation).await {
            Ok(answer) => {
                let (items, has_more) = C::items(answer.body);
                let heard = (answer.rate_limit, answer.server_clock);
                (items, Vec::new(), has_more, heard)
            }
            Err(Error::Decode(mut decode)) => {
                let kept = decode.kept.take();
                let salvaged = kept
                    .as_ref()
                    .and_then(|kept| salvage::<C::Item>(&kept.body));
                match (salvaged, kept) {
                    (Some((items, bad, has_more)), Some(kept)) => {
                        (items, bad, has_more, (kept.rate_limit, kept.server_clock))
                    }
                    _ => return Err(Error::Decode(decode)),
                }
            }
            Err(error) => return Err(error),
        };
        let (rate_limit, server_clock) = heard;
        let mut listed = Page::with_bad(items, bad, has_more, &page.position, rate_limit)?;
        listed.server_clock = server_clock;
        Ok(listed)
    }
}

/// A list's body that does not decode whole, decoded record by record: the
/// records that decode, those that do not, and `has_more`. `None` when the
/// list itself is broken (not an object with `has_more` and a `data`
/// array) or every record decodes: then the page's own decode error
/// stands.
fn salvage<T: DeserializeOwned>(body: &[u8]) -> Option<(Vec<T>, Vec<BadRecord>, bool)> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        has_more: bool,
        #[serde(borrow)]
        data: Vec<&'a serde_json::value::RawValue>,
    }
    let envelope: Envelope<'_> = serde_json::from_slice(body).ok()?;
    let mut items = Vec::with_capacity(envelope.data.len());
    let mut bad = Vec::new();
    for (index, raw) in envelope.data.iter().enumerate() {
        let mut de = serde_json::Deserializer::from_str(raw.get());
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(item) => items.push(item),
            Err(e) => {
                let path = e.path().to_string();
                bad.push(BadRecord::new(index, raw.get(), path, e.into_inner()));
            }
        }
    }
    (!bad.is_empty()).then_some((items, bad, envelope.has_more))
}

/// A list request: one page with [`send`](Self::send), or every page with
/// [`pages`](Self::pages) and [`stream`](Self::stream). Made by the client
/// ([`Client::list_automation_runs`], [`Client::list_automations`],
/// [`Client::list_workflow_runs`]); nothing is sent until then, and an invalid
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
    /// A list request of the collection under `parent` (an automation's
    /// runs, say), for code generic over [`Collection`]s; the client's
    /// own methods (`list_automation_runs`, ...) make the same.
    pub fn of(client: &Client, parent: C::Parent) -> Self {
        Self::new(client, Ok(parent))
    }

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
        let page = PageQuery { limit, position };
        fetch::<C>(&self.client.transport, &parent, self.filter.as_ref(), page).await
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
        let (transport, filter) = (self.client.transport, self.filter);
        let fetch: FetchPage<C::Item> = Arc::new(move |position: Position| {
            let page = PageQuery { limit, position };
            Box::pin(fetch::<C>(&transport, &parent, filter.as_ref(), page))
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
