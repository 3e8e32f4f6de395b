//! Posting one 835 claim (CLP) to the claim it answers, in the caller's transaction: the file
//! intake's ([`crate::take`]), for a claim of a file, or the `ClaimSubmitted` handler's, for a claim
//! that came in before its submission was seen and waited in `unmatched_claims`.
//!
//! - A payment or denial adds to the claim's money over the 835s posted to its current submission
//!   (a split payment's parts add up) and is judged over all of them together
//!   ([`decide::accumulate`]): one `remittance.claim_paid`, `claim_partially_paid` or `claim_denied`
//!   per CLP, carrying this CLP's remittance and the claim's totals after it.
//! - A reversal (CLP02 22) undoes exactly the posting whose amounts it negates
//!   ([`decide::reversal_target`]): the claim gets back the balance it had before that posting and
//!   `remittance.claim_reversed` goes out. A reversal that undoes nothing of ours goes to the
//!   unmatched queue. The corrected payment that follows posts anew.
//! - A service line that matches no billed line is posted with the claim and also queued as an
//!   unmatched line, with the billed lines it could be.
//! - Once the primary payer has adjudicated a claim that has another payer next (crossover or the
//!   claim's next coverage), `remittance.secondary_claim_requested` goes out, once per submission.

use crate::decide::{self, Outcome, PostedAmounts};
use crate::era;
use crate::error::Error;
use crate::store::{self, Expected, NewPayment, NewPosting, NewUnmatched};
use rcm_proto::events::{
    ClaimDenied, ClaimPaid, ClaimPartiallyPaid, ClaimReversed, SecondaryClaimRequested, envelope::Payload,
};
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
    pub payment: &'a NewPayment,
    /// 1-based position of the CLP in the file.
    pub ordinal: i32,
}

impl ClaimAt<'_> {
    /// TRN02 of its payment.
    pub fn trace(&self) -> &str {
        &self.payment.trace_number
    }
}

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Posted; `event_id` is the paid/partially paid/denied/reversed event (none for a reversal of
    /// an earlier submission's posting).
    Posted { posting_id: i64, outcome: Outcome, event_id: Option<String> },
    /// The same claim was answered the same way in the same payment before (another file).
    Duplicate,
    /// A reversal that undoes no posting of ours: in the unmatched queue.
    Unmatched { unmatched_id: i64 },
}

fn claim_of(json: serde_json::Value) -> Option<decide::ClaimRemit> {
    serde_json::from_value::<x835::Claim>(json).ok().map(|c| era::claim_remit(&c))
}

