//! The watch itself: `Watch` (the builder) and `WatchStream`, which holds
//! the lease, polls, yields each poll's events, and commits the state when
//! the consumer asks for the next event after the last one of a poll.

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::stream::BoxStream;

use super::event::{RunEvent, StartAt};
use super::poll::poll;
use super::state::WatchState;
use super::store::{Lease, MemoryStore, StateStore};
use super::watched::Watched;
use crate::client::Client;
use crate::error::{Error, InvalidArgument, InvalidReason, WatchError, WatchErrorKind};

/// The default time between polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The default time-to-live of a watcher's lease: longer than a poll.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);

/// A watch over a collection of runs, to configure: made by
/// [`Client::watch_automation_runs`] or [`Client::watch_workflow_runs`]; nothing is
/// sent until its [`stream`](Self::stream) is polled.
#[must_use = "a watch does nothing until its stream is polled"]
pub struct Watch<C: Watched> {
    client: Client,
    parent: Result<C::Parent, InvalidArgument>,
    poll_interval: Duration,
    lease_ttl: Duration,
    start: StartAt,
    store: Arc<dyn StateStore>,
}

impl<C: Watched> std::fmt::Debug for Watch<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("parent", &self.parent)
            .field("poll_interval", &self.poll_interval)
            .field("lease_ttl", &self.lease_ttl)
            .field("start", &self.start)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl<C: Watched> Watch<C> {
    pub(crate) fn new(client: &Client, parent: Result<C::Parent, InvalidArgument>) -> Self {
        Self {
            client: client.clone(),
            parent,
            poll_interval: DEFAULT_POLL_INTERVAL,
            lease_ttl: DEFAULT_LEASE_TTL,
            start: StartAt::Now,
            store: Arc::new(MemoryStore::new()),
        }
    }

    /// The time between polls, default 5 s. Each poll costs, for
    /// automations, one request when nothing is in flight and one more per
    /// hundred runs in flight (plus one per run that left `running`).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Where a watch with no saved state starts, default [`StartAt::Now`].
    pub fn start(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// Where the state (and the lease) is kept, default a fresh
    /// [`MemoryStore`]. A store shared by several processes (PostgreSQL)
    /// makes them poll once between them, and lose nothing when one dies.
    pub fn store(mut self, store: impl StateStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// How long a watcher's lease lasts unless it polls again, default
    /// 60 s; it must be longer than the poll interval. A waiting watcher
    /// takes over within this time after the holder dies.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    fn validate(&self) -> Result<C::Parent, Error> {
        let parent = self.parent.clone()?;
        let shown = |d: Duration| format!("{d:?}");
        if self.poll_interval.is_zero() {
            let reason = InvalidReason::Unusable {
                why: "a watch must wait between polls",
            };
            return Err(
                InvalidArgument::new("poll_interval", &shown(self.poll_interval), reason).into(),
            );
        }
        if self.lease_ttl <= self.poll_interval {
            let reason = InvalidReason::Unusable {
                why: "the lease must outlast the time between polls",
            };
            return Err(InvalidArgument::new("lease_ttl", &shown(self.lease_ttl), reason).into());
        }
        Ok(parent)
    }

    /// The events, as a stream that never ends on its own: errors are
    /// items, and the watch goes on from its state at the next poll. It
    /// ends only after an invalid argument (the first item), a state saved
    /// for another collection, or a lease taken over by another watcher.
    pub fn stream(self) -> WatchStream<C::Item> {
        let parent = match self.validate() {
            Ok(parent) => parent,
            Err(error) => {
                return WatchStream {
                    inner: Box::pin(futures::stream::once(async move { Err(error) })),
                    holder: String::new(),
                };
            }
        };
        let holder = holder_id();
        let driver = Driver::<C> {
            key: C::state_key(&parent),
            client: self.client,
            parent,
            holder: holder.clone(),
            start: self.start,
            interval: self.poll_interval,
            ttl: self.lease_ttl,
            store: self.store,
            buffer: VecDeque::new(),
            pending: None,
            wait: Duration::ZERO,
            held: false,
            done: false,
        };
        let inner = futures::stream::unfold(driver, |mut driver| async move {
            driver.next().await.map(|item| (item, driver))
        });
        WatchStream {
            inner: Box::pin(inner),
            holder,
        }
    }
}

/// An id for a watcher, unique enough among replicas: the process and a
/// random number.
fn holder_id() -> String {
    let random =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{}-{random:016x}", std::process::id())
}

/// The events of a watch: `Item = Result<RunEvent<R>, Error>`. See
/// [`Watch::stream`] and the crate's README for the guarantees.
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream<R> {
    inner: BoxStream<'static, Result<RunEvent<R>, Error>>,
    holder: String,
}

impl<R> WatchStream<R> {
    /// This watcher's id in the store's lease.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

impl<R> std::fmt::Debug for WatchStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl<R> Stream for WatchStream<R> {
    type Item = Result<RunEvent<R>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The watch's loop, one item at a time.
struct Driver<C: Watched> {
    client: Client,
    parent: C::Parent,
    key: String,
    holder: String,
    start: StartAt,
    interval: Duration,
    ttl: Duration,
    store: Arc<dyn StateStore>,
    /// The current poll's events not yet yielded.
    buffer: VecDeque<Result<RunEvent<C::Item>, Error>>,
    /// The state after the current poll, committed once its events are.
    pending: Option<WatchState>,
    /// How long to wait before asking for the lease again.
    wait: Duration,
    held: bool,
    done: bool,
}

impl<C: Watched> Driver<C> {
    fn lost(&mut self) -> Option<Result<RunEvent<C::Item>, Error>> {
        self.done = true;
        Some(Err(WatchError::new(WatchErrorKind::LeaseLost).into()))
    }

    async fn next(&mut self) -> Option<Result<RunEvent<C::Item>, Error>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            // The consumer asked for more after the last event of a poll:
            // every event yielded is now committed.
            if let Some(state) = self.pending.take() {
                match self
                    .store
                    .commit(&self.key, &self.holder, self.ttl, &state)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return self.lost(),
                    // Not committed: the next poll starts from the last
                    // commit, and may report these events again.
                    Err(e) => return Some(Err(WatchError::store(e).into())),
                }
            }
            tokio::time::sleep(self.wait).await;
            self.wait = self.interval;
            let saved = match self.store.acquire(&self.key, &self.holder, self.ttl).await {
                Ok(Lease::Held(saved)) => saved,
                Ok(Lease::Taken { expires_in, .. }) => {
                    if self.held {
                        return self.lost();
                    }
                    // Waiting: ask again when it expires, or at the next poll.
                    self.wait = expires_in.min(self.interval);
                    continue;
                }
                Err(e) => return Some(Err(WatchError::store(e).into())),
            };
            self.held = true;
            let mut state = saved.unwrap_or_else(|| WatchState::new(&self.key));
            if let Err(e) = state.check(&self.key) {
                self.done = true;
                return Some(Err(e.into()));
            }
            let found = poll::<C>(&self.client, &self.parent, self.start, &mut state).await;
            self.buffer = found.into();
            self.pending = Some(state);
        }
    }
}
