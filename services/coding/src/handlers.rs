//! Coding's event handlers: `intake.encounter_received` → `coding.claim_coded`, or
//! `coding.review_required` with the encounter put in the coder's queue; and
//! `denials.correction_requested` → a void's `coding.claim_coded` at once, or a replacement in the
//! coder's queue (`coding.review_required`), which `ResolveQueueItem` sends as frequency 7.

use crate::config::CodingConfig;
use crate::decide::{self, Books, Correction, Fee, FeeSchedule, Outcome, Policy};
use crate::error::Error;
use crate::store::{self, CodedClaim, QueueActionRow, QueueRow};
use crate::suggest::{Source, Suggester, Suggestion};
use chrono::{DateTime, Utc};
use prost::Message;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::Icd10Cm;
use rcm_proto::common::{Claim, CodeSuggestion, Encounter, TextSpan};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{CodingReviewRequired, Envelope};
use rcm_runtime::{Ctx, HandlerError};
use sqlx::PgConnection;
use tracing::info;
use uuid::Uuid;

/// What the handler and the gRPC service share: the code sets, the suggester and the default fee
/// schedule, loaded once at start.
pub struct State {
    pub config: CodingConfig,
    pub default_fees: Vec<Fee>,
    pub icd: &'static Icd10Cm,
    pub hcpcs: &'static Hcpcs,
    pub suggester: Suggester,
}

impl State {
    pub fn new(config: &CodingConfig) -> Result<State, Error> {
        let text = match &config.default_fee_schedule {
            None => crate::DEFAULT_FEE_SCHEDULE_TSV.to_string(),
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::FeeSchedule(format!("cannot read {}: {e}", path.display())))?,
        };
        let default_fees = decide::parse_fee_schedule(&text).map_err(Error::FeeSchedule)?;
        let icd = Icd10Cm::shipped();
        let suggester = shipped_suggester(icd).map_err(Error::Suggester)?;
        Ok(State { config: config.clone(), default_fees, icd, hcpcs: Hcpcs::shipped(), suggester })
    }

    /// ICD-10-CM suggestions for an encounter's note and its source's condition texts.
    pub fn suggestions(&self, e: &Encounter) -> Vec<CodeSuggestion> {
        let extra: Vec<&str> = e.conditions.iter().map(|c| c.display.as_str()).filter(|d| !d.is_empty()).collect();
        if e.clinical_note.trim().is_empty() && extra.is_empty() {
            return Vec::new();
        }
        to_proto(self.suggester.suggest(&e.clinical_note, &extra, self.config.suggestion_limit))
    }
}

/// The shipped note lexicon over the newest ICD-10-CM version loaded.
pub fn shipped_suggester(icd: &Icd10Cm) -> Result<Suggester, String> {
    Suggester::with_shipped_lexicon(icd.newest().iter().map(|c| (c.code, c.description, c.billable)))
}

/// Suggestions as events and the API carry them; an extra text's spans name it `extra[N]`.
pub fn to_proto(suggestions: Vec<Suggestion>) -> Vec<CodeSuggestion> {
    let span = |s: crate::suggest::Span| TextSpan {
        start: s.start as u32,
        end: s.end as u32,
        text: s.text,
        source: match s.source {
            Source::Note => "note".into(),
            Source::Extra(i) => format!("extra[{i}]"),
        },
    };
    suggestions
        .into_iter()
        .map(|s| CodeSuggestion {
            code: s.code,
            description: s.description,
            confidence: s.confidence,
            evidence: s.evidence.into_iter().map(span).collect(),
            history: s.history,
        })
        .collect()
}

/// Judges an encounter for a tenant against everything coding knows: the code sets, the tenant's
/// fee schedule (the default one loaded on first use), licensed CPT file and settings, and the
/// note's suggestions. Pure apart from those reads.
pub async fn judge(
    conn: &mut PgConnection,
    state: &State,
    tenant: &str,
    claim_id: &str,
    encounter: &Encounter,
    suggestions: &[CodeSuggestion],
) -> Result<Outcome, Error> {
    if state.config.load_default_fee_schedule && store::ensure_fee_schedule(conn, tenant, &state.default_fees).await? {
        info!(%tenant, fees = state.default_fees.len(), "default fee schedule loaded for the tenant");
    }
    let codes = decide::procedure_codes(encounter);
    let fees: FeeSchedule = store::fees(&mut *conn, tenant, &codes).await?.into_iter().collect();
    let cpt = store::tenant_cpt(conn, tenant, &codes).await?;
    let policy = policy(conn, &state.config, tenant).await?;
    let books = Books { icd: state.icd, hcpcs: state.hcpcs, cpt: &cpt, fees: &fees, policy: &policy };
    Ok(decide::code_encounter(claim_id, encounter, &books, suggestions))
}

