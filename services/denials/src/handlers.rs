//! Event handlers. Each runs in the worker's transaction: its writes, the inbox record and the events
//! it emits commit together.
//!
//! - `remittance.claim_denied`, `remittance.claim_partially_paid`: record the adjudication, classify the
//!   denial, set its appeal deadline from the payer's rules, queue a work item (once per claim and
//!   remittance) and emit `denials.denial_queued`.
//! - `remittance.claim_paid`: record the adjudication (for the reports).
//! - `scrubbing.claim_scrubbed`, `scrubbing.claim_rejected`, `submission.claim_submitted`: the
//!   reporting projection (the claim's payer, filing indicator, service date, charge and first
//!   submission; each scrubbing result). A work item queued before its claim's payer was known gets
//!   the payer and its deadline then.

use crate::config::DenialsConfig;
use crate::decide::{self, Outcome};
use crate::error::Error;
use crate::store::{self, AdjudicationRecord, ClaimFacts, NewAction, NewWorkItem};
use chrono::NaiveDate;
use rcm_proto::events::{DenialQueued, Remittance, envelope::Payload};
use rcm_runtime::{Ctx, HandlerError};
use uuid::Uuid;

/// What the handlers share.
pub struct State {
    pub config: DenialsConfig,
}

pub async fn on_claim_denied(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimDenied(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_denied event without its remittance"))?;
    queue(ctx, state, Outcome::Denied, &r).await
}

pub async fn on_claim_partially_paid(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimPartiallyPaid(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_partially_paid event without its remittance"))?;
    queue(ctx, state, Outcome::PartiallyPaid, &r).await
}

pub async fn on_claim_paid(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let r = match &ctx.envelope().payload {
        Some(Payload::ClaimPaid(e)) => e.remittance.clone(),
        _ => None,
    };
    let r = r.ok_or_else(|| bad_event(ctx, "a claim_paid event without its remittance"))?;
    adjudicated(ctx, Outcome::Paid, &r).await?;
    Ok(())
}

pub async fn on_claim_scrubbed(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let claim = match &ctx.envelope().payload {
        Some(Payload::ClaimScrubbed(e)) => e.claim.clone().unwrap_or_default(),
        _ => return Err(bad_event(ctx, "not a claim_scrubbed event")),
    };
    let coverage = claim.coverage.unwrap_or_default();
    let facts = ClaimFacts {
        payer_id: coverage.payer_id,
        claim_filing: coverage.claim_filing,
        service_date: NaiveDate::parse_from_str(&claim.service_date, "%Y-%m-%d").ok(),
        charge_cents: claim.total_charge_cents,
        first_submitted_at: None,
    };
    let (event_id, at) = event_facts(ctx)?;
    let (tenant, claim_id) = (ctx.tenant().to_string(), ctx.claim_id().to_string());
    store::record_scrub(ctx.db(), &tenant, &claim_id, event_id, true, at).await.map_err(Error::from)?;
    claim_facts(ctx, state, &facts).await
}

pub async fn on_claim_rejected(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    if !matches!(&ctx.envelope().payload, Some(Payload::ClaimRejected(_))) {
        return Err(bad_event(ctx, "not a claim_rejected event"));
    }
    let (event_id, at) = event_facts(ctx)?;
    let (tenant, claim_id) = (ctx.tenant().to_string(), ctx.claim_id().to_string());
    store::record_scrub(ctx.db(), &tenant, &claim_id, event_id, false, at).await.map_err(Error::from)?;
    Ok(())
}

pub async fn on_claim_submitted(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let s = match &ctx.envelope().payload {
        Some(Payload::ClaimSubmitted(e)) => e.clone(),
        _ => return Err(bad_event(ctx, "not a claim_submitted event")),
    };
    let (_, at) = event_facts(ctx)?;
    let service_date = s.lines.iter().filter_map(|l| NaiveDate::parse_from_str(&l.service_date, "%Y-%m-%d").ok()).min();
    let facts = ClaimFacts {
        payer_id: s.payer_id,
        claim_filing: String::new(),
        service_date,
        charge_cents: s.total_charge_cents,
        first_submitted_at: Some(at),
    };
    claim_facts(ctx, state, &facts).await
}

/// Records the claim's facts, and gives work items queued before the payer was known their payer
/// and deadline.
async fn claim_facts(ctx: &mut Ctx, state: &State, facts: &ClaimFacts) -> Result<(), HandlerError> {
    let (tenant, claim_id) = (ctx.tenant().to_string(), ctx.claim_id().to_string());
    store::upsert_claim_facts(ctx.db(), &tenant, &claim_id, facts).await.map_err(Error::from)?;
    if facts.payer_id.is_empty() {
        return Ok(());
    }
    let known = store::claim_facts(ctx.db(), &tenant, &claim_id).await.map_err(Error::from)?;
    for (work_item_id, remit_date) in
        store::items_without_payer(ctx.db(), &tenant, &claim_id).await.map_err(Error::from)?
    {
        let (days, rule) = state.config.appeal_days(&tenant, &known.payer_id, &known.claim_filing);
        let deadline = decide::appeal_deadline(remit_date, days);
        store::set_item_payer(ctx.db(), &tenant, work_item_id, &known, deadline, &rule).await.map_err(Error::from)?;
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
        return Err(bad_event(ctx, "an event without a claim id"));
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad_event(ctx, "an event id that is not a UUID"))?;
    let occurred_at = env
        .occurred_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_else(|| ctx.now());
    Ok((event_id, occurred_at))
}

/// Records the adjudication; returns the event's id and time.
async fn adjudicated(
    ctx: &mut Ctx,
    outcome: Outcome,
    r: &Remittance,
) -> Result<(Uuid, chrono::DateTime<chrono::Utc>), HandlerError> {
    let (event_id, occurred_at) = event_facts(ctx)?;
    let (tenant, claim) = (ctx.tenant().to_string(), ctx.claim_id().to_string());
    let key = decide::remittance_key(r);
    let record = AdjudicationRecord {
        tenant: &tenant,
        claim_id: &claim,
        remittance_key: &key,
        outcome,
        event_id,
        occurred_at,
        remittance: r,
    };
    if store::record_adjudication(ctx.db(), &record).await.map_err(Error::from)? {
        metrics::counter!("rcm_denials_adjudications_total", "outcome" => outcome.as_str()).increment(1);
    }
    Ok((event_id, occurred_at))
}

async fn queue(ctx: &mut Ctx, state: &State, outcome: Outcome, r: &Remittance) -> Result<(), HandlerError> {
    let (event_id, occurred_at) = adjudicated(ctx, outcome, r).await?;
    let tenant = ctx.tenant().to_string();
    let claim = ctx.claim_id().to_string();
    let correlation_id = ctx.envelope().correlation_id.clone();
    let key = decide::remittance_key(r);

    // The remit date is when remittance posted the 835 (the event's time): the day the provider
    // received the payer's determination, from which appeal windows run.
    let remit_date = occurred_at.date_naive();
    let c = decide::classify(outcome, r, remit_date);
    let facts = store::claim_facts(ctx.db(), &tenant, &claim).await.map_err(Error::from)?;
    let (days, rule) = state.config.appeal_days(&tenant, &facts.payer_id, &facts.claim_filing);
    let deadline = decide::appeal_deadline(remit_date, days);
    let priority = decide::priority(c.expected_recovery_cents, decide::days_to(Some(deadline), ctx.now().date_naive()));
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
        priority,
        remittance: r,
        now: ctx.now(),
        facts: &facts,
        remit_date,
        appeal_deadline: deadline,
        appeal_rule: &rule,
    };
    // One open item per claim: a later remittance of a claim already in the queue (the other part
    // of a split payment, a reprocessing) updates it instead of queueing the claim twice.
    if let Some(open) = store::open_item_for_claim(ctx.db(), &tenant, &claim).await.map_err(Error::from)? {
        if store::refresh_open_item(ctx.db(), open, &item).await.map_err(Error::from)? {
            let action = NewAction {
                work_item_id: open,
                action: "updated",
                actor: crate::NAME,
                at: ctx.now(),
                detail: format!("{} {} {}", c.category.as_str(), c.action.as_str(), c.reason_codes.join(" ")),
                note: None,
                event_id: None,
            };
            store::append_action(ctx.db(), &tenant, &action).await.map_err(Error::from)?;
            tracing::info!(%tenant, claim_id = %claim, work_item_id = %open, "a later remittance updated the open work item");
        }
        return Ok(());
    }
    if !store::insert_work_item(ctx.db(), &item).await.map_err(Error::from)? {
        tracing::info!(%tenant, claim_id = %claim, %event_id, "this remittance is already in the work queue; nothing new");
        return Ok(());
    }
    let detail = format!(
        "{} {} {}; {}",
        c.category.as_str(),
        c.action.as_str(),
        c.reason_codes.join(" "),
        if c.code_flags.is_empty() { "codes known".to_string() } else { format!("flags {}", c.code_flags.join(" ")) }
    );
    let action = NewAction {
        work_item_id,
        action: "queued",
        actor: crate::NAME,
        at: ctx.now(),
        detail,
        note: None,
        event_id: None,
    };
    store::append_action(ctx.db(), &tenant, &action).await.map_err(Error::from)?;
    tracing::info!(
        %tenant,
        claim_id = %claim,
        %work_item_id,
        category = c.category.as_str(),
        action = c.action.as_str(),
        priority,
        deadline = %deadline,
        flags = c.code_flags.len(),
        "denial queued"
    );
    metrics::counter!("rcm_denials_queued_total", "category" => c.category.as_str()).increment(1);
    if !c.code_flags.is_empty() {
        metrics::counter!("rcm_denials_code_flags_total").increment(c.code_flags.len() as u64);
    }
    ctx.emit(Payload::DenialQueued(DenialQueued {
        work_item_id: work_item_id.to_string(),
        category: c.category.as_str().to_string(),
        priority,
    }));
    Ok(())
}
