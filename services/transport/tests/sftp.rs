//! The SFTP transport against a real OpenSSH server started by the test (see `sftp/sshd.rs`).
//! Without /usr/sbin/sshd these tests fail, saying to install openssh-server.

#[path = "sftp/sshd.rs"]
mod sshd;

use rcm_transport::{Put, RemoteFile, RetryPolicy, SftpConfig, Transport, TransportConfig, TransportError, retry};
use sshd::Sshd;
use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn user() -> String {
    let out = std::process::Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn sftp_config(s: &Sshd) -> SftpConfig {
    SftpConfig {
        host: "127.0.0.1".into(),
        port: s.port,
        user: user(),
        private_key_path: s.path("client_key"),
        private_key_passphrase_env: None,
        known_hosts_path: None,
        host_key_sha256: Some(s.host_fingerprint_line()),
        outbound_dir: s.path("outbound").display().to_string(),
        inbound_dir: s.path("inbound").display().to_string(),
        timeout_ms: 5_000,
    }
}

fn build(cfg: SftpConfig) -> Arc<dyn Transport> {
    TransportConfig::Sftp(cfg).build().unwrap()
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn put_list_fetch_archive_against_openssh() {
    let s = Sshd::start();
    let t = build(sftp_config(&s));
    let d = t.describe();
    assert_eq!(
        d,
        format!(
            "sftp://{}@127.0.0.1:{} out={} in={}",
            user(),
            s.port,
            s.path("outbound").display(),
            s.path("inbound").display()
        )
    );

    assert_eq!(t.put("acme-1.837", b"ISA*00*one~").await.unwrap(), Put::Written);
    assert_eq!(t.put("acme-1.837", b"ISA*00*one~").await.unwrap(), Put::AlreadyThere);
    assert_eq!(names_in(&s.path("outbound")), vec!["acme-1.837"], "no temporary file left");
    assert_eq!(fs::read(s.path("outbound/acme-1.837")).unwrap(), b"ISA*00*one~");

    for other in [&b"ISA*00*two~"[..], b"ISA*00*longer~"] {
        let e = t.put("acme-1.837", other).await.unwrap_err();
        assert!(matches!(e, TransportError::Conflict { .. }) && !e.is_retryable(), "{e}");
        assert!(!e.to_string().contains("ISA"), "content in an error: {e}");
    }
    assert_eq!(fs::read(s.path("outbound/acme-1.837")).unwrap(), b"ISA*00*one~");

    // A larger file crosses several SFTP packets.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(t.put("acme-2.837", &big).await.unwrap(), Put::Written);
    assert_eq!(fs::read(s.path("outbound/acme-2.837")).unwrap(), big);

    let inbound = s.path("inbound");
    fs::write(inbound.join("acme-1.999"), b"999").unwrap();
    fs::write(inbound.join("acme-1.277ca"), b"277ca!").unwrap();
    fs::write(inbound.join(".acme-1.835.0190.tmp"), b"half").unwrap();
    fs::write(inbound.join("acme-2.835.tmp"), b"half").unwrap();
    fs::create_dir(inbound.join("failed")).unwrap();
    assert_eq!(
        t.list_inbound().await.unwrap(),
        vec![RemoteFile { name: "acme-1.277ca".into(), size: 6 }, RemoteFile { name: "acme-1.999".into(), size: 3 }]
    );
    assert_eq!(t.fetch("acme-1.999").await.unwrap(), b"999");
    let e = t.fetch("missing.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }) && !e.is_retryable(), "{e}");

    t.archive("acme-1.999").await.unwrap();
    t.archive("acme-1.999").await.unwrap();
    assert_eq!(fs::read(inbound.join("processed/acme-1.999")).unwrap(), b"999");
    let left: Vec<String> = t.list_inbound().await.unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(left, vec!["acme-1.277ca"]);

    // The same name again with other bytes is kept beside the first, never over it.
    fs::write(inbound.join("acme-1.999"), b"again").unwrap();
    t.archive("acme-1.999").await.unwrap();
    assert_eq!(fs::read(inbound.join("processed/acme-1.999")).unwrap(), b"999");
    let processed = names_in(&inbound.join("processed"));
    assert_eq!(processed.len(), 2, "{processed:?}");
    assert!(!inbound.join("acme-1.999").exists());

    let e = t.archive("never.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }), "{e}");
}

#[tokio::test]
async fn host_key_must_match_the_pin() {
    let s = Sshd::start();

    // A known_hosts file with the right key works.
    let mut cfg = sftp_config(&s);
    cfg.host_key_sha256 = None;
    cfg.known_hosts_path = Some(s.known_hosts("host_key.pub"));
    build(cfg).list_inbound().await.unwrap();

    // One with another key for this host: refused, and not worth retrying.
    let mut cfg = sftp_config(&s);
    cfg.host_key_sha256 = None;
    cfg.known_hosts_path = Some(s.known_hosts("other_key.pub"));
    let e = build(cfg).put("a.837", b"x").await.unwrap_err();
    assert!(matches!(e, TransportError::UntrustedServer { .. }) && !e.is_retryable(), "{e}");
    assert!(e.to_string().contains("differs from line"), "{e}");

    // A known_hosts file without this host at all: refused too.
    let mut cfg = sftp_config(&s);
    cfg.host_key_sha256 = None;
    let empty = s.path("known_hosts_empty");
    fs::write(&empty, "").unwrap();
    cfg.known_hosts_path = Some(empty);
    let e = build(cfg).list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::UntrustedServer { .. }), "{e}");

    // A fingerprint of another key.
    let other = std::process::Command::new("ssh-keygen").arg("-lf").arg(s.path("other_key.pub")).output().unwrap();
    let mut cfg = sftp_config(&s);
    cfg.host_key_sha256 = Some(String::from_utf8(other.stdout).unwrap());
    let e = build(cfg).list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::UntrustedServer { .. }) && !e.is_retryable(), "{e}");
    assert!(e.to_string().contains("not the configured SHA256:"), "{e}");
    assert!(names_in(&s.path("outbound")).is_empty());
}

