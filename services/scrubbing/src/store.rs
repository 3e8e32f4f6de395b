//! Scrubbing's queries. Every row carries `tenant_id`; money is BIGINT cents.

use crate::decide::{Override, PriorService, Scrub};
use crate::rules::RuleFinding;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// A claim's latest scrub, and the claim as scrubbed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubResult {
    pub tenant_id: String,
    pub claim_id: String,
    pub patient_control_number: String,
    pub state: String,
    pub total_charge_cents: i64,
    pub errors: i32,
    pub warnings: i32,
    pub rule_ids: Vec<String>,
    /// The ClaimCoded event it answers.
    pub event_id: Uuid,
    pub updated_at: DateTime<Utc>,
    /// The claim (protobuf).
    pub claim: Vec<u8>,
    pub correlation_id: String,
    pub first_scrubbed_at: DateTime<Utc>,
    /// `scrubbing.claim_scrubbed` was sent for it.
    pub released: bool,
}

/// Keeps the first scrub's time, and `released` once set.
pub async fn save(conn: &mut PgConnection, r: &ScrubResult) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scrub_results (tenant_id, claim_id, patient_control_number, state, total_charge_cents, errors,
                                    warnings, rule_ids, event_id, updated_at, claim, correlation_id,
                                    first_scrubbed_at, released)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             patient_control_number = EXCLUDED.patient_control_number, state = EXCLUDED.state,
             total_charge_cents = EXCLUDED.total_charge_cents, errors = EXCLUDED.errors,
             warnings = EXCLUDED.warnings, rule_ids = EXCLUDED.rule_ids, event_id = EXCLUDED.event_id,
             updated_at = EXCLUDED.updated_at, claim = EXCLUDED.claim, correlation_id = EXCLUDED.correlation_id,
             released = scrub_results.released OR EXCLUDED.released",
    )
    .bind(&r.tenant_id)
    .bind(&r.claim_id)
    .bind(&r.patient_control_number)
    .bind(&r.state)
    .bind(r.total_charge_cents)
    .bind(r.errors)
    .bind(r.warnings)
    .bind(&r.rule_ids)
    .bind(r.event_id)
    .bind(r.updated_at)
    .bind(&r.claim)
    .bind(&r.correlation_id)
    .bind(r.first_scrubbed_at)
    .bind(r.released)
    .execute(conn)
    .await?;
    Ok(())
}

const RESULT_COLUMNS: &str = "tenant_id, claim_id, patient_control_number, state, total_charge_cents, errors, warnings,
     rule_ids, event_id, updated_at, COALESCE(claim, ''::bytea), correlation_id, first_scrubbed_at, released";

fn result(r: sqlx::postgres::PgRow) -> ScrubResult {
    ScrubResult {
        tenant_id: r.get(0),
        claim_id: r.get(1),
        patient_control_number: r.get(2),
        state: r.get(3),
        total_charge_cents: r.get(4),
        errors: r.get(5),
        warnings: r.get(6),
        rule_ids: r.get(7),
        event_id: r.get(8),
        updated_at: r.get(9),
        claim: r.get(10),
        correlation_id: r.get(11),
        first_scrubbed_at: r.get(12),
        released: r.get(13),
    }
}

pub async fn get<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Option<ScrubResult>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RESULT_COLUMNS} FROM scrub_results WHERE tenant_id = $1 AND claim_id = $2"
    )))
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(result))
}

/// The claim's row, locked until the transaction ends (overrides and rescrubs of one claim go
/// one at a time).
pub async fn get_for_update(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
) -> sqlx::Result<Option<ScrubResult>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RESULT_COLUMNS} FROM scrub_results WHERE tenant_id = $1 AND claim_id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(result))
}

/// Claims first scrubbed at or after `from`, oldest first (for `rcm scrub replay`).
pub async fn claims_since<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    from: DateTime<Utc>,
) -> sqlx::Result<Vec<ScrubResult>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RESULT_COLUMNS} FROM scrub_results
         WHERE tenant_id = $1 AND first_scrubbed_at >= $2 AND claim IS NOT NULL
         ORDER BY first_scrubbed_at, claim_id"
    )))
    .bind(tenant)
    .bind(from)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(result).collect())
}

