//! What a [`Sender`](super::Sender) sends, and when.

use std::time::Duration;

/// The plan of a [`Sender`](super::Sender): a base rate of sends a second,
/// optional bursts at a higher rate, optional jitter, and how long to send.
///
/// Within each second from the start, the sends of that second's rate are
/// spaced evenly (`rate` a second: at `k/rate` s), each delayed by up to
/// the jitter when one is set. A second's rate is the burst's when the
/// second begins inside a burst (each period of bursts begins with one),
/// else the base rate.
///
/// ```
/// use std::time::Duration;
/// use resend_workflows::fake::SendPlan;
///
/// // 2 a second, bursts of 9 a second for 10 s every 30 s, for 2 minutes,
/// // each send up to 20 ms late.
/// let plan = SendPlan::per_second(2)
///     .bursts(9, Duration::from_secs(10), Duration::from_secs(30))
///     .jitter(Duration::from_millis(20), 7)
///     .lasting(Duration::from_secs(120));
/// # let _ = plan;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPlan {
    base: u32,
    /// Rate, how long, every.
    bursts: Option<(u32, Duration, Duration)>,
    /// Up to how late, the seed.
    jitter: Option<(Duration, u64)>,
    duration: Option<Duration>,
}

impl SendPlan {
    /// `base` sends a second, evenly spaced, until stopped.
    pub fn per_second(base: u32) -> Self {
        Self {
            base,
            bursts: None,
            jitter: None,
            duration: None,
        }
    }

    /// Bursts of `rate` sends a second lasting `lasts`, one beginning every
    /// `every` (the first at the start). `lasts` at or over `every` is a
    /// burst that never ends; a zero `every` sets no bursts.
    #[must_use]
    pub fn bursts(mut self, rate: u32, lasts: Duration, every: Duration) -> Self {
        self.bursts = (!every.is_zero()).then_some((rate, lasts, every));
        self
    }

    /// Delays each send by up to `up_to` (zero for none), pseudo-randomly
    /// from `seed`: the same seed, the same delays.
    #[must_use]
    pub fn jitter(mut self, up_to: Duration, seed: u64) -> Self {
        self.jitter = (!up_to.is_zero()).then_some((up_to, seed));
        self
    }

    /// Sends for `duration` from the start (the sends due before it), then
    /// stops. Without it, sends until stopped.
    #[must_use]
    pub fn lasting(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The rate of the second `second` seconds from the start.
    fn rate_at(&self, second: u64) -> u32 {
        match self.bursts {
            Some((rate, lasts, every)) => {
                let at = u128::from(second) * 1_000_000_000;
                if at % every.as_nanos() < lasts.as_nanos() {
                    rate
                } else {
                    self.base
                }
            }
            None => self.base,
        }
    }

    /// When each send is due, from the start, in order of schedule (a
    /// jittered send may be due after the next one). Endless without a
    /// duration; empty when no rate is above zero.
    pub(super) fn schedule(&self) -> impl Iterator<Item = Duration> + Send + 'static {
        let sends = self.base > 0 || self.bursts.is_some_and(|(rate, ..)| rate > 0);
        let (plan, duration, jitter) = (self.clone(), self.duration, self.jitter);
        let mut x = jitter.map_or(0, |(_, seed)| seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
        (0u64..)
            .take_while(move |_| sends)
            .flat_map(move |second| {
                let rate = u64::from(plan.rate_at(second));
                (0..rate).map(move |k| {
                    Duration::from_secs(second) + Duration::from_nanos(1_000_000_000 * k / rate)
                })
            })
            .take_while(move |due| duration.is_none_or(|d| *due < d))
            .map(move |due| match jitter {
                Some((up_to, _)) => {
                    // xorshift64: the same seed, the same delays.
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let thousandths = u32::try_from(x % 1_000).unwrap_or(0);
                    due + up_to.saturating_mul(thousandths) / 1_000
                }
                None => due,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(plan: &SendPlan) -> Vec<u128> {
        plan.schedule().map(|d| d.as_millis()).collect()
    }

    #[test]
    fn sends_are_spaced_evenly_within_each_second_at_its_rate() {
        let s = Duration::from_secs;
        let cases: [(SendPlan, Vec<u128>); 5] = [
            (
                SendPlan::per_second(2).lasting(s(2)),
                vec![0, 500, 1_000, 1_500],
            ),
            (
                SendPlan::per_second(4).lasting(Duration::from_millis(1_300)),
                vec![0, 250, 500, 750, 1_000, 1_250],
            ),
            // Bursts of 3 a second for 1 s every 3 s, 1 a second between.
            (
                SendPlan::per_second(1).bursts(3, s(1), s(3)).lasting(s(6)),
                vec![0, 333, 666, 1_000, 2_000, 3_000, 3_333, 3_666, 4_000, 5_000],
            ),
            // Bursts only: nothing between them.
            (
                SendPlan::per_second(0).bursts(2, s(1), s(2)).lasting(s(5)),
                vec![0, 500, 2_000, 2_500, 4_000, 4_500],
            ),
            (SendPlan::per_second(0).lasting(s(5)), vec![]),
        ];
        for (plan, expected) in cases {
            assert_eq!(ms(&plan), expected, "{plan:?}");
        }
        // Without a duration: endless.
        assert_eq!(
            SendPlan::per_second(3).schedule().take(1_000).count(),
            1_000
        );
        assert_eq!(SendPlan::per_second(0).schedule().count(), 0);
    }

    #[test]
    fn jitter_delays_each_send_by_less_than_it_the_same_for_a_seed() {
        let plan = SendPlan::per_second(5).lasting(Duration::from_secs(20));
        let jittered = plan.clone().jitter(Duration::from_millis(50), 42);
        let (even, late) = (plan.schedule(), jittered.schedule());
        let delays: Vec<Duration> = even
            .zip(late)
            .map(|(a, b)| b.checked_sub(a).unwrap())
            .collect();
        assert_eq!(delays.len(), 100);
        assert!(delays.iter().all(|d| *d < Duration::from_millis(50)));
        assert!(delays.iter().any(|d| *d > Duration::from_millis(25)));
        let again = plan.clone().jitter(Duration::from_millis(50), 42);
        assert_eq!(ms(&again), ms(&jittered));
        let other = plan.jitter(Duration::from_millis(50), 43);
        assert_ne!(ms(&other), ms(&jittered));
    }
}
