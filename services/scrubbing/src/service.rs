//! What the handler, the gRPC API and the `rcm scrub` commands share: the tables, the tenants'
//! packs (cached, reloaded when they change in the database), and scrubbing a claim with its
//! history inside a transaction.

use crate::decide::{self, Context, Override, Scrub, Settings, Tables, View};
use crate::error::Error;
use crate::packs::{self, Pack, PackError, TenantPacks};
use crate::store::{self, ScrubResult, SentLine, StoredPack};
use chrono::{DateTime, Utc};
use prost::Message as _;
use rcm_proto::common::Claim;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

/// Shared by the consumer and the API of one process.
pub struct State {
    pub settings: Settings,
    tables: OnceLock<Tables>,
    pub packs: PackCache,
}

impl State {
    pub fn new(settings: Settings) -> State {
        State { settings, tables: OnceLock::new(), packs: PackCache::default() }
    }

    /// The tables, loaded on a blocking thread the first time (the NCCI table takes a moment).
    pub async fn tables(&self) -> Result<Tables, Error> {
        if let Some(t) = self.tables.get() {
            return Ok(*t);
        }
        let t = tokio::task::spawn_blocking(Tables::shipped)
            .await
            .map_err(|e| Error::Corrupt(format!("the code-set tables did not load: {e}")))?;
        Ok(*self.tables.get_or_init(|| t))
    }
}

/// Each tenant's compiled packs, with the generation they were read at.
#[derive(Default)]
pub struct PackCache {
    inner: Mutex<HashMap<String, (i64, Arc<TenantPacks>)>>,
}

impl PackCache {
    /// The tenant's active packs; read again from the database when they changed since.
    pub async fn get(&self, conn: &mut PgConnection, tenant: &str) -> Result<Arc<TenantPacks>, Error> {
        let generation = store::generation(&mut *conn, tenant).await?;
        if let Some((g, p)) = self.inner.lock().expect("pack cache lock").get(tenant)
            && *g == generation
        {
            return Ok(p.clone());
        }
        let packs = Arc::new(load_tenant_packs(conn, tenant).await?);
        self.inner.lock().expect("pack cache lock").insert(tenant.to_string(), (generation, packs.clone()));
        Ok(packs)
    }
}

/// The tenant's active packs, compiled.
pub async fn load_tenant_packs(conn: &mut PgConnection, tenant: &str) -> Result<TenantPacks, Error> {
    let stored = store::packs(conn, tenant, false).await?;
    let mut out = TenantPacks::default();
    for p in stored {
        let pack = packs::parse(&p.text, &p.payer_id).map_err(|e| {
            Error::Corrupt(format!("pack {}@{} of tenant {tenant} no longer loads ({e})", p.pack_id, p.version))
        })?;
        out.packs.push(Arc::new(pack));
    }
    Ok(out)
}

/// Validates a pack and makes it the active version for the tenant (and payer). A pack that does
/// not validate, or whose rule ids another active pack of the tenant uses, is refused and the
/// running one stays. Loading the active version's text again changes nothing; other rules under a
/// version already loaded are refused.
pub async fn load_pack(
    conn: &mut PgConnection,
    tenant: &str,
    payer: &str,
    text: &str,
    loaded_by: &str,
    now: DateTime<Utc>,
) -> Result<(Pack, StoredPack), Error> {
    let pack = packs::parse(text, payer)?;
    let payer = pack.payer_id.clone().unwrap_or_default();
    let current = load_tenant_packs(conn, tenant).await?;
    for rule in &pack.rules {
        let clash = current
            .packs
            .iter()
            .find(|p| !(p.id == pack.id && p.payer_id == pack.payer_id) && p.rules.iter().any(|r| r.id == rule.id));
        if let Some(other) = clash {
            return Err(Error::BadPack(PackError {
                line: rule.line,
                reason: format!("rule id {} is already used by pack {} ({})", rule.id, other.label(), other.scope()),
            }));
        }
    }
    if let Some(before) = store::pack_version(&mut *conn, tenant, &payer, &pack.id, &pack.version).await? {
        if before.text != text {
            return Err(Error::PackConflict(format!(
                "pack {} version {} was loaded before with other rules; give the new rules a new version",
                pack.id, pack.version
            )));
        }
        if before.active {
            return Ok((pack, before));
        }
    }
    let stored = StoredPack {
        payer_id: payer,
        pack_id: pack.id.clone(),
        version: pack.version.clone(),
        text: text.to_string(),
        loaded_at: now,
        loaded_by: loaded_by.to_string(),
        active: true,
    };
    store::activate_pack(conn, tenant, &stored).await?;
    Ok((pack, stored))
}

