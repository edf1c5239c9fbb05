//! The list request builder, its validation, and `Page`.

use std::sync::Arc;

use crate::call;
use crate::client::Client;
use crate::error::{Error, InvalidArgument, InvalidReason};
use crate::generated::types::WorkflowRun;
use crate::ids::{Cursor, PageSize, WorkflowId, check_id};
use crate::page::{Page, page_from_server};
use crate::paginate::{FetchPage, PageStream, RunStream};

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

/// A request for one page (or, with `pages()`/`stream()`, all pages) of a
/// workflow's runs. Made by [`Client::list_runs`]; nothing is validated or
/// sent until [`send`](Self::send).
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until sent"]
pub struct ListRuns {
    pub(crate) client: Client,
    workflow_id: String,
    limit: Option<u32>,
    after: Option<String>,
    before: Option<String>,
    max_pages: Option<u64>,
}

/// The validated form of a [`ListRuns`].
#[derive(Debug, Clone)]
pub(crate) struct ListParams {
    pub(crate) workflow_id: WorkflowId,
    pub(crate) limit: PageSize,
    pub(crate) position: Position,
}

impl Client {
    /// Lists a workflow's runs, newest first. `workflow_id` is any string
    /// form of the id (`&str`, `String`, [`WorkflowId`]; a `uuid::Uuid` via
    /// `to_string()`); it is validated when the request is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let page = client.list_runs("wf_1").limit(10).send().await?;
    /// if let Some(next) = page.next_cursor() {
    ///     let older = client.list_runs("wf_1").limit(10).after(next).send().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_runs(&self, workflow_id: impl AsRef<str>) -> ListRuns {
        ListRuns {
            client: self.clone(),
            workflow_id: workflow_id.as_ref().to_owned(),
            limit: None,
            after: None,
            before: None,
            max_pages: None,
        }
    }
}

impl ListRuns {
    /// Runs per page, 1 to 100 (default 100). Always sent explicitly: the
    /// documentation disagrees on the server's default.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Start after this run: the page holds older runs, the run excluded.
    /// Cannot be combined with [`before`](Self::before).
    pub fn after(mut self, cursor: impl AsRef<str>) -> Self {
        self.after = Some(cursor.as_ref().to_owned());
        self
    }

    /// Start before this run: the page holds newer runs, the run excluded.
    /// Cannot be combined with [`after`](Self::after).
    pub fn before(mut self, cursor: impl AsRef<str>) -> Self {
        self.before = Some(cursor.as_ref().to_owned());
        self
    }

    /// Caps a traversal ([`pages`](Self::pages), [`stream`](Self::stream))
    /// at `max` pages: reaching it with more runs left ends the stream with
    /// a [`PaginationErrorKind::MaxPagesReached`] error, never a silent stop.
    /// No cap by default.
    pub fn max_pages(mut self, max: u64) -> Self {
        self.max_pages = Some(max);
        self
    }

    /// Every page from the starting position, lazily, one request per page.
    /// Forward pages (no cursor, or `after`) go from newest to oldest;
    /// backward pages (`before`) go towards the newest run and each is
    /// reversed, oldest first. See [`PageStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut pages = client.list_runs("wf_1").pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} runs", page.runs().len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> PageStream {
        let params = match self.params() {
            Ok(params) => params,
            Err(error) => return PageStream::failed(error),
        };
        let (client, workflow_id, limit) = (self.client, params.workflow_id, params.limit);
        let fetch: FetchPage<WorkflowRun> = Arc::new(move |position: Position| {
            let (client, workflow_id) = (client.clone(), workflow_id.clone());
            Box::pin(async move { fetch_page(&client, &workflow_id, limit, &position).await })
        });
        PageStream::new(fetch, params.position, self.max_pages)
    }

    /// Every run from the starting position, lazily, one request per page:
    /// newest first going forward; oldest first going backward (`before`).
    /// See [`RunStream`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let all: Vec<_> = client.list_runs("wf_1").stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(self) -> RunStream {
        RunStream::new(self.pages())
    }

    /// Validates every argument, in the order workflow id, limit, `after`,
    /// `before`, then their combination.
    pub(crate) fn params(&self) -> Result<ListParams, Error> {
        let workflow_id = WorkflowId::parse_for("workflow_id", self.workflow_id.as_str())?;
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
                return Err(InvalidArgument::new(
                    "after",
                    a,
                    InvalidReason::Conflict { with: "before" },
                )
                .into());
            }
        };
        Ok(ListParams {
            workflow_id,
            limit,
            position,
        })
    }

    /// Sends the request and returns one page, exactly as Resend ordered it
    /// (newest first, in both directions).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] before sending for a bad id, cursor or
    /// limit, or `after` with `before`; otherwise any error of the request.
    pub async fn send(self) -> Result<Page, Error> {
        let params = self.params()?;
        fetch_page(
            &self.client,
            &params.workflow_id,
            params.limit,
            &params.position,
        )
        .await
    }
}

/// Fetches one page of a workflow's runs.
pub(crate) async fn fetch_page(
    client: &Client,
    workflow_id: &WorkflowId,
    limit: PageSize,
    position: &Position,
) -> Result<Page, Error> {
    let mut request = client
        .api
        .list_workflow_runs()
        .workflow_id(workflow_id.clone())
        .limit(limit.non_zero());
    request = match position {
        Position::Start => request,
        Position::After(c) => request.after(c.clone()),
        Position::Before(c) => request.before(c.clone()),
    };
    let response = call::run(request.send()).await?;
    let headers = response.headers().clone();
    let list = response.into_inner();
    page_from_server(list.data, list.has_more, position, &headers)
}
