//! A raw HTTP/1.1 server on loopback for what httpmock cannot do: drop a
//! connection, cut a body off, stall mid-body, send bytes that are not
//! HTTP. Each connection serves one request (`connection: close`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do with one request.
pub enum Action {
    /// Write these bytes (a whole response) and close.
    Raw(Vec<u8>),
    /// Close without answering.
    Drop,
    /// Write these bytes, then hold the connection open, silent, forever.
    Stall(Vec<u8>),
    /// Forward to this base URL and relay the answer.
    Forward(String),
    /// Write each piece, flushed, 20 ms apart, then close.
    Trickle(Vec<Vec<u8>>),
}

/// The request line's target (path and query) and the raw head.
pub struct RawRequest {
    pub target: String,
    pub head: String,
}

/// A whole response with `status`, extra header lines and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON response.
pub fn json(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    response(status, &all, body.as_bytes())
}

pub struct RawServer {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
}

/// Starts a server on the current runtime; `handler` gets each request and
/// its 0-based number.
pub async fn start<F>(handler: F) -> RawServer
where
    F: Fn(&RawRequest, usize) -> Action + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let handler = Arc::new(handler);
    let relay = super::reqwest_builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (handler, counter, relay) = (handler.clone(), counter.clone(), relay.clone());
            tokio::spawn(async move {
                let _ = serve(socket, &*handler, &counter, &relay).await;
            });
        }
    });
    RawServer { base_url, requests }
}

async fn serve<F>(
    mut socket: TcpStream,
    handler: &F,
    counter: &AtomicUsize,
    relay: &reqwest::Client,
) -> std::io::Result<()>
where
    F: Fn(&RawRequest, usize) -> Action,
{
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let n = counter.fetch_add(1, Ordering::SeqCst);
    match handler(
        &RawRequest {
            target,
            head: head.clone(),
        },
        n,
    ) {
        Action::Raw(bytes) => socket.write_all(&bytes).await?,
        Action::Drop => {}
        Action::Trickle(pieces) => {
            for piece in pieces {
                socket.write_all(&piece).await?;
                socket.flush().await?;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        Action::Stall(bytes) => {
            socket.write_all(&bytes).await?;
            socket.flush().await?;
            std::future::pending::<()>().await;
        }
        Action::Forward(base) => {
            // A proxy is sent the absolute URL: keep its path and query.
            let target = head.split_whitespace().nth(1).unwrap_or("/");
            let target = match target.strip_prefix("http://") {
                Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
                None => target,
            };
            let mut request = relay.get(format!("{base}{target}"));
            for line in head.lines().skip(1) {
                if let Some((k, v)) = line.split_once(':')
                    && ["authorization", "user-agent"]
                        .contains(&k.trim().to_ascii_lowercase().as_str())
                {
                    request = request.header(k.trim(), v.trim());
                }
            }
            let answer = request.send().await.map_err(std::io::Error::other)?;
            let status = answer.status().as_u16();
            let headers: Vec<(String, String)> = answer
                .headers()
                .iter()
                .filter(|(k, _)| {
                    k.as_str().starts_with("ratelimit") || k.as_str() == "content-type"
                })
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let body = answer.bytes().await.map_err(std::io::Error::other)?;
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            socket.write_all(&response(status, &headers, &body)).await?;
        }
    }
    socket.shutdown().await
}

/// A page of completed runs with these ids, as the list endpoints send it.
pub fn list(has_more: bool, ids: &[&str]) -> String {
    let data: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(r#"{{"id":"{id}","status":"completed","created_at":"2026-01-01T00:00:00Z"}}"#)
        })
        .collect();
    format!(
        r#"{{"object":"list","has_more":{has_more},"data":[{}]}}"#,
        data.join(",")
    )
}

/// Resend's JSON error body.
pub fn error_body(status: u16, name: &str, message: &str) -> String {
    serde_json::json!({"statusCode": status, "name": name, "message": message}).to_string()
}

/// A raw server answering the n-th request (0-based) with `script[n]`, the
/// last one for every later request.
pub async fn scripted(script: Vec<Vec<u8>>) -> RawServer {
    start(move |_, n| Action::Raw(script[n.min(script.len() - 1)].clone())).await
}
