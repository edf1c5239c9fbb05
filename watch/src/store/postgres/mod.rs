//! `PostgresStore` (feature `postgres`): a watch's state and lease in one
//! PostgreSQL table, so that replicas poll a collection once between them
//! and lose nothing when one dies. The lease is a holder and an expiry on
//! the collection's row, both decided by the database's clock; a commit is
//! an update conditional on holding it. The team watches' members
//! (`membership.rs`) and the budgets' turns (`turns.rs`) each have a table
//! of their own. The connection is made again after it breaks
//! (`connection.rs`), and the tables made and checked (`schema.rs`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

mod connection;
mod membership;
mod schema;
mod turns;

use connection::{Checkout, Connection, Connector};
use schema::Table;

use super::contract::{Lease, Renewal, StateStore};
use super::error::StoreError;
use super::membership::MembershipStore;
use super::turns::TurnStore;
use crate::state::WatchState;

/// A store in a PostgreSQL table (created if absent): one row per
/// collection, `key`, `state` (the JSON of a [`WatchState`]), `holder`,
/// `lease_until`, `taken_at`, `updated_at` and `generation` (the lease's
/// token: one more at each take; added to a table of an older version of
/// this crate when it is opened). An existing table of another shape is
/// refused by name, column by column. Beside it, each in a table of its
/// own: `<table>_members` holds the members of team watches' groups (a
/// row per replica, keyed by group and holder, deleted when it stops and
/// by the others a few ttls after it crashed), and `<table>_turns` the
/// budgets' turns (a row per budget, its next turn; the turns an older
/// version kept in the state table move there when it is opened). So a
/// table name is at most 55 characters.
///
/// [`connect`](Self::connect) (and [`connect_with`](Self::connect_with), for
/// TLS) make the connection again when it breaks, so a watch goes on
/// after a database restart; a failed poll or commit in between is an
/// error item, and the watch resumes from its last commit.
///
/// ```no_run
/// # #[cfg(feature = "postgres")]
/// # async fn demo(client: resend_workflows::Client) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use resend_workflows_watch::{PostgresStore, WatchClient, WatchConfig};
///
/// let store = PostgresStore::connect("host=localhost user=app dbname=app", "resend_watch_state").await?;
/// let config = WatchConfig::default().store(store);
/// let events = client.watch_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd", config);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    connection: Arc<Connection>,
    table: String,
    /// The table of the team watches' members, quoted.
    members: String,
    /// The table of the budgets' turns, quoted.
    turns: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.table)
            .field("connection", &self.connection)
            .finish()
    }
}

impl PostgresStore {
    /// The table name the examples use.
    pub const DEFAULT_TABLE: &'static str = "resend_watch_state";

    /// Connects without TLS (a database on the same host or network) and
    /// uses `table`, creating it if absent. The connection is made again
    /// whenever it breaks.
    ///
    /// # Errors
    /// When the database cannot be reached, or the table is not one this
    /// crate made and cannot be created.
    pub async fn connect(config: &str, table: &str) -> Result<Self, StoreError> {
        Self::connect_with(config, tokio_postgres::NoTls, table).await
    }

    /// Connects with `tls` (any of tokio-postgres's TLS connectors, such as
    /// `postgres-native-tls` or `tokio-postgres-rustls`) and uses `table`,
    /// creating it if absent. The connection is made again whenever it
    /// breaks.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with<T>(config: &str, tls: T, table: &str) -> Result<Self, StoreError>
    where
        T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>
            + Clone
            + Send
            + Sync
            + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
    {
        let table = Table::parse(table)?;
        let config = config.to_owned();
        let connect: Connector = Arc::new(move || {
            let (config, tls) = (config.clone(), tls.clone());
            Box::pin(async move {
                let (client, connection) = tokio_postgres::connect(&config, tls).await?;
                tokio::spawn(async move {
                    // Ends when the client is dropped or the server goes.
                    let _ = connection.await;
                });
                Ok(client)
            })
        });
        let connection = Connection::new(connect).await?;
        Self::with(connection, table).await
    }

    /// Uses a client connected by the caller, and `table`, creating it if
    /// absent. Such a client cannot be made again after it breaks: prefer
    /// [`connect`](Self::connect) or [`connect_with`](Self::connect_with).
    ///
    /// # Errors
    /// When the table name is not a plain identifier, or the table is not
    /// one this crate made and cannot be created.
    pub async fn with_client(
        client: tokio_postgres::Client,
        table: &str,
    ) -> Result<Self, StoreError> {
        let table = Table::parse(table)?;
        Self::with(Connection::fixed(client), table).await
    }

    async fn with(connection: Connection, table: Table) -> Result<Self, StoreError> {
        table.prepare(&*connection.client().await?).await?;
        Ok(Self {
            connection: Arc::new(connection),
            table: table.quoted,
            members: table.members_quoted,
            turns: table.turns_quoted,
        })
    }

