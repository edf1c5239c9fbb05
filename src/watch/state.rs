//! `WatchState`: what a watch remembers between polls, saved by its store.
//! Versioned, and bounded by the runs in flight: the newest run seen (with
//! the runs created at the same instant) and each run not yet finished
//! with its last status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{WatchError, WatchErrorKind};
use crate::status::RunStatus;
use crate::timestamp::Timestamp;

/// The version this crate writes and reads.
const VERSION: u32 = 1;

/// The newest run seen: the backward traversal for new runs starts before
/// it. `peers` are the runs seen created at the same instant, so a scan
/// by time after `id` vanished reports none of them twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    pub(crate) id: String,
    pub(crate) created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) peers: Vec<String>,
}

/// A change to the state: what one event (or one silent step of a poll)
/// means for what the watch remembers. The poll and the stream apply the
/// same changes, the poll as it reads and the stream as it yields, so the
/// state committed is exactly what was yielded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A run seen for the first time (`Started`): the newest seen, and
    /// tracked while its status is not final.
    Seen {
        id: String,
        created_at: Timestamp,
        status: RunStatus,
    },
    /// A tracked run in another status that is not final (`Changed`).
    Moved { id: String, status: RunStatus },
    /// A run no longer tracked: finished (`Finished`), or gone.
    Ended { id: String },
    /// The start was applied, from `baseline` (the newest run then) when
    /// starting now.
    Began {
        baseline: Option<(String, Timestamp)>,
    },
}

/// What a watch remembers between polls (see the module docs). Saved as
/// JSON by a [`StateStore`](crate::StateStore); opaque but for its
/// accessors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchState {
    version: u32,
    collection: String,
    /// Whether the start (`StartAt`) was applied.
    started: bool,
    pub(crate) newest: Option<Mark>,
    /// Runs seen and not finished: id -> last status.
    pub(crate) in_flight: BTreeMap<String, RunStatus>,
}

