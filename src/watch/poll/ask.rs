//! What a poll asks the server for, and what the answer came to.

use crate::error::Error;
use crate::ids::Cursor;
use crate::pagination::Page;
use crate::transport::generated::types::AutomationRunStep;

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
