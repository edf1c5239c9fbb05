//! A scripted sender of the team's emails: real `POST /emails` requests to
//! the fake, on a [`SendPlan`]'s schedule, beside the reads under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::send_plan::SendPlan;
use super::traffic::Tally;

/// Sends the team's emails to a fake, as a [`SendPlan`] says (see
/// [`FakeResend::send_emails`](super::FakeResend::send_emails)), and
/// counts what became of them. Sending stops when the plan's duration
/// elapses, or when this is stopped or dropped.
///
/// It sends one email at a time, with a plain reqwest client of its own,
/// on tokio's timers (so a test on the paused clock keeps to it): each at
/// its due time, or at once when the last answer came after it (late, not
/// skipped). A refused send is never retried: it is an email lost, counted
/// in [`tally`](Self::tally)'s `refused`.
#[derive(Debug)]
pub struct Sender {
    task: tokio::task::JoinHandle<()>,
    /// The task has ended and was awaited (a `JoinHandle` is awaited once).
    ended: bool,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    answered: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
}

impl Sender {
    /// The sends answered so far (`sent`: accepted or refused) and those
    /// refused (answered 429).
    pub fn tally(&self) -> Tally {
        Tally {
            sent: self.counts.answered.load(Ordering::Relaxed),
            refused: self.counts.refused.load(Ordering::Relaxed),
        }
    }

    /// The sends that got no answer or an answer other than 200 and 429
    /// (not in [`tally`](Self::tally)).
    pub fn errors(&self) -> u64 {
        self.counts.errors.load(Ordering::Relaxed)
    }

    /// Waits until the plan's duration has elapsed and its last send was
    /// answered (forever, for a plan without one), and returns the tally.
    pub async fn finished(&mut self) -> Tally {
        if !self.ended {
            let _ = (&mut self.task).await;
            self.ended = true;
        }
        self.tally()
    }

    /// Stops sending and returns the tally. A send under way is abandoned:
    /// it still arrives at the fake (and is counted there), not in this
    /// tally.
    pub fn stop(self) -> Tally {
        self.task.abort();
        self.tally()
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts sending to the fake at `base_url`, as `plan` says.
pub(super) fn start(base_url: String, plan: SendPlan) -> Sender {
    let counts = Arc::new(Counts::default());
    let schedule = plan.schedule();
    let task = tokio::spawn({
        let counts = Arc::clone(&counts);
        async move {
            let http = http_client();
            let url = format!("{base_url}/emails");
            let runtime = tokio::runtime::Handle::current();
            let start = tokio::time::Instant::now();
            for due in schedule {
                tokio::time::sleep_until(start + due).await;
                let status = send(&runtime, &http, &url).await;
                let counter = match status {
                    Some(200) => &counts.answered,
                    Some(429) => {
                        counts.answered.fetch_add(1, Ordering::Relaxed);
                        &counts.refused
                    }
                    _ => &counts.errors,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    Sender {
        task,
        ended: false,
        counts,
    }
}

/// Sends one email and returns the answer's status, `None` without one.
///
/// The request is made on a blocking thread of the runtime, which holds
/// tokio's paused clock still while it lasts: a test's other timers (a
/// watch's) do not fire while a send is on the wire, so it arrives when it
/// was due. On a real clock this costs a pooled thread's hand-over.
async fn send(runtime: &tokio::runtime::Handle, http: &reqwest::Client, url: &str) -> Option<u16> {
    let (runtime, http, url) = (runtime.clone(), http.clone(), url.to_owned());
    let sent = tokio::task::spawn_blocking(move || {
        runtime.block_on(async move {
            let response = http
                .post(url)
                .header("authorization", "Bearer re_fake_sender")
                .header("user-agent", "resend-workflows-fake-sender")
                .header("content-type", "application/json")
                .body(EMAIL)
                .send()
                .await
                .ok()?;
            let status = response.status().as_u16();
            // Read to the end, so the connection is reused.
            let _ = response.bytes().await;
            Some(status)
        })
    });
    sent.await.ok().flatten()
}

/// What each send carries, as a service's email would.
const EMAIL: &str = r#"{"from":"Team <team@example.com>","to":["customer@example.com"],"subject":"Your receipt","text":"Thank you."}"#;

/// A client for loopback: no timer of its own (no timeouts, no idle pool
/// timer), so on tokio's paused clock time moves only by the sender's
/// schedule; no proxy, redirect or retry.
fn http_client() -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .pool_idle_timeout(None)
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never());
    with_tls(builder)
        .build()
        .expect("a plain loopback client builds")
}

/// The fake serves plain http, but reqwest compiled with rustls and no
/// default provider needs one to build a client: the crate's, with no roots.
#[cfg(feature = "__rustls")]
fn with_tls(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    match rustls::ClientConfig::builder_with_provider(crate::transport::tls::provider())
        .with_safe_default_protocol_versions()
    {
        Ok(config) => builder.tls_backend_preconfigured(
            config
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
        Err(_) => builder,
    }
}

#[cfg(not(feature = "__rustls"))]
fn with_tls(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
}
