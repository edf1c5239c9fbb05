//! What the team's other calls spend of its rate limit, as one client sees
//! it: Resend's `ratelimit-remaining` counts the whole team (the emails it
//! sends included) on every answer, so what the window used, less this
//! client's own requests in it, is what the others spent. Synchronous,
//! time passed in, table-tested (`tests.rs`).
//!
//! A window starts with a request and lasts its length: this client's
//! requests are counted in the window it believes current, which a new
//! one replaces when an answer says more is left than the last did (of a
//! request sent with no other of ours in flight, whose answers may come
//! back in any order), or when a request is sent a window's length after
//! the first counted.
//!
//! Two answers in one window tell the others' **rate** between them (what
//! they spent in between, over the time between): that raises the
//! estimate at once, so the lane steps back within the window a burst
//! starts in, and lowers it at once when under half of it, so the lane
//! comes back as soon as the burst ends; a rate between the two is a
//! burst counted over a fraction of a window (3 or 4 of 9 a second in
//! 400 ms), and holds the estimate anew. One answer alone tells
//! only what the others spent of the window so far, a floor: it raises
//! the estimate, never lowers it, and keeps it (held anew) while it shows
//! the others spending at least half of it. Otherwise the estimate is
//! held for [`HOLD`] and then halves every [`HALF_LIFE`], so a lane that
//! sends too little to see two answers in a window still comes back.
//! Until a first rate is seen, the estimate is [`measured`](Traffic::measured)
//! not: a lane that gives way then spends little, and twice a window, so
//! that its first answers tell a rate.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use tokio::time::Instant;

/// How long an estimate is held before it decays.
pub(crate) const HOLD: Duration = Duration::from_secs(5);
/// How fast an estimate decays once held for [`HOLD`]: halved in this time.
pub(crate) const HALF_LIFE: Duration = Duration::from_secs(3);
/// The shortest time between two answers that tells a rate.
const RATE_SPAN: Duration = Duration::from_millis(150);

/// One answer's word on the team's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// When this client sent the request answered.
    pub(crate) sent: Instant,
    /// This client's other requests unanswered when it was sent.
    pub(crate) beside: u32,
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
    /// What the others had spent of it at the first answer.
    others_first: u64,
}

/// The estimate of what the team's other calls spend.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    window: Option<Window>,
    /// The others' rate, in requests a second, and when it was set.
    estimate: Option<(f64, Instant)>,
    /// Whether a rate was seen (two answers in one window).
    measured: bool,
}

impl Traffic {
    /// Heeds an answer: counts the request in its window, and what the
    /// others spent.
    pub(crate) fn heed(&mut self, seen: Seen) {
        let secs = seen.window.as_secs_f64();
        if secs <= 0.0 {
            return;
        }
        // With other requests of ours in flight, answers come back in any
        // order, and one with more left than the last may be older: only
        // time then tells a new window.
        let same = self.window.filter(|w| {
            (seen.beside > 0 || seen.remaining < w.remaining)
                && seen.sent < crate::instant::later(w.first, seen.window)
        });
        let used = seen.limit.saturating_sub(seen.remaining);
        let ours = same.map_or(1, |w| w.ours.saturating_add(1));
        let others = used.saturating_sub(ours);
        self.window = Some(Window {
            first: same.map_or(seen.sent, |w| w.first),
            ours,
            remaining: seen.remaining,
            others_first: same.map_or(others, |w| w.others_first),
        });
        // A handful a window: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let floor = others as f64 / secs;
        let span = same.map(|w| seen.sent.saturating_duration_since(w.first));
        match (same, span) {
            (Some(w), Some(span)) if span >= RATE_SPAN => {
                #[allow(clippy::cast_precision_loss)]
                let between = others.saturating_sub(w.others_first) as f64;
                let rate = (between / span.as_secs_f64()).max(floor);
                // A rate over a fraction of a window counts a handful of
                // sends (3 or 4 of a burst of 9 a second in 400 ms): one
                // under the last, but at least half of it, is that noise,
                // not the burst ending, and holds the estimate anew.
                let now = self.others(seen.sent);
                let rate = if rate < now && rate >= now / 2.0 {
                    now
                } else {
                    rate
                };
                self.estimate = Some((rate, seen.sent));
                self.measured = true;
            }
            _ => {
                let now = self.others(seen.sent);
                if floor >= now {
                    self.estimate = Some((floor, seen.sent));
                } else if floor >= now / 2.0 {
                    // Still busy: held anew at what it was.
                    self.estimate = Some((now, seen.sent));
                }
            }
        }
    }

    /// Whether a rate was seen, and the estimate set or held anew since,
    /// within [`HOLD`] of `now`: see the module's docs. A lane silent
    /// longer knows nothing of a burst begun meanwhile.
    pub(crate) fn measured(&self, now: Instant) -> bool {
        self.measured
            && self
                .estimate
                .is_some_and(|(_, at)| now < crate::instant::later(at, HOLD))
    }

    /// What the others spend, in requests a second, as of `now`: the last
    /// rate or floor seen, held, then decaying.
    pub(crate) fn others(&self, now: Instant) -> f64 {
        let Some((rate, at)) = self.estimate else {
            return 0.0;
        };
        let past = now.saturating_duration_since(at).saturating_sub(HOLD);
        rate * 0.5f64.powf(past.as_secs_f64() / HALF_LIFE.as_secs_f64())
    }
}

#[cfg(test)]
mod tests;
