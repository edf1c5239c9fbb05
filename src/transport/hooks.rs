//! The hooks progenitor's generated operations call around every request:
//! glue only. `pre` sets the headers and the timeout; `exec` hands the
//! request to the attempt driver (rate gate, retries, size cap), inside a
//! tracing span when the `tracing` feature is on; `post` stops the
//! operation when the call failed on the crate's own account (a body over
//! the cap, a request the gate held back), so progenitor never decodes the
//! stand-in response the driver had to return.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, USER_AGENT};
use reqwest::{Request, Response};

use super::driver::execute;
use super::generated::Client;
use super::record::CallContext;

/// progenitor adds `api-version: <info.version>`; Resend has no versioning
/// header, so it is removed rather than sent.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl ClientHooks<CallContext> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let settings = &self.inner().settings;
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        headers.insert(AUTHORIZATION, settings.authorization.0.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        // Per request, so it holds for a caller-supplied reqwest::Client too.
        *request.timeout_mut() = settings.timeout;
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner().record().operation = info.operation_id;
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
            execute(self.client(), self.inner(), request).await
        }
    }

    async fn post<E>(
        &self,
        _result: &reqwest::Result<Response>,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if self.inner().failed() {
            // The call reports the recorded failure instead (answer.rs).
            return Err(progenitor_client::Error::Custom(format!(
                "{}: stopped by the client",
                info.operation_id
            )));
        }
        Ok(())
    }
}
