//! The hooks progenitor's generated operations call around every request:
//! authentication, user agent, timeout, and the record of what the server
//! answered that progenitor's own error type would lose.

use std::cell::RefCell;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, USER_AGENT};

use crate::client::Inner;
use crate::generated::Client;

/// progenitor adds `api-version: <info.version>`; Resend has no versioning
/// header, so it is removed rather than sent.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// What `exec` saw of an error response. progenitor reports a non-JSON error
/// body (the HTML 403 of Resend's edge) as an undecodable payload without
/// its status; the call wrapper reads the status back from here.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) error_status: Option<(StatusCode, HeaderMap)>,
}

tokio::task_local! {
    pub(crate) static CALL: RefCell<CallRecord>;
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let inner = self.inner();
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        headers.insert(AUTHORIZATION, inner.authorization.clone());
        headers.insert(USER_AGENT, inner.user_agent.clone());
        // Per request, so it holds for a caller-supplied reqwest::Client too.
        *request.timeout_mut() = Some(inner.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            // Outside a call scope (a direct use of the generated client)
            // there is nothing to record into.
            let _ = CALL.try_with(|record| {
                record.borrow_mut().error_status = Some((status, headers));
            });
        }
        Ok(response)
    }
}
