//! Coding's queries. Every row carries `tenant_id`; money is BIGINT cents.

use crate::decide::{Fee, TenantCpt};
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
    insert_fees(conn, tenant, default).await?;
    Ok(true)
}

/// Adds fees in one statement (a schedule read by `parse_fee_schedule` has each code and modifier
/// once).
async fn insert_fees(conn: &mut PgConnection, tenant: &str, fees: &[Fee]) -> sqlx::Result<()> {
    let codes: Vec<&str> = fees.iter().map(|f| f.procedure_code.as_str()).collect();
    let modifiers: Vec<&str> = fees.iter().map(|f| f.modifier.as_str()).collect();
    let cents: Vec<i64> = fees.iter().map(|f| f.charge_cents).collect();
    sqlx::query(
        "INSERT INTO fee_schedule (tenant_id, procedure_code, modifier, charge_cents)
         SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::BIGINT[])
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&codes)
    .bind(&modifiers)
    .bind(&cents)
    .execute(conn)
    .await?;
    Ok(())
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
    /// The claim as coding last sent it (protobuf); none while a first coding waits. A replacement
    /// waiting for a coder keeps the claim it replaces.
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

// ---------------------------------------------------------------------------------------------
// Tenant files and settings
// ---------------------------------------------------------------------------------------------

/// Whether the tenant loaded a licensed CPT file.
pub async fn has_cpt_file<'e>(db: impl PgExecutor<'e>, tenant: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenant_files WHERE tenant_id = $1 AND kind = 'cpt')")
        .bind(tenant)
        .fetch_one(db)
        .await
}

/// Which of `codes` the tenant's licensed CPT file holds, and whether it has one.
pub async fn tenant_cpt(conn: &mut PgConnection, tenant: &str, codes: &[String]) -> sqlx::Result<TenantCpt> {
    if !has_cpt_file(&mut *conn, tenant).await? {
        return Ok(TenantCpt::default());
    }
    let known: Vec<String> =
        sqlx::query_scalar("SELECT code FROM licensed_cpt WHERE tenant_id = $1 AND code = ANY($2)")
            .bind(tenant)
            .bind(codes)
            .fetch_all(&mut *conn)
            .await?;
    Ok(TenantCpt { loaded: true, known: known.into_iter().collect() })
}

/// A CPT code's description in the tenant's licensed file.
pub async fn cpt_description<'e>(db: impl PgExecutor<'e>, tenant: &str, code: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT description FROM licensed_cpt WHERE tenant_id = $1 AND code = $2")
        .bind(tenant)
        .bind(code)
        .fetch_optional(db)
        .await
}

async fn record_file(
    conn: &mut PgConnection,
    tenant: &str,
    kind: &str,
    rows: usize,
    actor: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tenant_files (tenant_id, kind, rows, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, kind) DO UPDATE SET rows = EXCLUDED.rows, loaded_by = EXCLUDED.loaded_by,
             loaded_at = EXCLUDED.loaded_at",
    )
    .bind(tenant)
    .bind(kind)
    .bind(rows as i32)
    .bind(actor)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the tenant's licensed CPT file (inside the caller's transaction).
pub async fn replace_cpt(
    conn: &mut PgConnection,
    tenant: &str,
    rows: &[(String, String)],
    actor: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM licensed_cpt WHERE tenant_id = $1").bind(tenant).execute(&mut *conn).await?;
    let codes: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let descriptions: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    sqlx::query(
        "INSERT INTO licensed_cpt (tenant_id, code, description)
         SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[]) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(&codes)
    .bind(&descriptions)
    .execute(&mut *conn)
    .await?;
    record_file(conn, tenant, "cpt", rows.len(), actor, at).await
}

/// Replaces the tenant's fee schedule (inside the caller's transaction).
pub async fn replace_fee_schedule(
    conn: &mut PgConnection,
    tenant: &str,
    fees: &[Fee],
    actor: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM fee_schedule WHERE tenant_id = $1").bind(tenant).execute(&mut *conn).await?;
    insert_fees(conn, tenant, fees).await?;
    record_file(conn, tenant, "fee_schedule", fees.len(), actor, at).await
}

