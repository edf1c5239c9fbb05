//! The team's rate limit, from the fake's handle: enforcing it, sharing it
//! with the team's sends, and reading what it counted.

use std::time::Duration;

use super::state::lock;
use super::{FakeResend, SendPlan, Sender, Traffic, limit};

impl FakeResend {
    /// Enforces a team rate limit from now on, as Resend does: `requests`
    /// per `window`, shared by every caller of the team (its reads and its
    /// sends); a request over it is answered 429 `rate_limit_exceeded`
    /// with `retry-after` (whole seconds, rounded up, like
    /// `ratelimit-reset`). A window begins with the first request after
    /// the previous one ended, and the requests in it are counted in the
    /// order they arrive: whoever comes after the window is full is
    /// refused. Off by default; the counts ([`traffic`](Self::traffic),
    /// [`rate_limited`](Self::rate_limited)) start again from zero.
    ///
    /// Its windows are counted on the clock of the runtime this is called
    /// on (tokio's paused clock, in a test on one).
    pub fn enforce_rate_limit(&self, requests: u64, window: Duration) {
        lock(&self.state).limit = limit::LimitEnforcer::enforced(requests, window);
    }

    /// The team's other calls (the emails a service sends) make `requests`
    /// virtual sends in every window of the limit from now on, spread
    /// evenly across it: the k-th at `window_start + k·window/requests`,
    /// counted in time order with the real requests, as
    /// [`Caller::Sends`](super::Caller::Sends). A read that comes before a
    /// virtual send in a full window takes its place: that send is counted
    /// refused (see [`traffic`](Self::traffic)), as Resend would refuse
    /// the email. A read at the same instant as a virtual send comes first.
    ///
    /// Virtual sends exist only in windows that a real request began (a
    /// quiet second counts none), and are counted when the next request
    /// arrives or the counts are read: no timer, so a test on tokio's
    /// paused clock keeps time to its own. For real sends, over HTTP, see
    /// [`send_emails`](Self::send_emails). Set after
    /// [`enforce_rate_limit`](Self::enforce_rate_limit).
    pub fn share_rate_limit(&self, requests: u64) {
        lock(&self.state).limit.share(requests);
    }

    /// Stops enforcing the rate limit: every answer says 1,000 a second
    /// again, nothing is refused, and the counts start again from zero.
    pub fn lift_rate_limit(&self) {
        lock(&self.state).limit = limit::LimitEnforcer::default();
    }

    /// How many requests of the team the rate limit refused: in all, and
    /// after its first window. Every caller's: the reads answered 429, the
    /// sends answered 429, and the virtual sends of
    /// [`share_rate_limit`](Self::share_rate_limit) refused. (Without
    /// sends, the 429s the fake answered.) Per caller, see
    /// [`traffic`](Self::traffic).
    pub fn rate_limited(&self) -> (u64, u64) {
        let mut state = lock(&self.state);
        let now = state.limit.now();
        state.limit.settle(now);
        state.limit.refused()
    }

    /// The team's requests as its rate limit counted them so far, per
    /// [`Caller`](super::Caller): those that arrived and those refused,
    /// of the reads and of the sends (real `POST /emails` and the virtual
    /// sends of [`share_rate_limit`](Self::share_rate_limit) up to now).
    /// Counted whether the limit is enforced or not, since the fake
    /// started or the limit was last set.
    pub fn traffic(&self) -> Traffic {
        let mut state = lock(&self.state);
        let now = state.limit.now();
        state.limit.settle(now);
        state.limit.traffic()
    }

    /// Starts sending emails to this fake as `plan` says: real `POST
    /// /emails` requests over loopback, counted against the team's limit
    /// with the reads, until the plan's duration elapses or the returned
    /// [`Sender`] is stopped or dropped. Needs a tokio runtime; its timers
    /// are tokio's, so it keeps to a paused clock too.
    pub fn send_emails(&self, plan: SendPlan) -> Sender {
        super::sender::start(self.base_url(), plan)
    }
}
