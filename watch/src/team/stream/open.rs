//! Opening a team watch: its set and options checked, then the store its
//! membership and shared turns go through, and the lane every
//! automation's watch spends from.

use std::sync::Arc;

use super::TeamStream;
use crate::store::StoreTurns;
use crate::store::deadline::{bound, deadline};
use crate::team::TeamConfig;
use resend_workflows::{AutomationId, Client, InvalidArgument, Lane};

/// The team watch of `set` (`None`: every automation of the team) with
/// `config`: the set and the options checked first, an invalid one the
/// stream's only item.
pub(crate) fn team_stream(
    client: &Client,
    set: Option<Result<Vec<AutomationId>, InvalidArgument>>,
    config: TeamConfig,
) -> TeamStream {
    let checked = set
        .transpose()
        .and_then(|set| Ok((set, config.checked_holder()?)));
    let (set, holder) = match checked {
        Ok(checked) => checked,
        Err(invalid) => return TeamStream::failed(invalid.into()),
    };
    // Its membership and shared turns too end by the deadline of every
    // store call (each automation's watch bounds its own, once).
    let watch = &config.watch;
    let store = bound(
        Arc::clone(&watch.store),
        deadline(watch.poll_interval, watch.lease_ttl),
    );
    let turns = StoreTurns {
        store: Arc::clone(&store),
        key: format!("budgets/{}", config.budget_key),
    };
    // A quiet automation waits for its turn no longer than it may go
    // unchecked: then it goes before new urgent ones.
    let lane = Lane::new(format!("team watch {}", config.budget_key), watch.budget)
        .shared(Arc::new(turns))
        .aging(config.max_staleness);
    TeamStream::start(client, config, (store, holder), set, Arc::new(lane))
}
