//! Event handlers, each in the worker's transaction (its writes and the inbox record commit together).
//!
//! - `submission.claim_submitted`: record the claim as expected (patient control number, payer, billed
//!   total and lines, and the event's chain ids and trace context, which the events posted from its
//!   835 continue).

use crate::error::Error;
use crate::store::{self, Submitted};
use rcm_proto::events::envelope::Payload;
use rcm_runtime::{Ctx, HandlerError};

/// What the handlers share.
pub struct State {}

pub async fn on_claim_submitted(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let bad =
        |what: &str| -> HandlerError { Error::BadEvent { event_id: env.event_id.clone(), what: what.into() }.into() };
    let Some(Payload::ClaimSubmitted(s)) = &env.payload else {
        return Err(bad("not a claim_submitted event"));
    };
    if env.claim_id.is_empty() {
        return Err(bad("a claim_submitted event without a claim id"));
    }
    if s.patient_control_number.is_empty() {
        return Err(bad("a claim_submitted event without a patient control number"));
    }
    let submitted = Submitted {
        tenant_id: &env.tenant_id,
        claim_id: &env.claim_id,
        patient_control_number: &s.patient_control_number,
        payer_id: &s.payer_id,
        billed_cents: s.total_charge_cents,
        batch_id: &s.batch_id,
        file_name: &s.file_name,
        correlation_id: &env.correlation_id,
        submitted_event_id: &env.event_id,
        traceparent: rcm_runtime::telemetry::current_traceparent(),
        lines: &s.lines,
        now: ctx.now(),
    };
    let submissions = store::record_submitted(ctx.db(), &submitted).await.map_err(Error::from)?;
    tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, submissions, "claim expected");
    metrics::counter!("rcm_remittance_claims_expected_total").increment(1);
    Ok(())
}
