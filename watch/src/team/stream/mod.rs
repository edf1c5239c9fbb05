//! The team watch's stream: the automations' watches merged, each item
//! tagged with its automation, and the look at the team's automations
//! that starts and drops them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use futures::stream::SelectAll;
use futures::{FutureExt, Stream, StreamExt};
use tokio::time::Sleep;

use super::config::TeamConfig;
use super::discover::FirstLook;
use super::event::{Removal, TeamError, TeamEvent};
use crate::error::{Error, WatchErrorKind};
use crate::event::StartAt;
use crate::fair_share::FairShare;
use crate::launch::{InTeam, launch};
use crate::stats::Stats;
use crate::store::{Members, StateStore};
use crate::watched::Watched;
use resend_workflows::AutomationId;
use resend_workflows::AutomationListItem;
use resend_workflows::AutomationRuns;
use resend_workflows::Client;
use resend_workflows::{ApiErrorKind, BadRecord};
use resend_workflows::{Lane, LaneTicket, Priority};
use tagged::{Tagged, Tagging};

/// A watched automation (its watch is in the merged streams).
struct Automation {
    stats: Option<Arc<Stats>>,
    /// The key of its state and lease, as the replica's fair share counts it.
    lease_key: String,
}

/// The look at the team's automations: waiting for its time, or listing.
/// What a look at the team listed: the automations, and the records that
/// did not decode.
type Found = (Vec<AutomationListItem>, Vec<BadRecord>);

enum Look {
    Waiting(Pin<Box<Sleep>>),
    Listing(BoxFuture<'static, Result<Found, Error>>),
}

mod look;
mod members;
pub(super) mod open;
mod tagged;

/// What opening a team watch made of its set and options (`open.rs`).
struct Opened {
    /// The store, its calls bounded by a store call's deadline.
    store: Arc<dyn StateStore>,
    /// Who holds every automation's lease.
    holder: String,
    /// What it watches, as its replicas tell the store.
    watching: String,
    /// The lane every automation's watch spends from.
    lane: Arc<Lane>,
}

/// This replica's membership, renewed by a task of its own: its answers,
/// and the task (ended when dropped).
struct Membership {
    answers: tokio::sync::mpsc::UnboundedReceiver<Result<Option<Members>, Error>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Inner {
    client: Client,
    config: TeamConfig,
    /// What it watches, as its replicas tell the store (`watching`).
    watching: String,
    /// The store, each call ending by the deadline of a store call: for
    /// the membership (each automation's watch bounds its own calls).
    store: Arc<dyn StateStore>,
    holder: String,
    lane: Arc<Lane>,
    /// The client whose every attempt takes a turn of the budget.
    paced: Client,
    streams: SelectAll<Tagging>,
    automations: HashMap<String, Automation>,
    queue: VecDeque<Result<TeamEvent, TeamError>>,
    /// `None`: a given set, not looked for again.
    look: Option<Look>,
    /// This replica's share of the automations' leases.
    fair_share: Arc<FairShare>,
    /// This replica's membership, renewed from the first poll on; `None`
    /// before it, and once the store said it is not shared by replicas.
    membership: Option<Membership>,
    /// Whether the membership is to start (at the first poll).
    membership_due: bool,
    /// The live replicas watching the same automations, at the last count
    /// (`None`: not counted yet).
    live: Option<usize>,
    /// What the first look listed (server times only), once it was made.
    first_look: Option<FirstLook>,
}

/// The events of a team watch: `Item = Result<TeamEvent, TeamError>`,
/// every item naming its automation. It never ends on its own (a given
/// set ends when every automation of it is gone); an error is an item
/// and the watch goes on. Dropped, each automation's lease is given back
/// (best effort, as a [`WatchStream`](crate::WatchStream)'s), and the
/// replica leaves its group in the store
/// ([`MembershipStore::leave`](crate::MembershipStore::leave)).
#[must_use = "streams do nothing unless polled"]
pub struct TeamStream {
    inner: Option<Box<Inner>>,
    failed: Option<Error>,
}

impl std::fmt::Debug for TeamStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamStream")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a team watch has done so far: see [`TeamStream::stats`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TeamStats {
    /// Automations watched now.
    pub automations: usize,
    /// Polls done, all automations together (of those watched now).
    pub polls: u64,
    /// Requests sent, all automations and the looks at them together.
    pub requests: u64,
    /// The most any watched automation's last poll started late.
    pub lag: Duration,
    /// Automations whose lease this replica holds (the others wait for
    /// it, or are polled by another replica).
    pub leases: usize,
    /// Each watched automation's last successful poll here (see
    /// [`WatchStats::last_success`](crate::WatchStats::last_success)), by
    /// id: `None` until this replica has polled it successfully. On
    /// several replicas, only the one holding an automation's lease polls
    /// it: a liveness alert takes the latest over the replicas.
    pub last_success: BTreeMap<String, Option<SystemTime>>,
}

impl TeamStream {
    fn start(
        client: &Client,
        config: TeamConfig,
        set: Option<Vec<AutomationId>>,
        opened: Opened,
    ) -> Self {
        let Opened {
            store,
            holder,
            watching,
            lane,
        } = opened;
        let paced = client.with_lane(LaneTicket::new(Arc::clone(&lane), Priority::Urgent));
        let look = match set {
            Some(_) => None,
            None => Some(Look::Waiting(Box::pin(tokio::time::sleep(Duration::ZERO)))),
        };
        let mut inner = Inner {
            client: client.clone(),
            config,
            watching,
            store,
            holder,
            lane,
            paced,
            streams: SelectAll::new(),
            automations: HashMap::new(),
            queue: VecDeque::new(),
            look,
            fair_share: Arc::new(FairShare::default()),
            membership: None,
            membership_due: true,
            live: None,
            first_look: None,
        };
        for id in set.into_iter().flatten() {
            let start = inner.config.watch.start;
            inner.add(&id, start);
        }
        Self {
            inner: Some(Box::new(inner)),
            failed: None,
        }
    }

