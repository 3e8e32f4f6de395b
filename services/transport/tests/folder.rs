//! The folder transport on a temporary directory, built from configuration as a service would.

use rcm_transport::{Put, RemoteFile, TransportConfig, TransportError};
use std::fs;

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn put_is_atomic_idempotent_and_never_overwrites() {
    let data = tempfile::tempdir().unwrap();
    let cfg = TransportConfig::folder_for_tenant(data.path(), "acme");
    let t = cfg.build().unwrap();
    assert_eq!(t.kind(), "folder");
    assert!(t.describe().contains("acme/outbound"));

    assert_eq!(t.put("a.837", b"ISA*00~").await.unwrap(), Put::Written);
    assert_eq!(t.put("a.837", b"ISA*00~").await.unwrap(), Put::AlreadyThere);
    let out = data.path().join("acme/outbound");
    // No temporary file is left behind.
    assert_eq!(names_in(&out), vec!["a.837"]);

    // Same size, other bytes; and another size: both refused, the first file untouched.
    for other in [&b"ISA*01~"[..], b"ISA*00~more"] {
        let e = t.put("a.837", other).await.unwrap_err();
        assert!(matches!(e, TransportError::Conflict { .. }), "{e}");
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("a.837"), "{e}");
        assert!(!e.to_string().contains("ISA"), "content in an error: {e}");
    }
    assert_eq!(fs::read(out.join("a.837")).unwrap(), b"ISA*00~");
    assert_eq!(names_in(&out), vec!["a.837"]);

    for bad in [".hidden", "../escape.837", "x.tmp", ""] {
        let e = t.put(bad, b"x").await.unwrap_err();
        assert!(matches!(e, TransportError::InvalidName { .. }), "{bad:?}: {e}");
    }
}

#[tokio::test]
async fn concurrent_puts_of_one_name_write_once() {
    let data = tempfile::tempdir().unwrap();
    let t = TransportConfig::folder_for_tenant(data.path(), "acme").build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move { t.put("b.837", b"same bytes").await.unwrap() }));
    }
    let mut written = 0;
    for task in tasks {
        if task.await.unwrap() == Put::Written {
            written += 1;
        }
    }
    assert_eq!(written, 1);
    assert_eq!(names_in(&data.path().join("acme/outbound")), vec!["b.837"]);
}

#[tokio::test]
async fn list_skips_temporary_files_and_folders_and_archive_is_idempotent() {
    let data = tempfile::tempdir().unwrap();
    let t = TransportConfig::folder_for_tenant(data.path(), "acme").build().unwrap();
    // No inbound folder yet: nothing waiting (the platform creates it lazily).
    assert!(t.list_inbound().await.unwrap().is_empty());

    let inbound = data.path().join("acme/inbound");
    fs::create_dir_all(inbound.join("processed")).unwrap();
    fs::create_dir_all(inbound.join("failed")).unwrap();
    fs::write(inbound.join("b.277ca"), b"277").unwrap();
    fs::write(inbound.join("a.999"), b"999!").unwrap();
    fs::write(inbound.join(".a.835.0190abc.tmp"), b"half").unwrap();
    fs::write(inbound.join("c.835.tmp"), b"half").unwrap();
    fs::write(inbound.join(".DS_Store"), b"x").unwrap();

    let listed = t.list_inbound().await.unwrap();
    assert_eq!(
        listed,
        vec![RemoteFile { name: "a.999".into(), size: 4 }, RemoteFile { name: "b.277ca".into(), size: 3 }]
    );
    assert_eq!(t.fetch("a.999").await.unwrap(), b"999!");
    let e = t.fetch("nope.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }) && !e.is_retryable(), "{e}");

    t.archive("a.999").await.unwrap();
    t.archive("a.999").await.unwrap();
    assert_eq!(fs::read(inbound.join("processed/a.999")).unwrap(), b"999!");
    let listed: Vec<String> = t.list_inbound().await.unwrap().into_iter().map(|f| f.name).collect();
    assert_eq!(listed, vec!["b.277ca"]);

    // The same name arrives again with other bytes: archived beside the first, which stays.
    fs::write(inbound.join("a.999"), b"second").unwrap();
    t.archive("a.999").await.unwrap();
    assert_eq!(fs::read(inbound.join("processed/a.999")).unwrap(), b"999!");
    let processed = names_in(&inbound.join("processed"));
    assert_eq!(processed.len(), 2, "{processed:?}");
    let alt = processed.iter().find(|n| n.starts_with("a.999.")).unwrap();
    assert_eq!(alt.len(), "a.999.".len() + 12);
    assert_eq!(fs::read(inbound.join("processed").join(alt)).unwrap(), b"second");
    // And once more with the first bytes: already archived, only the inbound copy goes.
    fs::write(inbound.join("a.999"), b"999!").unwrap();
    t.archive("a.999").await.unwrap();
    assert!(!inbound.join("a.999").exists());
    assert_eq!(names_in(&inbound.join("processed")).len(), 2);

    let e = t.archive("never.999").await.unwrap_err();
    assert!(matches!(e, TransportError::NotFound { .. }), "{e}");
}

#[test]
fn config_from_toml() {
    let cfg: TransportConfig = toml::from_str(
        r#"
        kind = "folder"
        outbound_dir = "/data/acme/outbound"
        inbound_dir = "/data/acme/inbound"
        "#,
    )
    .unwrap();
    assert_eq!(cfg, TransportConfig::folder_for_tenant(std::path::Path::new("/data"), "acme"));
    let same: TransportConfig =
        toml::from_str("kind = \"folder\"\noutbound_dir = \"/x\"\ninbound_dir = \"/x\"\n").unwrap();
    let e = same.check().unwrap_err();
    assert!(matches!(e, TransportError::Config { .. }) && e.to_string().contains("same folder"), "{e}");
}