impl WatchState {
    pub(crate) fn new(collection: &str) -> Self {
        Self {
            version: VERSION,
            collection: collection.to_owned(),
            started: false,
            newest: None,
            in_flight: BTreeMap::new(),
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
        self.newest.as_ref().map(|m| m.id.as_str())
    }

    /// The runs seen and not finished, with their last status.
    pub fn in_flight(&self) -> impl Iterator<Item = (&str, &RunStatus)> {
        self.in_flight
            .iter()
            .map(|(id, status)| (id.as_str(), status))
    }

    pub(crate) fn is_started(&self) -> bool {
        self.started
    }

    /// Applies `change`: the one way the state moves.
    pub(crate) fn apply(&mut self, change: &Change) {
        match change {
            Change::Seen {
                id,
                created_at,
                status,
            } => {
                self.advance(id, *created_at);
                if !status.is_terminal() {
                    self.in_flight.insert(id.clone(), status.clone());
                }
            }
            Change::Moved { id, status } => {
                if let Some(last) = self.in_flight.get_mut(id) {
                    *last = status.clone();
                }
            }
            Change::Ended { id } => {
                self.in_flight.remove(id);
            }
            Change::Began { baseline } => {
                if let Some((id, created_at)) = baseline {
                    self.advance(id, *created_at);
                }
                self.started = true;
            }
        }
    }

    /// Whether run `id` was reported already, as far as the state knows.
    pub(crate) fn knows(&self, id: &str) -> bool {
        self.in_flight.contains_key(id)
            || self
                .newest
                .as_ref()
                .is_some_and(|m| m.id == id || m.peers.iter().any(|p| p == id))
    }

    /// Makes run `id`, created at `created_at`, the newest seen.
    fn advance(&mut self, id: &str, created_at: Timestamp) {
        match &mut self.newest {
            Some(mark) if mark.created_at == created_at => {
                let previous = std::mem::replace(&mut mark.id, id.to_owned());
                mark.peers.push(previous);
            }
            _ => {
                self.newest = Some(Mark {
                    id: id.to_owned(),
                    created_at,
                    peers: Vec::new(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_keeps_the_runs_of_one_instant() {
        let t1: Timestamp = "2026-10-01 12:00:00+00".parse().unwrap();
        let t2: Timestamp = "2026-10-01 12:00:01+00".parse().unwrap();
        let mut s = WatchState::new("automations/a/runs");
        let seen = |id: &str, at| Change::Seen {
            id: id.into(),
            created_at: at,
            status: RunStatus::Completed,
        };
        s.apply(&seen("r1", t1));
        s.apply(&seen("r2", t1));
        assert!(s.knows("r1") && s.knows("r2") && !s.knows("r3"));
        assert_eq!(s.newest_run(), Some("r2"));
        s.apply(&seen("r3", t2));
        assert!(!s.knows("r1"), "peers of an older instant are dropped");
        assert_eq!(s.newest.as_ref().unwrap().peers, Vec::<String>::new());
    }

    #[test]
    fn each_change_moves_the_state_as_its_event_says() {
        let t1: Timestamp = "2026-10-01 12:00:00+00".parse().unwrap();
        let mut s = WatchState::new("automations/a/runs");
        assert!(!s.is_started());
        s.apply(&Change::Began {
            baseline: Some(("r0".into(), t1)),
        });
        assert!(s.is_started() && s.knows("r0") && s.in_flight.is_empty());
        s.apply(&Change::Seen {
            id: "r1".into(),
            created_at: t1,
            status: RunStatus::Running,
        });
        s.apply(&Change::Seen {
            id: "r2".into(),
            created_at: t1,
            status: RunStatus::Failed,
        });
        let tracked: Vec<_> = s.in_flight().collect();
        assert_eq!(
            tracked,
            [("r1", &RunStatus::Running)],
            "final runs are not tracked"
        );
        s.apply(&Change::Moved {
            id: "r1".into(),
            status: RunStatus::Unknown("waiting".into()),
        });
        s.apply(&Change::Moved {
            id: "nobody".into(),
            status: RunStatus::Running,
        });
        let tracked: Vec<_> = s.in_flight().collect();
        assert_eq!(tracked, [("r1", &RunStatus::Unknown("waiting".into()))]);
        s.apply(&Change::Ended { id: "r1".into() });
        assert_eq!(s.in_flight().count(), 0);
        assert!(s.knows("r1") && s.knows("r2"), "still known by the mark");
    }

    #[test]
    fn a_state_resumes_only_its_own_collection_and_version() {
        let s = WatchState::new("automations/a/runs");
        assert!(s.check("automations/a/runs").is_ok());
        let e = s.check("automations/b/runs").unwrap_err();
        assert_eq!(
            e.kind(),
            &WatchErrorKind::StateMismatch {
                expected: "automations/b/runs".into(),
                found: "automations/a/runs".into()
            }
        );
        let mut json = serde_json::to_value(&s).unwrap();
        json["version"] = 2.into();
        let future: WatchState = serde_json::from_value(json).unwrap();
        assert_eq!(
            future.check("automations/a/runs").unwrap_err().kind(),
            &WatchErrorKind::StateVersion { found: 2 }
        );
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let mut s = WatchState::new("workflows/w/runs");
        s.apply(&Change::Began {
            baseline: Some(("r1".into(), "2026-10-01T12:00:00Z".parse().unwrap())),
        });
        s.in_flight
            .insert("r0".into(), RunStatus::Unknown("paused".into()));
        s.in_flight.insert("r1".into(), RunStatus::Running);
        let json = serde_json::to_string(&s).unwrap();
        // Statuses are saved as the wire has them.
        assert!(json.contains(r#"{"r0":"paused","r1":"running"}"#), "{json}");
        let back: WatchState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let in_flight: Vec<_> = back.in_flight().collect();
        assert_eq!(
            in_flight,
            [
                ("r0", &RunStatus::Unknown("paused".into())),
                ("r1", &RunStatus::Running)
            ]
        );
    }
}
