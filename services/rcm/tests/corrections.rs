//! Corrected (frequency 7) and void (frequency 8) claims through the whole pipeline, against the
//! real NATS and Postgres with the payer simulator: a claim the simulator denies is corrected through
//! the denial queue (`RequestCorrection`), a coder resolves it with corrected codes, and it goes out
//! once more, as frequency 7 with REF*F8 = the payer's claim control number; its new remit posts on
//! the same claim, and the claim's history shows both versions. Another denied claim is voided:
//! frequency 8 goes out once, with no coder.

mod common;

use chrono::{Duration as Days, NaiveDate};
use common::*;
use rcm::sandbox::Sandbox;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::Icd10Cm;
use rcm_coding::decide::{Books, FeeSchedule, Outcome, Policy, TenantCpt};
use rcm_proto::coding::coding_service_client::CodingServiceClient;
use rcm_proto::coding::{ClaimQueueItemRequest, QueueItemRef, ResolveQueueItemRequest};
use rcm_proto::common::{Address, Claim, ClaimRef, Coverage, Encounter, Patient, PersonName, Provider, ServiceLine};
use rcm_proto::denials::denials_service_client::DenialsServiceClient;
use rcm_proto::denials::{
    BillPatientRequest, FileAppealRequest, GetReportsRequest, ListWorkQueueRequest, RecordAppealOutcomeRequest,
    RequestCorrectionRequest, WriteOffRequest,
};
use rcm_proto::intake::SubmitEncounterRequest;
use rcm_proto::intake::intake_service_client::IntakeServiceClient;
use rcm_runtime::db;
use rcm_simulator::adjudicate::Decision;
use rcm_submission::config::TradingPartner;
use rcm_submission::decide::ControlNumbers;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

const TENANT: &str = "gamma";
const PAYER: &str = "ACME1";

fn encounter(id: &str, member: &str, service_date: NaiveDate) -> Encounter {
    let address = Address {
        line1: "12 Main St".into(),
        city: "Springfield".into(),
        state: "IL".into(),
        postal_code: "627011234".into(),
        ..Address::default()
    };
    Encounter {
        encounter_id: id.into(),
        patient: Some(Patient {
            patient_id: format!("MRN-{id}"),
            name: Some(PersonName { last: "Rivera".into(), first: "Ana".into(), ..PersonName::default() }),
            birth_date: "1980-04-02".into(),
            gender: "F".into(),
            address: Some(address.clone()),
        }),
        coverage: Some(Coverage {
            payer_id: PAYER.into(),
            payer_name: "Acme Health Plan".into(),
            member_id: member.into(),
            relationship: "18".into(),
            claim_filing: "CI".into(),
            payer_responsibility: "P".into(),
            ..Coverage::default()
        }),
        billing_provider: Some(Provider {
            npi: "1234567893".into(),
            organization_name: "Gamma Family Medicine".into(),
            tax_id: "123456789".into(),
            taxonomy: "207Q00000X".into(),
            address: Some(address),
            ..Provider::default()
        }),
        place_of_service: "11".into(),
        service_date: service_date.to_string(),
        diagnosis_codes: vec!["I10".into()],
        lines: vec![ServiceLine {
            line_id: "1".into(),
            procedure_code: "99213".into(),
            units: "1".into(),
            unit: "UN".into(),
            diagnosis_pointers: vec![1],
            ..ServiceLine::default()
        }],
        source: "grpc".into(),
        frequency_code: "1".into(),
        ..Encounter::default()
    }
}

/// The claim coding makes of `e` for a tenant on the default fee schedule (as the running service
/// does: no licensed CPT file, the default policy, no note).
fn coded(e: &Encounter) -> Claim {
    let fees: FeeSchedule = rcm_coding::decide::parse_fee_schedule(rcm_coding::DEFAULT_FEE_SCHEDULE_TSV)
        .expect("the shipped fee schedule")
        .into_iter()
        .collect();
    let (cpt, policy) = (TenantCpt::default(), Policy::default());
    let books = Books { icd: Icd10Cm::shipped(), hcpcs: Hcpcs::shipped(), cpt: &cpt, fees: &fees, policy: &policy };
    match rcm_coding::decide::code_encounter("0190f0e0-a1b2-7c3d-8e5f-60718293a4b5", e, &books, &[]) {
        Outcome::Coded(c) => c.claim.expect("a coded claim"),
        Outcome::ReviewRequired(r) => panic!("the test encounter must code cleanly: {:?}", r.findings),
    }
}