/// A tenant's own coding settings: (auto-code confidence, always review suggestions).
pub async fn settings<'e>(db: impl PgExecutor<'e>, tenant: &str) -> sqlx::Result<Option<(f32, bool)>> {
    let row = sqlx::query(
        "SELECT auto_code_min_confidence, always_review_suggestions FROM coding_settings WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

pub async fn set_settings<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    min_confidence: f32,
    always_review: bool,
    actor: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO coding_settings (tenant_id, auto_code_min_confidence, always_review_suggestions, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id) DO UPDATE SET auto_code_min_confidence = EXCLUDED.auto_code_min_confidence,
             always_review_suggestions = EXCLUDED.always_review_suggestions, updated_by = EXCLUDED.updated_by,
             updated_at = EXCLUDED.updated_at",
    )
    .bind(tenant)
    .bind(min_confidence)
    .bind(always_review)
    .bind(actor)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The coder's queue
// ---------------------------------------------------------------------------------------------

/// One encounter in the coder's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub tenant_id: String,
    pub claim_id: String,
    pub encounter_id: String,
    /// open, claimed or resolved.
    pub state: String,
    /// rcm.common.v1.Encounter, protobuf.
    pub encounter: Vec<u8>,
    /// rcm.events.v1.CodingReviewRequired, protobuf.
    pub review: Vec<u8>,
    pub estimated_charge_cents: i64,
    pub service_date: String,
    pub correlation_id: String,
    pub cause_event_id: String,
    pub queued_at: DateTime<Utc>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

// The queue's SQL is put together only from these constants and fixed choices (order, lock), never
// from input: every value is bound.
const QUEUE_COLUMNS: &str = "tenant_id, claim_id, encounter_id, state, encounter, review, estimated_charge_cents,
    service_date, correlation_id, cause_event_id, queued_at, claimed_by, claimed_at, resolved_by, resolved_at";

fn queue_row(r: sqlx::postgres::PgRow) -> QueueRow {
    QueueRow {
        tenant_id: r.get(0),
        claim_id: r.get(1),
        encounter_id: r.get(2),
        state: r.get(3),
        encounter: r.get(4),
        review: r.get(5),
        estimated_charge_cents: r.get(6),
        service_date: r.get(7),
        correlation_id: r.get(8),
        cause_event_id: r.get(9),
        queued_at: r.get(10),
        claimed_by: r.get(11),
        claimed_at: r.get(12),
        resolved_by: r.get(13),
        resolved_at: r.get(14),
    }
}

/// Puts an encounter in the queue, or back in it (open, unclaimed) when a later event for the same
/// claim needs a coder again.
pub async fn enqueue_review(conn: &mut PgConnection, q: &QueueRow) -> sqlx::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO review_queue ({QUEUE_COLUMNS}) VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10,
             NULL, NULL, NULL, NULL)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET encounter_id = EXCLUDED.encounter_id, state = 'open',
             encounter = EXCLUDED.encounter, review = EXCLUDED.review,
             estimated_charge_cents = EXCLUDED.estimated_charge_cents, service_date = EXCLUDED.service_date,
             correlation_id = EXCLUDED.correlation_id, cause_event_id = EXCLUDED.cause_event_id,
             queued_at = EXCLUDED.queued_at, claimed_by = NULL, claimed_at = NULL, resolved_by = NULL,
             resolved_at = NULL"
    )))
    .bind(&q.tenant_id)
    .bind(&q.claim_id)
    .bind(&q.encounter_id)
    .bind(&q.encounter)
    .bind(&q.review)
    .bind(q.estimated_charge_cents)
    .bind(&q.service_date)
    .bind(&q.correlation_id)
    .bind(&q.cause_event_id)
    .bind(q.queued_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One queue item; `for_update` locks it for the caller's transaction.
pub async fn queue_item(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    for_update: bool,
) -> sqlx::Result<Option<QueueRow>> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {QUEUE_COLUMNS} FROM review_queue WHERE tenant_id = $1 AND claim_id = $2{lock}"
    )))
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(queue_row))
}

/// Which items to list, and in what order.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub by_amount: bool,
    pub queued_before: Option<DateTime<Utc>>,
    pub min_amount_cents: i64,
    pub include_resolved: bool,
    pub limit: i64,
}

pub async fn list_queue<'e>(db: impl PgExecutor<'e>, tenant: &str, f: &QueueFilter) -> sqlx::Result<Vec<QueueRow>> {
    let order = if f.by_amount { "estimated_charge_cents DESC, queued_at, claim_id" } else { "queued_at, claim_id" };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {QUEUE_COLUMNS} FROM review_queue
         WHERE tenant_id = $1 AND ($2 OR state <> 'resolved') AND estimated_charge_cents >= $3
           AND ($4::TIMESTAMPTZ IS NULL OR queued_at <= $4)
         ORDER BY {order} LIMIT $5"
    )))
    .bind(tenant)
    .bind(f.include_resolved)
    .bind(f.min_amount_cents)
    .bind(f.queued_before)
    .bind(f.limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(queue_row).collect())
}

/// Sets who holds an item (None releases it) and its state.
pub async fn set_claimed(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    coder: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_queue SET claimed_by = $3, claimed_at = CASE WHEN $3::TEXT IS NULL THEN NULL ELSE $4 END,
             state = CASE WHEN $3::TEXT IS NULL THEN 'open' ELSE 'claimed' END
         WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(coder)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_resolved(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_queue SET state = 'resolved', resolved_by = $3, resolved_at = $4 WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One action on a queue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueActionRow {
    pub action: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub detail: String,
}

pub async fn record_action(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    a: &QueueActionRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO review_actions (tenant_id, claim_id, action, actor, at, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(&a.action)
    .bind(&a.actor)
    .bind(a.at)
    .bind(&a.detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn actions<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<QueueActionRow>> {
    let rows = sqlx::query(
        "SELECT action, actor, at, detail FROM review_actions WHERE tenant_id = $1 AND claim_id = $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| QueueActionRow { action: r.get(0), actor: r.get(1), at: r.get(2), detail: r.get(3) })
        .collect())
}
