//! Coding against the real NATS (JetStream) and Postgres: an encounter published as
//! `EncounterReceived` comes out as `ClaimCoded` priced from the tenant's fee schedule (the default
//! one loaded on first use, or the tenant's own), or as `CodingReviewRequired` with the source's
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

    // And the SNOMED-only encounter waits for a coder (its line has no procedure code), with the
    // conditions and the line's code as evidence, and diagnoses suggested from the conditions' names
    let needing = h.wait_events("acme", EventType::ReviewRequired, 1).await;
    assert_eq!(needing.len(), 1);
    assert_eq!(needing[0].claim_id, needs.claim_id);
    let Some(Payload::CodingReviewRequired(n)) = &needing[0].payload else { panic!("not a CodingReviewRequired") };
    assert_eq!(n.encounter_id, "E-3");
    let rules: Vec<(&str, &str)> = n.findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect();
    assert_eq!(
        rules,
        vec![
            ("CODING-NO-PROCEDURE", "lines[1].procedure_code"),
            ("CODING-FROM-NOTE", "diagnosis_codes"),
            ("CODING-SOURCE-CHARGE", "lines[2].charge_cents"),
        ]
    );
    let i10 = n.suggestions.iter().find(|s| s.code == "I10").expect("I10 suggested from a condition's name");
    assert_eq!((i10.evidence[0].source.as_str(), i10.evidence[0].text.as_str()), ("extra[0]", "Hypertensive"));
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
    assert_eq!(s.detail, "CODING-NO-PROCEDURE, CODING-FROM-NOTE, CODING-SOURCE-CHARGE");
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

fn event_claim_ids(events: &[Envelope]) -> Vec<&str> {
    events.iter().map(|e| e.claim_id.as_str()).collect()
}

