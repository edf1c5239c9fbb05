//! The `reqwest::Client` the transport sends with, when the caller gives
//! none: the TLS library compiled in, a connect timeout, no proxy but the
//! one set, no redirects followed, and no retries of reqwest's own.

use std::time::Duration;

use super::endpoint;
use crate::error::ConfigError;

/// The HTTP client for requests to `base_url` (already checked): TLS as
/// compiled in, `connect_timeout`, and `proxy` when set (checked here).
pub(crate) fn client(
    base_url: &str,
    connect_timeout: Duration,
    proxy: Option<&str>,
) -> Result<reqwest::Client, ConfigError> {
    // No proxy from the environment: the loopback-only rule for plain http
    // assumes a direct connection.
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        // reqwest 0.13 resends a request an HTTP/2 server refused
        // (REFUSED_STREAM, a graceful GOAWAY) on its own, out of the
        // crate's sight: such a refusal comes back as a transport error
        // instead, retried by the crate's policy and counted in `attempts()`.
        .retry(reqwest::retry::never());
    builder = with_tls(builder, base_url)?;
    if let Some(proxy) = proxy {
        builder = builder.proxy(endpoint::proxy(proxy)?);
    }
    builder
        .build()
        .map_err(|e| ConfigError::with_source("cannot create the HTTP client", e))
}

/// The TLS library compiled in (a `rustls` feature, else `native-tls`).
#[cfg(feature = "__rustls")]
fn with_tls(
    builder: reqwest::ClientBuilder,
    _: &str,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    Ok(builder.tls_backend_preconfigured(super::tls::config()?))
}

/// The TLS library compiled in (a `rustls` feature, else `native-tls`).
#[cfg(all(feature = "native-tls", not(feature = "__rustls")))]
fn with_tls(
    builder: reqwest::ClientBuilder,
    _: &str,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    Ok(builder.tls_backend_native())
}

/// No TLS library compiled in: only plain `http://` (to loopback) works.
#[cfg(not(any(feature = "__rustls", feature = "native-tls")))]
fn with_tls(
    builder: reqwest::ClientBuilder,
    base_url: &str,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    if base_url.starts_with("https:") {
        return Err(ConfigError::new(
            "this build has no TLS: enable the crate's `rustls` (default), `rustls-ring` or `native-tls` feature",
        ));
    }
    Ok(builder)
}

#[cfg(test)]
#[cfg(not(feature = "__rustls"))] // with rustls, the tests are in tls.rs
mod tests {
    use crate::client::Client;

    #[cfg(not(any(feature = "__rustls", feature = "native-tls")))]
    #[test]
    fn without_a_tls_feature_https_is_a_config_error() {
        let err = Client::builder().api_key("re_x").build().unwrap_err();
        assert!(err.to_string().contains("`native-tls`"), "{err}");
        let plain = Client::builder()
            .api_key("re_x")
            .base_url("http://127.0.0.1:1")
            .build();
        assert!(plain.is_ok());
    }

    #[cfg(all(feature = "native-tls", not(feature = "__rustls")))]
    #[test]
    fn the_default_https_client_builds_on_native_tls() {
        let client = Client::builder().api_key("re_x").build().unwrap();
        assert_eq!(client.base_url(), "https://api.resend.com");
    }
}
