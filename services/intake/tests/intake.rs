//! Intake against the real NATS (JetStream) and Postgres, through its gRPC server: a submission
//! is idempotent (one claim, one event), an incomplete encounter is refused naming every field,
//! and the claim history moves states forward only with a summary that adds up.

use rcm_proto::common::{
    Address, ClaimRef, Coverage, Encounter, Patient, PersonName, Provider, ServiceLine, SourceCode,
};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{
    Adjustment, ClaimAccepted, ClaimCoded, ClaimDenied, ClaimPaid, ClaimScrubbed, ClaimSubmitted, CodingReviewRequired,
    DenialQueued, EncounterReceived, Envelope, Remittance,
};
use rcm_proto::intake::intake_service_client::IntakeServiceClient;
use rcm_proto::intake::{SubmitEncounterRequest, SubmitFhirBundleRequest, SummarizeClaimsRequest};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, wait_for};
use rcm_runtime::{EventType, Platform, db};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const TENANT: &str = "acme";

struct Harness {
    config: Config,
    platform: Platform,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<rcm_runtime::Result<()>>>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    client: IntakeServiceClient<Channel>,
}

impl Harness {
    async fn start() -> Harness {
        let config = testing::unique_config(&[TENANT]);
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        platform.add_tenant(TENANT, "Acme Clinic").await.unwrap();
        let shutdown = CancellationToken::new();
        let mut routes = tonic::service::RoutesBuilder::default();
        let tasks = rcm_intake::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = incoming.local_addr().unwrap();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(routes.routes())
                .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
        );
        let client = IntakeServiceClient::connect(format!("http://{addr}")).await.unwrap();
        Harness { config, platform, shutdown, tasks, server, client }
    }

    /// Every event of one type in the tenant's stream.
    async fn events(&self, t: EventType) -> Vec<Envelope> {
        testing::events(&self.platform.bus, TENANT, t).await
    }

    async fn publish(&self, env: &Envelope, msg_id: Option<&str>) {
        testing::publish(&self.platform.bus, env, msg_id).await
    }

    fn event(&self, claim: &str, producer: &str, payload: Payload) -> Envelope {
        let origin = Origin { tenant: TENANT.into(), claim_id: claim.into(), ..Origin::default() };
        envelope::new_envelope(&self.platform.det, producer, &origin, payload)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for t in self.tasks {
            t.await.unwrap().unwrap();
        }
        self.server.await.unwrap().unwrap();
        testing::remove(&self.config, &[TENANT]).await;
    }
}

async fn outbox_drained(config: &Config) -> bool {
    let pool =
        db::connect(&config.database_url, &db::database_name(&config.database_prefix, "intake"), 1).await.unwrap();
    let n = rcm_runtime::outbox::pending(&pool).await.unwrap();
    pool.close().await;
    n == 0
}

