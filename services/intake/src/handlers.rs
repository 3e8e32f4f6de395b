//! The claim history consumer: every event of the tenant, through one consumer (`intake__all`).

use crate::decide::{self, Transition};
use crate::error::Error;
use crate::store::{self, ClaimRow, HistoryRow};
use rcm_runtime::{Ctx, HandlerError};
use tracing::{debug, warn};
use uuid::Uuid;

/// What the handlers share (nothing yet).
pub struct State;

/// Appends the event to its claim's history with what it did ([`decide::apply`]): moves the claim
/// as its state machine allows, with its money; a move it does not allow is refused, logged and
/// counted, and kept in the history as refused.
pub async fn on_any_event(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let bad = |reason| HandlerError::from(Error::BadEvent { event_id: env.event_id.clone(), reason });
    let Some(payload) = env.payload.as_ref() else { return Err(bad("the event has no payload")) };
    if env.claim_id.is_empty() || !decide::is_about_a_claim(payload) {
        debug!(event_id = %env.event_id, event_type = %env.event_type, "event without a claim; not in any history");
        return Ok(());
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad("the event id is not a UUID"))?;
    let at = env
        .occurred_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_else(|| ctx.now());
    let detail = decide::detail(payload);
    let tenant = env.tenant_id.clone();
    let claim_id = env.claim_id.clone();

    let conn = ctx.db();
    store::lock_claim(conn, &tenant, &claim_id).await?;
    let current = store::claim(&mut *conn, &tenant, &claim_id).await?;
    let applied = decide::apply(current.as_ref().map(|c| &c.record), payload);
    if applied.transition == Transition::Early {
        // Delivered before an event it follows (a redelivery reordered them): again later, and
        // dead-lettered by the worker if it never fits.
        debug!(%claim_id, %event_id, event_type = %env.event_type, "event before its predecessor; delivered again later");
        return Err(HandlerError::transient(format!(
            "event {event_id}: claim {claim_id} cannot move from {} to {} yet; waiting for the events before it",
            applied.from.map_or("none", |s| s.name()),
            applied.event_state.name()
        )));
    }
    let entry = HistoryRow {
        tenant_id: tenant.clone(),
        claim_id: claim_id.clone(),
        state: applied.event_state.name().to_string(),
        version: applied.event_version as i32,
        at,
        event_type: env.event_type.clone(),
        event_id,
        producer: env.producer.clone(),
        detail: detail.clone(),
        transition: applied.transition.name().to_string(),
    };
    if !store::append_history(conn, &entry).await? {
        debug!(%claim_id, %event_id, "event already in the history");
        return Ok(());
    }
    let transition = applied.transition;
    let row = match (current, applied.moved()) {
        (Some(c), false) => ClaimRow { record: applied.record, ..c },
        (Some(c), true) => ClaimRow { record: applied.record, state_at: at, state_event_id: event_id, detail, ..c },
        (None, _) => {
            ClaimRow { record: applied.record, state_at: at, state_event_id: event_id, detail, created_at: at }
        }
    };
    store::upsert_claim(conn, &tenant, &claim_id, &row, at).await?;
    metrics::counter!("rcm_claim_transitions_total", "tenant" => tenant.clone(), "to" => applied.event_state.name(), "transition" => transition.name())
        .increment(1);
    match transition {
        Transition::Moved => {
            debug!(%claim_id, state = %row.record.state, event_type = %env.event_type, "claim state moved")
        }
        Transition::Refused => warn!(
            %claim_id, %event_id, from = applied.from.map_or("none", |s| s.name()), to = applied.event_state.name(),
            version = applied.event_version, event_type = %env.event_type, "claim transition refused; recorded in the history only"
        ),
        Transition::Repeated | Transition::Late | Transition::Early => debug!(
            %claim_id, state = %row.record.state, event_type = %env.event_type, transition = transition.name(),
            "claim state kept"
        ),
    }
    Ok(())
}