#[tokio::test]
async fn the_coders_queue_takes_what_fails_and_a_coders_resolution_codes_the_claim_once() {
    use rcm_proto::coding::*;
    let mut h = Harness::start().await;

    // Given an encounter billing a header code (E11) and one with a cheap, unknown HCPCS line
    let mut header = encounter("E-10");
    header.diagnosis_codes = vec!["E11".into()];
    let header = h.receive("acme", header).await;
    let mut unknown = encounter("E-11");
    unknown.lines = vec![ServiceLine { procedure_code: "V9999".into(), charge_cents: 100, ..Default::default() }];
    let unknown = h.receive("acme", unknown).await;

    // When coding has taken them, both wait for a coder
    let waiting = h.wait_events("acme", EventType::ReviewRequired, 2).await;
    assert_eq!(event_claim_ids(&waiting), vec![header.claim_id.as_str(), unknown.claim_id.as_str()]);

    // Then the queue lists them oldest first, or by amount (the E11 claim is priced higher)
    let list =
        |order: QueueOrder| ListQueueRequest { tenant_id: "acme".into(), order: order as i32, ..Default::default() };
    let items = h.client.list_queue(list(QueueOrder::Oldest)).await.unwrap().into_inner().items;
    assert_eq!(
        items.iter().map(|i| i.claim_id.as_str()).collect::<Vec<_>>(),
        vec![&header.claim_id, &unknown.claim_id]
    );
    assert_eq!(items[0].findings[0].rule_id, "CODING-ICD-HEADER");
    assert_eq!(items[1].findings[0].rule_id, "CODING-HCPCS-UNKNOWN");
    assert!(items[0].estimated_charge_cents > items[1].estimated_charge_cents);
    let by_amount = h.client.list_queue(list(QueueOrder::Amount)).await.unwrap().into_inner().items;
    assert_eq!(by_amount[0].claim_id, header.claim_id);
    let rich = ListQueueRequest { min_amount_cents: 1_000, ..list(QueueOrder::Oldest) };
    assert_eq!(h.client.list_queue(rich).await.unwrap().into_inner().items.len(), 1);

    // When coder ana claims the E11 item, bob can neither claim nor resolve it
    let take = |coder: &str| ClaimQueueItemRequest {
        tenant_id: "acme".into(),
        claim_id: header.claim_id.clone(),
        coder: coder.into(),
    };
    let item = h.client.claim_queue_item(take("ana")).await.unwrap().into_inner();
    assert_eq!((item.state.as_str(), item.claimed_by.as_str()), ("claimed", "ana"));
    assert_eq!(item.encounter.as_ref().unwrap().encounter_id, "E-10");
    let err = h.client.claim_queue_item(take("bob")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    let resolve = |coder: &str, codes: &[&str]| ResolveQueueItemRequest {
        tenant_id: "acme".into(),
        claim_id: header.claim_id.clone(),
        coder: coder.into(),
        diagnosis_codes: codes.iter().map(|c| c.to_string()).collect(),
        note: "per the note".into(),
        ..Default::default()
    };
    let err = h.client.resolve_queue_item(resolve("bob", &["E11.9"])).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);

    // When ana resolves it with another header code, it is refused with the finding
    let refused = h.client.resolve_queue_item(resolve("ana", &["E11.6"])).await.unwrap().into_inner();
    assert!(!refused.resolved);
    assert_eq!(refused.findings[0].rule_id, "CODING-ICD-HEADER");

    // When ana resolves it with billable codes, the claim is coded and sent on, continuing the chain
    let done = h.client.resolve_queue_item(resolve("ana", &["E11.9", "I10"])).await.unwrap().into_inner();
    assert!(done.resolved, "{:?}", done.findings);
    let item = done.item.unwrap();
    assert_eq!((item.state.as_str(), item.resolved_by.as_str()), ("resolved", "ana"));
    let actions: Vec<(&str, &str)> = item.actions.iter().map(|a| (a.action.as_str(), a.actor.as_str())).collect();
    assert_eq!(
        actions,
        vec![("queued", "coding"), ("claimed", "ana"), ("resolve_refused", "ana"), ("resolved", "ana")]
    );
    assert!(item.actions[3].detail.contains("E119, I10"));
    let coded = h.wait_events("acme", EventType::ClaimCoded, 1).await;
    assert_eq!(coded[0].claim_id, header.claim_id);
    assert_eq!(coded[0].causation_id, header.event_id);
    assert_eq!(coded[0].correlation_id, header.correlation_id);
    let Some(Payload::ClaimCoded(c)) = &coded[0].payload else { panic!("not a ClaimCoded") };
    assert_eq!(c.claim.as_ref().unwrap().diagnosis_codes, vec!["E119", "I10"]);
    let s = h.client.get_claim_status(ClaimRef { tenant_id: "acme".into(), claim_id: header.claim_id.clone() });
    assert_eq!(s.await.unwrap().into_inner().state, "coded");

    // And a second resolution is refused: exactly one claim_coded for the claim
    let err = h.client.resolve_queue_item(resolve("ana", &["E11.9"])).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    // (coding's outbox holds every event it ever emitted: no wait for a publish that might come late)
    let emitted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE subject LIKE '%.coding.claim_coded' AND headers @> $1::text::jsonb",
    )
    .bind(serde_json::json!([[rcm_runtime::envelope::HEADER_CLAIM, header.claim_id]]).to_string())
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(emitted, 1);
    let all = testing::events(&h.platform.bus, "acme", EventType::ClaimCoded).await;
    assert_eq!(all.iter().filter(|e| e.claim_id == header.claim_id).count(), 1);

    // And the resolved item leaves the default listing
    let items = h.client.list_queue(list(QueueOrder::Oldest)).await.unwrap().into_inner().items;
    assert_eq!(items.iter().map(|i| i.claim_id.as_str()).collect::<Vec<_>>(), vec![&unknown.claim_id]);
    h.stop().await;
}

