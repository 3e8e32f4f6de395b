//! `rcm.intake.v1.IntakeService`.

use crate::config::IntakeConfig;
use crate::decide::{self, ClaimState};
use crate::error::Error;
use crate::store;
use chrono::{DateTime, SecondsFormat, Utc};
use prost::Message;
use rcm_proto::common::{ClaimRef, Encounter, Finding, ServiceClaimStatus, Severity};
use rcm_proto::events::EncounterReceived;
use rcm_proto::events::envelope::Payload;
use rcm_proto::intake::intake_service_server::IntakeService;
use rcm_proto::intake::{
    ClaimHistory, ClaimList, ClaimSummary, ClaimVersion, ClaimView, GetEncounterResponse, HistoryEntry,
    ListClaimsRequest, StateCount, SubmitEncounterRequest, SubmitEncounterResponse, SubmitFhirBundleRequest,
    SubmitFhirBundleResponse, SummarizeClaimsRequest,
};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use tonic::{Request, Response, Status};
use tracing::{Instrument, info, info_span};
use uuid::Uuid;

/// The gRPC service; also callable directly (tests, the FHIR path).
#[derive(Clone)]
pub struct IntakeApi {
    host: ServiceHost,
    config: IntakeConfig,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl IntakeApi {
    pub fn new(host: ServiceHost, config: IntakeConfig) -> Self {
        IntakeApi { host, config }
    }

    pub fn host(&self) -> &ServiceHost {
        &self.host
    }

    /// Fails with [`Error::UnknownTenant`] unless this process serves `tenant`.
    pub async fn check_tenant(&self, tenant: &str) -> Result<(), Error> {
        if self.host.platform.tenants().await?.iter().any(|t| t == tenant) {
            Ok(())
        } else {
            Err(Error::UnknownTenant(tenant.to_string()))
        }
    }

    /// Takes one encounter: checks it, stores it once per (tenant, encounter id) with a new claim
    /// id, and emits `EncounterReceived` in the same transaction. A second submission of the same
    /// encounter id returns the first claim id with `duplicate` and emits nothing.
    pub async fn submit(
        &self,
        tenant: &str,
        encounter: Encounter,
        source: &str,
    ) -> Result<SubmitEncounterResponse, Error> {
        self.check_tenant(tenant).await?;
        self.take(tenant, encounter, source).await
    }

    /// [`IntakeApi::submit`] for a tenant already checked.
    async fn take(
        &self,
        tenant: &str,
        mut encounter: Encounter,
        source: &str,
    ) -> Result<SubmitEncounterResponse, Error> {
        let findings = decide::check_encounter(&encounter, self.config.max_lines)
            .map_err(|faults| Error::Invalid(faults.to_string()))?;
        encounter.findings = findings;
        if encounter.source.is_empty() {
            encounter.source = source.to_string();
        }
        let det = &self.host.platform.det;
        let claim_id = det.ids.new_id();
        let mut tx = self.host.pool.begin().await?;
        let stored = store::insert_encounter(
            &mut tx,
            tenant,
            &encounter.encounter_id,
            claim_id,
            &encounter.source,
            &encounter.encode_to_vec(),
            det.clock.now(),
        )
        .await?;
        if !stored {
            tx.rollback().await?;
            let first =
                store::encounter_by_id(&self.host.pool, tenant, &encounter.encounter_id).await?.ok_or_else(|| {
                    Error::Invalid(format!("encounter {} was stored and is gone", encounter.encounter_id))
                })?;
            let first_claim = first.claim_id.to_string();
            let stored = Encounter::decode(first.encounter.as_slice())
                .map_err(|_| Error::Corrupt { what: "encounter", claim_id: first_claim.clone() })?;
            info!(claim_id = %first_claim, encounter_id = %encounter.encounter_id, "encounter submitted again; first claim returned");
            return Ok(SubmitEncounterResponse { claim_id: first_claim, duplicate: true, findings: stored.findings });
        }
        let origin = Origin { tenant: tenant.to_string(), claim_id: claim_id.to_string(), ..Origin::default() };
        let findings = encounter.findings.clone();
        let encounter_id = encounter.encounter_id.clone();
        let env =
            self.host.new_event(&origin, Payload::EncounterReceived(EncounterReceived { encounter: Some(encounter) }));
        self.host.enqueue(&mut tx, &env).await?;
        tx.commit().await?;
        info!(%claim_id, %encounter_id, event_id = %env.event_id, findings = findings.len(), "encounter received");
        Ok(SubmitEncounterResponse { claim_id: claim_id.to_string(), duplicate: false, findings })
    }

    /// Takes a FHIR R4 bundle: reads it with `rcm-fhir` and takes each of its encounters as
    /// [`IntakeApi::submit`] does (source `fhir`). An encounter that cannot be taken is a finding
    /// (`INTAKE-ENCOUNTER-REFUSED`, naming its fields at fault) and the others go on; the bundle's own
    /// findings come back too. A bundle that cannot be read at all is `InvalidArgument`. Submitting
    /// the same bundle again is harmless: each encounter is taken once.
    pub async fn submit_fhir(&self, tenant: &str, bundle_json: &str) -> Result<SubmitFhirBundleResponse, Error> {
        self.check_tenant(tenant).await?;
        if bundle_json.len() > self.config.max_bundle_bytes {
            return Err(Error::Invalid(format!(
                "bundle_json is {} bytes; at most {} are taken",
                bundle_json.len(),
                self.config.max_bundle_bytes
            )));
        }
        let read = rcm_fhir::read_bundle(bundle_json.as_bytes())
            .map_err(|e| Error::Invalid(format!("bundle_json cannot be read: {e}")))?;
        let mut response = SubmitFhirBundleResponse { claims: Vec::new(), findings: read.findings };
        for (i, encounter) in read.encounters.into_iter().enumerate() {
            let label = decide::printable_id(&encounter.encounter_id);
            match self.take(tenant, encounter, "fhir").await {
                Ok(taken) => response.claims.push(taken),
                Err(Error::Invalid(faults)) => {
                    info!(encounter = i, "encounter of a FHIR bundle refused");
                    response.findings.push(Finding {
                        rule_id: "INTAKE-ENCOUNTER-REFUSED".into(),
                        field: format!("encounters[{i}]"),
                        message: format!("encounter {label} was not taken: {faults}"),
                        severity: Severity::Error as i32,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        info!(taken = response.claims.len(), findings = response.findings.len(), "FHIR bundle submitted");
        Ok(response)
    }

    pub async fn encounter(&self, r: &ClaimRef) -> Result<GetEncounterResponse, Error> {
        self.check_tenant(&r.tenant_id).await?;
        let id = Uuid::parse_str(&r.claim_id).map_err(|_| Error::Invalid("claim_id is not a UUID".into()))?;
        let stored = store::encounter_by_claim(&self.host.pool, &r.tenant_id, id).await?.ok_or_else(|| not_found(r))?;
        let encounter = Encounter::decode(stored.encounter.as_slice())
            .map_err(|_| Error::Corrupt { what: "encounter", claim_id: r.claim_id.clone() })?;
        Ok(GetEncounterResponse {
            claim_id: stored.claim_id.to_string(),
            encounter: Some(encounter),
            received_at: rfc3339(stored.received_at),
        })
    }

    pub async fn history(&self, r: &ClaimRef) -> Result<ClaimHistory, Error> {
        self.check_tenant(&r.tenant_id).await?;
        let claim = store::claim(&self.host.pool, &r.tenant_id, &r.claim_id).await?.ok_or_else(|| not_found(r))?;
        let entries = store::history(&self.host.pool, &r.tenant_id, &r.claim_id).await?;
        Ok(ClaimHistory {
            claim_id: r.claim_id.clone(),
            state: claim.record.state.name().to_string(),
            entries: entries.into_iter().map(history_entry).collect(),
            version: claim.record.version,
            frequency_code: claim.record.frequency_code,
        })
    }

    /// `GetClaim`: the claim with its versions and whole history.
    pub async fn claim(&self, r: &ClaimRef) -> Result<ClaimView, Error> {
        self.check_tenant(&r.tenant_id).await?;
        let claim = store::claim(&self.host.pool, &r.tenant_id, &r.claim_id).await?.ok_or_else(|| not_found(r))?;
        let entries = store::history(&self.host.pool, &r.tenant_id, &r.claim_id).await?;
        let mut view = self.view(r.claim_id.clone(), claim);
        view.versions = versions(&view, &entries);
        view.history = entries.into_iter().map(history_entry).collect();
        Ok(view)
    }

    /// `ListClaims`: a page of the tenant's claims, oldest first.
    pub async fn list(&self, r: &ListClaimsRequest) -> Result<ClaimList, Error> {
        self.check_tenant(&r.tenant_id).await?;
        for s in &r.states {
            if ClaimState::from_name(s).is_none() {
                let known: Vec<&str> = ClaimState::ALL.iter().map(|s| s.name()).collect();
                return Err(Error::Invalid(format!("unknown state {s:?}; the states are {}", known.join(", "))));
            }
        }
        let now = self.host.platform.det.clock.now();
        let days_ago = |d: u32| now - chrono::Duration::days(i64::from(d));
        let limit = match r.page_size {
            0 => 100,
            n => n.min(1000),
        };
        let filter = store::ClaimFilter {
            states: r.states.clone(),
            payer_id: Some(r.payer_id.trim().to_string()).filter(|p| !p.is_empty()),
            created_before: r.min_age_days.map(days_ago),
            // At most N whole days old: created after the start of the (N+1)th day back.
            created_after: r.max_age_days.map(|d| days_ago(d.saturating_add(1))),
            after: if r.page_token.is_empty() { None } else { Some(page_token::decode(&r.page_token)?) },
            limit: i64::from(limit) + 1,
        };
        let mut rows = store::list_claims(&self.host.pool, &r.tenant_id, &filter).await?;
        let next_page_token = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|(id, row)| page_token::encode(row.created_at, id)).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ClaimList { claims: rows.into_iter().map(|(id, row)| self.view(id, row)).collect(), next_page_token })
    }

    fn view(&self, claim_id: String, c: store::ClaimRow) -> ClaimView {
        let now = self.host.platform.det.clock.now();
        let m = c.record.money;
        ClaimView {
            claim_id,
            state: c.record.state.name().to_string(),
            version: c.record.version,
            frequency_code: c.record.frequency_code.clone(),
            payer_id: c.record.payer_id.clone(),
            created_at: rfc3339(c.created_at),
            state_at: rfc3339(c.state_at),
            detail: decide::status_detail(&c.record, &c.detail),
            age_days: (now - c.created_at).num_days().max(0) as u32,
            billed_cents: m.billed_cents,
            paid_cents: m.paid_cents,
            adjusted_cents: m.adjusted_cents,
            patient_responsibility_cents: m.patient_responsibility_cents,
            balance_cents: m.billed_cents - m.paid_cents - m.adjusted_cents,
            denied: c.record.denied,
            versions: Vec::new(),
            history: Vec::new(),
        }
    }

    pub async fn status(&self, r: &ClaimRef) -> Result<ServiceClaimStatus, Error> {
        self.check_tenant(&r.tenant_id).await?;
        let claim = store::claim(&self.host.pool, &r.tenant_id, &r.claim_id).await?.ok_or_else(|| not_found(r))?;
        Ok(ServiceClaimStatus {
            claim_id: r.claim_id.clone(),
            state: claim.record.state.name().to_string(),
            updated_at: rfc3339(claim.state_at),
            detail: decide::status_detail(&claim.record, &claim.detail),
        })
    }

    pub async fn summary(&self, tenant: &str) -> Result<ClaimSummary, Error> {
        self.check_tenant(tenant).await?;
        let mut conn = self.host.pool.acquire().await?;
        let mut s = store::summary(&mut conn, tenant).await?;
        s.states
            .sort_by_key(|(state, _)| (ClaimState::from_name(state).map_or(usize::MAX, |s| s as usize), state.clone()));
        Ok(ClaimSummary {
            states: s.states.into_iter().map(|(state, claims)| StateCount { state, claims }).collect(),
            billed_cents: s.money.billed_cents,
            paid_cents: s.money.paid_cents,
            adjusted_cents: s.money.adjusted_cents,
            patient_responsibility_cents: s.money.patient_responsibility_cents,
            denied_claims: s.denied_claims,
            total_claims: s.total_claims,
        })
    }
}

fn history_entry(h: store::HistoryRow) -> HistoryEntry {
    HistoryEntry {
        state: h.state,
        at: rfc3339(h.at),
        event_type: h.event_type,
        event_id: h.event_id.to_string(),
        producer: h.producer,
        detail: h.detail,
        version: h.version.max(1) as u32,
        transition: h.transition,
    }
}

/// Each version of the claim from its history: the state its last move reached (the claim's own
/// state for the current version) and when it started. A version's frequency code is in the detail
/// of the event that opened it; the current one's is the claim's.
fn versions(view: &ClaimView, entries: &[store::HistoryRow]) -> Vec<ClaimVersion> {
    let mut out: Vec<ClaimVersion> = Vec::new();
    for h in entries {
        let v = h.version.max(1) as u32;
        let i = match out.iter().position(|x| x.version == v) {
            Some(i) => i,
            None => {
                let frequency = if v == 1 { "1" } else { decide::frequency_in_detail(&h.detail).unwrap_or("") };
                out.push(ClaimVersion {
                    version: v,
                    frequency_code: frequency.to_string(),
                    state: String::new(),
                    started_at: rfc3339(h.at),
                });
                out.len() - 1
            }
        };
        if h.transition == "moved" {
            out[i].state = h.state.clone();
        }
    }
    out.sort_by_key(|x| x.version);
    if let Some(current) = out.iter_mut().find(|x| x.version == view.version) {
        current.state = view.state.clone();
        current.frequency_code = view.frequency_code.clone();
    }
    out
}

/// `ListClaims` page tokens: the last claim's creation instant (microseconds) and id.
mod page_token {
    use crate::error::Error;
    use chrono::{DateTime, Utc};

    pub fn encode(created_at: DateTime<Utc>, claim_id: &str) -> String {
        format!("{}.{claim_id}", created_at.timestamp_micros())
    }

    pub fn decode(token: &str) -> Result<(DateTime<Utc>, String), Error> {
        let bad = || Error::Invalid("page_token is not one ListClaims gave".into());
        let (micros, id) = token.split_once('.').ok_or_else(bad)?;
        let at = micros.parse::<i64>().ok().and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(bad)?;
        Ok((at, id.to_string()))
    }
}

fn not_found(r: &ClaimRef) -> Error {
    Error::ClaimNotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() }
}

/// A request's span, a child of the caller's trace.
fn span<T>(method: &'static str, tenant: &str, req: &Request<T>) -> tracing::Span {
    let span = info_span!("grpc", service = crate::NAME, method, tenant);
    rcm_runtime::telemetry::set_parent_from_metadata(&span, req.metadata());
    span
}

#[tonic::async_trait]
impl IntakeService for IntakeApi {
    async fn submit_encounter(
        &self,
        request: Request<SubmitEncounterRequest>,
    ) -> Result<Response<SubmitEncounterResponse>, Status> {
        let span = span("SubmitEncounter", &request.get_ref().tenant_id, &request);
        let r = request.into_inner();
        // A missing encounter is checked as an empty one, so every required field is named.
        let encounter = r.encounter.unwrap_or_default();
        Ok(Response::new(self.submit(&r.tenant_id, encounter, "grpc").instrument(span).await?))
    }

    async fn submit_fhir_bundle(
        &self,
        request: Request<SubmitFhirBundleRequest>,
    ) -> Result<Response<SubmitFhirBundleResponse>, Status> {
        let span = span("SubmitFhirBundle", &request.get_ref().tenant_id, &request);
        let r = request.into_inner();
        Ok(Response::new(self.submit_fhir(&r.tenant_id, &r.bundle_json).instrument(span).await?))
    }

    async fn get_encounter(&self, request: Request<ClaimRef>) -> Result<Response<GetEncounterResponse>, Status> {
        let span = span("GetEncounter", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.encounter(request.get_ref()).instrument(span).await?))
    }

    async fn get_claim_history(&self, request: Request<ClaimRef>) -> Result<Response<ClaimHistory>, Status> {
        let span = span("GetClaimHistory", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.history(request.get_ref()).instrument(span).await?))
    }

    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let span = span("GetClaimStatus", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.status(request.get_ref()).instrument(span).await?))
    }

    async fn summarize_claims(
        &self,
        request: Request<SummarizeClaimsRequest>,
    ) -> Result<Response<ClaimSummary>, Status> {
        let span = span("SummarizeClaims", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.summary(&request.get_ref().tenant_id).instrument(span).await?))
    }

    async fn get_claim(&self, request: Request<ClaimRef>) -> Result<Response<ClaimView>, Status> {
        let span = span("GetClaim", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.claim(request.get_ref()).instrument(span).await?))
    }

    async fn list_claims(&self, request: Request<ListClaimsRequest>) -> Result<Response<ClaimList>, Status> {
        let span = span("ListClaims", &request.get_ref().tenant_id, &request);
        Ok(Response::new(self.list(request.get_ref()).instrument(span).await?))
    }
}
