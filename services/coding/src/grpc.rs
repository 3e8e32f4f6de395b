//! `rcm.coding.v1.CodingService`: look-ups, validation and suggestions, the coder's queue, and each
//! tenant's coding data.

use crate::decide::{self, Outcome};
use crate::error::Error;
use crate::handlers::{self, State};
use crate::store::{self, QueueActionRow, QueueFilter, QueueRow};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use prost::Message;
use rcm_codesets::icd10cm::{Code, Version};
use rcm_codesets::{cpt, modifiers, pos};
use rcm_proto::coding::coding_service_server::CodingService;
use rcm_proto::coding::*;
use rcm_proto::common::{ClaimRef, Encounter, ServiceClaimStatus};
use rcm_proto::events::CodingReviewRequired;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tracing::{Instrument, info, info_span};

/// The most entries a search returns.
const MAX_SEARCH: usize = 100;
/// The most items a queue listing returns.
const MAX_LIST: i64 = 500;
/// The claim id `Validate` judges an encounter under (nothing is kept).
const VALIDATE_CLAIM_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The gRPC service; also callable directly.
#[derive(Clone)]
pub struct CodingApi {
    host: ServiceHost,
    state: Arc<State>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn required<'a>(value: &'a str, name: &str) -> Result<&'a str, Error> {
    match value.trim() {
        "" => Err(Error::InvalidArgument(format!("{name} is required"))),
        v => Ok(v),
    }
}

fn icd_entry(c: &Code) -> CodeEntry {
    CodeEntry {
        system: CodeSystem::Icd10cm as i32,
        code: c.code.to_string(),
        display_code: c.dotted(),
        description: c.description.to_string(),
        billable: c.billable,
        chapter: Some(CodeGroup { id: c.chapter.id.into(), description: c.chapter.description.into() }),
        block: Some(CodeGroup { id: c.block.id.into(), description: c.block.description.into() }),
    }
}

fn plain_entry(system: CodeSystem, code: &str, description: &str, billable: bool) -> CodeEntry {
    CodeEntry {
        system: system as i32,
        code: code.into(),
        display_code: code.into(),
        description: description.into(),
        billable,
        ..Default::default()
    }
}

impl CodingApi {
    pub fn new(host: ServiceHost, state: Arc<State>) -> Self {
        CodingApi { host, state }
    }

    fn now(&self) -> DateTime<Utc> {
        self.host.platform.det.clock.now()
    }

    async fn known_tenant(&self, tenant: &str) -> Result<(), Error> {
        if !self.host.platform.tenants().await?.iter().any(|t| t == tenant) {
            return Err(Error::UnknownTenant(tenant.into()));
        }
        Ok(())
    }