#[tokio::test]
async fn a_tenant_sets_how_confident_note_suggestions_must_be_and_loads_its_own_cpt_file() {
    use rcm_proto::coding::*;
    let mut h = Harness::start().await;

    // Given acme reviews every suggestion, and an encounter that came with a note but no codes
    let settings = TenantSettings { tenant_id: "acme".into(), always_review_suggestions: true, ..Default::default() };
    h.client.set_tenant_settings(settings).await.unwrap();
    let mut noted = encounter("E-20");
    noted.diagnosis_codes.clear();
    noted.clinical_note = "Follow-up for essential hypertension, well controlled. Denies chest pain.".into();
    let first = h.receive("acme", noted.clone()).await;
    // Then it waits for a coder, with I10 suggested from the words of the note
    let waiting = h.wait_events("acme", EventType::ReviewRequired, 1).await;
    assert_eq!(waiting[0].claim_id, first.claim_id);
    let Some(Payload::CodingReviewRequired(r)) = &waiting[0].payload else { panic!() };
    assert_eq!(r.suggestions[0].code, "I10");
    let span = &r.suggestions[0].evidence[0];
    assert_eq!(&noted.clinical_note[span.start as usize..span.end as usize], span.text);
    assert!(r.suggestions.iter().all(|s| !s.code.starts_with("R07")), "chest pain was denied");

    // When acme lets confident suggestions through, the same kind of encounter is coded from its note
    let settings = TenantSettings { tenant_id: "acme".into(), auto_code_min_confidence: 0.5, ..Default::default() };
    let s = h.client.set_tenant_settings(settings).await.unwrap().into_inner();
    assert_eq!((s.auto_code_min_confidence, s.always_review_suggestions), (0.5, false));
    noted.encounter_id = "E-21".into();
    let second = h.receive("acme", noted).await;
    let coded = h.wait_events("acme", EventType::ClaimCoded, 1).await;
    assert_eq!(coded[0].claim_id, second.claim_id);
    let Some(Payload::ClaimCoded(c)) = &coded[0].payload else { panic!() };
    assert_eq!(c.claim.as_ref().unwrap().diagnosis_codes[0], "I10");
    assert!(c.findings.iter().any(|f| f.rule_id == "CODING-FROM-NOTE"));

    // Given beta loads a licensed CPT file that has 99213 but not 71046
    let file = "code\tdescription\n# ours, for the test\n99213\tOffice visit, established patient (test text)\n";
    let loaded = LoadCptFileRequest { tenant_id: "beta".into(), content: file.into(), actor: "ops".into() };
    assert_eq!(h.client.load_cpt_file(loaded).await.unwrap().into_inner().rows, 1);
    let bad = LoadCptFileRequest { tenant_id: "beta".into(), content: "99213\n".into(), actor: "ops".into() };
    assert_eq!(h.client.load_cpt_file(bad).await.unwrap_err().code(), tonic::Code::InvalidArgument);
    // Then beta's encounters are checked against it, and Lookup describes from it
    let validate = |e: Encounter| ValidateRequest { tenant_id: "beta".into(), encounter: Some(e) };
    let v = h.client.validate(validate(encounter("E-22"))).await.unwrap().into_inner();
    assert_eq!(v.outcome, "review_required");
    let rules: Vec<(&str, &str)> = v.findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect();
    assert!(rules.contains(&("CODING-CPT-UNKNOWN", "lines[1].procedure_code")), "{rules:?}");
    let look = LookupRequest {
        code: "99213".into(),
        system: CodeSystem::Cpt as i32,
        tenant_id: "beta".into(),
        ..Default::default()
    };
    let found = h.client.lookup(look.clone()).await.unwrap().into_inner();
    assert!(found.found);
    assert_eq!(found.entry.unwrap().description, "Office visit, established patient (test text)");
    // And acme, without a file, still judges CPT numbers by CMS's tables
    let v = h.client.validate(ValidateRequest { tenant_id: "acme".into(), encounter: Some(encounter("E-23")) });
    assert_eq!(v.await.unwrap().into_inner().outcome, "coded");
    h.stop().await;
}

