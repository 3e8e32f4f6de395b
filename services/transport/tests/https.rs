//! The HTTPS transport against a real TLS server implementing the protocol (see `https/server.rs`).

#[path = "https/server.rs"]
mod server;

use rcm_transport::{HttpsConfig, Put, RemoteFile, RetryPolicy, Transport, TransportConfig, TransportError, retry};
use server::{Ca, Server};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

const TOKEN: &str = "test-token-7f3a";

struct Setup {
    server: Server,
    files: tempfile::TempDir,
}

async fn setup(ca: &Ca) -> Setup {
    let server = Server::start(TOKEN, ca.server_cert(&["127.0.0.1", "localhost"])).await;
    let files = tempfile::tempdir().unwrap();
    fs::write(files.path().join("ca.pem"), ca.pem()).unwrap();
    fs::write(files.path().join("token"), format!("{TOKEN}\n")).unwrap();
    Setup { server, files }
}

fn config(s: &Setup) -> HttpsConfig {
    HttpsConfig {
        base_url: s.server.base_url(),
        token_file: Some(s.files.path().join("token")),
        token_env: None,
        ca_cert_path: Some(s.files.path().join("ca.pem")),
        timeout_ms: 5_000,
    }
}

fn build(cfg: HttpsConfig) -> Arc<dyn Transport> {
    TransportConfig::Https(cfg).build().unwrap()
}

