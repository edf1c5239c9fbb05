//! Moving an instant forward without ever overflowing: servers name the
//! waits, so no `Instant + Duration` on them may panic.

// Time from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use tokio::time::Instant;

/// `t + d`, or as close to it as an `Instant` can get: never an overflow.
pub(crate) fn later(t: Instant, d: Duration) -> Instant {
    let mut d = d;
    loop {
        if let Some(at) = t.checked_add(d) {
            return at;
        }
        d = d.checked_div(2).unwrap_or_default();
    }
}