    /// A request's date (YYYY-MM-DD), today when empty.
    fn date(&self, date: &str) -> Result<NaiveDate, Error> {
        if date.trim().is_empty() {
            return Ok(self.now().date_naive());
        }
        NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::InvalidArgument(format!("date {date:?} is not YYYY-MM-DD")))
    }

    /// Where coding stands with a claim: `coded` (detail: lines' total) or `needs_coding`
    /// (detail: the findings' rule ids).
    pub async fn status(&self, r: &ClaimRef) -> Result<ServiceClaimStatus, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let c = store::get(&self.host.pool, &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::ClaimNotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        let detail = match (c.state.as_str(), c.rule_ids.is_empty()) {
            ("coded", true) => format!("total {} cents", c.total_charge_cents),
            ("coded", false) => format!("total {} cents; {}", c.total_charge_cents, c.rule_ids.join(", ")),
            _ => c.rule_ids.join(", "),
        };
        Ok(ServiceClaimStatus { claim_id: c.claim_id, state: c.state, updated_at: rfc3339(c.updated_at), detail })
    }

    pub async fn lookup(&self, r: &LookupRequest) -> Result<LookupResponse, Error> {
        let date = self.date(&r.date)?;
        let code = decide::normalize_code(required(&r.code, "code")?);
        let system = CodeSystem::try_from(r.system).unwrap_or(CodeSystem::Unspecified);
        let mut out = LookupResponse { version_in_force: true, ..Default::default() };
        match system {
            CodeSystem::Unspecified | CodeSystem::Icd10cm => {
                let choice = self.state.icd.for_date(date);
                let v = choice.version();
                out.version = v.name().to_string();
                out.version_in_force = choice.in_force();
                match v.get(&code) {
                    Some(c) => {
                        out.found = true;
                        out.entry = Some(icd_entry(&c));
                        if !c.billable {
                            out.problem = format!("{} is a header in {}; bill a code under it", c.dotted(), v.name());
                            out.billable_children = v.billable_children(&code, 50).iter().map(icd_entry).collect();
                        }
                    }
                    None => out.problem = self.not_in_version(&code, v),
                }
            }
            CodeSystem::Hcpcs => {
                out.version = "HCPCS Level II (CMS, July 2024)".into();
                match self.state.hcpcs.get(&code) {
                    Some(h) => {
                        let in_force = h.in_force(date);
                        out.found = true;
                        out.entry = Some(plain_entry(CodeSystem::Hcpcs, h.code, h.long_description, in_force));
                        if !in_force {
                            out.problem = match (h.added, h.terminated) {
                                (Some(a), _) if date < a => format!("{code} was added on {a}"),
                                (_, Some(t)) => format!("{code} was terminated on {t}"),
                                _ => format!("{code} is not in force on {date}"),
                            };
                        }
                    }
                    None => out.problem = format!("{code} is not a HCPCS Level II code"),
                }
            }
            CodeSystem::Cpt => {
                if !cpt::is_cpt_form(&code) {
                    out.problem = format!("{code} is not a CPT code (5 digits, or 4 digits and F, T or U)");
                } else if !r.tenant_id.is_empty() && store::has_cpt_file(&self.host.pool, &r.tenant_id).await? {
                    out.version = format!("licensed CPT file of {}", r.tenant_id);
                    match store::cpt_description(&self.host.pool, &r.tenant_id, &code).await? {
                        Some(d) => {
                            out.found = true;
                            out.entry = Some(plain_entry(CodeSystem::Cpt, &code, &d, true));
                        }
                        None => out.problem = format!("{code} is not in the tenant's licensed CPT file"),
                    }
                } else {
                    out.version = "CPT code numbers in CMS's public tables (no descriptions)".into();
                    if cpt::cms_carries(&code) {
                        out.found = true;
                        out.entry = Some(plain_entry(CodeSystem::Cpt, &code, "", true));
                    } else {
                        out.problem = format!(
                            "{code} is not a CPT code number that CMS's public tables carry; a licensed CPT file decides"
                        );
                    }
                }
            }
            CodeSystem::Modifier => match modifiers::modifier(&code) {
                Some(m) => {
                    out.found = true;
                    out.entry = Some(plain_entry(CodeSystem::Modifier, m.code, m.description.unwrap_or(""), true));
                }
                None => out.problem = format!("{code} is neither a CPT nor a HCPCS Level II modifier"),
            },
            CodeSystem::PlaceOfService => match pos::place_of_service(&code) {
                Some(p) => {
                    out.found = true;
                    out.entry = Some(plain_entry(CodeSystem::PlaceOfService, p.code, p.name, true));
                }
                None => out.problem = format!("{code} is not a CMS place-of-service code"),
            },
        }
        Ok(out)
    }

    fn not_in_version(&self, code: &str, v: &Version) -> String {
        if !decide::is_icd10cm(code) {
            return format!("{code} is not an ICD-10-CM code");
        }
        match self.state.icd.other_version_with(code, v) {
            Some(other) => format!("{code} is not in {}; it is in {}", v.name(), other.name()),
            None => format!("{code} is not an ICD-10-CM code in {}", v.name()),
        }
    }

    pub fn search(&self, r: &SearchRequest) -> Result<SearchResponse, Error> {
        let date = self.date(&r.date)?;
        let limit = match r.limit as usize {
            0 => 20,
            n => n.min(MAX_SEARCH),
        };
        let query = required(&r.query, "query")?;
        match CodeSystem::try_from(r.system).unwrap_or(CodeSystem::Unspecified) {
            CodeSystem::Unspecified | CodeSystem::Icd10cm => {
                let choice = self.state.icd.for_date(date);
                let v = choice.version();
                Ok(SearchResponse {
                    entries: v.search(query, limit).iter().map(icd_entry).collect(),
                    version: v.name().to_string(),
                    version_in_force: choice.in_force(),
                })
            }
            CodeSystem::Hcpcs => Ok(SearchResponse {
                entries: (self.state.hcpcs.search(query, limit).iter())
                    .map(|h| plain_entry(CodeSystem::Hcpcs, h.code, h.long_description, h.in_force(date)))
                    .collect(),
                version: "HCPCS Level II (CMS, July 2024)".into(),
                version_in_force: true,
            }),
            other => Err(Error::InvalidArgument(format!("search covers ICD-10-CM and HCPCS, not {other:?}"))),
        }
    }

    pub async fn validate(&self, r: &ValidateRequest) -> Result<ValidateResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let e = r.encounter.as_ref().ok_or_else(|| Error::InvalidArgument("encounter is required".into()))?;
        let suggestions = self.state.suggestions(e);
        let mut conn = self.host.pool.acquire().await?;
        let outcome = handlers::judge(&mut conn, &self.state, &r.tenant_id, VALIDATE_CLAIM_ID, e, &suggestions).await?;
        Ok(match outcome {
            Outcome::Coded(c) => {
                ValidateResponse { outcome: "coded".into(), findings: c.findings, claim: c.claim, suggestions }
            }
            Outcome::ReviewRequired(rr) => ValidateResponse {
                outcome: "review_required".into(),
                findings: rr.findings,
                claim: None,
                suggestions: rr.suggestions,
            },
        })
    }

    pub fn suggest(&self, r: &SuggestRequest) -> SuggestResponse {
        let limit = match r.limit as usize {
            0 => 10,
            n => n.min(50),
        };
        let extra: Vec<&str> = r.extra.iter().map(String::as_str).collect();
        SuggestResponse { suggestions: handlers::to_proto(self.state.suggester.suggest(&r.note, &extra, limit)) }
    }

    // -----------------------------------------------------------------------------------------
    // The coder's queue
    // -----------------------------------------------------------------------------------------

    fn item(&self, row: QueueRow, full: Option<Vec<QueueActionRow>>) -> Result<QueueItem, Error> {
        let review = CodingReviewRequired::decode(row.review.as_slice())
            .map_err(|e| Error::InvalidArgument(format!("stored review of claim {} unreadable: {e}", row.claim_id)))?;
        let age = (self.now() - row.queued_at).num_seconds().max(0) as u64;
        let mut item = QueueItem {
            tenant_id: row.tenant_id,
            claim_id: row.claim_id,
            encounter_id: row.encounter_id,
            state: row.state,
            queued_at: rfc3339(row.queued_at),
            age_seconds: age,
            estimated_charge_cents: row.estimated_charge_cents,
            service_date: row.service_date,
            findings: review.findings,
            suggestions: review.suggestions,
            encounter: None,
            claimed_by: row.claimed_by.unwrap_or_default(),
            resolved_by: row.resolved_by.unwrap_or_default(),
            actions: Vec::new(),
        };
        if let Some(actions) = full {
            item.encounter = Encounter::decode(row.encounter.as_slice()).ok();
            item.actions = actions
                .into_iter()
                .map(|a| QueueAction { action: a.action, actor: a.actor, at: rfc3339(a.at), detail: a.detail })
                .collect();
        }
        Ok(item)
    }

    pub async fn list_queue(&self, r: &ListQueueRequest) -> Result<ListQueueResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let filter = QueueFilter {
            by_amount: r.order == QueueOrder::Amount as i32,
            queued_before: (r.min_age_seconds > 0)
                .then(|| self.now() - chrono::Duration::seconds(i64::from(r.min_age_seconds))),
            min_amount_cents: r.min_amount_cents,
            include_resolved: r.include_resolved,
            limit: match r.limit {
                0 => 50,
                n => i64::from(n).min(MAX_LIST),
            },
        };
        let rows = store::list_queue(&self.host.pool, &r.tenant_id, &filter).await?;
        let items = rows.into_iter().map(|row| self.item(row, None)).collect::<Result<_, _>>()?;
        Ok(ListQueueResponse { items })
    }

    async fn full_item(&self, conn: &mut sqlx::PgConnection, tenant: &str, claim_id: &str) -> Result<QueueItem, Error> {
        let row = store::queue_item(&mut *conn, tenant, claim_id, false)
            .await?
            .ok_or_else(|| self.no_item(tenant, claim_id))?;
        let actions = store::actions(&mut *conn, tenant, claim_id).await?;
        self.item(row, Some(actions))
    }

    fn no_item(&self, tenant: &str, claim_id: &str) -> Error {
        Error::QueueItemNotFound { tenant: tenant.into(), claim_id: claim_id.into() }
    }

    pub async fn get_queue_item(&self, r: &QueueItemRef) -> Result<QueueItem, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let mut conn = self.host.pool.acquire().await?;
        self.full_item(&mut conn, &r.tenant_id, &r.claim_id).await
    }

    /// Locks an item for a coder's action: refuses one already resolved, or held by someone else.
    async fn lock_for(
        &self,
        tx: &mut sqlx::PgConnection,
        tenant: &str,
        claim_id: &str,
        coder: &str,
    ) -> Result<QueueRow, Error> {
        let row = store::queue_item(tx, tenant, claim_id, true).await?.ok_or_else(|| self.no_item(tenant, claim_id))?;
        if row.state == "resolved" {
            return Err(Error::QueueConflict(format!(
                "claim {claim_id} was already resolved by {}",
                row.resolved_by.as_deref().unwrap_or("?")
            )));
        }
        if let Some(holder) = row.claimed_by.as_deref().filter(|h| *h != coder) {
            return Err(Error::QueueConflict(format!("claim {claim_id} is claimed by {holder}")));
        }
        Ok(row)
    }

    pub async fn claim_item(&self, r: &ClaimQueueItemRequest) -> Result<QueueItem, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let coder = required(&r.coder, "coder")?;
        let now = self.now();
        let mut tx = self.host.pool.begin().await?;
        let row = self.lock_for(&mut tx, &r.tenant_id, &r.claim_id, coder).await?;
        if row.claimed_by.is_none() {
            store::set_claimed(&mut tx, &r.tenant_id, &r.claim_id, Some(coder), now).await?;
            let action =
                QueueActionRow { action: "claimed".into(), actor: coder.into(), at: now, detail: String::new() };
            store::record_action(&mut tx, &r.tenant_id, &r.claim_id, &action).await?;
        }
        let item = self.full_item(&mut tx, &r.tenant_id, &r.claim_id).await?;
        tx.commit().await?;
        Ok(item)
    }

    pub async fn release_item(&self, r: &ClaimQueueItemRequest) -> Result<QueueItem, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let coder = required(&r.coder, "coder")?;
        let now = self.now();
        let mut tx = self.host.pool.begin().await?;
        let row = self.lock_for(&mut tx, &r.tenant_id, &r.claim_id, coder).await?;
        if row.claimed_by.is_some() {
            store::set_claimed(&mut tx, &r.tenant_id, &r.claim_id, None, now).await?;
            let action =
                QueueActionRow { action: "released".into(), actor: coder.into(), at: now, detail: String::new() };
            store::record_action(&mut tx, &r.tenant_id, &r.claim_id, &action).await?;
        }
        let item = self.full_item(&mut tx, &r.tenant_id, &r.claim_id).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Applies a coder's corrections, judges the encounter again, and when it passes codes the
    /// claim: the queue item, the claim's state, the action and the `claim_coded` event are kept in
    /// one transaction, so a resolution is sent exactly once.
    pub async fn resolve_item(&self, r: &ResolveQueueItemRequest) -> Result<ResolveQueueItemResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let coder = required(&r.coder, "coder")?;
        let (tenant, claim_id) = (r.tenant_id.as_str(), r.claim_id.as_str());
        let now = self.now();
        let mut tx = self.host.pool.begin().await?;
        let row = self.lock_for(&mut tx, tenant, claim_id, coder).await?;
        let mut encounter = Encounter::decode(row.encounter.as_slice())
            .map_err(|e| Error::InvalidArgument(format!("stored encounter of claim {claim_id} unreadable: {e}")))?;
        apply_corrections(&mut encounter, r)?;

        let outcome = handlers::judge(&mut tx, &self.state, tenant, claim_id, &encounter, &[]).await?;
        let codes = encounter.diagnosis_codes.join(", ");
        let note = if r.note.is_empty() { String::new() } else { format!("; {}", r.note) };
        let response = match outcome {
            Outcome::Coded(coded) => {
                let claim = coded.claim.as_ref().expect("a coded outcome carries its claim");
                let record = store::CodedClaim {
                    tenant_id: tenant.into(),
                    claim_id: claim_id.into(),
                    encounter_id: row.encounter_id.clone(),
                    state: "coded".into(),
                    total_charge_cents: claim.total_charge_cents,
                    rule_ids: coded.findings.iter().map(|f| f.rule_id.clone()).collect(),
                    claim: Some(claim.encode_to_vec()),
                    event_id: uuid::Uuid::parse_str(&row.cause_event_id).unwrap_or_default(),
                    updated_at: now,
                };
                store::save(&mut tx, &record).await?;
                store::set_resolved(&mut tx, tenant, claim_id, coder, now).await?;
                let detail = format!("diagnoses {codes}{note}");
                store::record_action(
                    &mut tx,
                    tenant,
                    claim_id,
                    &QueueActionRow { action: "resolved".into(), actor: coder.into(), at: now, detail },
                )
                .await?;
                let origin = Origin {
                    tenant: tenant.into(),
                    claim_id: claim_id.into(),
                    correlation_id: row.correlation_id.clone(),
                    causation_id: row.cause_event_id.clone(),
                };
                let findings = coded.findings.clone();
                let env = self.host.new_event(&origin, Payload::ClaimCoded(*coded));
                self.host.enqueue(&mut tx, &env).await?;
                info!(%claim_id, "claim coded by a coder");
                ResolveQueueItemResponse { resolved: true, findings, item: None }
            }
            Outcome::ReviewRequired(rr) => {
                let rules: Vec<&str> = rr.findings.iter().map(|f| f.rule_id.as_str()).collect();
                let detail = format!("still failing: {}", rules.join(", "));
                store::record_action(
                    &mut tx,
                    tenant,
                    claim_id,
                    &QueueActionRow { action: "resolve_refused".into(), actor: coder.into(), at: now, detail },
                )
                .await?;
                ResolveQueueItemResponse { resolved: false, findings: rr.findings, item: None }
            }
        };
        let item = self.full_item(&mut tx, tenant, claim_id).await?;
        tx.commit().await?;
        Ok(ResolveQueueItemResponse { item: Some(item), ..response })
    }

    // -----------------------------------------------------------------------------------------
    // Tenant data
    // -----------------------------------------------------------------------------------------

    pub async fn load_cpt_file(&self, r: &LoadCptFileRequest) -> Result<LoadFileResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let actor = required(&r.actor, "actor")?;
        let file = cpt::LicensedCpt::parse(&r.content).map_err(|e| Error::InvalidArgument(format!("CPT file: {e}")))?;
        let rows: Vec<(String, String)> = file.iter().map(|(c, d)| (c.to_string(), d.to_string())).collect();
        let mut tx = self.host.pool.begin().await?;
        store::replace_cpt(&mut tx, &r.tenant_id, &rows, actor, self.now()).await?;
        tx.commit().await?;
        info!(tenant = %r.tenant_id, rows = rows.len(), "licensed CPT file loaded");
        Ok(LoadFileResponse { rows: rows.len() as u32 })
    }

    pub async fn load_fee_schedule(&self, r: &LoadFeeScheduleRequest) -> Result<LoadFileResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let actor = required(&r.actor, "actor")?;
        let fees =
            decide::parse_fee_schedule(&r.content).map_err(|e| Error::InvalidArgument(format!("fee schedule: {e}")))?;
        let mut tx = self.host.pool.begin().await?;
        store::replace_fee_schedule(&mut tx, &r.tenant_id, &fees, actor, self.now()).await?;
        tx.commit().await?;
        info!(tenant = %r.tenant_id, rows = fees.len(), "fee schedule loaded");
        Ok(LoadFileResponse { rows: fees.len() as u32 })
    }

    pub async fn tenant_settings(&self, tenant: &str) -> Result<TenantSettings, Error> {
        self.known_tenant(tenant).await?;
        let p = handlers::policy(&mut *self.host.pool.acquire().await?, &self.state.config, tenant).await?;
        Ok(TenantSettings {
            tenant_id: tenant.into(),
            auto_code_min_confidence: p.auto_code_min_confidence,
            always_review_suggestions: p.always_review_suggestions,
        })
    }

    pub async fn set_tenant_settings(&self, s: &TenantSettings, actor: &str) -> Result<TenantSettings, Error> {
        self.known_tenant(&s.tenant_id).await?;
        let min = match s.auto_code_min_confidence {
            0.0 => self.state.config.auto_code_min_confidence,
            m if m > 0.0 && m <= 1.0 => m,
            m => return Err(Error::InvalidArgument(format!("auto_code_min_confidence {m} is not in (0, 1]"))),
        };
        store::set_settings(&self.host.pool, &s.tenant_id, min, s.always_review_suggestions, actor, self.now()).await?;
        self.tenant_settings(&s.tenant_id).await
    }
}