/// What the simulator decides about `claim` sent alone in an 837 on `today` (the same path the
/// running simulator takes: the file written by submission's mapping, read back and answered).
fn simulated(claim: &Claim, today: NaiveDate) -> Decision {
    let x12 = rcm_submission::decide::to_x12_claim(claim).expect("the claim maps to an 837P claim");
    let parties = TradingPartner {
        submitter_id: "SUBMITTER".into(),
        submitter_name: "Submitter".into(),
        receiver_id: "RECEIVER".into(),
        receiver_name: "Receiver".into(),
        ..TradingPartner::default()
    };
    let ctl = ControlNumbers { interchange: 1, group: 1, transaction: 1 };
    let at = today.and_hms_opt(8, 0, 0).unwrap();
    let ic = rcm_submission::decide::build_interchange(&parties, ctl, "ref", at, vec![x12]);
    let text = rcm_x12::x837p::write_837p(&ic).expect("an 837P");
    let answer = rcm_simulator::answer(&text, today).expect("the simulator answers");
    answer.claims.into_iter().next().expect("one claim answered").decision
}

fn denied(d: &Decision) -> bool {
    matches!(d, Decision::Accepted { result: Some(r), .. } if r.is_denied())
}

fn paid(d: &Decision) -> bool {
    matches!(d, Decision::Accepted { result: Some(r), .. } if !r.is_denied() && !r.is_partially_paid())
}

/// Members for whom the simulator denies the visit (its draws come from the claim's content), and
/// for the first one also pays the same visit sent again as a replacement; then two more denied.
fn find_members(service_date: NaiveDate, today: NaiveDate) -> (String, String, Vec<String>) {
    let mut corrected = None;
    let mut voided = None;
    let mut others = Vec::new();
    for k in 0..2_000 {
        let member = format!("CX{k:06}");
        let claim = coded(&encounter("probe", &member, service_date));
        if !denied(&simulated(&claim, today)) {
            continue;
        }
        let replacement = Claim {
            frequency_code: "7".into(),
            payer_claim_control_number: "PROBE".into(),
            version: 2,
            diagnosis_codes: vec!["E119".into(), "I10".into()],
            ..claim
        };
        if corrected.is_none() && paid(&simulated(&replacement, today)) {
            corrected = Some(member);
        } else if voided.is_none() {
            voided = Some(member);
        } else if others.len() < 2 {
            others.push(member);
        }
        if let (Some(c), Some(v), 2) = (&corrected, &voided, others.len()) {
            return (c.clone(), v.clone(), others);
        }
    }
    panic!("no member among 2000 whose visit the simulator denies and then pays as a replacement");
}

async fn connect<T>(endpoint: &str, f: impl Fn(Channel) -> T) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match tonic::transport::Endpoint::from_shared(endpoint.to_string()).unwrap().connect().await {
            Ok(ch) => return f(ch),
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("{endpoint}: {e}"),
        }
    }
}

