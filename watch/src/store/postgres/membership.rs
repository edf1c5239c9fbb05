//! `PostgresStore`'s membership: the members of team watches' groups in a
//! table of their own, `<table>_members`, a row per replica keyed by group
//! and holder, live until its `lease_until` on the database's clock.

use std::time::Duration;

use futures::future::BoxFuture;

use super::PostgresStore;
use crate::store::error::StoreError;
use crate::store::membership::{Members, MembershipStore};

impl MembershipStore for PostgresStore {
    /// One statement renews this member, deletes the group's members
    /// lapsed three ttls ago, and counts the group's live ones, all by the
    /// key's index (the group's rows, never the table).
    fn join<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
        watching: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Members, StoreError>> {
        Box::pin(async move {
            let client = self.connection.client().await?;
            let members = &self.members;
            // The statement's snapshot is from before its own changes:
            // the others are counted, and this one added.
            let row = client
                .answer(client.query_one(
                    &format!(
                        "WITH joined AS (
                           INSERT INTO {members} AS m (grp, holder, watching, lease_until)
                           VALUES ($1, $2, $3, now() + make_interval(secs => $4))
                           ON CONFLICT (grp, holder) DO UPDATE
                             SET watching = EXCLUDED.watching, lease_until = EXCLUDED.lease_until
                           RETURNING 1
                         ), lapsed AS (
                           DELETE FROM {members}
                           WHERE grp = $1 AND holder <> $2
                             AND lease_until < now() - make_interval(secs => $4 * 3)
                           RETURNING 1
                         )
                         SELECT count(*), count(*) FILTER (WHERE watching = $3)
                         FROM {members}
                         WHERE grp = $1 AND holder <> $2 AND lease_until > now()"
                    ),
                    &[&group, &holder, &watching, &ttl.as_secs_f64()],
                ))
                .await?;
            let count = |n: i64| usize::try_from(n).unwrap_or(0).saturating_add(1);
            Ok(Members::new(count(row.get(0)), count(row.get(1))))
        })
    }

    fn leave<'a>(
        &'a self,
        group: &'a str,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.connection.client().await?;
            client
                .answer(client.execute(
                    &format!(
                        "DELETE FROM {} WHERE grp = $1 AND holder = $2",
                        self.members
                    ),
                    &[&group, &holder],
                ))
                .await?;
            Ok(())
        })
    }
}
