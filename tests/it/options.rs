//! Every builder option, exactly: what each accepts, what each refuses
//! (with a `Config` error, before any request), and what each does.

use std::process::Command;
use std::time::Duration;

use resend_workflows::{Client, Error, RetryPolicy};

use crate::common::raw::{self, Action};
use crate::common::{KEY, assert_no_key};

fn config_error(builder: resend_workflows::ClientBuilder) -> String {
    match builder.build() {
        Err(Error::Config(e)) => {
            let shown = e.to_string();
            assert!(!shown.contains(KEY), "{shown}");
            shown
        }
        other => panic!("a config error expected, got {other:?}"),
    }
}

#[test]
fn requests_per_second_must_be_a_positive_finite_number() {
    for rate in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let shown = config_error(Client::builder().api_key(KEY).requests_per_second(rate));
        assert!(shown.contains("requests_per_second"), "{rate}: {shown}");
    }
    for rate in [0.5, 2.0, 10.0, 1000.0] {
        Client::builder()
            .api_key(KEY)
            .requests_per_second(rate)
            .build()
            .unwrap_or_else(|e| panic!("{rate}: {e}"));
    }
}

#[test]
fn the_key_must_be_given_and_not_blank() {
    assert!(config_error(Client::builder()).contains("no API key"));
    for blank in ["", " ", "\t \n"] {
        assert!(
            config_error(Client::builder().api_key(blank)).contains("empty"),
            "{blank:?}"
        );
    }
    let shown = config_error(Client::builder().api_key(format!("{KEY}\r\nx: y")));
    assert!(shown.contains("cannot be sent in a header"), "{shown}");
}

#[test]
fn a_bad_user_agent_is_refused() {
    let shown = config_error(Client::builder().api_key(KEY).user_agent("svc\n1"));
    assert!(shown.contains("user agent"), "{shown}");
}

/// Runs this test binary again, as a child running only `from_env_child`,
/// with `env` set and `RESEND_*` otherwise unset; returns its stderr.
fn from_env_in_a_child(env: &[(&str, &str)]) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "options::from_env_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("RESEND_API_KEY")
        .env_remove("RESEND_BASE_URL")
        .env("RESEND_WORKFLOWS_FROM_ENV_CHILD", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

/// The child's side of `from_env_reads_the_key_and_the_base_url`: does
/// nothing unless run by it.
#[test]
fn from_env_child() {
    if std::env::var_os("RESEND_WORKFLOWS_FROM_ENV_CHILD").is_none() {
        return;
    }
    match Client::from_env() {
        Ok(client) => eprintln!("base_url={}", client.base_url()),
        Err(e) => {
            assert_no_key(&e);
            eprintln!("error={e}");
        }
    }
}

#[test]
fn from_env_reads_the_key_and_the_base_url() {
    let out = from_env_in_a_child(&[("RESEND_API_KEY", KEY)]);
    assert!(out.contains("base_url=https://api.resend.com\n"), "{out}");
    let out = from_env_in_a_child(&[
        ("RESEND_API_KEY", KEY),
        ("RESEND_BASE_URL", "http://127.0.0.1:8080/"),
    ]);
    assert!(out.contains("base_url=http://127.0.0.1:8080\n"), "{out}");
    let out = from_env_in_a_child(&[
        ("RESEND_API_KEY", KEY),
        ("RESEND_BASE_URL", "http://example.com"),
    ]);
    assert!(
        out.contains("error=cannot build the client: base URL"),
        "{out}"
    );
    let out = from_env_in_a_child(&[]);
    assert!(
        out.contains("error=cannot build the client: RESEND_API_KEY is not set"),
        "{out}"
    );
    assert!(!out.contains(KEY));
}

/// A list body of exactly `len` bytes.
fn body_of(len: usize) -> String {
    let empty = r#"{"object":"list","has_more":false,"data":[],"pad":""}"#;
    let body = format!(
        r#"{{"object":"list","has_more":false,"data":[],"pad":"{}"}}"#,
        "x".repeat(len - empty.len())
    );
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn max_response_bytes_is_the_exact_cap_announced_or_not() {
    for chunked in [false, true] {
        for (len, fits) in [(1024, true), (1025, false)] {
            let body = body_of(len);
            let response = if chunked {
                // 512 + 512 + the rest: the cap is crossed by the last byte.
                let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                    .to_vec();
                for chunk in [&body[..512], &body[512..1024], &body[1024..]] {
                    if !chunk.is_empty() {
                        out.extend_from_slice(
                            format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes(),
                        );
                    }
                }
                out.extend_from_slice(b"0\r\n\r\n");
                out
            } else {
                raw::json(200, &[], &body)
            };
            let server = raw::start(move |_, _| Action::Raw(response.clone())).await;
            let client = Client::builder()
                .api_key(KEY)
                .base_url(&server.base_url)
                .retry(RetryPolicy::disabled())
                .max_response_bytes(1024)
                .build()
                .unwrap();
            let result = client.list_runs("wf").send().await;
            match (fits, result) {
                (true, Ok(page)) => assert!(page.runs().is_empty()),
                (false, Err(Error::ResponseTooLarge(e))) => {
                    assert_eq!(
                        (e.limit(), e.received()),
                        (1024, 1025),
                        "chunked: {chunked}"
                    );
                }
                (_, other) => panic!("{len} bytes, chunked {chunked}: {other:?}"),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn connect_timeout_bounds_a_connection_that_is_never_accepted() {
    // A listener with a backlog of one that never accepts: once its queue
    // is full, the kernel drops further connection attempts unanswered.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    // Filled with blocking connects on the real clock, before the client
    // runs on the paused one.
    let mut held = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
        held.push(stream);
        assert!(held.len() < 64, "the listen queue never filled");
    }
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .connect_timeout(Duration::from_secs(7))
        .no_timeout()
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let t0 = tokio::time::Instant::now();
    let err = client.list_runs("wf").send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        matches!(&err, Error::Transport(t) if t.is_connect()),
        "{err:?}"
    );
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    drop(listener);
}
