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
