//! The denials service's tables (see `migrations/1000_init.sql`). Every query names its tenant.

use crate::decide::{self, Adjudication, Outcome};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool, Row};
use uuid::Uuid;

/// A work item to insert.
#[derive(Debug, Clone)]
pub struct NewWorkItem<'a> {
    pub work_item_id: Uuid,
    pub tenant_id: &'a str,
    pub claim_id: &'a str,
    pub remittance_key: &'a str,
    pub source_event_id: Uuid,
    pub correlation_id: &'a str,
    pub outcome: Outcome,
    pub classification: &'a decide::Classification,
    pub remittance: &'a rcm_proto::events::Remittance,
    pub now: DateTime<Utc>,
}

/// A stored work item.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkItem {
    pub work_item_id: Uuid,
    pub claim_id: String,
    pub outcome: String,
    pub category: String,
    pub priority: i32,
    pub reason_codes: Vec<String>,
    pub denied_cents: i64,
    pub status: String,
    pub era_file: String,
    pub payer_claim_control_number: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub correction_frequency_code: Option<String>,
    pub correction_version: Option<i32>,
    pub correction_requested_by: Option<String>,
    pub correction_requested_at: Option<DateTime<Utc>>,
}

const WORK_ITEM_COLUMNS: &str = "work_item_id, claim_id, outcome, category, priority, reason_codes, denied_cents, \
     status, era_file, payer_claim_control_number, created_at, updated_at, correction_frequency_code, \
     correction_version, correction_requested_by, correction_requested_at";

