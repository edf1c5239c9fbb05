//! The team watch's stream: the automations' watches merged, each item
//! tagged with its automation, and the look at the team's automations
//! that starts and drops them.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{AbortHandle, Abortable, BoxFuture};
use futures::stream::{self, BoxStream, SelectAll};
use futures::{FutureExt, Stream, StreamExt, TryStreamExt};
use tokio::time::Sleep;

use super::builder::TeamWatch;
use super::discover::{FirstLook, Listed, changes};
use super::event::{Removal, TeamError, TeamEvent};
use crate::client::Client;
use crate::collections::AutomationRuns;
use crate::error::{ApiErrorKind, BadRecord, Error, WatchErrorKind};
use crate::ids::AutomationId;
use crate::transport::gate::{Lane, LaneTicket, URGENT};
use crate::transport::generated::types::{AutomationListItem, AutomationRunListItem};
use crate::watch::event::{RunEvent, StartAt};
use crate::watch::quota::Quota;
use crate::watch::store::StoreTurns;
use crate::watch::stream::Stats;
use crate::watch::watched::Watched;

/// What one automation's watch yields, tagged.
enum Tagged {
    Item(String, Result<RunEvent<AutomationRunListItem>, Error>),
    /// Its watch ended (after the error that ended it).
    End(String),
}

/// A watched automation.
struct Member {
    abort: AbortHandle,
    stats: Option<Arc<Stats>>,
    /// The key of its state and lease, as the replica's quota counts it.
    lease_key: String,
}

/// This replica's membership of the team's replicas: waiting to renew
/// it, or renewing it (the answer: how many are live, if the store can
/// tell).
enum Join {
    Waiting(Pin<Box<Sleep>>),
    Joining(BoxFuture<'static, Result<Option<usize>, Error>>),
}

/// The look at the team's automations: waiting for its time, or listing.
/// What a look at the team listed: the automations, and the records that
/// did not decode.
type Found = (Vec<AutomationListItem>, Vec<BadRecord>);

enum Look {
    Waiting(Pin<Box<Sleep>>),
    Listing(BoxFuture<'static, Result<Found, Error>>),
}

mod members;

struct Inner {
    settings: TeamWatch,
    holder: String,
    lane: Arc<Lane>,
    /// The client whose every attempt takes a turn of the budget.
    paced: Client,
    streams: SelectAll<Abortable<BoxStream<'static, Tagged>>>,
    members: HashMap<String, Member>,
    queue: VecDeque<Result<TeamEvent, TeamError>>,
    /// `None`: a given set, not looked for again.
    look: Option<Look>,
    /// This replica's share of the automations' leases.
    quota: Arc<Quota>,
    /// `None`: the store is not shared by replicas.
    join: Option<Join>,
    /// The live replicas, at the last count (`None`: not counted yet).
    live: Option<usize>,
    /// What the first look listed (server times only), once it was made.
    first_look: Option<FirstLook>,
}

/// The events of a team watch: `Item = Result<TeamEvent, TeamError>`,
/// every item naming its automation. It never ends on its own (a given
/// set ends when every automation of it is gone); an error is an item
/// and the watch goes on. Dropped, each automation's lease is given back
/// (best effort, as a [`WatchStream`](crate::WatchStream)'s).
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

impl TeamStream {
    pub(super) fn start(
        settings: TeamWatch,
        holder: String,
        set: Option<Vec<AutomationId>>,
        lane: Arc<Lane>,
    ) -> Self {
        let paced = settings
            .client
            .with_lane(LaneTicket::new(Arc::clone(&lane), URGENT));
        let look = match set {
            Some(_) => None,
            None => Some(Look::Waiting(Box::pin(tokio::time::sleep(Duration::ZERO)))),
        };
        let mut inner = Inner {
            settings,
            holder,
            lane,
            paced,
            streams: SelectAll::new(),
            members: HashMap::new(),
            queue: VecDeque::new(),
            look,
            quota: Arc::new(Quota::default()),
            join: Some(Join::Waiting(Box::pin(tokio::time::sleep(Duration::ZERO)))),
            live: None,
            first_look: None,
        };
        for id in set.into_iter().flatten() {
            let start = inner.settings.start;
            inner.add(&id, start);
        }
        Self {
            inner: Some(Box::new(inner)),
            failed: None,
        }
    }

    pub(super) fn failed(error: Error) -> Self {
        Self {
            inner: None,
            failed: Some(error),
        }
    }