    fn parse(state: Option<String>) -> Result<Option<WatchState>, StoreError> {
        state
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| StoreError::new(format!("the saved watch state is not whole: {e}")))
    }

    /// After an update that did not hold: who holds the lease now.
    async fn not_held(&self, client: &Checkout<'_>, key: &str) -> Result<Renewal, StoreError> {
        let row = client
            .answer(client.query_opt(
                &format!("SELECT holder, taken_at FROM {} WHERE key = $1", self.table),
                &[&key],
            ))
            .await?;
        let holder = row.as_ref().and_then(|r| r.get::<_, Option<String>>(0));
        Ok(match holder {
            Some(holder) => Renewal::TakenBy {
                holder,
                since: row.and_then(|r| r.get::<_, Option<SystemTime>>(1)),
            },
            None => Renewal::Free,
        })
    }
}

/// A lease's token, from its `generation` (never negative: counted up
/// from 0).
fn token_of(generation: i64) -> Result<u64, StoreError> {
    u64::try_from(generation)
        .map_err(|_| StoreError::new(format!("a lease's generation is negative: {generation}")))
}

/// The `generation` a token stands for; a token past `bigint` (never
/// given by this store) matches no row.
fn generation_of(token: u64) -> i64 {
    i64::try_from(token).unwrap_or(-1)
}

impl StateStore for PostgresStore {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let client = self.connection.client().await?;
            let table = &self.table;
            let ttl = ttl.as_secs_f64();
            let held = client
                .answer(client.query_opt(
                    &format!(
                        "INSERT INTO {table} AS w (key, holder, lease_until, taken_at, generation)
                         VALUES ($1, $2, now() + make_interval(secs => $3), now(), 1)
                         ON CONFLICT (key) DO UPDATE
                           SET holder = EXCLUDED.holder, lease_until = EXCLUDED.lease_until,
                               taken_at = now(), generation = w.generation + 1
                           WHERE w.holder IS NULL OR w.holder = EXCLUDED.holder
                              OR w.lease_until <= now()
                         RETURNING w.state, w.generation"
                    ),
                    &[&key, &holder, &ttl],
                ))
                .await?;
            if let Some(row) = held {
                let generation: i64 = row.get(1);
                return Ok(Lease::Held {
                    state: Self::parse(row.get(0))?,
                    token: token_of(generation)?,
                });
            }
            let row = client
                .answer(client.query_one(
                    &format!(
                        "SELECT holder, GREATEST(EXTRACT(EPOCH FROM (lease_until - now())), 0)::float8
                         FROM {table} WHERE key = $1"
                    ),
                    &[&key],
                ))
                .await?;
            let expires_in: f64 = row.get(1);
            Ok(Lease::Taken {
                holder: row.get::<_, Option<String>>(0).unwrap_or_default(),
                expires_in: Duration::try_from_secs_f64(expires_in).unwrap_or(Duration::ZERO),
            })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        Box::pin(async move {
            let generation = generation_of(token);
            let client = self.connection.client().await?;
            let renewed = client
                .answer(client.execute(
                    &format!(
                        "UPDATE {} SET lease_until = now() + make_interval(secs => $3)
                         WHERE key = $1 AND holder = $2 AND generation = $4",
                        self.table
                    ),
                    &[&key, &holder, &ttl.as_secs_f64(), &generation],
                ))
                .await?;
            match renewed {
                1 => Ok(Renewal::Held),
                _ => self.not_held(&client, key).await,
            }
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        Box::pin(async move {
            let json = serde_json::to_string(state)?;
            let generation = generation_of(token);
            let client = self.connection.client().await?;
            let updated = client
                .answer(client.execute(
                    &format!(
                        "UPDATE {} SET state = $3, lease_until = now() + make_interval(secs => $4),
                           updated_at = now()
                         WHERE key = $1 AND holder = $2 AND generation = $5",
                        self.table
                    ),
                    &[&key, &holder, &json, &ttl.as_secs_f64(), &generation],
                ))
                .await?;
            match updated {
                1 => Ok(Renewal::Held),
                _ => self.not_held(&client, key).await,
            }
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.connection.client().await?;
            client
                .answer(client.execute(
                    &format!(
                        "UPDATE {} SET holder = NULL, lease_until = 'epoch'
                         WHERE key = $1 AND holder = $2 AND generation = $3",
                        self.table
                    ),
                    &[&key, &holder, &generation_of(token)],
                ))
                .await?;
            Ok(())
        })
    }
    fn membership(&self) -> Option<&dyn MembershipStore> {
        Some(self)
    }

    fn turns(&self) -> Option<&dyn TurnStore> {
        Some(self)
    }
}
