//! Where a backfill goes on, in the list and in time.

use serde::{Deserialize, Serialize};

use resend_workflows::Timestamp;

/// Where a backfill goes on: after this run (`None`: from the top), and
/// where it stands in time: the creation time of the last run it read
/// (`at`) and the runs it read at that very instant (`ties`). When the
/// server refuses its cursor (the run deleted), it goes on from the top,
/// past every run it read already: those created after `at`, and those
/// of `ties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Backfill {
    pub(crate) after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ties: Vec<String>,
}

impl Backfill {
    /// Whether run `id`, created at `created_at`, is still the backfill's
    /// to read: below where it stands (the list is newest first).
    pub(crate) fn owns(&self, id: &str, created_at: Timestamp) -> bool {
        self.at.is_none_or(|at| {
            created_at < at || (created_at == at && !self.ties.iter().any(|t| t == id))
        })
    }

    /// Where the backfill stands once it read run `id`, created at
    /// `created_at` (the next it owns, newest first).
    pub(crate) fn read(&mut self, id: &str, created_at: Timestamp) {
        if self.at != Some(created_at) {
            self.at = Some(created_at);
            self.ties.clear();
        }
        self.ties.push(id.to_owned());
    }

    /// Whether it is seeking where it stood from the top, its cursor
    /// refused: the runs above it are not the top's to report either.
    pub(crate) fn seeking(&self) -> bool {
        self.after.is_none() && self.at.is_some()
    }
}
