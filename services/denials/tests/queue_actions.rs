//! The work queue's actions against the real NATS (JetStream) and Postgres: denials with their payer
//! (from the claim's scrubbing and submission events) get the payer's appeal deadline and are listed
//! by priority with filters; an item is assigned, noted, appealed (its packet kept, one
//! `denials.appeal_filed` in the claim's chain, with no free text), the appeal lost and the item
//! written off (`denials.claim_closed`, resolution written_off, with the amount and reason code);
//! another is billed to the patient; invalid actions get clear gRPC errors; every action is in the
//! item's append-only history; the reports are served over gRPC.

use rcm_proto::common::{Claim, Coverage, ServiceLine};
use rcm_proto::denials::denials_service_client::DenialsServiceClient;
use rcm_proto::denials::{
    AddNoteRequest, AssignWorkItemRequest, BillPatientRequest, FileAppealRequest, GetReportsRequest,
    ListWorkQueueRequest, RecordAppealOutcomeRequest, WorkItemRef, WriteOffRequest,
};
use rcm_proto::events::{
    Adjustment, ClaimDenied, ClaimPaid, ClaimRejected, ClaimScrubbed, ClaimSubmitted, Envelope, Remittance,
    envelope::Payload,
};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, count, free_addr, wait_for};
use rcm_runtime::{EventType, Platform, db};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const TENANT: &str = "alpha";

async fn platform() -> (Config, Platform) {
    let id = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let mut config = Config {
        subject_prefix: id.clone(),
        database_prefix: format!("{id}_"),
        tenants: vec![TENANT.into()],
        ..Config::default()
    };
    config.consumer.backoff_ms = vec![50];
    config.consumer.max_deliver = 4;
    config.outbox.poll_ms = 50;
    // acme's contract with MEDI1 gives 120 days; others the default 180
    config.services.insert(
        "denials".into(),
        serde_json::json!({ "appeal_days_by_payer": { "MEDI1": 120 }, "report_metrics_interval_secs": 0 }),
    );
    let platform =
        Platform::connect(config.clone(), Determinism::default()).await.expect("NATS and Postgres (just up)");
    platform.add_tenant(TENANT, "Alpha").await.unwrap();
    (config, platform)
}

fn event(platform: &Platform, producer: &str, claim: &str, payload: Payload) -> Envelope {
    let origin = Origin {
        tenant: TENANT.into(),
        claim_id: claim.into(),
        correlation_id: format!("corr-{claim}"),
        causation_id: uuid::Uuid::now_v7().to_string(),
    };
    envelope::new_envelope(&platform.det, producer, &origin, payload)
}

fn adj(group: &str, reason: &str, amount_cents: i64) -> Adjustment {
    Adjustment { group: group.into(), reason: reason.into(), amount_cents }
}

fn remittance(
    icn: &str,
    charge: i64,
    paid: i64,
    pr: i64,
    adjustments: Vec<Adjustment>,
    remarks: &[&str],
) -> Remittance {
    Remittance {
        payer_claim_control_number: icn.into(),
        claim_status: if paid == 0 { "4".into() } else { "1".into() },
        charge_cents: charge,
        paid_cents: paid,
        patient_responsibility_cents: pr,
        adjustments,
        remark_codes: remarks.iter().map(|s| s.to_string()).collect(),
        era_file: format!("era-{icn}.835"),
        payment_trace: "EFT1".into(),
    }
}

fn scrubbed(claim: &str, payer: &str, charge: i64, service_date: &str) -> Payload {
    Payload::ClaimScrubbed(ClaimScrubbed {
        claim: Some(Claim {
            claim_id: claim.into(),
            coverage: Some(Coverage { payer_id: payer.into(), claim_filing: "CI".into(), ..Coverage::default() }),
            service_date: service_date.into(),
            total_charge_cents: charge,
            ..Claim::default()
        }),
        warnings: vec![],
    })
}

