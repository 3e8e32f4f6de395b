//! The submission service with a trading partner reached over SFTP: a real OpenSSH server started
//! by the test (the transport crate's harness), our 837s uploaded to it, the clearinghouse's
//! acknowledgements taken from it, and an upload that fails while the server is down retried
//! with backoff until it goes through, once.

// Shared with the transport crate's tests; not every helper is used here.
mod common;
#[allow(dead_code)]
#[path = "../../transport/tests/sftp/sshd.rs"]
mod sshd;

use chrono::NaiveDate;
use common::claim;
use rcm_proto::common as pb;
use rcm_proto::events::{ClaimScrubbed, Envelope, envelope::Payload};
use rcm_proto::submission::submission_service_server::SubmissionService;
use rcm_proto::submission::{ListBatchesRequest, SetTradingPartnerRequest};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, wait_for};
use rcm_runtime::{EventType, Platform, db};
use rcm_submission::grpc::SubmissionGrpc;
use sshd::Sshd;
use std::path::Path;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "sierra";

fn user() -> String {
    let out = std::process::Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn scrubbed(platform: &Platform, claim: pb::Claim) -> Envelope {
    let origin = Origin { tenant: TENANT.into(), claim_id: claim.claim_id.clone(), ..Origin::default() };
    envelope::new_envelope(
        &platform.det,
        "scrubbing",
        &origin,
        Payload::ClaimScrubbed(ClaimScrubbed { claim: Some(claim), warnings: vec![] }),
    )
}

fn names(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext) && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn an_sftp_partner_gets_our_837s_once_and_its_acknowledgements_come_back() {
    let mut sshd = Sshd::start();
    let id = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let data = tempfile::tempdir().unwrap();
    let mut config = Config {
        subject_prefix: id.clone(),
        database_prefix: format!("{id}_"),
        tenants: vec![TENANT.to_string()],
        data_dir: data.path().to_path_buf(),
        ..Config::default()
    };
    config.outbox.poll_ms = 50;
    config.services.insert(
        "submission".into(),
        serde_json::json!({ "batch_interval_ms": 100, "batch_window_ms": 300, "poll_interval_ms": 100 }),
    );
    let platform = Platform::connect(config.clone(), Determinism::default()).await.expect("NATS and Postgres");
    platform.add_tenant(TENANT, "Sierra").await.unwrap();
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let handles = rcm_submission::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
    let pool =
        db::connect(&config.database_url, &db::database_name(&config.database_prefix, "submission"), 2).await.unwrap();
    let host =
        rcm_runtime::ServiceHost::open(&platform, rcm_submission::NAME, &rcm_submission::MIGRATOR).await.unwrap();
    let grpc = SubmissionGrpc::new(host, Default::default(), vec![]);

    // Given the tenant's clearinghouse reached over SFTP, with its host key pinned
    let transport = serde_json::json!({
        "kind": "sftp", "host": "127.0.0.1", "port": sshd.port, "user": user(),
        "private_key_path": sshd.path("client_key"), "host_key_sha256": sshd.host_fingerprint_line(),
        "outbound_dir": sshd.path("outbound"), "inbound_dir": sshd.path("inbound"), "timeout_ms": 3000
    });
    let settings = serde_json::json!({
        "partner_id": "sftpch", "submitter_id": "SIERRASUB", "receiver_id": "SFTPCH", "receiver_qualifier": "30",
        "usage": "P", "transport": transport
    });
    let bad = grpc
        .set_trading_partner(tonic::Request::new(SetTradingPartnerRequest {
            tenant_id: TENANT.into(),
            settings_json: serde_json::json!({"partner_id": "x", "batch_max_claims": 9000}).to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("batch_max_claims"), "{}", bad.message());
    let set = grpc
        .set_trading_partner(tonic::Request::new(SetTradingPartnerRequest {
            tenant_id: TENANT.into(),
            settings_json: settings.to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(set.destination.starts_with("sftp://"), "{}", set.destination);

    // When two scrubbed claims arrive
    for n in 1..=2 {
        testing::publish(&platform.bus, &scrubbed(&platform, claim(n, "PAYS", "1234567893")), None).await;
    }
    // Then one 837 lands on the SFTP server, addressed as the partner says, and each claim is sent
    let remote_out = sshd.path("outbound");
    wait_for("an 837 on the SFTP server", || async { names(&remote_out, ".837").len() == 1 }).await;
    let file = names(&remote_out, ".837")[0].clone();
    assert!(file.starts_with("sierra-sftpch-000000001-"), "{file}");
    let text = std::fs::read_to_string(remote_out.join(&file)).unwrap();
    assert!(
        text.starts_with("ISA*00*          *00*          *ZZ*SIERRASUB      *30*SFTPCH         *"),
        "{}",
        &text[..110]
    );
    assert!(text.contains("*P*:~"), "production usage");
    wait_for("two ClaimSent", || async {
        testing::events(&platform.bus, TENANT, EventType::ClaimSent).await.len() == 2
    })
    .await;
    for e in testing::events(&platform.bus, TENANT, EventType::ClaimSent).await {
        let Some(Payload::ClaimSent(s)) = &e.payload else { panic!() };
        assert!(s.destination.starts_with("sftp://"), "{}", s.destination);
        assert_eq!(s.file_name, file);
    }

    // When the clearinghouse answers on its side of the server
    let today = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    rcm_simulator::answer_file(&remote_out.join(&file), &sshd.path("inbound"), &sshd.path("answered"), today)
        .unwrap()
        .unwrap();
    // Then the acknowledgements are taken over SFTP, land on the claims, and are archived remotely
    wait_for("two acknowledgement events", || async {
        testing::events(&platform.bus, TENANT, EventType::ClaimAccepted).await.len()
            + testing::events(&platform.bus, TENANT, EventType::ClaimRejectedByPayer).await.len()
            == 2
    })
    .await;
    wait_for("the acks archived on the server", || async {
        names(&sshd.path("inbound"), ".277ca").is_empty()
            && !names(&sshd.path("inbound/processed"), ".277ca").is_empty()
    })
    .await;
    assert_eq!(names(&sshd.path("inbound"), ".835").len(), 1, "the 835 stays for the remittance service");

    // When the server goes down and another claim comes
    sshd.kill();
    testing::publish(&platform.bus, &scrubbed(&platform, claim(3, "PAYS", "1234567893")), None).await;
    // Then the batch waits, pending, with its failed attempts and the error
    let pending = || async {
        grpc.list_batches(tonic::Request::new(ListBatchesRequest {
            tenant_id: TENANT.into(),
            delivery: "pending".into(),
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner()
        .batches
    };
    wait_for("a failed attempt recorded", || async { pending().await.first().is_some_and(|b| b.attempts >= 1) }).await;
    let b = pending().await.remove(0);
    assert!(!b.last_error.is_empty() && b.sent_at.is_empty(), "{b:?}");
    // When the server is back, the file goes through once, on a later attempt
    sshd.restart();
    wait_for("the third ClaimSent", || async {
        testing::events(&platform.bus, TENANT, EventType::ClaimSent).await.len() == 3
    })
    .await;
    let third = testing::events(&platform.bus, TENANT, EventType::ClaimSent)
        .await
        .into_iter()
        .find(|e| e.claim_id == "claim-3")
        .unwrap();
    let Some(Payload::ClaimSent(s)) = &third.payload else { panic!() };
    assert!(s.attempts >= 2, "{s:?}");
    assert_eq!(names(&remote_out, ".837").len(), 2);

    shutdown.cancel();
    for h in handles {
        h.await.unwrap().unwrap();
    }
    pool.close().await;
    testing::remove(&config, &[TENANT]).await;
}