/// [`judge`], reading the note only where it matters: for the diagnoses when the source sent none,
/// and for the coder when the claim waits for one. A well-coded encounter skips the suggester.
pub async fn judge_with_note(
    conn: &mut PgConnection,
    state: &State,
    tenant: &str,
    claim_id: &str,
    encounter: &Encounter,
) -> Result<Outcome, Error> {
    if encounter.diagnosis_codes.is_empty() {
        let suggestions = state.suggestions(encounter);
        return judge(conn, state, tenant, claim_id, encounter, &suggestions).await;
    }
    let mut outcome = judge(conn, state, tenant, claim_id, encounter, &[]).await?;
    if let Outcome::ReviewRequired(review) = &mut outcome {
        review.suggestions = state.suggestions(encounter);
    }
    Ok(outcome)
}

/// The configured policy with the tenant's own settings over it.
pub async fn policy(conn: &mut PgConnection, config: &CodingConfig, tenant: &str) -> Result<Policy, Error> {
    let mut p = Policy {
        auto_code_min_confidence: config.auto_code_min_confidence,
        always_review_suggestions: false,
        outside_versions: config.outside_versions,
    };
    if let Some((min, always)) = store::settings(&mut *conn, tenant).await? {
        p.auto_code_min_confidence = min;
        p.always_review_suggestions = always;
    }
    Ok(p)
}

pub async fn on_encounter_received(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let bad = |reason| HandlerError::from(Error::BadEvent { event_id: env.event_id.clone(), reason });
    let Some(Payload::EncounterReceived(received)) = &env.payload else {
        return Err(bad("not an EncounterReceived"));
    };
    let Some(encounter) = &received.encounter else { return Err(bad("the event carries no encounter")) };
    if env.claim_id.is_empty() {
        return Err(bad("the event has no claim id"));
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad("the event id is not a UUID"))?;
    let tenant = env.tenant_id.clone();
    let now = ctx.now();

    let outcome = judge_with_note(ctx.db(), state, &tenant, &env.claim_id, encounter).await?;
    let mut record = CodedClaim {
        tenant_id: tenant.clone(),
        claim_id: env.claim_id.clone(),
        encounter_id: encounter.encounter_id.clone(),
        state: String::new(),
        total_charge_cents: 0,
        rule_ids: outcome.findings().iter().map(|f| f.rule_id.clone()).collect(),
        claim: None,
        event_id,
        updated_at: now,
    };
    let payload = match outcome {
        Outcome::Coded(coded) => {
            let claim = coded.claim.as_ref().expect("a coded outcome carries its claim");
            record.state = "coded".into();
            record.total_charge_cents = claim.total_charge_cents;
            record.claim = Some(claim.encode_to_vec());
            // A claim that waited in the queue and now arrives coded cleanly leaves it.
            close_if_waiting(ctx.db(), &tenant, &env.claim_id, now).await?;
            info!(claim_id = %env.claim_id, lines = claim.lines.len(), total_cents = claim.total_charge_cents, "claim coded");
            Payload::ClaimCoded(*coded)
        }
        Outcome::ReviewRequired(review) => {
            record.state = "needs_coding".into();
            record.total_charge_cents = review.estimated_charge_cents;
            let detail = record.rule_ids.join(", ");
            queue_for_coder(ctx.db(), &env, encounter, &review, now, crate::NAME, detail).await?;
            info!(claim_id = %env.claim_id, rules = ?record.rule_ids, "claim waits for a coder");
            Payload::CodingReviewRequired(review)
        }
    };
    store::save(ctx.db(), &record).await?;
    ctx.emit(payload);
    Ok(())
}

