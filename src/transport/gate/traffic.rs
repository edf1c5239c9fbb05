//! What the team's other calls spend of its rate limit, as one client sees
//! it: Resend's `ratelimit-remaining` counts the whole team (the emails it
//! sends included) on every answer, so what the window used, less this
//! client's own requests in it, is what the others spent. Synchronous,
//! time passed in, table-tested (`tests.rs`).
//!
//! A window starts with a request and lasts its length: this client's
//! requests are counted in the window it believes current, which a new
//! one replaces when an answer says more is left than the last did, or
//! when a request is sent a window's length after the first counted. The
//! others' rate is the **peak** seen, held for [`HOLD`] and then halved
//! every [`HALF_LIFE`]: sends burst, and a watch that forgot a burst as
//! soon as it ended would take the room the next burst needs.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use tokio::time::Instant;

/// How long the others' peak is held before it decays.
pub(crate) const HOLD: Duration = Duration::from_secs(120);
/// How fast the peak decays once held for [`HOLD`]: halved in this time.
pub(crate) const HALF_LIFE: Duration = Duration::from_secs(60);

/// One answer's word on the team's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// When this client sent the request answered.
    pub(crate) sent: Instant,
    /// The team's limit a window.
    pub(crate) limit: u64,
    /// What the window had left once this request was counted.
    pub(crate) remaining: u64,
    /// The window's length.
    pub(crate) window: Duration,
}

/// The window this client believes current.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the first of this client's requests counted in it was sent.
    first: Instant,
    /// This client's requests counted in it.
    ours: u64,
    /// What the last answer in it said was left.
    remaining: u64,
}

/// The estimate of what the team's other calls spend.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    window: Option<Window>,
    /// The others' peak, in requests a second, and when it was seen.
    peak: Option<(f64, Instant)>,
}

impl Traffic {
    /// Heeds an answer: counts the request in its window and what the
    /// others spent of it so far.
    pub(crate) fn heed(&mut self, seen: Seen) {
        let same = self.window.filter(|w| {
            seen.remaining < w.remaining && seen.sent < crate::instant::later(w.first, seen.window)
        });
        let window = match same {
            Some(w) => Window {
                ours: w.ours.saturating_add(1),
                remaining: seen.remaining,
                ..w
            },
            None => Window {
                first: seen.sent,
                ours: 1,
                remaining: seen.remaining,
            },
        };
        self.window = Some(window);
        let used = seen.limit.saturating_sub(seen.remaining);
        let others = used.saturating_sub(window.ours);
        let secs = seen.window.as_secs_f64();
        if secs <= 0.0 {
            return;
        }
        // A handful a window: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let rate = others as f64 / secs;
        if rate >= self.others(seen.sent) {
            self.peak = Some((rate, seen.sent));
        }
    }

    /// What the others spend, in requests a second, as of `now`: the peak
    /// seen, held, then decaying.
    pub(crate) fn others(&self, now: Instant) -> f64 {
        let Some((peak, at)) = self.peak else {
            return 0.0;
        };
        let past = now.saturating_duration_since(at).saturating_sub(HOLD);
        peak * 0.5f64.powf(past.as_secs_f64() / HALF_LIFE.as_secs_f64())
    }
}

#[cfg(test)]
mod tests;