/// Serialises the scrubs of one patient's claims (duplicates and NCCI across claims look at the
/// patient's services sent), across processes, until the transaction ends.
pub async fn lock_patient(conn: &mut PgConnection, tenant: &str, patient_key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("scrubbing:{tenant}:{patient_key}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// One scrub of a claim, as kept in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub at: DateTime<Utc>,
    pub trigger: String,
    pub state: String,
    pub findings: Vec<RuleFinding>,
    pub packs: Vec<String>,
}

pub async fn insert_run(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    at: DateTime<Utc>,
    trigger: &str,
    s: &Scrub,
) -> sqlx::Result<()> {
    let findings = serde_json::to_value(&s.findings).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO scrub_runs (tenant_id, claim_id, at, trigger, state, findings, packs)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(at)
    .bind(trigger)
    .bind(s.state())
    .bind(findings)
    .bind(&s.packs)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every scrub of a claim, oldest first.
pub async fn runs<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<Run>> {
    let rows = sqlx::query(
        "SELECT at, trigger, state, findings, packs FROM scrub_runs WHERE tenant_id = $1 AND claim_id = $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let findings: serde_json::Value = r.get(3);
            Ok(Run {
                at: r.get(0),
                trigger: r.get(1),
                state: r.get(2),
                findings: serde_json::from_value(findings).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                packs: r.get(4),
            })
        })
        .collect()
}

/// A service to record as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentLine {
    pub line_no: i32,
    pub service_date: NaiveDate,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub units: String,
}

/// Records the lines of a claim sent on (replacing what was recorded for it before).
#[allow(clippy::too_many_arguments)]
pub async fn record_sent(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    patient_key: &str,
    billing_npi: &str,
    provider_npi: &str,
    lines: &[SentLine],
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sent_services WHERE tenant_id = $1 AND claim_id = $2")
        .bind(tenant)
        .bind(claim_id)
        .execute(&mut *conn)
        .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO sent_services (tenant_id, claim_id, line_no, patient_key, billing_npi, provider_npi,
                                        service_date, procedure_code, modifiers, units, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant)
        .bind(claim_id)
        .bind(l.line_no)
        .bind(patient_key)
        .bind(billing_npi)
        .bind(provider_npi)
        .bind(l.service_date)
        .bind(&l.procedure_code)
        .bind(&l.modifiers)
        .bind(&l.units)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The patient's services on these dates, sent before `before` by claims other than `claim_id`.
pub async fn prior_services<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    patient_key: &str,
    dates: &[NaiveDate],
    claim_id: &str,
    before: DateTime<Utc>,
) -> sqlx::Result<Vec<PriorService>> {
    if dates.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT claim_id, billing_npi, provider_npi, service_date, procedure_code, modifiers, units
         FROM sent_services
         WHERE tenant_id = $1 AND patient_key = $2 AND service_date = ANY($3) AND claim_id <> $4 AND sent_at < $5
         ORDER BY sent_at, claim_id, line_no",
    )
    .bind(tenant)
    .bind(patient_key)
    .bind(dates)
    .bind(claim_id)
    .bind(before)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let units: String = r.get(6);
            PriorService {
                claim_id: r.get(0),
                billing_npi: r.get(1),
                provider_npi: r.get(2),
                service_date: r.get(3),
                procedure_code: r.get(4),
                modifiers: r.get(5),
                units: units.parse().unwrap_or_default(),
            }
        })
        .collect())
}

/// An override as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRow {
    pub rule: Override,
    pub at: DateTime<Utc>,
}

pub async fn insert_override(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    o: &Override,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO finding_overrides (tenant_id, claim_id, rule_id, field, reason, who, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(&o.rule_id)
    .bind(&o.field)
    .bind(&o.reason)
    .bind(&o.who)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A claim's overrides, oldest first.
pub async fn overrides<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<OverrideRow>> {
    let rows = sqlx::query(
        "SELECT rule_id, field, reason, who, at FROM finding_overrides WHERE tenant_id = $1 AND claim_id = $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OverrideRow {
            rule: Override { rule_id: r.get(0), field: r.get(1), reason: r.get(2), who: r.get(3) },
            at: r.get(4),
        })
        .collect())
}

