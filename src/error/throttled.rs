//! A request the client held back: the wait for the rate-limit window, or
//! for its lane's turn, would have passed the call's deadline, so nothing
//! was sent.

use std::fmt;
use std::time::{Duration, SystemTime};

/// The client did not send a request because a wait would end past the
/// call's deadline ([`RetryPolicy::deadline`](crate::RetryPolicy::deadline)):
/// the wait Resend asked for (a used-up rate-limit window, a
/// `retry-after`), the client-side limit, or the turn of the lane the
/// call spends from (a watch's budget); [`held_by`](Self::held_by) says
/// which. Nothing was sent. Retryable later: after
/// [`retry_after`](Self::retry_after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub(crate) until: SystemTime,
    pub(crate) wait: Duration,
    pub(crate) deadline: Duration,
    pub(crate) held_by: HeldBy,
}

/// What held a request back: see [`Throttled::held_by`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeldBy {
    /// The team's rate limit (a used-up window, a `retry-after`, the pace
    /// learned from it) or the client-side limit.
    RateLimit,
    /// The budget of a lane the call spends from (a watch's), whose turn
    /// had not come: the server refused nothing.
    Lane {
        /// The lane's name.
        name: String,
    },
}

impl Throttled {
    /// When requests may be sent again.
    pub fn until(&self) -> SystemTime {
        self.until
    }

    /// How long from the moment of the error until requests may be sent
    /// again.
    pub fn retry_after(&self) -> Duration {
        self.wait
    }

    /// The call's deadline that the wait would have passed.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// What held the request back: the rate limit, or a lane's budget.
    pub fn held_by(&self) -> &HeldBy {
        &self.held_by
    }
}

impl fmt::Display for Throttled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (wait, deadline) = (self.wait.as_secs_f64().ceil(), self.deadline.as_secs_f64());
        match &self.held_by {
            HeldBy::Lane { name } => write!(
                f,
                "not sent: lane '{name}' had no turn of its budget for this request within this \
                 call's deadline of {deadline} s (its next turn in {wait} s or more); the \
                 server refused nothing: give the lane a larger budget or the call a longer \
                 deadline"
            ),
            _ => write!(
                f,
                "not sent: the rate limit holds requests back for {wait} s more, past this \
                 call's deadline of {deadline} s; retry after that"
            ),
        }
    }
}

impl std::error::Error for Throttled {}
