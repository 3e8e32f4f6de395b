//! `rcm.scrubbing.v1.ScrubbingService`.

use crate::decide::{self, Context, Override};
use crate::error::Error;
use crate::packs::{self, Pack, PackRule};
use crate::rules::{self, PackInfo, Rule};
use crate::service::{self, Origin, State};
use crate::store::{self, StoredPack};
use chrono::{DateTime, SecondsFormat, Utc};
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::events::ClaimScrubbed;
use rcm_proto::events::envelope::Payload;
use rcm_proto::scrubbing::scrubbing_service_server::ScrubbingService;
use rcm_proto::scrubbing::{
    ClaimFindings, ExplainRuleRequest, FindingOverride, ListRulePacksRequest, ListRulePacksResponse, ListRulesRequest,
    ListRulesResponse, LoadRulePackRequest, OverrideFindingRequest, RemoveRulePackRequest, RescrubRequest,
    RescrubResponse, RuleInfo, RulePackInfo, ScrubRequest, ScrubResponse, ScrubRun,
};
use rcm_runtime::ServiceHost;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tracing::{Instrument, info, info_span};

/// The gRPC service; also callable directly.
#[derive(Clone)]
pub struct ScrubbingApi {
    host: ServiceHost,
    state: Arc<State>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn date_text(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn builtin_rule_info(rule: &Rule, packs: &[PackInfo]) -> RuleInfo {
    let pack = packs.iter().find(|p| p.id == rule.pack);
    RuleInfo {
        rule_id: rule.id.into(),
        severity: rule.severity.proto() as i32,
        pack: rule.pack.into(),
        pack_version: pack.map(|p| p.version.clone()).unwrap_or_default(),
        checks: rule.checks.into(),
        source: rule.source.into(),
        scope: "built-in".into(),
        effective_from: date_text(pack.and_then(|p| p.effective_from)),
        effective_to: date_text(pack.and_then(|p| p.effective_to)),
        coverage_note: pack.map(|p| p.coverage_note.clone()).unwrap_or_default(),
    }
}

fn pack_rule_info(pack: &Pack, rule: &PackRule) -> RuleInfo {
    RuleInfo {
        rule_id: rule.id.clone(),
        severity: rule.severity.proto() as i32,
        pack: pack.id.clone(),
        pack_version: pack.version.clone(),
        checks: format!("{}; it says: {}", rule.describe(), rule.message),
        source: if rule.source.is_empty() { format!("pack {}", pack.label()) } else { rule.source.clone() },
        scope: pack.scope(),
        effective_from: pack.effective_from.to_string(),
        effective_to: date_text(pack.effective_to),
        coverage_note: String::new(),
    }
}

fn builtin_pack_info(p: &PackInfo) -> RulePackInfo {
    RulePackInfo {
        pack_id: p.id.into(),
        version: p.version.clone(),
        name: p.name.into(),
        scope: "built-in".into(),
        payer_id: String::new(),
        effective_from: date_text(p.effective_from),
        effective_to: date_text(p.effective_to),
        rules: rules::BUILTIN.iter().filter(|r| r.pack == p.id).count() as u32,
        active: true,
        loaded_at: String::new(),
        loaded_by: String::new(),
        coverage_note: p.coverage_note.clone(),
    }
}

/// A stored pack's description (its text is read again for its name, dates and rules).
pub fn stored_pack_info(s: &StoredPack) -> RulePackInfo {
    let parsed = packs::parse(&s.text, &s.payer_id).ok();
    RulePackInfo {
        pack_id: s.pack_id.clone(),
        version: s.version.clone(),
        name: parsed.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        scope: if s.payer_id.is_empty() { "tenant".into() } else { format!("payer {}", s.payer_id) },
        payer_id: s.payer_id.clone(),
        effective_from: parsed.as_ref().map(|p| p.effective_from.to_string()).unwrap_or_default(),
        effective_to: date_text(parsed.as_ref().and_then(|p| p.effective_to)),
        rules: parsed.as_ref().map(|p| p.rules.len() as u32).unwrap_or(0),
        active: s.active,
        loaded_at: rfc3339(s.loaded_at),
        loaded_by: s.loaded_by.clone(),
        coverage_note: match parsed {
            Some(_) => String::new(),
            None => "this build cannot read the pack's text".into(),
        },
    }
}

impl ScrubbingApi {
    pub fn new(host: ServiceHost, state: Arc<State>) -> Self {
        ScrubbingApi { host, state }
    }

    fn now(&self) -> DateTime<Utc> {
        self.host.platform.det.clock.now()
    }

    async fn known_tenant(&self, tenant: &str) -> Result<(), Error> {
        if !self.host.platform.tenants().await?.iter().any(|t| t == tenant) {
            return Err(Error::UnknownTenant(tenant.to_string()));
        }
        Ok(())
    }

    /// Where scrubbing stands with a claim: `scrubbed` or `rejected`, the detail listing the
    /// findings' rule ids.
    pub async fn status(&self, r: &ClaimRef) -> Result<ServiceClaimStatus, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let c = store::get(&self.host.pool, &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::ClaimNotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        let detail = format!(
            "{} error(s), {} warning(s){}{}",
            c.errors,
            c.warnings,
            if c.rule_ids.is_empty() { "" } else { ": " },
            c.rule_ids.join(", ")
        );
        Ok(ServiceClaimStatus { claim_id: c.claim_id, state: c.state, updated_at: rfc3339(c.updated_at), detail })
    }

    /// A dry run: the findings today's packs give the claim; nothing kept, nothing sent.
    pub async fn scrub(&self, r: &ScrubRequest) -> Result<ScrubResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let claim = r.claim.as_ref().ok_or_else(|| Error::InvalidArgument("the request has no claim".into()))?;
        let now = self.now();
        let today = match r.today.trim() {
            "" => now.date_naive(),
            t => {
                decide::parse_date(t).ok_or_else(|| Error::InvalidArgument(format!("today `{t}` is not YYYY-MM-DD")))?
            }
        };
        let tables = self.state.tables().await?;
        let mut conn = self.host.pool.acquire().await?;
        let inputs = service::inputs(&mut conn, &self.state, &r.tenant_id, &claim.claim_id, claim, now, false).await?;
        let cx = Context { today, packs: &inputs.packs, prior: &inputs.prior, overrides: &inputs.overrides };
        let s = decide::scrub(claim, &tables, &self.state.settings, &cx);
        Ok(ScrubResponse {
            outcome: s.state().into(),
            findings: s.findings.iter().map(|f| f.to_api()).collect(),
            packs: s.packs.clone(),
        })
    }

    async fn builtin_packs(&self) -> Result<Vec<PackInfo>, Error> {
        Ok(self.state.tables().await?.packs().to_vec())
    }

    pub async fn explain(&self, r: &ExplainRuleRequest) -> Result<RuleInfo, Error> {
        let id = r.rule_id.trim();
        if let Some(rule) = rules::builtin(id) {
            return Ok(builtin_rule_info(rule, &self.builtin_packs().await?));
        }
        if !r.tenant_id.is_empty() {
            self.known_tenant(&r.tenant_id).await?;
            let mut conn = self.host.pool.acquire().await?;
            let packs = self.state.packs.get(&mut conn, &r.tenant_id).await?;
            if let Some((pack, rule)) = packs.rule(id) {
                return Ok(pack_rule_info(pack, rule));
            }
        }
        Err(Error::RuleNotFound(id.to_string()))
    }

    pub async fn list_rules(&self, r: &ListRulesRequest) -> Result<ListRulesResponse, Error> {
        let packs = self.builtin_packs().await?;
        let mut out: Vec<RuleInfo> = rules::BUILTIN.iter().map(|rule| builtin_rule_info(rule, &packs)).collect();
        if !r.tenant_id.is_empty() {
            self.known_tenant(&r.tenant_id).await?;
            let mut conn = self.host.pool.acquire().await?;
            let tenant_packs = self.state.packs.get(&mut conn, &r.tenant_id).await?;
            for p in &tenant_packs.packs {
                out.extend(p.rules.iter().map(|rule| pack_rule_info(p, rule)));
            }
        }
        Ok(ListRulesResponse { rules: out })
    }

    pub async fn load_pack(&self, r: &LoadRulePackRequest) -> Result<RulePackInfo, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let who = r.loaded_by.trim();
        if who.is_empty() || who.len() > 100 {
            return Err(Error::InvalidArgument("loaded_by must name who loads the pack (1 to 100 characters)".into()));
        }
        let mut tx = self.host.pool.begin().await?;
        let (pack, stored) = service::load_pack(&mut tx, &r.tenant_id, &r.payer_id, &r.text, who, self.now()).await?;
        tx.commit().await?;
        info!(tenant = %r.tenant_id, pack = %pack.label(), scope = %pack.scope(), rules = pack.rules.len(), "rule pack loaded");
        Ok(stored_pack_info(&stored))
    }