#[tokio::test]
async fn setup_mistakes_are_reported_and_not_retried() {
    let s = Sshd::start();
    // A key the server does not know.
    let mut cfg = sftp_config(&s);
    cfg.private_key_path = s.path("other_key");
    let e = build(cfg).list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::Auth { .. }) && !e.is_retryable(), "{e}");

    // Remote folders that are not there.
    let mut cfg = sftp_config(&s);
    cfg.outbound_dir = s.path("nowhere/out").display().to_string();
    cfg.inbound_dir = s.path("nowhere/in").display().to_string();
    let t = build(cfg);
    let e = t.put("a.837", b"x").await.unwrap_err();
    assert!(!e.is_retryable() && e.to_string().contains("outbound folder"), "{e}");
    let e = t.list_inbound().await.unwrap_err();
    assert!(!e.is_retryable() && e.to_string().contains("inbound folder"), "{e}");

    // A passphrase variable that is not set is caught by check(), before anything is sent.
    let mut cfg = sftp_config(&s);
    cfg.private_key_passphrase_env = Some("RCM_TRANSPORT_TEST_UNSET_PASSPHRASE".into());
    let e = TransportConfig::Sftp(cfg).build().err().unwrap();
    assert!(matches!(e, TransportError::Config { .. }), "{e}");
}

#[tokio::test]
async fn server_killed_then_restarted_the_same_transport_reconnects() {
    let mut s = Sshd::start();
    let t = build(sftp_config(&s));
    assert_eq!(t.put("a.837", b"one").await.unwrap(), Put::Written);

    s.kill();
    let e = t.put("b.837", b"two").await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
    let e = t.list_inbound().await.unwrap_err();
    assert!(matches!(e, TransportError::Connect { .. }) && e.is_retryable(), "{e}");

    s.restart();
    assert_eq!(t.put("b.837", b"two").await.unwrap(), Put::Written);

    // Down again, back while the retry helper waits: the call succeeds without the caller noticing.
    s.kill();
    let restarter = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(300));
        s.restart();
        s
    });
    let policy = RetryPolicy { max_attempts: 8, min_delay_ms: 50, max_delay_ms: 400 };
    let started = Instant::now();
    let put = retry(&policy, || t.put("c.837", b"three")).await.unwrap();
    assert_eq!(put, Put::Written);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let s = restarter.await.unwrap();
    assert_eq!(names_in(&s.path("outbound")), vec!["a.837", "b.837", "c.837"]);
}
