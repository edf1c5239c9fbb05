//! Every builder option, exactly: what each accepts, what each refuses
//! (with a `Config` error, before any request), and what each does.

use std::process::Command;
use std::sync::atomic::Ordering;
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
            let result = client.list_workflow_runs("wf").send().await;
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
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        matches!(&err, Error::Transport(t) if t.is_connect()),
        "{err:?}"
    );
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    drop(listener);
}

// HTTP_PROXY in the environment once received the key in clear. The
// environment is process-wide, so this runs in a child process.
#[test]
fn proxy_from_env_child() {
    let Ok(base) = std::env::var("RESEND_WORKFLOWS_PROXY_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    match rt.block_on(client.list_workflow_runs("wf").send()) {
        Ok(page) => eprintln!("runs={}", page.runs().len()),
        Err(e) => eprintln!("error={e}"),
    }
}

#[tokio::test]
async fn a_proxy_in_the_environment_is_never_used() {
    let server = raw::scripted(vec![raw::json(200, &[], &raw::list(false, &["a"]))]).await;
    let proxy = raw::start(|_, _| Action::Drop).await;
    let output = tokio::task::spawn_blocking({
        let (base, proxy) = (server.base_url.clone(), proxy.base_url.clone());
        move || {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "options::proxy_from_env_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("RESEND_WORKFLOWS_PROXY_CHILD", base)
                .env("HTTP_PROXY", &proxy)
                .env("http_proxy", &proxy)
                .env("ALL_PROXY", &proxy)
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        0,
        "the proxy saw the request: {stderr}"
    );
    assert!(stderr.contains("runs=1"), "{stderr}");
}

#[tokio::test]
async fn an_explicit_proxy_is_used_and_must_be_safe() {
    let fake = crate::common::fake().await;
    fake.seed_workflow("wf", 3);
    let upstream = fake.base_url();
    let proxy = raw::start(move |_, _| Action::Forward(upstream.clone())).await;
    // Port 9 answers nothing: only the proxy can.
    let client = Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:9")
        .proxy(&proxy.base_url)
        .build()
        .unwrap();
    let page = client.list_workflow_runs("wf").send().await.unwrap();
    assert_eq!(page.runs().len(), 3);
    assert_eq!(proxy.requests.load(Ordering::SeqCst), 1);
    for (builder, expected) in [
        (
            Client::builder()
                .api_key(KEY)
                .proxy("http://user:pw@10.1.2.3:3128"),
            "plain http to a non-loopback host",
        ),
        (
            Client::builder()
                .api_key(KEY)
                .proxy("https://proxy.test")
                .http_client(crate::common::reqwest_builder().build().unwrap()),
            "cannot be set with http_client",
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(err, Error::Config(_)) && err.to_string().contains(expected),
            "{err}"
        );
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
}

// Tiny rates once panicked in build() or on the first request.
#[test]
fn requests_per_second_out_of_range_is_a_config_error() {
    for rate in [1e-300, 1e-19, 1e-9, 1e-4, 1e7, f64::MAX, f64::MIN_POSITIVE] {
        let err = Client::builder()
            .api_key(KEY)
            .requests_per_second(rate)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{rate}: {err:?}");
        assert!(err.to_string().contains("requests_per_second"), "{err}");
    }
    for rate in [1.0 / 3600.0, 0.5, 1e6] {
        Client::builder()
            .api_key(KEY)
            .requests_per_second(rate)
            .build()
            .unwrap();
    }
}

#[test]
fn max_server_wait_outside_a_second_to_31_days_is_a_config_error() {
    use resend_workflows::MAX_SERVER_WAIT;
    let one_more = MAX_SERVER_WAIT + Duration::from_secs(1);
    for bound in [Duration::ZERO, Duration::from_millis(999), one_more] {
        let err = Client::builder()
            .api_key(KEY)
            .max_server_wait(bound)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bound:?}: {err:?}");
        assert!(err.to_string().contains("max_server_wait"), "{err}");
    }
    for bound in [Duration::from_secs(1), MAX_SERVER_WAIT] {
        Client::builder()
            .api_key(KEY)
            .max_server_wait(bound)
            .build()
            .unwrap();
    }
}

// Base-URL errors once echoed the credentials in them.
#[test]
fn base_url_errors_never_show_credentials() {
    for url in [
        "https://user:re_SECRET@x.test/?a=1",
        "https://user:re_SECRET@x.test:99999/",
        "http://user:re_SECRET@example.com/",
        "ftp://user:re_SECRET@x.test/",
        "https://user:re_SECRET@x.test/#frag",
        "https://re_SECRET@x.test/",
        "not a url user:re_SECRET@x",
    ] {
        let err = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("re_SECRET") && !shown.contains("user:"),
            "{url}: {shown}"
        );
        assert_no_key(&err);
    }
}
