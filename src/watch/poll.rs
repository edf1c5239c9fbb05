//! One poll of a watch: the new runs (a backward traversal from the newest
//! run seen, oldest first), then what became of the runs in flight. Each
//! item a poll queues says how it changes the state ([`Queued::change`]),
//! and the poll moves its state by exactly those changes, so what a poll
//! reports is what its state says was reported.

use futures::{StreamExt, TryStreamExt};

use super::event::{RunEvent, StartAt};
use super::state::{Change, Mark, WatchState};
use super::watched::{Watched, is_gone};
use crate::client::Client;
use crate::collections::ListRequest;
use crate::error::{ApiErrorKind, Error};
use crate::ids::PageSize;
use crate::pagination::{ListItem, RunItem};
use crate::status::RunStatus;

/// One item of a poll, in order: an event, a failure (a watch goes on), or
/// a change of state that yields nothing.
#[derive(Debug)]
pub(crate) enum Queued<R> {
    Event(RunEvent<R>),
    Failed(Error),
    Silent(Change),
}

impl<R: RunItem> Queued<R> {
    /// How the item changes the state, once yielded.
    pub(crate) fn change(&self) -> Option<Change> {
        match self {
            Self::Event(RunEvent::Started(run)) => Some(Change::Seen {
                id: run.item_id().to_owned(),
                created_at: run.created_at(),
                status: run.status().clone(),
            }),
            Self::Event(RunEvent::Changed { run, .. }) => Some(Change::Moved {
                id: run.item_id().to_owned(),
                status: run.status().clone(),
            }),
            Self::Event(RunEvent::Finished(run)) => Some(Change::Ended {
                id: run.item_id().to_owned(),
            }),
            Self::Silent(change) => Some(change.clone()),
            Self::Failed(_) => None,
        }
    }
}

/// What one poll found.
#[derive(Debug)]
pub(crate) struct Polled<R> {
    pub(crate) items: Vec<Queued<R>>,
    /// The collection's listing answered 404 `not_found`.
    pub(crate) missing: bool,
}

impl<R: RunItem> Polled<R> {
    /// Queues `item`, moving `state` by its change.
    fn push(&mut self, state: &mut WatchState, item: Queued<R>) {
        if let Some(change) = item.change() {
            state.apply(&change);
        }
        self.items.push(item);
    }

    /// Queues a failure; a 404 on the listing says the collection is gone.
    fn fail(&mut self, error: Error) {
        if error
            .as_api()
            .is_some_and(|api| api.kind() == &ApiErrorKind::NotFound)
        {
            self.missing = true;
        }
        self.items.push(Queued::Failed(error));
    }
}

/// Runs one poll of collection `C` at `parent` from `state`, updating it.
pub(crate) async fn poll<C: Watched>(
    client: &Client,
    parent: &C::Parent,
    start: StartAt,
    state: &mut WatchState,
) -> Polled<C::Item> {
    let mut found = Polled {
        items: Vec::new(),
        missing: false,
    };
    let list = || ListRequest::<C>::new(client, Ok(parent.clone())).limit(PageSize::MAX);
    if !state.is_started() {
        if start == StartAt::Now {
            // Only what comes after the newest run today.
            match list().limit(1).send().await {
                Ok(page) => {
                    let baseline = page
                        .items()
                        .first()
                        .map(|run| (run.item_id().to_owned(), run.created_at()));
                    found.push(state, Queued::Silent(Change::Began { baseline }));
                }
                Err(e) => found.fail(e),
            }
            return found;
        }
        found.push(state, Queued::Silent(Change::Began { baseline: None }));
    }
    // Runs tracked before this poll: those found now are not asked about.
    let tracked: Vec<(String, RunStatus)> = state
        .in_flight()
        .map(|(id, s)| (id.to_owned(), s.clone()))
        .collect();
    if let Err(e) = new_runs::<C>(&list, state, &mut found).await {
        found.fail(e);
    }
    if !tracked.is_empty() {
        match C::recheck(client, parent, tracked).await {
            Ok(seen) => {
                for (id, run) in seen {
                    changed(state, &id, run, &mut found);
                }
            }
            // A retrieve's 404 is about a run, not the collection.
            Err(e) => found.items.push(Queued::Failed(e)),
        }
    }
    found
}

/// Reports the runs newer than the newest seen, oldest first.
async fn new_runs<C: Watched>(
    list: &impl Fn() -> ListRequest<C>,
    state: &mut WatchState,
    found: &mut Polled<C::Item>,
) -> Result<(), Error> {
    let mark = match state.newest.clone() {
        Some(mark) => mark,
        None => {
            // Every run is new: one walk down, reported oldest first. The
            // poll's events hold every run anyway; walking back up from the
            // oldest would ask for every page twice.
            let runs: Vec<C::Item> = list().stream().try_collect().await?;
            for run in runs.into_iter().rev() {
                report(state, run, found);
            }
            return Ok(());
        }
    };
    let mut newer = list().before(&mark.id).stream();
    let mut reported = false;
    loop {
        match newer.try_next().await {
            Ok(Some(run)) => {
                report(state, run, found);
                reported = true;
            }
            Ok(None) => return Ok(()),
            // The newest run seen is gone (deleted, or an unknown cursor):
            // scan from the top by time instead.
            Err(e) if !reported && is_gone(&e) => {
                return scan_from_top(list, &mark, state, found).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The fallback when the newest run seen vanished: every run created
/// after it (or at its instant, not seen then), found from the top,
/// reported oldest first. Nothing is reported twice.
async fn scan_from_top<C: Watched>(
    list: &impl Fn() -> ListRequest<C>,
    mark: &Mark,
    state: &mut WatchState,
    found: &mut Polled<C::Item>,
) -> Result<(), Error> {
    let mut runs = list().stream();
    let mut newer = Vec::new();
    while let Some(run) = runs.next().await {
        let run = run?;
        let created = run.created_at();
        if created < mark.created_at {
            break;
        }
        let seen = run.item_id() == mark.id || mark.peers.iter().any(|p| p == run.item_id());
        if !seen {
            newer.push(run);
        }
    }
    for run in newer.into_iter().rev() {
        report(state, run, found);
    }
    Ok(())
}

/// Reports a run seen for the first time: `Started`, and `Finished` at
/// once when it is already final; otherwise it is tracked.
fn report<R: RunItem>(state: &mut WatchState, run: R, found: &mut Polled<R>) {
    if state.knows(run.item_id()) {
        return;
    }
    let done = run.status().is_terminal();
    found.push(state, Queued::Event(RunEvent::Started(run.clone())));
    if done {
        found.push(state, Queued::Event(RunEvent::Finished(run)));
    }
}

/// Reports what became of a tracked run: `Finished` when final, `Changed`
/// when in another status, nothing when gone (it is no longer tracked).
fn changed<R: RunItem>(state: &mut WatchState, id: &str, run: Option<R>, found: &mut Polled<R>) {
    let Some(last) = state.in_flight.get(id).cloned() else {
        return;
    };
    let Some(run) = run else {
        let ended = Change::Ended { id: id.to_owned() };
        found.push(state, Queued::Silent(ended));
        return;
    };
    if run.status() == &last {
        return;
    }
    let event = match run.status().is_terminal() {
        true => RunEvent::Finished(run),
        false => RunEvent::Changed { run, from: last },
    };
    found.push(state, Queued::Event(event));
}
