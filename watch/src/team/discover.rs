//! What a look at the team's automations changes: the ones to start
//! watching (and from where), the ones to drop (and why). Synchronous,
//! told what is watched and what was listed.

use std::collections::{BTreeMap, BTreeSet};

use super::event::Removal;
use crate::event::StartAt;
use resend_workflows::AutomationStatus;
use resend_workflows::Timestamp;

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

/// What the first look at the team listed, in the server's time: the
/// newest creation time among its automations (`None`: it listed none).
/// An automation created after the first look is newer than every one it
/// listed; one it listed (disabled, say) is not. Only server times are
/// compared: the local clock may read hours off the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FirstLook {
    newest: Option<Timestamp>,
}

impl FirstLook {
    /// What the first look, which listed `listed`, saw.
    pub(super) fn of(listed: &[Listed]) -> Self {
        Self {
            newest: listed.iter().map(|l| l.created_at).max(),
        }
    }

    /// Whether an automation created at `created_at` was created after
    /// the first look.
    fn after(self, created_at: Timestamp) -> bool {
        self.newest.is_none_or(|newest| created_at > newest)
    }
}

/// The changes after a listing showed `listed`, with `watched` watched
/// (`following`: those of them with runs told started and not finished).
/// The automations found at the first look (`first_look` is `None`) start
/// at `start`; one found later that was created after the first look (newer
/// than every automation it listed, by the server's clock) is new, and
/// every run of it is too: it starts at its beginning. One found later but
/// created before (say, enabled again) starts at `start`. A saved state
/// goes first in every case. A disabled automation is not watched, but
/// one watched is kept while it has runs in flight, so that each is told
/// finished; one in a status the crate does not know is watched (a run is
/// never lost for a word).
/// One whose record did not decode (`unreadable`, by id) is there: a
/// watched one stays watched, never taken for deleted.
pub(super) fn changes(
    watched: &BTreeSet<String>,
    following: &BTreeSet<String>,
    listed: &[Listed],
    unreadable: &BTreeSet<String>,
    first_look: Option<FirstLook>,
    start: StartAt,
) -> Changes {
    let by_id: BTreeMap<&str, &Listed> = listed.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut out = Changes::default();
    for (id, automation) in &by_id {
        let enabled = automation.status != AutomationStatus::Disabled;
        if enabled && !watched.contains(*id) {
            let from = match first_look {
                Some(first) if first.after(automation.created_at) => StartAt::Beginning,
                _ => start,
            };
            out.add.push(((*id).to_owned(), from));
        }
    }
    for id in watched {
        match by_id.get(id.as_str()) {
            None if unreadable.contains(id) => {}
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
        let got = changes(&set(&[]), &set(&[]), &all, &set(&[]), None, StartAt::Now);
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
        let first = FirstLook::of(&[listed("kept", AutomationStatus::Enabled, 100)]);
        let got = changes(
            &set(&["kept"]),
            &set(&[]),
            &all,
            &set(&[]),
            Some(first),
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
        let first = Some(FirstLook::of(&all));
        let got = changes(
            &set(&["gone", "off", "on"]),
            &set(&[]),
            &all,
            &set(&[]),
            first,
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
            changes(&set(&["a"]), &set(&[]), &[], &set(&[]), first, StartAt::Now).remove,
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
        let first = Some(FirstLook::of(&all));
        let got = changes(
            &watched,
            &set(&["off"]),
            &all,
            &set(&[]),
            first,
            StartAt::Now,
        );
        assert_eq!(got.remove, [("idle".to_owned(), Removal::Disabled)]);
        assert!(got.add.is_empty(), "a disabled one is never started");
        let got = changes(&watched, &set(&[]), &all, &set(&[]), first, StartAt::Now);
        assert_eq!(
            got.remove,
            [
                ("idle".to_owned(), Removal::Disabled),
                ("off".to_owned(), Removal::Disabled)
            ]
        );
        // Deleted, its runs cannot be read: dropped whatever is in flight.
        let got = changes(&watched, &watched, &[], &set(&[]), first, StartAt::Now);
        assert_eq!(got.remove.len(), 2);
    }

    #[test]
    fn new_is_newer_than_every_automation_the_first_look_listed_by_the_server_s_clock() {
        // The first look listed two; the local clock plays no part.
        let first = FirstLook::of(&[
            listed("a", AutomationStatus::Enabled, 100),
            listed("b", AutomationStatus::Disabled, 200),
        ]);
        let later = [
            listed("a", AutomationStatus::Enabled, 100),
            listed("b", AutomationStatus::Enabled, 200),
            listed("c", AutomationStatus::Enabled, 201),
            listed("d", AutomationStatus::Enabled, 150),
        ];
        let got = changes(
            &set(&["a"]),
            &set(&[]),
            &later,
            &set(&[]),
            Some(first),
            StartAt::Now,
        );
        assert_eq!(
            got.add,
            [
                ("b".to_owned(), StartAt::Now),
                ("c".to_owned(), StartAt::Beginning),
                ("d".to_owned(), StartAt::Now),
            ]
        );
        // A first look that listed nothing: everything found later is new.
        let none = FirstLook::of(&[]);
        let got = changes(
            &set(&[]),
            &set(&[]),
            &later[..1],
            &set(&[]),
            Some(none),
            StartAt::Now,
        );
        assert_eq!(got.add, [("a".to_owned(), StartAt::Beginning)]);
    }

    #[test]
    fn an_automation_whose_record_does_not_decode_is_not_taken_for_deleted() {
        let first = Some(FirstLook::of(&[]));
        let got = changes(
            &set(&["odd", "gone"]),
            &set(&[]),
            &[],
            &set(&["odd", "new"]),
            first,
            StartAt::Now,
        );
        assert_eq!(
            got,
            Changes {
                add: vec![],
                remove: vec![("gone".into(), Removal::Deleted)],
            },
            "odd stays watched; new, unreadable, is not started"
        );
    }
}
