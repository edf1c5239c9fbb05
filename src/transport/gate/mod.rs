//! The rate gate a client and its clones share: after a response says
//! nothing is left in the window (`ratelimit-remaining: 0`, or no more
//! than the requests still unanswered: [`Outstanding`]) or asks for a wait
//! (`retry-after`), the next request waits for it instead of earning a
//! 429; once a window was used up, requests are spaced at the limit it
//! named over its window (named by the answer, else one second when its
//! reset is at most that); optionally, a client-side limit spaces them too.
//!
//! A call may also belong to a lane ([`Lane`]): a named part of the
//! team's limit with a budget of its own, whose turn is taken here, first,
//! so every wait of a request has this one home. The gate reads what the
//! team's other calls spend from every answer ([`Traffic`]), for the lanes
//! that give way to them.
//!
//! Every wait is bounded by the caller's deadline: a request whose turn
//! would come after it is refused at once ([`TooLate`]), never slept on,
//! and the refusal says whether the rate limit or a lane held it back.
//! Waiting takes nothing a dropped waiter could keep: the client-side
//! limit's slots are handed out first come, first served, to waiters whose
//! turn has come, so a waiter that is dropped (a timeout around the call)
//! leaves the queue and the next one moves up. Instants are only ever
//! moved forward by [`later`], which cannot overflow.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

pub(crate) use crate::instant::later;

use super::headers::Hints;
use crate::rate_limit::RateLimit;

mod budget;
mod lane;
mod outstanding;
mod traffic;

pub use budget::{Budget, DEFAULT_BUDGET, TeamLimit};
pub use lane::{Lane, LaneTicket, LaneWaiting, Priority, SharedTurns};
pub(crate) use outstanding::Outstanding;
use traffic::{Seen, Traffic};

/// The earliest a request could start was after the caller's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLate {
    /// When the request could start at the earliest.
    pub(crate) until: Instant,
    /// Whether the call's lane held it back (else the rate limit did).
    pub(crate) by_lane: bool,
}

/// The window of a team's limit an answer speaks of: one second unless it
/// names another.
fn window_of(rate_limit: &RateLimit) -> Duration {
    rate_limit.window.unwrap_or(SECOND)
}

#[derive(Debug)]
pub(crate) struct RateGate {
    /// The time between requests for a client-side limit, if any.
    interval: Option<Duration>,
    /// The longest one server-named wait holds the client back.
    max_hold: Duration,
    /// Whether a window was ever blocked (else `wait_turn` skips the lock).
    blocked: AtomicBool,
    state: Mutex<GateState>,
    /// Waiters for the client-side limit, first come first served.
    queue: tokio::sync::Mutex<()>,
    /// Requests sent and not answered yet: see [`Outstanding`].
    pub(crate) outstanding: Outstanding,
    /// What the team's other calls spend, and the last answer's window
    /// and limit in it.
    traffic: Mutex<(Traffic, Duration, Option<u64>)>,
    /// Notified on every answer heeded, so lanes' turns look again.
    team_changed: Notify,
}

#[derive(Debug, Default)]
struct GateState {
    /// The spacing learned from the server's `ratelimit-limit`, once a
    /// window was used up (see [`RateGate::window_closed`]).
    learned: Option<Duration>,
    /// No request starts before this (the server's window reset).
    blocked_until: Option<Instant>,
    /// The earliest start of the next request under the client-side limit.
    next_slot: Option<Instant>,
    /// Waiters for the client-side limit, the one whose turn it is included.
    queued: u32,
}

/// The window assumed when an answer names none and its reset is at most
/// this: Resend's windows last a second, and its reset reads 1 throughout.
const SECOND: Duration = Duration::from_secs(1);

/// The spacing for `limit` requests a `window`, 2% wider, at most
/// [`MAX_SERVER_WAIT`](crate::rate_limit::MAX_SERVER_WAIT).
fn pace_for(limit: u64, window: Duration) -> Option<Duration> {
    let max = crate::rate_limit::MAX_SERVER_WAIT;
    // 31 days times 51 is far from overflowing; a limit of 0 divides by
    // zero: `checked_div` says None.
    let wider = window.min(max).checked_mul(51)?.checked_div(50)?;
    Some(wider.checked_div(u32::try_from(limit).ok()?)?.min(max))
}

/// Counts a waiter in the queue while it lives.
struct Queued<'a>(&'a RateGate);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.queued = state.queued.saturating_sub(1);
    }
}

