//! Who spends the team's rate limit, and how much of it each was refused.

/// Whose request the team's rate limit counted.
///
/// Every request the fake counts against its limit belongs to one caller:
/// `POST /emails` is one of the team's sends (a [`Sender`](super::Sender)'s,
/// or a virtual one of
/// [`share_rate_limit`](super::FakeResend::share_rate_limit)); every other
/// request (the crate's client listing and getting runs) is a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Caller {
    /// The team's reads: every request but `POST /emails` (the crate's
    /// client, a watch).
    Reads,
    /// The team's sends: `POST /emails`, real or virtual. A send refused is
    /// a customer's email lost.
    Sends,
}

impl Caller {
    /// The caller of a request with `method` to `path`.
    pub(super) fn of(method: &str, path: &str) -> Self {
        if method.eq_ignore_ascii_case("POST") && path.trim_end_matches('/') == "/emails" {
            Self::Sends
        } else {
            Self::Reads
        }
    }
}

/// One caller's requests: how many arrived, and how many of them the
/// team's limit refused (answered 429).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tally {
    /// Requests that arrived (admitted and refused).
    pub sent: u64,
    /// Of those, the ones refused.
    pub refused: u64,
}

impl Tally {
    /// Requests that arrived and were admitted.
    pub fn admitted(&self) -> u64 {
        self.sent.saturating_sub(self.refused)
    }

    pub(super) fn count(&mut self, refused: bool) {
        self.sent += 1;
        self.refused += u64::from(refused);
    }
}

/// The team's traffic as its rate limit counted it, per [`Caller`]: see
/// [`FakeResend::traffic`](super::FakeResend::traffic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Traffic {
    /// The team's sends (`POST /emails`, real or virtual).
    pub sends: Tally,
    /// The team's reads (every other request).
    pub reads: Tally,
}

impl Traffic {
    /// The tally of `caller`.
    pub fn of(&self, caller: Caller) -> Tally {
        match caller {
            Caller::Reads => self.reads,
            Caller::Sends => self.sends,
        }
    }

    pub(super) fn of_mut(&mut self, caller: Caller) -> &mut Tally {
        match caller {
            Caller::Reads => &mut self.reads,
            Caller::Sends => &mut self.sends,
        }
    }
}
