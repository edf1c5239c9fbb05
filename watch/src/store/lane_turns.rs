//! A store's shared turns, as a lane of the client's rate gate takes them:
//! every process whose team watch shares the store and the budget's key
//! keeps to one budget ([`TurnStore`](super::TurnStore)).

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::contract::StateStore;
use resend_workflows::SharedTurns;

/// The turns taken in `store` under `key`.
#[derive(Debug)]
pub(crate) struct StoreTurns {
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) key: String,
}

impl SharedTurns for StoreTurns {
    fn take_turn(&self, spacing: Duration) -> Option<BoxFuture<'_, Result<Duration, String>>> {
        let turn = self.store.turns()?.take_turn(&self.key, spacing);
        Some(turn.map(|r| r.map_err(|e| e.to_string())).boxed())
    }
}