impl RateGate {
    /// A gate spacing requests `interval` apart, or only following the
    /// server's windows; no wait a server names holds it longer than
    /// `max_hold`.
    pub(crate) fn new(interval: Option<Duration>, max_hold: Duration) -> Self {
        Self {
            interval,
            max_hold,
            blocked: AtomicBool::new(false),
            state: Mutex::default(),
            queue: tokio::sync::Mutex::new(()),
            outstanding: Outstanding::default(),
            traffic: Mutex::new((Traffic::default(), SECOND, None)),
            team_changed: Notify::new(),
        }
    }

    /// What the gate knows of the team's limit and traffic at `now`.
    pub(crate) fn team(&self, now: Instant) -> TeamLimit {
        let traffic = self.traffic.lock().unwrap_or_else(|e| e.into_inner());
        TeamLimit {
            limit: traffic.2,
            window: traffic.1,
            others: traffic.0.others(now),
            measured: traffic.0.measured(now),
        }
    }

    /// The longest one server-named wait holds the client back.
    pub(crate) fn max_hold(&self) -> Duration {
        self.max_hold
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The spacing in force: the configured one or the learned one,
    /// whichever is wider.
    fn interval(&self, state: &GateState) -> Option<Duration> {
        match (self.interval, state.learned) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The pace for `limit` requests a `window`, held to `max_hold`.
    fn pace(&self, limit: u64, window: Duration) -> Option<Duration> {
        pace_for(limit, window).map(|pace| pace.min(self.max_hold))
    }

    /// A response said the window is used up: wait for its reset. When
    /// the limit is known and so is the window (the one the answer names;
    /// else a second, Resend's, when the reset is a second at most), the
    /// gate also starts spacing requests 2% wider than `window / limit`,
    /// so no later window is overrun, and from then on a used-up window no
    /// longer costs a wait for its reset, which the header rounds up to
    /// whole seconds.
    pub(crate) fn window_closed(
        &self,
        reset: Duration,
        limit: Option<u64>,
        window: Option<Duration>,
    ) {
        let window = window.or((reset <= SECOND).then_some(SECOND));
        let pace = limit
            .zip(window)
            .and_then(|(limit, window)| self.pace(limit, window));
        match pace {
            Some(pace) => {
                let first = self.lock().learned.replace(pace).is_none();
                if first {
                    self.block_for(reset);
                }
            }
            None => self.block_for(reset),
        }
    }

    /// Learns the team's limit from a 429 that said it, over the window it
    /// named, else a second (its `retry-after` is waited for as any
    /// server-named wait).
    pub(crate) fn learn_limit(&self, limit: u64, window: Option<Duration>) {
        if let Some(pace) = self.pace(limit, window.unwrap_or(SECOND)) {
            self.blocked.store(true, Ordering::Release);
            self.lock().learned = Some(pace);
        }
    }

    /// Once pacing at a learned limit, follows every limit an answer
    /// names over its `window`, up as well as down: a limit read once in
    /// error never slows the client for good.
    fn follow_limit(&self, limit: u64, window: Duration) {
        if let Some(pace) = self.pace(limit, window) {
            let mut state = self.lock();
            if state.learned.is_some() {
                state.learned = Some(pace);
            }
        }
    }

    /// The earliest a request could start if it asked now, behind every
    /// waiter already queued.
    pub(crate) fn earliest_start(&self) -> Instant {
        let now = Instant::now();
        let state = self.lock();
        let mut start = now.max(state.blocked_until.unwrap_or(now));
        if let Some(interval) = self.interval(&state) {
            start = start.max(state.next_slot.unwrap_or(now));
            let ahead = interval.saturating_mul(state.queued);
            start = later(start, ahead);
        }
        start
    }

    /// Waits until a request may start, in `lane` if any (its turn first,
    /// then the gate's), and returns how long it waited; or, when that
    /// would be after `deadline`, refuses: at once when the gate alone
    /// would pass it, at the deadline when the lane's turn has not come.
    pub(crate) async fn wait_turn(
        &self,
        deadline: Option<Instant>,
        lane: Option<&LaneTicket>,
    ) -> Result<Duration, TooLate> {
        let entered = Instant::now();
        // A lease keeper renews while the call waits (turn and window).
        let _waiting = lane.map(LaneTicket::wait);
        if let Some(ticket) = lane {
            let start = self.earliest_start();
            if deadline.is_some_and(|d| start > d) {
                return Err(TooLate {
                    until: start,
                    by_lane: false,
                });
            }
            let priority = ticket.priority.load(Ordering::Relaxed);
            let turn = ticket.lane.turn_heeding(
                priority,
                || self.team(Instant::now()),
                &self.team_changed,
            );
            match deadline {
                None => turn.await,
                Some(d) => tokio::select! {
                    () = turn => {}
                    () = tokio::time::sleep_until(d) => {
                        let team = self.team(Instant::now());
                        let until = ticket.lane.next_turn(&team).map_or(d, |n| n.max(d));
                        return Err(TooLate { until, by_lane: true });
                    }
                },
            }
        }
        let waited = self.wait_gate(deadline).await?;
        Ok(waited.max(entered.elapsed()))
    }

    /// The gate's own wait: see [`wait_turn`](Self::wait_turn).
    async fn wait_gate(&self, deadline: Option<Instant>) -> Result<Duration, TooLate> {
        if self.interval.is_none() && !self.blocked.load(Ordering::Acquire) {
            // Nothing has ever held this client back: no lock, no clock.
            return Ok(Duration::ZERO);
        }
        let entered = Instant::now();
        let past = |t: Instant| deadline.is_some_and(|d| t > d);
        let interval = {
            let state = self.lock();
            self.interval(&state)
        };
        let Some(interval) = interval else {
            // Only the server's windows: wait for the latest to end (one
            // may be extended while waiting).
            loop {
                let now = Instant::now();
                let Some(until) = self.lock().blocked_until.filter(|&t| t > now) else {
                    return Ok(now.saturating_duration_since(entered));
                };
                if past(until) {
                    return Err(TooLate {
                        until,
                        by_lane: false,
                    });
                }
                tokio::time::sleep_until(until).await;
            }
        };
        let projected = self.earliest_start();
        if past(projected) {
            return Err(TooLate {
                until: projected,
                by_lane: false,
            });
        }
        {
            let mut state = self.lock();
            state.queued = state.queued.saturating_add(1);
        }
        let _queued = Queued(self);
        let _turn = self.queue.lock().await;
        loop {
            let now = Instant::now();
            let start = {
                let mut state = self.lock();
                let start = now
                    .max(state.blocked_until.unwrap_or(now))
                    .max(state.next_slot.unwrap_or(now));
                if start <= now {
                    let interval = self.interval(&state).unwrap_or(interval);
                    state.next_slot = Some(later(now, interval));
                    return Ok(now.saturating_duration_since(entered));
                }
                start
            };
            if past(start) {
                return Err(TooLate {
                    until: start,
                    by_lane: false,
                });
            }
            tokio::time::sleep_until(start).await;
        }
    }

    /// Heeds any answer to a request sent at `sent`, beside `beside` other
    /// requests of this client then unanswered: when what its window
    /// has left would all go to the `others` requests still unanswered
    /// (its `remaining` does not count them yet), the window is used up
    /// for the next request, of every clone. What it says the team spent
    /// feeds the estimate of the team's other calls. Its limit is the
    /// team's (a rate a second) when its window is a second or unnamed.
    pub(crate) fn heed_answer(&self, hints: &Hints, others: u32, sent: Instant, beside: u32) {
        if let Some(
            rate_limit @ RateLimit {
                limit: Some(limit),
                remaining: Some(remaining),
                ..
            },
        ) = hints.rate_limit
        {
            let window = window_of(&rate_limit);
            let mut traffic = self.traffic.lock().unwrap_or_else(|e| e.into_inner());
            traffic.1 = window;
            traffic.2 = Some(limit);
            traffic.0.heed(Seen {
                sent,
                beside,
                limit,
                remaining,
                window,
            });
        }
        self.team_changed.notify_waiters();
        let limit = hints.rate_limit.and_then(|r| r.limit);
        let named = hints.rate_limit.and_then(|r| r.window);
        if let Some(reset) = hints.window_used_up_for(others) {
            self.window_closed(reset, limit, named);
        } else if let Some(limit) = limit {
            // Unnamed, the window is a second if the reset is one at most.
            let reset = hints.rate_limit.and_then(|r| r.reset);
            let window = named.or(reset.is_none_or(|r| r <= SECOND).then_some(SECOND));
            if let Some(window) = window {
                self.follow_limit(limit, window);
            }
        }
    }

    /// Heeds an error answer: its `retry-after` holds every clone; a 429
    /// for the rate (not a quota) that names the limit starts the pacing
    /// at it.
    pub(crate) fn heed_refusal(&self, hints: &Hints, refused_for_rate: bool) {
        if let Some(wait) = hints.retry_after {
            self.block_for(wait);
        }
        if refused_for_rate && let Some(limit) = hints.rate_limit.and_then(|r| r.limit) {
            self.learn_limit(limit, hints.rate_limit.and_then(|r| r.window));
        }
    }

    /// Holds every request of the client back for `wait` from now (a wait
    /// a server named), or for the longest hold allowed.
    pub(crate) fn block_for(&self, wait: Duration) {
        self.blocked.store(true, Ordering::Release);
        let until = later(Instant::now(), wait.min(self.max_hold));
        let mut state = self.lock();
        state.blocked_until = Some(state.blocked_until.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
mod tests;
