//! Coding's queries. Every row carries `tenant_id`; money is BIGINT cents.

use crate::decide::Fee;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// Gives the tenant `default` as its fee schedule if it has no rows yet. Returns whether it did.
/// Safe when several workers race: the first loads under a lock, the others then see its rows.
pub async fn ensure_fee_schedule(conn: &mut PgConnection, tenant: &str, default: &[Fee]) -> sqlx::Result<bool> {
    const HAS_ROWS: &str = "SELECT EXISTS (SELECT 1 FROM fee_schedule WHERE tenant_id = $1)";
    if sqlx::query_scalar::<_, bool>(HAS_ROWS).bind(tenant).fetch_one(&mut *conn).await? {
        return Ok(false);
    }
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('fee_schedule/' || $1, 0))")
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    if sqlx::query_scalar::<_, bool>(HAS_ROWS).bind(tenant).fetch_one(&mut *conn).await? || default.is_empty() {
        return Ok(false);
    }
    let codes: Vec<&str> = default.iter().map(|f| f.procedure_code.as_str()).collect();
    let modifiers: Vec<&str> = default.iter().map(|f| f.modifier.as_str()).collect();
    let cents: Vec<i64> = default.iter().map(|f| f.charge_cents).collect();
    sqlx::query(
        "INSERT INTO fee_schedule (tenant_id, procedure_code, modifier, charge_cents)
         SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::BIGINT[])
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&codes)
    .bind(&modifiers)
    .bind(&cents)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The tenant's fees for some procedure codes (every modifier).
pub async fn fees<'e>(db: impl PgExecutor<'e>, tenant: &str, codes: &[String]) -> sqlx::Result<Vec<Fee>> {
    let rows = sqlx::query(
        "SELECT procedure_code, modifier, charge_cents FROM fee_schedule
         WHERE tenant_id = $1 AND procedure_code = ANY($2)",
    )
    .bind(tenant)
    .bind(codes)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| Fee { procedure_code: r.get(0), modifier: r.get(1), charge_cents: r.get(2) }).collect())
}

/// Sets one fee (tenant administration, tests).
pub async fn set_fee<'e>(db: impl PgExecutor<'e>, tenant: &str, fee: &Fee) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO fee_schedule (tenant_id, procedure_code, modifier, charge_cents) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, procedure_code, modifier) DO UPDATE SET charge_cents = EXCLUDED.charge_cents",
    )
    .bind(tenant)
    .bind(&fee.procedure_code)
    .bind(&fee.modifier)
    .bind(fee.charge_cents)
    .execute(db)
    .await?;
    Ok(())
}

/// A claim's coding state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedClaim {
    pub tenant_id: String,
    pub claim_id: String,
    pub encounter_id: String,
    pub state: String,
    pub total_charge_cents: i64,
    pub rule_ids: Vec<String>,
    pub claim: Option<Vec<u8>>,
    pub event_id: Uuid,
    pub updated_at: DateTime<Utc>,
}

pub async fn save(conn: &mut PgConnection, c: &CodedClaim) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO coded_claims (tenant_id, claim_id, encounter_id, state, total_charge_cents, rule_ids, claim,
                                   event_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             encounter_id = EXCLUDED.encounter_id, state = EXCLUDED.state,
             total_charge_cents = EXCLUDED.total_charge_cents, rule_ids = EXCLUDED.rule_ids, claim = EXCLUDED.claim,
             event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at",
    )
    .bind(&c.tenant_id)
    .bind(&c.claim_id)
    .bind(&c.encounter_id)
    .bind(&c.state)
    .bind(c.total_charge_cents)
    .bind(&c.rule_ids)
    .bind(&c.claim)
    .bind(c.event_id)
    .bind(c.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Option<CodedClaim>> {
    let row = sqlx::query(
        "SELECT tenant_id, claim_id, encounter_id, state, total_charge_cents, rule_ids, claim, event_id, updated_at
         FROM coded_claims WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| CodedClaim {
        tenant_id: r.get(0),
        claim_id: r.get(1),
        encounter_id: r.get(2),
        state: r.get(3),
        total_charge_cents: r.get(4),
        rule_ids: r.get(5),
        claim: r.get(6),
        event_id: r.get(7),
        updated_at: r.get(8),
    }))
}
