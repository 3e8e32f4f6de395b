//! Scrubbing's queries. Every row carries `tenant_id`; money is BIGINT cents.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// A claim's latest scrub.
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
    pub event_id: Uuid,
    pub updated_at: DateTime<Utc>,
}

pub async fn save(conn: &mut PgConnection, r: &ScrubResult) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scrub_results (tenant_id, claim_id, patient_control_number, state, total_charge_cents, errors,
                                    warnings, rule_ids, event_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             patient_control_number = EXCLUDED.patient_control_number, state = EXCLUDED.state,
             total_charge_cents = EXCLUDED.total_charge_cents, errors = EXCLUDED.errors,
             warnings = EXCLUDED.warnings, rule_ids = EXCLUDED.rule_ids, event_id = EXCLUDED.event_id,
             updated_at = EXCLUDED.updated_at",
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
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Option<ScrubResult>> {
    let row = sqlx::query(
        "SELECT tenant_id, claim_id, patient_control_number, state, total_charge_cents, errors, warnings, rule_ids,
                event_id, updated_at
         FROM scrub_results WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| ScrubResult {
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
    }))
}
