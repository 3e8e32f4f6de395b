//! Scrubbing against the real NATS (JetStream) and Postgres: coded claims come out scrubbed or
//! rejected with every finding, each scrub kept with the claim; a duplicate of a claim already
//! sent is caught; a payer's pack is loaded over gRPC (a bad one refused with its line) and
//! applies to the next claims and to dry runs; a biller's override releases a rejected claim;
//! `replay` reports what today's packs would change without sending anything.

use rcm_proto::common::{Address, Claim, ClaimRef, Coverage, Patient, PersonName, Provider, ServiceLine, Severity};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{ClaimCoded, Envelope};
use rcm_proto::scrubbing::scrubbing_service_client::ScrubbingServiceClient;
use rcm_proto::scrubbing::{
    ExplainRuleRequest, ListRulePacksRequest, LoadRulePackRequest, OverrideFindingRequest, RemoveRulePackRequest,
    RescrubRequest, ScrubRequest,
};
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

    /// The event of a type about one claim, once it is there (30 s at most).
    async fn wait_for_claim(&self, t: EventType, claim_id: &str) -> Envelope {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let events = testing::events(&self.platform.bus, TENANT, t).await;
            if let Some(e) = events.into_iter().find(|e| e.claim_id == claim_id) {
                return e;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {} of {claim_id}", t.name());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn pool(&self) -> sqlx::PgPool {
        let name = rcm_runtime::db::database_name(&self.config.database_prefix, "scrubbing");
        rcm_runtime::db::connect(&self.config.database_url, &name, 2).await.unwrap()
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

fn service_date() -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(10)).format("%Y-%m-%d").to_string()
}

fn clean_claim() -> Claim {
    let service_date = service_date();
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
            patient_id: format!("MRN-{}", testing::unique_id()),
            name: Some(PersonName { last: "Testpatient".into(), first: "Alex".into(), ..Default::default() }),
            birth_date: "1970-01-01".into(),
            gender: "U".into(),
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
        rendering_provider: Some(Provider {
            npi: "1245319599".into(),
            person: Some(PersonName { last: "Welby".into(), first: "Marcus".into(), ..Default::default() }),
            ..Default::default()
        }),
        place_of_service: "11".into(),
        service_date: service_date.clone(),
        diagnosis_codes: vec!["I10".into()],
        lines: vec![line("99213", 22_719), line("71046", 8_405)],
        total_charge_cents: 22_719 + 8_405,
        frequency_code: "1".into(),
        ..Default::default()
    }
}

/// The findings but the "no data" notes, which depend on today's date against the tables shipped
/// (NCCI 2024Q3 always; ICD-10-CM from October 2026, when FY2027 starts).
fn rules(findings: &[rcm_proto::common::Finding]) -> Vec<(&str, &str, i32)> {
    findings
        .iter()
        .filter(|f| !f.rule_id.ends_with("-NO-DATA"))
        .map(|f| (f.rule_id.as_str(), f.field.as_str(), f.severity))
        .collect()
}

