//! Coding's event handler: `intake.encounter_received` → `coding.claim_coded` or
//! `coding.claim_needs_coding`.

use crate::config::CodingConfig;
use crate::decide::{self, Fee, FeeSchedule, Outcome};
use crate::error::Error;
use crate::store::{self, CodedClaim};
use prost::Message;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::{Ctx, HandlerError};
use tracing::info;
use uuid::Uuid;

/// What the handler needs: the default fee schedule, read once at start.
pub struct State {
    pub load_default_fee_schedule: bool,
    pub default_fees: Vec<Fee>,
}

impl State {
    pub fn new(config: &CodingConfig) -> Result<State, Error> {
        let text = match &config.default_fee_schedule {
            None => crate::DEFAULT_FEE_SCHEDULE_TSV.to_string(),
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::FeeSchedule(format!("cannot read {}: {e}", path.display())))?,
        };
        let default_fees = decide::parse_fee_schedule(&text).map_err(Error::FeeSchedule)?;
        Ok(State { load_default_fee_schedule: config.load_default_fee_schedule, default_fees })
    }
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

    if state.load_default_fee_schedule && store::ensure_fee_schedule(ctx.db(), &tenant, &state.default_fees).await? {
        info!(%tenant, fees = state.default_fees.len(), "default fee schedule loaded for the tenant");
    }
    let fees: FeeSchedule =
        store::fees(ctx.db(), &tenant, &decide::procedure_codes(encounter)).await?.into_iter().collect();

    let outcome = decide::code_encounter(&env.claim_id, encounter, &fees);
    let mut record = CodedClaim {
        tenant_id: tenant,
        claim_id: env.claim_id.clone(),
        encounter_id: encounter.encounter_id.clone(),
        state: String::new(),
        total_charge_cents: 0,
        rule_ids: Vec::new(),
        claim: None,
        event_id,
        updated_at: ctx.now(),
    };
    let payload = match outcome {
        Outcome::Coded(coded) => {
            let claim = coded.claim.as_ref().expect("a coded outcome carries its claim");
            record.state = "coded".into();
            record.total_charge_cents = claim.total_charge_cents;
            record.rule_ids = coded.findings.iter().map(|f| f.rule_id.clone()).collect();
            record.claim = Some(claim.encode_to_vec());
            info!(claim_id = %env.claim_id, lines = claim.lines.len(), total_cents = claim.total_charge_cents, "claim coded");
            Payload::ClaimCoded(*coded)
        }
        Outcome::NeedsCoding(needs) => {
            record.state = "needs_coding".into();
            record.rule_ids = needs.findings.iter().map(|f| f.rule_id.clone()).collect();
            info!(claim_id = %env.claim_id, rules = ?record.rule_ids, "claim needs coding");
            Payload::ClaimNeedsCoding(needs)
        }
    };
    store::save(ctx.db(), &record).await?;
    ctx.emit(payload);
    Ok(())
}
