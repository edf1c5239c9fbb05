//! Tracing behind the `tracing` feature: without it, events compile to
//! nothing. Events carry the operation, attempt, status and waits; never a
//! header, so never the key.

#[cfg(feature = "tracing")]
macro_rules! event {
    ($($arg:tt)*) => {
        tracing::event!($($arg)*)
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! event {
    ($level:expr, $($arg:tt)*) => {{}};
}

pub(crate) use event;

/// A duration in whole milliseconds, for an event's field.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