/// Waits until the claim's history satisfies `done` (120 s at most); returns the history.
async fn wait_history(
    c: &mut IntakeServiceClient<Channel>,
    claim_id: &str,
    what: &str,
    done: impl Fn(&rcm_proto::intake::ClaimHistory) -> bool,
) -> rcm_proto::intake::ClaimHistory {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = c.get_claim_history(ClaimRef { tenant_id: TENANT.into(), claim_id: claim_id.into() }).await;
        if let Ok(h) = r.map(|r| r.into_inner()) {
            if done(&h) {
                return h;
            }
            assert!(Instant::now() < deadline, "claim {claim_id}: {what} never came; history {:?}", states(&h));
        } else {
            assert!(Instant::now() < deadline, "claim {claim_id}: no history");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn states(h: &rcm_proto::intake::ClaimHistory) -> Vec<(String, u32)> {
    h.entries.iter().map(|e| (e.state.clone(), e.version)).collect()
}

fn has(h: &rcm_proto::intake::ClaimHistory, state: &str, version: u32) -> bool {
    h.entries.iter().any(|e| e.state == state && e.version == version)
}

/// Every claim of every 837 in `dir`: (patient control number, CLM05-3, REF*F8).
fn claims_sent(dir: &std::path::Path) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for f in files(dir, "837") {
        let doc = rcm_x12::x837p::parse_837p(&std::fs::read(&f).unwrap()).unwrap();
        out.extend(doc.claims().map(|c| {
            (
                c.patient_control_number.to_string(),
                c.frequency.to_string(),
                c.payer_claim_control_number.as_ref().map(|p| p.to_string()),
            )
        }));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_denied_claim_is_corrected_once_as_frequency_7_and_another_voided_as_8() {
    // The payer's day is pinned to the test's, so the claims found below get the same answers
    // from the running simulator.
    let today = chrono::Utc::now().date_naive();
    let service_date = today - Days::days(20);
    let (member_a, member_b, others) = find_members(service_date, today);
    let mut config = Sandbox::config(&[TENANT]);
    config.services.insert("simulator".into(), serde_json::json!({ "today": today.to_string() }));
    let sandbox = Sandbox::start(config, &rcm::services::SERVICES, true).await.unwrap();
    let endpoint = sandbox.endpoint();
    let mut intake = client(endpoint.clone()).await;
    let mut denials = connect(&endpoint, DenialsServiceClient::new).await;
    let mut coding = connect(&endpoint, CodingServiceClient::new).await;

    // Given four visits the payer denies
    let mut ids = Vec::new();
    for (id, member) in [("corr-a", &member_a), ("corr-b", &member_b), ("corr-c", &others[0]), ("corr-d", &others[1])] {
        let e = encounter(id, member, service_date);
        let r = intake
            .submit_encounter(SubmitEncounterRequest { tenant_id: TENANT.into(), encounter: Some(e) })
            .await
            .unwrap();
        ids.push(r.into_inner().claim_id);
    }
    let (a, b, c, d) = (ids[0].clone(), ids[1].clone(), ids[2].clone(), ids[3].clone());
    for claim in [&a, &b, &c, &d] {
        wait_history(&mut intake, claim, "the denial queued after the payer's acceptance", |h| {
            has(h, "in_denial_queue", 1) && has(h, "accepted", 1)
        })
        .await;
    }
    let queue = denials
        .list_work_queue(ListWorkQueueRequest { tenant_id: TENANT.into(), limit: 10, ..Default::default() })
        .await
        .unwrap();
    let queue = queue.into_inner().items;
    let item_a = queue.iter().find(|w| w.claim_id == a).expect("claim a in the work queue");
    let pccn_a = item_a.payer_claim_control_number.clone();
    assert!(!pccn_a.is_empty() && item_a.status == "open", "{item_a:?}");

    // When a biller asks for a replacement of a through the queue
    let request = |claim: &str, void: bool| RequestCorrectionRequest {
        tenant_id: TENANT.into(),
        claim_id: claim.into(),
        actor: "biller-1".into(),
        note: "diabetes documented in the visit note".into(),
        void,
    };
    let asked = denials.request_correction(request(&a, false)).await.unwrap().into_inner();
    assert_eq!((asked.version, asked.frequency_code.as_str()), (2, "7"));
    assert_eq!(asked.payer_claim_control_number, pccn_a);
    let w = asked.work_item.expect("the work item");
    assert_eq!((w.status.as_str(), w.correction_requested_by.as_str()), ("correction_requested", "biller-1"));
    // Then a second request for the same denial, an unknown claim and an unknown tenant are refused
    let again = denials.request_correction(request(&a, true)).await.unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition, "{again:?}");
    let unknown = denials.request_correction(request("no-such-claim", false)).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::FailedPrecondition, "{unknown:?}");
    let other = RequestCorrectionRequest { tenant_id: "nobody".into(), ..request(&a, false) };
    assert_eq!(denials.request_correction(other).await.unwrap_err().code(), tonic::Code::NotFound);
    // And b is voided: no coder needed
    let void = denials.request_correction(request(&b, true)).await.unwrap().into_inner();
    assert_eq!((void.version, void.frequency_code.as_str()), (2, "8"));

    // When the replacement reaches the coder's queue, with the denial's reasons
    let item_ref = QueueItemRef { tenant_id: TENANT.into(), claim_id: a.clone() };
    let deadline = Instant::now() + Duration::from_secs(60);
    let item = loop {
        match coding.get_queue_item(item_ref.clone()).await {
            Ok(i) if i.get_ref().state == "open" => break i.into_inner(),
            _ => assert!(Instant::now() < deadline, "the replacement never reached the coder's queue"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(item.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), ["CODING-CORRECTION"]);
    let e = item.encounter.as_ref().expect("the encounter to correct");
    assert_eq!((e.frequency_code.as_str(), e.payer_claim_control_number.as_str()), ("7", pccn_a.as_str()));
    let queued = item.actions.last().expect("the queued action");
    assert_eq!(queued.actor, "biller-1");
    assert!(queued.detail.contains("diabetes documented"), "the biller's note is kept for the coder");
    // And a coder takes it and resolves it with corrected codes
    let take = ClaimQueueItemRequest { tenant_id: TENANT.into(), claim_id: a.clone(), coder: "coder-1".into() };
    coding.claim_queue_item(take).await.unwrap();
    let resolved = coding
        .resolve_queue_item(ResolveQueueItemRequest {
            tenant_id: TENANT.into(),
            claim_id: a.clone(),
            coder: "coder-1".into(),
            diagnosis_codes: vec!["E11.9".into(), "I10".into()],
            lines: vec![],
            note: "E11.9 added from the note".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resolved.resolved, "{:?}", resolved.findings);

    // Then a's version 2 is paid, and b's void is accepted
    // (the 277CA and the 835 are read by two services, so either may come first)
    let history_a = wait_history(&mut intake, &a, "version 2 accepted and paid", |h| {
        h.state == "paid" && h.version == 2 && has(h, "accepted", 2)
    })
    .await;
    let history_b = wait_history(&mut intake, &b, "the void accepted", |h| h.state == "voided").await;
    sandbox.wait_idle(Duration::from_secs(60)).await.unwrap();

    // The history of a shows both versions: version 1 up to its denial, then the correction and
    // version 2 from there, each entry once
    let h = states(&history_a);
    let v1: Vec<&str> = h.iter().filter(|(_, v)| *v == 1).map(|(s, _)| s.as_str()).collect();
    let v2: Vec<&str> = h.iter().filter(|(_, v)| *v == 2).map(|(s, _)| s.as_str()).collect();
    let mut sorted_v1 = v1.clone();
    sorted_v1.sort();
    assert_eq!(
        sorted_v1,
        ["accepted", "batched", "coded", "created", "denied", "in_denial_queue", "scrubbed", "sent"],
        "{h:?}"
    );
    assert_eq!(v2.first(), Some(&"corrected"), "{h:?}");
    let mut sorted_v2 = v2.clone();
    sorted_v2.sort();
    assert_eq!(
        sorted_v2,
        ["accepted", "batched", "coded", "corrected", "needs_coding", "paid", "scrubbed", "sent"],
        "{h:?}"
    );
    let first_v2 = h.iter().position(|(_, v)| *v == 2).unwrap();
    assert!(h[..first_v2].iter().all(|(_, v)| *v == 1), "version 1 ends before the correction: {h:?}");
    let link = history_a.entries.iter().find(|e| e.state == "corrected").unwrap();
    assert!(link.detail.contains(&pccn_a) && link.detail.contains("frequency 7"), "{}", link.detail);
    assert_eq!((history_a.version, history_a.frequency_code.as_str()), (2, "7"));
    let status = intake.get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: a.clone() }).await.unwrap();
    let status = status.into_inner();
    assert_eq!(status.state, "paid");
    assert!(status.detail.starts_with("version 2 (frequency 7): CLP02 1"), "{}", status.detail);
    // b: version 2 is the void, from its request to its acceptance, with no coder
    let hb = states(&history_b);
    let vb: Vec<&str> = hb.iter().filter(|(_, v)| *v == 2).map(|(s, _)| s.as_str()).collect();
    let mut sorted_vb = vb.clone();
    sorted_vb.sort();
    assert_eq!(sorted_vb, ["batched", "coded", "corrected", "scrubbed", "sent", "voided"], "{hb:?}");
    assert_eq!((history_b.version, history_b.frequency_code.as_str()), (2, "8"));

    // The 837s: each claim went out once per version; a's replacement once, as frequency 7 with
    // REF*F8 = the payer's claim control number of the denial; b's void once, as 8
    let outbound = sandbox.data_dir().join(TENANT).join("outbound");
    let sent = claims_sent(&outbound);
    let pcn = |claim: &str| claim.replace('-', "");
    let of = |claim: &str| -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> =
            sent.iter().filter(|(p, _, _)| *p == pcn(claim)).map(|(_, f, r)| (f.clone(), r.clone())).collect();
        v.sort();
        v
    };
    assert_eq!(of(&a), vec![("1".to_string(), None), ("7".to_string(), Some(pccn_a.clone()))], "{sent:?}");
    assert_eq!(of(&b), vec![("1".to_string(), None), ("8".to_string(), Some(void.payer_claim_control_number))]);
    pyx12(&files(&outbound, "837"));

    // The new remit posted on the same claim; the denial stays in the record
    let remittance =
        db::connect(&sandbox.config.database_url, &db::database_name(&sandbox.config.database_prefix, "remittance"), 1)
            .await
            .unwrap();
    let postings = |claim: String| {
        let pool = remittance.clone();
        async move {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT outcome, payer_claim_control_number FROM postings WHERE tenant_id = $1 AND claim_id = $2 ORDER BY id",
            )
            .bind(TENANT)
            .bind(claim)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows
        }
    };
    let posted_a = postings(a.clone()).await;
    assert_eq!(posted_a.len(), 2, "{posted_a:?}");
    assert_eq!(posted_a[0], ("denied".to_string(), pccn_a.clone()));
    assert_eq!(posted_a[1].0, "paid");
    let posted_b = postings(b.clone()).await;
    assert_eq!(posted_b.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["denied"], "a void is not paid");
    remittance.close().await;

    // c is appealed through the queue: its history shows in_appeal; the appeal is lost and the
    // denial written off: closed. d is billed to the patient: closed.
    let queue =
        denials.list_work_queue(ListWorkQueueRequest { tenant_id: TENANT.into(), limit: 50, ..Default::default() });
    let queue = queue.await.unwrap().into_inner().items;
    let item_of = |claim: &str| queue.iter().find(|w| w.claim_id == claim).expect("in the queue").work_item_id.clone();
    let (item_c, item_d) = (item_of(&c), item_of(&d));
    let filed = denials
        .file_appeal(FileAppealRequest {
            tenant_id: TENANT.into(),
            work_item_id: item_c.clone(),
            actor: "biller-2".into(),
            reason_codes: vec![],
            supporting_text: "The record supports the service as billed.".into(),
            attachments: vec!["visit-note.pdf".into()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filed.work_item.unwrap().status, "in_appeal");
    wait_history(&mut intake, &c, "in_appeal", |h| h.state == "in_appeal").await;
    let closed_too_soon = denials
        .file_appeal(FileAppealRequest {
            tenant_id: TENANT.into(),
            work_item_id: item_c.clone(),
            actor: "biller-2".into(),
            supporting_text: "again".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(closed_too_soon.code(), tonic::Code::FailedPrecondition);
    denials
        .record_appeal_outcome(RecordAppealOutcomeRequest {
            tenant_id: TENANT.into(),
            work_item_id: item_c.clone(),
            actor: "biller-2".into(),
            outcome: "lost".into(),
            recovered_cents: 0,
        })
        .await
        .unwrap();
    let no_reason = WriteOffRequest {
        tenant_id: TENANT.into(),
        work_item_id: item_c.clone(),
        actor: "biller-2".into(),
        reason_code: String::new(),
        amount_cents: 0,
    };
    assert_eq!(denials.write_off(no_reason.clone()).await.unwrap_err().code(), tonic::Code::InvalidArgument);
    let written = denials
        .write_off(WriteOffRequest { reason_code: "appeal_exhausted".into(), ..no_reason })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(written.work_item.unwrap().status, "written_off");
    denials
        .bill_patient(BillPatientRequest { tenant_id: TENANT.into(), work_item_id: item_d, actor: "biller-1".into() })
        .await
        .unwrap();
    let history_c = wait_history(&mut intake, &c, "closed", |h| h.state == "closed").await;
    let hc: Vec<&str> = history_c.entries.iter().map(|e| e.state.as_str()).collect();
    let worked: Vec<&str> =
        hc.iter().copied().filter(|s| ["in_denial_queue", "in_appeal", "closed"].contains(s)).collect();
    assert_eq!(worked, ["in_denial_queue", "in_appeal", "closed"], "{hc:?}");
    let closing = history_c.entries.last().unwrap();
    assert!(closing.detail.contains("written_off") && closing.detail.contains("biller-2"), "{}", closing.detail);
    let history_d = wait_history(&mut intake, &d, "closed", |h| h.state == "closed").await;
    assert!(history_d.entries.last().unwrap().detail.contains("billed_to_patient"));
    // Closing sends nothing: no claim went out a third time
    assert_eq!(claims_sent(&outbound).len(), 6, "{:?}", claims_sent(&outbound));
    // And the reports count it all
    let reports = denials
        .get_reports(GetReportsRequest { tenant_id: TENANT.into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let fpr = reports.first_pass_resolution.unwrap();
    assert_eq!(
        (fpr.numerator, fpr.denominator),
        (2, 3),
        "a's correction paid and d billed at once; c took two actions"
    );
    assert!(reports.denial_rate.unwrap().numerator >= 4);

    sandbox.cleanup().await.unwrap();
}
