//! Opening a team watch: its set and options checked, then the store its
//! membership and shared turns go through, and the lane every
//! automation's watch spends from.

use std::sync::Arc;

use super::{Opened, TeamStream};
use crate::store::StoreTurns;
use crate::store::deadline::{bound, deadline};
use crate::team::config::TeamConfig;
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
    // unpolled: then it goes before new urgent ones.
    let lane = Lane::new(format!("team watch {}", config.budget_key), watch.budget)
        .shared(Arc::new(turns))
        .aging(config.max_staleness);
    let opened = Opened {
        store,
        holder,
        watching: watching(set.as_deref()),
        lane: Arc::new(lane),
    };
    TeamStream::start(client, config, set, opened)
}

/// What a team watch watches, as its replicas tell it the store when they
/// join ([`MembershipStore::join`](crate::MembershipStore::join)): `team`
/// for every automation of the team, else `set:` and a hash of the set's
/// ids (in order, once each), so the replicas of one set share its
/// automations and nobody else's.
fn watching(set: Option<&[AutomationId]>) -> String {
    let Some(set) = set else {
        return "team".to_owned();
    };
    let ids: std::collections::BTreeSet<String> = set.iter().map(ToString::to_string).collect();
    // FNV-1a, 64 bits: the same in every process and version.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ids.iter().flat_map(|id| id.bytes().chain([b','])) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("set:{}:{hash:016x}", ids.len())
}