    fn failed(error: Error) -> Self {
        Self {
            inner: None,
            failed: Some(error),
        }
    }

    /// What the watch has done so far: the automations it watches, their
    /// polls and requests, the most any of them is behind, and when each
    /// was last polled successfully here.
    pub fn stats(&self) -> TeamStats {
        let Some(inner) = &self.inner else {
            return TeamStats::default();
        };
        let mut stats = TeamStats {
            automations: inner.automations.len(),
            requests: inner.lane.spent(),
            leases: inner.fair_share.count(),
            ..TeamStats::default()
        };
        for (id, automation) in &inner.automations {
            let one = automation.stats.as_ref().map(|s| s.snapshot());
            if let Some(one) = one {
                stats.polls += one.polls;
                stats.lag = stats.lag.max(one.lag);
            }
            let last = one.and_then(|one| one.last_success);
            stats.last_success.insert(id.clone(), last);
        }
        stats
    }
}

impl Inner {
    /// Starts watching `id` from its state, or else from `start`.
    fn add(&mut self, id: &AutomationId, start: StartAt) {
        let key = id.to_string();
        let team = InTeam {
            lane: Arc::clone(&self.lane),
            max_staleness: self.config.max_staleness,
            fair_share: Arc::clone(&self.fair_share),
            start,
        };
        let (config, holder) = (&self.config.watch, self.holder.clone());
        let events = launch::<AutomationRuns>(&self.client, id.clone(), config, holder, Some(team));
        let stats = events.stats_handle();
        self.streams.push(Tagging::new(key.clone(), events));
        let lease_key = AutomationRuns::state_key(id);
        let automation = Automation { stats, lease_key };
        self.automations.insert(key.clone(), automation);
        self.reshare();
        self.queue.push_back(Ok(TeamEvent::Added {
            automation: key,
            start,
        }));
    }

    /// Stops watching `id`: its watch shut down on a task, as a clean
    /// shutdown does. What it yielded the consumer handled (it asks for
    /// the next item now), so that is committed, even in mid-poll (a
    /// dropped watch left its last events uncommitted, and the next watch
    /// of the automation told them again); then its lease is given back.
    fn remove(&mut self, id: &str, reason: Removal) {
        if let Some(automation) = self.automations.remove(id) {
            if let Some(tagging) = self.streams.iter_mut().find(|t| t.automation == id) {
                tagging.retire();
            }
            self.fair_share.left(&automation.lease_key);
        }
        self.reshare();
        self.queue.push_back(Ok(TeamEvent::Removed {
            automation: id.to_owned(),
            reason,
        }));
    }

