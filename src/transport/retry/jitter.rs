//! Full jitter: a backoff is a uniform draw up to its bound.

// Time and counters from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// A uniform draw in `0..=bound`.
pub(crate) fn jitter(bound: Duration) -> Duration {
    let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(
        random_u64()
            .checked_rem(nanos.saturating_add(1))
            .unwrap_or_default(),
    )
}

/// A random number for jitter: std's per-process random hash keys over a
/// per-thread counter. Jitter needs spread, not cryptographic strength.
fn random_u64() -> u64 {
    thread_local! {
        static STATE: (RandomState, Cell<u64>) = (RandomState::new(), Cell::new(0));
    }
    STATE.with(|(keys, counter)| {
        counter.set(counter.get().wrapping_add(1));
        keys.hash_one(counter.get())
    })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn jitter_spreads_within_its_bound() {
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..500 {
            let w = jitter(MS(800));
            assert!(w <= MS(800), "{w:?}");
            distinct.insert(w);
        }
        assert!(
            distinct.len() > 400,
            "jitter spreads waits: {}",
            distinct.len()
        );
        assert!(
            distinct.iter().any(|w| *w < MS(200)) && distinct.iter().any(|w| *w > MS(600)),
            "draws cover the range"
        );
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        assert!(jitter(Duration::MAX) <= Duration::MAX);
    }
}