    pub async fn list_packs(&self, r: &ListRulePacksRequest) -> Result<ListRulePacksResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let mut packs: Vec<RulePackInfo> = self.builtin_packs().await?.iter().map(builtin_pack_info).collect();
        let stored = store::packs(&self.host.pool, &r.tenant_id, r.include_inactive).await?;
        packs.extend(stored.iter().map(stored_pack_info));
        Ok(ListRulePacksResponse { packs })
    }

    pub async fn remove_pack(&self, r: &RemoveRulePackRequest) -> Result<RulePackInfo, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let mut tx = self.host.pool.begin().await?;
        let active = store::packs(&mut *tx, &r.tenant_id, false).await?;
        let Some(mut pack) =
            active.into_iter().find(|p| p.payer_id == r.payer_id.trim() && p.pack_id == r.pack_id.trim())
        else {
            return Err(Error::PackNotFound {
                tenant: r.tenant_id.clone(),
                payer: r.payer_id.trim().into(),
                pack_id: r.pack_id.trim().into(),
            });
        };
        store::deactivate_pack(&mut tx, &r.tenant_id, &pack.payer_id, &pack.pack_id).await?;
        tx.commit().await?;
        pack.active = false;
        info!(tenant = %r.tenant_id, pack = %pack.pack_id, "rule pack removed");
        Ok(stored_pack_info(&pack))
    }

    /// Scrubs a stored claim again (after recording an override, when given) and releases it when
    /// it was rejected and now passes.
    async fn rescrub_stored(
        &self,
        tenant: &str,
        claim_id: &str,
        trigger: &str,
        new_override: Option<Override>,
    ) -> Result<RescrubResponse, Error> {
        self.known_tenant(tenant).await?;
        let now = self.now();
        let mut tx = self.host.pool.begin().await?;
        let row = store::get_for_update(&mut tx, tenant, claim_id)
            .await?
            .ok_or_else(|| Error::ClaimNotFound { tenant: tenant.into(), claim_id: claim_id.into() })?;
        let claim = service::stored_claim(&row)?;
        if let Some(o) = &new_override {
            let runs = store::runs(&mut *tx, tenant, claim_id).await?;
            let latest = runs.last().map(|r| r.findings.as_slice()).unwrap_or_default();
            if !latest.iter().any(|f| f.rule_id == o.rule_id && (o.field.is_empty() || f.field == o.field)) {
                let on = if o.field.is_empty() { String::new() } else { format!(" on {}", o.field) };
                let found: Vec<String> = latest.iter().map(|f| format!("{} on {}", f.rule_id, f.field)).collect();
                return Err(Error::NothingToOverride(format!(
                    "rule {} has no finding{on} on claim {claim_id}; its findings: {}",
                    o.rule_id,
                    if found.is_empty() { "none".into() } else { found.join(", ") }
                )));
            }
            store::insert_override(&mut tx, tenant, claim_id, o, now).await?;
        }
        let origin = Origin { tenant, claim_id, event_id: row.event_id, correlation_id: &row.correlation_id, trigger };
        let recorded = service::scrub_and_record(&mut tx, &self.state, &origin, &claim, now).await?;
        let s = &recorded.scrub;
        if recorded.released_now {
            let warnings = s.findings.iter().map(|f| f.to_event()).collect();
            let origin = rcm_runtime::envelope::Origin {
                tenant: tenant.into(),
                claim_id: claim_id.into(),
                correlation_id: row.correlation_id.clone(),
                causation_id: row.event_id.to_string(),
            };
            let env =
                self.host.new_event(&origin, Payload::ClaimScrubbed(ClaimScrubbed { claim: Some(claim), warnings }));
            self.host.enqueue(&mut tx, &env).await?;
        }
        tx.commit().await?;
        info!(%tenant, %claim_id, trigger, outcome = s.state(), released = recorded.released_now, "claim scrubbed again");
        Ok(RescrubResponse {
            outcome: s.state().into(),
            findings: s.findings.iter().map(|f| f.to_api()).collect(),
            released: recorded.released_now,
        })
    }

    pub async fn override_finding(&self, r: &OverrideFindingRequest) -> Result<RescrubResponse, Error> {
        let (rule, reason, who) = (r.rule_id.trim(), r.reason.trim(), r.who.trim());
        if rule.is_empty() {
            return Err(Error::InvalidArgument("rule_id is required".into()));
        }
        if reason.is_empty() || reason.len() > 500 {
            return Err(Error::InvalidArgument("an override needs a reason (1 to 500 characters)".into()));
        }
        if who.is_empty() || who.len() > 100 {
            return Err(Error::InvalidArgument(
                "an override needs who makes it (a user id, 1 to 100 characters)".into(),
            ));
        }
        let o = Override { rule_id: rule.into(), field: r.field.trim().into(), reason: reason.into(), who: who.into() };
        self.rescrub_stored(&r.tenant_id, &r.claim_id, "override", Some(o)).await
    }

    pub async fn rescrub(&self, r: &RescrubRequest) -> Result<RescrubResponse, Error> {
        self.rescrub_stored(&r.tenant_id, &r.claim_id, "rescrub", None).await
    }

    pub async fn findings(&self, r: &ClaimRef) -> Result<ClaimFindings, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let row = store::get(&self.host.pool, &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::ClaimNotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        let runs = store::runs(&self.host.pool, &r.tenant_id, &r.claim_id).await?;
        let overrides = store::overrides(&self.host.pool, &r.tenant_id, &r.claim_id).await?;
        Ok(ClaimFindings {
            claim_id: row.claim_id,
            state: row.state,
            runs: runs
                .into_iter()
                .map(|run| ScrubRun {
                    at: rfc3339(run.at),
                    trigger: run.trigger,
                    outcome: run.state,
                    findings: run.findings.iter().map(|f| f.to_api()).collect(),
                    packs: run.packs,
                })
                .collect(),
            overrides: overrides
                .into_iter()
                .map(|o| FindingOverride {
                    rule_id: o.rule.rule_id,
                    field: o.rule.field,
                    reason: o.rule.reason,
                    who: o.rule.who,
                    at: rfc3339(o.at),
                })
                .collect(),
        })
    }
}