/// Posts `claim` to `expected` (see the module documentation), its events caused by `origin`.
pub async fn post(
    conn: &mut PgConnection,
    host: &ServiceHost,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    expected: &Expected,
    origin: &Origin,
) -> Result<Posted, Error> {
    let remit = era::claim_remit(claim);
    if decide::adjudicate(&remit) == Outcome::Reversal {
        return post_reversal(conn, host, at, claim, &remit, expected, origin).await;
    }
    let billed = store::billed_lines(conn, at.tenant, &expected.claim_id).await?;
    let matched = decide::match_lines(&billed, &remit.lines);
    let amounts = PostedAmounts::of(&remit);
    let totals = expected.totals().plus(&amounts);
    let mut parts: Vec<decide::ClaimRemit> =
        store::standing_parts(conn, at.tenant, &expected.claim_id, expected.submissions)
            .await?
            .into_iter()
            .filter_map(claim_of)
            .collect();
    parts.push(remit.clone());
    let whole = decide::accumulate(&parts).unwrap_or_else(|| remit.clone());
    let outcome = decide::adjudicate(&whole);
    // The claim as its standing 835s say together: its money after this posting.
    let message = decide::remittance_message(&whole, at.file_name, at.trace());
    let payload = match outcome {
        Outcome::Paid => Payload::ClaimPaid(ClaimPaid { remittance: Some(message.clone()) }),
        Outcome::PartiallyPaid => Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance: Some(message.clone()) }),
        Outcome::Denied | Outcome::Reversal => Payload::ClaimDenied(ClaimDenied { remittance: Some(message.clone()) }),
    };
    let event = host.new_event(origin, payload);
    let posting = NewPosting {
        file_id: at.file_id,
        payment_id: at.payment_id,
        claim_ordinal: at.ordinal,
        claim_id: expected.claim_id.clone(),
        patient_control_number: remit.patient_control_number.clone(),
        claim_status: remit.status.clone(),
        outcome,
        charge_cents: remit.charge_cents,
        paid_cents: amounts.paid_cents,
        patient_responsibility_cents: amounts.patient_responsibility_cents,
        adjusted_cents: amounts.adjusted_cents,
        payer_claim_control_number: remit.payer_claim_control_number.clone(),
        payment_trace: at.trace().to_string(),
        remark_codes: decide::remark_codes(&remit),
        adjustments: era::claim_adjustments(claim),
        lines: era::posting_lines(claim, &matched),
        event_id: uuid::Uuid::parse_str(&event.event_id).ok(),
        posted_at: host.platform.det.clock.now(),
        submission: expected.submissions,
        claim_json: era::claim_json(claim),
        reverses_posting_id: None,
        payer_key: at.payment.payer_key.clone(),
    };
    let Some(posting_id) = store::insert_posting(conn, at.tenant, &posting).await? else {
        tracing::info!(claim_ordinal = at.ordinal, "this claim's remittance was posted before; skipped");
        return Ok(Posted::Duplicate);
    };
    store::set_claim_money(
        conn,
        at.tenant,
        &expected.claim_id,
        outcome.as_str(),
        &totals,
        posting_id,
        posting.posted_at,
    )
    .await?;
    host.enqueue(conn, &event).await?;
    queue_unmatched_lines(conn, at, claim, &remit, &billed, &matched, expected).await?;
    request_secondary(conn, host, at, claim, &remit, outcome, &matched, expected, origin, &event.event_id).await?;
    tracing::info!(
        tenant = %at.tenant,
        claim_id = %expected.claim_id,
        file = %at.file_name,
        posting_id,
        claim_ordinal = at.ordinal,
        outcome = outcome.as_str(),
        balance_cents = totals.balance_cents(),
        event_id = %event.event_id,
        "claim posted"
    );
    metrics::counter!("rcm_remittance_claims_posted_total", "outcome" => outcome.as_str()).increment(1);
    Ok(Posted::Posted { posting_id, outcome, event_id: Some(event.event_id) })
}