fn encounter(id: &str) -> Encounter {
    Encounter {
        encounter_id: id.into(),
        patient: Some(Patient {
            patient_id: "MRN-1".into(),
            name: Some(PersonName { last: "Testpatient".into(), first: "Alex".into(), ..Default::default() }),
            birth_date: "1970-01-01".into(),
            gender: "U".into(),
            address: Some(Address::default()),
        }),
        coverage: Some(Coverage { payer_id: "87726".into(), member_id: "W123".into(), ..Default::default() }),
        billing_provider: Some(Provider {
            // A bad check digit: a finding, not a rejection.
            npi: "1234567890".into(),
            organization_name: "Test Clinic".into(),
            ..Default::default()
        }),
        service_date: "2026-03-02".into(),
        conditions: vec![SourceCode {
            system: "http://snomed.info/sct".into(),
            code: "38341003".into(),
            display: "Hypertension".into(),
        }],
        lines: vec![ServiceLine { procedure_code: "99213".into(), units: "1".into(), ..Default::default() }],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_submission_is_taken_once_and_an_incomplete_one_is_refused_naming_every_field() {
    let mut h = Harness::start().await;

    // Given an encounter with a bad NPI check digit and no ICD-10-CM code
    let req = SubmitEncounterRequest { tenant_id: TENANT.into(), encounter: Some(encounter("E-100")) };
    // When it is submitted twice
    let first = h.client.submit_encounter(req.clone()).await.unwrap().into_inner();
    let second = h.client.submit_encounter(req).await.unwrap().into_inner();
    // Then both answers carry the same claim id, the second marked a duplicate, with the findings
    assert!(!first.duplicate);
    assert!(second.duplicate);
    assert_eq!(first.claim_id, second.claim_id);
    assert_eq!(uuid::Uuid::parse_str(&first.claim_id).unwrap().get_version_num(), 7);
    let rules: Vec<&str> = first.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["INTAKE-NPI-CHECK-DIGIT", "INTAKE-NO-ICD10"]);
    assert_eq!(second.findings, first.findings);

    // And exactly one EncounterReceived reached the stream, starting a new chain for the claim
    let config = h.config.clone();
    wait_for("the outbox to drain", || outbox_drained(&config)).await;
    let received = h.events(EventType::EncounterReceived).await;
    assert_eq!(received.len(), 1);
    let env = &received[0];
    assert_eq!(env.claim_id, first.claim_id);
    assert_eq!(env.tenant_id, TENANT);
    assert_eq!(env.producer, "intake");
    assert_eq!(env.correlation_id, env.event_id);
    let Some(Payload::EncounterReceived(EncounterReceived { encounter: Some(e) })) = &env.payload else {
        panic!("not an EncounterReceived")
    };
    assert_eq!(e.encounter_id, "E-100");
    assert_eq!(e.source, "grpc");
    assert_eq!(e.findings, first.findings);

    // And the stored encounter can be read back by claim id
    let claim = ClaimRef { tenant_id: TENANT.into(), claim_id: first.claim_id.clone() };
    let got = h.client.get_encounter(claim.clone()).await.unwrap().into_inner();
    assert_eq!(got.encounter.as_ref(), Some(e));

    // And the history consumer records the claim as received
    let mut client = h.client.clone();
    wait_for("the claim's history", || {
        let (mut client, claim) = (client.clone(), claim.clone());
        async move { client.get_claim_status(claim).await.is_ok_and(|s| s.get_ref().state == "created") }
    })
    .await;
    let history = client.get_claim_history(claim.clone()).await.unwrap().into_inner();
    assert_eq!(history.state, "created");
    assert_eq!(history.entries.len(), 1);
    assert_eq!(history.entries[0].event_id, env.event_id);
    assert_eq!(history.entries[0].detail, "encounter E-100 from grpc; 1 line(s)");

    // Given an incomplete encounter: no birth date, a line with a malformed date, no member id
    let mut bad = encounter("E-101");
    bad.patient.as_mut().unwrap().birth_date.clear();
    bad.lines[0].service_date = "03/02/2026".into();
    bad.coverage.as_mut().unwrap().member_id.clear();
    // When it is submitted
    let err = h
        .client
        .submit_encounter(SubmitEncounterRequest { tenant_id: TENANT.into(), encounter: Some(bad) })
        .await
        .unwrap_err();
    // Then it is refused as InvalidArgument, naming every field at fault
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "patient.birth_date is required; coverage.member_id is required; lines[0].service_date is not a date"
    );

    // An unknown tenant is NotFound; a bundle that is not FHIR is InvalidArgument
    let err = h
        .client
        .submit_encounter(SubmitEncounterRequest { tenant_id: "nobody".into(), encounter: Some(encounter("E-1")) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = h
        .client
        .submit_fhir_bundle(SubmitFhirBundleRequest { tenant_id: TENANT.into(), bundle_json: "{".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().starts_with("bundle_json cannot be read: input is not valid JSON"), "{}", err.message());

    // Nothing more was emitted
    wait_for("the outbox to drain", || outbox_drained(&config)).await;
    assert_eq!(h.events(EventType::EncounterReceived).await.len(), 1);
    h.stop().await;
}

fn remittance(status: &str, paid: i64, pr: i64, adjustments: &[(&str, &str, i64)]) -> Remittance {
    Remittance {
        claim_status: status.into(),
        paid_cents: paid,
        patient_responsibility_cents: pr,
        adjustments: adjustments
            .iter()
            .map(|(g, r, a)| Adjustment { group: g.to_string(), reason: r.to_string(), amount_cents: *a })
            .collect(),
        era_file: "era-1.835".into(),
        ..Default::default()
    }
}

fn coded(total: i64) -> Payload {
    Payload::ClaimCoded(ClaimCoded {
        claim: Some(rcm_proto::common::Claim { total_charge_cents: total, ..Default::default() }),
        findings: vec![],
    })
}

fn submitted(total: i64) -> Payload {
    Payload::ClaimSubmitted(ClaimSubmitted {
        total_charge_cents: total,
        batch_id: "b1".into(),
        file_name: "f.837".into(),
        ..Default::default()
    })
}

#[tokio::test]
async fn the_history_moves_states_forward_only_and_the_summary_adds_up() {
    let h = Harness::start().await;
    let (c1, c2, c3) =
        (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());

    // Given claim 1 paid after the whole pipeline, then a late ClaimCoded and a late ClaimScrubbed
    let received = Payload::EncounterReceived(EncounterReceived::default());
    for (producer, p) in [
        ("intake", received.clone()),
        ("coding", coded(10_000)),
        ("scrubbing", Payload::ClaimScrubbed(ClaimScrubbed::default())),
        ("submission", submitted(10_000)),
        ("submission", Payload::ClaimAccepted(ClaimAccepted::default())),
        (
            "remittance",
            Payload::ClaimPaid(ClaimPaid {
                remittance: Some(remittance("1", 7_000, 1_000, &[("CO", "45", 2_000), ("PR", "2", 1_000)])),
            }),
        ),
        ("coding", coded(10_000)),
        ("scrubbing", Payload::ClaimScrubbed(ClaimScrubbed::default())),
    ] {
        h.publish(&h.event(&c1, producer, p), None).await;
    }
    // And claim 2 waiting for a coder
    h.publish(&h.event(&c2, "intake", received.clone()), None).await;
    h.publish(&h.event(&c2, "coding", Payload::CodingReviewRequired(CodingReviewRequired::default())), None).await;
    // And claim 3 denied and queued, its denial delivered twice (as after a crash) and its queueing
    // arriving before the denial
    h.publish(&h.event(&c3, "intake", received.clone()), None).await;
    h.publish(&h.event(&c3, "coding", coded(5_000)), None).await;
    h.publish(&h.event(&c3, "scrubbing", Payload::ClaimScrubbed(ClaimScrubbed::default())), None).await;
    h.publish(&h.event(&c3, "submission", submitted(5_000)), None).await;
    h.publish(&h.event(&c3, "denials", Payload::DenialQueued(DenialQueued::default())), None).await;
    let denied = h.event(
        &c3,
        "remittance",
        Payload::ClaimDenied(ClaimDenied { remittance: Some(remittance("4", 0, 0, &[("CO", "50", 5_000)])) }),
    );
    h.publish(&denied, None).await;
    h.publish(&denied, Some("another-message-id")).await;

    // When the history consumer has taken them all (18 events, one of them twice)
    let client = h.client.clone();
    let history_of = |claim: String| {
        let mut client = client.clone();
        async move {
            client
                .get_claim_history(ClaimRef { tenant_id: TENANT.into(), claim_id: claim })
                .await
                .map(|r| r.into_inner())
                .ok()
        }
    };
    wait_for("every event in the histories", || async {
        let n1 = history_of(c1.clone()).await.map_or(0, |h| h.entries.len());
        let n2 = history_of(c2.clone()).await.map_or(0, |h| h.entries.len());
        let n3 = history_of(c3.clone()).await.map_or(0, |h| h.entries.len());
        (n1, n2, n3) == (8, 2, 6)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Then each claim's history has every event once, and its state never moved back
    let h1 = history_of(c1.clone()).await.unwrap();
    assert_eq!(h1.state, "paid", "late coded/scrubbed events do not move a paid claim back");
    let states: Vec<&str> = h1.entries.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, vec!["created", "coded", "scrubbed", "batched", "accepted", "paid", "coded", "scrubbed"]);
    let transitions: Vec<&str> = h1.entries.iter().map(|e| e.transition.as_str()).collect();
    assert_eq!(transitions, vec!["moved", "moved", "moved", "moved", "moved", "moved", "late", "late"]);
    assert_eq!(h1.entries[5].producer, "remittance");
    assert_eq!(
        h1.entries[5].detail,
        "CLP02 1 paid 7000 cents, patient 1000 cents, adjustments [CO-45 PR-2] in era-1.835"
    );
    assert_eq!(history_of(c2.clone()).await.unwrap().state, "needs_coding");
    let h3 = history_of(c3.clone()).await.unwrap();
    assert_eq!(h3.state, "in_denial_queue", "a denial arriving after its queueing does not move the claim back");
    assert_eq!(h3.entries.len(), 6, "the redelivered denial is in the history once");
    assert!(h3.entries.iter().all(|e| e.transition == "moved"), "the early work item waited for its denial: {h3:?}");

    let mut client = h.client.clone();
    let status = client
        .get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: c1.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, "paid");
    assert!(status.detail.starts_with("CLP02 1 paid 7000"), "{}", status.detail);

    // And the summary adds up
    let s = client.summarize_claims(SummarizeClaimsRequest { tenant_id: TENANT.into() }).await.unwrap().into_inner();
    let states: Vec<(&str, i64)> = s.states.iter().map(|c| (c.state.as_str(), c.claims)).collect();
    assert_eq!(states, vec![("needs_coding", 1), ("in_denial_queue", 1), ("paid", 1)]);
    assert_eq!(s.total_claims, 3);
    assert_eq!(s.billed_cents, 15_000);
    assert_eq!(s.paid_cents, 7_000);
    assert_eq!(s.adjusted_cents, 3_000 + 5_000);
    assert_eq!(s.patient_responsibility_cents, 1_000);
    assert_eq!(s.denied_claims, 1);
    assert_eq!(s.billed_cents, s.paid_cents + s.adjusted_cents, "paid and adjusted account for every billed cent");

    let err = client
        .get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: "no-such-claim".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    h.stop().await;
}

/// A FHIR R4 bundle of one patient with two encounters: `e1` complete (ICD-10-CM condition, a
/// Claim with a CPT item, a Coverage with a member id) and `e2` with nothing to bill.
const BUNDLE: &str = r#"{"resourceType":"Bundle","type":"collection","entry":[
 {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1",
   "name":[{"use":"official","family":"Testfamily","given":["Testgiven"]}],"gender":"female","birthDate":"1980-02-03"}},
 {"fullUrl":"urn:uuid:org1","resource":{"resourceType":"Organization","id":"org1","name":"Springfield Clinic",
   "identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1245319599"},
                 {"system":"urn:oid:2.16.840.1.113883.4.4","value":"12-3456789"}],
   "address":[{"line":["9 Elm St"],"city":"Springfield","state":"IL","postalCode":"62702"}]}},
 {"fullUrl":"urn:uuid:payer1","resource":{"resourceType":"Organization","id":"payer1","name":"Medicare Part B"}},
 {"fullUrl":"http://example.org/fhir/Coverage/cov1","resource":{"resourceType":"Coverage","id":"cov1","status":"active",
   "subscriberId":"MEM123","beneficiary":{"reference":"urn:uuid:p1"},"payor":[{"reference":"urn:uuid:payer1"}]}},
 {"fullUrl":"urn:uuid:e1","resource":{"resourceType":"Encounter","id":"e1","status":"finished",
   "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
   "subject":{"reference":"urn:uuid:p1"},"period":{"start":"2024-05-06T09:00:00-05:00"},
   "serviceProvider":{"reference":"urn:uuid:org1"}}},
 {"fullUrl":"urn:uuid:c1","resource":{"resourceType":"Condition","id":"c1","encounter":{"reference":"urn:uuid:e1"},
   "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M17.11"}]}}},
 {"fullUrl":"urn:uuid:cl1","resource":{"resourceType":"Claim","id":"cl1",
   "diagnosis":[{"sequence":1,"diagnosisReference":{"reference":"urn:uuid:c1"}}],
   "insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/cov1"}}],
   "item":[{"sequence":1,"diagnosisSequence":[1],"encounter":[{"reference":"urn:uuid:e1"}],
     "productOrService":{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"99213"}]},
     "net":{"value":786.3299999999999,"currency":"USD"}}]}},
 {"fullUrl":"urn:uuid:e2","resource":{"resourceType":"Encounter","id":"e2","status":"finished",
   "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
   "subject":{"reference":"urn:uuid:p1"},"period":{"start":"2024-06-01T09:00:00-05:00"},
   "serviceProvider":{"reference":"urn:uuid:org1"}}}
]}"#;

