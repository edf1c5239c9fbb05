//! The options every list request has, and their validation.

use super::position::Position;
use crate::error::{Error, InvalidArgument, InvalidReason};
use crate::ids::{Cursor, PageSize, check_id};

/// The options every list request has, as given (validated on use).
#[derive(Debug, Clone, Default)]
pub(crate) struct ListOptions {
    pub(crate) limit: Option<u32>,
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) max_pages: Option<u64>,
    pub(crate) prefetch: bool,
}

impl ListOptions {
    /// Validates the limit, then `after`, `before` and their combination.
    pub(crate) fn validate(&self) -> Result<(PageSize, Position), Error> {
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
                let reason = InvalidReason::Conflict { with: "before" };
                return Err(InvalidArgument::new("after", a, reason).into());
            }
        };
        Ok((limit, position))
    }
}
