//! The store's connection to PostgreSQL, made again when it breaks (a
//! server restarted, a failover): the next operation after a failure
//! reconnects, and failed attempts back off, from 100 ms doubling to 5 s,
//! so a database that is down is not hammered.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::instant::later;
use crate::watch::store::error::StoreError;

/// Makes a new connection: the client, its connection driven on a task.
pub(super) type Connector =
    Arc<dyn Fn() -> BoxFuture<'static, Result<tokio_postgres::Client, StoreError>> + Send + Sync>;

/// The first wait after a failed connection attempt, and the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A connection that is made again after it breaks.
pub(super) struct Connection {
    /// `None` for a client the caller connected: it cannot be remade.
    connect: Option<Connector>,
    state: tokio::sync::Mutex<State>,
}

struct State {
    client: Option<Arc<tokio_postgres::Client>>,
    /// Failed attempts in a row, and when the next may be made.
    failures: u32,
    next_try: Option<Instant>,
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
            state: tokio::sync::Mutex::new(State {
                client: Some(Arc::new(client)),
                failures: 0,
                next_try: None,
            }),
        }
    }

    /// A client that is connected, made again if the last one broke.
    pub(super) async fn client(&self) -> Result<Arc<tokio_postgres::Client>, StoreError> {
        let mut state = self.state.lock().await;
        if let Some(client) = state.client.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
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
        if let Some(next) = state.next_try.filter(|&t| t > now) {
            return Err(StoreError::new(format!(
                "PostgreSQL is unreachable ({} failed attempts); the next in {} ms",
                state.failures,
                next.saturating_duration_since(now).as_millis()
            )));
        }
        match connect().await {
            Ok(client) => {
                let client = Arc::new(client);
                state.client = Some(Arc::clone(&client));
                state.failures = 0;
                state.next_try = None;
                Ok(client)
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                let backoff = FIRST_BACKOFF
                    .saturating_mul(2u32.saturating_pow(state.failures.saturating_sub(1)))
                    .min(MAX_BACKOFF);
                state.next_try = Some(later(Instant::now(), backoff));
                Err(e)
            }
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
