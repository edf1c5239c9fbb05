//! Arguments rejected before anything is sent.

use std::fmt;

use crate::text::{Shown, truncate_chars};

/// Why an argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// An id or cursor was empty.
    Empty,
    /// An id or cursor was longer than allowed.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The most allowed, in bytes.
        max: usize,
    },
    /// An id or cursor held a character other than ASCII letters, digits, `-`, `_`.
    ForbiddenChar {
        /// The character.
        ch: char,
        /// Its byte offset.
        at: usize,
    },
    /// A number outside its range.
    OutOfRange {
        /// The smallest accepted value.
        min: u32,
        /// The largest accepted value.
        max: u32,
    },
    /// Two parameters that cannot be used together.
    Conflict {
        /// The other parameter.
        with: &'static str,
    },
    /// The generated client refused a request the crate had already
    /// validated: a bug, reported rather than a panic.
    Rejected,
    /// A value that cannot work, and why.
    Unusable {
        /// Why.
        why: &'static str,
    },
}

/// An argument rejected before anything was sent: names the parameter and
/// shows the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArgument {
    parameter: &'static str,
    value: String,
    reason: InvalidReason,
}

/// Longest part of an offending value shown in messages.
const SHOWN_VALUE_CHARS: usize = 80;

impl InvalidArgument {
    /// `parameter` (as its caller names it) refused for `reason`, showing
    /// at most 80 characters of `value`: for a layer on the client (a
    /// builder) that checks its own arguments as the client does.
    pub fn new(parameter: &'static str, value: &str, reason: InvalidReason) -> Self {
        Self {
            parameter,
            value: truncate_chars(value, SHOWN_VALUE_CHARS),
            reason,
        }
    }

    /// The parameter, as named in the API (`workflow_id`, `limit`, `after`...).
    pub fn parameter(&self) -> &'static str {
        self.parameter
    }

    /// The offending value (at most 80 characters of it).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &InvalidReason {
        &self.reason
    }
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (p, v) = (self.parameter, &self.value);
        match &self.reason {
            InvalidReason::Empty => write!(f, "`{p}` is empty"),
            InvalidReason::TooLong { len, max } => write!(
                f,
                "`{p}` is {len} bytes long, more than the {max} allowed: {v:?}"
            ),
            InvalidReason::ForbiddenChar { ch, at } => write!(
                f,
                "`{p}` = {v:?} has {ch:?} at byte {at}; ids are ASCII letters, digits, '-' and '_'"
            ),
            InvalidReason::OutOfRange { min, max } => {
                write!(f, "`{p}` = {v} is outside {min}..={max}")
            }
            InvalidReason::Conflict { with } => {
                write!(f, "`{p}` = {v:?} cannot be used together with `{with}`")
            }
            InvalidReason::Rejected => write!(f, "the generated client refused it: {}", Shown(v)),
            InvalidReason::Unusable { why } => write!(f, "`{p}` = {v}: {why}"),
        }
    }
}

impl std::error::Error for InvalidArgument {}
