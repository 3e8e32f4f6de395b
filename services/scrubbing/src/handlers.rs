//! Scrubbing's event handler: `coding.claim_coded` → `scrubbing.claim_scrubbed` or
//! `scrubbing.claim_rejected`.

use crate::config::ScrubbingConfig;
use crate::decide::{self, EditContext, Outcome};
use crate::error::Error;
use crate::store::{self, ScrubResult};
use rcm_proto::common::{Finding, Severity};
use rcm_proto::events::envelope::Payload;
use rcm_runtime::{Ctx, HandlerError};
use tracing::info;
use uuid::Uuid;

pub struct State {
    pub config: ScrubbingConfig,
}

fn count(findings: &[Finding], severity: Severity) -> i32 {
    findings.iter().filter(|f| f.severity == severity as i32).count() as i32
}

pub async fn on_claim_coded(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let bad = |reason| HandlerError::from(Error::BadEvent { event_id: env.event_id.clone(), reason });
    let Some(Payload::ClaimCoded(coded)) = &env.payload else { return Err(bad("not a ClaimCoded")) };
    let Some(claim) = coded.claim.clone() else { return Err(bad("the event carries no claim")) };
    if env.claim_id.is_empty() {
        return Err(bad("the event has no claim id"));
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad("the event id is not a UUID"))?;
    let now = ctx.now();
    let cx = EditContext {
        today: now.date_naive(),
        future_days_allowed: state.config.future_days_allowed,
        timely_filing_days: state.config.timely_filing_days,
    };
    let mut result = ScrubResult {
        tenant_id: env.tenant_id.clone(),
        claim_id: env.claim_id.clone(),
        patient_control_number: claim.patient_control_number.clone(),
        state: String::new(),
        total_charge_cents: claim.total_charge_cents,
        errors: 0,
        warnings: 0,
        rule_ids: Vec::new(),
        event_id,
        updated_at: now,
    };
    let payload = match decide::decide(claim, &cx) {
        Outcome::Scrubbed(s) => {
            result.state = "scrubbed".into();
            result.warnings = count(&s.warnings, Severity::Warning);
            result.rule_ids = s.warnings.iter().map(|f| f.rule_id.clone()).collect();
            info!(claim_id = %env.claim_id, warnings = result.warnings, "claim scrubbed");
            Payload::ClaimScrubbed(*s)
        }
        Outcome::Rejected(r) => {
            result.state = "rejected".into();
            result.errors = count(&r.findings, Severity::Error);
            result.warnings = count(&r.findings, Severity::Warning);
            result.rule_ids = r.findings.iter().map(|f| f.rule_id.clone()).collect();
            info!(claim_id = %env.claim_id, rules = ?result.rule_ids, "claim rejected by the edits");
            Payload::ClaimRejected(r)
        }
    };
    store::save(ctx.db(), &result).await?;
    ctx.emit(payload);
    Ok(())
}