/// Who the patient is, for duplicates and NCCI across claims: a SHA-256 of the source's patient
/// id, or of the payer, member id and birth date; `None` when the claim has neither.
pub fn patient_key(claim: &Claim) -> Option<String> {
    let p = claim.patient.as_ref();
    let id = p.map(|p| p.patient_id.trim()).unwrap_or_default();
    let identity = if !id.is_empty() {
        format!("id\u{1f}{id}")
    } else {
        let c = claim.coverage.as_ref()?;
        let member = c.member_id.trim();
        if member.is_empty() {
            return None;
        }
        let birth = p.map(|p| p.birth_date.trim()).unwrap_or_default();
        format!("member\u{1f}{}\u{1f}{member}\u{1f}{birth}", c.payer_id.trim())
    };
    let digest = Sha256::digest(identity.as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The lines of a claim as services sent (those with a date and a procedure code).
pub fn sent_lines(v: &View) -> Vec<SentLine> {
    v.lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            Some(SentLine {
                line_no: i as i32 + 1,
                service_date: l.date?,
                procedure_code: (!l.code.is_empty()).then(|| l.code.to_string())?,
                modifiers: l.modifiers.iter().map(|m| m.to_string()).collect(),
                units: l.units.map(|u| u.to_string()).unwrap_or_else(|| "1".into()),
            })
        })
        .collect()
}

/// Everything a scrub needs from the database, read in the caller's transaction: the tenant's
/// packs, the patient's services sent before `before` on the claim's dates (the patient locked
/// until the transaction ends, when `lock`), and the claim's overrides.
pub struct Inputs {
    pub packs: Arc<TenantPacks>,
    pub prior: Vec<decide::PriorService>,
    pub overrides: Vec<Override>,
    pub patient_key: Option<String>,
}

pub async fn inputs(
    conn: &mut PgConnection,
    state: &State,
    tenant: &str,
    claim_id: &str,
    claim: &Claim,
    before: DateTime<Utc>,
    lock: bool,
) -> Result<Inputs, Error> {
    let packs = state.packs.get(conn, tenant).await?;
    let patient_key = patient_key(claim);
    let mut prior = Vec::new();
    if let Some(key) = &patient_key {
        if lock {
            store::lock_patient(conn, tenant, key).await?;
        }
        let v = View::of(claim);
        let mut dates: Vec<chrono::NaiveDate> = v.lines.iter().filter_map(|l| l.date).collect();
        dates.sort();
        dates.dedup();
        prior = store::prior_services(&mut *conn, tenant, key, &dates, claim_id, before).await?;
    }
    let overrides = if claim_id.is_empty() {
        Vec::new()
    } else {
        store::overrides(&mut *conn, tenant, claim_id).await?.into_iter().map(|o| o.rule).collect()
    };
    Ok(Inputs { packs, prior, overrides, patient_key })
}

/// A scrub recorded: its findings, and whether it sent the claim on for the first time.
pub struct Recorded {
    pub scrub: Scrub,
    pub released_now: bool,
}

/// Where a scrub came from.
pub struct Origin<'a> {
    pub tenant: &'a str,
    pub claim_id: &'a str,
    /// The ClaimCoded event the claim came in.
    pub event_id: Uuid,
    pub correlation_id: &'a str,
    /// "claim_coded", "override" or "rescrub".
    pub trigger: &'a str,
}