#[tokio::test]
async fn a_fhir_bundle_goes_through_the_same_path_encounter_by_encounter() {
    let mut h = Harness::start().await;

    // Given a bundle with a complete encounter and one without service lines
    let req = SubmitFhirBundleRequest { tenant_id: TENANT.into(), bundle_json: BUNDLE.into() };
    // When it is submitted
    let r = h.client.submit_fhir_bundle(req.clone()).await.unwrap().into_inner();
    // Then the complete encounter is taken as a new claim from source fhir
    assert_eq!(r.claims.len(), 1);
    assert!(!r.claims[0].duplicate);
    let claim = ClaimRef { tenant_id: TENANT.into(), claim_id: r.claims[0].claim_id.clone() };
    let got = h.client.get_encounter(claim).await.unwrap().into_inner().encounter.unwrap();
    assert_eq!((got.encounter_id.as_str(), got.source.as_str()), ("e1", "fhir"));
    assert_eq!(got.diagnosis_codes, vec!["M1711"]);
    assert_eq!(got.lines[0].charge_cents, 78_633, "786.3299999999999 rounded to cents");
    // And the other is refused as a finding naming its fields at fault
    let refused: Vec<&rcm_proto::common::Finding> =
        r.findings.iter().filter(|f| f.rule_id == "INTAKE-ENCOUNTER-REFUSED").collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].field, "encounters[1]");
    assert_eq!(refused[0].message, "encounter e2 was not taken: lines: at least one line is required");
    // And the taken one carries intake's findings (the bundle names the payer, with no payer id)
    let rules: Vec<&str> = r.claims[0].findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["INTAKE-NO-PAYER-ID"]);

    // When the same bundle is submitted again, the taken encounter is a duplicate and nothing more is emitted
    let again = h.client.submit_fhir_bundle(req).await.unwrap().into_inner();
    assert_eq!(again.claims.len(), 1);
    assert!(again.claims[0].duplicate);
    assert_eq!(again.claims[0].claim_id, r.claims[0].claim_id);
    let config = h.config.clone();
    wait_for("the outbox to drain", || outbox_drained(&config)).await;
    let received = h.events(EventType::EncounterReceived).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].claim_id, r.claims[0].claim_id);
    h.stop().await;
}