/// Runs a call in a span named after the method, with the caller's trace context.
async fn traced<T, F>(
    method: &'static str,
    tenant: &str,
    metadata: &tonic::metadata::MetadataMap,
    f: F,
) -> Result<Response<T>, Status>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let span = info_span!("grpc", service = crate::NAME, method, tenant = %tenant);
    rcm_runtime::telemetry::set_parent_from_metadata(&span, metadata);
    Ok(Response::new(f.instrument(span).await?))
}

#[tonic::async_trait]
impl ScrubbingService for ScrubbingApi {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let r = request.get_ref();
        traced("GetClaimStatus", &r.tenant_id, request.metadata(), self.status(r)).await
    }

    async fn scrub(&self, request: Request<ScrubRequest>) -> Result<Response<ScrubResponse>, Status> {
        let r = request.get_ref();
        traced("Scrub", &r.tenant_id, request.metadata(), ScrubbingApi::scrub(self, r)).await
    }

    async fn explain_rule(&self, request: Request<ExplainRuleRequest>) -> Result<Response<RuleInfo>, Status> {
        let r = request.get_ref();
        traced("ExplainRule", &r.tenant_id, request.metadata(), self.explain(r)).await
    }

    async fn list_rules(&self, request: Request<ListRulesRequest>) -> Result<Response<ListRulesResponse>, Status> {
        let r = request.get_ref();
        traced("ListRules", &r.tenant_id, request.metadata(), ScrubbingApi::list_rules(self, r)).await
    }

    async fn load_rule_pack(&self, request: Request<LoadRulePackRequest>) -> Result<Response<RulePackInfo>, Status> {
        let r = request.get_ref();
        traced("LoadRulePack", &r.tenant_id, request.metadata(), self.load_pack(r)).await
    }

    async fn list_rule_packs(
        &self,
        request: Request<ListRulePacksRequest>,
    ) -> Result<Response<ListRulePacksResponse>, Status> {
        let r = request.get_ref();
        traced("ListRulePacks", &r.tenant_id, request.metadata(), self.list_packs(r)).await
    }

    async fn remove_rule_pack(
        &self,
        request: Request<RemoveRulePackRequest>,
    ) -> Result<Response<RulePackInfo>, Status> {
        let r = request.get_ref();
        traced("RemoveRulePack", &r.tenant_id, request.metadata(), self.remove_pack(r)).await
    }

    async fn override_finding(
        &self,
        request: Request<OverrideFindingRequest>,
    ) -> Result<Response<RescrubResponse>, Status> {
        let r = request.get_ref();
        traced("OverrideFinding", &r.tenant_id, request.metadata(), ScrubbingApi::override_finding(self, r)).await
    }

    async fn rescrub(&self, request: Request<RescrubRequest>) -> Result<Response<RescrubResponse>, Status> {
        let r = request.get_ref();
        traced("Rescrub", &r.tenant_id, request.metadata(), ScrubbingApi::rescrub(self, r)).await
    }

    async fn get_findings(&self, request: Request<ClaimRef>) -> Result<Response<ClaimFindings>, Status> {
        let r = request.get_ref();
        traced("GetFindings", &r.tenant_id, request.metadata(), self.findings(r)).await
    }
}
