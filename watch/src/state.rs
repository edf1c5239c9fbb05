//! `WatchState`: what a watch remembers between polls, saved by its store.
//! Versioned, and bounded by the runs in flight and the look-back window:
//! the newest run seen, the latest time the server's clock read as its
//! answers told it, the runs seen in the window, each run not finished
//! yet (its last status, when it was created, and how often it was looked
//! for and not found), and where a backfill goes on.
//!
//! The state moves only by [`Change`]s, each the meaning of one item of a
//! poll ([`WatchState::apply`]), so the state a watch commits is exactly
//! what it yielded.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{WatchError, WatchErrorKind};
use resend_workflows::RunStatus;
use resend_workflows::Timestamp;

pub(crate) use backfill::Backfill;

/// The version this crate writes and reads.
const VERSION: u32 = 2;

/// How far below the newest run seen a watch looks for runs it has not
/// seen (inserted late, or created by a clock that reads earlier).
///
/// The window hangs from the newest creation time seen, but never above
/// the server's clock: the latest its answers' `Date` header told (to the
/// end of the second it names). So runs stamped ahead of the server's
/// clock (by clocks that read later), however many and however far, never
/// hide the runs created after them: they move the window only as far as
/// the server's clock, and are remembered while the window holds them. A
/// server that sends no `Date` leaves the window at the newest creation
/// time.
pub const LOOK_BACK: Duration = Duration::from_secs(30);

/// Where the look-back window hangs from: the newest creation time seen,
/// no later than the server's `clock` when it is known.
pub(crate) fn horizon_of(newest: Timestamp, clock: Option<Timestamp>) -> Timestamp {
    clock.map_or(newest, |clock| newest.min(clock))
}

/// Polls between two reads of the whole look-back window (every poll reads
/// the list's top page, which holds every new run, late ones near the top
/// included; the window deeper down is read every this many polls).
pub(crate) const WINDOW_EVERY: u64 = 6;

/// Records that did not decode, reported once each: the ids of the last
/// this many are kept.
pub(crate) const UNREADABLE_KEPT: usize = 100;

/// Times a run in flight is looked for and not found before it is taken
/// for gone: a retrieve's 404, or a full listing past it without it.
pub(crate) const MISSES_TO_GONE: u8 = 2;

/// The newest run seen: a burst of new runs is read back up from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    pub(crate) id: String,
    pub(crate) created_at: Timestamp,
}

/// A run seen and not finished: its last status, when it was created (in
/// microseconds since the epoch, on the wire: the state holds one per run
/// in flight), and how often in a row it was looked for and not found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tracked(
    pub(crate) RunStatus,
    #[serde(with = "micros")] pub(crate) Timestamp,
    pub(crate) u8,
);

/// A timestamp as microseconds since the epoch: 16 digits instead of a
/// 29-byte string.
mod micros {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

    use resend_workflows::Timestamp;

    pub(super) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        t.as_datetime().timestamp_micros().serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let micros = i64::deserialize(d)?;
        chrono::DateTime::from_timestamp_micros(micros)
            .map(Timestamp::from)
            .ok_or_else(|| D::Error::custom(format!("{micros} µs is out of range")))
    }
}

impl Tracked {
    pub(crate) fn status(&self) -> &RunStatus {
        &self.0
    }

    pub(crate) fn created_at(&self) -> Timestamp {
        self.1
    }

    pub(crate) fn misses(&self) -> u8 {
        self.2
    }
}