/// Puts the encounter of the event `env` in the coder's queue (reopening the claim's item, unclaimed)
/// and records who queued it and why.
async fn queue_for_coder(
    conn: &mut PgConnection,
    env: &Envelope,
    encounter: &Encounter,
    review: &CodingReviewRequired,
    now: DateTime<Utc>,
    actor: &str,
    detail: String,
) -> Result<(), Error> {
    let row = QueueRow {
        tenant_id: env.tenant_id.clone(),
        claim_id: env.claim_id.clone(),
        encounter_id: encounter.encounter_id.clone(),
        state: "open".into(),
        encounter: encounter.encode_to_vec(),
        review: review.encode_to_vec(),
        estimated_charge_cents: review.estimated_charge_cents,
        service_date: encounter.service_date.clone(),
        correlation_id: env.correlation_id.clone(),
        cause_event_id: env.event_id.clone(),
        queued_at: now,
        claimed_by: None,
        claimed_at: None,
        resolved_by: None,
        resolved_at: None,
    };
    store::enqueue_review(conn, &row).await?;
    let action = QueueActionRow { action: "queued".into(), actor: actor.into(), at: now, detail };
    store::record_action(conn, &env.tenant_id, &env.claim_id, &action).await?;
    Ok(())
}

async fn close_if_waiting(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if let Some(item) = store::queue_item(conn, tenant, claim_id, true).await?
        && item.state != "resolved"
    {
        store::set_resolved(conn, tenant, claim_id, crate::NAME, now).await?;
        let action = QueueActionRow {
            action: "resolved".into(),
            actor: crate::NAME.into(),
            at: now,
            detail: "a later encounter for the claim was coded without a coder".into(),
        };
        store::record_action(conn, tenant, claim_id, &action).await?;
    }
    Ok(())
}

/// `denials.correction_requested`: loads the claim as coding last sent it and corrects it as asked
/// ([`decide::correction`]): a void is coded and sent on at once; a replacement goes in the coder's
/// queue (reopening the claim's item), where `ResolveQueueItem` codes it as frequency 7.
pub async fn on_correction_requested(ctx: &mut Ctx, _state: &State) -> Result<(), HandlerError> {
    let env = ctx.envelope().clone();
    let bad = |reason| HandlerError::from(Error::BadEvent { event_id: env.event_id.clone(), reason });
    let Some(Payload::CorrectionRequested(request)) = &env.payload else {
        return Err(bad("not a CorrectionRequested"));
    };
    if env.claim_id.is_empty() {
        return Err(bad("the event has no claim id"));
    }
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| bad("the event id is not a UUID"))?;
    let (tenant, claim_id) = (env.tenant_id.clone(), env.claim_id.clone());
    let now = ctx.now();
    let cannot = |reason: String| Error::CannotCorrect { claim_id: claim_id.clone(), reason };

    let stored = store::get(&mut *ctx.db(), &tenant, &claim_id).await?;
    let Some(bytes) = stored.as_ref().and_then(|c| c.claim.as_ref()) else {
        return Err(cannot("coding never sent this claim".into()).into());
    };
    let last = Claim::decode(bytes.as_slice()).map_err(|_| cannot("the stored claim cannot be decoded".into()))?;
    let correction = decide::correction(&last, request).map_err(|e| cannot(e.to_string()))?;
    let mut record = CodedClaim {
        tenant_id: tenant.clone(),
        claim_id: claim_id.clone(),
        encounter_id: last.encounter_id.clone(),
        state: String::new(),
        total_charge_cents: last.total_charge_cents,
        rule_ids: Vec::new(),
        // The claim as last sent stays until a coder codes the replacement.
        claim: Some(bytes.clone()),
        event_id,
        updated_at: now,
    };
    let payload = match correction {
        Correction::Void(coded) => {
            let claim = coded.claim.as_ref().expect("a void carries its claim");
            record.state = "coded".into();
            record.claim = Some(claim.encode_to_vec());
            info!(%claim_id, version = claim.version, "void coded");
            Payload::ClaimCoded(*coded)
        }
        Correction::Review { encounter, review } => {
            record.state = "needs_coding".into();
            record.rule_ids = review.findings.iter().map(|f| f.rule_id.clone()).collect();
            // The biller's note is for the coder, kept with the item's actions like a coder's own.
            let note =
                if request.note.trim().is_empty() { String::new() } else { format!("; {}", request.note.trim()) };
            let detail = format!(
                "correction requested as version {}: {}{note}",
                request.version,
                request.reason_codes.join(" ")
            );
            queue_for_coder(ctx.db(), &env, &encounter, &review, now, &request.requested_by, detail).await?;
            info!(%claim_id, version = request.version, "replacement waits for a coder");
            Payload::CodingReviewRequired(review)
        }
    };
    store::save(ctx.db(), &record).await?;
    ctx.emit(payload);
    Ok(())
}
