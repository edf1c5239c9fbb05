//! The transport: one call's whole path, and the only holder of the
//! generated client. The rest of the crate hands [`Transport::call`] an
//! [`Operation`] (which generated operation to send, with what
//! arguments) and gets back an [`Answer`] or an [`Error`].
//!
//! A call goes, in order, through:
//! - `hooks.rs`: progenitor's hooks (glue): headers and timeout (`pre`),
//!   the attempts (`exec`), stopping an operation the crate failed itself
//!   (`post`);
//! - `attempt.rs`: the attempt machine, synchronous, with time passed in:
//!   the next step (send, sleep until, finish) from what the last came to;
//! - `driver.rs`: its async driver, which waits for the rate gate
//!   (`gate/`), sends, reads the body under the cap (`body.rs`), heeds the
//!   rate-limit headers (`headers.rs`) and decides on retries (`retry/`);
//! - `record.rs`: what the hooks saw that progenitor's result would lose,
//!   carried by the generated client made for the call;
//! - `answer.rs`: the result and the record, made into an answer or an
//!   error.
//!
//! `settings.rs` is what a client is built with (the key, the user agent,
//! the timeout, the retry policy, the cap, the gate), `endpoint.rs` checks
//! where requests go, `http.rs` builds the HTTP client (TLS, proxy, no
//! redirects; `tls.rs` configures rustls), and `generated.rs` is progenitor's output.

use std::sync::Arc;

use futures::future::BoxFuture;
use progenitor_client::{Error as GenError, ResponseValue};
use serde::de::DeserializeOwned;

mod answer;
mod attempt;
mod body;
mod driver;
pub(crate) mod endpoint;
pub(crate) mod gate;
pub(crate) mod generated;
pub(crate) mod headers;
mod hooks;
pub(crate) mod http;
mod record;
pub(crate) mod retry;
pub(crate) mod settings;
#[cfg(feature = "__rustls")]
pub(crate) mod tls;

pub(crate) use answer::Answer;
#[cfg(feature = "internals")]
pub(crate) use answer::decode_error;
use generated::types::ErrorBody;
use record::CallContext;
use settings::Settings;

use crate::error::Error;
use crate::metrics;

/// What a generated operation's `send()` returns.
pub(crate) type Sent<'a, T> = BoxFuture<'a, Result<ResponseValue<T>, GenError<ErrorBody>>>;

/// One request, as data: the generated operation to send, with its
/// arguments, on the generated client [`Transport::call`] lends it.
/// (`pub` only because collections name it in their sealed trait: the
/// module is private, so nothing outside the crate can.)
#[allow(missing_debug_implementations)] // a boxed function
pub struct Operation<T> {
    send: Box<SendFn<T>>,
}

/// What an [`Operation`] holds: a function that sends on the client lent.
type SendFn<T> = dyn for<'a> FnOnce(&'a generated::Client) -> Sent<'a, T> + Send;

impl<T> Operation<T> {
    /// An operation that builds its request on the client it is given and
    /// sends it: `Operation::new(move |api| Box::pin(api.get_automation()
    /// .automation_id(id).send()))`.
    pub(crate) fn new(
        send: impl for<'a> FnOnce(&'a generated::Client) -> Sent<'a, T> + Send + 'static,
    ) -> Self {
        Self {
            send: Box::new(send),
        }
    }
}

/// A client's way to Resend: where requests go, the HTTP client that
/// sends them, the settings its clones share, and the lane one clone's
/// calls take their turns in, if any.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    base_url: Arc<str>,
    http: reqwest::Client,
    settings: Arc<Settings>,
    lane: Option<gate::LaneTicket>,
}

impl Transport {
    pub(crate) fn new(base_url: &str, http: reqwest::Client, settings: Settings) -> Self {
        Self {
            base_url: base_url.into(),
            http,
            settings: Arc::new(settings),
            lane: None,
        }
    }

    /// This transport, its calls taking their turns in `lane` (its clones
    /// share the settings, the gate and the connections).
    pub(crate) fn with_lane(&self, lane: gate::LaneTicket) -> Self {
        Self {
            lane: Some(lane),
            ..self.clone()
        }
    }

    /// The base URL requests go to, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends `operation` with the client's headers, rate gate, retries and
    /// size cap, and decodes its answer.
    ///
    /// # Errors
    /// Any of the crate's errors but [`Error::Pagination`].
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        operation: Operation<T>,
    ) -> Result<Answer<T>, Error> {
        self.answer(operation).await.map_err(|mut error| {
            if let Error::Decode(decode) = &mut error {
                decode.kept = None;
            }
            error
        })
    }

    async fn answer<T: DeserializeOwned>(
        &self,
        operation: Operation<T>,
    ) -> Result<Answer<T>, Error> {
        // A generated client for this call alone: its hooks write the
        // call's record into it, and the record is read back from it here.
        let api = generated::Client::new_with_client(
            &self.base_url,
            self.http.clone(),
            CallContext::new(Arc::clone(&self.settings), self.lane.clone()),
        );
        let stopwatch = metrics::Stopwatch::start();
        let result = (operation.send)(&api).await;
        let record = api.inner.into_record();
        let (op, attempts) = (record.operation, record.attempts);
        let answer = answer::answer(result, record).await;
        stopwatch.call_ended(op, attempts, answer.as_ref().err());
        answer
    }

    /// [`call`](Self::call), and a decode failure keeps the body (for a
    /// list's fetch to decode its records one by one); `call` drops it.
    pub(crate) async fn call_keeping_body<T: DeserializeOwned>(
        &self,
        operation: Operation<T>,
    ) -> Result<Answer<T>, Error> {
        self.answer(operation).await
    }
}
