//! `PostgresStore`'s shared turns: a row per budget in a table of their
//! own, `<table>_turns`, its next turn, on the database's clock.

use std::time::Duration;

use futures::future::BoxFuture;

use super::PostgresStore;
use crate::store::error::StoreError;
use crate::store::turns::TurnStore;

impl TurnStore for PostgresStore {
    /// A row per budget (`key`) in the table of turns
    /// (`<table>_turns`), its next turn in `next_turn`: each turn moves
    /// it `spacing` on from the later of itself and the database's
    /// clock, in one statement, so the replicas' turns are spaced on one
    /// clock.
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
                        "INSERT INTO {} AS t (key, next_turn)
                         VALUES ($1, clock_timestamp() + make_interval(secs => $2))
                         ON CONFLICT (key) DO UPDATE SET next_turn =
                           GREATEST(t.next_turn, clock_timestamp()) + make_interval(secs => $2)
                         RETURNING GREATEST(EXTRACT(EPOCH FROM (
                           t.next_turn - make_interval(secs => $2) - clock_timestamp())), 0)::float8",
                        self.turns
                    ),
                    &[&key, &spacing.as_secs_f64()],
                ))
                .await?;
            let wait: f64 = row.get(0);
            Ok(Duration::try_from_secs_f64(wait).unwrap_or(Duration::ZERO))
        })
    }
}
