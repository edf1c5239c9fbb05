//! `Client`, its builder and `from_env`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::config::{Inner, Secret};
use crate::error::{ConfigError, Error};
use crate::gate::RateGate;
use crate::generated;
use crate::retry::RetryPolicy;

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.resend.com";
/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on a response body: a 100-run page is about 30 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The user agent sent when none is set. Resend's edge refuses requests
/// without one (403, HTML body), so one is always sent.
pub const DEFAULT_USER_AGENT: &str = concat!("resend-workflows/", env!("CARGO_PKG_VERSION"));

/// A client for Resend's workflow runs API. Cheap to clone: clones share
/// connections.
///
/// ```no_run
/// # async fn demo() -> Result<(), resend_workflows::Error> {
/// use resend_workflows::Client;
///
/// let client = Client::builder()
///     .api_key("re_123")
///     .user_agent("billing-svc/2.3")
///     .build()?;
/// let page = client.list_runs("0b7e6f5a-2c4d-4e8f-9a1b-3c5d7e9f1a2b").limit(50).send().await?;
/// for run in page.runs() {
///     println!("{} {}", run.id, run.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) api: generated::Client,
}

impl Client {
    /// A builder, to set the key, base URL, user agent and timeouts.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `RESEND_API_KEY` (required)
    /// and `RESEND_BASE_URL` (optional, default `https://api.resend.com`).
    ///
    /// # Errors
    /// [`Error::Config`] when the key is missing or the base URL is invalid.
    pub fn from_env() -> Result<Self, Error> {
        let key = std::env::var("RESEND_API_KEY").map_err(|_| {
            ConfigError::new("RESEND_API_KEY is not set (or not valid UTF-8): set it to an API key")
        })?;
        let mut builder = Self::builder().api_key(key);
        if let Ok(url) = std::env::var("RESEND_BASE_URL") {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.api.baseurl
    }
}

/// Builds a [`Client`]. Only the API key is required.
#[derive(Debug, Default)]
pub struct ClientBuilder {
    api_key: Option<Secret<String>>,
    base_url: Option<String>,
    user_agent: Option<String>,
    timeout: Option<Option<Duration>>,
    connect_timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    requests_per_second: Option<f64>,
    max_response_bytes: Option<usize>,
}

impl ClientBuilder {
    /// The API key (`re_...`). Sent as `Authorization: Bearer <key>`, marked
    /// sensitive; never shown by `Debug` or in errors.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret(key.into()));
        self
    }

