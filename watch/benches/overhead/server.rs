//! The benchmark's server: a minimal HTTP/1.1 keep-alive server on loopback
//! in its own process, answering list requests with page bodies rendered
//! before the clock starts, so its cost per request is a lookup and a write.

use std::io::Write as _;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub(crate) const RUNS_PER_PAGE: usize = 100;

/// One run as Resend sends it; every 7th still running, every other with a trigger.
fn run_json(out: &mut Vec<u8>, i: usize) {
    let running = i.is_multiple_of(7);
    let _ = write!(
        out,
        r#"{{"id":"00000000-0000-4000-8000-{i:012x}","status":"{}","#,
        if running { "running" } else { "completed" }
    );
    if i.is_multiple_of(2) {
        let _ = write!(
            out,
            r#""trigger":{{"event_name":"user.created","payload":{{"n":{i}}}}},"#
        );
    }
    let completed = if running {
        "null"
    } else {
        r#""2026-10-01T12:05:00.000Z""#
    };
    let _ = write!(
        out,
        r#""started_at":"2026-10-01T12:00:00.000Z","completed_at":{completed},"created_at":"2026-10-01T12:00:00.000Z"}}"#
    );
}

/// What the server's runs are like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every 7th running, all created at one instant: the listing scenarios.
    Mixed,
    /// Every run finished, one a second back from the newest: a backlog.
    Backlog,
    /// Every run running, one a second back: all of them in flight.
    InFlight,
}

impl Mode {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "backlog" => Self::Backlog,
            "in-flight" => Self::InFlight,
            _ => Self::Mixed,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Mixed => "mixed",
            Self::Backlog => "backlog",
            Self::InFlight => "in-flight",
        }
    }
}

/// Run `i` of a watch's list (`Backlog` or `InFlight`), created `i` seconds
/// before the newest.
fn spread_run_json(out: &mut Vec<u8>, i: usize, running: bool) {
    let newest = chrono::DateTime::parse_from_rfc3339("2026-10-01T12:00:00Z").unwrap();
    let created = newest - chrono::Duration::seconds(i64::try_from(i).unwrap_or(0));
    let created = created.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, completed) = if running {
        ("running", "null".to_owned())
    } else {
        ("completed", format!("\"{created}\""))
    };
    let _ = write!(
        out,
        r#"{{"id":"00000000-0000-4000-8000-{i:012x}","status":"{status}","started_at":"{created}","completed_at":{completed},"created_at":"{created}"}}"#
    );
}

/// The body of page `page` of a list of `total` runs like `mode` says.
fn mode_page_body(page: usize, total: usize, mode: Mode) -> Vec<u8> {
    let start = page * RUNS_PER_PAGE;
    let end = (start + RUNS_PER_PAGE).min(total);
    let mut out = Vec::with_capacity(32 * 1024);
    let _ = write!(
        out,
        r#"{{"object":"list","has_more":{},"data":["#,
        end < total
    );
    for i in start..end {
        if i > start {
            out.push(b',');
        }
        match mode {
            Mode::Mixed => run_json(&mut out, i),
            Mode::Backlog => spread_run_json(&mut out, i, false),
            Mode::InFlight => spread_run_json(&mut out, i, true),
        }
    }
    out.extend_from_slice(b"]}");
    out
}

fn response(body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         ratelimit-limit: 1000\r\nratelimit-remaining: 999\r\nratelimit-reset: 1\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The index of the page after the run id in `after=`, from the hex tail
/// every generated id carries.
fn page_after(target: &str) -> usize {
    let Some(after) = target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("after="))
    else {
        return 0;
    };
    let index = usize::from_str_radix(&after[after.len().saturating_sub(12)..], 16).unwrap_or(0);
    (index + 1) / RUNS_PER_PAGE
}

pub(crate) struct Config {
    pub(crate) total: usize,
    pub(crate) delay: Duration,
    pub(crate) mode: Mode,
}

/// Serves until the parent closes our stdin. Prints the port first.
pub(crate) fn serve(config: Config) {
    let pages = config.total.div_ceil(RUNS_PER_PAGE).max(1);
    // Pre-render when it fits comfortably (timed scenarios); render on the
    // fly for the million-run memory scenario, where only the client is measured.
    let rendered: Option<Vec<Vec<u8>>> = (pages <= 2_000).then(|| {
        (0..pages)
            .map(|p| response(&mode_page_body(p, config.total, config.mode)))
            .collect()
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        let rendered = std::sync::Arc::new(rendered);
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                socket.set_nodelay(true).unwrap();
                let rendered = rendered.clone();
                tokio::spawn(connection(
                    socket,
                    rendered,
                    config.total,
                    config.delay,
                    config.mode,
                ));
            }
        });
        // The parent closing stdin ends the server.
        let mut stdin = tokio::io::stdin();
        let mut sink = [0u8; 64];
        while stdin.read(&mut sink).await.map(|n| n > 0).unwrap_or(false) {}
    });
}

async fn connection(
    mut socket: TcpStream,
    rendered: std::sync::Arc<Option<Vec<Vec<u8>>>>,
    total: usize,
    delay: Duration,
    mode: Mode,
) {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let head_end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end);
        let target = head.split_whitespace().nth(1).unwrap_or("/");
        let answer = if target == "/__cpu" {
            let body = crate::measure::cpu_time().as_micros().to_string();
            response(body.as_bytes())
        } else {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let page = page_after(target);
            match rendered.as_ref() {
                Some(pages) => pages[page.min(pages.len() - 1)].clone(),
                None => response(&mode_page_body(page, total, mode)),
            }
        };
        if socket.write_all(&answer).await.is_err() {
            return;
        }
    }
}
