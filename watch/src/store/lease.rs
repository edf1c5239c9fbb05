//! The lease rules every store follows, on an entry in memory (the
//! in-memory stores apply them as they are; `PostgresStore`'s statements
//! say the same in SQL). Synchronous, time passed in, table-tested.
//!
//! - **Take**: a watcher takes the lease when nobody holds it, it holds it
//!   itself (a stream rebuilt under the same name), or the holder's lease
//!   expired. Each take gives a new token, one more than the entry's last:
//!   it names this take, and the stream that took the lease passes it to
//!   every renewal, commit and release.
//! - **Renew** (and commit): only the holder with its token renews,
//!   expired or not: an expired lease nobody took is still the holder's,
//!   since nobody else polled meanwhile. Another holder, or the same name
//!   with another token (a later take of it), means the lease was taken;
//!   nobody means it was released.
//! - **Release**: the holder gives it up, with its token; anyone may take
//!   it at once. A release with another token (a stream whose successor
//!   took the lease under the same name since) frees nothing.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::contract::{Lease, Renewal};
use crate::instant::later;

/// Who holds an entry's lease, with which token, until when, and since
/// when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) id: String,
    /// The take of the lease this holder's stream made.
    pub(crate) token: u64,
    pub(crate) until: Instant,
    /// When this holder took it (not renewed it): for a `LeaseLost`.
    pub(crate) since: SystemTime,
}

/// An entry's lease: its holder, if any, and the last token given (the
/// next take's is one more, so no token is given twice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) holder: Option<Holder>,
    pub(crate) last_token: u64,
}

impl Slot {
    /// Who holds it, if anyone (expired or not).
    pub(crate) fn holder_id(&self) -> Option<&str> {
        self.holder.as_ref().map(|h| h.id.as_str())
    }
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

/// Takes the lease for `asker` at `now` (`wall` on the wall clock): its
/// new token; or says who holds it and for how long yet.
pub(crate) fn take(
    slot: &mut Slot,
    asker: &str,
    ttl: Duration,
    now: Instant,
    wall: SystemTime,
) -> Result<u64, Taken> {
    if let Some(h) = &slot.holder
        && h.id != asker
        && h.until > now
    {
        return Err(Taken {
            holder: h.id.clone(),
            expires_in: h.until.saturating_duration_since(now),
        });
    }
    let token = slot.last_token.saturating_add(1);
    slot.last_token = token;
    slot.holder = Some(Holder {
        id: asker.to_owned(),
        token,
        until: later(now, ttl),
        since: wall,
    });
    Ok(token)
}

/// Renews `asker`'s lease for `ttl` from `now`, if it still holds the take
/// `token` names.
pub(crate) fn renew(
    slot: &mut Slot,
    asker: &str,
    token: u64,
    ttl: Duration,
    now: Instant,
) -> Renewal {
    match &mut slot.holder {
        Some(h) if h.id == asker && h.token == token => {
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

/// Gives up `asker`'s lease, if it still holds the take `token` names;
/// anyone else's (a later take under the same name too) is left alone.
pub(crate) fn release(slot: &mut Slot, asker: &str, token: u64) {
    if slot
        .holder
        .as_ref()
        .is_some_and(|h| h.id == asker && h.token == token)
    {
        slot.holder = None;
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
        // A slot held by `id` with `token` (the last given) until `until`,
        // since `since`.
        let held = |id: &str, token: u64, until: u64, since: u64| Slot {
            holder: Some(Holder {
                id: id.to_owned(),
                token,
                until: t0 + S(until),
                since: w0 + S(since),
            }),
            last_token: token,
        };
        let free = |last_token: u64| Slot {
            holder: None,
            last_token,
        };
        // Take at 5 s, ttl 10 s: (slot before, asker, outcome, slot after)
        type Row<'a> = (Slot, &'a str, Result<u64, Taken>, Slot);
        let takes: Vec<Row<'_>> = vec![
            (free(0), "a", Ok(1), held("a", 1, 15, 5)),
            // Released: the next take's token is still a new one.
            (free(4), "a", Ok(5), held("a", 5, 15, 5)),
            // Its own, live or expired: a new take (a stream rebuilt
            // under the same name), a new token.
            (held("a", 1, 8, 0), "a", Ok(2), held("a", 2, 15, 5)),
            (held("a", 1, 3, 0), "a", Ok(2), held("a", 2, 15, 5)),
            (
                held("a", 1, 8, 0),
                "b",
                Err(Taken {
                    holder: "a".into(),
                    expires_in: S(3),
                }),
                held("a", 1, 8, 0),
            ),
            // Expired at the instant asked: taken over.
            (held("a", 1, 5, 0), "b", Ok(2), held("b", 2, 15, 5)),
            (held("a", 7, 3, 0), "b", Ok(8), held("b", 8, 15, 5)),
        ];
        for (before, asker, outcome, after) in takes {
            let mut slot = before.clone();
            let got = take(&mut slot, asker, S(10), t0 + S(5), w0 + S(5));
            assert_eq!((got, &slot), (outcome, &after), "{before:?} {asker}");
        }
        // Renew at 5 s, ttl 10 s: expired or not, only the holder with
        // its token. (slot before, asker, token, outcome, slot after)
        type Renew<'a> = (Slot, &'a str, u64, Renewal, Slot);
        let taken_by = |id: &str, since: u64| Renewal::TakenBy {
            holder: id.into(),
            since: Some(w0 + S(since)),
        };
        let renews: Vec<Renew<'_>> = vec![
            (
                held("a", 1, 8, 0),
                "a",
                1,
                Renewal::Held,
                held("a", 1, 15, 0),
            ),
            (
                held("a", 1, 2, 0),
                "a",
                1,
                Renewal::Held,
                held("a", 1, 15, 0),
            ),
            (
                held("b", 3, 8, 4),
                "a",
                3,
                taken_by("b", 4),
                held("b", 3, 8, 4),
            ),
            // The same name, a later take: taken, by its successor.
            (
                held("a", 2, 8, 4),
                "a",
                1,
                taken_by("a", 4),
                held("a", 2, 8, 4),
            ),
            (
                held("a", 2, 8, 4),
                "a",
                3,
                taken_by("a", 4),
                held("a", 2, 8, 4),
            ),
            (free(1), "a", 1, Renewal::Free, free(1)),
        ];
        for (before, asker, token, outcome, after) in renews {
            let mut slot = before.clone();
            let got = renew(&mut slot, asker, token, S(10), t0 + S(5));
            assert_eq!(
                (got, &slot),
                (outcome, &after),
                "{before:?} {asker} {token}"
            );
        }
        // Release: only one's own take. (slot before, asker, token, after)
        let releases: Vec<(Slot, &str, u64, Slot)> = vec![
            (held("a", 1, 8, 0), "b", 1, held("a", 1, 8, 0)),
            // A dropped stream's late release, its successor under the
            // same name holding the lease with token 2: left alone.
            (held("a", 2, 8, 0), "a", 1, held("a", 2, 8, 0)),
            (held("a", 2, 8, 0), "a", 2, free(2)),
            (held("a", 2, 3, 0), "a", 2, free(2)),
            (free(2), "a", 2, free(2)),
        ];
        for (before, asker, token, after) in releases {
            let mut slot = before.clone();
            release(&mut slot, asker, token);
            assert_eq!(slot, after, "{before:?} {asker} {token}");
        }
    }
}
