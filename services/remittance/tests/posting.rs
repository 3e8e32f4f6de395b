//! The remittance service against the real NATS (JetStream) and Postgres: submitted claims are
//! expected; an 835 dropped in the tenant's inbound directory posts each claim and emits exactly one
//! paid / partially paid / denied event per claim with the right amounts, in the claim's chain; the
//! same file again posts nothing; an unknown claim is kept as unmatched; a garbage file goes to
//! `failed/` with its error.

use rcm_proto::common::ClaimRef;
use rcm_proto::events::{Envelope, Remittance, envelope::Payload};
use rcm_runtime::EventType;
use std::time::Duration;

mod common;

use common::{Clp, Harness, TENANT, count, era, exists, svc, wait_for};

fn remittance_of(env: &Envelope) -> &Remittance {
    match &env.payload {
        Some(Payload::ClaimPaid(e)) => e.remittance.as_ref().unwrap(),
        Some(Payload::ClaimPartiallyPaid(e)) => e.remittance.as_ref().unwrap(),
        Some(Payload::ClaimDenied(e)) => e.remittance.as_ref().unwrap(),
        other => panic!("not a remittance event: {other:?}"),
    }
}

#[tokio::test]
async fn an_835_posts_each_claim_once_and_keeps_what_it_cannot_post() {
    let h = Harness::new().await;
    let running = h.serve().await;
    let pool = running.pool.clone();

    // Given four submitted claims
    let s1 = h.submit("c1", "PCN-1", &[("c1-L1", "99213", 12_000), ("c1-L2", "85025", 8_000)]).await;
    h.submit("c2", "PCN-2", &[("c2-L1", "99214", 15_000), ("c2-L2", "97110", 6_000)]).await;
    h.submit("c3", "PCN-3", &[("c3-L1", "71046", 25_000)]).await;
    h.submit("c4", "PCN-4", &[("c4-L1", "93000", 10_000)]).await;
    wait_for("four expected claims", || async { count(&pool, "SELECT count(*) FROM expected_claims").await == 4 })
        .await;
    let mut client = running.client.clone();
    let status = |claim: &str| ClaimRef { tenant_id: TENANT.into(), claim_id: claim.into() };
    assert_eq!(client.get_claim_status(status("c3")).await.unwrap().into_inner().state, "expected");

    // When an 835 answers them: c1 paid (contractual and a copay), c2 one line denied, c3 denied,
    // c4 paid.
    let mut c1_l1 = svc("99213", 12_000, 8_000, vec![("CO", "45", 2_000), ("PR", "3", 2_000)]);
    c1_l1.line_id = Some("c1-L1");
    let mut c2_l2 = svc("97110", 6_000, 0, vec![("CO", "50", 6_000)]);
    c2_l2.remarks = vec!["N115"];
    let file1 = era(
        101,
        "EFT-0001",
        &[
            Clp {
                pcn: "PCN-1",
                status: "1",
                charge: 20_000,
                paid: 13_000,
                pr: 2_000,
                icn: "ICN-1",
                cas: vec![],
                lines: vec![c1_l1, svc("85025", 8_000, 5_000, vec![("CO", "45", 3_000)])],
            },
            Clp {
                pcn: "PCN-2",
                status: "1",
                charge: 21_000,
                paid: 11_000,
                pr: 0,
                icn: "ICN-2",
                cas: vec![],
                lines: vec![svc("99214", 15_000, 11_000, vec![("CO", "45", 4_000)]), c2_l2],
            },
            Clp {
                pcn: "PCN-3",
                status: "4",
                charge: 25_000,
                paid: 0,
                pr: 0,
                icn: "ICN-3",
                cas: vec![("CO", "197", 25_000)],
                lines: vec![],
            },
            Clp {
                pcn: "PCN-4",
                status: "1",
                charge: 10_000,
                paid: 9_000,
                pr: 0,
                icn: "ICN-4B",
                cas: vec![("CO", "45", 1_000)],
                lines: vec![],
            },
        ],
        0,
    );
    h.drop_file("era-1.835", file1.as_bytes()).await;
    let processed = h.inbound().join("processed");
    wait_for("era-1.835 posted", || async { exists(&processed.join("era-1.835")) }).await;
    assert!(!exists(&h.inbound().join("era-1.835")), "archived on the partner's side once taken");
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;

    // Then exactly one event per claim answered: c1 and c4 paid, c2 partially paid, c3 denied
    let paid = h.events(EventType::ClaimPaid).await;
    let partial = h.events(EventType::ClaimPartiallyPaid).await;
    let denied = h.events(EventType::ClaimDenied).await;
    let claims = |es: &[Envelope]| es.iter().map(|e| e.claim_id.clone()).collect::<Vec<_>>();
    assert_eq!(claims(&paid), vec!["c1", "c4"]);
    assert_eq!(claims(&partial), vec!["c2"]);
    assert_eq!(claims(&denied), vec!["c3"]);

    // c1: amounts, every adjustment, trace and file, in the claim's chain
    let e1 = &paid[0];
    assert_eq!(e1.correlation_id, "corr-c1");
    assert_eq!(e1.causation_id, s1.event_id);
    assert_eq!(e1.producer, "remittance");
    let r1 = remittance_of(e1);
    assert_eq!((r1.charge_cents, r1.paid_cents, r1.patient_responsibility_cents), (20_000, 13_000, 2_000));
    let adjs: Vec<(&str, &str, i64)> =
        r1.adjustments.iter().map(|a| (a.group.as_str(), a.reason.as_str(), a.amount_cents)).collect();
    assert_eq!(adjs, vec![("CO", "45", 2_000), ("PR", "3", 2_000), ("CO", "45", 3_000)]);
    assert_eq!((r1.era_file.as_str(), r1.payment_trace.as_str()), ("era-1.835", "EFT-0001"));
    assert_eq!((r1.payer_claim_control_number.as_str(), r1.claim_status.as_str()), ("ICN-1", "1"));
    let r2 = remittance_of(&partial[0]);
    assert_eq!((r2.paid_cents, r2.remark_codes.clone()), (11_000, vec!["N115".to_string()]));
    let r3 = remittance_of(&denied[0]);
    assert_eq!((r3.charge_cents, r3.paid_cents, r3.claim_status.as_str()), (25_000, 0, "4"));
    assert_eq!(r3.adjustments[0].reason, "197");
    let r4 = remittance_of(&paid[1]);
    assert_eq!((r4.paid_cents, r4.payer_claim_control_number.as_str()), (9_000, "ICN-4B"));

    // The store: four postings, lines matched to the billed lines, claim- and line-level
    // adjustments, and each claim's state and balance.
    let postings: Vec<(String, String, String, Option<uuid::Uuid>)> =
        sqlx::query_as("SELECT claim_id, claim_status, outcome, event_id FROM postings ORDER BY claim_ordinal")
            .fetch_all(&pool)
            .await
            .unwrap();
    let summary: Vec<(&str, &str, &str, bool)> =
        postings.iter().map(|(c, s, o, e)| (c.as_str(), s.as_str(), o.as_str(), e.is_some())).collect();
    assert_eq!(
        summary,
        vec![
            ("c1", "1", "paid", true),
            ("c2", "1", "partially_paid", true),
            ("c3", "4", "denied", true),
            ("c4", "1", "paid", true),
        ]
    );
    let lines: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT l.line_control_number, l.billed_line_id FROM posting_lines l JOIN postings p ON p.id = l.posting_id
         WHERE p.claim_id = 'c1' ORDER BY l.line_no",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(lines, vec![(Some("c1-L1".into()), Some("c1-L1".into())), (None, Some("c1-L2".into()))]);
    let levels: Vec<(String, Option<i32>, String, String, i64)> = sqlx::query_as(
        "SELECT p.claim_id, a.line_no, a.group_code, a.reason, a.amount_cents FROM posting_adjustments a
         JOIN postings p ON p.id = a.posting_id WHERE p.claim_id IN ('c1', 'c3') ORDER BY a.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        levels,
        vec![
            ("c1".into(), Some(1), "CO".into(), "45".into(), 2_000),
            ("c1".into(), Some(1), "PR".into(), "3".into(), 2_000),
            ("c1".into(), Some(2), "CO".into(), "45".into(), 3_000),
            ("c3".into(), None, "CO".into(), "197".into(), 25_000),
        ]
    );
    let states: Vec<(String, String)> =
        sqlx::query_as("SELECT claim_id, state FROM expected_claims ORDER BY claim_id").fetch_all(&pool).await.unwrap();
    let states: Vec<(&str, &str)> = states.iter().map(|(c, s)| (c.as_str(), s.as_str())).collect();
    assert_eq!(states, vec![("c1", "paid"), ("c2", "partially_paid"), ("c3", "denied"), ("c4", "paid")]);
    let balances: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT claim_id, billed_cents, paid_cents, adjusted_cents, balance_cents FROM expected_claims ORDER BY claim_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (claim, billed, paid, adjusted, balance) in &balances {
        assert_eq!(*balance, billed - paid - adjusted, "{claim}");
        assert_eq!(*balance, 0, "{claim}: every billed cent is paid or adjusted");
    }
    let clean: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM era_findings x JOIN era_files f ON f.id = x.file_id WHERE f.file_name = 'era-1.835'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(clean, 0, "era-1.835 is a clean, balanced 835");
    let s2 = client.get_claim_status(status("c2")).await.unwrap().into_inner();
    assert_eq!(s2.state, "partially_paid");
    assert!(s2.detail.contains("paid 110.00") && s2.detail.contains("adjusted 100.00"), "{}", s2.detail);
    assert!(s2.detail.contains("trace EFT-0001"), "{}", s2.detail);
    assert_eq!(client.get_claim_status(status("nope")).await.unwrap_err().code(), tonic::Code::NotFound);

    // When the same 835 comes again, under its own name and under another: nothing is posted twice.
    h.drop_file("era-1.835", file1.as_bytes()).await;
    h.drop_file("era-1-resent.835", file1.as_bytes()).await;
    wait_for("the re-deliveries archived", || async {
        !exists(&h.inbound().join("era-1.835")) && exists(&processed.join("era-1-resent.835"))
    })
    .await;
    assert_eq!(count(&pool, "SELECT count(*) FROM postings").await, 4);
    assert_eq!(count(&pool, "SELECT count(*) FROM era_files").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 4);

    // When an 835 pays a claim nobody expected: kept as unmatched, with the candidates shown.
    let file2 = era(
        102,
        "EFT-0002",
        &[Clp {
            pcn: "PCN-999",
            status: "1",
            charge: 5_000,
            paid: 4_000,
            pr: 0,
            icn: "ICN-999",
            cas: vec![("CO", "45", 1_000)],
            lines: vec![],
        }],
        0,
    );
    h.drop_file("era-2.835", file2.as_bytes()).await;
    wait_for("era-2.835 posted", || async { exists(&processed.join("era-2.835")) }).await;
    let unmatched: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT patient_control_number, payer_claim_control_number, paid_cents, payment_trace FROM unmatched_claims",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(unmatched, vec![("PCN-999".into(), "ICN-999".into(), 4_000, "EFT-0002".into())]);
    let (claims_n, unmatched_n): (i32, i32) =
        sqlx::query_as("SELECT claims, unmatched FROM era_files WHERE file_name = 'era-2.835'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((claims_n, unmatched_n), (0, 1));

    // When that claim's submission is seen after all, the waiting 835 claim is posted in answer to it.
    let s9 = h.submit("c9", "PCN-999", &[("c9-L1", "99213", 5_000)]).await;
    wait_for("the unmatched claim resolved", || async {
        count(
            &pool,
            "SELECT count(*) FROM unmatched_claims WHERE resolved_claim_id = 'c9' AND resolved_posting_id IS NOT NULL",
        )
        .await
            == 1
    })
    .await;
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    let paid = h.events(EventType::ClaimPaid).await;
    let e9 = paid.iter().find(|e| e.claim_id == "c9").expect("c9 paid");
    assert_eq!((e9.correlation_id.as_str(), e9.causation_id.as_str()), ("corr-c9", s9.event_id.as_str()));
    let r9 = remittance_of(e9);
    assert_eq!((r9.paid_cents, r9.era_file.as_str(), r9.payment_trace.as_str()), (4_000, "era-2.835", "EFT-0002"));
    assert_eq!(client.get_claim_status(status("c9")).await.unwrap().into_inner().state, "paid");

    // When a file is not an 835 at all: recorded as failed with its error and content, and archived.
    h.drop_file("garbage.835", b"this is not an X12 interchange").await;
    wait_for("garbage.835 recorded", || async {
        count(&pool, "SELECT count(*) FROM era_files WHERE file_name = 'garbage.835'").await == 1
    })
    .await;
    wait_for("garbage.835 archived", || async { !exists(&h.inbound().join("garbage.835")) }).await;
    let (st, error, content): (String, Option<String>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT status, error, content FROM era_files WHERE file_name = 'garbage.835'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(st, "failed");
    assert!(!error.unwrap_or_default().trim().is_empty());
    assert_eq!(content.as_deref(), Some(&b"this is not an X12 interchange"[..]));

    // Nothing more was emitted by any of that.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rcm_runtime::outbox::pending(&pool).await.unwrap(), 0);
    let all = h.events(EventType::ClaimPaid).await.len()
        + h.events(EventType::ClaimPartiallyPaid).await.len()
        + h.events(EventType::ClaimDenied).await.len();
    assert_eq!(all, 5);
    let unmatched = client
        .list_unmatched(rcm_proto::remittance::ListUnmatchedRequest { tenant_id: TENANT.into(), limit: 0 })
        .await
        .unwrap()
        .into_inner();
    assert!(unmatched.items.is_empty(), "the waiting claim was resolved: {:?}", unmatched.items);
    assert!(!exists(&h.inbound().join("era-1.835")) && !exists(&h.inbound().join("garbage.835")));

    running.stop().await;
    h.cleanup().await;
}