fn submitted(payer: &str, charge: i64, service_date: &str) -> Payload {
    Payload::ClaimSubmitted(ClaimSubmitted {
        payer_id: payer.into(),
        total_charge_cents: charge,
        lines: vec![ServiceLine { service_date: service_date.into(), charge_cents: charge, ..ServiceLine::default() }],
        version: 1,
        frequency_code: "1".into(),
        ..ClaimSubmitted::default()
    })
}

fn code(r: Result<tonic::Response<impl Sized>, tonic::Status>) -> (tonic::Code, String) {
    let e = r.map(|_| ()).unwrap_err();
    (e.code(), e.message().to_string())
}

#[tokio::test]
async fn denials_are_worked_to_the_end_through_the_queue() {
    let (config, platform) = platform().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let tasks = rcm_denials::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
    let addr = free_addr();
    let server =
        tokio::spawn(rcm_runtime::grpc::serve(addr, routes, &["rcm.denials.v1.DenialsService"], shutdown.clone()));
    let pool =
        db::connect(&config.database_url, &db::database_name(&config.database_prefix, "denials"), 2).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let service_date = (today - chrono::Duration::days(40)).to_string();

    // Given four claims scrubbed and submitted: m1 (payer MEDI1) denied for medical necessity ($800),
    // a1 (ACME1) denied for missing information ($100), p1 (ACME1) denied as the patient's (PR-204,
    // $50), c1 (ACME1) paid; and r1 rejected by scrubbing once
    let claims = [("m1", "MEDI1", 80_000), ("a1", "ACME1", 10_000), ("p1", "ACME1", 5_000), ("c1", "ACME1", 20_000)];
    let mut published = 0;
    for (claim, payer, charge) in claims {
        testing::publish(
            &platform.bus,
            &event(&platform, "scrubbing", claim, scrubbed(claim, payer, charge, &service_date)),
            None,
        )
        .await;
        testing::publish(
            &platform.bus,
            &event(&platform, "submission", claim, submitted(payer, charge, &service_date)),
            None,
        )
        .await;
        published += 2;
    }
    let rejected = Payload::ClaimRejected(ClaimRejected { patient_control_number: "r1".into(), findings: vec![] });
    testing::publish(&platform.bus, &event(&platform, "scrubbing", "r1", rejected), None).await;
    published += 1;
    wait_for("the claims' facts", || async { count(&pool, "SELECT count(*) FROM inbox").await == published }).await;
    let denied = |icn: &str, r: Remittance| {
        let _ = icn;
        Payload::ClaimDenied(ClaimDenied { remittance: Some(r) })
    };
    let remits = [
        ("m1", denied("M1", remittance("M1", 80_000, 0, 0, vec![adj("CO", "50", 80_000)], &["N115"]))),
        (
            "a1",
            denied("A1", remittance("A1", 10_000, 0, 0, vec![adj("CO", "16", 10_000), adj("CO", "ZZ9", 0)], &["M51"])),
        ),
        ("p1", denied("P1", remittance("P1", 5_000, 0, 5_000, vec![adj("PR", "204", 5_000)], &[]))),
        (
            "c1",
            Payload::ClaimPaid(ClaimPaid {
                remittance: Some(remittance("C1", 20_000, 15_000, 0, vec![adj("CO", "45", 5_000)], &[])),
            }),
        ),
    ];
    for (claim, payload) in remits {
        testing::publish(&platform.bus, &event(&platform, "remittance", claim, payload), None).await;
    }
    wait_for("three work items", || async { count(&pool, "SELECT count(*) FROM work_items").await == 3 }).await;
    wait_for("every event handled", || async { count(&pool, "SELECT count(*) FROM inbox").await == published + 4 })
        .await;

    // Then the queue lists them by priority, with the payer's deadline and the recommended action
    let mut client: DenialsServiceClient<Channel> =
        DenialsServiceClient::connect(format!("http://{addr}")).await.unwrap();
    let list = |status: &str, category: &str, payer: &str, assignee: &str| ListWorkQueueRequest {
        tenant_id: TENANT.into(),
        limit: 10,
        status: status.into(),
        category: category.into(),
        payer_id: payer.into(),
        assignee: assignee.into(),
    };
    let queue = client.list_work_queue(list("", "", "", "")).await.unwrap().into_inner().items;
    let seen: Vec<(&str, &str, &str, i32)> = queue
        .iter()
        .map(|w| (w.claim_id.as_str(), w.category.as_str(), w.recommended_action.as_str(), w.priority))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("m1", "medical_necessity", "appeal", 320),
            ("a1", "missing_information", "correct_and_resubmit", 90),
            ("p1", "non_covered", "bill_patient", 0),
        ]
    );
    let m1 = queue[0].clone();
    assert_eq!((m1.payer_id.as_str(), m1.days_to_deadline), ("MEDI1", 120));
    assert_eq!(m1.appeal_deadline, (today + chrono::Duration::days(120)).to_string());
    assert_eq!(m1.appeal_rule, "payer MEDI1: 120 days");
    assert_eq!(queue[1].days_to_deadline, 180);
    assert_eq!(queue[1].code_flags, vec!["carc_unknown:ZZ9"], "the unknown code is flagged");
    assert!(queue[1].reason_codes.contains(&"M51".to_string()));
    let only = |r: Vec<rcm_proto::denials::WorkItem>| r.into_iter().map(|w| w.claim_id).collect::<Vec<_>>();
    let acme = client.list_work_queue(list("", "", "ACME1", "")).await.unwrap().into_inner().items;
    assert_eq!(only(acme), ["a1", "p1"]);
    let coding = client.list_work_queue(list("", "missing_information", "", "")).await.unwrap().into_inner().items;
    assert_eq!(only(coding), ["a1"]);
    assert_eq!(code(client.list_work_queue(list("lost", "", "", "")).await).0, tonic::Code::InvalidArgument);

    // When m1 is assigned to biller-2 and noted
    let item = |w: &rcm_proto::denials::WorkItem| w.work_item_id.clone();
    client
        .assign_work_item(AssignWorkItemRequest {
            tenant_id: TENANT.into(),
            work_item_id: item(&m1),
            actor: "lead-1".into(),
            assignee: "biller-2".into(),
        })
        .await
        .unwrap();
    let mine = client.list_work_queue(list("", "", "", "biller-2")).await.unwrap().into_inner().items;
    assert_eq!(only(mine), ["m1"]);
    assert_eq!(only(client.list_work_queue(list("", "", "", "-")).await.unwrap().into_inner().items), ["a1", "p1"]);
    let note = "Called the payer: send the progress notes from the visit";
    client
        .add_note(AddNoteRequest {
            tenant_id: TENANT.into(),
            work_item_id: item(&m1),
            actor: "biller-2".into(),
            text: note.into(),
        })
        .await
        .unwrap();

    // And appealed with its packet
    let appeal = FileAppealRequest {
        tenant_id: TENANT.into(),
        work_item_id: item(&m1),
        actor: "biller-2".into(),
        reason_codes: vec![],
        supporting_text: "The visit note documents the medical necessity of the procedure.".into(),
        attachments: vec!["progress-notes.pdf".into(), "lab-results.pdf".into()],
    };
    let filed = client.file_appeal(appeal.clone()).await.unwrap().into_inner();
    // Then the item is in appeal, and one appeal_filed event is in the claim's chain, without the text
    let w = filed.work_item.unwrap();
    assert_eq!(w.status, "in_appeal");
    let a = filed.appeal.unwrap();
    assert_eq!((a.level, a.reason_codes.clone(), a.attachments.len()), (1, vec!["CO-50".into(), "N115".into()], 2));
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    let events = testing::wait_events(&platform.bus, TENANT, EventType::AppealFiled, 1).await;
    let e = &events[0];
    assert_eq!(
        (e.event_id.as_str(), e.claim_id.as_str(), e.correlation_id.as_str()),
        (filed.event_id.as_str(), "m1", "corr-m1")
    );
    let Some(Payload::AppealFiled(p)) = &e.payload else { panic!("not an AppealFiled") };
    assert_eq!((p.actor.as_str(), p.payer_claim_control_number.as_str()), ("biller-2", "M1"));
    assert_eq!(p.appeal_deadline, m1.appeal_deadline);
    assert!(!format!("{e:?}").contains("medical necessity of") && !format!("{e:?}").contains("progress"), "{e:?}");
    // A second appeal waits for the first's outcome; an outcome needs a known word
    let (c, msg) = code(client.file_appeal(appeal.clone()).await);
    assert_eq!(c, tonic::Code::FailedPrecondition, "{msg}");
    assert!(msg.contains("appeal pending"), "{msg}");
    let outcome = |o: &str| RecordAppealOutcomeRequest {
        tenant_id: TENANT.into(),
        work_item_id: item(&m1),
        actor: "biller-2".into(),
        outcome: o.into(),
        recovered_cents: 0,
    };
    assert_eq!(code(client.record_appeal_outcome(outcome("maybe")).await).0, tonic::Code::InvalidArgument);

    // When the appeal is lost, the item is open again, and it is written off
    let lost = client.record_appeal_outcome(outcome("lost")).await.unwrap().into_inner();
    assert_eq!(lost.status, "open");
    let write_off = |reason: &str, amount: i64| WriteOffRequest {
        tenant_id: TENANT.into(),
        work_item_id: item(&m1),
        actor: "biller-2".into(),
        reason_code: reason.into(),
        amount_cents: amount,
    };
    let (c, msg) = code(client.write_off(write_off("", 0)).await);
    assert_eq!((c, msg.as_str()), (tonic::Code::InvalidArgument, "invalid argument: a write-off needs a reason code"));
    assert_eq!(code(client.write_off(write_off("because", 0)).await).0, tonic::Code::InvalidArgument);
    assert_eq!(code(client.write_off(write_off("appeal_exhausted", 80_001)).await).0, tonic::Code::InvalidArgument);
    let closed = client.write_off(write_off("appeal_exhausted", 0)).await.unwrap().into_inner();
    let w = closed.work_item.unwrap();
    assert_eq!((w.status.as_str(), w.resolution.as_str(), w.written_off_cents), ("written_off", "written_off", 80_000));
    // Then one claim_closed event with the resolution, amount and reason
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    let closed_events = testing::wait_events(&platform.bus, TENANT, EventType::ClaimClosed, 1).await;
    let Some(Payload::ClaimClosed(c)) = &closed_events[0].payload else { panic!("not a ClaimClosed") };
    assert_eq!(
        (c.resolution.as_str(), c.written_off_cents, c.reason_code.as_str(), c.actor.as_str()),
        ("written_off", 80_000, "appeal_exhausted", "biller-2")
    );
    assert_eq!(closed_events[0].event_id, closed.event_id);
    // And a closed item takes no appeal, no second write-off, no assignment; notes still go on
    let (c, msg) = code(client.file_appeal(appeal.clone()).await);
    assert_eq!(c, tonic::Code::FailedPrecondition);
    assert!(msg.contains("written_off"), "{msg}");
    assert_eq!(code(client.write_off(write_off("appeal_exhausted", 0)).await).0, tonic::Code::FailedPrecondition);
    let reassign = AssignWorkItemRequest {
        tenant_id: TENANT.into(),
        work_item_id: item(&m1),
        actor: "lead-1".into(),
        assignee: "x".into(),
    };
    assert_eq!(code(client.assign_work_item(reassign).await).0, tonic::Code::FailedPrecondition);

    // p1 is billed to the patient
    let p1 = queue.iter().find(|w| w.claim_id == "p1").unwrap();
    let billed = client
        .bill_patient(BillPatientRequest { tenant_id: TENANT.into(), work_item_id: item(p1), actor: "biller-1".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(billed.work_item.unwrap().status, "billed_to_patient");
    let closed_events = testing::wait_events(&platform.bus, TENANT, EventType::ClaimClosed, 2).await;
    let resolutions: Vec<String> = closed_events
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::ClaimClosed(c)) => Some(c.resolution.clone()),
            _ => None,
        })
        .collect();
    assert!(resolutions.contains(&"billed_to_patient".to_string()), "{resolutions:?}");

    // Errors for what does not exist or is not asked right
    let missing = WorkItemRef { tenant_id: TENANT.into(), work_item_id: uuid::Uuid::now_v7().to_string() };
    assert_eq!(code(client.get_work_item(missing).await).0, tonic::Code::NotFound);
    let bad = WorkItemRef { tenant_id: TENANT.into(), work_item_id: "nope".into() };
    assert_eq!(code(client.get_work_item(bad).await).0, tonic::Code::InvalidArgument);
    let anonymous =
        AddNoteRequest { tenant_id: TENANT.into(), work_item_id: item(&m1), actor: " ".into(), text: "x".into() };
    assert_eq!(code(client.add_note(anonymous).await).0, tonic::Code::InvalidArgument);

    // The history of m1: every action, who and when, in order; the note's text only in notes
    let detail = client
        .get_work_item(WorkItemRef { tenant_id: TENANT.into(), work_item_id: item(&m1) })
        .await
        .unwrap()
        .into_inner();
    let history: Vec<(&str, &str)> = detail.actions.iter().map(|a| (a.action.as_str(), a.actor.as_str())).collect();
    assert_eq!(
        history,
        vec![
            ("queued", "denials"),
            ("assigned", "lead-1"),
            ("note", "biller-2"),
            ("appeal_filed", "biller-2"),
            ("appeal_outcome", "biller-2"),
            ("written_off", "biller-2"),
        ]
    );
    assert!(detail.actions.iter().all(|a| !a.at.is_empty() && !a.detail.contains("progress notes")));
    assert_eq!(detail.actions[3].event_id, filed.event_id);
    assert_eq!(detail.notes.len(), 1);
    assert_eq!(detail.notes[0].text, note);
    assert_eq!(detail.appeals.len(), 1);
    assert_eq!(detail.appeals[0].outcome, "lost");
    assert!(detail.appeals[0].supporting_text.contains("medical necessity"));
    // The history is append-only
    let tampered = sqlx::query("UPDATE work_item_actions SET actor = 'someone-else'").execute(&pool).await;
    assert!(tampered.unwrap_err().to_string().contains("append-only"));
    assert!(sqlx::query("DELETE FROM work_item_actions").execute(&pool).await.is_err());

    // The reports over gRPC: 3 of 4 adjudicated claims denied; m1's appeal then write-off is not a
    // first-pass resolution, p1's billing is; 4 of 5 scrubbed claims clean; c1 paid 40 days after
    // its service
    let reports = client
        .get_reports(GetReportsRequest { tenant_id: TENANT.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let ratio = |r: Option<rcm_proto::denials::Ratio>| r.map(|r| (r.numerator, r.denominator)).unwrap();
    assert_eq!(ratio(reports.denial_rate), (3, 4));
    assert_eq!(ratio(reports.first_pass_resolution), (1, 2));
    assert_eq!(ratio(reports.clean_claim_rate), (4, 5));
    assert_eq!(ratio(reports.net_collection_rate), (15_000, 115_000 - 5_000));
    assert_eq!((reports.paid_claims, reports.days_in_ar), (1, 40.0));
    assert_eq!(reports.paid_aging[1].claims, 1, "31-60 days");
    let medi = reports.denial_rate_by_payer.iter().find(|r| r.key == "MEDI1").unwrap();
    assert_eq!((medi.denied_claims, medi.adjudicated_claims, medi.rate), (1, 1, 1.0));
    assert!(reports.denial_rate_by_carc.iter().any(|r| r.key == "CO-50" && r.denied_cents == 80_000));
    // a1 is still owed (40 days: 31-60)
    assert_eq!(reports.open_ar_aging[1].cents, 10_000);
    let acme = client
        .get_reports(GetReportsRequest { tenant_id: TENANT.into(), payer_id: "ACME1".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ratio(acme.denial_rate), (2, 3));
    let bad = GetReportsRequest { tenant_id: TENANT.into(), from: "2026-13-01".into(), ..Default::default() };
    assert_eq!(code(client.get_reports(bad).await).0, tonic::Code::InvalidArgument);

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    server.await.unwrap().unwrap();
    pool.close().await;
    testing::remove(&config, &[TENANT]).await;
}