    /// What the watch has done so far: the automations it watches, their
    /// polls and requests, and the most any of them is behind.
    pub fn stats(&self) -> TeamStats {
        let Some(inner) = &self.inner else {
            return TeamStats::default();
        };
        let mut stats = TeamStats {
            automations: inner.members.len(),
            requests: inner.lane.spent(),
            leases: inner.quota.count(),
            ..TeamStats::default()
        };
        for member in inner.members.values() {
            if let Some(s) = &member.stats {
                let one = s.snapshot();
                stats.polls += one.polls;
                stats.lag = stats.lag.max(one.lag);
            }
        }
        stats
    }
}

impl Inner {
    /// Starts watching `id` from its state, or else from `start`.
    fn add(&mut self, id: &AutomationId, start: StartAt) {
        let key = id.to_string();
        let watch = self.settings.watch(id, start, Some(&self.holder));
        let max_staleness = Some(self.settings.max_staleness);
        let events = watch.stream_with(
            Some(Arc::clone(&self.lane)),
            max_staleness,
            Some(Arc::clone(&self.quota)),
        );
        let stats = events.stats_handle();
        let (tag, end) = (key.clone(), key.clone());
        let tagged = events
            .map(move |item| Tagged::Item(tag.clone(), item))
            .chain(stream::once(async move { Tagged::End(end) }))
            .boxed();
        let (abort, registration) = AbortHandle::new_pair();
        self.streams.push(Abortable::new(tagged, registration));
        let lease_key = AutomationRuns::state_key(id);
        let member = Member {
            abort,
            stats,
            lease_key,
        };
        self.members.insert(key.clone(), member);
        self.reshare();
        self.queue.push_back(Ok(TeamEvent::Added {
            automation: key,
            start,
        }));
    }

    /// Stops watching `id` (its stream dropped, its lease given back).
    fn remove(&mut self, id: &str, reason: Removal) {
        if let Some(member) = self.members.remove(id) {
            member.abort.abort();
            self.quota.left(&member.lease_key);
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
                if let Some(member) = self.members.remove(&id) {
                    self.quota.left(&member.lease_key);
                }
            }
        }
    }

    /// The listing of the team's automations, all pages, on the budget:
    /// the automations, and the records that did not decode (a bad record
    /// is an item, not a failed look).
    fn list(&self) -> BoxFuture<'static, Result<Found, Error>> {
        let client = self.paced.clone();
        async move {
            let mut pages = client.list_automations().pages();
            let (mut listed, mut bad) = (Vec::new(), Vec::new());
            while let Some(mut page) = pages.try_next().await? {
                bad.append(&mut page.take_bad());
                listed.append(&mut page.items);
            }
            Ok((listed, bad))
        }
        .boxed()
    }

    /// What a look found: watches started and dropped. The next look in
    /// a discovery interval, or a poll interval after one that failed.
    fn looked(&mut self, listed: Result<Found, Error>) -> Duration {
        let (listed, bad) = match listed {
            Ok(listed) => listed,
            Err(e) => {
                self.queue.push_back(Err(TeamError::new(None, e)));
                return self
                    .settings
                    .poll_interval
                    .min(self.settings.discovery_interval);
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
        let watched: BTreeSet<String> = self.members.keys().cloned().collect();
        let start = self.settings.start;
        let found = changes(&watched, &seen, &unreadable, self.first_look, start);
        self.first_look.get_or_insert_with(|| FirstLook::of(&seen));
        for (id, reason) in found.remove {
            self.remove(&id, reason);
        }
        for (id, from) in found.add {
            if let Some(parsed) = ids.get(&id) {
                self.add(&parsed.clone(), from);
            }
        }
        self.settings.discovery_interval
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
            let joined = match inner.join.as_mut() {
                Some(Join::Waiting(sleep)) => sleep.as_mut().poll(cx).map(|()| None),
                Some(Join::Joining(joining)) => joining.poll_unpin(cx).map(Some),
                None => Poll::Pending,
            };
            if let Poll::Ready(live) = joined {
                inner.join = match live {
                    None => Some(Join::Joining(inner.join())),
                    Some(live) => inner
                        .joined(live)
                        .map(|after| Join::Waiting(Box::pin(tokio::time::sleep(after)))),
                };
                continue;
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

impl TeamWatch {
    /// The events, one stream for every automation: it never ends on its
    /// own; it ends after an error for which [`TeamError::ends_watch`] is
    /// true (an invalid argument, the first item).
    pub fn stream(self) -> TeamStream {
        match self.validate() {
            Ok((holder, set)) => {
                let turns = StoreTurns {
                    store: Arc::clone(&self.store),
                    key: format!("budgets/{}", self.budget_key),
                };
                // A quiet automation waits for its turn no longer than it
                // may go unchecked: then it goes before new urgent ones.
                let lane = Lane::new(format!("team watch {}", self.budget_key), self.budget)
                    .shared(Arc::new(turns))
                    .aging(self.max_staleness);
                TeamStream::start(self, holder, set, Arc::new(lane))
            }
            Err(error) => TeamStream::failed(error),
        }
    }
}