/// Scrubs a claim with today's packs, its overrides and the patient's services sent, and records
/// it in the caller's transaction: the result with the claim, a run in its history, and (when it
/// passes, and is not a void) its services as sent.
pub async fn scrub_and_record(
    conn: &mut PgConnection,
    state: &State,
    o: &Origin<'_>,
    claim: &Claim,
    now: DateTime<Utc>,
) -> Result<Recorded, Error> {
    let tables = state.tables().await?;
    let previous = store::get(&mut *conn, o.tenant, o.claim_id).await?;
    let inputs = inputs(conn, state, o.tenant, o.claim_id, claim, now, true).await?;
    let cx =
        Context { today: now.date_naive(), packs: &inputs.packs, prior: &inputs.prior, overrides: &inputs.overrides };
    let s = decide::scrub(claim, &tables, &state.settings, &cx);
    let blocking = s.findings.iter().filter(|f| f.blocks()).count() as i32;
    // A claim sent on has left scrubbing: it stays "scrubbed"; a later scrub's verdict is in its
    // history.
    let sent_on = previous.as_ref().is_some_and(|p| p.released);
    let result = ScrubResult {
        tenant_id: o.tenant.to_string(),
        claim_id: o.claim_id.to_string(),
        patient_control_number: claim.patient_control_number.clone(),
        state: if sent_on { "scrubbed".to_string() } else { s.state().to_string() },
        total_charge_cents: claim.total_charge_cents,
        errors: blocking,
        warnings: s.findings.len() as i32 - blocking,
        rule_ids: s.rule_ids(),
        event_id: o.event_id,
        updated_at: now,
        claim: claim.encode_to_vec(),
        correlation_id: o.correlation_id.to_string(),
        first_scrubbed_at: previous.as_ref().map(|p| p.first_scrubbed_at).unwrap_or(now),
        released: s.passes(),
    };
    store::save(conn, &result).await?;
    store::insert_run(conn, o.tenant, o.claim_id, now, o.trigger, &s).await?;
    // A void cancels its original: its lines are not services sent.
    let void = claim.frequency_code.trim() == "8";
    if s.passes()
        && !void
        && let Some(key) = &inputs.patient_key
    {
        let v = View::of(claim);
        store::record_sent(conn, o.tenant, o.claim_id, key, v.billing_npi, v.provider_npi, &sent_lines(&v), now)
            .await?;
    }
    let released_now = s.passes() && !sent_on;
    Ok(Recorded { scrub: s, released_now })
}

/// A stored claim, decoded. Claims scrubbed before claims were kept have none.
pub fn stored_claim(r: &ScrubResult) -> Result<Claim, Error> {
    if r.claim.is_empty() {
        return Err(Error::Corrupt(format!(
            "claim {} of tenant {} was scrubbed before scrubbing kept claims; send it again from coding",
            r.claim_id, r.tenant_id
        )));
    }
    Claim::decode(r.claim.as_slice())
        .map_err(|e| Error::Corrupt(format!("claim {} of tenant {}: {e}", r.claim_id, r.tenant_id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::testing::clean;

    #[test]
    fn the_patient_key_is_a_hash_of_the_identity() {
        // Given a claim with the source's patient id
        let c = clean();
        let key = patient_key(&c).unwrap();
        // Then the key is 64 hex digits, not the id, and the same for the same patient
        assert_eq!(key.len(), 64);
        assert!(!key.contains("MRN"));
        let mut other_visit = clean();
        other_visit.lines.truncate(1);
        assert_eq!(patient_key(&other_visit), Some(key.clone()));
        // And without a patient id, the payer, member id and birth date stand for the patient
        let mut no_id = clean();
        no_id.patient.as_mut().unwrap().patient_id.clear();
        let by_member = patient_key(&no_id).unwrap();
        assert_ne!(by_member, key);
        no_id.patient.as_mut().unwrap().birth_date = "1981-01-01".into();
        assert_ne!(patient_key(&no_id).unwrap(), by_member);
        no_id.coverage.as_mut().unwrap().member_id.clear();
        assert_eq!(patient_key(&no_id), None);
    }

    #[test]
    fn sent_lines_keep_date_code_modifiers_and_units() {
        let mut c = clean();
        c.lines[1].modifiers = vec!["lt".into()];
        c.lines[1].units = "2".into();
        c.lines.push(rcm_proto::common::ServiceLine { procedure_code: "93000".into(), ..Default::default() });
        c.service_date.clear();
        let lines = sent_lines(&View::of(&c));
        assert_eq!(lines.len(), 2, "a line without a date is not a service sent");
        assert_eq!(lines[1].modifiers, ["LT"]);
        assert_eq!((lines[1].line_no, lines[1].units.as_str(), lines[1].procedure_code.as_str()), (2, "2", "71046"));
    }
}
