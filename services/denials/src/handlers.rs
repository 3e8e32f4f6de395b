//! Event handlers. Each runs in the worker's transaction: its writes, the inbox record and the events
//! it emits commit together.
//!
//! - `remittance.claim_denied`, `remittance.claim_partially_paid`: record the adjudication, classify the
//!   denial, queue a work item (once per claim and remittance) and emit `denials.denial_queued`.
//! - `remittance.claim_paid`: record the adjudication (for the denial-rate and first-pass-yield report).

use crate::decide::{self, Outcome};
use crate::error::Error;
use crate::store::{self, NewWorkItem};
use rcm_proto::events::{DenialQueued, Remittance, envelope::Payload};
use rcm_runtime::{Ctx, HandlerError};
use uuid::Uuid;

/// What the handlers share.
pub struct State {}

pub async fn on_claim_denied(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimDenied(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_denied event without its remittance"))?;
    queue(ctx, Outcome::Denied, &r).await
}

pub async fn on_claim_partially_paid(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimPartiallyPaid(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_partially_paid event without its remittance"))?;
    queue(ctx, Outcome::PartiallyPaid, &r).await
}

pub async fn on_claim_paid(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimPaid(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_paid event without its remittance"))?;
    let (event_id, occurred_at) = event_facts(ctx)?;
    let (tenant, claim) = (ctx.tenant().to_string(), ctx.claim_id().to_string());
    let key = decide::remittance_key(&r);
    if store::record_adjudication(ctx.db(), &tenant, &claim, &key, Outcome::Paid, event_id, occurred_at)
        .await
        .map_err(Error::from)?
    {
        metrics::counter!("rcm_denials_adjudications_total", "outcome" => "paid").increment(1);
    }
    Ok(())
}

fn bad_event(ctx: &Ctx, what: &str) -> HandlerError {
    Error::BadEvent { event_id: ctx.envelope().event_id.clone(), what: what.into() }.into()
}

/// The incoming event's id and time (the worker has already checked that the id is a UUID).
fn event_facts(ctx: &Ctx) -> Result<(Uuid, chrono::DateTime<chrono::Utc>), HandlerError> {
    let env = ctx.envelope();
    if env.claim_id.is_empty() {
        return Err(bad_event(ctx, "a remittance event without a claim id"));
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad_event(ctx, "an event id that is not a UUID"))?;
    let occurred_at = env
        .occurred_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_else(|| ctx.now());
    Ok((event_id, occurred_at))
}

async fn queue(ctx: &mut Ctx, outcome: Outcome, r: &Remittance) -> Result<(), HandlerError> {
    let (event_id, occurred_at) = event_facts(ctx)?;
    let tenant = ctx.tenant().to_string();
    let claim = ctx.claim_id().to_string();
    let correlation_id = ctx.envelope().correlation_id.clone();
    let key = decide::remittance_key(r);
    if store::record_adjudication(ctx.db(), &tenant, &claim, &key, outcome, event_id, occurred_at)
        .await
        .map_err(Error::from)?
    {
        metrics::counter!("rcm_denials_adjudications_total", "outcome" => outcome.as_str()).increment(1);
    }

    let c = decide::classify(outcome, r);
    let work_item_id = ctx.new_id();
    let item = NewWorkItem {
        work_item_id,
        tenant_id: &tenant,
        claim_id: &claim,
        remittance_key: &key,
        source_event_id: event_id,
        correlation_id: &correlation_id,
        outcome,
        classification: &c,
        remittance: r,
        now: ctx.now(),
    };
    if !store::insert_work_item(ctx.db(), &item).await.map_err(Error::from)? {
        tracing::info!(%tenant, claim_id = %claim, %event_id, "this remittance is already in the work queue; nothing new");
        return Ok(());
    }
    tracing::info!(
        %tenant,
        claim_id = %claim,
        %work_item_id,
        category = c.category.as_str(),
        priority = c.priority,
        "denial queued"
    );
    metrics::counter!("rcm_denials_queued_total", "category" => c.category.as_str()).increment(1);
    ctx.emit(Payload::DenialQueued(DenialQueued {
        work_item_id: work_item_id.to_string(),
        category: c.category.as_str().to_string(),
        priority: c.priority,
    }));
    Ok(())
}
