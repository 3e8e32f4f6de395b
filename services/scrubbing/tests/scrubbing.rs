//! Scrubbing against the real NATS (JetStream) and Postgres: a coded claim with a bad NPI check
//! digit comes out as `ClaimRejected` with `SCRUB-NPI-CHECK-DIGIT`, a clean one as `ClaimScrubbed`,
//! each result stored and served over gRPC.

use rcm_proto::common::{Address, Claim, ClaimRef, Coverage, Patient, PersonName, Provider, ServiceLine, Severity};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{ClaimCoded, Envelope};
use rcm_proto::scrubbing::scrubbing_service_client::ScrubbingServiceClient;
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing;
use rcm_runtime::{EventType, Platform};
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
    client: ScrubbingServiceClient<Channel>,
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
        let tasks = rcm_scrubbing::start(&platform, &mut routes, shutdown.clone()).await.unwrap();
        let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = incoming.local_addr().unwrap();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(routes.routes())
                .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned()),
        );
        let client = ScrubbingServiceClient::connect(format!("http://{addr}")).await.unwrap();
        Harness { config, platform, shutdown, tasks, server, client }
    }

    /// Publishes a ClaimCoded for `claim` as coding would.
    async fn coded(&self, mut claim: Claim) -> Envelope {
        let claim_id = self.platform.det.ids.new_id();
        claim.claim_id = claim_id.to_string();
        claim.patient_control_number = claim_id.simple().to_string();
        let origin = Origin { tenant: TENANT.into(), claim_id: claim_id.to_string(), ..Origin::default() };
        let payload = Payload::ClaimCoded(ClaimCoded { claim: Some(claim), findings: vec![] });
        let env = envelope::new_envelope(&self.platform.det, "coding", &origin, payload);
        testing::publish(&self.platform.bus, &env, None).await;
        env
    }

    /// Every event of one type in the tenant's stream, once there are at least `n`.
    async fn wait_events(&self, t: EventType, n: usize) -> Vec<Envelope> {
        testing::wait_events(&self.platform.bus, TENANT, t, n).await
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

fn clean_claim() -> Claim {
    let service_date = (chrono::Utc::now().date_naive() - chrono::Days::new(10)).format("%Y-%m-%d").to_string();
    let line = |code: &str, cents: i64| ServiceLine {
        procedure_code: code.into(),
        units: "1".into(),
        unit: "UN".into(),
        charge_cents: cents,
        diagnosis_pointers: vec![1],
        service_date: service_date.clone(),
        ..Default::default()
    };
    Claim {
        encounter_id: "E-1".into(),
        patient: Some(Patient {
            name: Some(PersonName { last: "Testpatient".into(), first: "Alex".into(), ..Default::default() }),
            birth_date: "1970-01-01".into(),
            gender: "U".into(),
            address: Some(Address { line1: "2 Oak St".into(), city: "Springfield".into(), ..Default::default() }),
            ..Default::default()
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
        rendering_provider: Some(Provider {
            npi: "1245319599".into(),
            person: Some(PersonName { last: "Welby".into(), first: "Marcus".into(), ..Default::default() }),
            ..Default::default()
        }),
        service_date: service_date.clone(),
        diagnosis_codes: vec!["I10".into()],
        lines: vec![line("99213", 22_719), line("71046", 8_405)],
        total_charge_cents: 22_719 + 8_405,
        frequency_code: "1".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_bad_npi_is_rejected_and_a_clean_claim_is_scrubbed() {
    let mut h = Harness::start().await;

    // Given a clean coded claim, and one whose billing NPI fails its check digit
    let clean = h.coded(clean_claim()).await;
    let mut bad = clean_claim();
    bad.billing_provider.as_mut().unwrap().npi = "1234567890".into();
    let bad = h.coded(bad).await;

    // When scrubbing has taken them
    let scrubbed = h.wait_events(EventType::ClaimScrubbed, 1).await;
    let rejected = h.wait_events(EventType::ClaimRejected, 1).await;

    // Then the clean claim passes unchanged, without warnings, in the same chain
    assert_eq!(scrubbed.len(), 1);
    assert_eq!(scrubbed[0].claim_id, clean.claim_id);
    assert_eq!(scrubbed[0].causation_id, clean.event_id);
    assert_eq!(scrubbed[0].correlation_id, clean.correlation_id);
    assert_eq!(scrubbed[0].producer, "scrubbing");
    let Some(Payload::ClaimScrubbed(s)) = &scrubbed[0].payload else { panic!("not a ClaimScrubbed") };
    let Some(Payload::ClaimCoded(c)) = &clean.payload else { unreachable!() };
    assert_eq!(s.claim, c.claim);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    // And the bad NPI rejects the other, naming the field, with its patient control number
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].claim_id, bad.claim_id);
    let Some(Payload::ClaimRejected(r)) = &rejected[0].payload else { panic!("not a ClaimRejected") };
    assert_eq!(r.patient_control_number, bad.claim_id.replace('-', ""));
    let rules: Vec<(&str, &str, i32)> =
        r.findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str(), f.severity)).collect();
    assert_eq!(rules, vec![("SCRUB-NPI-CHECK-DIGIT", "billing_provider.npi", Severity::Error as i32)]);

    // And each result is stored and served
    let status = |claim: &str| ClaimRef { tenant_id: TENANT.into(), claim_id: claim.into() };
    let s = h.client.get_claim_status(status(&clean.claim_id)).await.unwrap().into_inner();
    assert_eq!((s.state.as_str(), s.detail.as_str()), ("scrubbed", "0 error(s), 0 warning(s)"));
    let s = h.client.get_claim_status(status(&bad.claim_id)).await.unwrap().into_inner();
    assert_eq!((s.state.as_str(), s.detail.as_str()), ("rejected", "1 error(s), 0 warning(s): SCRUB-NPI-CHECK-DIGIT"));
    let err = h.client.get_claim_status(status("no-such-claim")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = h
        .client
        .get_claim_status(ClaimRef { tenant_id: "nobody".into(), claim_id: clean.claim_id.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    h.stop().await;
}