/// Inserts the item unless the claim already has one for this remittance. True when inserted.
pub async fn insert_work_item(conn: &mut PgConnection, w: &NewWorkItem<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO work_items (work_item_id, tenant_id, claim_id, remittance_key, source_event_id, correlation_id,
             outcome, category, priority, reason_codes, denied_cents, charge_cents, paid_cents, claim_status,
             payer_claim_control_number, era_file, payment_trace, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)
         ON CONFLICT (tenant_id, claim_id, remittance_key) DO NOTHING",
    )
    .bind(w.work_item_id)
    .bind(w.tenant_id)
    .bind(w.claim_id)
    .bind(w.remittance_key)
    .bind(w.source_event_id)
    .bind(w.correlation_id)
    .bind(w.outcome.as_str())
    .bind(w.classification.category.as_str())
    .bind(w.classification.priority)
    .bind(&w.classification.reason_codes)
    .bind(w.classification.denied_cents)
    .bind(w.remittance.charge_cents)
    .bind(w.remittance.paid_cents)
    .bind(&w.remittance.claim_status)
    .bind(&w.remittance.payer_claim_control_number)
    .bind(&w.remittance.era_file)
    .bind(&w.remittance.payment_trace)
    .bind(w.now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records one adjudication of a claim (once per remittance). True when it was new.
pub async fn record_adjudication(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    remittance_key: &str,
    outcome: Outcome,
    event_id: Uuid,
    occurred_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO adjudications (tenant_id, claim_id, remittance_key, outcome, event_id, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(remittance_key)
    .bind(outcome.as_str())
    .bind(event_id)
    .bind(occurred_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Open work items of a tenant: highest priority first, then oldest first.
pub async fn list_open(pool: &PgPool, tenant: &str, limit: i64) -> sqlx::Result<Vec<WorkItem>> {
    let sql = format!(
        "SELECT {WORK_ITEM_COLUMNS} FROM work_items WHERE tenant_id = $1 AND status = 'open'
         ORDER BY priority DESC, created_at, work_item_id LIMIT $2"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(limit).fetch_all(pool).await
}

/// The claim's latest work item.
pub async fn latest_work_item(pool: &PgPool, tenant: &str, claim_id: &str) -> sqlx::Result<Option<WorkItem>> {
    let sql = format!(
        "SELECT {WORK_ITEM_COLUMNS} FROM work_items WHERE tenant_id = $1 AND claim_id = $2
         ORDER BY created_at DESC, work_item_id DESC LIMIT 1"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(claim_id).fetch_optional(pool).await
}

/// A claim's latest work item with the chain it belongs to (its remittance event and the claim's
/// correlation id), so that the events answering it continue the claim's trace.
#[derive(Debug, Clone)]
pub struct LatestItem {
    pub item: WorkItem,
    pub correlation_id: String,
    pub source_event_id: Uuid,
}

/// The claim's latest work item, locked with every other item of the claim until the transaction
/// ends (so two requests for the same claim are taken one after the other), and the highest claim
/// version a correction of the claim has asked for (1 when none).
pub async fn lock_claim_items(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
) -> sqlx::Result<(Option<LatestItem>, i32)> {
    let sql = format!(
        "SELECT {WORK_ITEM_COLUMNS}, correlation_id, source_event_id FROM work_items
         WHERE tenant_id = $1 AND claim_id = $2 ORDER BY created_at DESC, work_item_id DESC FOR UPDATE"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(claim_id).fetch_all(&mut *conn).await?;
    let last_version = rows.iter().filter_map(|r| r.get::<Option<i32>, _>("correction_version")).max().unwrap_or(1);
    let latest = match rows.first() {
        Some(r) => Some(LatestItem {
            item: WorkItem::from_row(r)?,
            correlation_id: r.get("correlation_id"),
            source_event_id: r.get("source_event_id"),
        }),
        None => None,
    };
    Ok((latest, last_version))
}

/// A correction asked for on a work item.
#[derive(Debug, Clone)]
pub struct CorrectionRecord<'a> {
    pub work_item_id: Uuid,
    pub frequency_code: &'a str,
    pub version: i32,
    pub requested_by: &'a str,
    pub note: &'a str,
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
}

/// Marks the item `correction_requested` with who asked, when and for what.
pub async fn record_correction(conn: &mut PgConnection, tenant: &str, c: &CorrectionRecord<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE work_items SET status = 'correction_requested', correction_frequency_code = $3,
             correction_version = $4, correction_requested_by = $5, correction_requested_at = $6,
             correction_note = $7, correction_event_id = $8, updated_at = $6
         WHERE tenant_id = $1 AND work_item_id = $2",
    )
    .bind(tenant)
    .bind(c.work_item_id)
    .bind(c.frequency_code)
    .bind(c.version)
    .bind(c.requested_by)
    .bind(c.at)
    .bind(c.note)
    .bind(c.event_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One work item by id.
pub async fn work_item(conn: &mut PgConnection, tenant: &str, work_item_id: Uuid) -> sqlx::Result<Option<WorkItem>> {
    let sql = format!("SELECT {WORK_ITEM_COLUMNS} FROM work_items WHERE tenant_id = $1 AND work_item_id = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(work_item_id).fetch_optional(conn).await
}

/// The claim's latest adjudication: outcome and when.
pub async fn latest_adjudication(
    pool: &PgPool,
    tenant: &str,
    claim_id: &str,
) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "SELECT outcome, occurred_at FROM adjudications WHERE tenant_id = $1 AND claim_id = $2
         ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(pool)
    .await
}

/// Every adjudication of a tenant since `since` (all when `None`), oldest first.
pub async fn adjudications(
    pool: &PgPool,
    tenant: &str,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<Vec<Adjudication>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT claim_id, outcome FROM adjudications
         WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2)
         ORDER BY occurred_at, event_id",
    )
    .bind(tenant)
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(claim_id, outcome)| Outcome::parse(&outcome).map(|outcome| Adjudication { claim_id, outcome }))
        .collect())
}

/// Denial rate and first-pass yield of a tenant over the stored adjudications.
pub async fn report(pool: &PgPool, tenant: &str, since: Option<DateTime<Utc>>) -> sqlx::Result<decide::Report> {
    Ok(decide::report(&adjudications(pool, tenant, since).await?))
}
