//! The rate gate a client and its clones share: after a response says
//! nothing is left in the window (`ratelimit-remaining: 0`, or no more
//! than the requests in flight: [`InFlight`]) or asks for a wait
//! (`retry-after`), the next request waits for it instead of earning a
//! 429; once a one-second window was used up, requests are spaced at the
//! limit it named; optionally, a client-side limit spaces them too.
//!
//! Every wait is bounded by the caller's deadline: a request whose turn
//! would come after it is refused at once ([`TooLate`]), never slept on.
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

use tokio::time::Instant;

use crate::in_flight::InFlight;

/// The earliest a request could start was after the caller's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLate {
    /// When the request could start at the earliest.
    pub(crate) until: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct RateGate {
    /// The time between requests for a client-side limit, if any.
    interval: Option<Duration>,
    /// Whether a window was ever blocked (else `wait_turn` skips the lock).
    blocked: AtomicBool,
    state: Mutex<GateState>,
    /// Waiters for the client-side limit, first come first served.
    queue: tokio::sync::Mutex<()>,
    /// Requests sent and not answered yet: see [`InFlight`].
    pub(crate) in_flight: InFlight,
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

/// The spacing for `limit` requests a second, 2% wider.
fn pace_for(limit: u64) -> Option<Duration> {
    // A limit of 0 divides by zero: `checked_div` says None.
    Duration::from_millis(1020).checked_div(u32::try_from(limit).ok()?)
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
    /// server's windows.
    pub(crate) fn new(interval: Option<Duration>) -> Self {
        Self {
            interval,
            ..Self::default()
        }
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

    /// A response said the window is used up: wait for its reset. Resend's
    /// limits are per second; when the window is one (a reset of a second
    /// at most) and the limit is known, the gate also starts spacing
    /// requests 2% wider than one per `1 / limit` s, so no later window is
    /// overrun, and from then on a used-up window no longer costs a wait
    /// for its reset, which the header rounds up to whole seconds.
    pub(crate) fn window_closed(&self, reset: Duration, limit: Option<u64>) {
        let pace = limit
            .filter(|_| reset <= Duration::from_secs(1))
            .and_then(pace_for);
        match pace {
            Some(pace) => {
                let first = {
                    let mut state = self.lock();
                    let first = state.learned.is_none();
                    state.learned = Some(state.learned.map_or(pace, |p| p.max(pace)));
                    first
                };
                if first {
                    self.block_for(reset);
                }
            }
            None => self.block_for(reset),
        }
    }

    /// Learns the team's limit from a 429 that said it (its `retry-after`
    /// is waited for as any server-named wait).
    pub(crate) fn learn_limit(&self, limit: u64) {
        if let Some(pace) = pace_for(limit) {
            self.blocked.store(true, Ordering::Release);
            let mut state = self.lock();
            state.learned = Some(state.learned.map_or(pace, |p| p.max(pace)));
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

    /// Waits until a request may start and returns how long it waited; or,
    /// when that would be after `deadline`, refuses at once.
    pub(crate) async fn wait_turn(&self, deadline: Option<Instant>) -> Result<Duration, TooLate> {
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
                    return Err(TooLate { until });
                }
                tokio::time::sleep_until(until).await;
            }
        };
        let projected = self.earliest_start();
        if past(projected) {
            return Err(TooLate { until: projected });
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
                return Err(TooLate { until: start });
            }
            tokio::time::sleep_until(start).await;
        }
    }

    /// Holds every request of the client back for `wait` from now.
    pub(crate) fn block_for(&self, wait: Duration) {
        self.blocked.store(true, Ordering::Release);
        let until = later(Instant::now(), wait);
        let mut state = self.lock();
        state.blocked_until = Some(state.blocked_until.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // instants of known, small values
mod tests {
    use std::sync::Arc;

    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[tokio::test(start_paused = true)]
    async fn a_block_delays_the_next_turn_to_the_second() {
        let gate = RateGate::new(None);
        assert_eq!(gate.wait_turn(None).await, Ok(Duration::ZERO));
        gate.block_for(S(3));
        let t0 = Instant::now();
        assert_eq!(gate.wait_turn(None).await, Ok(S(3)));
        assert_eq!(t0.elapsed(), S(3));
        assert_eq!(gate.wait_turn(None).await, Ok(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_block_never_shortens_a_longer_one() {
        let gate = RateGate::new(None);
        let t0 = Instant::now();
        gate.block_for(S(5));
        gate.block_for(S(2));
        assert_eq!(gate.earliest_start(), t0 + S(5));
        gate.block_for(S(8));
        assert_eq!(gate.earliest_start(), t0 + S(8));
        assert_eq!(gate.wait_turn(None).await, Ok(S(8)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_is_refused_at_once() {
        let gate = RateGate::new(None);
        let t0 = Instant::now();
        gate.block_for(S(10));
        assert_eq!(
            gate.wait_turn(Some(t0 + S(5))).await,
            Err(TooLate { until: t0 + S(10) })
        );
        assert_eq!(t0.elapsed(), Duration::ZERO, "nothing slept");
        // Ending exactly at the deadline is in time.
        assert_eq!(gate.wait_turn(Some(t0 + S(10))).await, Ok(S(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_block_extended_while_waiting_is_waited_for_or_refused() {
        let gate = Arc::new(RateGate::new(None));
        let t0 = Instant::now();
        gate.block_for(S(2));
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.wait_turn(Some(t0 + S(6))).await }
        });
        tokio::time::sleep(S(1)).await;
        gate.block_for(S(9)); // now until t0 + 10 s
        assert_eq!(waiter.await.unwrap(), Err(TooLate { until: t0 + S(10) }));
        assert_eq!(t0.elapsed(), S(2), "refused when the first wait ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_side_limit_spaces_requests() {
        let gate = Arc::new(RateGate::new(Some(MS(250))));
        let t0 = Instant::now();
        let turns: Vec<_> = (0..8)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.wait_turn(None).await.unwrap();
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in turns {
            at.push(t.await.unwrap() - t0);
        }
        at.sort();
        let expected: Vec<_> = (0..8).map(|i| MS(250 * i)).collect();
        assert_eq!(at, expected);
        assert_eq!(gate.lock().queued, 0, "every waiter left the queue");
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_and_a_block_combine() {
        let gate = RateGate::new(Some(S(1)));
        let t0 = Instant::now();
        assert_eq!(gate.wait_turn(None).await, Ok(Duration::ZERO));
        gate.block_for(S(3));
        assert_eq!(gate.wait_turn(None).await, Ok(S(3)));
        assert_eq!(gate.wait_turn(None).await, Ok(S(1)));
        assert_eq!(t0.elapsed(), S(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_that_would_pass_the_deadline_is_refused_at_once() {
        let gate = Arc::new(RateGate::new(Some(S(1))));
        let t0 = Instant::now();
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.wait_turn(None).await })
            })
            .collect();
        tokio::task::yield_now().await;
        // Three ahead: the turn would come at 3 s.
        assert_eq!(gate.earliest_start(), t0 + S(3));
        assert_eq!(
            gate.wait_turn(Some(t0 + MS(2500))).await,
            Err(TooLate { until: t0 + S(3) })
        );
        assert_eq!(gate.wait_turn(Some(t0 + S(3))).await, Ok(S(3)));
        for w in waiters {
            w.await.unwrap().unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_waiter_gives_its_turn_back() {
        let gate = Arc::new(RateGate::new(Some(S(1))));
        let t0 = Instant::now();
        assert_eq!(gate.wait_turn(None).await, Ok(Duration::ZERO));
        // Ten waiters, each given up after 1.5 s: one gets the 1 s slot.
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    tokio::time::timeout(MS(1500), gate.wait_turn(None))
                        .await
                        .is_ok()
                })
            })
            .collect();
        let mut served = 0;
        for w in waiters {
            served += usize::from(w.await.unwrap());
        }
        assert_eq!((served, t0.elapsed()), (1, MS(1500)));
        assert_eq!(gate.lock().queued, 0);
        // The next request takes the 2 s slot, not the eleventh.
        assert_eq!(gate.wait_turn(None).await, Ok(MS(500)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_used_up_one_second_window_paces_the_rest_at_the_limit() {
        let gate = RateGate::new(None);
        let t0 = Instant::now();
        // The first used-up window is waited for, and the limit learned.
        gate.window_closed(S(1), Some(10));
        assert_eq!(gate.wait_turn(None).await, Ok(S(1)));
        // From then on: 102 ms apart, and a used-up window costs no more.
        assert_eq!(gate.wait_turn(None).await, Ok(MS(102)));
        gate.window_closed(S(1), Some(10));
        assert_eq!(gate.wait_turn(None).await, Ok(MS(102)));
        assert_eq!(t0.elapsed(), MS(1204));
        // A longer window (a quota) is still waited out.
        gate.window_closed(S(30), Some(10));
        assert_eq!(gate.wait_turn(None).await, Ok(S(30)));
        // Without a limit, a used-up window is waited for every time.
        let plain = RateGate::new(None);
        plain.window_closed(S(1), None);
        assert_eq!(plain.wait_turn(None).await, Ok(S(1)));
        plain.window_closed(S(1), None);
        assert_eq!(plain.wait_turn(None).await, Ok(S(1)));
        assert_eq!(pace_for(2), Some(MS(510)));
        assert_eq!(pace_for(0), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_naming_the_limit_starts_the_pacing() {
        let gate = RateGate::new(None);
        gate.learn_limit(4);
        assert_eq!(gate.wait_turn(None).await, Ok(Duration::ZERO));
        assert_eq!(gate.wait_turn(None).await, Ok(MS(255)));
    }

    #[tokio::test(start_paused = true)]
    async fn instants_never_overflow() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > later(now, S(86_400 * 365)));
        assert_eq!(later(now, S(3)), now + S(3));
        let gate = RateGate::new(None);
        gate.block_for(Duration::MAX);
        assert!(gate.wait_turn(Some(now + S(60))).await.is_err());
    }
}
