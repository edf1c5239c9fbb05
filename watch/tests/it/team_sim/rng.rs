//! The schedule's one source of choices: a small seeded generator
//! (splitmix64), so one seed is one schedule.

use std::time::Duration;

pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `range` (not empty).
    pub(super) fn within(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).expect("a small count");
        usize::try_from(self.next() % n).expect("below a usize")
    }

    /// A count in `range` (not empty).
    pub(super) fn count(&mut self, range: std::ops::Range<usize>) -> usize {
        range.start + self.below(range.end - range.start)
    }

    /// Whole seconds in `range` (not empty).
    pub(super) fn secs(&mut self, range: std::ops::Range<i64>) -> i64 {
        let span = usize::try_from(range.end - range.start).expect("a short span");
        range.start + i64::try_from(self.below(span)).expect("a short span")
    }

    /// True with chance `percent` in 100.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(super) fn ms(&mut self, range: std::ops::Range<u64>) -> Duration {
        Duration::from_millis(self.within(range))
    }
}
