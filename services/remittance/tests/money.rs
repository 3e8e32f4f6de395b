//! Money on the right claim, against the real NATS (JetStream) and Postgres, with 835s uploaded over
//! gRPC: a split payment adds up; a reversal restores the balance the claim had before and the
//! corrected payment posts anew; the same file, and the same payer's trace in another file, post
//! nothing; a payment that does not balance is held and listed; PLB items go to the ledger; a claim
//! with a secondary coverage asks for its secondary claim with the primary's adjudication; and every
//! claim's balance is its charges less the payments and adjustments posted to it.

mod common;

use common::{Clp, Harness, TENANT, era, era_plb, svc, wait_for};
use rcm_proto::common::ClaimRef;
use rcm_proto::events::{Envelope, envelope::Payload};
use rcm_proto::remittance::{
    ListHeldRemittancesRequest, ListProviderLedgerRequest, ListUnmatchedRequest, UploadRemittanceRequest,
    UploadRemittanceResponse,
};
use rcm_runtime::EventType;

fn remittance(env: &Envelope) -> &rcm_proto::events::Remittance {
    match &env.payload {
        Some(Payload::ClaimPaid(e)) => e.remittance.as_ref().unwrap(),
        Some(Payload::ClaimPartiallyPaid(e)) => e.remittance.as_ref().unwrap(),
        Some(Payload::ClaimDenied(e)) => e.remittance.as_ref().unwrap(),
        other => panic!("not a remittance event: {other:?}"),
    }
}

