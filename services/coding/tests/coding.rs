//! Coding against the real NATS (JetStream) and Postgres: an encounter published as
//! `EncounterReceived` comes out as `ClaimCoded` priced from the tenant's fee schedule (the default
//! one loaded on first use, or the tenant's own), or as `ClaimNeedsCoding` with the source's
//! conditions as evidence; the coding state is stored and served over gRPC.

use prost::Message;
use rcm_proto::coding::coding_service_client::CodingServiceClient;
use rcm_proto::common::{ClaimRef, Coverage, Encounter, Patient, PersonName, Provider, ServiceLine, SourceCode};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{EncounterReceived, Envelope};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing;
use rcm_runtime::{EventType, Platform};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

const TENANTS: [&str; 2] = ["acme", "beta"];

struct Harness {
    config: Config,
    platform: Platform,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<rcm_runtime::Result<()>>>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    client: CodingServiceClient<Channel>,
    pool: sqlx::PgPool,
}

impl Harness {
    async fn start() -> Harness {
        let config = testing::unique_config(&TENANTS);
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        for t in TENANTS {
            platform.add_tenant(t, t).await.unwrap();
        }
        // Tenant beta has a fee schedule of its own (one row) before the service starts.
        let host = rcm_runtime::ServiceHost::open(&platform, rcm_coding::NAME, &rcm_coding::MIGRATOR).await.unwrap();
        let own =
            rcm_coding::decide::Fee { procedure_code: "99213".into(), modifier: String::new(), charge_cents: 15_000 };
        rcm_coding::store::set_fee(&host.pool, "beta", &own).await.unwrap();

        let shutdown = CancellationToken::new();
        let mut routes = tonic::service::RoutesBuilder::default();
        let tasks = rcm_coding::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = incoming.local_addr().unwrap();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(routes.routes())
                .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
        );
        let client = CodingServiceClient::connect(format!("http://{addr}")).await.unwrap();
        Harness { config, platform, shutdown, tasks, server, client, pool: host.pool }
    }

    async fn receive(&self, tenant: &str, encounter: Encounter) -> Envelope {
        let claim_id = self.platform.det.ids.new_id().to_string();
        let origin = Origin { tenant: tenant.into(), claim_id, ..Origin::default() };
        let env = envelope::new_envelope(
            &self.platform.det,
            "intake",
            &origin,
            Payload::EncounterReceived(EncounterReceived { encounter: Some(encounter) }),
        );
        testing::publish(&self.platform.bus, &env, None).await;
        env
    }

    async fn wait_events(&self, tenant: &str, t: EventType, n: usize) -> Vec<Envelope> {
        testing::wait_events(&self.platform.bus, tenant, t, n).await
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for t in self.tasks {
            t.await.unwrap().unwrap();
        }
        self.server.await.unwrap().unwrap();
        self.pool.close().await;
        testing::remove(&self.config, &TENANTS).await;
    }
}

fn snomed(code: &str, display: &str) -> SourceCode {
    SourceCode { system: "http://snomed.info/sct".into(), code: code.into(), display: display.into() }
}

