//! The lease rules every store follows, on an entry in memory (the
//! in-memory stores apply them as they are; `PostgresStore`'s statements
//! say the same in SQL). Synchronous, time passed in, table-tested.
//!
//! - **Take**: a watcher takes the lease when nobody holds it, it holds it
//!   itself, or the holder's lease expired.
//! - **Renew** (and commit): only the holder renews, expired or not: an
//!   expired lease nobody took is still the holder's, since nobody else
//!   polled meanwhile. Another holder means the lease was taken; nobody
//!   means it was released.
//! - **Release**: the holder gives it up; anyone may take it at once.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::contract::{Lease, Renewal};
use crate::instant::later;

/// Who holds an entry's lease, until when, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) id: String,
    pub(crate) until: Instant,
    /// When this holder took it (not renewed it): for a `LeaseLost`.
    pub(crate) since: SystemTime,
}

/// Another watcher holds the lease, for this long yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Taken {
    pub(crate) holder: String,
    pub(crate) expires_in: Duration,
}

impl From<Taken> for Lease {
    fn from(taken: Taken) -> Self {
        Lease::Taken {
            holder: taken.holder,
            expires_in: taken.expires_in,
        }
    }
}

/// Takes the lease for `asker` at `now` (`wall` on the wall clock), or
/// says who holds it and for how long yet.
pub(crate) fn take(
    holder: &mut Option<Holder>,
    asker: &str,
    ttl: Duration,
    now: Instant,
    wall: SystemTime,
) -> Result<(), Taken> {
    match holder {
        Some(h) if h.id != asker && h.until > now => Err(Taken {
            holder: h.id.clone(),
            expires_in: h.until.saturating_duration_since(now),
        }),
        Some(h) if h.id == asker => {
            h.until = later(now, ttl);
            Ok(())
        }
        _ => {
            *holder = Some(Holder {
                id: asker.to_owned(),
                until: later(now, ttl),
                since: wall,
            });
            Ok(())
        }
    }
}

/// Renews `asker`'s lease for `ttl` from `now`, if it is still the holder.
pub(crate) fn renew(
    holder: &mut Option<Holder>,
    asker: &str,
    ttl: Duration,
    now: Instant,
) -> Renewal {
    match holder {
        Some(h) if h.id == asker => {
            h.until = later(now, ttl);
            Renewal::Held
        }
        Some(h) => Renewal::TakenBy {
            holder: h.id.clone(),
            since: Some(h.since),
        },
        None => Renewal::Free,
    }
}

/// Gives `asker`'s lease up; someone else's is left alone.
pub(crate) fn release(holder: &mut Option<Holder>, asker: &str) {
    if holder.as_ref().is_some_and(|h| h.id == asker) {
        *holder = None;
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // instants of known, small values
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_rules_over_a_table() {
        let t0 = Instant::now();
        let w0 = SystemTime::UNIX_EPOCH + S(1_000_000);
        let held = |id: &str, until: u64, since: u64| {
            Some(Holder {
                id: id.to_owned(),
                until: t0 + S(until),
                since: w0 + S(since),
            })
        };
        // Take: (holder before, asker, at, outcome, holder after)
        type Row<'a> = (
            Option<Holder>,
            &'a str,
            u64,
            Result<(), Taken>,
            Option<Holder>,
        );
        let takes: Vec<Row<'_>> = vec![
            (None, "a", 5, Ok(()), held("a", 15, 5)),
            (held("a", 8, 0), "a", 5, Ok(()), held("a", 15, 0)),
            (held("a", 3, 0), "a", 5, Ok(()), held("a", 15, 0)),
            (
                held("a", 8, 0),
                "b",
                5,
                Err(Taken {
                    holder: "a".into(),
                    expires_in: S(3),
                }),
                held("a", 8, 0),
            ),
            // Expired at the instant asked: taken over.
            (held("a", 5, 0), "b", 5, Ok(()), held("b", 15, 5)),
            (held("a", 3, 0), "b", 5, Ok(()), held("b", 15, 5)),
        ];
        for (before, asker, at, outcome, after) in takes {
            let mut holder = before.clone();
            let got = take(&mut holder, asker, S(10), t0 + S(at), w0 + S(at));
            assert_eq!((got, &holder), (outcome, &after), "{before:?} {asker}");
        }
        // Renew: expired or not, only the holder.
        let renews: Vec<(Option<Holder>, &str, Renewal, Option<Holder>)> = vec![
            (held("a", 8, 0), "a", Renewal::Held, held("a", 15, 0)),
            (held("a", 2, 0), "a", Renewal::Held, held("a", 15, 0)),
            (
                held("b", 8, 4),
                "a",
                Renewal::TakenBy {
                    holder: "b".into(),
                    since: Some(w0 + S(4)),
                },
                held("b", 8, 4),
            ),
            (None, "a", Renewal::Free, None),
        ];
        for (before, asker, outcome, after) in renews {
            let mut holder = before.clone();
            let got = renew(&mut holder, asker, S(10), t0 + S(5));
            assert_eq!((got, &holder), (outcome, &after), "{before:?} {asker}");
        }
        // Release: only one's own.
        let mut holder = held("a", 8, 0);
        release(&mut holder, "b");
        assert_eq!(holder, held("a", 8, 0));
        release(&mut holder, "a");
        assert_eq!(holder, None);
        release(&mut holder, "a");
        assert_eq!(holder, None);
    }
}
