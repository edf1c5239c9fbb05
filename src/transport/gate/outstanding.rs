//! The requests a client and its clones have sent and not had answered:
//! outstanding. A response's `ratelimit-remaining` does not count them
//! yet: when what remains in the window would all go to them, the window
//! is used up for the next request ([`RateGate::heed_answer`](super::RateGate::heed_answer)). Without this, concurrent streams that
//! each send on the last `remaining` they saw overrun a window together.

use std::sync::atomic::{AtomicU32, Ordering};

/// A count of outstanding requests, shared by a client's clones.
#[derive(Debug, Default)]
pub(crate) struct Outstanding(AtomicU32);

/// One outstanding request, counted until dropped.
#[derive(Debug)]
pub(crate) struct Sending<'a>(&'a Outstanding);

impl Outstanding {
    /// Counts a request about to be sent, until the returned guard drops.
    pub(crate) fn start(&self) -> Sending<'_> {
        self.0.fetch_add(1, Ordering::AcqRel);
        Sending(self)
    }
}

impl Sending<'_> {
    /// The other outstanding requests beside this one.
    pub(crate) fn others(&self) -> u32 {
        self.0.0.load(Ordering::Acquire).saturating_sub(1)
    }
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_the_others_while_it_lives() {
        let flight = Outstanding::default();
        let first = flight.start();
        assert_eq!(first.others(), 0);
        let second = flight.start();
        let third = flight.start();
        assert_eq!((first.others(), second.others()), (2, 2));
        drop(second);
        assert_eq!(third.others(), 1);
        drop((first, third));
        assert_eq!(flight.start().others(), 0);
    }
}
