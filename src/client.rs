//! `Client`, its builder and `from_env`: the settings a client is built
//! with, checked, and handed to its transport.

use std::time::Duration;

use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use crate::error::{ConfigError, Error};
use crate::rate_limit::MAX_SERVER_WAIT;
use crate::transport::gate::RateGate;
use crate::transport::retry::RetryPolicy;
use crate::transport::settings::{Secret, Settings};
use crate::transport::{Operation, Transport, endpoint, gate, http};

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.resend.com";
/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default cap on a response body: a 100-run page is about 30 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The default bound on how long one wait a server names (a
/// `retry-after`, a used-up window's reset) holds the client and its
/// clones back: see [`ClientBuilder::max_server_wait`].
pub const DEFAULT_MAX_SERVER_WAIT: Duration = Duration::from_secs(5 * 60);

/// The user agent sent when none is set. Resend's edge refuses requests
/// without one (403, HTML body), so one is always sent.
pub const DEFAULT_USER_AGENT: &str = concat!("resend-workflows/", env!("CARGO_PKG_VERSION"));

/// A client for Resend's automations and their runs (and the private
/// alpha's workflow runs). Cheap to clone: clones share connections, the
/// rate gate and the settings.
///
/// ```no_run
/// # async fn demo() -> Result<(), resend_workflows::Error> {
/// use resend_workflows::Client;
///
/// let client = Client::builder()
///     .api_key("re_123")
///     .user_agent("billing-svc/2.3")
///     .build()?;
/// let page = client
///     .list_automation_runs("c9b16d4f-ba6c-4e2e-b044-6bf4404e57fd")
///     .limit(50)
///     .send()
///     .await?;
/// for run in page.runs() {
///     println!("{} {}", run.id, run.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) transport: Transport,
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
        self.transport.base_url()
    }

    /// A clone whose calls take their turns in `lane` (a part of the
    /// team's rate limit with a budget of its own: [`Lane`](crate::Lane)),
    /// before the rate limit's: a background job's client, which gives
    /// way to the team's other calls. Its clones share the ticket.
    pub fn with_lane(&self, lane: gate::LaneTicket) -> Self {
        Self {
            transport: self.transport.with_lane(lane),
        }
    }

    /// Sends one retrieve and returns its body.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        operation: Operation<T>,
    ) -> Result<T, Error> {
        Ok(self.transport.call(operation).await?.body)
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
    proxy: Option<Secret<String>>,
    retry: Option<RetryPolicy>,
    requests_per_second: Option<f64>,
    max_response_bytes: Option<usize>,
    max_server_wait: Option<Duration>,
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
    /// rate limit (Resend's default has been 2 to 10 per second). Off by default;
    /// the server's rate-limit headers are honoured either way. From one
    /// request an hour to a million a second; anything else (zero, negative,
    /// NaN, infinite) is a [`Error::Config`] from [`build`](Self::build).
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// The longest one wait a server names (a `retry-after`, the reset of
    /// a used-up rate-limit window) holds this client and its clones back,
    /// default 5 minutes; from a second to [`MAX_SERVER_WAIT`] (31 days).
    /// Resend's windows are one second long: a longer wait is a daily or
    /// monthly quota's, or a mistake, and no single answer should silence a
    /// service for longer than its operator would tolerate. A call whose
    /// retry would need a longer wait fails at once, its error carrying the
    /// wait the server named ([`Error::retry_after`]); other calls go on
    /// after the bound.
    pub fn max_server_wait(mut self, bound: Duration) -> Self {
        self.max_server_wait = Some(bound);
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

    /// Send every request through this proxy: `https://`, or `http://` to
    /// loopback only (the proxy sees the key). Proxy credentials may be in
    /// the URL (`https://user:pass@proxy:3128`); they are never shown. The
    /// environment's proxy settings (`HTTP_PROXY`, `HTTPS_PROXY`,
    /// `ALL_PROXY`) are ignored: a proxy is used only when set here. Not
    /// with [`http_client`](Self::http_client), whose own settings apply.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(Secret(url.into()));
        self
    }

    /// Use this `reqwest::Client` (for custom TLS roots, shared pools). Its
    /// proxy settings are its own: reqwest reads the environment's
    /// (`HTTP_PROXY`...) unless built with `.no_proxy()`. With the `rustls`
    /// features this crate compiles reqwest with rustls but no default
    /// crypto provider (it hands its own clients a configuration on
    /// aws-lc-rs, or ring with `rustls-ring`), so unless your application
    /// enables one through reqwest's features, build yours with
    /// `.tls_backend_preconfigured(..)` or install a provider first
    /// (`rustls::crypto::aws_lc_rs::default_provider().install_default()`).
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`:
    /// the API never redirects, and the client this crate builds follows no
    /// redirect, so a 3xx is reported as an error instead of being chased.
    /// (reqwest drops the `Authorization` header on a redirect to another
    /// host either way.) And with `.retry(reqwest::retry::never())`, as the
    /// crate's own client is: otherwise reqwest resends a request an HTTP/2
    /// server refused (`REFUSED_STREAM`) by itself, on top of the crate's
    /// retries and uncounted in [`Error::attempts`].
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

        let base_url = endpoint::base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;

        let user_agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        let user_agent = HeaderValue::from_str(user_agent).map_err(|e| {
            ConfigError::with_source(
                format!("user agent {user_agent:?} is not a valid header"),
                e,
            )
        })?;

        let interval = self.requests_per_second.map(rate_interval).transpose()?;
        let max_server_wait = self.max_server_wait.unwrap_or(DEFAULT_MAX_SERVER_WAIT);
        if !(Duration::from_secs(1)..=MAX_SERVER_WAIT).contains(&max_server_wait) {
            return Err(ConfigError::new(format!(
                "max_server_wait must be between 1 s and 31 days, got {max_server_wait:?}"
            ))
            .into());
        }
        // The timeout is set on each request (hooks.rs), for any reqwest::Client.
        let timeout = self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT));
        let http = match (self.http, self.proxy) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "a proxy cannot be set with http_client(..): set it on that reqwest::Client",
                )
                .into());
            }
            (Some(http), None) => http,
            (None, proxy) => http::client(
                &base_url,
                self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                proxy.as_ref().map(|p| p.0.as_str()),
            )?,
        };
        let settings = Settings {
            authorization: Secret(authorization),
            user_agent,
            timeout,
            retry: self.retry.unwrap_or_default(),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            gate: RateGate::new(interval, max_server_wait),
        };
        Ok(Client {
            transport: Transport::new(&base_url, http, settings),
        })
    }
}

/// The time between requests at `rate` per second, if the rate is in range.
fn rate_interval(rate: f64) -> Result<Duration, ConfigError> {
    const MIN: f64 = 1.0 / 3600.0;
    const MAX: f64 = 1_000_000.0;
    if !(MIN..=MAX).contains(&rate) {
        return Err(ConfigError::new(format!(
            "requests_per_second must be between 1/3600 (one an hour) and 1000000, got {rate}"
        )));
    }
    Duration::try_from_secs_f64(1.0 / rate)
        .map_err(|e| ConfigError::with_source("requests_per_second is out of range", e))
}
