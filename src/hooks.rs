//! The hooks progenitor's generated operations call around every request:
//! glue only. `pre` sets the headers and the timeout; `exec` hands the
//! request to `exec.rs` (rate gate, retries, size cap), inside a tracing
//! span when the `tracing` feature is on.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, USER_AGENT};
use reqwest::{Request, Response};

use crate::config::Inner;
use crate::exec::execute;
use crate::generated::Client;

/// progenitor adds `api-version: <info.version>`; Resend has no versioning
/// header, so it is removed rather than sent.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let inner = self.inner();
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        headers.insert(AUTHORIZATION, inner.authorization.0.clone());
        headers.insert(USER_AGENT, inner.user_agent.clone());
        // Per request, so it holds for a caller-supplied reqwest::Client too.
        *request.timeout_mut() = inner.timeout;
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        #[cfg(feature = "tracing")]
        {
            use tracing::Instrument;
            let span = tracing::debug_span!(
                "resend_request",
                operation = info.operation_id,
                path = request.url().path(),
            );
            execute(self.client(), self.inner(), request)
                .instrument(span)
                .await
        }
        #[cfg(not(feature = "tracing"))]
        {
            let _ = info;
            execute(self.client(), self.inner(), request).await
        }
    }
}
