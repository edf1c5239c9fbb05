//! The simulation's way to the fake: one connection a request, through a
//! relay on threads of its own, with tokio's paused clock held still
//! while a request is on the wire, and answers given in the order the
//! connections were made.
//!
//! Why: on a paused clock, a runtime with nothing to run and a timer
//! pending jumps to the timer at once, even while an answer is on its way
//! over loopback; with a team watch's keepers and polls there is always a
//! timer, so each request moved the clock by a second or two, as much as
//! the threads' timing let it, and two answers in flight came in either
//! order: no schedule would play twice alike. A blocking task holds the
//! clock (tokio does not auto-advance while one runs); one starts as each
//! connection is made (the resolver is asked once a connection, there
//! being no pool) and ends when the relay has written the whole answer to
//! the client's socket, where the runtime finds it before the clock may
//! move again. [`Wire::settle`] waits for every answer owed, so the fake
//! changes between two requests, never during one; [`Wire::stranded`]
//! says whether a stream left a connection half made (see there).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use resend_workflows::{Client, RetryPolicy};

use crate::common;

/// How long (real time) a held clock waits for an answer before letting
/// go anyway, so a lost connection costs a pause and never a hang.
const HOLD_AT_MOST: Duration = Duration::from_secs(2);

/// How long (real time) a request written may take to reach the relay.
const IN_TRANSIT: Duration = Duration::from_millis(50);

/// The connections' accounts, shared by the client's holds and the relay.
#[derive(Debug, Default)]
struct Accounts {
    /// Connections the client started (each with a hold).
    started: u64,
    /// Connections the relay accepted, numbered in that order.
    accepted: u64,
    /// Connections whose request came.
    requested: BTreeSet<u64>,
    /// The lowest connection not done, and those done above it.
    lowest: u64,
    done_above: BTreeSet<u64>,
    /// Holds that ended by `HOLD_AT_MOST` rather than an answer.
    timeouts: u64,
}

impl Accounts {
    fn is_done(&self, n: u64) -> bool {
        n < self.lowest || self.done_above.contains(&n)
    }
}

#[derive(Debug, Default)]
struct Ledger {
    accounts: Mutex<Accounts>,
    changed: Condvar,
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, Accounts> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (at most `limit`) until `ready` holds; whether it did.
    fn wait(&self, limit: Duration, ready: impl Fn(&Accounts) -> bool) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, limit, |a| !ready(a))
            .unwrap_or_else(PoisonError::into_inner);
        ready(&guard)
    }

    /// Connection `n` is done.
    fn done(&self, n: u64) {
        let mut a = self.lock();
        a.done_above.insert(n);
        loop {
            let lowest = a.lowest;
            if !a.done_above.remove(&lowest) {
                break;
            }
            a.lowest += 1;
        }
        drop(a);
        self.changed.notify_all();
    }
}

/// A relay to the fake for one schedule; stopped when dropped.
pub struct Wire {
    addr: SocketAddr,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
}

