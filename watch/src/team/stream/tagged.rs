//! One automation's watch as the team's stream merges it: each item tagged
//! with its automation, and its end told once. The watch stays reachable,
//! so that a shutdown commits what it yielded.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures::{Stream, StreamExt};

use crate::error::Error;
use crate::event::RunEvent;
use crate::stream::WatchStream;
use resend_workflows::AutomationRunListItem;

/// What one automation's watch yields, tagged.
pub(super) enum Tagged {
    Item(String, Result<RunEvent<AutomationRunListItem>, Error>),
    /// Its watch ended (after the error that ended it).
    End(String),
}

/// One automation's watch, tagged; `None` once ended (told) or stopped.
pub(super) struct Tagging {
    pub(super) automation: String,
    watch: Option<WatchStream<AutomationRunListItem>>,
    /// Wakes the merged stream to drop this one, once stopped.
    waker: Option<Waker>,
}

impl Tagging {
    pub(super) fn new(automation: String, watch: WatchStream<AutomationRunListItem>) -> Self {
        Self {
            automation,
            watch: Some(watch),
            waker: None,
        }
    }

    /// The watch, taken out (to shut it down, or to drop it): the tagging
    /// ends, untold.
    pub(super) fn stop(&mut self) -> Option<WatchStream<AutomationRunListItem>> {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        self.watch.take()
    }
}

impl Tagging {
    /// Stops the watch of an automation the team no longer watches and
    /// shuts it down on a task of its own: shut down, not dropped, so that
    /// its last commit saves what it yielded (every item of it was
    /// delivered: the team's queue is drained before its automations are
    /// polled) and the next holder does not tell those events again; then
    /// its lease is given back.
    pub(super) fn retire(&mut self) {
        let Some(watch) = self.stop() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(_e) = watch.shutdown().await {
                crate::trace::event!(
                    tracing::Level::WARN,
                    error = %_e,
                    "an automation no longer watched: its last commit failed, and its events since the one before may be told again"
                );
            }
        });
    }
}

impl Stream for Tagging {
    type Item = Tagged;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Tagged>> {
        let this = self.get_mut();
        let Some(watch) = this.watch.as_mut() else {
            return Poll::Ready(None);
        };
        if !this.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            this.waker = Some(cx.waker().clone());
        }
        match watch.poll_next_unpin(cx) {
            Poll::Ready(Some(item)) => {
                Poll::Ready(Some(Tagged::Item(this.automation.clone(), item)))
            }
            Poll::Ready(None) => {
                this.watch = None;
                Poll::Ready(Some(Tagged::End(this.automation.clone())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
