//! A request the client held back: the wait for the rate-limit window
//! would have passed the call's deadline, so nothing was sent.

use std::fmt;
use std::time::{Duration, SystemTime};

/// The client did not send a request because the wait Resend asked for (a
/// used-up rate-limit window, a `retry-after`, or the client-side limit)
/// would end past the call's deadline
/// ([`RetryPolicy::deadline`](crate::RetryPolicy::deadline)). Nothing was
/// sent. Retryable later: after [`retry_after`](Self::retry_after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub(crate) until: SystemTime,
    pub(crate) wait: Duration,
    pub(crate) deadline: Duration,
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
}

impl fmt::Display for Throttled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not sent: the rate limit holds requests back for {} s more, past this call's \
             deadline of {} s; retry after that",
            self.wait.as_secs_f64().ceil(),
            self.deadline.as_secs_f64()
        )
    }
}

impl std::error::Error for Throttled {}
