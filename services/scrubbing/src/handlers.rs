//! Scrubbing's event handler: `coding.claim_coded` → `scrubbing.claim_scrubbed` (with its
//! warnings) or `scrubbing.claim_rejected` (with every finding). The claim, the scrub in its
//! history and (when it passes) its services as sent go in the handler's transaction.

use crate::decide::{self, Outcome};
use crate::error::Error;
use crate::service::{self, Origin, State};
use rcm_proto::events::envelope::Payload;
use rcm_runtime::{Ctx, HandlerError};
use tracing::info;
use uuid::Uuid;

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
    let origin = Origin {
        tenant: &env.tenant_id,
        claim_id: &env.claim_id,
        event_id,
        correlation_id: &env.correlation_id,
        trigger: "claim_coded",
    };
    let recorded = service::scrub_and_record(ctx.db(), state, &origin, &claim, now).await?;
    let s = &recorded.scrub;
    let payload = match decide::outcome(claim, s) {
        Outcome::Scrubbed(ev) => {
            info!(claim_id = %env.claim_id, warnings = ev.warnings.len(), "claim scrubbed");
            Payload::ClaimScrubbed(*ev)
        }
        Outcome::Rejected(ev) => {
            info!(claim_id = %env.claim_id, rules = ?s.rule_ids(), "claim rejected by the edits");
            Payload::ClaimRejected(ev)
        }
    };
    ctx.emit(payload);
    Ok(())
}
