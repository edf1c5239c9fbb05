//! What a caller runs before each attempt of its calls.

use futures::future::BoxFuture;

/// Work a caller wants done, and perhaps waited for, before each attempt
/// of its calls: a watch renews its lease when due, and waits for its
/// budget's turn.
pub(crate) trait BeforeAttempt: Send + Sync + std::fmt::Debug {
    /// Runs before an attempt is sent (before the rate gate's turn).
    fn before_attempt(&self) -> BoxFuture<'_, ()>;
}