fn encounter(id: &str) -> Encounter {
    Encounter {
        encounter_id: id.into(),
        patient: Some(Patient {
            name: Some(PersonName { last: "Testpatient".into(), first: "Alex".into(), ..Default::default() }),
            birth_date: "1970-01-01".into(),
            gender: "U".into(),
            ..Default::default()
        }),
        coverage: Some(Coverage { payer_id: "87726".into(), member_id: "W123".into(), ..Default::default() }),
        billing_provider: Some(Provider {
            npi: "1234567893".into(),
            organization_name: "Test Clinic".into(),
            ..Default::default()
        }),
        service_date: "2026-03-02".into(),
        diagnosis_codes: vec!["I10".into(), "E11.9".into()],
        lines: vec![
            ServiceLine { procedure_code: "99213".into(), units: "1".into(), ..Default::default() },
            ServiceLine {
                procedure_code: "71046".into(),
                modifiers: vec!["26".into()],
                diagnosis_pointers: vec![2],
                ..Default::default()
            },
            // A lab code: no RVUs, so no fee in the default schedule; the source's charge is kept.
            ServiceLine { procedure_code: "85025".into(), charge_cents: 1_500, ..Default::default() },
        ],
        source: "grpc".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn encounters_are_coded_from_the_fee_schedule_or_sent_to_the_coder_with_evidence() {
    let mut h = Harness::start().await;

    // Given a well-coded encounter for acme (no fee schedule yet) and one for beta (its own 99213)
    let acme = h.receive("acme", encounter("E-1")).await;
    let mut short = encounter("E-2");
    short.lines.truncate(1);
    let beta = h.receive("beta", short).await;
    // And an encounter with only SNOMED conditions and a SNOMED-coded line
    let mut snomed_only = encounter("E-3");
    snomed_only.diagnosis_codes.clear();
    snomed_only.conditions = vec![snomed("38341003", "Hypertensive disorder"), snomed("73211009", "Diabetes mellitus")];
    snomed_only.lines[1] = ServiceLine { source: Some(snomed("399208008", "Chest X-ray")), ..Default::default() };
    let needs = h.receive("acme", snomed_only).await;

    // When coding has taken them
    let coded = h.wait_events("acme", EventType::ClaimCoded, 1).await;

    // Then acme's claim is priced from the default schedule (CMS RVUs × 33.2875 × 2.5), the lab
    // line keeps its source charge with a warning, and the total is the sum
    assert_eq!(coded.len(), 1);
    let env = &coded[0];
    assert_eq!(env.claim_id, acme.claim_id);
    assert_eq!(env.causation_id, acme.event_id);
    assert_eq!(env.correlation_id, acme.correlation_id);
    assert_eq!(env.producer, "coding");
    let Some(Payload::ClaimCoded(c)) = &env.payload else { panic!("not a ClaimCoded") };
    let claim = c.claim.as_ref().unwrap();
    assert_eq!(claim.claim_id, acme.claim_id);
    assert_eq!(claim.patient_control_number, acme.claim_id.replace('-', ""));
    assert_eq!(claim.diagnosis_codes, vec!["I10", "E119"]);
    let priced: Vec<(&str, i64, Vec<u32>)> =
        claim.lines.iter().map(|l| (l.procedure_code.as_str(), l.charge_cents, l.diagnosis_pointers.clone())).collect();
    assert_eq!(priced, vec![("99213", 22_719, vec![1]), ("71046", 2_580, vec![2]), ("85025", 1_500, vec![1])]);
    assert_eq!(claim.total_charge_cents, 22_719 + 2_580 + 1_500);
    let warnings: Vec<&str> = c.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(warnings, vec!["CODING-SOURCE-CHARGE"]);

    // And beta's claim is priced from beta's own schedule, which was not replaced by the default
    let beta_coded = h.wait_events("beta", EventType::ClaimCoded, 1).await;
    let Some(Payload::ClaimCoded(b)) = &beta_coded[0].payload else { panic!("not a ClaimCoded") };
    assert_eq!(beta_coded[0].claim_id, beta.claim_id);
    assert_eq!(b.claim.as_ref().unwrap().total_charge_cents, 15_000);
    let count = |tenant: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM fee_schedule WHERE tenant_id = $1").bind(tenant)
    };
    assert_eq!(count("beta").fetch_one(&h.pool).await.unwrap(), 1);
    assert!(count("acme").fetch_one(&h.pool).await.unwrap() > 9_000, "the default schedule was loaded for acme");

    // And the SNOMED-only encounter waits for a coder, with the conditions and the line's code as evidence
    let needing = h.wait_events("acme", EventType::ClaimNeedsCoding, 1).await;
    assert_eq!(needing.len(), 1);
    assert_eq!(needing[0].claim_id, needs.claim_id);
    let Some(Payload::ClaimNeedsCoding(n)) = &needing[0].payload else { panic!("not a ClaimNeedsCoding") };
    assert_eq!(n.encounter_id, "E-3");
    let rules: Vec<(&str, &str)> = n.findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect();
    assert_eq!(
        rules,
        vec![
            ("CODING-NO-DIAGNOSIS", "diagnosis_codes"),
            ("CODING-NO-PROCEDURE", "lines[1].procedure_code"),
            ("CODING-SOURCE-CHARGE", "lines[2].charge_cents"),
        ]
    );
    let evidence: Vec<(&str, &str)> = n.evidence.iter().map(|s| (s.code.as_str(), s.display.as_str())).collect();
    assert_eq!(
        evidence,
        vec![("38341003", "Hypertensive disorder"), ("73211009", "Diabetes mellitus"), ("399208008", "Chest X-ray")]
    );

    // And the coding state is stored and served
    let status = |claim: &str| ClaimRef { tenant_id: "acme".into(), claim_id: claim.into() };
    let s = h.client.get_claim_status(status(&acme.claim_id)).await.unwrap().into_inner();
    assert_eq!((s.state.as_str(), s.detail.as_str()), ("coded", "total 26799 cents; CODING-SOURCE-CHARGE"));
    let s = h.client.get_claim_status(status(&needs.claim_id)).await.unwrap().into_inner();
    assert_eq!(s.state, "needs_coding");
    assert_eq!(s.detail, "CODING-NO-DIAGNOSIS, CODING-NO-PROCEDURE, CODING-SOURCE-CHARGE");
    let stored = rcm_coding::store::get(&h.pool, "acme", &acme.claim_id).await.unwrap().unwrap();
    let stored_claim = rcm_proto::common::Claim::decode(stored.claim.unwrap().as_slice()).unwrap();
    assert_eq!(&stored_claim, claim);
    let err = h.client.get_claim_status(status("no-such-claim")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);

    // And nothing was dead-lettered
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters").fetch_one(&h.pool).await.unwrap();
    assert_eq!(dead, 0);
    h.stop().await;
}
