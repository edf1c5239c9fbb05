//! What a poll asks the server for, and what the answer came to.

use crate::error::Error;
use resend_workflows::AutomationRunStep;
use resend_workflows::Cursor;
use resend_workflows::{Page, Position};

/// A request the poll needs sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A page of the list, newest first, after a run (`None`: the top).
    Top { after: Option<Cursor> },
    /// A page of the runs newer than a run (a burst, read back up).
    Newer { before: Cursor },
    /// A page of the runs running now, newest first.
    Running { after: Option<Cursor> },
    /// A page of the runs in a final status ([`TERMINAL`](super::TERMINAL)), newest first.
    Terminal { after: Option<Cursor> },
    /// One run, with its steps when it has them.
    Retrieve { id: String },
}

/// The listing a traversal reads: its pages follow one another only
/// within the same listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    All,
    Running,
    Terminal,
}

impl Ask {
    /// The listing and the page a list request asks for; `None` for a
    /// retrieve.
    pub(crate) fn listing(&self) -> Option<(Listing, Position)> {
        let after = |c: &Option<Cursor>| c.clone().map_or(Position::Start, Position::After);
        match self {
            Self::Top { after: c } => Some((Listing::All, after(c))),
            Self::Newer { before } => Some((Listing::All, Position::Before(before.clone()))),
            Self::Running { after: c } => Some((Listing::Running, after(c))),
            Self::Terminal { after: c } => Some((Listing::Terminal, after(c))),
            Self::Retrieve { .. } => None,
        }
    }
}

/// What a request came to.
#[derive(Debug)]
pub enum Answer<R> {
    /// A page, its items as the server ordered them (newest first).
    Page(Page<R>),
    /// A run, as a list shows it, and its steps when it has them.
    Run {
        run: R,
        steps: Option<Vec<AutomationRunStep>>,
    },
    Failed(Error),
}