/// A change to the state: what one item of a poll means for what the
/// watch remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A run seen for the first time (`Started`): tracked until it ends
    /// (its `Finished`, right after when it is final already), and
    /// remembered while in the look-back window.
    Seen {
        id: String,
        created_at: Timestamp,
        status: RunStatus,
    },
    /// A tracked run in another status that is not final (`Changed`).
    Moved { id: String, status: RunStatus },
    /// A tracked run seen again as it was: found, whatever misses before.
    Sighted { id: String },
    /// A tracked run looked for and not found.
    Missed { id: String },
    /// A run no longer tracked: finished (`Finished`), or gone (`Gone`).
    Ended { id: String },
    /// The start was applied: the runs of the list's top in the look-back
    /// window are known (not new); a backfill starts when `backfill`. The
    /// top's answer told the server's clock up to `clock`.
    Began {
        baseline: Vec<(String, Timestamp)>,
        backfill: bool,
        clock: Option<Timestamp>,
    },
    /// The backfill goes on from `next`, or is done (`None`).
    Backfilled { next: Option<Backfill> },
    /// The full check goes on from `next`, or is done (`None`).
    Checked { next: Option<Check> },
    /// A record that did not decode was reported (an error item): not
    /// again while its id is among the last [`UNREADABLE_KEPT`].
    Unreadable { id: String },
    /// A poll ended, with a full check (the list down to the oldest run in
    /// flight) or without; its answers told the server's clock up to
    /// `clock`. (Told once a poll, not an item an answer: the items a poll
    /// yields do not hang on when the server's clock passes a second.)
    Polled {
        full: bool,
        clock: Option<Timestamp>,
    },
}

/// Where the full check goes on: after run `after` (`None`: from the
/// top), the runs in flight created at or after `upper` judged already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Check {
    pub(crate) after: Option<String>,
    pub(crate) upper: Option<Timestamp>,
}

/// What a watch remembers between polls (see
/// [`WatchClient::watch_automation_runs`](crate::WatchClient::watch_automation_runs)). Saved as
/// JSON by a [`StateStore`](crate::StateStore); opaque but for its
/// accessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchState {
    version: u32,
    collection: String,
    /// Whether the start (`StartAt`) was applied.
    started: bool,
    pub(crate) mark: Option<Mark>,
    /// The latest the server's clock read, as its answers told
    /// ([`Change::Clock`]); `None` until one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clock: Option<Timestamp>,
    /// Runs seen in the look-back window: id -> created.
    #[serde(default)]
    pub(crate) recent: BTreeMap<String, Timestamp>,
    /// Runs seen and not told finished (a final run's `Started` committed
    /// without its `Finished` included).
    #[serde(default)]
    pub(crate) in_flight: BTreeMap<String, Tracked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Boxed: a state travels inside the stores' answers, kept small.
    pub(crate) backfill: Option<Box<Backfill>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) check: Option<Check>,
    /// The ids of the last records reported as not decoding (at most
    /// [`UNREADABLE_KEPT`], oldest first): each is reported once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unreadable: Vec<String>,
    /// Polls since the last full check, and in all.
    #[serde(default)]
    pub(crate) since_full: u32,
    #[serde(default)]
    pub(crate) polls: u64,
}

impl WatchState {
    pub(crate) fn new(collection: &str) -> Self {
        Self {
            version: VERSION,
            collection: collection.to_owned(),
            started: false,
            mark: None,
            clock: None,
            recent: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            backfill: None,
            check: None,
            unreadable: Vec::new(),
            since_full: 0,
            polls: 0,
        }
    }

    /// Checks a loaded state can be resumed by a watch of `collection`.
    pub(crate) fn check(&self, collection: &str) -> Result<(), WatchError> {
        if self.version != VERSION {
            return Err(WatchError::new(WatchErrorKind::StateVersion {
                found: self.version,
            }));
        }
        if self.collection != collection {
            return Err(WatchError::new(WatchErrorKind::StateMismatch {
                expected: collection.to_owned(),
                found: self.collection.clone(),
            }));
        }
        Ok(())
    }

    /// The collection watched, e.g. `automations/<id>/runs`.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// The id of the newest run seen, if any.
    pub fn newest_run(&self) -> Option<&str> {
        self.mark.as_ref().map(|m| m.id.as_str())
    }

    /// The runs seen and not told finished, with their last status: a run
    /// told `Started` already final stays here until its `Finished` is
    /// yielded.
    pub fn in_flight(&self) -> impl Iterator<Item = (&str, &RunStatus)> {
        self.in_flight
            .iter()
            .map(|(id, tracked)| (id.as_str(), tracked.status()))
    }

