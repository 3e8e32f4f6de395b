//! The submission service against the real NATS (JetStream) and Postgres, with the simulator as the
//! clearinghouse: scrubbed claims for two payers become one 837P file per payer and one
//! ClaimSubmitted per claim (even when an event comes twice); a restart writes a batch committed but
//! not written, with the same name and content and no new events; the simulator's 999 and 277CA give
//! ClaimAccepted and ClaimRejectedByPayer; the same ack file dropped again gives nothing new; an
//! unreadable file goes to failed/ and an ack for a claim we do not know is recorded. A replacement
//! (frequency 7) of a claim already sent is its next version: sent once, with REF*F8, however often
//! it comes, and its 277CA lands on it.

mod common;

use chrono::NaiveDate;
use common::claim;
use rcm_proto::common::{self as pb, ClaimRef};
use rcm_proto::events::{ClaimScrubbed, Envelope, envelope::Payload};
use rcm_proto::submission::submission_service_server::SubmissionService;
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, count, wait_for};
use rcm_runtime::{EventType, Platform, db};
use rcm_simulator::adjudicate::Decision;
use rcm_submission::grpc::SubmissionGrpc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "alpha";

struct Harness {
    config: Config,
    platform: Platform,
    _data: tempfile::TempDir,
    data_dir: PathBuf,
}

impl Harness {
    async fn new() -> Harness {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let id = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let data = tempfile::tempdir().unwrap();
        let mut config = Config {
            subject_prefix: id.clone(),
            database_prefix: format!("{id}_"),
            tenants: vec![TENANT.to_string()],
            data_dir: data.path().to_path_buf(),
            ..Config::default()
        };
        config.consumer.backoff_ms = vec![50];
        config.outbox.poll_ms = 50;
        config.services.insert(
            "submission".into(),
            serde_json::json!({
                "batch_interval_ms": 100, "batch_window_ms": 1500, "poll_interval_ms": 100, "submitter_id": "SUBMITTEST"
            }),
        );
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        platform.add_tenant(TENANT, "Alpha").await.unwrap();
        let data_dir = data.path().to_path_buf();
        Harness { config, platform, _data: data, data_dir }
    }

    async fn start(&self, shutdown: &CancellationToken) -> Vec<JoinHandle<rcm_runtime::Result<()>>> {
        let mut routes = tonic::service::RoutesBuilder::default();
        rcm_submission::start(&self.platform, &mut routes, shutdown.clone()).await.unwrap()
    }

    /// The gRPC API over the service's database (as the running service serves it).
    async fn api(&self, default_partner: rcm_submission::config::TradingPartner) -> SubmissionGrpc {
        let host = rcm_runtime::ServiceHost::open(&self.platform, rcm_submission::NAME, &rcm_submission::MIGRATOR)
            .await
            .unwrap();
        SubmissionGrpc::new(host, default_partner, vec![])
    }

    async fn pool(&self) -> sqlx::PgPool {
        let name = db::database_name(&self.config.database_prefix, rcm_submission::NAME);
        db::connect(&self.config.database_url, &name, 2).await.unwrap()
    }

    fn scrubbed(&self, claim: pb::Claim) -> Envelope {
        let origin = Origin { tenant: TENANT.into(), claim_id: claim.claim_id.clone(), ..Origin::default() };
        let payload = Payload::ClaimScrubbed(ClaimScrubbed { claim: Some(claim), warnings: vec![] });
        envelope::new_envelope(&self.platform.det, "scrubbing", &origin, payload)
    }

    async fn publish(&self, env: &Envelope, msg_id: Option<&str>) {
        testing::publish(&self.platform.bus, env, msg_id).await
    }

    /// Every event of a type on the tenant's stream so far.
    async fn events(&self, t: EventType) -> Vec<Envelope> {
        testing::events(&self.platform.bus, TENANT, t).await
    }

    fn dir(&self, which: &str) -> PathBuf {
        self.data_dir.join(TENANT).join(which)
    }

    async fn cleanup(self) {
        testing::remove(&self.config, &[TENANT]).await;
    }
}

