//! The record of one call: what the hooks saw that progenitor's result
//! would lose (the attempts made, what the last response's headers said,
//! the status of an error response, a failure of the crate's own). It
//! travels inside the generated client made for the call
//! ([`CallContext`], progenitor's inner type), so the hooks write it and
//! [`Transport::call`](super::Transport::call) reads it back from the same
//! value: it cannot be lost or read by another call.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use reqwest::StatusCode;

use super::gate::LaneTicket;
use super::headers::Hints;
use super::settings::Settings;
use crate::error::Error;
use crate::timestamp::Timestamp;

/// What the hooks saw that progenitor's result type would lose.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// The status of an error response (its body may not be JSON).
    pub(crate) error_status: Option<StatusCode>,
    /// What the last response's headers said, read once.
    pub(crate) hints: Hints,
    /// The latest the server's clock read when it sent the last response
    /// ([`server_clock`](super::headers::server_clock)).
    pub(crate) server_clock: Option<Timestamp>,
    /// Attempts sent, retries included.
    pub(crate) attempts: u32,
    /// The generated operation's id, for the metrics' `operation` label.
    pub(crate) operation: &'static str,
    /// A failure of the crate's own (a body over the size cap, a request
    /// the gate refused): progenitor cannot carry it, so the `post` hook
    /// stops the generated operation, and the call reports this instead.
    pub(crate) failure: Option<Error>,
}

/// What the generated client carries for one call: the client's settings
/// and this call's record (a clone of that client, which progenitor's
/// derive allows, shares it).
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    pub(crate) settings: Arc<Settings>,
    /// The lane the call takes its turns in, if any.
    pub(crate) lane: Option<LaneTicket>,
    record: Arc<Mutex<CallRecord>>,
}

impl CallContext {
    pub(crate) fn new(settings: Arc<Settings>, lane: Option<LaneTicket>) -> Self {
        Self {
            settings,
            lane,
            record: Arc::default(),
        }
    }

    /// The record, to update.
    pub(crate) fn record(&self) -> MutexGuard<'_, CallRecord> {
        // A panic in another hook must not hide this call's record.
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the call already failed on its own account.
    pub(crate) fn failed(&self) -> bool {
        self.record().failure.is_some()
    }

    /// The record, once the call is over.
    pub(crate) fn into_record(self) -> CallRecord {
        std::mem::take(&mut *self.record())
    }
}