    /// One automation's item, tagged and queued.
    fn tagged(&mut self, tagged: Tagged) {
        match tagged {
            Tagged::Item(id, Ok(event)) => self.queue.push_back(Ok(TeamEvent::Run {
                automation: id,
                event,
            })),
            Tagged::Item(id, Err(Error::Watch(e)))
                if matches!(e.kind(), WatchErrorKind::CollectionNotFound { .. }) =>
            {
                self.remove(&id, Removal::Deleted);
            }
            // Its runs' listing answered 404: deleted, most likely. The
            // next poll confirms it (and it is removed) or the next look
            // does; not an error of the team's.
            Tagged::Item(_, Err(e))
                if e.as_api()
                    .is_some_and(|a| a.kind() == &ApiErrorKind::NotFound) => {}
            Tagged::Item(id, Err(e)) => self.queue.push_back(Err(TeamError::new(Some(id), e))),
            // Its watch ended (a lease another replica took, say): the
            // next look starts it again if it is still there.
            Tagged::End(id) => {
                if let Some(automation) = self.automations.remove(&id) {
                    self.fair_share.left(&automation.lease_key);
                }
            }
        }
    }
}

impl TeamStream {
    /// Ends the team watch cleanly: every automation's watch commits the
    /// state of what it yielded (the consumer says it handled it all) and
    /// gives its lease back, as [`WatchStream::shutdown`](crate::WatchStream::shutdown)
    /// does, in the middle of a poll too; the replica's membership stops.
    /// A deploy then repeats nothing, and the next replica starts at once.
    ///
    /// # Errors
    /// The first automation whose last commit or release failed (every
    /// one is shut down whatever the others do; a lease not given back
    /// lapses after its time-to-live, and the events since its last
    /// commit may be delivered again).
    pub async fn shutdown(mut self) -> Result<(), TeamError> {
        let Some(mut inner) = self.inner.take() else {
            return Ok(());
        };
        inner.membership = None;
        let watches: Vec<_> = inner
            .streams
            .iter_mut()
            .filter_map(|t| Some((t.automation.clone(), t.stop()?)))
            .collect();
        let done = futures::future::join_all(watches.into_iter().map(|(id, watch)| async move {
            watch
                .shutdown()
                .await
                .map_err(|e| TeamError::new(Some(id), e))
        }))
        .await;
        done.into_iter().find_map(Result::err).map_or(Ok(()), Err)
    }
}

impl Stream for TeamStream {
    type Item = Result<TeamEvent, TeamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(this.failed.take().map(|e| Err(TeamError::new(None, e))));
        };
        loop {
            if let Some(item) = inner.queue.pop_front() {
                return Poll::Ready(Some(item));
            }
            // The look: its time come, or its listing answered.
            let looked = match inner.look.as_mut() {
                Some(Look::Waiting(sleep)) => sleep.as_mut().poll(cx).map(|()| None),
                Some(Look::Listing(listing)) => listing.poll_unpin(cx).map(Some),
                None => Poll::Pending,
            };
            if let Poll::Ready(listed) = looked {
                inner.look = Some(match listed {
                    None => Look::Listing(inner.list()),
                    Some(listed) => {
                        let after = inner.looked(listed);
                        Look::Waiting(Box::pin(tokio::time::sleep(after)))
                    }
                });
                continue;
            }
            if std::mem::take(&mut inner.membership_due) {
                // On the runtime that polls: a task of its own.
                inner.membership = Some(inner.membership());
            }
            if let Some(membership) = inner.membership.as_mut() {
                match membership.answers.poll_recv(cx) {
                    Poll::Ready(Some(live)) => {
                        inner.joined(live);
                        continue;
                    }
                    // The store shares nothing: no membership to keep.
                    Poll::Ready(None) => inner.membership = None,
                    Poll::Pending => {}
                }
            }
            match inner.streams.poll_next_unpin(cx) {
                Poll::Ready(Some(tagged)) => inner.tagged(tagged),
                // No automation watched now: wait for the next look; a
                // given set whose automations are all gone is done.
                Poll::Ready(None) if inner.look.is_some() => return Poll::Pending,
                Poll::Ready(None) => {
                    this.inner = None;
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