#[allow(clippy::too_many_arguments)]
async fn post_reversal(
    conn: &mut PgConnection,
    host: &ServiceHost,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    remit: &decide::ClaimRemit,
    expected: &Expected,
    origin: &Origin,
) -> Result<Posted, Error> {
    let reversibles = store::reversibles(conn, at.tenant, &expected.claim_id).await?;
    let candidates: Vec<decide::Reversible> = reversibles.iter().map(|(r, _)| r.clone()).collect();
    let target = match decide::reversal_target(remit, &candidates) {
        Ok(t) => t,
        Err(problem) => {
            let shown: Vec<serde_json::Value> = candidates
                .iter()
                .filter(|r| !r.reversed)
                .map(|r| {
                    serde_json::json!({
                        "claim_id": expected.claim_id,
                        "posting_id": r.posting_id,
                        "payer_claim_control_number": r.payer_claim_control_number,
                        "charge_cents": r.charge_cents,
                        "paid_cents": r.amounts.paid_cents,
                        "why": "a standing posting of the claim",
                    })
                })
                .collect();
            let u = unmatched(at, claim, remit, "reversal", problem.reason(), serde_json::Value::Array(shown), host);
            let u = NewUnmatched { claim_id: Some(expected.claim_id.clone()), ..u };
            let unmatched_id = store::insert_unmatched(conn, at.tenant, &u).await?;
            tracing::warn!(
                tenant = %at.tenant, claim_id = %expected.claim_id, file = %at.file_name, claim_ordinal = at.ordinal,
                unmatched_id, reason = problem.reason(), "reversal not posted; queued as unmatched"
            );
            metrics::counter!("rcm_remittance_claims_unmatched_total", "kind" => "reversal").increment(1);
            return Ok(Posted::Unmatched { unmatched_id });
        }
    };
    let submission = reversibles.iter().find(|(r, _)| r.posting_id == target).map_or(expected.submissions, |(_, s)| *s);
    let (reversed_icn, reversed_trace) = store::posting_trace(conn, target).await?;
    let amounts = PostedAmounts::of(remit);
    let current = submission == expected.submissions;
    let totals = expected.totals().plus(&amounts);
    let message = decide::remittance_message(remit, at.file_name, at.trace());
    let event = current.then(|| {
        host.new_event(
            origin,
            Payload::ClaimReversed(ClaimReversed {
                remittance: Some(message.clone()),
                reversed_payer_claim_control_number: reversed_icn,
                reversed_payment_trace: reversed_trace,
                totals: Some(totals.message()),
            }),
        )
    });
    let billed = store::billed_lines(conn, at.tenant, &expected.claim_id).await?;
    let matched = decide::match_lines(&billed, &remit.lines);
    let posting = NewPosting {
        file_id: at.file_id,
        payment_id: at.payment_id,
        claim_ordinal: at.ordinal,
        claim_id: expected.claim_id.clone(),
        patient_control_number: remit.patient_control_number.clone(),
        claim_status: remit.status.clone(),
        outcome: Outcome::Reversal,
        charge_cents: remit.charge_cents,
        paid_cents: amounts.paid_cents,
        patient_responsibility_cents: amounts.patient_responsibility_cents,
        adjusted_cents: amounts.adjusted_cents,
        payer_claim_control_number: remit.payer_claim_control_number.clone(),
        payment_trace: at.trace().to_string(),
        remark_codes: message.remark_codes.clone(),
        adjustments: era::claim_adjustments(claim),
        lines: era::posting_lines(claim, &matched),
        event_id: event.as_ref().and_then(|e| uuid::Uuid::parse_str(&e.event_id).ok()),
        posted_at: host.platform.det.clock.now(),
        submission,
        claim_json: era::claim_json(claim),
        reverses_posting_id: Some(target),
        payer_key: at.payment.payer_key.clone(),
    };
    let Some(posting_id) = store::insert_posting(conn, at.tenant, &posting).await? else {
        return Ok(Posted::Duplicate);
    };
    store::mark_reversed(conn, target, posting_id).await?;
    if current {
        store::set_claim_money(conn, at.tenant, &expected.claim_id, "reversed", &totals, posting_id, posting.posted_at)
            .await?;
    }
    if let Some(e) = &event {
        host.enqueue(conn, e).await?;
    }
    tracing::info!(
        tenant = %at.tenant, claim_id = %expected.claim_id, file = %at.file_name, posting_id, reverses = target,
        current_submission = current, balance_cents = totals.balance_cents(), "payment reversed"
    );
    metrics::counter!("rcm_remittance_claims_posted_total", "outcome" => "reversed").increment(1);
    Ok(Posted::Posted { posting_id, outcome: Outcome::Reversal, event_id: event.map(|e| e.event_id) })
}

/// An unmatched queue entry for a CLP (its amounts and where it came from).
pub fn unmatched(
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    remit: &decide::ClaimRemit,
    kind: &'static str,
    reason: &str,
    candidates: serde_json::Value,
    host: &ServiceHost,
) -> NewUnmatched {
    NewUnmatched {
        kind,
        reason: reason.to_string(),
        claim_id: None,
        line_no: None,
        procedure_code: None,
        candidates,
        file_id: at.file_id,
        payment_id: at.payment_id,
        claim_ordinal: at.ordinal,
        patient_control_number: remit.patient_control_number.clone(),
        claim_status: remit.status.clone(),
        charge_cents: remit.charge_cents,
        paid_cents: remit.paid_cents,
        payer_claim_control_number: remit.payer_claim_control_number.clone(),
        payment_trace: at.trace().to_string(),
        claim_json: era::claim_json(claim),
        recorded_at: host.platform.det.clock.now(),
    }
}