    /// The base URL, default `https://api.resend.com`. A trailing slash is
    /// fine. `http://` is accepted only for loopback hosts (tests, fakes).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `User-Agent`, default `resend-workflows/<version>`. Always sent:
    /// Resend refuses requests without one.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The timeout of each request, from sending to the end of the body.
    /// Default 30 s. Applies to a caller-supplied `reqwest::Client` too.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(Some(timeout));
        self
    }

    /// No per-request timeout (the connect timeout still applies). For
    /// tests on tokio's paused clock, where a pending timeout would be
    /// advanced to while a real server answers.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = Some(None);
        self
    }

    /// How failed requests are retried; default [`RetryPolicy::default`],
    /// [`RetryPolicy::disabled`] for none.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A client-side limit: requests start at most this often, evenly
    /// spaced, shared by the client's clones. For teams that know their
    /// quota (Resend's default has been 2 to 10 per second). Off by default;
    /// the server's `ratelimit-*` headers are honoured either way.
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// The largest response body accepted, default 4 MiB; a larger one is
    /// an [`Error::ResponseTooLarge`], never unbounded memory.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// The connect timeout, default 10 s. Ignored with [`Self::http_client`],
    /// whose own settings apply.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Use this `reqwest::Client` (for a proxy, custom TLS roots, shared
    /// pools). This crate compiles reqwest with rustls but no default crypto
    /// provider (it hands its own clients a ring configuration), so unless
    /// your application enables one through reqwest's features, build yours
    /// with `.tls_backend_preconfigured(..)` or install a provider first
    /// (`rustls::crypto::ring::default_provider().install_default()`).
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`:
    /// the API never redirects, and the client this crate builds follows no
    /// redirect, so a 3xx is reported as an error instead of being chased.
    /// (reqwest drops the `Authorization` header on a redirect to another
    /// host either way.)
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing or malformed key, a base URL that is
    /// not an `https://` URL (or `http://` to loopback), a user agent that
    /// cannot be a header, or an HTTP client that cannot be created.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or_else(|| {
            ConfigError::new("no API key: call .api_key(..) or set RESEND_API_KEY")
        })?;
        let key = key.0.trim();
        if key.is_empty() {
            return Err(ConfigError::new("the API key is empty").into());
        }
        // Never echo the key: the message says what is wrong, not what it was.
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            ConfigError::new("the API key holds characters that cannot be sent in a header")
        })?;
        authorization.set_sensitive(true);

        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;

        let user_agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        let user_agent = HeaderValue::from_str(user_agent).map_err(|e| {
            ConfigError::with_source(
                format!("user agent {user_agent:?} is not a valid header"),
                e,
            )
        })?;

        if let Some(rate) = self.requests_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(ConfigError::new(format!(
                "requests_per_second must be a positive number, got {rate}"
            ))
            .into());
        }
        // The timeout is set on each request (hooks.rs), for any reqwest::Client.
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .redirect(reqwest::redirect::Policy::none())
                .tls_backend_preconfigured(tls_config()?)
                .build()
                .map_err(|e| ConfigError::with_source("cannot create the HTTP client", e))?,
        };
        let inner = Inner {
            authorization: Secret(authorization),
            user_agent,
            timeout,
            retry: self.retry.unwrap_or_default(),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            gate: Arc::new(RateGate::new(self.requests_per_second)),
        };
        Ok(Client {
            api: generated::Client::new_with_client(&base_url, http, inner),
        })
    }
}

/// rustls with the ring provider and the platform's certificate verifier,
/// passed to reqwest explicitly: no process-wide crypto provider is
/// installed, so an application's own choice is never overridden.
fn tls_config() -> Result<rustls::ClientConfig, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| ConfigError::with_source("cannot set up TLS", e))?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Checks the base URL and drops trailing slashes (the generated code
/// appends `/workflows/...`, and `//workflows` would be a different path).
fn normalize_base_url(raw: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| ConfigError::with_source(format!("base URL {raw:?} is not a valid URL"), e))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(format!(
            "base URL {raw:?} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            "the base URL must not carry credentials; use .api_key(..)",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::new(format!(
                "base URL {raw:?} is plain http to a non-loopback host: the API key would \
                 cross the network unencrypted; use https"
            )));
        }
        other => {
            return Err(ConfigError::new(format!(
                "base URL {raw:?} has scheme {other:?}; expected https"
            )));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_https_client_builds_with_its_own_tls_config() {
        let client = Client::builder().api_key("re_x").build().unwrap();
        assert_eq!(client.base_url(), "https://api.resend.com");
        let config = tls_config().unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn base_urls() {
        let ok = |s: &str| normalize_base_url(s).unwrap();
        assert_eq!(ok("https://api.resend.com"), "https://api.resend.com");
        assert_eq!(ok("https://api.resend.com/"), "https://api.resend.com");
        assert_eq!(ok("https://x.test/v1/"), "https://x.test/v1");
        assert_eq!(ok("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://[::1]:1"), "http://[::1]:1");
        assert_eq!(ok("http://localhost:1"), "http://localhost:1");
        for bad in [
            "",
            "api.resend.com",
            "http://api.resend.com",
            "http://10.0.0.1",
            "ftp://x.test",
            "https://u:p@x.test",
            "https://x.test/?a=b",
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad}");
        }
    }
}
