//! The store's connection to PostgreSQL, made again when it breaks (a
//! server restarted, a failover): the next operation after a failure
//! reconnects, and failed attempts back off, from 100 ms doubling to 5 s,
//! so a database that is down is not hammered.
//!
//! No lock is held while connecting: the calls that find the connection
//! broken wait for one attempt together, each until its own deadline (the
//! watch's, `store/deadline.rs`), so a reconnect that hangs (an address
//! that black-holes) holds up no call past its deadline, and one whose
//! caller gave up goes on for the others. An attempt that has not
//! connected in 5 s is given up for a new one. A query cancelled before it
//! answered (its call's deadline passed, or its watch dropped) leaves its
//! connection for a new one: its answer may never come, and every query
//! after it on that connection would wait behind it.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::instant::later;
use crate::store::error::StoreError;

/// Makes a new connection: the client, its connection driven on a task.
pub(super) type Connector =
    Arc<dyn Fn() -> BoxFuture<'static, Result<tokio_postgres::Client, StoreError>> + Send + Sync>;

/// One attempt to connect, awaited by every call that needs it.
type Attempt = Shared<BoxFuture<'static, Result<Arc<tokio_postgres::Client>, String>>>;

/// The first wait after a failed connection attempt, and the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long an attempt may take before the next call gives it up for a
/// new one.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(5);

/// A connection that is made again after it breaks.
pub(super) struct Connection {
    /// `None` for a client the caller connected: it cannot be remade.
    connect: Option<Connector>,
    /// Never held across an `.await`.
    state: Mutex<State>,
}

struct State {
    client: Option<Arc<tokio_postgres::Client>>,
    /// Attempts in a row that did not connect (the one under way
    /// included), and when the next may be made.
    failures: u32,
    next_try: Option<Instant>,
    /// The attempt under way, and when it began.
    attempt: Option<(Instant, Attempt)>,
}

/// The wait after `failures` attempts in a row that did not connect.
fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
        .min(MAX_BACKOFF)
}

impl Connection {
    /// A connection made by `connect`, now and again after it breaks.
    pub(super) async fn new(connect: Connector) -> Result<Self, StoreError> {
        let client = connect().await?;
        Ok(Self::with(Some(connect), client))
    }

    /// A connection the caller made, used as it is.
    pub(super) fn fixed(client: tokio_postgres::Client) -> Self {
        Self::with(None, client)
    }

    fn with(connect: Option<Connector>, client: tokio_postgres::Client) -> Self {
        Self {
            connect,
            state: Mutex::new(State {
                client: Some(Arc::new(client)),
                failures: 0,
                next_try: None,
                attempt: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A client that is connected, made again if the last one broke.
    pub(super) async fn client(&self) -> Result<Checkout<'_>, StoreError> {
        let attempt = {
            let mut state = self.lock();
            if let Some(client) = state.client.as_ref().filter(|c| !c.is_closed()) {
                return Ok(Checkout {
                    client: Arc::clone(client),
                    connection: self,
                });
            }
            state.client = None;
            let Some(connect) = &self.connect else {
                return Err(StoreError::from(
                    "the connection to PostgreSQL closed, and a client given to \
                     PostgresStore::with_client cannot be made again: use connect or \
                     connect_with to survive a database restart",
                ));
            };
            let now = Instant::now();
            match &state.attempt {
                Some((began, attempt)) if now < later(*began, ATTEMPT_LIMIT) => attempt.clone(),
                _ => {
                    if let Some(next) = state.next_try.filter(|&t| t > now) {
                        return Err(StoreError::new(format!(
                            "PostgreSQL is unreachable ({} failed attempts); the next in {} ms",
                            state.failures,
                            next.saturating_duration_since(now).as_millis()
                        )));
                    }
                    // Counted as failed until it connects: one given up
                    // backs off as one that failed.
                    state.failures = state.failures.saturating_add(1);
                    state.next_try = Some(later(now, backoff(state.failures)));
                    let attempt = connect()
                        .map(|connected| connected.map(Arc::new).map_err(|e| e.to_string()))
                        .boxed()
                        .shared();
                    state.attempt = Some((now, attempt.clone()));
                    attempt
                }
            }
        };
        let connected = attempt.clone().await;
        let mut state = self.lock();
        if state
            .attempt
            .as_ref()
            .is_some_and(|(_, a)| a.ptr_eq(&attempt))
        {
            state.attempt = None;
            if let Ok(client) = &connected {
                state.client = Some(Arc::clone(client));
                state.failures = 0;
                state.next_try = None;
            }
        }
        if connected.is_err() && state.client.is_none() {
            state.next_try = Some(later(Instant::now(), backoff(state.failures)));
        }
        drop(state);
        match connected {
            Ok(client) => Ok(Checkout {
                client,
                connection: self,
            }),
            Err(e) => Err(StoreError::new(e)),
        }
    }

    /// Leaves `client` for a new connection, if it is still the one used.
    fn discard(&self, client: &Arc<tokio_postgres::Client>) {
        let mut state = self.lock();
        if state
            .client
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, client))
        {
            state.client = None;
        }
    }
}

/// A client checked out for one store call.
pub(super) struct Checkout<'a> {
    client: Arc<tokio_postgres::Client>,
    connection: &'a Connection,
}

