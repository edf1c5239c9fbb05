//! Every automation of a team in one watch, on one budget: a watch per
//! automation (the same polls, state and lease as a single watch, keyed by
//! the automation), all spending from one lane of the client's rate gate, each polled at the base
//! interval while runs happen in it and backing off when quiet
//! (`cadence.rs`), merged into one stream whose items name their
//! automation (`stream.rs`); and, for the whole team, a look at its
//! automations at the discovery interval (`discover.rs`), which starts and
//! drops watches.

mod builder;
mod discover;
mod event;
#[cfg(feature = "internals")]
mod schedule;
mod stream;

pub use builder::{DEFAULT_DISCOVERY_INTERVAL, DEFAULT_MAX_STALENESS, TeamWatch};
pub use event::{Removal, TeamError, TeamEvent};
#[cfg(feature = "internals")]
pub use schedule::simulate_schedule;
pub use stream::{TeamStats, TeamStream};

use crate::client::Client;
use crate::error::{InvalidArgument, InvalidReason};
use crate::ids::AutomationId;

impl Client {
    /// Watches every automation of the team: one stream of
    /// [`TeamEvent`]s, each naming its automation. The automations are
    /// listed at once and again every
    /// [`discovery_interval`](TeamWatch::discovery_interval): one that
    /// appears is watched ([`TeamEvent::Added`]), one deleted or disabled
    /// is dropped ([`TeamEvent::Removed`]), its state kept.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use resend_workflows::{Budget, RunEvent, RunStatus, TeamEvent};
    /// # async fn demo(client: resend_workflows::Client) -> Result<(), resend_workflows::Error> {
    /// let mut events = client
    ///     .watch_automations()
    ///     // Give way to the team's sends, keeping a fifth of the limit free.
    ///     .budget(Budget::GiveWay { reserve: 0.2, ceiling: 0.8 })
    ///     .steps_for([RunStatus::Failed])
    ///     .stream();
    /// while let Some(item) = events.next().await {
    ///     match item {
    ///         Ok(TeamEvent::Run { automation, event: RunEvent::Finished { run, steps } }) => {
    ///             println!("{automation}: {} {} ({} steps)", run.id, run.status,
    ///                 steps.map_or(0, |s| s.len()));
    ///         }
    ///         Ok(other) => println!("{other:?}"),
    ///         Err(e) if e.ends_watch() => return Err(e.into_error()),
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn watch_automations(&self) -> TeamWatch {
        TeamWatch::new(self, None)
    }

    /// Watches the automations `ids`, as
    /// [`watch_automations`](Self::watch_automations) does every one: the
    /// set is not looked for again, but one deleted is dropped all the
    /// same (its runs' listing answering 404 at two polls in a row).
    pub fn watch_automation_set<I>(&self, ids: I) -> TeamWatch
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let set = ids
            .into_iter()
            .map(|id| AutomationId::parse_for("automation_id", id.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|set| {
                if set.is_empty() {
                    Err(InvalidArgument::new(
                        "automation_ids",
                        "",
                        InvalidReason::Empty,
                    ))
                } else {
                    Ok(set)
                }
            });
        TeamWatch::new(self, Some(set))
    }
}
