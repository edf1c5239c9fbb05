//! `Page`: one page of runs, with where to go next.

use progenitor_client::ResponseValue;

use crate::error::Error;
use crate::generated::types::{AutomationRun, AutomationRunList, WorkflowRun, WorkflowRunList};
use crate::guard::{PaginationError, PaginationErrorKind};
use crate::ids::Cursor;
use crate::list::{Direction, Position};
use crate::ratelimit::RateLimit;

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A run type that pages and streams can yield: it has an id that serves as
/// the cursor past it. Sealed: implemented by this crate's run types only.
pub trait HasRunId: sealed::Sealed {
    /// The run's id, as the server sent it.
    fn run_id(&self) -> &str;
}

/// A generated list body: its runs and whether more exist.
pub(crate) trait ListBody {
    type Run: HasRunId;
    fn into_parts(self) -> (Vec<Self::Run>, bool);
}

/// Each collection's run and list types, wired to pages once.
macro_rules! run_collections {
    ($($run:ty => $list:ty),* $(,)?) => {$(
        impl sealed::Sealed for $run {}

        impl HasRunId for $run {
            fn run_id(&self) -> &str {
                &self.id
            }
        }

        impl ListBody for $list {
            type Run = $run;

            fn into_parts(self) -> (Vec<$run>, bool) {
                (self.data, self.has_more)
            }
        }
    )*};
}

run_collections!(
    WorkflowRun => WorkflowRunList,
    AutomationRun => AutomationRunList,
);

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
pub(crate) fn page_from_response<L: ListBody>(
    response: ResponseValue<L>,
    position: &Position,
) -> Result<Page<L::Run>, Error> {
    let rate_limit = RateLimit::from_headers(response.headers());
    let (runs, has_more) = response.into_inner().into_parts();
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
        rate_limit,
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
