//! The simulation's way to the fake: a server in the schedule's own
//! runtime, one connection a request, each answered by
//! [`FakeResend::answer`], and a hold that keeps tokio's paused clock still
//! while a request is on the wire.
//!
//! Why: on a paused clock, a runtime with nothing to run and a timer
//! pending jumps to the timer at once, even while an answer is on its way
//! over loopback (the I/O it finds as it looks does not stop the jump), so
//! each request would take as long as the watch's next timer. A task that
//! yields keeps the runtime busy without moving the clock (a yield looks
//! at the I/O and moves the clock by nothing): while a connection is open
//! the hold yields, and a request's hops (connect, request, answer) all
//! come at one instant. Everything runs on the schedule's one thread and
//! loopback has delivered a write when the write returns, so one seed
//! plays one schedule. The hold starts when the client connects (the
//! resolver is asked once a connection, there being no pool) and lets go
//! once every connection is answered and the client had its yields to read,
//! or when nothing moved for [`STALL`] yields: a stream that yields an item
//! while another of its automations connects leaves that connection half
//! made until polled again ([`Wire::stranded`]). Each replica's life has a
//! line of its own (a port, a client), so that what one left half made is
//! told apart from another's; [`Wire::trap`] deletes the run a request
//! names as its cursor just before answering it.
//!
//! Before, a relay on threads of its own held the clock by blocking tasks,
//! and the fake answered on httpmock's threads: each request cost threads'
//! wake-ups and 2 ms of CPU, and each connection half made 50 ms of real
//! time waiting to see whether its request was merely late.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use resend_workflows::fake::FakeResend;
use resend_workflows::{Client, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common;

/// Yields with nothing moving on the wire after which the hold lets go:
/// what is left open waits on a stream nobody polls (a request's hops
/// come a yield apart).
const STALL: u32 = 8;

/// Yields after the last answer, for the client to read it.
const READ: u32 = 2;

/// The wire's accounts.
#[derive(Debug, Default)]
struct Accounts {
    /// Each line's connections.
    lines: Vec<Line>,
    /// Each change to the wire (a connection started, accepted, asked or
    /// closed): what the hold watches.
    moves: u64,
    /// Whether the hold is on.
    holding: bool,
    /// Runs deleted at a cursor (see [`Wire::trap`]), not yet told.
    deleted: Vec<String>,
    /// Per automation, the request with a cursor whose run is deleted
    /// first (the nth), and how many came.
    traps: HashMap<String, (usize, usize)>,
}

/// One line's connections: a replica's life reaches the fake on a line
/// of its own, so that what it left half made is told apart.
#[derive(Debug, Default)]
struct Line {
    /// Connections the client started (each through the resolver).
    started: u64,
    /// Requests the server read whole.
    requested: u64,
    /// Connections that ended before a request came.
    unasked: u64,
    /// Connections closed: answered, or ended before a request came.
    closed: u64,
}

#[derive(Debug, Default)]
struct Ledger(Mutex<Accounts>);

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, Accounts> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A move on line `line`.
    fn moved(&self, line: usize, change: impl FnOnce(&mut Line)) {
        let mut a = self.lock();
        a.moves += 1;
        change(&mut a.lines[line]);
    }
}

/// The fake, served in the schedule's runtime; stops with it.
pub struct Wire {
    fake: Arc<FakeResend>,
    ledger: Arc<Ledger>,
}

impl Wire {
    /// A wire to `fake`, with no line yet.
    pub fn start(fake: Arc<FakeResend>) -> Self {
        Self {
            fake,
            ledger: Arc::default(),
        }
    }

    /// A new line, served on a port of its own in the current runtime,
    /// and a client for the paused clock that reaches the fake over it,
    /// one connection a request.
    pub fn line(&self) -> (Client, usize) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let listener = TcpListener::from_std(listener).expect("in the schedule's runtime");
        let line = {
            let mut a = self.ledger.lock();
            a.lines.push(Line::default());
            a.lines.len() - 1
        };
        let (fake, ledger) = (Arc::clone(&self.fake), Arc::clone(&self.ledger));
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                ledger.moved(line, |_| ());
                let _ = conn.set_nodelay(true);
                tokio::spawn(answer(conn, line, Arc::clone(&fake), Arc::clone(&ledger)));
            }
        });
        (self.client(port, line), line)
    }

    fn client(&self, port: u16, line: usize) -> Client {
        let hold = Hold {
            port,
            line,
            ledger: Arc::clone(&self.ledger),
        };
        // No certificates to load: the fake is plain HTTP, and the
        // platform's roots cost 17 ms of CPU a client, debug.
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("the provider's protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .pool_idle_timeout(None)
            .pool_max_idle_per_host(0)
            .no_proxy()
            .dns_resolver(Arc::new(hold))
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .build()
            .unwrap();
        Client::builder()
            .api_key(common::KEY)
            .base_url(format!("http://localhost:{port}"))
            .http_client(http)
            .no_timeout()
            .retry(RetryPolicy::default())
            .build()
            .expect("test client builds")
    }

    /// From now on, the run named as the cursor of the `nth` request for
    /// `automation`'s runs with one (`after`) is deleted just before that
    /// request is answered: the server refuses the cursor (case 2 of issue
    /// 28, at the backfill's cursor).
    pub fn trap(&self, automation: &str, nth: usize) {
        let path = format!("/automations/{automation}/runs");
        self.ledger.lock().traps.insert(path, (nth, 0));
    }

    /// The runs deleted at a cursor since last asked.
    pub fn deleted(&self) -> Vec<String> {
        std::mem::take(&mut self.ledger.lock().deleted)
    }

    /// Yields until the hold lets go: every request that can go on is
    /// answered, and the fake may change without racing one.
    pub async fn settle(&self) {
        while self.ledger.lock().holding {
            tokio::task::yield_now().await;
        }
    }

    /// Moves on the wire so far.
    pub fn moves(&self) -> u64 {
        self.ledger.lock().moves
    }

    /// Whether, the wire settled, a connection on `line` was started and
    /// its request never sent: a stream that yielded an item while another
    /// of its automations connected sends that request only when polled
    /// again.
    pub async fn stranded(&self, line: usize) -> bool {
        self.settle().await;
        let a = self.ledger.lock();
        let l = &a.lines[line];
        l.started > l.requested + l.unasked
    }
}