/// A pack as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPack {
    pub payer_id: String,
    pub pack_id: String,
    pub version: String,
    pub text: String,
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
    pub active: bool,
}

/// The tenant's packs, in the order loaded; only the active ones unless `all`.
pub async fn packs<'e>(db: impl PgExecutor<'e>, tenant: &str, all: bool) -> sqlx::Result<Vec<StoredPack>> {
    let rows = sqlx::query(
        "SELECT payer_id, pack_id, version, text, loaded_at, loaded_by, active FROM rule_packs
         WHERE tenant_id = $1 AND (active OR $2) ORDER BY loaded_at, pack_id, version",
    )
    .bind(tenant)
    .bind(all)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredPack {
            payer_id: r.get(0),
            pack_id: r.get(1),
            version: r.get(2),
            text: r.get(3),
            loaded_at: r.get(4),
            loaded_by: r.get(5),
            active: r.get(6),
        })
        .collect())
}

/// A version loaded before for this tenant, payer and pack id.
pub async fn pack_version<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    payer: &str,
    pack_id: &str,
    version: &str,
) -> sqlx::Result<Option<StoredPack>> {
    let row = sqlx::query(
        "SELECT payer_id, pack_id, version, text, loaded_at, loaded_by, active FROM rule_packs
         WHERE tenant_id = $1 AND payer_id = $2 AND pack_id = $3 AND version = $4",
    )
    .bind(tenant)
    .bind(payer)
    .bind(pack_id)
    .bind(version)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| StoredPack {
        payer_id: r.get(0),
        pack_id: r.get(1),
        version: r.get(2),
        text: r.get(3),
        loaded_at: r.get(4),
        loaded_by: r.get(5),
        active: r.get(6),
    }))
}

/// Makes a version the active one of its pack (inserting it when new).
pub async fn activate_pack(conn: &mut PgConnection, tenant: &str, p: &StoredPack) -> sqlx::Result<()> {
    deactivate_pack(conn, tenant, &p.payer_id, &p.pack_id).await?;
    sqlx::query(
        "INSERT INTO rule_packs (tenant_id, payer_id, pack_id, version, text, loaded_at, loaded_by, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true)
         ON CONFLICT (tenant_id, payer_id, pack_id, version) DO UPDATE SET
             active = true, loaded_at = EXCLUDED.loaded_at, loaded_by = EXCLUDED.loaded_by",
    )
    .bind(tenant)
    .bind(&p.payer_id)
    .bind(&p.pack_id)
    .bind(&p.version)
    .bind(&p.text)
    .bind(p.loaded_at)
    .bind(&p.loaded_by)
    .execute(&mut *conn)
    .await?;
    bump_generation(conn, tenant).await
}

/// Stops using a pack; false when none was active.
pub async fn deactivate_pack(conn: &mut PgConnection, tenant: &str, payer: &str, pack_id: &str) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE rule_packs SET active = false WHERE tenant_id = $1 AND payer_id = $2 AND pack_id = $3 AND active",
    )
    .bind(tenant)
    .bind(payer)
    .bind(pack_id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() > 0 {
        bump_generation(conn, tenant).await?;
    }
    Ok(r.rows_affected() > 0)
}

async fn bump_generation(conn: &mut PgConnection, tenant: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pack_generations (tenant_id, generation) VALUES ($1, 1)
         ON CONFLICT (tenant_id) DO UPDATE SET generation = pack_generations.generation + 1",
    )
    .bind(tenant)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many times the tenant's packs changed (0: never).
pub async fn generation<'e>(db: impl PgExecutor<'e>, tenant: &str) -> sqlx::Result<i64> {
    Ok(sqlx::query_scalar("SELECT generation FROM pack_generations WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(db)
        .await?
        .unwrap_or(0))
}