fn received_for(payer: &str) -> Payload {
    Payload::EncounterReceived(EncounterReceived {
        encounter: Some(Encounter {
            coverage: Some(Coverage { payer_id: payer.into(), ..Default::default() }),
            ..Default::default()
        }),
    })
}

#[tokio::test]
async fn claims_are_listed_by_state_payer_and_age_and_a_claim_shows_its_versions_and_refusals() {
    let h = Harness::start().await;
    let ids: Vec<String> = (0..4).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    // Given four claims: for payer P1 one coded and one paid, closed, then paid again (refused:
    // nothing follows closed); for P2 one waiting for a coder and one coded
    let p1a = [received_for("P1"), coded(100)];
    let p1b = [
        received_for("P1"),
        coded(200),
        Payload::ClaimScrubbed(ClaimScrubbed::default()),
        submitted(200),
        Payload::ClaimAccepted(ClaimAccepted::default()),
        Payload::ClaimPaid(ClaimPaid { remittance: Some(remittance("1", 150, 50, &[("PR", "2", 50)])) }),
        Payload::ClaimClosed(Default::default()),
        Payload::ClaimPaid(ClaimPaid { remittance: Some(remittance("1", 999, 0, &[])) }),
    ];
    let p2a = [received_for("P2"), Payload::CodingReviewRequired(CodingReviewRequired::default())];
    let p2b = [received_for("P2"), coded(300)];
    for (id, events) in ids.iter().zip([&p1a[..], &p1b[..], &p2a[..], &p2b[..]]) {
        for p in events {
            h.publish(&h.event(id, "test", p.clone()), None).await;
        }
    }
    let mut client = h.client.clone();
    let list = |req: rcm_proto::intake::ListClaimsRequest| {
        let mut client = client.clone();
        async move { client.list_claims(req).await.map(|r| r.into_inner()) }
    };
    let all = || rcm_proto::intake::ListClaimsRequest { tenant_id: TENANT.into(), ..Default::default() };
    wait_for("every event in the histories", || async {
        let l = list(all()).await.unwrap();
        l.claims.len() == 4 && l.claims.iter().any(|c| c.state == "closed")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // When they are listed by state and payer
    let coded_ids: Vec<String> = list(rcm_proto::intake::ListClaimsRequest { states: vec!["coded".into()], ..all() })
        .await
        .unwrap()
        .claims
        .into_iter()
        .map(|c| c.claim_id)
        .collect();
    // Then only those match, oldest first
    assert_eq!(coded_ids, [ids[0].clone(), ids[3].clone()]);
    let p2 = list(rcm_proto::intake::ListClaimsRequest { payer_id: "P2".into(), ..all() }).await.unwrap().claims;
    assert_eq!(p2.iter().map(|c| c.claim_id.as_str()).collect::<Vec<_>>(), [ids[2].as_str(), ids[3].as_str()]);
    assert!(p2.iter().all(|c| c.payer_id == "P2" && c.age_days == 0 && c.history.is_empty()));
    // And by age: none is a day old yet, all are at most a day old
    let old = list(rcm_proto::intake::ListClaimsRequest { min_age_days: Some(1), ..all() }).await.unwrap();
    assert!(old.claims.is_empty());
    let young = list(rcm_proto::intake::ListClaimsRequest { max_age_days: Some(1), ..all() }).await.unwrap();
    assert_eq!(young.claims.len(), 4);
    // And a page at a time
    let first = list(rcm_proto::intake::ListClaimsRequest { page_size: 3, ..all() }).await.unwrap();
    assert_eq!(first.claims.len(), 3);
    let second =
        list(rcm_proto::intake::ListClaimsRequest { page_size: 3, page_token: first.next_page_token.clone(), ..all() })
            .await
            .unwrap();
    assert_eq!(second.claims.len(), 1);
    assert!(second.next_page_token.is_empty());
    assert_eq!(second.claims[0].claim_id, ids[3]);
    // And an unknown state or token is a clear error
    let bad = list(rcm_proto::intake::ListClaimsRequest { states: vec!["lost".into()], ..all() }).await.unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("unknown state \"lost\""), "{}", bad.message());
    let bad = list(rcm_proto::intake::ListClaimsRequest { page_token: "x".into(), ..all() }).await.unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);

    // When the closed claim is fetched
    let c =
        client.get_claim(ClaimRef { tenant_id: TENANT.into(), claim_id: ids[1].clone() }).await.unwrap().into_inner();
    // Then it is closed with the money of the payment before closing, balance zero, and the
    // payment after closing is in the history as refused
    assert_eq!((c.state.as_str(), c.payer_id.as_str()), ("closed", "P1"));
    assert_eq!((c.billed_cents, c.paid_cents, c.adjusted_cents, c.balance_cents), (200, 150, 50, 0));
    let last = c.history.last().unwrap();
    assert_eq!((last.state.as_str(), last.transition.as_str()), ("paid", "refused"));
    assert_eq!(c.versions.len(), 1);
    assert_eq!((c.versions[0].version, c.versions[0].state.as_str()), (1, "closed"));
    h.stop().await;
}