/// A coder's corrections over the encounter as it arrived.
fn apply_corrections(e: &mut Encounter, r: &ResolveQueueItemRequest) -> Result<(), Error> {
    if !r.diagnosis_codes.is_empty() {
        e.diagnosis_codes = r.diagnosis_codes.iter().map(|c| decide::normalize_code(c)).collect();
    }
    for c in &r.lines {
        let count = e.lines.len();
        let line = e.lines.get_mut(c.index as usize).ok_or_else(|| {
            Error::InvalidArgument(format!("lines[{}] does not exist; the encounter has {count} line(s)", c.index))
        })?;
        if !c.procedure_code.is_empty() {
            line.procedure_code = c.procedure_code.clone();
        }
        if c.clear_modifiers || !c.modifiers.is_empty() {
            line.modifiers = c.modifiers.clone();
        }
        if !c.units.is_empty() {
            line.units = c.units.clone();
        }
        if !c.diagnosis_pointers.is_empty() {
            line.diagnosis_pointers = c.diagnosis_pointers.clone();
        }
    }
    Ok(())
}

/// Runs one call in a span that continues the caller's trace; errors become statuses.
macro_rules! call {
    ($request:ident, $method:literal, $tenant:expr, $body:expr) => {{
        let span = info_span!("grpc", service = crate::NAME, method = $method, tenant = %$tenant);
        rcm_runtime::telemetry::set_parent_from_metadata(&span, $request.metadata());
        let out: Result<_, Error> = $body.instrument(span).await;
        Ok(Response::new(out?))
    }};
}

