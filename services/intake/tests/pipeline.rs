//! Intake, coding and scrubbing in one process against the real NATS and Postgres: encounters
//! submitted over gRPC come out scrubbed, rejected by the edits or waiting for a coder, and the
//! claim history follows each claim to its final state with the money the events stated.

use rcm_proto::common::{
    Address, ClaimRef, Coverage, Encounter, Patient, PersonName, Provider, ServiceLine, SourceCode,
};
use rcm_proto::intake::intake_service_client::IntakeServiceClient;
use rcm_proto::intake::{SubmitEncounterRequest, SummarizeClaimsRequest};
use rcm_runtime::config::Config;
use rcm_runtime::ids::Determinism;
use rcm_runtime::{Platform, db};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "acme";

fn encounter(id: &str) -> Encounter {
    let service_date = (chrono::Utc::now().date_naive() - chrono::Days::new(3)).format("%Y-%m-%d").to_string();
    Encounter {
        encounter_id: id.into(),
        patient: Some(Patient {
            patient_id: "MRN-7".into(),
            name: Some(PersonName { last: "Testpatient".into(), first: "Alex".into(), ..Default::default() }),
            birth_date: "1970-01-01".into(),
            gender: "F".into(),
            address: Some(Address { line1: "2 Oak St".into(), city: "Springfield".into(), ..Default::default() }),
        }),
        coverage: Some(Coverage { payer_id: "87726".into(), member_id: "W123".into(), ..Default::default() }),
        billing_provider: Some(Provider {
            npi: "1234567893".into(),
            organization_name: "Test Clinic".into(),
            tax_id: "123456789".into(),
            address: Some(Address {
                line1: "1 Main St".into(),
                city: "Springfield".into(),
                state: "IL".into(),
                postal_code: "627011234".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        place_of_service: "11".into(),
        service_date,
        diagnosis_codes: vec!["I10".into()],
        // The visit beside the annual wellness visit is separately identifiable (25): NCCI pairs
        // G0439 with 99213 otherwise.
        lines: vec![
            ServiceLine {
                procedure_code: "99213".into(),
                modifiers: vec!["25".into()],
                units: "1".into(),
                ..Default::default()
            },
            ServiceLine { procedure_code: "G0439".into(), units: "1".into(), ..Default::default() },
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn encounters_flow_through_coding_and_scrubbing_into_the_history() {
    let id = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let config = Config { subject_prefix: id.clone(), database_prefix: format!("{id}_"), ..Config::default() };
    let platform =
        Platform::connect(config.clone(), Determinism::default()).await.expect("NATS and Postgres are running");
    platform.add_tenant(TENANT, "Acme Clinic").await.unwrap();
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let mut tasks = rcm_intake::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
    tasks.extend(rcm_coding::start(&platform, &mut routes, shutdown.clone()).await.unwrap());
    tasks.extend(rcm_scrubbing::start(&platform, &mut routes, shutdown.clone()).await.unwrap());
    let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
    );
    let mut client = IntakeServiceClient::connect(format!("http://{addr}")).await.unwrap();

    // Given a clean encounter, one whose billing NPI fails its check digit, and one coded in SNOMED only
    let clean = encounter("E-1");
    let mut bad_npi = encounter("E-2");
    bad_npi.billing_provider.as_mut().unwrap().npi = "1234567890".into();
    let mut snomed = encounter("E-3");
    snomed.diagnosis_codes.clear();
    snomed.conditions.push(SourceCode {
        system: "http://snomed.info/sct".into(),
        code: "38341003".into(),
        display: "Hypertensive disorder".into(),
    });
    // When they are submitted
    let mut claims = Vec::new();
    for e in [clean, bad_npi, snomed] {
        let r = SubmitEncounterRequest { tenant_id: TENANT.into(), encounter: Some(e) };
        claims.push(client.submit_encounter(r).await.unwrap().into_inner().claim_id);
    }

    // Then each claim reaches its state, and its history tells how
    let expected = [
        ("scrubbed", vec!["created", "coded", "scrubbed"]),
        ("rejected", vec!["created", "coded", "rejected"]),
        ("needs_coding", vec!["created", "needs_coding"]),
    ];
    for (claim, (state, path)) in claims.iter().zip(expected) {
        let r = ClaimRef { tenant_id: TENANT.into(), claim_id: claim.clone() };
        let mut history = None;
        for _ in 0..100 {
            if let Ok(h) = client.get_claim_history(r.clone()).await
                && h.get_ref().state == state
            {
                history = Some(h.into_inner());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let history = history.unwrap_or_else(|| panic!("claim {claim} never reached {state}"));
        let states: Vec<&str> = history.entries.iter().map(|e| e.state.as_str()).collect();
        assert_eq!(states, path, "claim {claim}");
        let producers: Vec<&str> = history.entries.iter().map(|e| e.producer.as_str()).collect();
        assert_eq!(producers[0], "intake");
    }
    let rejected = client
        .get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: claims[1].clone() })
        .await
        .unwrap()
        .into_inner();
    // The NPI error first; then only notes that the shipped tables do not cover the date.
    let (failed, notes) = rejected.detail.split_once(", ").unwrap_or((&rejected.detail, ""));
    assert_eq!(failed, "failed the edits: SCRUB-NPI-CHECK-DIGIT");
    assert!(notes.split(", ").all(|r| r.is_empty() || r.ends_with("-NO-DATA")), "{}", rejected.detail);

    // And the summary counts them, billing what coding priced (99213 22719 + G0439 32539, twice)
    let s = client.summarize_claims(SummarizeClaimsRequest { tenant_id: TENANT.into() }).await.unwrap().into_inner();
    let states: Vec<(&str, i64)> = s.states.iter().map(|c| (c.state.as_str(), c.claims)).collect();
    assert_eq!(states, vec![("needs_coding", 1), ("rejected", 1), ("scrubbed", 1)]);
    assert_eq!(s.total_claims, 3);
    assert_eq!(s.billed_cents, 2 * (22_719 + 32_539));

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    server.await.unwrap().unwrap();
    platform.bus.delete_stream(TENANT).await.unwrap();
    for name in db::list_databases(&config.database_url, &config.database_prefix).await.unwrap() {
        db::drop_database(&config.database_url, &name).await.unwrap();
    }
}
