//! A replica's fair share of a team's automations: at most `share` leases
//! held at once (the automations over the live replicas, rounded up), the
//! ones past it given back, last by key first, so that a replica that
//! joins takes its share and one that dies leaves its share to the others.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The leases one replica's team watch holds, and how many it may.
#[derive(Debug)]
pub(crate) struct FairShare {
    share: AtomicUsize,
    held: Mutex<BTreeSet<String>>,
}

impl Default for FairShare {
    fn default() -> Self {
        Self {
            share: AtomicUsize::new(usize::MAX),
            held: Mutex::default(),
        }
    }
}

impl FairShare {
    fn held(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the share: `automations` over `replicas` live, rounded up.
    pub(crate) fn set(&self, automations: usize, replicas: usize) {
        let share = automations.div_ceil(replicas.max(1)).max(1);
        self.share.store(share, Ordering::Relaxed);
    }

    /// The share now.
    pub(crate) fn share(&self) -> usize {
        self.share.load(Ordering::Relaxed)
    }

    /// How many leases are held now.
    pub(crate) fn count(&self) -> usize {
        self.held().len()
    }

    /// Whether a lease on `key`, not held, may be taken.
    pub(crate) fn may_take(&self, key: &str) -> bool {
        let held = self.held();
        held.contains(key) || held.len() < self.share()
    }

    /// `key`'s lease is held.
    pub(crate) fn took(&self, key: &str) {
        self.held().insert(key.to_owned());
    }

    /// `key`'s lease is held no more.
    pub(crate) fn left(&self, key: &str) {
        self.held().remove(key);
    }

    /// Whether `key`'s lease, held, is past the share and should be given
    /// back: the last ones by key, so replicas agree on none but their own.
    pub(crate) fn over(&self, key: &str) -> bool {
        let held = self.held();
        held.iter()
            .position(|k| k == key)
            .is_some_and(|rank| rank >= self.share())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_takes_its_share_and_gives_back_what_is_past_it() {
        let fair_share = FairShare::default();
        assert!(fair_share.may_take("a"), "no share set: everything");
        for key in ["a", "b", "c", "d"] {
            fair_share.took(key);
        }
        fair_share.set(4, 2);
        assert_eq!(fair_share.share(), 2);
        assert!(!fair_share.may_take("e"), "full");
        assert!(fair_share.may_take("a"), "one held may be taken again");
        let over: Vec<&str> = ["a", "b", "c", "d"]
            .into_iter()
            .filter(|k| fair_share.over(k))
            .collect();
        assert_eq!(over, ["c", "d"], "the last by key");
        fair_share.left("c");
        fair_share.left("d");
        assert!(!fair_share.over("b"));
        assert_eq!(fair_share.count(), 2);
        assert!(!fair_share.may_take("e"), "exactly its share held: full");
        fair_share.set(5, 2);
        assert_eq!(fair_share.share(), 3, "rounded up");
        assert!(fair_share.may_take("e"));
        fair_share.set(3, 0);
        assert_eq!(fair_share.share(), 3, "no replica counted: this one");
    }
}
