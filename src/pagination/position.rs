//! Where a page starts and which way a traversal goes.

use crate::ids::Cursor;

/// Which way a traversal goes through the newest-first list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From newer to older items: no cursor, or `after(cursor)`.
    Forward,
    /// From older to newer items: `before(cursor)`.
    Backward,
}

/// Where a page starts: validated, so `after` and `before` cannot both be set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Position {
    /// The top of the list (the newest items).
    Start,
    /// After a cursor: older items (`after`).
    After(Cursor),
    /// Before a cursor: newer items (`before`).
    Before(Cursor),
}

impl Position {
    /// A position going `direction` from `cursor`.
    pub(crate) fn from(direction: Direction, cursor: Cursor) -> Self {
        match direction {
            Direction::Forward => Self::After(cursor),
            Direction::Backward => Self::Before(cursor),
        }
    }

    /// The way a traversal from here goes.
    pub fn direction(&self) -> Direction {
        match self {
            Self::Before(_) => Direction::Backward,
            Self::Start | Self::After(_) => Direction::Forward,
        }
    }

    /// The cursor, if not at the start.
    pub fn cursor(&self) -> Option<&Cursor> {
        match self {
            Self::Start => None,
            Self::After(c) | Self::Before(c) => Some(c),
        }
    }
}