impl std::ops::Deref for Checkout<'_> {
    type Target = tokio_postgres::Client;

    fn deref(&self) -> &tokio_postgres::Client {
        &self.client
    }
}

impl Checkout<'_> {
    /// The answer to `query`, sent on this client. Cancelled before it
    /// answered (its call's deadline passed), the client is left for a new
    /// connection.
    pub(super) async fn answer<T>(
        &self,
        query: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        let mut pending = Pending {
            checkout: self,
            answered: false,
        };
        let answer = query.await;
        pending.answered = true;
        Ok(answer?)
    }
}

/// A query sent and not yet answered.
struct Pending<'a, 'c> {
    checkout: &'a Checkout<'c>,
    answered: bool,
}

impl Drop for Pending<'_, '_> {
    fn drop(&mut self) {
        if !self.answered {
            self.checkout.connection.discard(&self.checkout.client);
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("reconnects", &self.connect.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn attempts_back_off_from_100_ms_doubling_to_5_s() {
        let ms = |n| Duration::from_millis(n);
        let waits: Vec<Duration> = (1..=9).map(backoff).collect();
        assert_eq!(
            waits,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                ms(3200),
                ms(5000),
                ms(5000),
                ms(5000)
            ]
        );
        assert_eq!(backoff(u32::MAX), ms(5000));
    }

    /// A connection whose client broke, remade by `connect`.
    fn broken(connect: Connector) -> Connection {
        Connection {
            connect: Some(connect),
            state: Mutex::new(State {
                client: None,
                failures: 0,
                next_try: None,
                attempt: None,
            }),
        }
    }

    // Before: a reconnect held the connection's lock while it connected,
    // so one that hung (an address that black-holes) held up every other
    // store call of the replica, without end.
    #[tokio::test(start_paused = true)]
    async fn a_reconnect_holds_up_no_call_past_its_deadline() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let ms = Duration::from_millis;
        // Attempt 2 hangs; the others are refused after 100 ms.
        let attempts = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&attempts);
        let connect: Connector = Arc::new(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n == 2 {
                    futures::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(StoreError::new(format!("refused {n}")))
            }
            .boxed()
        });
        let connection = broken(connect);
        let t0 = Instant::now();
        let error = |r: Result<Checkout<'_>, StoreError>| r.err().map(|e| e.to_string());
        // One call starts an attempt and gives up at its deadline (50 ms);
        // another waits for the same attempt, which goes on for it.
        let gives_up = tokio::time::timeout(ms(50), connection.client());
        let (gave_up, waited) = tokio::join!(gives_up, async {
            tokio::task::yield_now().await;
            let waited = tokio::time::timeout(ms(200), connection.client()).await;
            (waited.map(error), t0.elapsed())
        });
        assert!(gave_up.is_err());
        assert_eq!(waited, (Ok(Some("refused 1".to_owned())), ms(100)));
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        // Refused: the next attempt after the backoff.
        assert_eq!(
            error(connection.client().await).as_deref(),
            Some("PostgreSQL is unreachable (1 failed attempts); the next in 100 ms")
        );
        tokio::time::sleep(ms(100)).await;
        // Attempt 2 hangs: each call waits for it until its own deadline.
        for _ in 0..2 {
            let t = Instant::now();
            assert!(
                tokio::time::timeout(ms(1000), connection.client())
                    .await
                    .is_err()
            );
            assert_eq!(t.elapsed(), ms(1000));
        }
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        // 5 s after it began, it is given up for a new one.
        tokio::time::sleep_until(t0 + ms(200) + ATTEMPT_LIMIT).await;
        let third = tokio::time::timeout(ms(1000), connection.client()).await;
        assert_eq!(third.map(error), Ok(Some("refused 3".to_owned())));
        assert_eq!(attempts.load(Ordering::SeqCst), 3);
    }
}
