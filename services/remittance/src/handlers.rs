//! Event handlers, each in the worker's transaction (its writes, the inbox record and the events it
//! puts in the outbox commit together).
//!
//! - `submission.claim_submitted`: record the claim as expected (patient control number, payer, billed
//!   total and lines, and the event's chain ids and trace context, which the events posted from its
//!   835 continue). An 835 claim that came for its patient control number before this event was seen
//!   (kept in `unmatched_claims`) is posted now, and its event emitted in answer to this one. A new
//!   version of the claim (a replacement, frequency 7) is expected again in its place, its lines
//!   those billed now; the earlier postings stay. A void (frequency 8) expects nothing.

use crate::error::Error;
use crate::posting::{self, ClaimAt, Posted};
use crate::store::{self, Expected, Submitted};
use rcm_proto::events::envelope::Payload;
use rcm_runtime::envelope::Origin;
use rcm_runtime::{Ctx, HandlerError, ServiceHost};
use rcm_x12::x835;

/// What the handlers share.
pub struct State {
    pub host: ServiceHost,
}

pub async fn on_claim_submitted(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
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
    if !crate::decide::expects_remittance(&s.frequency_code) {
        // The claim keeps its last posting; a reversal the payer may send still finds it by patient
        // control number.
        tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, version = s.version, "void submitted; no remittance expected");
        return Ok(());
    }
    let traceparent = rcm_runtime::telemetry::current_traceparent();
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
        traceparent: traceparent.clone(),
        lines: &s.lines,
        next_payer_id: &s.next_payer_id,
        next_payer_name: &s.next_payer_name,
        payer_responsibility: &s.payer_responsibility,
        now: ctx.now(),
    };
    store::lock_pcn(ctx.db(), &env.tenant_id, &s.patient_control_number).await.map_err(Error::from)?;
    let submissions = store::record_submitted(ctx.db(), &submitted).await.map_err(Error::from)?;
    tracing::info!(tenant = %env.tenant_id, claim_id = %env.claim_id, submissions, "claim expected");
    metrics::counter!("rcm_remittance_claims_expected_total").increment(1);

    let waiting =
        store::open_unmatched(ctx.db(), &env.tenant_id, &s.patient_control_number).await.map_err(Error::from)?;
    if waiting.is_empty() {
        return Ok(());
    }
    let origin = Origin::caused_by(&env);
    for u in waiting {
        // Read again for each: the one before changed the claim's money.
        let Some(expected) =
            store::expected_by_id(ctx.db(), &env.tenant_id, &env.claim_id).await.map_err(Error::from)?
        else {
            return Err(bad("the claim just recorded is not there"));
        };
        let expected = Expected { traceparent: traceparent.clone(), ..expected };
        let claim: x835::Claim = match serde_json::from_value(u.claim_json) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(tenant = %env.tenant_id, unmatched_id = u.id, error = %e, "unmatched claim unreadable; left for a person");
                continue;
            }
        };
        let payment = store::payment(ctx.db(), u.payment_id).await.map_err(Error::from)?;
        let at = ClaimAt {
            tenant: &env.tenant_id,
            file_id: u.file_id,
            file_name: &u.file_name,
            payment_id: u.payment_id,
            payment: &payment,
            ordinal: u.claim_ordinal,
        };
        let posted = posting::post(ctx.db(), &state.host, &at, &claim, &expected, &origin).await?;
        let posting_id = match posted {
            Posted::Posted { posting_id, .. } => Some(posting_id),
            Posted::Duplicate | Posted::Unmatched { .. } => None,
        };
        let now = ctx.now();
        store::resolve_unmatched(ctx.db(), u.id, &env.claim_id, posting_id, now).await.map_err(Error::from)?;
        tracing::info!(
            tenant = %env.tenant_id,
            claim_id = %env.claim_id,
            unmatched_id = u.id,
            file = %u.file_name,
            "an 835 claim that came before its submission was posted"
        );
    }
    Ok(())
}

/// `submission.trading_partner_set`: keeps the tenant's partner, whose inbound place the 835 poller
/// then lists.
pub async fn on_trading_partner_set(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let Some(Payload::TradingPartnerSet(p)) = &env.payload else {
        return Err(Error::BadEvent { event_id: env.event_id.clone(), what: "not a TradingPartnerSet".into() }.into());
    };
    let settings: serde_json::Value = serde_json::from_str(&p.settings_json).map_err(|_| {
        HandlerError::from(Error::BadEvent { event_id: env.event_id.clone(), what: "settings_json is not JSON".into() })
    })?;
    let at = env
        .occurred_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_else(|| ctx.now());
    store::upsert_trading_partner(ctx.db(), &env.tenant_id, &p.partner_id, &settings, at).await.map_err(Error::from)?;
    tracing::info!(tenant = %env.tenant_id, partner = %p.partner_id, "trading partner taken");
    Ok(())
}
