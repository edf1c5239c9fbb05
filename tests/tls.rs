//! TLS as users get it, with whichever TLS feature is compiled (rustls +
//! aws-lc-rs and the platform verifier by default; `.ci/run` also runs this
//! binary with `native-tls` alone): a server whose certificate is not
//! trusted is refused during the handshake, so no request, and no API
//! key, ever reaches it; and the refusal is reported as a TLS transport
//! error that is not retried. A binary of its own, so that it can be built
//! per TLS feature without building every other test again.

#![cfg(any(feature = "__rustls", feature = "native-tls"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use resend_workflows::{Client, Error};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const KEY: &str = "re_test_5ecret_k3y_do_not_print";

/// Asserts the key appears in neither the `Debug` nor the `Display` of `value`.
#[track_caller]
fn assert_no_key<T: std::fmt::Debug + std::fmt::Display>(value: &T) {
    let shown = format!("{value:?}\n{value}");
    assert!(!shown.contains("5ecret"), "the API key leaked: {shown}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_before_the_key_is_sent() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (handshakes, bytes_seen) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (h, b) = (handshakes.clone(), bytes_seen.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            if let Ok(mut tls) = acceptor.accept(socket).await {
                h.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                b.fetch_add(n, Ordering::SeqCst);
            }
        }
    });

    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("https://localhost:{port}"))
        .build()
        .unwrap();
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    let Error::Transport(transport) = &err else {
        panic!("a transport error expected, got {err:?}")
    };
    assert!(transport.is_tls(), "{err:?}");
    assert!(!err.is_retryable(), "a TLS refusal is not transient");
    assert_eq!(err.attempts(), Some(1), "and was not retried: {err}");
    assert_no_key(&err);
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        0,
        "no handshake completed"
    );
    assert_eq!(
        bytes_seen.load(Ordering::SeqCst),
        0,
        "no request reached the server"
    );
}

/// The key-exchange groups the crate's own client offers, first preferred:
/// with `rustls` (the default) aws-lc-rs's, post-quantum hybrid first;
/// with `rustls-ring` ring's, which has no post-quantum group; in the
/// order rustls 0.23.48 gives them (a later change of defaults fails here).
#[cfg(feature = "__rustls")]
#[tokio::test]
async fn the_client_offers_the_providers_key_exchange_groups() {
    use tokio_rustls::rustls::NamedGroup;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hello = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let acceptor = tokio_rustls::rustls::server::Acceptor::default();
        let start = tokio_rustls::LazyConfigAcceptor::new(acceptor, socket)
            .await
            .unwrap();
        start.client_hello().named_groups().map(<[_]>::to_vec)
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("https://localhost:{port}"))
        .retry(resend_workflows::RetryPolicy::disabled())
        .build()
        .unwrap();
    // The server reads the hello and hangs up: the request fails, unsent.
    let err = client.list_workflow_runs("wf").send().await.unwrap_err();
    assert_no_key(&err);
    let expected = if cfg!(feature = "rustls-ring") {
        vec![
            NamedGroup::secp384r1,
            NamedGroup::X25519,
            NamedGroup::secp256r1,
        ]
    } else {
        vec![
            NamedGroup::X25519MLKEM768,
            NamedGroup::secp384r1,
            NamedGroup::X25519,
            NamedGroup::secp256r1,
        ]
    };
    assert_eq!(hello.await.unwrap(), Some(expected));
}
