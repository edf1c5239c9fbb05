//! `WatchStream`: the stream a consumer polls. It runs the driver one item
//! at a time, and gives the lease back when it is dropped (best effort,
//! bounded in time) or shut down (awaited, after a last commit).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;

use super::event::RunEvent;
use super::keeper::Tenure;
use super::stats::{Stats, WatchStats};
use super::unpolled::Wakeup;
use crate::error::Error;
use crate::metrics;

/// How long a dropped watch tries to give its lease back.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(2);

/// One item of a watch.
pub(super) type Item<R> = Result<RunEvent<R>, Error>;

/// The driver's next item, with the driver back.
pub(super) type Next<R> = BoxFuture<'static, (Box<dyn Run<R>>, Option<Item<R>>)>;

/// What a watch's driver does, whatever collection it watches.
pub(super) trait Run<R>: Send {
    /// The next item, and the driver back.
    fn next(self: Box<Self>) -> Next<R>;
    /// Commits what was yielded and gives the lease back.
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>>;
}

/// Who holds the lease, shared by the stream and its driver: the lease is
/// given back when the last of them goes, if still held.
#[derive(Debug)]
pub(super) struct Handle {
    pub(super) tenure: Tenure,
    pub(super) held: Held,
    /// Asks the driver to stop where it is (a shutdown in mid-poll): it
    /// returns no item, and what it yielded is committed.
    pub(super) stop: tokio::sync::Notify,
}

/// The token of the lease's take while the watch holds it: its renewals,
/// commits and release pass it, so they never touch a later take (a
/// successor's, under the same name). Whether it is held is the metrics'
/// lease gauge, labelled with the automation.
#[derive(Debug)]
pub(super) struct Held {
    token: Mutex<Option<u64>>,
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    automation: Arc<str>,
}

impl Held {
    /// Not held yet, the lease of `automation`'s watch.
    pub(super) fn new(automation: Arc<str>) -> Self {
        Self {
            token: Mutex::new(None),
            automation,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<u64>> {
        self.token.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held with `token`, or (`None`) not held.
    pub(super) fn set(&self, token: Option<u64>) {
        *self.lock() = token;
        self.gauge(token.is_some());
    }

    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    fn gauge(&self, held: bool) {
        metrics::gauge!(
            metrics::WATCH_LEASE_HELD,
            f64::from(u8::from(held)),
            "automation" => Arc::clone(&self.automation)
        );
    }

    /// The token, while held.
    pub(super) fn token(&self) -> Option<u64> {
        *self.lock()
    }

    /// The token, while held; not held from now on.
    pub(super) fn take(&self) -> Option<u64> {
        let token = self.lock().take();
        self.gauge(false);
        token
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let Some(token) = self.held.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tenure = self.tenure.clone();
        runtime.spawn(async move {
            let release = tenure.store.release(&tenure.key, &tenure.holder, token);
            let _ = tokio::time::timeout(RELEASE_TIMEOUT, release).await;
        });
    }
}

enum State<R> {
    Idle(Box<dyn Run<R>>),
    Busy(Next<R>),
    /// An invalid watch's error, yielded once.
    Failed(Option<Error>),
    Done,
}

/// The events of a watch: `Item = Result<RunEvent<R>, Error>`. A failed
/// poll is an item and the watch goes on; [`Error::ends_watch`] says which
/// error is the last item. See
/// [`WatchClient::watch_automation_runs`](crate::WatchClient::watch_automation_runs) and
/// the crate's README for the guarantees.
///
/// Dropped, it gives its lease back (best effort: within 2 s, if a tokio
/// runtime is still there), so a restart takes over at once;
/// [`shutdown`](Self::shutdown) does it for sure, after committing what
/// was yielded.
#[must_use = "streams do nothing unless polled"]
pub struct WatchStream<R> {
    state: State<R>,
    holder: String,
    handle: Option<Arc<Handle>>,
    stats: Option<Arc<Stats>>,
    /// Tells the lease keeper when the driver's work waits for a poll.
    wakeup: Arc<Wakeup>,
    waker: Waker,
}

impl<R> WatchStream<R> {
    pub(super) fn new(
        driver: Box<dyn Run<R>>,
        handle: Arc<Handle>,
        stats: Arc<Stats>,
        wakeup: Arc<Wakeup>,
    ) -> Self {
        Self {
            holder: handle.tenure.holder.clone(),
            state: State::Idle(driver),
            handle: Some(handle),
            stats: Some(stats),
            waker: wakeup.waker(),
            wakeup,
        }
    }

    /// A stream that yields `error` and ends.
    pub(super) fn failed(error: Error) -> Self {
        let wakeup = Wakeup::new();
        Self {
            state: State::Failed(Some(error)),
            holder: String::new(),
            handle: None,
            stats: None,
            waker: wakeup.waker(),
            wakeup,
        }
    }

    /// The shared counters behind [`stats`](Self::stats).
    pub(super) fn stats_handle(&self) -> Option<Arc<Stats>> {
        self.stats.clone()
    }

    /// What the watch has done so far: its polls, the requests they sent,
    /// how far behind its interval it is (also a `tracing` warning, with
    /// the `tracing` feature, when more than an interval), and when its
    /// last successful poll ended (for a liveness check). With the
    /// `metrics` feature, the same figures are recorded as metrics
    /// ([`crate::metrics`]).
    pub fn stats(&self) -> WatchStats {
        self.stats
            .as_ref()
            .map_or_else(WatchStats::default, |s| s.snapshot())
    }

    /// This watcher's id in the store's lease.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Ends the watch cleanly: commits the state of every event yielded so
    /// far (the consumer says it has handled them all) and gives the lease
    /// back, so the next process (or the next deploy of this one) starts
    /// at once, where this one stopped. A call in the middle of a poll
    /// (its `next` cancelled, or a team's automation between two items)
    /// stops the poll where it is and commits what was yielded.
    ///
    /// # Errors
    /// When the last commit or the release fails (the lease then lapses
    /// after its time-to-live, and the events since the last commit may be
    /// delivered again).
    pub async fn shutdown(mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Idle(driver) => driver.shutdown().await,
            // A poll was under way: the driver stops where it is (what it
            // found and did not yield is found again by the next watch).
            State::Busy(next) => {
                if let Some(handle) = &self.handle {
                    handle.stop.notify_one();
                }
                let (driver, _none) = next.await;
                driver.shutdown().await
            }
            State::Failed(_) | State::Done => Ok(()),
        }
    }
}

impl<R> std::fmt::Debug for WatchStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl<R: 'static> Stream for WatchStream<R> {
    type Item = Item<R>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        // The driver's work is polled with a waker of its own: woken and
        // not polled again, it is left unpolled (the keeper renews).
        this.wakeup.polled(cx);
        let mut work = Context::from_waker(&this.waker);
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Idle(driver) => this.state = State::Busy(driver.next()),
                State::Busy(mut next) => match next.as_mut().poll(&mut work) {
                    Poll::Pending => {
                        this.state = State::Busy(next);
                        return Poll::Pending;
                    }
                    Poll::Ready((driver, item)) => {
                        if let (Some(item), Some(stats)) = (&item, &this.stats) {
                            stats.yielded(item);
                        }
                        if item.is_some() {
                            this.state = State::Idle(driver);
                        } else {
                            this.handle = None;
                        }
                        return Poll::Ready(item);
                    }
                },
                State::Failed(error) => return Poll::Ready(error.map(Err)),
                State::Done => return Poll::Ready(None),
            }
        }
    }
}