async fn queue_unmatched_lines(
    conn: &mut PgConnection,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    remit: &decide::ClaimRemit,
    billed: &[decide::BilledLine],
    matched: &[Option<decide::LineMatch>],
    expected: &Expected,
) -> Result<(), Error> {
    let taken: Vec<String> = matched.iter().flatten().map(|m| m.line_id.clone()).collect();
    for (i, line) in remit.lines.iter().enumerate() {
        if matched.get(i).is_some_and(|m| m.is_some()) {
            continue;
        }
        let candidates: Vec<serde_json::Value> = decide::line_candidates(billed, line, &taken)
            .into_iter()
            .map(|(b, why)| {
                serde_json::json!({
                    "claim_id": expected.claim_id,
                    "line_id": b.line_id,
                    "procedure_code": b.procedure_code,
                    "modifiers": b.modifiers,
                    "service_date": b.service_date,
                    "charge_cents": b.charge_cents,
                    "why": why,
                })
            })
            .collect();
        let u = NewUnmatched {
            kind: "line",
            reason: "the service line matches no billed line (REF*6R, or procedure with modifiers, date and charge)"
                .into(),
            claim_id: Some(expected.claim_id.clone()),
            line_no: Some(i as i32 + 1),
            procedure_code: Some(line.procedure_code.clone()),
            candidates: serde_json::Value::Array(candidates),
            file_id: at.file_id,
            payment_id: at.payment_id,
            claim_ordinal: at.ordinal,
            patient_control_number: remit.patient_control_number.clone(),
            claim_status: remit.status.clone(),
            charge_cents: line.charge_cents,
            paid_cents: line.paid_cents,
            payer_claim_control_number: remit.payer_claim_control_number.clone(),
            payment_trace: at.trace().to_string(),
            claim_json: era::claim_json(claim),
            recorded_at: chrono::Utc::now(),
        };
        store::insert_unmatched(conn, at.tenant, &u).await?;
        metrics::counter!("rcm_remittance_claims_unmatched_total", "kind" => "line").increment(1);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn request_secondary(
    conn: &mut PgConnection,
    host: &ServiceHost,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
    remit: &decide::ClaimRemit,
    outcome: Outcome,
    matched: &[Option<decide::LineMatch>],
    expected: &Expected,
    origin: &Origin,
    cause: &str,
) -> Result<(), Error> {
    if expected.secondary_requested {
        return Ok(());
    }
    let crossover = era::crossover(claim);
    let Some(next) = decide::next_payer(
        remit,
        outcome,
        crossover.as_ref().map(|(id, name)| (id.as_str(), name.as_str())),
        &expected.next_payer_id,
        &expected.next_payer_name,
        &expected.payer_responsibility,
    ) else {
        return Ok(());
    };
    let secondary_id = decide::secondary_claim_id(&expected.claim_id);
    let o = Origin {
        tenant: origin.tenant.clone(),
        claim_id: secondary_id.clone(),
        correlation_id: origin.correlation_id.clone(),
        causation_id: cause.to_string(),
    };
    let event = host.new_event(
        &o,
        Payload::SecondaryClaimRequested(SecondaryClaimRequested {
            primary_claim_id: expected.claim_id.clone(),
            payer_id: next.payer_id.clone(),
            payer_name: next.payer_name.clone(),
            crossed_over: next.crossed_over,
            primary: Some(era::adjudication(claim, at.payment, matched)),
        }),
    );
    host.enqueue(conn, &event).await?;
    store::mark_secondary_requested(conn, at.tenant, &expected.claim_id).await?;
    tracing::info!(
        tenant = %at.tenant, claim_id = %expected.claim_id, secondary_claim_id = %secondary_id,
        next_payer = %next.payer_id, crossed_over = next.crossed_over, "secondary claim requested"
    );
    metrics::counter!("rcm_remittance_secondary_requested_total").increment(1);
    Ok(())
}
