//! Posting one 835 claim (CLP) to the claim it answers, in the caller's transaction: the poller's,
//! for a claim it reads from a file, or the `ClaimSubmitted` handler's, for a claim that came in
//! before its submission was seen and waited in `unmatched_claims`.

use crate::decide::{self, Outcome};
use crate::era;
use crate::error::Error;
use crate::store::{self, Expected, NewPosting};
use rcm_proto::events::{ClaimDenied, ClaimPaid, ClaimPartiallyPaid, envelope::Payload};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_x12::x835;
use sqlx::PgConnection;

/// Where a claim is: its file, payment and position in the file.
#[derive(Debug, Clone, Copy)]
pub struct ClaimAt<'a> {
    pub tenant: &'a str,
    pub file_id: i64,
    pub file_name: &'a str,
    pub payment_id: i64,
    /// TRN02 of its payment.
    pub trace: &'a str,
    /// 1-based position of the CLP in the file.
    pub ordinal: i32,
}

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Posted; `event_id` is the paid/partially paid/denied event (none for a reversal).
    Posted { posting_id: i64, outcome: Outcome, event_id: Option<String> },
    /// The same claim was answered the same way in the same payment before (another file).
    Duplicate,
}

/// Posts `claim` to `expected`: stores the posting (amounts, claim- and line-level adjustments, lines
/// matched to the billed ones, remark codes), moves the claim to its new state and puts its event in
/// the outbox, caused by `origin`.
pub async fn post(
    conn: &mut PgConnection,
    host: &ServiceHost,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    expected: &Expected,
    origin: &Origin,
) -> Result<Posted, Error> {
    let remit = era::claim_remit(claim);
    let outcome = decide::adjudicate(&remit);
    let billed = store::billed_lines(conn, at.tenant, &expected.claim_id).await?;
    let matched = decide::match_lines(&billed, &remit.lines);
    let message = decide::remittance_message(&remit, at.file_name, at.trace);
    let payload = match outcome {
        Outcome::Paid => Some(Payload::ClaimPaid(ClaimPaid { remittance: Some(message.clone()) })),
        Outcome::PartiallyPaid => {
            Some(Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance: Some(message.clone()) }))
        }
        Outcome::Denied => Some(Payload::ClaimDenied(ClaimDenied { remittance: Some(message.clone()) })),
        Outcome::Reversal => None,
    };
    let event = payload.map(|p| host.new_event(origin, p));
    let posting = NewPosting {
        file_id: at.file_id,
        payment_id: at.payment_id,
        claim_ordinal: at.ordinal,
        claim_id: expected.claim_id.clone(),
        patient_control_number: remit.patient_control_number.clone(),
        claim_status: remit.status.clone(),
        outcome,
        charge_cents: remit.charge_cents,
        paid_cents: remit.paid_cents,
        patient_responsibility_cents: message.patient_responsibility_cents,
        adjusted_cents: message.adjustments.iter().map(|a| a.amount_cents).sum(),
        payer_claim_control_number: remit.payer_claim_control_number.clone(),
        payment_trace: at.trace.to_string(),
        remark_codes: message.remark_codes.clone(),
        adjustments: era::claim_adjustments(claim),
        lines: era::posting_lines(claim, &matched),
        event_id: event.as_ref().and_then(|e| uuid::Uuid::parse_str(&e.event_id).ok()),
        posted_at: host.platform.det.clock.now(),
    };
    let Some(posting_id) = store::insert_posting(conn, at.tenant, &posting).await? else {
        tracing::info!(claim_ordinal = at.ordinal, "this claim's remittance was posted before; skipped");
        return Ok(Posted::Duplicate);
    };
    if let Some(e) = &event {
        host.enqueue(conn, e).await?;
    }
    let event_id = event.map(|e| e.event_id);
    tracing::info!(
        tenant = %at.tenant,
        claim_id = %expected.claim_id,
        file = %at.file_name,
        posting_id,
        claim_ordinal = at.ordinal,
        outcome = outcome.as_str(),
        event_id = event_id.as_deref().unwrap_or(""),
        "claim posted"
    );
    metrics::counter!("rcm_remittance_claims_posted_total", "outcome" => outcome.as_str()).increment(1);
    Ok(Posted::Posted { posting_id, outcome, event_id })
}