    /// Whether a backfill (of [`StartAt::Beginning`](crate::StartAt::Beginning))
    /// is still going on.
    pub fn backfilling(&self) -> bool {
        self.backfill.is_some()
    }

    pub(crate) fn is_started(&self) -> bool {
        self.started
    }

    /// Where the look-back window hangs from: the creation time of the
    /// newest run seen, no later than the server's clock ([`horizon_of`]).
    pub(crate) fn horizon(&self) -> Option<Timestamp> {
        let mark = self.mark.as_ref()?;
        Some(horizon_of(mark.created_at, self.clock))
    }

    /// Whether the next poll reads the whole look-back window.
    pub(crate) fn window_due(&self) -> bool {
        self.polls.is_multiple_of(WINDOW_EVERY)
    }

    /// Whether run `id` was reported already, as far as the state knows.
    pub(crate) fn knows(&self, id: &str) -> bool {
        self.in_flight.contains_key(id)
            || self.recent.contains_key(id)
            || self.mark.as_ref().is_some_and(|m| m.id == id)
    }

    /// Applies `change`: the one way the state moves.
    pub(crate) fn apply(&mut self, change: &Change) {
        match change {
            Change::Seen {
                id,
                created_at,
                status,
            } => {
                self.remember(id, *created_at);
                // Tracked until its `Finished` is yielded, final or not: a
                // commit between the two keeps the run looked for, and
                // the next process tells its finish.
                let tracked = Tracked(status.clone(), *created_at, 0);
                self.in_flight.insert(id.clone(), tracked);
            }
            Change::Moved { id, status } => {
                if let Some(tracked) = self.in_flight.get_mut(id) {
                    tracked.0 = status.clone();
                    tracked.2 = 0;
                }
            }
            Change::Sighted { id } => {
                if let Some(tracked) = self.in_flight.get_mut(id) {
                    tracked.2 = 0;
                }
            }
            Change::Missed { id } => {
                if let Some(tracked) = self.in_flight.get_mut(id) {
                    tracked.2 = tracked.2.saturating_add(1);
                }
            }
            Change::Ended { id } => {
                self.in_flight.remove(id);
            }
            Change::Began {
                baseline,
                backfill,
                clock,
            } => {
                self.hear(*clock);
                for (id, created_at) in baseline {
                    self.remember(id, *created_at);
                }
                self.started = true;
                if *backfill {
                    self.backfill = Some(Box::default());
                }
            }
            Change::Backfilled { next } => {
                self.backfill = next.clone().map(Box::new);
            }
            Change::Checked { next } => {
                self.check = next.clone();
            }
            Change::Unreadable { id } => {
                if !self.unreadable.contains(id) {
                    self.unreadable.push(id.clone());
                }
                if self.unreadable.len() > UNREADABLE_KEPT {
                    self.unreadable.remove(0);
                }
            }
            Change::Polled { full, clock } => {
                self.hear(*clock);
                self.since_full = if *full {
                    self.check = None;
                    0
                } else {
                    self.since_full.saturating_add(1)
                };
                self.polls = self.polls.saturating_add(1);
            }
        }
    }

    /// Takes what an answer told of the server's clock. Never back: the
    /// window never moves down (a run it let go would be new again),
    /// whatever one of the server's machines says.
    fn hear(&mut self, clock: Option<Timestamp>) {
        self.clock = self.clock.max(clock);
    }

    /// Remembers run `id`, created at `created_at`: the newest seen when it
    /// is; in the look-back window while it is.
    fn remember(&mut self, id: &str, created_at: Timestamp) {
        if self.mark.as_ref().is_none_or(|m| created_at > m.created_at) {
            self.mark = Some(Mark {
                id: id.to_owned(),
                created_at,
            });
        }
        let Some(horizon) = self.horizon() else {
            return;
        };
        let floor = horizon.minus_secs(LOOK_BACK.as_secs());
        if created_at >= floor {
            self.recent.insert(id.to_owned(), created_at);
        }
        self.recent.retain(|_, at| *at >= floor);
    }
}

mod backfill;
#[cfg(test)]
mod tests;
