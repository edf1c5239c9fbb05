//! The list request builder, its validation, and `Page`.

use reqwest::header::HeaderMap;

use crate::call;
use crate::client::Client;
use crate::error::{Error, InvalidArgument, InvalidReason};
use crate::generated::types::WorkflowRun;
use crate::guard::{PaginationError, PaginationErrorKind};
use crate::ids::{Cursor, PageSize, WorkflowId, check_id};
use crate::ratelimit::RateLimit;

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

/// Something with an id that can serve as a cursor.
pub(crate) trait HasRunId {
    fn run_id(&self) -> &str;
}

impl HasRunId for WorkflowRun {
    fn run_id(&self) -> &str {
        &self.id
    }
}

/// One page of runs, with where to go next.
#[derive(Debug, Clone)]
pub struct Page<R = WorkflowRun> {
    pub(crate) runs: Vec<R>,
    pub(crate) has_more: bool,
    pub(crate) next_cursor: Option<Cursor>,
    pub(crate) direction: Direction,
    pub(crate) rate_limit: Option<RateLimit>,
}

/// Builds a page from the server's answer. When more runs exist, the
/// boundary run's id becomes the next cursor and must be a valid one: a page
/// whose way on cannot be followed is an error, not a silent end.
pub(crate) fn page_from_server<R: HasRunId>(
    runs: Vec<R>,
    has_more: bool,
    position: &Position,
    headers: &HeaderMap,
) -> Result<Page<R>, Error> {
    let direction = position.direction();
    let boundary = match direction {
        Direction::Forward => runs.last(),
        Direction::Backward => runs.first(),
    };
    let next_cursor = match boundary {
        Some(run) if has_more => Some(Cursor::parse_for("run id", run.run_id()).map_err(|e| {
            match e {
                Error::InvalidArgument(reason) => PaginationError::new(
                    1,
                    position.cursor().map(Cursor::as_str),
                    PaginationErrorKind::InvalidRunId { reason },
                )
                .into(),
                other => other,
            }
        })?),
        _ => None,
    };
    Ok(Page {
        runs,
        has_more,
        next_cursor,
        direction,
        rate_limit: RateLimit::from_headers(headers),
    })
}

impl<R> Page<R> {
    /// The runs, in the order described by the method that produced the page.
    pub fn runs(&self) -> &[R] {
        &self.runs
    }

    /// Takes the runs out of the page.
    pub fn into_runs(self) -> Vec<R> {
        self.runs
    }

    /// Whether more runs exist in the direction of travel.
    pub fn has_more(&self) -> bool {
        self.has_more
    }

    /// The cursor for the next page in the direction of travel: the last
    /// run's id going forward, the first (newest) going backward. `None`
    /// when there is no more.
    pub fn next_cursor(&self) -> Option<&Cursor> {
        self.next_cursor.as_ref()
    }

    /// The direction the page was requested in.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The `ratelimit-*` headers of the response, when present.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }
}
