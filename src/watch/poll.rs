//! One poll of a watch: the new runs (a backward traversal from the newest
//! run seen, oldest first), then what became of the runs in flight. Events
//! and the state move together, run by run, so what a poll reports is
//! exactly what its state says was reported.

use futures::TryStreamExt;

use super::event::{RunEvent, StartAt};
use super::state::{Mark, WatchState};
use super::watched::{Watched, is_gone};
use crate::client::Client;
use crate::collections::ListRequest;
use crate::error::Error;
use crate::ids::PageSize;
use crate::pagination::ListItem;
use crate::pagination::RunItem;
use crate::status::RunStatus;

/// What one poll found, in order; errors are items too (a watch goes on).
pub(crate) type Found<R> = Vec<Result<RunEvent<R>, Error>>;

/// Runs one poll of collection `C` at `parent` from `state`, updating it.
pub(crate) async fn poll<C: Watched>(
    client: &Client,
    parent: &C::Parent,
    start: StartAt,
    state: &mut WatchState,
) -> Found<C::Item> {
    let mut found = Vec::new();
    let list = || ListRequest::<C>::new(client, Ok(parent.clone())).limit(PageSize::MAX);
    if !state.is_started() {
        if start == StartAt::Now {
            // Only what comes after the newest run today.
            match list().limit(1).send().await {
                Ok(page) => {
                    if let Some(run) = page.items().first() {
                        state.advance(run.item_id(), run.created_at());
                    }
                    state.set_started();
                }
                Err(e) => found.push(Err(e)),
            }
            return found;
        }
        state.set_started();
    }
    // Runs tracked before this poll: those found now are not asked about.
    let tracked: Vec<(String, RunStatus)> = state
        .in_flight()
        .map(|(id, s)| (id.to_owned(), s.clone()))
        .collect();
    if let Err(e) = new_runs::<C>(&list, state, &mut found).await {
        found.push(Err(e));
    }
    if !tracked.is_empty() {
        match C::recheck(client, parent, tracked).await {
            Ok(seen) => {
                for (id, run) in seen {
                    changed(state, &id, run, &mut found);
                }
            }
            Err(e) => found.push(Err(e)),
        }
    }
    found
}

/// Reports the runs newer than the newest seen, oldest first.
async fn new_runs<C: Watched>(
    list: &impl Fn() -> ListRequest<C>,
    state: &mut WatchState,
    found: &mut Found<C::Item>,
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
    found: &mut Found<C::Item>,
) -> Result<(), Error> {
    let mut runs = list().stream();
    let mut newer = Vec::new();
    while let Some(run) = runs.try_next().await? {
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
fn report<R: RunItem>(state: &mut WatchState, run: R, found: &mut Found<R>) {
    let id = run.item_id().to_owned();
    if state.knows(&id) {
        return;
    }
    state.advance(&id, run.created_at());
    let status = run.status().clone();
    found.push(Ok(RunEvent::Started(run.clone())));
    if status.is_terminal() {
        found.push(Ok(RunEvent::Finished(run)));
    } else {
        state.in_flight.insert(id, status);
    }
}

/// Reports what became of a tracked run: `Finished` when final, `Changed`
/// when in another status, nothing when gone (it is no longer tracked).
fn changed<R: RunItem>(state: &mut WatchState, id: &str, run: Option<R>, found: &mut Found<R>) {
    let Some(last) = state.in_flight.get(id).cloned() else {
        return;
    };
    let Some(run) = run else {
        state.in_flight.remove(id);
        return;
    };
    let status = run.status().clone();
    if status == last {
        return;
    }
    if status.is_terminal() {
        state.in_flight.remove(id);
        found.push(Ok(RunEvent::Finished(run)));
    } else {
        state.in_flight.insert(id.to_owned(), status);
        found.push(Ok(RunEvent::Changed { run, from: last }));
    }
}
