//! What the team's other calls spend of its rate limit, as one client sees
//! it: Resend's `ratelimit-remaining` counts the whole team (the emails it
//! sends included) on every answer, so what the window used, less this
//! client's own requests in it, is what the others spent. Synchronous,
//! time passed in, table-tested (`tests.rs`).
//!
//! A window starts with a request and lasts its length: this client's
//! requests are counted in the window it believes current, which a new
//! one replaces when an answer says more is left than the last did (of a
//! request sent with no other of ours outstanding, whose answers may come
//! back in any order), or when a request is sent a window's length after
//! the first counted.
//!
//! Two answers in one window tell the others' **rate** between them (what
//! they spent in between, over the time between): that raises the
//! estimate at once, so the lane steps back within the window a burst
//! starts in, and lowers it at once when under half of it, so the lane
//! comes back as soon as the burst ends; a rate between the two is a
//! burst counted over a fraction of a window (3 or 4 of 9 a second in
//! 400 ms), and holds an estimate from a rate anew.
//!
//! One answer alone tells only what the others spent of the window so
//! far, at a point of it no answer tells: a floor, on average half their
//! rate. A lane that sends little sees only those, and needs little, so
//! it **guesses** twice the floor (at most the limit): at or above the
//! estimate the guess raises it; at least half of it holds it anew. It
//! did not before, and a lane at one request a second kept sending into
//! a burst of 9 on a team of 10 until a floor of 8 came, each request
//! there a send refused. A lower guess changes nothing while the estimate
//! is fresh (early in a busy window and late in a quiet one look alike,
//! and the next answer tells a rate); after a silence of [`HOLD`], it is
//! a **probe's**, and decides: a floor of at least half the estimate
//! holds it anew, a lower one lowers it to the guess, unmeasured.
//!
//! An estimate is held until an answer lowers it: time alone never
//! brings a lane back into the windows the others fill (it did, when the
//! estimate decayed: 6 to 8 s into a 10 s burst, at a rising rate, each
//! return a send refused). A lane held back still sends its probes, one
//! of which tells when the burst is over. One neither confirmed nor
//! lowered for [`STALE`] tells nothing any more. Until a first rate is
//! seen, and for [`HOLD`] after the estimate was last set, it is
//! [`measured`](Traffic::measured) not: a lane that gives way then spends
//! little, and twice a window, so that its first answers tell a rate.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::time::Duration;

use tokio::time::Instant;

/// How long an estimate counts as a measure of the others' spending now.
pub(crate) const HOLD: Duration = Duration::from_secs(5);
/// How long an estimate holds when no answer confirms or lowers it:
/// three probes of a lane held back (one in ten seconds).
pub(crate) const STALE: Duration = Duration::from_secs(30);
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

/// The others' rate, and where it came from.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    /// In requests a second.
    rate: f64,
    /// When it was set or held anew.
    at: Instant,
    /// Whether two answers in a window told it (else a single answer's
    /// guess).
    from_rate: bool,
}

/// The estimate of what the team's other calls spend.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    window: Option<Window>,
    /// The others' rate, in requests a second.
    estimate: Option<Estimate>,
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
        // With other requests of ours outstanding, answers come back in any
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
        let (floor, limit) = (others as f64 / secs, seen.limit as f64 / secs);
        let span = same.map(|w| seen.sent.saturating_duration_since(w.first));
        let now = self.others(seen.sent);
        let set = |rate: f64, from_rate: bool| {
            Some(Estimate {
                rate,
                at: seen.sent,
                from_rate,
            })
        };
        match (same, span) {
            (Some(w), Some(span)) if span >= RATE_SPAN => {
                #[allow(clippy::cast_precision_loss)]
                let between = others.saturating_sub(w.others_first) as f64;
                let rate = (between / span.as_secs_f64()).max(floor);
                // A rate over a fraction of a window counts a handful of
                // sends (3 or 4 of a burst of 9 a second in 400 ms): one
                // under the last rate, but at least half of it, is that
                // noise, not the burst ending, and holds it anew.
                let held =
                    self.estimate.is_some_and(|e| e.from_rate) && rate < now && rate >= now / 2.0;
                self.estimate = set(if held { now } else { rate }, true);
                self.measured = true;
            }
            _ => {
                let guess = (2.0 * floor).min(limit.max(floor));
                let from_rate = self.estimate.is_some_and(|e| e.from_rate);
                // A probe's (after a silence) holds on its floor, not its
                // guess: the quiet after a burst of 8 a window reads 2 or
                // 3 of it as often as not, and held, the lane sat out
                // another ten seconds of it.
                let probe = !self.fresh(seen.sent);
                let holds = if probe { floor } else { guess };
                if guess >= now {
                    self.estimate = set(guess, false);
                } else if holds >= now / 2.0 {
                    // Still busy: held anew at what it was.
                    self.estimate = set(now, from_rate);
                } else if probe {
                    // Quiet, though not yet a rate.
                    self.estimate = set(guess, false);
                    self.measured = false;
                }
            }
        }
    }

    /// Whether a rate was seen, and the estimate set or held anew since,
    /// within [`HOLD`] of `now`: see the module's docs. A lane silent
    /// longer knows nothing of a burst begun meanwhile.
    pub(crate) fn measured(&self, now: Instant) -> bool {
        self.measured && self.fresh(now)
    }

    /// Whether the estimate was set or held anew within [`HOLD`] of `now`.
    fn fresh(&self, now: Instant) -> bool {
        self.estimate
            .is_some_and(|e| now < crate::instant::later(e.at, HOLD))
    }

    /// What the others spend, in requests a second, as of `now`: the last
    /// rate or floor seen, held until an answer lowers it or for
    /// [`STALE`].
    pub(crate) fn others(&self, now: Instant) -> f64 {
        match self.estimate {
            Some(e) if now < crate::instant::later(e.at, STALE) => e.rate,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests;
