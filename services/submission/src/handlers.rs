//! Event handlers. Their writes go in the worker's transaction, with the inbox record.

use crate::decide::{self, Arrival};
use crate::store::{self, NewClaim};
use prost::Message as _;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::{Ctx, HandlerError};

/// What the handlers share (nothing yet: everything they need is in the event and the database).
#[derive(Debug, Default)]
pub struct State;

/// `scrubbing.claim_scrubbed`: the claim version waits, pending, for the next batch. A version the
/// tenant already has (a duplicate event, a redelivery under another message id) is left as it is;
/// a replacement (7) or void (8) of a claim already sent is its next version ([`decide::arrival`]).
pub async fn on_claim_scrubbed(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let Some(Payload::ClaimScrubbed(ev)) = &env.payload else {
        return Err(HandlerError::permanent(format!("event {}: not a ClaimScrubbed", env.event_id)));
    };
    let Some(claim) = &ev.claim else {
        return Err(HandlerError::permanent(format!("event {}: ClaimScrubbed without a claim", env.event_id)));
    };
    let claim_id = if env.claim_id.is_empty() { claim.claim_id.as_str() } else { env.claim_id.as_str() };
    if claim_id.is_empty() {
        return Err(HandlerError::permanent(format!("event {}: no claim id", env.event_id)));
    }
    let payer_id = claim.coverage.as_ref().map(|c| c.payer_id.trim()).unwrap_or_default();
    let total: i64 = claim.lines.iter().map(|l| l.charge_cents).sum();
    let frequency = match claim.frequency_code.trim() {
        "" => "1",
        f => f,
    };
    let latest = store::latest_version(ctx.db(), &env.tenant_id, claim_id).await?;
    let version = match decide::arrival(frequency, claim.version, latest) {
        Arrival::New { version } => version,
        Arrival::Duplicate => {
            tracing::info!(tenant = %env.tenant_id, claim_id, version = claim.version, event_id = %env.event_id, "claim version already known; not queued again");
            return Ok(());
        }
        Arrival::AfterPrevious => {
            return Err(HandlerError::transient(format!(
                "event {}: claim {claim_id} has a version waiting for the batcher; the correction follows it",
                env.event_id
            )));
        }
        Arrival::PreviousHeld { version } => {
            return Err(HandlerError::permanent(format!(
                "event {}: claim {claim_id} version {version} is held and was never sent; a correction cannot follow it",
                env.event_id
            )));
        }
    };
    let bytes = claim.encode_to_vec();
    let new = NewClaim {
        tenant: &env.tenant_id,
        claim_id,
        version,
        frequency_code: frequency,
        patient_control_number: decide::patient_control_number(claim),
        payer_id,
        total_charge_cents: total,
        claim: &bytes,
        correlation_id: &env.correlation_id,
        scrubbed_event_id: &env.event_id,
    };
    let inserted = store::insert_pending(ctx.db(), &new).await?;
    if inserted {
        tracing::debug!(tenant = %env.tenant_id, claim_id, version, frequency, "claim pending");
    } else {
        tracing::info!(tenant = %env.tenant_id, claim_id, version, event_id = %env.event_id, "claim version already known; not queued again");
    }
    Ok(())
}

/// `remittance.secondary_claim_requested`: the primary payer has adjudicated; the claim goes on to the
/// next payer as a new claim (the event's claim id) built from the primary as submission stored it,
/// with the primary's adjudication in loops 2320/2330/2430 ([`decide::secondary_claim`]), pending
/// for the next batch. A claim the primary payer crossed over itself is recorded held, not sent (the
/// next payer has it already); one whose next payer is not among the claim's coverages is refused
/// (dead-lettered with the reason).
pub async fn on_secondary_claim_requested(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let Some(Payload::SecondaryClaimRequested(ev)) = &env.payload else {
        return Err(HandlerError::permanent(format!("event {}: not a SecondaryClaimRequested", env.event_id)));
    };
    if env.claim_id.is_empty() || ev.primary_claim_id.is_empty() {
        return Err(HandlerError::permanent(format!("event {}: no claim id or primary claim id", env.event_id)));
    }
    let Some(bytes) = store::latest_claim(ctx.db(), &env.tenant_id, &ev.primary_claim_id).await? else {
        return Err(HandlerError::permanent(format!(
            "event {}: primary claim {} was never submitted here",
            env.event_id, ev.primary_claim_id
        )));
    };
    let primary = rcm_proto::common::Claim::decode(bytes.as_slice()).map_err(|_| {
        HandlerError::permanent(format!("claim {}: the stored claim cannot be decoded", ev.primary_claim_id))
    })?;
    let adjudication = ev.primary.clone().unwrap_or_default();
    let claim = decide::secondary_claim(&primary, &env.claim_id, &ev.payer_id, &adjudication).map_err(|e| {
        HandlerError::permanent(format!(
            "event {}: secondary claim {}: {} {}",
            env.event_id, env.claim_id, e.field, e.reason
        ))
    })?;
    let bytes = claim.encode_to_vec();
    let payer_id = claim.coverage.as_ref().map(|c| c.payer_id.trim()).unwrap_or_default();
    let new = NewClaim {
        tenant: &env.tenant_id,
        claim_id: &env.claim_id,
        version: 1,
        frequency_code: "1",
        patient_control_number: decide::patient_control_number(&claim),
        payer_id,
        total_charge_cents: claim.lines.iter().map(|l| l.charge_cents).sum(),
        claim: &bytes,
        correlation_id: &env.correlation_id,
        scrubbed_event_id: &env.event_id,
    };
    if !store::insert_pending(ctx.db(), &new).await? {
        tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, "secondary claim already known; not queued again");
        return Ok(());
    }
    if ev.crossed_over {
        store::mark_held(
            ctx.db(),
            &env.tenant_id,
            &env.claim_id,
            1,
            "crossed over by the primary payer; not sent again",
        )
        .await?;
        tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, payer = %ev.payer_id, "secondary claim crossed over; held");
    } else {
        tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, payer = %ev.payer_id, "secondary claim pending");
    }
    Ok(())
}
