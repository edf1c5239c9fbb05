//! rustls as the crate configures it (features `rustls`, `rustls-ring`):
//! the crypto provider the features choose, and the client configuration
//! built on it. Passed to reqwest explicitly: no process-wide provider is
//! installed, so an application's own choice is never overridden.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

use crate::error::ConfigError;

/// aws-lc-rs (feature `rustls`, the default): post-quantum hybrid key
/// exchange (X25519MLKEM768) first, rustls's own default provider.
#[cfg(not(feature = "rustls-ring"))]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// ring (feature `rustls-ring`, an opt-in that wins over `rustls`).
#[cfg(feature = "rustls-ring")]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    // rustls 0.23.48 deprecates ring's provider for its lack of
    // post-quantum key exchange; kept, on request only, for builds that
    // would rather not compile aws-lc (30 s more CPU: BENCHMARKS.md).
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configuration: the provider above, the platform's
/// certificate verifier, HTTP/2 then HTTP/1.1 offered by ALPN.
pub(crate) fn config() -> Result<rustls::ClientConfig, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| ConfigError::with_source("cannot set up TLS", e))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;

    #[test]
    fn the_default_https_client_builds_with_its_own_tls_config() {
        let client = Client::builder().api_key("re_x").build().unwrap();
        assert_eq!(client.base_url(), "https://api.resend.com");
        let config = config().unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