#[tokio::test]
async fn put_list_fetch_archive_over_tls_with_a_private_ca() {
    let ca = Ca::new("rcm test CA");
    let s = setup(&ca).await;
    let t = build(config(&s));
    assert_eq!(t.describe(), s.server.base_url());
    assert_eq!(t.kind(), "https");

    assert_eq!(t.put("acme-1.837", b"ISA*00*one~").await.unwrap(), Put::Written);
    assert_eq!(t.put("acme-1.837", b"ISA*00*one~").await.unwrap(), Put::AlreadyThere);
    let e = t.put("acme-1.837", b"ISA*00*two~").await.unwrap_err();
    assert!(matches!(e, TransportError::Conflict { .. }) && !e.is_retryable(), "{e}");
    assert!(!e.to_string().contains(TOKEN) && !e.to_string().contains("ISA"), "{e}");
    assert_eq!(fs::read(s.server.path("outbound/acme-1.837")).unwrap(), b"ISA*00*one~");

    // A name that needs percent-encoding in the URL arrives as itself.
    assert_eq!(t.put("acme 2#x.837", b"two").await.unwrap(), Put::Written);
    assert!(s.server.path("outbound/acme 2#x.837").is_file());

    let inbound = s.server.path("inbound");
    fs::write(inbound.join("acme-1.999"), b"999").unwrap();
    fs::write(inbound.join("acme-1.835"), b"835 835").unwrap();
    fs::write(inbound.join(".acme-2.835.tmp"), b"half").unwrap();
    assert_eq!(
        t.list_inbound().await.unwrap(),
        vec![RemoteFile { name: "acme-1.835".into(), size: 7 }, RemoteFile { name: "acme-1.999".into(), size: 3 }]
    );
    assert_eq!(t.fetch("acme-1.835").await.unwrap(), b"835 835");
    let e = t.fetch("missing.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }) && !e.is_retryable(), "{e}");

    t.archive("acme-1.999").await.unwrap();
    t.archive("acme-1.999").await.unwrap();
    assert!(s.server.path("inbound/processed/acme-1.999").is_file());
    let left: Vec<String> = t.list_inbound().await.unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(left, vec!["acme-1.835"]);
    let e = t.archive("never.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }), "{e}");
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error_not_worth_retrying() {
    let ca = Ca::new("rcm test CA");
    let s = setup(&ca).await;
    let wrong = s.files.path().join("wrong_token");
    fs::write(&wrong, "not-the-token").unwrap();
    let mut cfg = config(&s);
    cfg.token_file = Some(wrong);
    let t = build(cfg);
    let policy = RetryPolicy { max_attempts: 4, min_delay_ms: 1, max_delay_ms: 5 };
    let e = retry(&policy, || t.list_inbound()).await.unwrap_err();
    assert!(matches!(e, TransportError::Auth { .. }) && !e.is_retryable(), "{e}");
    assert!(!e.to_string().contains("not-the-token"), "{e}");
    assert_eq!(s.server.api.requests.load(Ordering::SeqCst), 1, "retried a refused token");

    // A token file that has gone is a configuration error, found at the call.
    let mut cfg = config(&s);
    cfg.token_file = Some(s.files.path().join("gone"));
    fs::write(s.files.path().join("gone"), TOKEN).unwrap();
    let t = build(cfg);
    fs::remove_file(s.files.path().join("gone")).unwrap();
    let e = t.list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::Config { .. }), "{e}");
}

#[tokio::test]
async fn a_503_is_retried_until_the_server_recovers() {
    let ca = Ca::new("rcm test CA");
    let s = setup(&ca).await;
    let t = build(config(&s));

    s.server.api.fail_next.store(1, Ordering::SeqCst);
    let e = t.put("a.837", b"one").await.unwrap_err();
    assert!(matches!(e, TransportError::Status { status: 503, .. }) && e.is_retryable(), "{e}");

    s.server.api.fail_next.store(2, Ordering::SeqCst);
    let before = s.server.api.requests.load(Ordering::SeqCst);
    let policy = RetryPolicy { max_attempts: 5, min_delay_ms: 10, max_delay_ms: 50 };
    assert_eq!(retry(&policy, || t.put("a.837", b"one")).await.unwrap(), Put::Written);
    assert_eq!(s.server.api.requests.load(Ordering::SeqCst) - before, 3);
    assert_eq!(fs::read(s.server.path("outbound/a.837")).unwrap(), b"one");
}

#[tokio::test]
async fn a_server_not_signed_by_the_configured_ca_is_refused() {
    let ca = Ca::new("rcm test CA");
    let s = setup(&ca).await;

    // The CA file names another CA.
    let other = Ca::new("someone else");
    let other_pem = s.files.path().join("other.pem");
    fs::write(&other_pem, other.pem()).unwrap();
    let mut cfg = config(&s);
    cfg.ca_cert_path = Some(other_pem);
    let t = build(cfg);
    let e = t.put("a.837", b"one").await.unwrap_err();
    assert!(matches!(e, TransportError::UntrustedServer { .. }) && !e.is_retryable(), "{e}");
    assert_eq!(s.server.api.requests.load(Ordering::SeqCst), 0);
    assert!(!s.server.path("outbound/a.837").exists());

    // The right CA, but a certificate for another host.
    let wrong_host = Server::start(TOKEN, ca.server_cert(&["clearinghouse.example"])).await;
    let mut cfg = config(&s);
    cfg.base_url = wrong_host.base_url();
    let e = build(cfg).list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::UntrustedServer { .. }), "{e}");

    // Without a CA file the system's roots are used, which do not know our test CA.
    let mut cfg = config(&s);
    cfg.ca_cert_path = None;
    let e = build(cfg).list_inbound().await.unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    assert_eq!(s.server.api.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn check_reports_bad_https_settings() {
    let cfg = TransportConfig::Https(HttpsConfig {
        base_url: "https://edi.example.com/v1".into(),
        token_file: Some(Path::new("/nonexistent/token").into()),
        token_env: None,
        ca_cert_path: Some(Path::new("/nonexistent/ca.pem").into()),
        timeout_ms: 0,
    });
    let e = cfg.check().unwrap_err().to_string();
    assert!(e.contains("token_file /nonexistent/token is not a readable file"), "{e}");
    assert!(e.contains("ca_cert_path"), "{e}");
    assert!(e.contains("timeout_ms is 0"), "{e}");
}