/// The resolver of one line: every name is its server, and each lookup
/// (one a connection) puts the hold on.
struct Hold {
    port: u16,
    line: usize,
    ledger: Arc<Ledger>,
}

impl reqwest::dns::Resolve for Hold {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let start = {
            let mut a = self.ledger.lock();
            a.moves += 1;
            a.lines[self.line].started += 1;
            !std::mem::replace(&mut a.holding, true)
        };
        if start {
            tokio::spawn(hold(Arc::clone(&self.ledger)));
        }
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(addr));
        Box::pin(std::future::ready(Ok(addrs)))
    }
}

/// Keeps the clock still (by yielding) until every connection is closed
/// and the client had [`READ`] yields, or nothing moved for [`STALL`].
async fn hold(ledger: Arc<Ledger>) {
    let mut still = 0;
    let mut seen = u64::MAX;
    loop {
        tokio::task::yield_now().await;
        let mut a = ledger.lock();
        if a.moves == seen {
            still += 1;
        } else {
            seen = a.moves;
            still = 0;
        }
        let open = a.lines.iter().any(|l| l.started > l.closed);
        if (!open && still >= READ) || still >= STALL {
            a.holding = false;
            return;
        }
    }
}

/// One connection of line `line`: its request read whole, the fake's
/// answer written (the run at its cursor deleted first, if trapped), and
/// closed.
async fn answer(mut conn: TcpStream, line: usize, fake: Arc<FakeResend>, ledger: Arc<Ledger>) {
    let mut message = Vec::new();
    let mut buf = [0u8; 4096];
    let request = loop {
        if let Some(request) = parse(&message) {
            break Some(request);
        }
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => break None,
            Ok(got) => message.extend_from_slice(&buf[..got]),
        }
    };
    let Some(request) = request else {
        ledger.moved(line, |l| {
            l.closed += 1;
            l.unasked += 1;
        });
        return;
    };
    ledger.moved(line, |l| l.requested += 1);
    spring(&ledger, &fake, &request);
    let answer = fake.answer(&request);
    let _ = conn.write_all(&encode(&answer)).await;
    let _ = conn.shutdown().await;
    ledger.moved(line, |l| l.closed += 1);
}

/// Deletes the run `request` names as its cursor, if a trap is set on it.
fn spring(ledger: &Ledger, fake: &FakeResend, request: &http::Request<Vec<u8>>) {
    let path = request.uri().path();
    let Some(cursor) = url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
    else {
        return;
    };
    let mut a = ledger.lock();
    let Some((nth, seen)) = a.traps.get_mut(path) else {
        return;
    };
    *seen += 1;
    if *seen != *nth {
        return;
    }
    let automation = path
        .trim_start_matches("/automations/")
        .trim_end_matches("/runs");
    if fake.delete_run(automation, &cursor) {
        a.deleted.push(cursor);
    }
}

/// A whole HTTP/1.1 request in `message` (head, and body by its length),
/// or `None` while it is not all there.
fn parse(message: &[u8]) -> Option<http::Request<Vec<u8>>> {
    let end = message.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&message[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?, first.next()?);
    let mut request = http::Request::builder().method(method).uri(target);
    let mut length = 0;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        }
        request = request.header(name, value);
    }
    let body = message.get(end + 4..end + 4 + length)?;
    request.body(body.to_vec()).ok()
}

/// `answer` as HTTP/1.1 bytes, closing the connection, with the `Date` an
/// origin server sends (as hyper does for the fake's own server): the
/// watch's look-back hangs no higher than the server's clock, and without
/// it runs stamped far ahead hide the runs created after them.
fn encode(answer: &http::Response<String>) -> Vec<u8> {
    let status = answer.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in answer.headers() {
        out.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().unwrap_or_default()
        ));
    }
    // The wall clock, as the fake stamps its runs by it.
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    out.push_str(&format!(
        "date: {date}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.body().len()
    ));
    out.push_str(answer.body());
    out.into_bytes()
}
