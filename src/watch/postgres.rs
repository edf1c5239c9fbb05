//! `PostgresStore` (feature `postgres`): a watch's state and lease in one
//! PostgreSQL table, so that replicas poll a collection once between them
//! and lose nothing when one dies. The lease is a holder and an expiry on
//! the collection's row, both decided by the database's clock; a commit is
//! an update conditional on holding it.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::state::WatchState;
use super::store::{Lease, StateStore, StoreError};

/// A store in a PostgreSQL table (created if absent): one row per
/// collection, `key`, `state` (the JSON of a [`WatchState`]), `holder` and
/// `lease_until`.
///
/// ```no_run
/// # async fn demo(client: resend_workflows::Client) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use resend_workflows::PostgresStore;
///
/// let store = PostgresStore::connect("host=localhost user=app dbname=app", "resend_watch_state").await?;
/// let events = client.watch_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd").store(store).stream();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    client: Arc<tokio_postgres::Client>,
    table: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// A table name: letters, digits and `_`, optionally schema-qualified, so
/// it can be put in SQL quoted.
fn quoted_table(table: &str) -> Result<String, StoreError> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !p.starts_with(|c: char| c.is_ascii_digit())
    };
    let parts: Vec<&str> = table.split('.').collect();
    if parts.len() > 2 || !parts.iter().all(|p| part_ok(p)) {
        return Err(format!(
            "table name {table:?}: use letters, digits and '_' (optionally schema.table)"
        )
        .into());
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

impl PostgresStore {
    /// The table name the examples use.
    pub const DEFAULT_TABLE: &'static str = "resend_watch_state";

    /// Connects without TLS (a database on the same host or network) and
    /// uses `table`, creating it if absent. For TLS, connect yourself and
    /// use [`with_client`](Self::with_client).
    ///
    /// # Errors
    /// When the database cannot be reached or the table not created.
    pub async fn connect(config: &str, table: &str) -> Result<Self, StoreError> {
        let (client, connection) = tokio_postgres::connect(config, tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            // The connection ends when the client is dropped.
            let _ = connection.await;
        });
        Self::with_client(client, table).await
    }

    /// Uses a connected client and `table`, creating it if absent.
    ///
    /// # Errors
    /// When the table name is not a plain identifier or cannot be created.
    pub async fn with_client(
        client: tokio_postgres::Client,
        table: &str,
    ) -> Result<Self, StoreError> {
        let table = quoted_table(table)?;
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (
                    key text PRIMARY KEY,
                    state text,
                    holder text,
                    lease_until timestamptz NOT NULL DEFAULT 'epoch',
                    updated_at timestamptz NOT NULL DEFAULT now()
                )"
            ))
            .await?;
        Ok(Self {
            client: Arc::new(client),
            table,
        })
    }

    fn parse(state: Option<String>) -> Result<Option<WatchState>, StoreError> {
        state
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| format!("the saved watch state is not a whole state: {e}").into())
    }
}

impl StateStore for PostgresStore {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            let table = &self.table;
            let ttl = ttl.as_secs_f64();
            let held = self
                .client
                .query_opt(
                    &format!(
                        "INSERT INTO {table} AS w (key, holder, lease_until)
                         VALUES ($1, $2, now() + make_interval(secs => $3))
                         ON CONFLICT (key) DO UPDATE
                           SET holder = EXCLUDED.holder, lease_until = EXCLUDED.lease_until
                           WHERE w.holder IS NULL OR w.holder = EXCLUDED.holder OR w.lease_until <= now()
                         RETURNING w.state"
                    ),
                    &[&key, &holder, &ttl],
                )
                .await?;
            if let Some(row) = held {
                return Ok(Lease::Held(Self::parse(row.get(0))?));
            }
            let row = self
                .client
                .query_one(
                    &format!(
                        "SELECT holder, GREATEST(EXTRACT(EPOCH FROM (lease_until - now())), 0)::float8
                         FROM {table} WHERE key = $1"
                    ),
                    &[&key],
                )
                .await?;
            let expires_in: f64 = row.get(1);
            Ok(Lease::Taken {
                holder: row.get::<_, Option<String>>(0).unwrap_or_default(),
                expires_in: Duration::try_from_secs_f64(expires_in).unwrap_or(Duration::ZERO),
            })
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let json = serde_json::to_string(state)?;
            let ttl = ttl.as_secs_f64();
            let updated = self
                .client
                .execute(
                    &format!(
                        "UPDATE {} SET state = $3, lease_until = now() + make_interval(secs => $4),
                           updated_at = now()
                         WHERE key = $1 AND holder = $2 AND lease_until > now()",
                        self.table
                    ),
                    &[&key, &holder, &json, &ttl],
                )
                .await?;
            Ok(updated == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert_eq!(
            quoted_table("resend_watch_state").unwrap(),
            "\"resend_watch_state\""
        );
        assert_eq!(quoted_table("app.watch").unwrap(), "\"app\".\"watch\"");
        for bad in ["", "a;drop table x", "a\"b", "1abc", "a.b.c", "a b"] {
            assert!(quoted_table(bad).is_err(), "{bad}");
        }
    }
}
