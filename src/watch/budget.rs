//! The watch's budget: how many requests a second it may spend of the
//! team's rate limit, which every call of the team shares, the emails it
//! sends included. Each attempt of the watch's requests waits for its turn
//! (evenly spaced, 2% wide of the budget), so the watch spends at most its
//! budget in any window; when a poll needs more, it takes longer, the
//! interval stretches, and the lag says so. Nothing is skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::client::Client;
use crate::instant::later;
use crate::transport::BeforeAttempt;

/// How many requests a second a watch may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Budget {
    /// This share of the team's rate limit, as Resend's answers name it
    /// (`ratelimit-limit`); until one does, of 2 a second, the lowest
    /// limit Resend has documented.
    Share(f64),
    /// This many requests a second.
    PerSecond(f64),
}

/// The default budget: half the team's limit, the other half left for the
/// emails the service sends (and everything else it calls).
pub const DEFAULT_BUDGET: Budget = Budget::Share(0.5);

/// The team limit assumed until an answer names it: the lowest documented.
const ASSUMED_LIMIT: u64 = 2;

impl Budget {
    /// Checks the budget can be spent: a share in (0, 1], a rate between
    /// one an hour and a million a second.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        match *self {
            Self::Share(s) if s > 0.0 && s <= 1.0 => Ok(()),
            Self::Share(_) => Err("a share of the team's limit is above 0 and at most 1"),
            Self::PerSecond(r) if (1.0 / 3600.0..=1e6).contains(&r) => Ok(()),
            Self::PerSecond(_) => Err("a rate is between one an hour and a million a second"),
        }
    }

    /// Requests a second, for a team limit of `limit` (if known).
    pub(crate) fn rate(&self, limit: Option<u64>) -> f64 {
        match *self {
            Self::Share(share) => {
                // A team limit is a handful a second: exact in an f64.
                #[allow(clippy::cast_precision_loss)]
                let limit = limit.unwrap_or(ASSUMED_LIMIT).max(1) as f64;
                share * limit
            }
            Self::PerSecond(rate) => rate,
        }
    }
}

/// Spaces the watch's attempts by its budget, and counts them.
#[derive(Debug)]
pub(crate) struct Pacer {
    budget: Budget,
    /// The client whose gate learns the team's limit.
    client: Client,
    next: std::sync::Mutex<Option<Instant>>,
    spent: AtomicU64,
}

impl Pacer {
    pub(crate) fn new(budget: Budget, client: Client) -> Self {
        Self {
            budget,
            client,
            next: std::sync::Mutex::new(None),
            spent: AtomicU64::new(0),
        }
    }

    /// Attempts sent so far.
    pub(crate) fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// The time between two attempts: 2% wider than the budget's rate.
    fn spacing(&self) -> Duration {
        let rate = self.budget.rate(self.client.team_limit());
        Duration::try_from_secs_f64(1.02 / rate).unwrap_or(Duration::from_secs(3600))
    }

    /// Takes the next turn: when it comes, and the one after is set.
    fn turn(&self) -> Instant {
        let now = Instant::now();
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let at = next.map_or(now, |n| n.max(now));
        *next = Some(later(at, self.spacing()));
        at
    }
}

impl BeforeAttempt for Pacer {
    fn before_attempt(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let at = self.turn();
            tokio::time::sleep_until(at).await;
            self.spent.fetch_add(1, Ordering::Relaxed);
        })
    }
}

/// Two hooks, one after the other: the lease renewed when due, then the
/// budget's turn.
#[derive(Debug)]
pub(crate) struct Both(
    pub(crate) Arc<dyn BeforeAttempt>,
    pub(crate) Arc<dyn BeforeAttempt>,
);

impl BeforeAttempt for Both {
    fn before_attempt(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.0.before_attempt().await;
            self.1.before_attempt().await;
        })
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // small, known values
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_a_rate_of_the_team_limit_or_its_own() {
        assert_eq!(Budget::Share(0.5).rate(Some(10)), 5.0);
        assert_eq!(Budget::Share(0.5).rate(None), 1.0, "2 a second assumed");
        assert_eq!(Budget::Share(0.25).rate(Some(0)), 0.25, "a limit of 0 is 1");
        assert_eq!(Budget::PerSecond(3.0).rate(Some(10)), 3.0);
        for ok in [
            Budget::Share(1.0),
            Budget::Share(0.01),
            Budget::PerSecond(1.0 / 3600.0),
        ] {
            assert!(ok.check().is_ok(), "{ok:?}");
        }
        for bad in [
            Budget::Share(0.0),
            Budget::Share(1.5),
            Budget::Share(f64::NAN),
            Budget::PerSecond(0.0),
            Budget::PerSecond(f64::INFINITY),
            Budget::PerSecond(-1.0),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_spaced_by_the_budget_and_counted() {
        let client = Client::builder()
            .api_key("re_x")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let pacer = Pacer::new(Budget::PerSecond(2.0), client);
        let t0 = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            pacer.before_attempt().await;
            at.push(t0.elapsed());
        }
        let ms = |n| Duration::from_millis(n);
        assert_eq!(at, [ms(0), ms(510), ms(1020), ms(1530), ms(2040)]);
        assert_eq!(pacer.spent(), 5);
        // After a pause, the next turn is at once, not a burst of turns.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let t1 = Instant::now();
        pacer.before_attempt().await;
        pacer.before_attempt().await;
        assert_eq!(t1.elapsed(), ms(510));
    }
}
