//! The denials service against the real NATS (JetStream) and Postgres: a denied claim becomes one
//! work item with the right category and a `DenialQueued` event, however often its event comes; a
//! partially paid claim is queued for its denied part; paid claims only count for the report; the
//! gRPC queue lists the highest priority first; a correction is requested once per denial, as the
//! claim's next version, with a `CorrectionRequested` event in the claim's chain.

use rcm_denials::decide::Outcome;
use rcm_proto::common::ClaimRef;
use rcm_proto::denials::denials_service_client::DenialsServiceClient;
use rcm_proto::denials::{ListWorkQueueRequest, RequestCorrectionRequest};
use rcm_proto::events::{
    Adjustment, ClaimDenied, ClaimPaid, ClaimPartiallyPaid, Envelope, Remittance, envelope::Payload,
};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, count, free_addr, wait_for};
use rcm_runtime::{EventType, Platform, db};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "alpha";

struct Harness {
    config: Config,
    platform: Platform,
}

impl Harness {
    async fn new() -> Harness {
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
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        platform.add_tenant(TENANT, "Alpha").await.unwrap();
        Harness { config, platform }
    }

    /// An event as remittance would emit it.
    fn event(&self, claim: &str, correlation: &str, payload: Payload) -> Envelope {
        let origin = Origin {
            tenant: TENANT.into(),
            claim_id: claim.into(),
            correlation_id: correlation.into(),
            causation_id: uuid::Uuid::now_v7().to_string(),
        };
        envelope::new_envelope(&self.platform.det, "remittance", &origin, payload)
    }

    async fn publish(&self, env: &Envelope, msg_id_override: Option<&str>) {
        testing::publish(&self.platform.bus, env, msg_id_override).await
    }

    /// Every event of one type in the tenant's stream, read with an ephemeral consumer.
    async fn events(&self, t: EventType) -> Vec<Envelope> {
        testing::events(&self.platform.bus, TENANT, t).await
    }

    async fn cleanup(self) {
        testing::remove(&self.config, &[TENANT]).await;
    }
}

fn adj(group: &str, reason: &str, amount_cents: i64) -> Adjustment {
    Adjustment { group: group.into(), reason: reason.into(), amount_cents }
}

fn remittance(icn: &str, status: &str, charge: i64, paid: i64, pr: i64, adjustments: Vec<Adjustment>) -> Remittance {
    Remittance {
        payer_claim_control_number: icn.into(),
        claim_status: status.into(),
        charge_cents: charge,
        paid_cents: paid,
        patient_responsibility_cents: pr,
        adjustments,
        remark_codes: vec![],
        era_file: "era-0001.835".into(),
        payment_trace: "EFT0001".into(),
    }
}

