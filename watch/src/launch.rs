//! Starting a watch from its checked options: a single watch, or one
//! automation's watch in a team watch, which adds what the team shares.

use std::sync::Arc;
use std::time::Duration;

use super::config::WatchConfig;
use super::driver::{Driver, Setup};
use super::event::StartAt;
use super::fair_share::FairShare;
use super::keeper::Tenure;
use super::poll;
use super::store::deadline::{bound, deadline};
use super::stream::WatchStream;
use super::watched::Watched;
use resend_workflows::{Client, InvalidArgument, Lane};

/// What a team watch adds to one automation's watch.
pub(crate) struct InTeam {
    /// The lane every automation of the team spends from.
    pub(crate) lane: Arc<Lane>,
    /// How far a quiet automation's polls back off.
    pub(crate) max_staleness: Duration,
    /// This replica's share of the automations' leases.
    pub(crate) fair_share: Arc<FairShare>,
    /// Where this automation starts (the team's rule for the ones found
    /// later).
    pub(crate) start: StartAt,
}

/// A single watch of `parent`: the parent and the options checked
/// first, an invalid one the stream's only item.
pub(crate) fn single<C: Watched>(
    client: &Client,
    parent: Result<C::Parent, InvalidArgument>,
    config: &WatchConfig,
) -> WatchStream<C::Item> {
    match parent.and_then(|parent| Ok((parent, config.checked_holder()?))) {
        Ok((parent, holder)) => launch::<C>(client, parent, config, holder, None),
        Err(invalid) => WatchStream::failed(invalid.into()),
    }
}

/// The watch of `parent` with `config`, already checked (`holder` is what
/// its check gave), on a lane of its own on the config's budget or in a
/// team.
pub(crate) fn launch<C: Watched>(
    client: &Client,
    parent: C::Parent,
    config: &WatchConfig,
    holder: String,
    team: Option<InTeam>,
) -> WatchStream<C::Item> {
    let interval = config.poll_interval;
    let tenure = Tenure {
        store: bound(
            Arc::clone(&config.store),
            deadline(interval, config.lease_ttl),
        ),
        key: C::state_key(&parent),
        holder,
        token: 0,
        ttl: config.lease_ttl,
    };
    let polls = poll::Settings {
        start: team.as_ref().map_or(config.start, |team| team.start),
        filters: C::FILTERS,
        forced: config.forced,
        steps_for: config.steps_for.clone(),
        backfill_pages: config.backfill_pages,
        max_pages: config.max_pages,
        max_time: interval.saturating_mul(60).max(Duration::from_secs(600)),
    };
    let (lane, max_staleness, fair_share) = match team {
        Some(team) => (team.lane, Some(team.max_staleness), Some(team.fair_share)),
        None => {
            let name = format!("watch {}", tenure.key);
            (Arc::new(Lane::new(name, config.budget)), None, None)
        }
    };
    let setup = Setup::<C> {
        client: client.clone(),
        parent,
        interval,
        max_staleness,
        fair_share,
        commit_every: config.commit_every,
        polls,
        lane,
    };
    Driver::start(setup, tenure)
}
