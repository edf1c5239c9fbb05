//! `PostgresStore`'s shared turns: a row per budget, its next turn, on
//! the database's clock.

use std::time::Duration;

use futures::future::BoxFuture;

use super::PostgresStore;
use crate::watch::store::error::StoreError;
use crate::watch::store::turns::TurnStore;

impl TurnStore for PostgresStore {
    /// One row per shared budget (`key`), its next turn in `lease_until`:
    /// each turn moves it `spacing` on from the later of itself and the
    /// database's clock, in one statement, so the replicas' turns are
    /// spaced on one clock.
    fn take_turn<'a>(
        &'a self,
        key: &'a str,
        spacing: Duration,
    ) -> BoxFuture<'a, Result<Duration, StoreError>> {
        Box::pin(async move {
            let client = self.connection.client().await?;
            let row = client
                .answer(client.query_one(
                    &format!(
                        "INSERT INTO {} AS w (key, lease_until)
                         VALUES ($1, clock_timestamp() + make_interval(secs => $2))
                         ON CONFLICT (key) DO UPDATE SET lease_until =
                           GREATEST(w.lease_until, clock_timestamp()) + make_interval(secs => $2)
                         RETURNING GREATEST(EXTRACT(EPOCH FROM (
                           w.lease_until - make_interval(secs => $2) - clock_timestamp())), 0)::float8",
                        self.table
                    ),
                    &[&key, &spacing.as_secs_f64()],
                ))
                .await?;
            let wait: f64 = row.get(0);
            Ok(Duration::try_from_secs_f64(wait).unwrap_or(Duration::ZERO))
        })
    }
}
