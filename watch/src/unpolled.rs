//! Whether a watch's work is left unpolled: its request's answer came (its
//! future was woken) and nobody polled the stream since. A team's consumer
//! busy with one automation's event leaves every other automation's watch
//! so, mid-request; the lease keeper renews meanwhile.

use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use futures::task::AtomicWaker;
use tokio::sync::watch;

/// Wakes a stream's consumer for its watch's work, and notes that the work
/// waits for a poll until the stream is polled again.
#[derive(Debug)]
pub(crate) struct Wakeup {
    consumer: AtomicWaker,
    unpolled: watch::Sender<bool>,
}

impl Wakeup {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            consumer: AtomicWaker::new(),
            unpolled: watch::Sender::new(false),
        })
    }

    /// Whether the work is left unpolled, as it changes.
    pub(crate) fn unpolled(&self) -> Unpolled {
        Unpolled(self.unpolled.subscribe())
    }

    /// The stream is polled with `cx`: the work is driven again. Poll it
    /// with [`waker`](Self::waker).
    pub(crate) fn polled(&self, cx: &Context<'_>) {
        self.unpolled
            .send_if_modified(|v| std::mem::replace(v, false));
        self.consumer.register(cx.waker());
    }

    /// The waker to poll the work with.
    pub(crate) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }
}

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.unpolled
            .send_if_modified(|v| !std::mem::replace(v, true));
        self.consumer.wake();
    }
}

/// Whether a watch's work is left unpolled: see [`Wakeup::unpolled`].
#[derive(Debug)]
pub(crate) struct Unpolled(watch::Receiver<bool>);

impl Unpolled {
    /// Whether it is now.
    pub(crate) fn now(&self) -> bool {
        *self.0.borrow()
    }

    /// Until that changes (never, once the stream is gone).
    pub(crate) async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_leaves_the_work_unpolled_until_the_stream_is_polled() {
        let wakeup = Wakeup::new();
        let seen = wakeup.unpolled();
        let cx = Context::from_waker(Waker::noop());
        assert!(!seen.now());
        wakeup.polled(&cx);
        let waker = wakeup.waker();
        waker.wake_by_ref();
        assert!(seen.now());
        waker.wake_by_ref();
        assert!(seen.now());
        wakeup.polled(&cx);
        assert!(!seen.now());
    }
}