fn ids(findings: &[rcm_proto::common::Finding]) -> String {
    findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>().join(", ")
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

    // Then the clean claim passes unchanged, in the same chain, with only the notes that the
    // tables shipped do not cover its date (NCCI 2024Q3 among them)
    assert_eq!(scrubbed.len(), 1);
    assert_eq!(scrubbed[0].claim_id, clean.claim_id);
    assert_eq!(scrubbed[0].causation_id, clean.event_id);
    assert_eq!(scrubbed[0].correlation_id, clean.correlation_id);
    assert_eq!(scrubbed[0].producer, "scrubbing");
    let Some(Payload::ClaimScrubbed(s)) = &scrubbed[0].payload else { panic!("not a ClaimScrubbed") };
    let Some(Payload::ClaimCoded(c)) = &clean.payload else { unreachable!() };
    assert_eq!(s.claim, c.claim);
    assert_eq!(rules(&s.warnings), vec![]);
    assert!(s.warnings.iter().any(|w| w.rule_id == "SCRUB-NCCI-NO-DATA" && w.severity == Severity::Warning as i32));

    // And the bad NPI rejects the other, naming the field, with its patient control number
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].claim_id, bad.claim_id);
    let Some(Payload::ClaimRejected(r)) = &rejected[0].payload else { panic!("not a ClaimRejected") };
    assert_eq!(r.patient_control_number, bad.claim_id.replace('-', ""));
    assert_eq!(rules(&r.findings), vec![("SCRUB-NPI-CHECK-DIGIT", "billing_provider.npi", Severity::Error as i32)]);
    assert!(r.findings[0].message.contains("(source: CMS, Requirements for the NPI check digit"));

    // And each result is stored and served, with its findings in the claim's history
    let status = |claim: &str| ClaimRef { tenant_id: TENANT.into(), claim_id: claim.into() };
    let s = h.client.get_claim_status(status(&clean.claim_id)).await.unwrap().into_inner();
    let Some(Payload::ClaimScrubbed(passed)) = &scrubbed[0].payload else { unreachable!() };
    let notes = passed.warnings.len();
    assert_eq!(
        (s.state.as_str(), s.detail),
        ("scrubbed", format!("0 error(s), {notes} warning(s): {}", ids(&passed.warnings)))
    );
    let s = h.client.get_claim_status(status(&bad.claim_id)).await.unwrap().into_inner();
    assert_eq!(
        (s.state.as_str(), s.detail),
        ("rejected", format!("1 error(s), {notes} warning(s): {}", ids(&r.findings)))
    );
    let history = h.client.get_findings(status(&bad.claim_id)).await.unwrap().into_inner();
    assert_eq!(history.runs.len(), 1);
    assert_eq!((history.runs[0].trigger.as_str(), history.runs[0].outcome.as_str()), ("claim_coded", "rejected"));
    assert_eq!(
        history.runs[0].findings[0].source,
        "CMS, Requirements for the NPI check digit (ISO 7812 Luhn over prefix 80840)"
    );
    assert!(history.runs[0].packs.contains(&"ncci@2024Q3".to_string()));
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

#[tokio::test]
async fn a_service_already_sent_is_a_duplicate() {
    let h = Harness::start().await;
    // Given a claim sent on
    let first = clean_claim();
    let sent = h.coded(first.clone()).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &sent.claim_id).await;

    // When a second claim comes for the same patient, provider, date and chest X-ray
    let mut again = first.clone();
    again.lines.remove(0);
    again.total_charge_cents = 8_405;
    let dup = h.coded(again.clone()).await;
    // And one for another patient
    let mut other = again.clone();
    other.patient.as_mut().unwrap().patient_id = format!("MRN-{}", testing::unique_id());
    let fine = h.coded(other).await;

    // Then the second is rejected as a duplicate of the first; the other patient's passes
    let rejected = h.wait_for_claim(EventType::ClaimRejected, &dup.claim_id).await;
    let Some(Payload::ClaimRejected(r)) = &rejected.payload else { panic!("not a ClaimRejected") };
    assert_eq!(rules(&r.findings)[0], ("SCRUB-DUPLICATE", "lines[0].procedure_code", Severity::Error as i32));
    let duplicate = r.findings.iter().find(|f| f.rule_id == "SCRUB-DUPLICATE").unwrap();
    assert!(duplicate.message.contains(&format!("already sent on claim {}", sent.claim_id)), "{}", duplicate.message);
    h.wait_for_claim(EventType::ClaimScrubbed, &fine.claim_id).await;

    // And a void is not a service sent: after voiding a claim for a third patient, the claim
    // billing the same service again is no duplicate
    let mut void = again.clone();
    void.patient.as_mut().unwrap().patient_id = format!("MRN-{}", testing::unique_id());
    let mut rebill = void.clone();
    void.frequency_code = "8".into();
    void.payer_claim_control_number = "PAYER-CCN-1".into();
    let void = h.coded(void).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &void.claim_id).await;
    rebill.frequency_code = "1".into();
    let rebill = h.coded(rebill).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &rebill.claim_id).await;
    h.stop().await;
}

const PACK: &str = r#"id = "acme-payer-87726"
version = "1"
name = "Payer 87726: authorizations for imaging"
source = "Payer 87726 provider manual, imaging"
effective_from = 2024-01-01

[[rule]]
id = "P87726-XRAY-AUTH"
severity = "error"
message = "chest imaging needs a prior authorization number for this payer"
when.procedure_prefix = ["7104"]
when.missing = ["prior_authorization"]
"#;