impl Wire {
    /// Starts a relay to `upstream` (the fake's address), on the runtime
    /// whose clock it holds.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let ledger = Arc::new(Ledger::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (stopping, accounts) = (Arc::clone(&stop), Arc::clone(&ledger));
        let upstreams = Arc::new(Upstreams {
            addr: upstream,
            idle: Mutex::default(),
        });
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let n = {
                    let mut a = accounts.lock();
                    a.accepted += 1;
                    a.accepted - 1
                };
                accounts.changed.notify_all();
                let done = Done(n, Arc::clone(&accounts));
                let upstreams = Arc::clone(&upstreams);
                std::thread::spawn(move || relay(conn, &upstreams, done));
            }
        });
        Self { addr, ledger, stop }
    }

    /// A client for the paused clock that reaches the fake through this
    /// relay, one connection a request.
    pub fn client(&self) -> Client {
        let hold = Hold {
            addr: self.addr,
            ledger: Arc::clone(&self.ledger),
        };
        let http = common::reqwest_builder()
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
            .base_url(format!("http://localhost:{}", self.addr.port()))
            .http_client(http)
            .no_timeout()
            .retry(RetryPolicy::default())
            .build()
            .expect("test client builds")
    }

    /// Waits (real time, briefly) until every connection started is
    /// answered: the fake may change now without racing a request.
    pub fn settle(&self) {
        let settled = self.ledger.wait(HOLD_AT_MOST, |a| {
            a.accepted == a.started && a.lowest == a.accepted
        });
        if !settled {
            self.ledger.lock().timeouts += 1;
        }
    }

    /// Whether a connection was made and its request not sent: a stream
    /// that yielded an item while another of its automations connected
    /// sends that request only when polled again, and until then its
    /// hold keeps the clock still. Waits a moment for a request on its
    /// way.
    pub fn stranded(&self) -> bool {
        !self.ledger.wait(IN_TRANSIT, |a| {
            a.accepted == a.started
                && (0..a.started).all(|n| a.is_done(n) || a.requested.contains(&n))
        })
    }

    /// How many holds or settles ended by their limit, not an answer: a
    /// schedule with any may not replay alike.
    pub fn timeouts(&self) -> u64 {
        self.ledger.lock().timeouts
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Connection `.0` done when dropped: once, however it ends.
struct Done(u64, Arc<Ledger>);

impl Drop for Done {
    fn drop(&mut self) {
        self.1.done(self.0);
    }
}

/// The resolver: every name is the relay, and each lookup (one a
/// connection) holds the clock until that many connections are done.
struct Hold {
    addr: SocketAddr,
    ledger: Arc<Ledger>,
}

impl reqwest::dns::Resolve for Hold {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let ledger = Arc::clone(&self.ledger);
        let n = {
            let mut a = ledger.lock();
            a.started += 1;
            a.started - 1
        };
        // Awaited by a task, so its end wakes the runtime at once.
        tokio::spawn(tokio::task::spawn_blocking(move || {
            if !ledger.wait(HOLD_AT_MOST, |a| a.is_done(n)) {
                ledger.lock().timeouts += 1;
            }
        }));
        let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(self.addr));
        Box::pin(std::future::ready(Ok(addrs)))
    }
}

/// One connection: its request read whole and sent on one of the relay's
/// connections to the fake (kept open between requests), the answer read
/// to its end and written back once every earlier connection is done,
/// then closed.
fn relay(mut client: TcpStream, upstreams: &Upstreams, done: Done) {
    let Some(request) = read_whole(&mut client) else {
        return;
    };
    {
        let mut a = done.1.lock();
        a.requested.insert(done.0);
    }
    done.1.changed.notify_all();
    let Some(answer) = upstreams.ask(&request) else {
        return;
    };
    // Answers in the order the connections were made.
    let n = done.0;
    done.1.wait(HOLD_AT_MOST, |a| a.lowest >= n);
    let _ = client.write_all(&answer);
    let _ = client.flush();
    drop(done);
    let _ = client.shutdown(Shutdown::Both);
}

/// The relay's connections to the fake, kept open between requests.
struct Upstreams {
    addr: SocketAddr,
    idle: Mutex<Vec<TcpStream>>,
}

impl Upstreams {
    /// The fake's answer to `request`, on an idle connection or a new one.
    fn ask(&self, request: &[u8]) -> Option<Vec<u8>> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        // An idle connection the fake closed meanwhile: once more, anew.
        for mut up in idle.into_iter().chain(TcpStream::connect(self.addr).ok()) {
            if up.write_all(request).is_err() {
                continue;
            }
            let Some(answer) = read_whole(&mut up) else {
                continue;
            };
            if !head(&answer).contains("connection: close") {
                self.idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(up);
            }
            return Some(answer);
        }
        None
    }
}

/// One whole HTTP/1.1 message from `from` (head, and body by its length or
/// chunked); `None` if it closed first.
fn read_whole(from: &mut TcpStream) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while !complete(&message) {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(got) => message.extend_from_slice(&buf[..got]),
        }
    }
    Some(message)
}

/// A message's head, lowercase.
fn head(message: &[u8]) -> String {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    String::from_utf8_lossy(&message[..end]).to_ascii_lowercase()
}

/// Whether `message` holds a whole HTTP/1.1 message (no length: no body,
/// as the watch's requests and the fake's answers have it).
fn complete(message: &[u8]) -> bool {
    let Some(end) = message.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let body = &message[end + 4..];
    for line in head(message).lines() {
        if let Some(len) = line.strip_prefix("content-length:") {
            return len.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    true
}