/// Who acts, for requests that carry no actor field (until callers are authenticated).
fn actor_of<T>(request: &Request<T>) -> String {
    request.metadata().get("x-rcm-actor").and_then(|v| v.to_str().ok()).unwrap_or("operator").to_string()
}

#[tonic::async_trait]
impl CodingService for CodingApi {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let r = request.get_ref();
        call!(request, "GetClaimStatus", r.tenant_id, self.status(r))
    }

    async fn lookup(&self, request: Request<LookupRequest>) -> Result<Response<LookupResponse>, Status> {
        let r = request.get_ref();
        call!(request, "Lookup", r.tenant_id, self.lookup(r))
    }

    async fn search(&self, request: Request<SearchRequest>) -> Result<Response<SearchResponse>, Status> {
        let r = request.get_ref();
        call!(request, "Search", "", async { self.search(r) })
    }

    async fn validate(&self, request: Request<ValidateRequest>) -> Result<Response<ValidateResponse>, Status> {
        let r = request.get_ref();
        call!(request, "Validate", r.tenant_id, self.validate(r))
    }

    async fn suggest(&self, request: Request<SuggestRequest>) -> Result<Response<SuggestResponse>, Status> {
        let r = request.get_ref();
        call!(request, "Suggest", "", async { Ok(self.suggest(r)) })
    }

    async fn list_queue(&self, request: Request<ListQueueRequest>) -> Result<Response<ListQueueResponse>, Status> {
        let r = request.get_ref();
        call!(request, "ListQueue", r.tenant_id, self.list_queue(r))
    }

    async fn get_queue_item(&self, request: Request<QueueItemRef>) -> Result<Response<QueueItem>, Status> {
        let r = request.get_ref();
        call!(request, "GetQueueItem", r.tenant_id, self.get_queue_item(r))
    }

    async fn claim_queue_item(&self, request: Request<ClaimQueueItemRequest>) -> Result<Response<QueueItem>, Status> {
        let r = request.get_ref();
        call!(request, "ClaimQueueItem", r.tenant_id, self.claim_item(r))
    }

    async fn release_queue_item(&self, request: Request<ClaimQueueItemRequest>) -> Result<Response<QueueItem>, Status> {
        let r = request.get_ref();
        call!(request, "ReleaseQueueItem", r.tenant_id, self.release_item(r))
    }

    async fn resolve_queue_item(
        &self,
        request: Request<ResolveQueueItemRequest>,
    ) -> Result<Response<ResolveQueueItemResponse>, Status> {
        let r = request.get_ref();
        call!(request, "ResolveQueueItem", r.tenant_id, self.resolve_item(r))
    }

    async fn load_cpt_file(&self, request: Request<LoadCptFileRequest>) -> Result<Response<LoadFileResponse>, Status> {
        let r = request.get_ref();
        call!(request, "LoadCptFile", r.tenant_id, self.load_cpt_file(r))
    }

    async fn load_fee_schedule(
        &self,
        request: Request<LoadFeeScheduleRequest>,
    ) -> Result<Response<LoadFileResponse>, Status> {
        let r = request.get_ref();
        call!(request, "LoadFeeSchedule", r.tenant_id, self.load_fee_schedule(r))
    }

    async fn get_tenant_settings(&self, request: Request<TenantRef>) -> Result<Response<TenantSettings>, Status> {
        let r = request.get_ref();
        call!(request, "GetTenantSettings", r.tenant_id, self.tenant_settings(&r.tenant_id))
    }

    async fn set_tenant_settings(&self, request: Request<TenantSettings>) -> Result<Response<TenantSettings>, Status> {
        let actor = actor_of(&request);
        let r = request.get_ref();
        call!(request, "SetTenantSettings", r.tenant_id, self.set_tenant_settings(r, &actor))
    }
}
