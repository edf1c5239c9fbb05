//! Rate-limit awareness shared by a client and its clones: after a response
//! says nothing is left in the window (`ratelimit-remaining: 0`), or a 429
//! says how long to wait, the next request waits for the reset instead of
//! earning a 429. Optionally, a client-side limit spaces requests evenly.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct RateGate {
    /// Seconds between requests for a client-side limit, if any.
    interval: Option<Duration>,
    /// Whether a window was ever blocked (else `wait_turn` skips the lock).
    blocked: AtomicBool,
    state: Mutex<GateState>,
}

#[derive(Debug, Default)]
struct GateState {
    /// No request starts before this (the server's window reset).
    blocked_until: Option<Instant>,
    /// The next free slot of the client-side limit.
    next_slot: Option<Instant>,
}

impl RateGate {
    pub(crate) fn new(requests_per_second: Option<f64>) -> Self {
        Self {
            interval: requests_per_second
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            blocked: AtomicBool::new(false),
            state: Mutex::default(),
        }
    }

    /// Waits until a request may start; returns how long it waited.
    pub(crate) async fn wait_turn(&self) -> Duration {
        if self.interval.is_none() && !self.blocked.load(Ordering::Acquire) {
            // Nothing has ever held this client back: no lock, no clock.
            return Duration::ZERO;
        }
        let now = Instant::now();
        let start = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let mut start = state.blocked_until.filter(|&t| t > now).unwrap_or(now);
            if let Some(interval) = self.interval {
                start = start.max(state.next_slot.unwrap_or(now));
                state.next_slot = Some(start + interval);
            }
            start
        };
        if start > now {
            tokio::time::sleep_until(start).await;
        }
        start - now
    }

    /// Holds every request of the client back for `wait` from now.
    pub(crate) fn block_for(&self, wait: Duration) {
        self.blocked.store(true, Ordering::Release);
        let until = Instant::now() + wait;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.blocked_until.is_none_or(|t| t < until) {
            state.blocked_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_block_delays_the_next_turn_to_the_second() {
        let gate = RateGate::new(None);
        assert_eq!(gate.wait_turn().await, Duration::ZERO);
        gate.block_for(Duration::from_secs(3));
        let t0 = Instant::now();
        assert_eq!(gate.wait_turn().await, Duration::from_secs(3));
        assert_eq!(t0.elapsed(), Duration::from_secs(3));
        assert_eq!(gate.wait_turn().await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_side_limit_spaces_requests() {
        let gate = std::sync::Arc::new(RateGate::new(Some(4.0)));
        let t0 = Instant::now();
        let turns: Vec<_> = (0..8)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.wait_turn().await;
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in turns {
            at.push(t.await.unwrap() - t0);
        }
        at.sort();
        let expected: Vec<_> = (0..8).map(|i| Duration::from_millis(250 * i)).collect();
        assert_eq!(at, expected);
    }
}