#[tokio::test]
async fn splits_add_up_reversals_restore_duplicates_post_nothing_and_balances_hold() {
    let h = Harness::new().await;
    let running = h.serve().await;
    let pool = running.pool.clone();
    let mut client = running.client.clone();
    let upload = |name: &str, content: String| UploadRemittanceRequest {
        tenant_id: TENANT.into(),
        file_name: name.into(),
        content: content.into_bytes(),
    };
    let balance = |claim: &str| ClaimRef { tenant_id: TENANT.into(), claim_id: claim.into() };

    // Given c1 (a secondary coverage next), c2, and c3 of three lines
    h.submit_with("c1", "PCN-1", &[("c1-L1", "99213", 12_000), ("c1-L2", "85025", 8_000)], |s| {
        s.next_payer_id = "SEC01".into();
        s.next_payer_name = "SECOND PLAN".into();
    })
    .await;
    h.submit("c2", "PCN-2", &[("c2-L1", "99214", 15_000)]).await;
    h.submit("c3", "PCN-3", &[("c3-A", "99213", 10_000), ("c3-B", "85025", 3_000), ("c3-C", "36415", 1_000)]).await;
    wait_for("three expected claims", || async {
        common::count(&pool, "SELECT count(*) FROM expected_claims").await == 3
    })
    .await;

    // When the first 835 pays c1 and c2, c3's first line (a split payment), with interest (PLB L6)
    let mut c1_l1 = svc("99213", 12_000, 8_000, vec![("CO", "45", 2_000), ("PR", "3", 2_000)]);
    c1_l1.line_id = Some("c1-L1");
    let first = vec![
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
            charge: 15_000,
            paid: 12_000,
            pr: 0,
            icn: "ICN-2",
            cas: vec![],
            lines: vec![svc("99214", 15_000, 12_000, vec![("CO", "45", 3_000)])],
        },
        Clp {
            pcn: "PCN-3",
            status: "1",
            charge: 10_000,
            paid: 8_000,
            pr: 0,
            icn: "ICN-3",
            cas: vec![],
            lines: vec![svc("99213", 10_000, 8_000, vec![("CO", "45", 2_000)])],
        },
    ];
    let file_a = era_plb(201, "EFT-A", &first, 0, &[("L6", -500)]);
    let a: UploadRemittanceResponse =
        client.upload_remittance(upload("a.835", file_a.clone())).await.unwrap().into_inner();
    // Then it is posted, claim by claim
    assert_eq!(a.outcome, "processed");
    assert_eq!(a.payments.len(), 1);
    assert_eq!((a.payments[0].status.as_str(), a.payments[0].claims_posted), ("posted", 3));
    let b1 = client.get_claim_balance(balance("c1")).await.unwrap().into_inner();
    assert_eq!((b1.state.as_str(), b1.paid_cents, b1.adjusted_cents, b1.balance_cents), ("paid", 13_000, 7_000, 0));
    assert_eq!(b1.patient_responsibility_cents, 2_000);
    let b3 = client.get_claim_balance(balance("c3")).await.unwrap().into_inner();
    assert_eq!((b3.paid_cents, b3.balance_cents), (8_000, 4_000), "the rest of c3 is not answered yet");
    let ledger = client
        .list_provider_ledger(ListProviderLedgerRequest { tenant_id: TENANT.into(), limit: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ledger.entries.len(), 1);
    assert_eq!((ledger.entries[0].category.as_str(), ledger.total_cents), ("interest", -500));

    // When the same file comes again, and the same payment (payer and trace) in another file
    let again = client.upload_remittance(upload("a-again.835", file_a)).await.unwrap().into_inner();
    assert_eq!(again.outcome, "duplicate_file");
    let resent = era_plb(202, "EFT-A", &first, 0, &[("L6", -500)]);
    let r = client.upload_remittance(upload("a-resent.835", resent)).await.unwrap().into_inner();
    // Then nothing is posted twice, and the answer says why
    assert_eq!((r.outcome.as_str(), r.payments[0].status.as_str()), ("processed", "duplicate"));
    assert!(r.payments[0].reason.contains("EFT-A"), "{}", r.payments[0].reason);
    assert_eq!(common::count(&pool, "SELECT count(*) FROM postings").await, 3);
    assert_eq!(common::count(&pool, "SELECT count(*) FROM provider_ledger").await, 1);

    // When the second 835 reverses c2's payment and pays it again with less, and pays c3's other lines
    let second = vec![
        Clp {
            pcn: "PCN-2",
            status: "22",
            charge: -15_000,
            paid: -12_000,
            pr: 0,
            icn: "ICN-2",
            cas: vec![],
            lines: vec![svc("99214", -15_000, -12_000, vec![("CO", "45", -3_000)])],
        },
        Clp {
            pcn: "PCN-2",
            status: "1",
            charge: 15_000,
            paid: 11_000,
            pr: 0,
            icn: "ICN-2",
            cas: vec![],
            lines: vec![svc("99214", 15_000, 11_000, vec![("CO", "45", 4_000)])],
        },
        Clp {
            pcn: "PCN-3",
            status: "1",
            charge: 4_000,
            paid: 2_000,
            pr: 1_000,
            icn: "ICN-3",
            cas: vec![],
            lines: vec![
                svc("85025", 3_000, 2_000, vec![("PR", "2", 1_000)]),
                svc("36415", 1_000, 0, vec![("CO", "50", 1_000)]),
            ],
        },
    ];
    let b = client.upload_remittance(upload("b.835", era(203, "EFT-B", &second, 0))).await.unwrap().into_inner();
    assert_eq!((b.payments[0].status.as_str(), b.payments[0].claims_posted), ("posted", 3));
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;

    // Then the reversal restored the balance c2 had before its payment, and the corrected payment posted anew
    let reversed = h.events(EventType::ClaimReversed).await;
    assert_eq!(reversed.len(), 1);
    let Some(Payload::ClaimReversed(rv)) = &reversed[0].payload else { panic!("not a ClaimReversed") };
    let t = rv.totals.unwrap();
    assert_eq!((t.billed_cents, t.paid_cents, t.adjusted_cents, t.balance_cents), (15_000, 0, 0, 15_000));
    assert_eq!(
        (rv.reversed_payer_claim_control_number.as_str(), rv.reversed_payment_trace.as_str()),
        ("ICN-2", "EFT-A")
    );
    assert_eq!(reversed[0].correlation_id, "corr-c2");
    let b2 = client.get_claim_balance(balance("c2")).await.unwrap().into_inner();
    assert_eq!((b2.state.as_str(), b2.paid_cents, b2.adjusted_cents, b2.balance_cents), ("paid", 11_000, 4_000, 0));
    let outcomes: Vec<(&str, i64, i64)> =
        b2.postings.iter().map(|p| (p.outcome.as_str(), p.paid_cents, p.reverses_posting_id)).collect();
    assert_eq!(outcomes[0].0, "paid");
    assert_eq!(outcomes[1], ("reversed", -12_000, b2.postings[0].posting_id));
    assert_eq!(outcomes[2].0, "paid");
    assert_eq!(b2.postings[0].reversed_by_posting_id, b2.postings[1].posting_id);
    // And the split payment added up: c3 is judged as a whole (one line denied) and fully answered
    let b3 = client.get_claim_balance(balance("c3")).await.unwrap().into_inner();
    assert_eq!((b3.state.as_str(), b3.paid_cents, b3.adjusted_cents), ("partially_paid", 10_000, 4_000));
    assert_eq!((b3.patient_responsibility_cents, b3.balance_cents), (1_000, 0));
    let partial = h.events(EventType::ClaimPartiallyPaid).await;
    let c3 = partial.iter().find(|e| e.claim_id == "c3").expect("c3 partially paid");
    assert_eq!((remittance(c3).paid_cents, remittance(c3).charge_cents), (10_000, 14_000), "the whole claim");
    let paid = h.events(EventType::ClaimPaid).await;
    let c2_paid: Vec<i64> = paid.iter().filter(|e| e.claim_id == "c2").map(|e| remittance(e).paid_cents).collect();
    assert_eq!(c2_paid, vec![12_000, 11_000], "the reversed payment no longer counts");

    // And c1, paid by its primary, asked for its secondary claim with the primary's adjudication
    let secondary = h.events(EventType::SecondaryClaimRequested).await;
    assert_eq!(secondary.len(), 1);
    assert_eq!((secondary[0].claim_id.as_str(), secondary[0].correlation_id.as_str()), ("c1-S", "corr-c1"));
    let Some(Payload::SecondaryClaimRequested(s)) = &secondary[0].payload else { panic!() };
    let p = s.primary.clone().unwrap();
    assert_eq!((s.primary_claim_id.as_str(), s.payer_id.as_str(), s.crossed_over), ("c1", "SEC01", false));
    assert_eq!(
        (p.paid_cents, p.patient_responsibility_cents, p.payer_claim_control_number.as_str()),
        (13_000, 2_000, "ICN-1")
    );
    let lines: Vec<(&str, i64)> = p.lines.iter().map(|l| (l.line_id.as_str(), l.paid_cents)).collect();
    assert_eq!(lines, vec![("c1-L1", 8_000), ("c1-L2", 5_000)]);

    // When a payment does not balance
    let odd = vec![Clp {
        pcn: "PCN-1",
        status: "1",
        charge: 20_000,
        paid: 1_000,
        pr: 0,
        icn: "ICN-1X",
        cas: vec![("CO", "45", 19_000)],
        lines: vec![],
    }];
    let c = client.upload_remittance(upload("c.835", era(204, "EFT-C", &odd, 77))).await.unwrap().into_inner();
    // Then it is held with the reason, nothing of it posted, and listed for an operator
    assert_eq!(c.payments[0].status, "held");
    assert!(c.payments[0].reason.contains("balance.transaction"), "{}", c.payments[0].reason);
    let held = client
        .list_held_remittances(ListHeldRemittancesRequest { tenant_id: TENANT.into(), limit: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(held.held.len(), 1);
    assert_eq!((held.held[0].payment_trace.as_str(), held.held[0].file_name.as_str()), ("EFT-C", "c.835"));
    let b1_after = client.get_claim_balance(balance("c1")).await.unwrap().into_inner();
    assert_eq!(b1_after.paid_cents, 13_000, "the held payment posted nothing");

    // And a reversal of a payment we never posted waits in the unmatched queue with the candidates
    let stray = vec![Clp {
        pcn: "PCN-3",
        status: "22",
        charge: -5_000,
        paid: -5_000,
        pr: 0,
        icn: "ICN-OLD",
        cas: vec![],
        lines: vec![],
    }];
    let d = client.upload_remittance(upload("d.835", era(205, "EFT-D", &stray, 0))).await.unwrap().into_inner();
    assert_eq!((d.payments[0].claims_posted, d.payments[0].claims_unmatched), (0, 1));
    let queue =
        client.list_unmatched(ListUnmatchedRequest { tenant_id: TENANT.into(), limit: 0 }).await.unwrap().into_inner();
    let item = queue.items.iter().find(|i| i.kind == "reversal").expect("the stray reversal queued");
    assert_eq!(item.claim_id, "c3");
    assert_eq!(item.candidates.len(), 2, "c3's two standing postings");

    // The invariant, for every claim: balance = charges - payments - adjustments posted to its
    // current submission (the table's CHECK holds it row by row; the postings must add up to it).
    let off: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM expected_claims c WHERE c.balance_cents <> c.billed_cents
             - COALESCE((SELECT sum(p.paid_cents + p.adjusted_cents) FROM postings p
                         WHERE p.tenant_id = c.tenant_id AND p.claim_id = c.claim_id AND p.submission = c.submissions), 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(off, 0);
    let bad = sqlx::query("UPDATE expected_claims SET paid_cents = paid_cents + 1 WHERE claim_id = 'c1'")
        .execute(&pool)
        .await;
    assert!(bad.is_err(), "the CHECK refuses a balance that does not add up");

    running.stop().await;
    h.cleanup().await;
}
