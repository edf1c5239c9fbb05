//! The look at the team's automations: the listing, on the budget, and
//! what it changes (watches started and dropped).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};

use super::{Found, Inner};
use crate::error::Error;
use crate::team::discover::{FirstLook, Listed, changes};
use crate::team::event::TeamError;
use resend_workflows::AutomationId;

impl Inner {
    /// The listing of the team's automations, all pages, on the budget:
    /// what decoded, and the records that did not.
    pub(super) fn list(&self) -> BoxFuture<'static, Result<Found, Error>> {
        let client = self.paced.clone();
        async move {
            let mut pages = client.list_automations().pages();
            let (mut listed, mut bad) = (Vec::new(), Vec::new());
            while let Some(mut page) = pages.try_next().await? {
                bad.append(&mut page.take_bad());
                listed.append(&mut page.into_items());
            }
            Ok((listed, bad))
        }
        .boxed()
    }

    /// What a look found: watches started and dropped. The next look in
    /// a discovery interval, or a poll interval after one that failed.
    pub(super) fn looked(&mut self, listed: Result<Found, Error>) -> Duration {
        let (listed, bad) = match listed {
            Ok(listed) => listed,
            Err(e) => {
                self.queue.push_back(Err(TeamError::new(None, e)));
                return self
                    .config
                    .watch
                    .poll_interval
                    .min(self.config.discovery_interval);
            }
        };
        let mut ids = HashMap::new();
        let mut seen = Vec::with_capacity(listed.len());
        for a in listed {
            match AutomationId::parse_for("automation_id", &a.id) {
                Ok(id) => {
                    ids.insert(a.id.clone(), id);
                    seen.push(Listed {
                        id: a.id,
                        status: a.status,
                        created_at: a.created_at,
                    });
                }
                Err(e) => self
                    .queue
                    .push_back(Err(TeamError::new(Some(a.id), e.into()))),
            }
        }
        // Each record that did not decode: an error item; one watched
        // already stays watched (it is there, only unreadable).
        let mut unreadable = BTreeSet::new();
        for record in bad {
            let id = record.id().map(str::to_owned);
            unreadable.extend(id.clone());
            self.queue.push_back(Err(TeamError::new(id, record.into())));
        }
        let watched: BTreeSet<String> = self.automations.keys().cloned().collect();
        // Disabled ones with runs in flight are kept until those end.
        let following: BTreeSet<String> = self
            .automations
            .iter()
            .filter(|(_, a)| a.stats.as_ref().is_some_and(|s| s.in_flight() > 0))
            .map(|(id, _)| id.clone())
            .collect();
        let start = self.config.watch.start;
        let found = changes(
            &watched,
            &following,
            &seen,
            &unreadable,
            self.first_look,
            start,
        );
        self.first_look.get_or_insert_with(|| FirstLook::of(&seen));
        for (id, reason) in found.remove {
            self.remove(&id, reason);
        }
        for (id, from) in found.add {
            if let Some(parsed) = ids.get(&id) {
                self.add(&parsed.clone(), from);
            }
        }
        self.config.discovery_interval
    }
}