#[tokio::test]
async fn denials_are_classified_queued_once_and_listed_by_priority() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let tasks = rcm_denials::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap();
    let addr = free_addr();
    let server =
        tokio::spawn(rcm_runtime::grpc::serve(addr, routes, &["rcm.denials.v1.DenialsService"], shutdown.clone()));

    // Given: c1 denied for missing information ($500, CO-16 with M51), delivered three times (the same
    // event twice, and once more under a new event id as a re-posting would); c2 partially paid with
    // one line denied for authorization ($200, CO-197); c3 paid.
    let mut r1 = remittance("ICN-1", "4", 50_000, 0, 0, vec![adj("CO", "16", 50_000)]);
    r1.remark_codes = vec!["M51".into()];
    let c1 = h.event("c1", "corr-1", Payload::ClaimDenied(ClaimDenied { remittance: Some(r1.clone()) }));
    let c1_again = h.event("c1", "corr-1", Payload::ClaimDenied(ClaimDenied { remittance: Some(r1) }));
    let r2 = remittance(
        "ICN-2",
        "1",
        30_000,
        6_000,
        2_000,
        vec![adj("CO", "45", 2_000), adj("PR", "3", 2_000), adj("CO", "197", 20_000)],
    );
    let c2 = h.event("c2", "corr-2", Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance: Some(r2) }));
    let r3 = remittance("ICN-3", "1", 10_000, 8_000, 0, vec![adj("CO", "45", 2_000)]);
    let c3 = h.event("c3", "corr-3", Payload::ClaimPaid(ClaimPaid { remittance: Some(r3) }));
    h.publish(&c1, None).await;
    h.publish(&c1, Some("another-msg-id")).await;
    h.publish(&c1_again, None).await;
    h.publish(&c2, None).await;
    h.publish(&c3, None).await;

    // When the service has handled every event and published what it emitted
    let pool =
        db::connect(&h.config.database_url, &db::database_name(&h.config.database_prefix, "denials"), 2).await.unwrap();
    wait_for("every event handled", || async { count(&pool, "SELECT count(*) FROM inbox").await == 4 }).await;
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Then: one work item per denied remittance, and one DenialQueued each, in the claim's chain
    let items: Vec<(String, String, i32, i64, Vec<String>)> = sqlx::query_as(
        "SELECT claim_id, category, priority, denied_cents, reason_codes FROM work_items ORDER BY claim_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        items,
        vec![
            ("c1".into(), "missing_information".into(), 450, 50_000, vec!["CO-16".into(), "M51".into()]),
            ("c2".into(), "authorization".into(), 100, 20_000, vec!["CO-197".into()]),
        ]
    );
    let queued = h.events(EventType::DenialQueued).await;
    assert_eq!(queued.len(), 2, "one DenialQueued per work item");
    let q1 = queued.iter().find(|e| e.claim_id == "c1").expect("c1 queued");
    assert_eq!(q1.correlation_id, "corr-1");
    assert_eq!(q1.causation_id, c1.event_id);
    assert_eq!(q1.producer, "denials");
    let Some(Payload::DenialQueued(d)) = &q1.payload else { panic!("not a DenialQueued") };
    assert_eq!((d.category.as_str(), d.priority), ("missing_information", 450));
    let (work_item_id,): (uuid::Uuid,) =
        sqlx::query_as("SELECT work_item_id FROM work_items WHERE claim_id = 'c1'").fetch_one(&pool).await.unwrap();
    assert_eq!(d.work_item_id, work_item_id.to_string());

    // The reports count every adjudication: 3 claims, 2 with a denial (c1 denied, c2 in part).
    let input = rcm_denials::store::report_input(&pool, TENANT, None).await.unwrap();
    assert_eq!(input.adjudications.iter().filter(|a| a.outcome == Outcome::Denied).count(), 1);
    let today = chrono::Utc::now().date_naive();
    let report = rcm_denials::reports::build(&input, Default::default(), today);
    assert_eq!((report.denial_rate.numerator, report.denial_rate.denominator), (2, 3));
    // c3: 8 000 paid of 10 000 less 2 000 contractual; c1 and c2 as charged
    assert_eq!((report.payments_cents, report.charges_cents, report.contractual_cents), (14_000, 90_000, 4_000));

    // gRPC: the queue, highest priority first; each claim's status.
    let mut client = DenialsServiceClient::connect(format!("http://{addr}")).await.unwrap();
    let queue = client
        .list_work_queue(ListWorkQueueRequest { tenant_id: TENANT.into(), limit: 10, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let order: Vec<(&str, i32)> = queue.items.iter().map(|w| (w.claim_id.as_str(), w.priority)).collect();
    assert_eq!(order, vec![("c1", 450), ("c2", 100)]);
    assert_eq!(queue.items[0].status, "open");
    assert_eq!(queue.items[0].denied_cents, 50_000);
    let one = client
        .list_work_queue(ListWorkQueueRequest { tenant_id: TENANT.into(), limit: 1, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(one.into_inner().items.len(), 1);
    let status = |claim: &str| ClaimRef { tenant_id: TENANT.into(), claim_id: claim.into() };
    let s1 = client.get_claim_status(status("c1")).await.unwrap().into_inner();
    assert_eq!(s1.state, "denial_queued");
    assert!(s1.detail.contains("missing_information") && s1.detail.contains("500.00"), "{}", s1.detail);
    let s3 = client.get_claim_status(status("c3")).await.unwrap().into_inner();
    assert_eq!(s3.state, "no_denial");
    let missing = client.get_claim_status(status("nope")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let bad = client
        .list_work_queue(ListWorkQueueRequest { tenant_id: "Not A Tenant".into(), limit: 1, ..Default::default() })
        .await;
    assert_eq!(bad.unwrap_err().code(), tonic::Code::InvalidArgument);

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    server.await.unwrap().unwrap();
    pool.close().await;
    h.cleanup().await;
}

#[tokio::test]
async fn a_correction_is_requested_once_per_denial_with_the_payer_claim_and_the_next_version() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let tasks = rcm_denials::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap();
    let addr = free_addr();
    let server =
        tokio::spawn(rcm_runtime::grpc::serve(addr, routes, &["rcm.denials.v1.DenialsService"], shutdown.clone()));
    let pool =
        db::connect(&h.config.database_url, &db::database_name(&h.config.database_prefix, "denials"), 2).await.unwrap();

    // Given c1 denied for missing information by payer claim ICN-1
    let mut r1 = remittance("ICN-1", "4", 50_000, 0, 0, vec![adj("CO", "16", 50_000)]);
    r1.remark_codes = vec!["M51".into()];
    let denied = h.event("c1", "corr-1", Payload::ClaimDenied(ClaimDenied { remittance: Some(r1) }));
    h.publish(&denied, None).await;
    wait_for("the work item", || async { count(&pool, "SELECT count(*) FROM work_items").await == 1 }).await;
    let mut client = DenialsServiceClient::connect(format!("http://{addr}")).await.unwrap();
    let ask = |claim: &str, actor: &str, void: bool| RequestCorrectionRequest {
        tenant_id: TENANT.into(),
        claim_id: claim.into(),
        actor: actor.into(),
        note: "add the missing modifier".into(),
        void,
    };

    // When a biller asks for a replacement
    let r = client.request_correction(ask("c1", "biller-1", false)).await.unwrap().into_inner();
    // Then it is frequency 7, version 2, for ICN-1; the work item says who asked
    assert_eq!((r.frequency_code.as_str(), r.version, r.payer_claim_control_number.as_str()), ("7", 2, "ICN-1"));
    let w = r.work_item.unwrap();
    assert_eq!(
        (w.status.as_str(), w.correction_frequency_code.as_str(), w.correction_version),
        ("correction_requested", "7", 2)
    );
    assert_eq!(w.correction_requested_by, "biller-1");
    assert!(!w.correction_requested_at.is_empty());
    // And one correction_requested event, in the claim's chain, answering the denial
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    let events = testing::wait_events(&h.platform.bus, TENANT, EventType::CorrectionRequested, 1).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.event_id.as_str(), e.claim_id.as_str(), e.correlation_id.as_str()),
        (r.event_id.as_str(), "c1", "corr-1")
    );
    assert_eq!(e.causation_id, denied.event_id);
    let Some(Payload::CorrectionRequested(c)) = &e.payload else { panic!("not a CorrectionRequested") };
    assert_eq!(c.reason_codes, vec!["CO-16", "M51"]);
    assert_eq!((c.denial_category.as_str(), c.requested_by.as_str()), ("missing_information", "biller-1"));
    assert_eq!(c.work_item_id, w.work_item_id);
    assert_eq!(c.note, "add the missing modifier");
    // The queue no longer lists it; the claim's status says a correction was requested
    let queue = client
        .list_work_queue(ListWorkQueueRequest { tenant_id: TENANT.into(), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert!(queue.into_inner().items.is_empty());
    let s = client.get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: "c1".into() }).await.unwrap();
    let s = s.into_inner();
    assert_eq!(s.state, "correction_requested");
    assert!(s.detail.contains("frequency 7 requested as version 2 by biller-1"), "{}", s.detail);

    // Then a second request for the same denial is refused, and so are a claim never denied, an
    // unknown tenant and a request without an actor
    let code = |r: Result<tonic::Response<_>, tonic::Status>| r.map(|_: tonic::Response<_>| ()).unwrap_err().code();
    assert_eq!(code(client.request_correction(ask("c1", "biller-2", true)).await), tonic::Code::FailedPrecondition);
    assert_eq!(code(client.request_correction(ask("c9", "biller-1", false)).await), tonic::Code::FailedPrecondition);
    let other = RequestCorrectionRequest { tenant_id: "nobody".into(), ..ask("c1", "biller-1", false) };
    assert_eq!(code(client.request_correction(other).await), tonic::Code::NotFound);
    assert_eq!(code(client.request_correction(ask("c1", " ", false)).await), tonic::Code::InvalidArgument);

    // When the replacement is denied again (a new remittance) and a void is asked for
    let r2 = remittance("ICN-2", "4", 50_000, 0, 0, vec![adj("CO", "50", 50_000)]);
    let again = h.event("c1", "corr-1", Payload::ClaimDenied(ClaimDenied { remittance: Some(r2) }));
    h.publish(&again, None).await;
    wait_for("the second work item", || async { count(&pool, "SELECT count(*) FROM work_items").await == 2 }).await;
    let v = client.request_correction(ask("c1", "biller-2", true)).await.unwrap().into_inner();
    // Then it names the latest payer claim and is version 3
    assert_eq!((v.frequency_code.as_str(), v.version, v.payer_claim_control_number.as_str()), ("8", 3, "ICN-2"));
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    assert_eq!(testing::wait_events(&h.platform.bus, TENANT, EventType::CorrectionRequested, 2).await.len(), 2);
    let requested: i64 = count(
        &pool,
        "SELECT count(*) FROM work_items WHERE status = 'correction_requested' AND correction_event_id IS NOT NULL",
    )
    .await;
    assert_eq!(requested, 2);

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    server.await.unwrap().unwrap();
    pool.close().await;
    h.cleanup().await;
}

#[tokio::test]
async fn a_claim_denied_again_by_a_later_remittance_keeps_one_open_work_item() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let tasks = rcm_denials::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap();
    // Given a claim partially paid by one 835 (a line denied CO-16)
    let first = remittance("ICN-9", "1", 30_000, 10_000, 0, vec![adj("CO", "16", 20_000)]);
    h.publish(
        &h.event("c9", "corr-9", Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance: Some(first) })),
        None,
    )
    .await;
    // When a second 835 (the rest of a split payment) leaves another line denied CO-50
    let mut second =
        remittance("ICN-9", "1", 30_000, 10_000, 0, vec![adj("CO", "16", 10_000), adj("CO", "50", 10_000)]);
    second.era_file = "era-0002.835".into();
    second.payment_trace = "EFT0002".into();
    h.publish(
        &h.event("c9", "corr-9", Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance: Some(second) })),
        None,
    )
    .await;
    let pool =
        db::connect(&h.config.database_url, &db::database_name(&h.config.database_prefix, "denials"), 2).await.unwrap();
    wait_for("both events handled", || async { count(&pool, "SELECT count(*) FROM inbox").await == 2 }).await;
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;

    // Then the claim has one open work item, as the later remittance says, queued once
    let items: Vec<(String, String)> =
        sqlx::query_as("SELECT era_file, status FROM work_items WHERE claim_id = 'c9'").fetch_all(&pool).await.unwrap();
    assert_eq!(items, [("era-0002.835".to_string(), "open".to_string())]);
    assert_eq!(h.events(EventType::DenialQueued).await.len(), 1);
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM work_item_actions ORDER BY at").fetch_all(&pool).await.unwrap();
    assert_eq!(actions, [("queued".to_string(),), ("updated".to_string(),)]);

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    pool.close().await;
    h.cleanup().await;
}
