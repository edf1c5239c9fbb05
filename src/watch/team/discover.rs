//! What a look at the team's automations changes: the ones to start
//! watching (and from where), the ones to drop (and why). Synchronous,
//! told what is watched and what was listed.

use std::collections::{BTreeMap, BTreeSet};

use super::event::Removal;
use crate::status::AutomationStatus;
use crate::timestamp::Timestamp;
use crate::watch::event::StartAt;

/// An automation as the listing showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    pub(super) id: String,
    pub(super) status: AutomationStatus,
    pub(super) created_at: Timestamp,
}

/// What one look changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Changes {
    /// Start watching these, from there.
    pub(super) add: Vec<(String, StartAt)>,
    /// Stop watching these.
    pub(super) remove: Vec<(String, Removal)>,
}

/// The changes after a listing showed `listed`, with `watched` watched
/// (`following`: those of them with runs told started and not finished).
/// The automations found at the first look start at `start`; one found
/// later that was created after the watch began (`began`) is new, and
/// every run of it is too: it starts at its beginning. One found later but
/// created before (say, enabled again) starts at `start`. A saved state
/// goes first in every case. A disabled automation is not watched, but
/// one watched is kept while it has runs in flight, so that each is told
/// finished; one in a status the crate does not know is watched (a run is
/// never lost for a word).
pub(super) fn changes(
    watched: &BTreeSet<String>,
    following: &BTreeSet<String>,
    listed: &[Listed],
    first: bool,
    began: Timestamp,
    start: StartAt,
) -> Changes {
    let by_id: BTreeMap<&str, &Listed> = listed.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut out = Changes::default();
    for (id, automation) in &by_id {
        let enabled = automation.status != AutomationStatus::Disabled;
        if enabled && !watched.contains(*id) {
            let from = if !first && automation.created_at >= began {
                StartAt::Beginning
            } else {
                start
            };
            out.add.push(((*id).to_owned(), from));
        }
    }
    for id in watched {
        match by_id.get(id.as_str()) {
            None => out.remove.push((id.clone(), Removal::Deleted)),
            Some(a) if a.status == AutomationStatus::Disabled && !following.contains(id) => {
                out.remove.push((id.clone(), Removal::Disabled));
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from(chrono::DateTime::from_timestamp(secs, 0).unwrap())
    }

    fn listed(id: &str, status: AutomationStatus, created: i64) -> Listed {
        Listed {
            id: id.to_owned(),
            status,
            created_at: at(created),
        }
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_first_look_starts_every_enabled_automation_where_the_user_said() {
        let all = [
            listed("a", AutomationStatus::Enabled, 100),
            listed("b", AutomationStatus::Disabled, 100),
            listed("c", AutomationStatus::Unknown("paused".into()), 100),
        ];
        let got = changes(&set(&[]), &set(&[]), &all, true, at(50), StartAt::Now);
        assert_eq!(
            got,
            Changes {
                add: vec![("a".into(), StartAt::Now), ("c".into(), StartAt::Now)],
                remove: vec![],
            },
            "created after `began` or not, the first look takes the user's start"
        );
    }

    #[test]
    fn a_later_look_starts_a_new_automation_at_its_beginning_and_an_old_one_where_the_user_said() {
        let all = [
            listed("old", AutomationStatus::Enabled, 10),
            listed("new", AutomationStatus::Enabled, 200),
            listed("kept", AutomationStatus::Enabled, 10),
        ];
        let got = changes(
            &set(&["kept"]),
            &set(&[]),
            &all,
            false,
            at(100),
            StartAt::Now,
        );
        assert_eq!(
            got.add,
            [
                ("new".to_owned(), StartAt::Beginning),
                ("old".to_owned(), StartAt::Now)
            ]
        );
        assert!(got.remove.is_empty());
    }

    #[test]
    fn a_deleted_or_disabled_automation_is_dropped_and_says_why() {
        let all = [
            listed("off", AutomationStatus::Disabled, 10),
            listed("on", AutomationStatus::Enabled, 10),
        ];
        let got = changes(
            &set(&["gone", "off", "on"]),
            &set(&[]),
            &all,
            false,
            at(0),
            StartAt::Now,
        );
        assert_eq!(
            got,
            Changes {
                add: vec![],
                remove: vec![
                    ("gone".into(), Removal::Deleted),
                    ("off".into(), Removal::Disabled)
                ],
            }
        );
        assert_eq!(
            changes(&set(&["a"]), &set(&[]), &[], false, at(0), StartAt::Now).remove,
            [("a".to_owned(), Removal::Deleted)],
            "an empty listing drops everything"
        );
    }

    #[test]
    fn a_disabled_automation_with_runs_in_flight_is_kept_until_they_end() {
        let all = [
            listed("off", AutomationStatus::Disabled, 10),
            listed("idle", AutomationStatus::Disabled, 10),
        ];
        let watched = set(&["off", "idle"]);
        let got = changes(&watched, &set(&["off"]), &all, false, at(0), StartAt::Now);
        assert_eq!(got.remove, [("idle".to_owned(), Removal::Disabled)]);
        assert!(got.add.is_empty(), "a disabled one is never started");
        let got = changes(&watched, &set(&[]), &all, false, at(0), StartAt::Now);
        assert_eq!(
            got.remove,
            [
                ("idle".to_owned(), Removal::Disabled),
                ("off".to_owned(), Removal::Disabled)
            ]
        );
        // Deleted, its runs cannot be read: dropped whatever is in flight.
        let got = changes(&watched, &watched, &[], false, at(0), StartAt::Now);
        assert_eq!(got.remove.len(), 2);
    }
}
