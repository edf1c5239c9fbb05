//! Every store call a watch makes has a deadline, here and nowhere else:
//! the store it is given is wrapped in [`Bounded`], whose every call ends
//! by its deadline, with an error when the store did not answer in time.
//! So a store that hangs (a database whose address black-holes) gives one
//! error a poll interval, never silence, and the lease is never thought
//! renewed by a renewal that never came back.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::contract::{Lease, Renewal, StateStore};
use super::error::StoreError;
use super::membership::{Members, MembershipStore};
use super::turns::TurnStore;
use crate::state::WatchState;

/// The shortest deadline: a store call given less may fail while the store
/// is merely busy.
const MIN_DEADLINE: Duration = Duration::from_secs(1);

/// The deadline of every store call of a watch polling every
/// `poll_interval` under a lease of `ttl`: the poll interval (at least a
/// second), and never more than half the lease, so that a renewal that
/// never answers is known to have failed while the lease still holds.
pub(crate) fn deadline(poll_interval: Duration, ttl: Duration) -> Duration {
    poll_interval.max(MIN_DEADLINE).min(ttl / 2)
}

/// `store`, each of its calls ending by `deadline`.
pub(crate) fn bound(store: Arc<dyn StateStore>, deadline: Duration) -> Arc<dyn StateStore> {
    Arc::new(Bounded { store, deadline })
}

/// A store whose every call ends by its deadline.
#[derive(Debug)]
struct Bounded {
    store: Arc<dyn StateStore>,
    deadline: Duration,
}

impl Bounded {
    /// `call`'s answer, or an error at the deadline.
    fn within<'a, T: Send + 'a>(
        &self,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> BoxFuture<'a, Result<T, StoreError>> {
        let deadline = self.deadline;
        tokio::time::timeout(deadline, call)
            .map(move |answer| {
                answer.unwrap_or_else(|_| {
                    Err(StoreError::new(format!(
                        "the store did not answer within {} ms",
                        deadline.as_millis()
                    )))
                })
            })
            .boxed()
    }
}

impl StateStore for Bounded {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        self.within(self.store.acquire(key, holder, ttl))
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.within(self.store.renew(key, holder, token, ttl))
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        self.within(self.store.commit(key, holder, token, ttl, state))
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.within(self.store.release(key, holder, token))
    }

    fn membership(&self) -> Option<&dyn MembershipStore> {
        self.store.membership().map(|_| self as _)
    }

    fn turns(&self) -> Option<&dyn TurnStore> {
        self.store.turns().map(|_| self as _)
    }
}

/// What the wrapper serves only when the store does
/// ([`Bounded::membership`], [`Bounded::turns`]): asked all the same, an
/// error.
fn not_served<'a, T: Send + 'a>(contract: &str) -> BoxFuture<'a, Result<T, StoreError>> {
    let error = StoreError::new(format!("the store keeps no {contract}"));
    Box::pin(async move { Err(error) })
}

impl MembershipStore for Bounded {
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Members, StoreError>> {
        match self.store.membership() {
            Some(members) => self.within(members.join(group, holder, watching, ttl)),
            None => not_served("members"),
        }
    }

    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        match self.store.membership() {
            Some(members) => self.within(members.leave(group, holder)),
            None => not_served("members"),
        }
    }
}

impl TurnStore for Bounded {
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> BoxFuture<'a, Result<Duration, StoreError>> {
        match self.store.turns() {
            Some(turns) => self.within(turns.take_turn(key, spacing)),
            None => not_served("turns"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn the_poll_interval_at_least_a_second_at_most_half_the_lease() {
        let (ms, s) = (Duration::from_millis, Duration::from_secs);
        // (poll interval, ttl, deadline)
        let table = [
            (ms(500), s(3), s(1)),
            (ms(100), s(60), s(1)),
            (s(5), s(60), s(5)),
            (s(5), s(6), s(3)),
            (ms(100), ms(1500), ms(750)),
            (s(40), s(60), s(30)),
        ];
        for (interval, ttl, want) in table {
            assert_eq!(deadline(interval, ttl), want, "{interval:?} {ttl:?}");
        }
    }

    /// A store whose every call hangs.
    #[derive(Debug)]
    struct Hangs;

    impl StateStore for Hangs {
        fn acquire<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: Duration,
        ) -> BoxFuture<'a, Result<Lease, StoreError>> {
            futures::future::pending().boxed()
        }

        fn renew<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
            _: Duration,
        ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
            futures::future::pending().boxed()
        }

        fn commit<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
            _: Duration,
            _: &'a WatchState,
        ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
            futures::future::pending().boxed()
        }

        fn release<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            futures::future::pending().boxed()
        }

        fn membership(&self) -> Option<&dyn MembershipStore> {
            Some(self)
        }
    }

    /// Keeps members, and hangs.
    impl MembershipStore for Hangs {
        fn join<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: &'a str,
            _: Duration,
        ) -> BoxFuture<'a, Result<Members, StoreError>> {
            futures::future::pending().boxed()
        }

        fn leave<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            futures::future::pending().boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_that_hangs_fails_at_its_deadline_and_one_that_answers_answers() {
        let d = Duration::from_millis(1500);
        let hangs = bound(Arc::new(Hangs), d);
        let t0 = tokio::time::Instant::now();
        let err = hangs.renew("k", "a", 1, d).await.unwrap_err().to_string();
        assert_eq!(err, "the store did not answer within 1500 ms");
        assert_eq!(t0.elapsed(), d);
        let members = hangs.membership().expect("the store's members");
        assert!(members.join("g", "a", "team", d).await.is_err());
        assert!(members.leave("g", "a").await.is_err());
        assert!(hangs.turns().is_none(), "what the store has not");
        assert_eq!(t0.elapsed(), d * 3);
        let answers = bound(Arc::new(MemoryStore::new()), d);
        assert!(matches!(
            answers.acquire("k", "a", d).await.unwrap(),
            Lease::Held { token: 1, .. }
        ));
        assert_eq!(t0.elapsed(), d * 3);
    }
}