fn files(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn claims_to_files_to_acknowledgements_exactly_once() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let handles = h.start(&shutdown).await;
    let pool = h.pool().await;

    // Given scrubbed claims for two payers; claim 3's billing NPI fails its check digit (the payer
    // will reject it); claim 1's event is delivered twice, and claim 2 comes in a second event too.
    let claims = vec![
        claim(1, "PAYA", "1234567893"),
        claim(2, "PAYA", "1234567893"),
        claim(3, "PAYA", "1234567890"),
        claim(4, "PAYB", "1234567893"),
        claim(5, "PAYB", "1234567893"),
    ];
    let pcn: BTreeMap<String, String> =
        claims.iter().map(|c| (c.claim_id.clone(), c.patient_control_number.clone())).collect();
    let mut first = None;
    for c in &claims {
        let env = h.scrubbed(c.clone());
        h.publish(&env, None).await;
        if c.claim_id == "claim-1" {
            h.publish(&env, Some("another-message-id")).await;
            first = Some(env);
        }
        if c.claim_id == "claim-2" {
            h.publish(&h.scrubbed(c.clone()), None).await;
        }
    }

    // Then one 837P file per payer appears, and one ClaimSubmitted per claim
    let outbound = h.dir("outbound");
    wait_for("two 837P files", || async { files(&outbound, ".837").len() == 2 }).await;
    wait_for("five ClaimSubmitted", || async { h.events(EventType::ClaimSubmitted).await.len() >= 5 }).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let submitted = h.events(EventType::ClaimSubmitted).await;
    let mut per_claim: BTreeMap<String, usize> = BTreeMap::new();
    for e in &submitted {
        *per_claim.entry(e.claim_id.clone()).or_default() += 1;
    }
    assert_eq!(per_claim.len(), 5, "{per_claim:?}");
    assert!(per_claim.values().all(|&n| n == 1), "each claim submitted once: {per_claim:?}");
    let names = files(&outbound, ".837");
    assert!(names[0].starts_with("alpha-") && names[0].ends_with("-PAYA.837"), "{names:?}");
    assert!(names[1].ends_with("-PAYB.837"), "{names:?}");
    let mut sent_pcns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &names {
        let text = std::fs::read_to_string(outbound.join(n)).unwrap();
        let doc = rcm_x12::x837p::parse_837p(text.as_bytes()).unwrap();
        assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        assert_eq!(doc.interchanges[0].header.sender_id, "SUBMITTEST");
        sent_pcns.insert(n.clone(), doc.claims().map(|c| c.patient_control_number.to_string()).collect());
    }
    assert_eq!(sent_pcns[&names[0]].len(), 3);
    assert_eq!(sent_pcns[&names[1]].len(), 2);
    for e in &submitted {
        let Some(Payload::ClaimSubmitted(s)) = &e.payload else { panic!() };
        assert_eq!(s.patient_control_number, pcn[&e.claim_id]);
        assert!(sent_pcns[&s.file_name].contains(&s.patient_control_number));
        assert_eq!(s.lines.len(), 2);
        assert!(!e.correlation_id.is_empty());
    }
    // And each claim's file is recorded as sent, where it went, after one attempt
    wait_for("five ClaimSent", || async { h.events(EventType::ClaimSent).await.len() >= 5 }).await;
    for e in h.events(EventType::ClaimSent).await {
        let Some(Payload::ClaimSent(s)) = &e.payload else { panic!() };
        assert!(sent_pcns[&s.file_name].contains(&pcn[&e.claim_id]));
        assert!(s.destination.starts_with("folder out="), "{}", s.destination);
        assert_eq!((s.attempts, s.version), (1, 1));
    }
    let first = first.unwrap();
    let c1 = submitted.iter().find(|e| e.claim_id == "claim-1").unwrap();
    assert_eq!(c1.causation_id, first.event_id);
    assert_eq!(c1.correlation_id, first.correlation_id);

    // When the service stops after committing a batch but before writing its file, and restarts
    shutdown.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    let lost = names[1].clone();
    let content = std::fs::read(outbound.join(&lost)).unwrap();
    std::fs::remove_file(outbound.join(&lost)).unwrap();
    sqlx::query("UPDATE batches SET written_at = NULL, delivery = 'pending' WHERE file_name = $1")
        .bind(&lost)
        .execute(&pool)
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let handles = h.start(&shutdown).await;
    // Then the file is written again, the same, and nothing is submitted again
    wait_for("the unwritten batch", || async { outbound.join(&lost).exists() }).await;
    assert_eq!(std::fs::read(outbound.join(&lost)).unwrap(), content);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.events(EventType::ClaimSubmitted).await.len(), 5);
    assert_eq!(files(&outbound, ".837").len(), 2);

    // When the clearinghouse answers both files
    let today = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let inbound = h.dir("inbound");
    let mut decisions: BTreeMap<String, Decision> = BTreeMap::new();
    for n in &names {
        let a = rcm_simulator::answer_file(&outbound.join(n), &inbound, &outbound.join("answered"), today)
            .unwrap()
            .unwrap();
        for c in a.claims {
            decisions.insert(c.patient_control_number.to_string(), c.decision);
        }
    }
    assert!(matches!(decisions[&pcn["claim-3"]], Decision::Rejected(_)));
    // Then each claim is accepted or rejected as the payer decided, once
    let decided = || async {
        h.events(EventType::ClaimAccepted).await.len() + h.events(EventType::ClaimRejectedByPayer).await.len()
    };
    wait_for("five acknowledgement events", || async { decided().await >= 5 }).await;
    wait_for("the ack files to move", || async {
        files(&inbound, ".277ca").is_empty() && files(&inbound, ".999").is_empty()
    })
    .await;
    // The 835s stay in inbound for the remittance service
    assert_eq!(files(&inbound, ".835").len(), 2);
    let accepted = h.events(EventType::ClaimAccepted).await;
    let rejected = h.events(EventType::ClaimRejectedByPayer).await;
    assert_eq!(accepted.len() + rejected.len(), 5);
    for e in &accepted {
        let Some(Payload::ClaimAccepted(a)) = &e.payload else { panic!() };
        match &decisions[&pcn[&e.claim_id]] {
            Decision::Accepted { payer_claim_control_number, .. } => {
                assert_eq!(&a.payer_claim_control_number, payer_claim_control_number.as_str())
            }
            d => panic!("{} accepted but the payer decided {d:?}", e.claim_id),
        }
        assert!(a.ack_file.ends_with(".277ca"));
    }
    for e in &rejected {
        let Some(Payload::ClaimRejectedByPayer(r)) = &e.payload else { panic!() };
        let Decision::Rejected(rej) = &decisions[&pcn[&e.claim_id]] else { panic!("{} wrongly rejected", e.claim_id) };
        assert_eq!(r.reasons[0].message, format!("claim status {}", rej.status));
        assert!(r.reasons[0].message.is_ascii());
    }
    let c3 = rejected.iter().find(|e| e.claim_id == "claim-3").expect("claim 3 rejected");
    let Some(Payload::ClaimRejectedByPayer(r)) = &c3.payload else { panic!() };
    assert_eq!(r.reasons[0].message, "claim status A7:562:85");

    // And GetClaimStatus tells the state with the file and control numbers
    let partner = rcm_submission::config::TradingPartner {
        submitter_id: "SUBMITTEST".into(),
        ..rcm_submission::config::TradingPartner::default()
    };
    let grpc = h.api(partner).await;
    let status = grpc
        .get_claim_status(tonic::Request::new(ClaimRef { tenant_id: TENANT.into(), claim_id: "claim-3".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, "rejected_by_payer");
    assert!(status.detail.contains(&format!("file {}", names[0])), "{}", status.detail);
    assert!(status.detail.contains("ISA13 "), "{}", status.detail);
    let missing = grpc
        .get_claim_status(tonic::Request::new(ClaimRef { tenant_id: TENANT.into(), claim_id: "nope".into() }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    // When the same 277CA is dropped again, a garbage 999 arrives, and a 277CA names a claim we do not know
    let processed = inbound.join("processed");
    let ack_name = files(&processed, ".277ca")[0].clone();
    let ack_text = std::fs::read_to_string(processed.join(&ack_name)).unwrap();
    std::fs::write(inbound.join(&ack_name), &ack_text).unwrap();
    std::fs::write(inbound.join("junk.999"), "this is not an X12 file").unwrap();
    let some_pcn = sent_pcns[&ack_name.replace(".277ca", ".837")][0].clone();
    std::fs::write(inbound.join("stranger.277ca"), ack_text.replace(&some_pcn, "PCN-NOT-OURS")).unwrap();
    wait_for("the dropped files to be handled", || async {
        files(&inbound, ".277ca").is_empty() && files(&inbound, ".999").is_empty()
    })
    .await;
    // Then nothing new is emitted, and the junk and the stranger wait in the operator's queue
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(decided().await, 5, "no event for a file seen before or a claim already decided");
    assert!(processed.join("junk.999").exists());
    assert_eq!(count(&pool, "SELECT count(*) FROM ack_failures WHERE file_name = 'junk.999'").await, 1);
    let queue = grpc
        .list_unmatched_acks(tonic::Request::new(rcm_proto::submission::ListUnmatchedAcksRequest {
            tenant_id: TENANT.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .items;
    let mut reasons: Vec<(&str, &str, &str)> =
        queue.iter().map(|u| (u.file_name.as_str(), u.reason.as_str(), u.reference.as_str())).collect();
    reasons.sort();
    assert_eq!(reasons, [("junk.999", "unreadable", ""), ("stranger.277ca", "unknown_claim", "PCN-NOT-OURS")]);
    let junk = queue.iter().find(|u| u.reason == "unreadable").unwrap();
    assert!(junk.detail.contains("ISA"), "the reader's error says what is wrong: {}", junk.detail);
    // When an operator resolves the stranger, it leaves the queue
    let stranger = queue.iter().find(|u| u.reason == "unknown_claim").unwrap();
    let resolved = grpc
        .resolve_unmatched_ack(tonic::Request::new(rcm_proto::submission::ResolveUnmatchedAckRequest {
            tenant_id: TENANT.into(),
            id: stranger.id.clone(),
            actor: "ops-1".into(),
            resolution: "forwarded to the payer's EDI desk".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.resolved_by, "ops-1");
    let open = grpc
        .list_unmatched_acks(tonic::Request::new(rcm_proto::submission::ListUnmatchedAcksRequest {
            tenant_id: TENANT.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .items;
    assert_eq!(open.len(), 1);
    // And the batches are listed as sent, with their files and control numbers
    let batches = grpc
        .list_batches(tonic::Request::new(rcm_proto::submission::ListBatchesRequest {
            tenant_id: TENANT.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .batches;
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().all(|b| b.delivery == "sent" && b.partner_id == "default"), "{batches:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM ack_files WHERE kind = '277ca'").await, 3);
    assert_eq!(count(&pool, "SELECT count(*) FROM claims WHERE state = 'pending'").await, 0);

    shutdown.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    pool.close().await;
    h.cleanup().await;
}

/// Runs pyx12 on a file when `X12VALIDATE` names it (`just test` sets it).
fn pyx12(path: &Path) {
    let Ok(tool) = std::env::var("X12VALIDATE") else {
        println!("note: X12VALIDATE not set, pyx12 check of {} skipped", path.display());
        return;
    };
    let out = std::process::Command::new(tool).arg(path).output().expect("run the validator");
    assert!(out.status.success(), "{} fails pyx12:\n{}", path.display(), String::from_utf8_lossy(&out.stdout));
}

#[tokio::test]
async fn a_replacement_of_a_sent_claim_is_its_next_version_sent_once_and_acknowledged_on_it() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let handles = h.start(&shutdown).await;
    let pool = h.pool().await;
    let (outbound, inbound) = (h.dir("outbound"), h.dir("inbound"));
    let today = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let answer = |name: &str| {
        rcm_simulator::answer_file(&outbound.join(name), &inbound, &outbound.join("answered"), today).unwrap().unwrap()
    };

    // Given claim 7 sent and accepted by the payer
    let original = claim(7, "PAYA", "1234567893");
    h.publish(&h.scrubbed(original.clone()), None).await;
    wait_for("the first 837P", || async { files(&outbound, ".837").len() == 1 }).await;
    let first = files(&outbound, ".837")[0].clone();
    let Decision::Accepted { payer_claim_control_number: pccn, .. } = answer(&first).claims[0].decision.clone() else {
        panic!("the simulator accepts claim 7")
    };
    wait_for("the acceptance", || async { h.events(EventType::ClaimAccepted).await.len() == 1 }).await;

    // When its replacement (frequency 7, version 2, naming the payer's claim) is scrubbed, delivered
    // twice under two message ids and once more as another event, and the original comes again too
    let replacement = pb::Claim {
        frequency_code: "7".into(),
        payer_claim_control_number: pccn.to_string(),
        version: 2,
        diagnosis_codes: vec!["E11.65".into(), "I10".into()],
        ..original.clone()
    };
    let env = h.scrubbed(replacement.clone());
    h.publish(&env, None).await;
    h.publish(&env, Some("the-same-event-again")).await;
    h.publish(&h.scrubbed(replacement), None).await;
    h.publish(&h.scrubbed(original.clone()), None).await;

    // Then one more file holds it once, as frequency 7 with REF*F8, and one more ClaimSubmitted says so
    wait_for("the second 837P", || async { files(&outbound, ".837").len() == 2 }).await;
    wait_for("two ClaimSubmitted", || async { h.events(EventType::ClaimSubmitted).await.len() >= 2 }).await;
    let second = files(&outbound, ".837").into_iter().find(|n| *n != first).unwrap();
    let doc = rcm_x12::x837p::parse_837p(&std::fs::read(outbound.join(&second)).unwrap()).unwrap();
    let sent: Vec<_> = doc.claims().collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].patient_control_number.as_str(), original.patient_control_number);
    assert_eq!((sent[0].frequency.as_str(), sent[0].payer_claim_control_number.as_deref()), ("7", Some(pccn.as_str())));
    pyx12(&outbound.join(&second));
    let submitted = h.events(EventType::ClaimSubmitted).await;
    let Some(Payload::ClaimSubmitted(s)) = &submitted[1].payload else { panic!("not a ClaimSubmitted") };
    assert_eq!((s.version, s.frequency_code.as_str(), s.file_name.as_str()), (2, "7", second.as_str()));
    assert_eq!(submitted[1].causation_id, env.event_id);

    // When the payer answers the replacement
    let Decision::Accepted { payer_claim_control_number: new_pccn, .. } = answer(&second).claims[0].decision.clone()
    else {
        panic!("the simulator accepts the replacement")
    };
    // Then the 277CA lands on version 2, and version 1 keeps its own acknowledgement
    wait_for("the replacement's acceptance", || async { h.events(EventType::ClaimAccepted).await.len() == 2 }).await;
    let rows: Vec<(i32, String, String, Option<String>)> = sqlx::query_as(
        "SELECT version, frequency_code, state, payer_claim_control_number FROM claims WHERE claim_id = 'claim-7' ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, "1".into(), "accepted".into(), Some(pccn.to_string())),
            (2, "7".into(), "accepted".into(), Some(new_pccn.to_string())),
        ]
    );
    let grpc = h.api(Default::default()).await;
    let status = grpc
        .get_claim_status(tonic::Request::new(ClaimRef { tenant_id: TENANT.into(), claim_id: "claim-7".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, "accepted");
    assert!(status.detail.starts_with(&format!("version 2 frequency 7, file {second}")), "{}", status.detail);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(files(&outbound, ".837").len(), 2, "nothing more was sent");
    assert_eq!(h.events(EventType::ClaimSubmitted).await.len(), 2);

    shutdown.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    pool.close().await;
    h.cleanup().await;
}

/// Others' acknowledgements (`services/x12/tests/fixtures/ack`, see its SOURCES.md): a 999 that
/// rejects GS06 28 / ST02 0028 and two 277CAs naming patient control numbers 5781 and
/// 3920394930203, taken in from the inbound folder and matched to our batch and claims.
#[tokio::test]
async fn acknowledgements_written_by_others_are_taken_in_and_matched() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let handles = h.start(&shutdown).await;
    let pool = h.pool().await;
    // Given our next control numbers are 28 (as in the fixture's AK1/AK2), one claim for PAYA, and
    // two for PAYB with the fixture's patient control numbers
    sqlx::query("INSERT INTO control_numbers (tenant_id, partner_id, interchange, functional_group, transaction_set) VALUES ($1, 'default', 27, 27, 27)")
        .bind(TENANT)
        .execute(&pool)
        .await
        .unwrap();
    let a = claim(1, "PAYA", "1234567893");
    let mut b = claim(2, "PAYB", "1234567893");
    b.patient_control_number = "5781".into();
    let mut c = claim(3, "PAYB", "1234567893");
    c.patient_control_number = "3920394930203".into();
    for cl in [&a, &b, &c] {
        h.publish(&h.scrubbed(cl.clone()), None).await;
    }
    let outbound = h.dir("outbound");
    wait_for("two 837P files", || async { files(&outbound, ".837").len() == 2 }).await;
    wait_for("three ClaimSent", || async { h.events(EventType::ClaimSent).await.len() >= 3 }).await;
    let groups: Vec<(String, i64)> =
        sqlx::query_as("SELECT payer_id, group_control_number FROM batches ORDER BY group_control_number")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(groups, [("PAYA".to_string(), 28), ("PAYB".to_string(), 29)]);

    // When the clearinghouse's 999 and the payer's 277CAs arrive
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../x12/tests/fixtures/ack/herophilus-assets");
    let inbound = h.dir("inbound");
    std::fs::create_dir_all(&inbound).unwrap();
    for (from, to) in [
        ("999 Sample (Rejected).txt", "fixture-rejected.999"),
        ("277CA Sample (Accepted).txt", "fixture-accepted.277ca"),
        ("277CA Sample (Rejected).txt", "fixture-rejected.277ca"),
    ] {
        std::fs::copy(fixtures.join(from), inbound.join(to)).unwrap();
    }
    let decided = || async {
        h.events(EventType::ClaimAccepted).await.len() + h.events(EventType::ClaimRejectedByPayer).await.len()
    };
    wait_for("three acknowledgement events", || async { decided().await >= 3 }).await;

    // Then the 999 rejects PAYA's claim as the clearinghouse, naming the segment in plain words
    let rejected = h.events(EventType::ClaimRejectedByPayer).await;
    let by_claim = |id: &str| {
        rejected.iter().find(|e| e.claim_id == id).and_then(|e| match &e.payload {
            Some(Payload::ClaimRejectedByPayer(r)) => Some(r.clone()),
            _ => None,
        })
    };
    let ra = by_claim("claim-1").expect("claim 1 rejected by the 999");
    assert!(ra.by_clearinghouse);
    assert!(ra.ack_file == "fixture-rejected.999");
    let words: Vec<&str> = ra.reasons.iter().map(|f| f.message.as_str()).collect();
    assert!(words.iter().any(|m| m.starts_with("IK3 code 1 (")), "{words:?}");
    // And the 277CAs accept 5781 with the payer's claim control number and reject 3920394930203
    let accepted = h.events(EventType::ClaimAccepted).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].claim_id, "claim-2");
    let Some(Payload::ClaimAccepted(acc)) = &accepted[0].payload else { panic!() };
    assert_eq!(acc.payer_claim_control_number, "1107000000014420");
    let rc = by_claim("claim-3").expect("claim 3 rejected by the payer");
    assert!(!rc.by_clearinghouse);
    assert_eq!(rc.reasons[0].message, "claim status A7:562:85");
    let states: Vec<(String, String)> =
        sqlx::query_as("SELECT claim_id, state FROM claims ORDER BY claim_id").fetch_all(&pool).await.unwrap();
    assert_eq!(
        states,
        [
            ("claim-1".to_string(), "rejected_by_clearinghouse".to_string()),
            ("claim-2".to_string(), "accepted".to_string()),
            ("claim-3".to_string(), "rejected_by_payer".to_string())
        ]
    );
    // And each file is stored with its content and archived
    assert_eq!(count(&pool, "SELECT count(*) FROM ack_files WHERE content IS NOT NULL").await, 3);
    wait_for("the files archived", || async {
        files(&inbound, ".999").is_empty() && files(&inbound, ".277ca").is_empty()
    })
    .await;

    shutdown.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    pool.close().await;
    h.cleanup().await;
}

/// A secondary claim: after the primary payer's adjudication (remittance's
/// `secondary_claim_requested`), the claim goes to the next payer with the primary's coverage,
/// payment and adjustments in loops 2320/2330B/2430, as an 837P that pyx12 passes.
#[tokio::test]
async fn a_secondary_claim_carries_the_primarys_adjudication_to_the_next_payer() {
    use rcm_proto::events::SecondaryClaimRequested;
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let handles = h.start(&shutdown).await;
    // Given a claim to PAYA whose patient also has coverage with SEC01, sent
    let mut primary = claim(1, "PAYA", "1234567893");
    primary.other_coverages = vec![pb::Coverage {
        payer_id: "SEC01".into(),
        payer_name: "Second Plan".into(),
        member_id: "SEC000001".into(),
        relationship: "18".into(),
        claim_filing: "CI".into(),
        ..Default::default()
    }];
    h.publish(&h.scrubbed(primary.clone()), None).await;
    let outbound = h.dir("outbound");
    wait_for("the primary's 837", || async { files(&outbound, ".837").len() == 1 }).await;

    // When the primary payer has paid part of it and remittance asks for the secondary claim
    let cas = |group: &str, reason: &str, cents: i64| pb::ClaimAdjustment {
        group: group.into(),
        reason: reason.into(),
        amount_cents: cents,
        ..Default::default()
    };
    let adjudication = pb::PayerAdjudication {
        payer_id: "PAYA".into(),
        payer_name: "Plan PAYA".into(),
        payer_claim_control_number: "PCC-1".into(),
        paid_cents: 13_000,
        patient_responsibility_cents: 2_000,
        adjudication_date: "2026-01-20".into(),
        adjustments: vec![],
        lines: vec![
            pb::LineAdjudication {
                line_id: "1-1".into(),
                procedure_code: "99214".into(),
                paid_cents: 10_000,
                adjustments: vec![cas("CO", "45", 3_100), cas("PR", "2", 2_000)],
                ..Default::default()
            },
            pb::LineAdjudication {
                line_id: "1-2".into(),
                procedure_code: "83036".into(),
                paid_cents: 3_000,
                adjustments: vec![cas("CO", "45", 1_500)],
                ..Default::default()
            },
        ],
    };
    let origin = Origin { tenant: TENANT.into(), claim_id: "claim-1-S".into(), ..Origin::default() };
    let ev = Payload::SecondaryClaimRequested(SecondaryClaimRequested {
        primary_claim_id: "claim-1".into(),
        payer_id: "SEC01".into(),
        payer_name: "Second Plan".into(),
        crossed_over: false,
        primary: Some(adjudication),
    });
    h.publish(&envelope::new_envelope(&h.platform.det, "remittance", &origin, ev), None).await;

    // Then a second 837 goes to SEC01 with the primary as the other payer, on the claim and its lines
    wait_for("the secondary's 837", || async { files(&outbound, ".837").len() == 2 }).await;
    let name = files(&outbound, ".837").into_iter().find(|n| n.ends_with("-SEC01.837")).expect("a file for SEC01");
    let path = outbound.join(&name);
    let doc = rcm_x12::x837p::parse_837p(&std::fs::read(&path).unwrap()).unwrap();
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    let c = doc.claims().next().unwrap();
    assert_eq!(c.patient_control_number, format!("{}S", primary.patient_control_number));
    assert_eq!((c.payer.id.as_str(), c.subscriber.payer_responsibility.as_str()), ("SEC01", "S"));
    assert_eq!(c.subscriber.member_id, "SEC000001");
    let other = &c.other_subscribers[0];
    assert_eq!((other.payer.id.as_str(), other.payer_responsibility.as_str(), other.paid), ("PAYA", "P", Some(13_000)));
    assert_eq!(other.member_id, primary.coverage.as_ref().unwrap().member_id);
    let line_paid: Vec<i64> = c.lines.iter().map(|l| l.adjudications[0].paid).collect();
    assert_eq!(line_paid, [10_000, 3_000]);
    assert_eq!(c.lines[0].adjudications[0].adjustments.len(), 2);
    pyx12(&path);
    wait_for("the secondary's ClaimSubmitted", || async {
        h.events(EventType::ClaimSubmitted).await.iter().any(|e| e.claim_id == "claim-1-S")
    })
    .await;

    shutdown.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    h.cleanup().await;
}