#[tokio::test]
async fn look_ups_and_search_answer_by_the_date_of_service() {
    use rcm_proto::coding::*;
    let mut h = Harness::start().await;
    let icd = |code: &str, date: &str| LookupRequest { code: code.into(), date: date.into(), ..Default::default() };

    // A header names its billable children
    let e11 = h.client.lookup(icd("E11", "2026-03-02")).await.unwrap().into_inner();
    assert!(e11.found && e11.version_in_force);
    assert!(!e11.entry.as_ref().unwrap().billable);
    assert_eq!(e11.billable_children.len(), 50, "the first 50");
    assert_eq!(e11.billable_children[0].display_code, "E11.00");
    assert!(e11.problem.contains("header"));
    // A billable code carries its chapter and block
    let i10 = h.client.lookup(icd("I10", "2026-03-02")).await.unwrap().into_inner();
    let entry = i10.entry.unwrap();
    assert!(entry.billable && i10.problem.is_empty());
    assert_eq!(entry.chapter.unwrap().id, "9");
    // A date no version covers is answered by the nearest, and says so
    let later = h.client.lookup(icd("I10", "2027-01-15")).await.unwrap().into_inner();
    assert!(later.found && !later.version_in_force);
    // Bad dates are refused
    let err = h.client.lookup(icd("I10", "15/01/2027")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    // Search by words and by code prefix
    let search =
        |q: &str| SearchRequest { query: q.into(), date: "2026-03-02".into(), limit: 10, ..Default::default() };
    let found = h.client.search(search("diabetes neuropathy")).await.unwrap().into_inner();
    assert!(found.entries.iter().any(|e| e.code == "E1140"), "{:?}", found.entries);
    let found = h.client.search(search("E11.6")).await.unwrap().into_inner();
    assert!(found.entries.iter().all(|e| e.code.starts_with("E116")));
    // HCPCS search and modifier look-up
    let hcpcs = SearchRequest { system: CodeSystem::Hcpcs as i32, ..search("G0439") };
    assert_eq!(h.client.search(hcpcs).await.unwrap().into_inner().entries[0].code, "G0439");
    let m = LookupRequest { code: "XS".into(), system: CodeSystem::Modifier as i32, ..Default::default() };
    assert!(h.client.lookup(m).await.unwrap().into_inner().found);

    // Suggest finds codes in a note
    let note = "Assessment: type 2 diabetes with diabetic neuropathy. No fever.";
    let s = h.client.suggest(SuggestRequest { note: note.into(), ..Default::default() }).await.unwrap().into_inner();
    assert!(s.suggestions.iter().any(|s| s.code == "E1140"), "{:?}", s.suggestions);
    assert!(s.suggestions.iter().all(|s| s.code != "R509"), "fever was negated");
    h.stop().await;
}

#[tokio::test]
async fn a_correction_from_denials_is_a_void_at_once_or_a_replacement_a_coder_sends_as_frequency_7() {
    use rcm_proto::coding::*;
    use rcm_proto::events::CorrectionRequested;
    let mut h = Harness::start().await;

    // Given two claims coded and sent, and a correction request that does not name a coded claim
    let first = h.receive("acme", encounter("E-20")).await;
    let second = h.receive("acme", encounter("E-21")).await;
    h.wait_events("acme", EventType::ClaimCoded, 2).await;
    let ask = |cause: &Envelope, frequency: &str| {
        let origin = Origin::caused_by(cause);
        let request = CorrectionRequested {
            frequency_code: frequency.into(),
            payer_claim_control_number: format!("PCC-{}", &cause.claim_id[..8]),
            version: 2,
            reason_codes: vec!["CO-16".into(), "M51".into()],
            denial_category: "missing_information".into(),
            work_item_id: "w-1".into(),
            requested_by: "biller-1".into(),
            note: "the second diagnosis is wrong".into(),
        };
        envelope::new_envelope(&h.platform.det, "denials", &origin, Payload::CorrectionRequested(request))
    };
    let replace = ask(&first, "7");
    let void = ask(&second, "8");
    let stray = {
        let mut e = ask(&second, "8");
        e.claim_id = "never-coded".into();
        e
    };

    // When denials asks for a replacement of the first, a void of the second, and a void of a
    // claim coding never sent
    testing::publish(&h.platform.bus, &replace, None).await;
    testing::publish(&h.platform.bus, &void, None).await;
    testing::publish(&h.platform.bus, &stray, None).await;

    // Then the void goes out at once as the same claim, frequency 8, version 2, naming the payer's claim
    let coded = h.wait_events("acme", EventType::ClaimCoded, 3).await;
    let v = coded.iter().find(|e| e.causation_id == void.event_id).expect("the void's ClaimCoded");
    let Some(Payload::ClaimCoded(c)) = &v.payload else { panic!("not a ClaimCoded") };
    let claim = c.claim.as_ref().unwrap();
    assert_eq!((claim.frequency_code.as_str(), claim.version), ("8", 2));
    assert_eq!(claim.payer_claim_control_number, format!("PCC-{}", &second.claim_id[..8]));
    assert_eq!(
        (v.claim_id.as_str(), v.correlation_id.as_str()),
        (second.claim_id.as_str(), second.correlation_id.as_str())
    );
    // And the replacement waits for a coder, with the denial's reasons
    let review = h.wait_events("acme", EventType::ReviewRequired, 1).await;
    assert_eq!(review[0].claim_id, first.claim_id);
    let Some(Payload::CodingReviewRequired(r)) = &review[0].payload else { panic!("not a CodingReviewRequired") };
    assert_eq!(r.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), ["CODING-CORRECTION"]);
    assert!(r.findings[0].message.contains("CO-16 M51"), "{}", r.findings[0].message);
    let status = |claim: &str| ClaimRef { tenant_id: "acme".into(), claim_id: claim.into() };
    let s = h.client.get_claim_status(status(&first.claim_id)).await.unwrap().into_inner();
    assert_eq!((s.state.as_str(), s.detail.as_str()), ("needs_coding", "CODING-CORRECTION"));

    // When a coder takes it and resolves it with corrected diagnoses
    let item_ref = QueueItemRef { tenant_id: "acme".into(), claim_id: first.claim_id.clone() };
    let item = h.client.get_queue_item(item_ref).await.unwrap().into_inner();
    assert_eq!(item.state, "open");
    let e = item.encounter.as_ref().unwrap();
    assert_eq!((e.frequency_code.as_str(), e.claim_version), ("7", 2));
    let queued = item.actions.last().unwrap();
    assert_eq!((queued.action.as_str(), queued.actor.as_str()), ("queued", "biller-1"));
    assert!(queued.detail.ends_with("the second diagnosis is wrong"), "{}", queued.detail);
    let take =
        ClaimQueueItemRequest { tenant_id: "acme".into(), claim_id: first.claim_id.clone(), coder: "c-1".into() };
    h.client.claim_queue_item(take).await.unwrap();
    let resolve = ResolveQueueItemRequest {
        tenant_id: "acme".into(),
        claim_id: first.claim_id.clone(),
        coder: "c-1".into(),
        diagnosis_codes: vec!["I10".into(), "E78.5".into()],
        lines: vec![],
        note: String::new(),
    };
    let done = h.client.resolve_queue_item(resolve.clone()).await.unwrap().into_inner();
    assert!(done.resolved, "{:?}", done.findings);

    // Then the replacement goes out once: frequency 7, version 2, the payer's claim, the corrected codes,
    // continuing the claim's chain from the correction request
    let coded = h.wait_events("acme", EventType::ClaimCoded, 4).await;
    let rep = coded.iter().find(|e| e.causation_id == replace.event_id).expect("the replacement's ClaimCoded");
    assert_eq!(rep.correlation_id, first.correlation_id);
    let Some(Payload::ClaimCoded(c)) = &rep.payload else { panic!("not a ClaimCoded") };
    let claim = c.claim.as_ref().unwrap();
    assert_eq!((claim.frequency_code.as_str(), claim.version), ("7", 2));
    assert_eq!(claim.payer_claim_control_number, format!("PCC-{}", &first.claim_id[..8]));
    assert_eq!(claim.diagnosis_codes, vec!["I10", "E785"]);
    assert_eq!(claim.patient_control_number, first.claim_id.replace('-', ""));
    let again = h.client.resolve_queue_item(resolve).await.unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition, "resolved once");
    // And the request for a claim coding never sent is dead-lettered with its reason
    testing::wait_for("the stray request's dead letter", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dead_letters").fetch_one(&h.pool).await.unwrap() == 1
    })
    .await;
    let reason: String = sqlx::query_scalar("SELECT reason FROM dead_letters").fetch_one(&h.pool).await.unwrap();
    assert!(reason.contains("never-coded") && reason.contains("never sent"), "{reason}");
    assert_eq!(h.wait_events("acme", EventType::ClaimCoded, 4).await.len(), 4);
    h.stop().await;
}