#[tokio::test]
async fn a_payer_pack_is_loaded_validated_explained_and_applied() {
    let mut h = Harness::start().await;
    let load = |text: &str| LoadRulePackRequest {
        tenant_id: TENANT.into(),
        payer_id: "87726".into(),
        text: text.into(),
        loaded_by: "admin1".into(),
    };

    // Given a pack with a typo in a condition: it is refused with its line, and none is in use
    let typo = PACK.replace("when.missing", "when.mising");
    let err = h.client.load_rule_pack(load(&typo)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().starts_with("rule pack refused, line 12: unknown field `mising`"), "{}", err.message());
    let list = |all| ListRulePacksRequest { tenant_id: TENANT.into(), include_inactive: all };
    let packs = h.client.list_rule_packs(list(true)).await.unwrap().into_inner().packs;
    let pack_ids: Vec<&str> = packs.iter().map(|p| p.pack_id.as_str()).collect();
    assert_eq!(pack_ids, ["837p", "codes", "clinical", "ncci", "history"]);
    assert_eq!(packs[3].version, "2024Q3");
    assert_eq!((packs[3].effective_from.as_str(), packs[3].effective_to.as_str()), ("2024-07-01", "2024-09-30"));

    // When the right pack is loaded
    let info = h.client.load_rule_pack(load(PACK)).await.unwrap().into_inner();
    assert_eq!(
        (info.pack_id.as_str(), info.scope.as_str(), info.rules, info.active),
        ("acme-payer-87726", "payer 87726", 1, true)
    );
    // Then its rule is explained like a built-in one
    let explain = |id: &str| ExplainRuleRequest { tenant_id: TENANT.into(), rule_id: id.into() };
    let rule = h.client.explain_rule(explain("P87726-XRAY-AUTH")).await.unwrap().into_inner();
    assert_eq!(
        (rule.pack.as_str(), rule.scope.as_str(), rule.severity),
        ("acme-payer-87726", "payer 87726", Severity::Error as i32)
    );
    assert_eq!(rule.source, "Payer 87726 provider manual, imaging");
    assert_eq!(
        rule.checks,
        "fires when prior_authorization is blank; and a line's procedure starts with 7104; \
         it says: chest imaging needs a prior authorization number for this payer"
    );
    let ptp = h.client.explain_rule(explain("SCRUB-NCCI-PTP")).await.unwrap().into_inner();
    assert_eq!((ptp.pack.as_str(), ptp.pack_version.as_str(), ptp.scope.as_str()), ("ncci", "2024Q3", "built-in"));
    assert!(ptp.coverage_note.contains("SCRUB-NCCI-NO-DATA"), "{}", ptp.coverage_note);
    assert_eq!(h.client.explain_rule(explain("NOPE-1")).await.unwrap_err().code(), tonic::Code::NotFound);

    // And a claim without the authorization is rejected by it; with it, it passes
    let needs = h.coded(clean_claim()).await;
    let mut with_auth = clean_claim();
    with_auth.prior_authorization = "PA-1".into();
    let has = h.coded(with_auth.clone()).await;
    let rejected = h.wait_for_claim(EventType::ClaimRejected, &needs.claim_id).await;
    let Some(Payload::ClaimRejected(r)) = &rejected.payload else { panic!("not a ClaimRejected") };
    assert_eq!(rules(&r.findings)[0], ("P87726-XRAY-AUTH", "lines[1].procedure_code", Severity::Error as i32));
    h.wait_for_claim(EventType::ClaimScrubbed, &has.claim_id).await;

    // And a dry run gives the same findings, sending nothing
    let Some(Payload::ClaimCoded(coded)) = &needs.payload else { unreachable!() };
    let mut dry_claim = coded.claim.clone().unwrap();
    dry_claim.claim_id.clear();
    let dry = h
        .client
        .scrub(ScrubRequest { tenant_id: TENANT.into(), claim: Some(dry_claim), today: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dry.outcome, "rejected");
    let dry_rules: Vec<&str> = dry.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(dry_rules.join(", "), ids(&r.findings));
    let auth = dry.findings.iter().find(|f| f.rule_id == "P87726-XRAY-AUTH").unwrap();
    assert_eq!((auth.line, auth.pack.as_str()), (2, "acme-payer-87726"));
    assert!(dry.packs.contains(&"acme-payer-87726@1".to_string()));

    // And another version under the same number is refused, the running one staying
    let changed = PACK.replace("chest imaging", "imaging");
    assert_eq!(h.client.load_rule_pack(load(&changed)).await.unwrap_err().code(), tonic::Code::AlreadyExists);
    let Some(Payload::ClaimCoded(coded)) = &needs.payload else { unreachable!() };
    let still = h
        .client
        .scrub(ScrubRequest { tenant_id: TENANT.into(), claim: coded.claim.clone(), today: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert!(still.findings.iter().any(|f| f.rule_id == "P87726-XRAY-AUTH"), "the running pack stays");
    let bad_line = PACK.replace("severity = \"error\"", "severity = \"fatal\"");
    let err = h.client.load_rule_pack(load(&bad_line)).await.unwrap_err();
    assert_eq!(err.message(), "rule pack refused, line 9: severity must be \"error\" or \"warning\", not `fatal`");
    // And once removed, the pack no longer applies
    let removed = h
        .client
        .remove_rule_pack(RemoveRulePackRequest {
            tenant_id: TENANT.into(),
            payer_id: "87726".into(),
            pack_id: "acme-payer-87726".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!removed.active);
    let after = h.coded(clean_claim()).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &after.claim_id).await;
    let packs = h.client.list_rule_packs(list(true)).await.unwrap().into_inner().packs;
    assert_eq!(packs.iter().filter(|p| p.pack_id == "acme-payer-87726" && !p.active).count(), 1);
    h.stop().await;
}

#[tokio::test]
async fn an_override_releases_a_rejected_claim() {
    let mut h = Harness::start().await;
    // Given a claim rejected for an NCCI pair: 20610 (arthrocentesis) with 99213, no modifier 25
    let mut claim = clean_claim();
    claim.lines[1].procedure_code = "20610".into();
    let coded = h.coded(claim).await;
    let rejected = h.wait_for_claim(EventType::ClaimRejected, &coded.claim_id).await;
    let Some(Payload::ClaimRejected(r)) = &rejected.payload else { panic!("not a ClaimRejected") };
    assert_eq!(rules(&r.findings)[0], ("SCRUB-NCCI-PTP", "lines[0].procedure_code", Severity::Error as i32));
    let request = |rule: &str, reason: &str| OverrideFindingRequest {
        tenant_id: TENANT.into(),
        claim_id: coded.claim_id.clone(),
        rule_id: rule.into(),
        field: String::new(),
        reason: reason.into(),
        who: "biller7".into(),
    };

    // When a biller overrides a rule that has no finding, or gives no reason: refused
    let err = h.client.override_finding(request("SCRUB-DUPLICATE", "x")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(err.message().starts_with("rule SCRUB-DUPLICATE has no finding on claim"), "{}", err.message());
    assert!(err.message().contains("SCRUB-NCCI-PTP on lines[0].procedure_code"), "{}", err.message());
    assert_eq!(
        h.client.override_finding(request("SCRUB-NCCI-PTP", " ")).await.unwrap_err().code(),
        tonic::Code::InvalidArgument
    );

    // When the NCCI finding is overridden with a reason
    let r = h
        .client
        .override_finding(request("SCRUB-NCCI-PTP", "separately identifiable visit, documented"))
        .await
        .unwrap()
        .into_inner();
    // Then the claim passes and is released: scrubbing.claim_scrubbed follows in the same chain
    assert!(r.released);
    assert_eq!(r.outcome, "scrubbed");
    let f = r.findings.iter().find(|f| f.rule_id == "SCRUB-NCCI-PTP").unwrap();
    assert!(f.overridden && f.overridden_by == "biller7");
    let scrubbed = h.wait_for_claim(EventType::ClaimScrubbed, &coded.claim_id).await;
    assert_eq!(scrubbed.causation_id, coded.event_id);
    assert_eq!(scrubbed.correlation_id, coded.correlation_id);
    let Some(Payload::ClaimScrubbed(s)) = &scrubbed.payload else { panic!("not a ClaimScrubbed") };
    let ptp = s.warnings.iter().find(|w| w.rule_id == "SCRUB-NCCI-PTP").unwrap();
    assert_eq!(ptp.severity, Severity::Warning as i32);
    assert!(ptp.message.starts_with("overridden by biller7:"), "{}", ptp.message);

    // And the override and both scrubs are in the claim's history
    let history = h
        .client
        .get_findings(ClaimRef { tenant_id: TENANT.into(), claim_id: coded.claim_id.clone() })
        .await
        .unwrap()
        .into_inner();
    let runs: Vec<(&str, &str)> = history.runs.iter().map(|r| (r.trigger.as_str(), r.outcome.as_str())).collect();
    assert_eq!(runs, [("claim_coded", "rejected"), ("override", "scrubbed")]);
    assert_eq!(history.overrides.len(), 1);
    assert_eq!(history.overrides[0].reason, "separately identifiable visit, documented");
    assert_eq!(history.state, "scrubbed");

    // And scrubbing it again does not send it twice
    let again = h
        .client
        .rescrub(RescrubRequest { tenant_id: TENANT.into(), claim_id: coded.claim_id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.outcome.as_str(), again.released), ("scrubbed", false));
    let sent: Vec<Envelope> = testing::events(&h.platform.bus, TENANT, EventType::ClaimScrubbed).await;
    assert_eq!(sent.iter().filter(|e| e.claim_id == coded.claim_id).count(), 1);

    // And once sent on, a later verdict goes in its history, not in its state
    let pack = "id = \"all\"\nversion = \"1\"\neffective_from = 2020-01-01\n[[rule]]\nid = \"T-ALL\"\n\
                severity = \"error\"\nmessage = \"m\"\nwhen.payer_in = [\"87726\"]\n";
    let load = LoadRulePackRequest {
        tenant_id: TENANT.into(),
        payer_id: String::new(),
        text: pack.into(),
        loaded_by: "a".into(),
    };
    h.client.load_rule_pack(load).await.unwrap();
    let late = h
        .client
        .rescrub(RescrubRequest { tenant_id: TENANT.into(), claim_id: coded.claim_id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((late.outcome.as_str(), late.released), ("rejected", false));
    let status = h
        .client
        .get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: coded.claim_id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, "scrubbed");
    h.stop().await;
}

#[tokio::test]
async fn replay_reports_what_todays_packs_would_change_and_sends_nothing() {
    let mut h = Harness::start().await;
    let from = chrono::Utc::now() - chrono::Duration::minutes(1);
    // Given two claims scrubbed clean, one with a prior authorization
    let plain = h.coded(clean_claim()).await;
    let mut authorized = clean_claim();
    authorized.prior_authorization = "PA-9".into();
    let authorized = h.coded(authorized).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &plain.claim_id).await;
    h.wait_for_claim(EventType::ClaimScrubbed, &authorized.claim_id).await;

    // When the payer's pack is loaded afterwards and the tenant's claims are replayed
    h.client
        .load_rule_pack(LoadRulePackRequest {
            tenant_id: TENANT.into(),
            payer_id: "87726".into(),
            text: PACK.into(),
            loaded_by: "admin1".into(),
        })
        .await
        .unwrap();
    let pool = h.pool().await;
    let state = rcm_scrubbing::State::new(rcm_scrubbing::ScrubbingConfig::default().settings());
    let report = rcm_scrubbing::replay::replay(&pool, &state, TENANT, from).await.unwrap();

    // Then it reports the one claim the pack would reject, and what would change
    assert_eq!((report.claims, report.unchanged, report.now_fail, report.now_pass), (2, 1, 1, 0));
    assert_eq!(report.changes.len(), 1);
    let c = &report.changes[0];
    assert_eq!(
        (c.claim_id.as_str(), c.before.as_str(), c.after.as_str()),
        (plain.claim_id.as_str(), "scrubbed", "rejected")
    );
    assert_eq!(c.added, ["P87726-XRAY-AUTH on lines[1].procedure_code"]);
    assert!(c.removed.is_empty());
    let mut text = Vec::new();
    rcm_scrubbing::replay::print(&report, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("1 unchanged, 1 would change (0 would now pass, 1 would now be rejected)"), "{text}");

    // And nothing was sent or stored for it: still two scrubbed events, no rejection, one run each
    assert_eq!(testing::events(&h.platform.bus, TENANT, EventType::ClaimScrubbed).await.len(), 2);
    assert!(testing::events(&h.platform.bus, TENANT, EventType::ClaimRejected).await.is_empty());
    let runs = testing::count(&pool, "SELECT count(*) FROM scrub_runs").await;
    assert_eq!(runs, 2);
    let status = h
        .client
        .get_claim_status(ClaimRef { tenant_id: TENANT.into(), claim_id: plain.claim_id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.state, "scrubbed");
    pool.close().await;
    h.stop().await;
}
