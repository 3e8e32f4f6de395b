//! The service's tables (see `migrations/1000_init.sql`). Every query names the tenant.

use crate::decide::{ClaimState, ControlNumbers, next_control};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// A claim version as scrubbing handed it over.
pub struct NewClaim<'a> {
    pub tenant: &'a str,
    pub claim_id: &'a str,
    pub version: i32,
    pub frequency_code: &'a str,
    pub patient_control_number: &'a str,
    pub payer_id: &'a str,
    pub total_charge_cents: i64,
    pub claim: &'a [u8],
    pub correlation_id: &'a str,
    pub scrubbed_event_id: &'a str,
}

/// The claim's latest version and its state, locked until the transaction ends (so versions of
/// one claim are decided one after the other).
pub async fn latest_version(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
) -> Result<Option<(i32, ClaimState)>> {
    let row: Option<(i32, String)> = sqlx::query_as(
        "SELECT version, state FROM claims WHERE tenant_id = $1 AND claim_id = $2
         ORDER BY version DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(v, s)| (v, ClaimState::parse(&s).unwrap_or(ClaimState::Held))))
}

/// The claim as its latest version was stored (the encoded rcm.common.v1.Claim).
pub async fn latest_claim(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT claim FROM claims WHERE tenant_id = $1 AND claim_id = $2 ORDER BY version DESC LIMIT 1")
            .bind(tenant)
            .bind(claim_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(c,)| c))
}

/// Stores a pending claim version; false when the tenant already has it (a duplicate event).
pub async fn insert_pending(conn: &mut PgConnection, c: &NewClaim<'_>) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO claims (tenant_id, claim_id, version, frequency_code, patient_control_number, payer_id,
                             total_charge_cents, claim, correlation_id, scrubbed_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, claim_id, version) DO NOTHING",
    )
    .bind(c.tenant)
    .bind(c.claim_id)
    .bind(c.version)
    .bind(c.frequency_code)
    .bind(c.patient_control_number)
    .bind(c.payer_id)
    .bind(c.total_charge_cents)
    .bind(c.claim)
    .bind(c.correlation_id)
    .bind(c.scrubbed_event_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A pending claim version taken by the batcher.
#[derive(Debug, Clone)]
pub struct PendingClaim {
    pub claim_id: String,
    pub version: i32,
    pub payer_id: String,
    pub claim: Vec<u8>,
    pub correlation_id: String,
    pub scrubbed_event_id: String,
}

/// The claims waiting for one payer: how many, and how long the oldest has waited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingGroup {
    pub payer_id: String,
    pub claims: i64,
    pub oldest_wait_ms: i64,
}

/// The tenant's pending claims by payer (waits measured by the database's clock, which stamped them).
pub async fn pending_groups(pool: &PgPool, tenant: &str) -> Result<Vec<PendingGroup>> {
    let rows: Vec<(String, i64, f64)> = sqlx::query_as(
        "SELECT payer_id, count(*), (extract(epoch FROM now() - min(received_at)) * 1000)::FLOAT8 FROM claims
         WHERE tenant_id = $1 AND state = 'pending' GROUP BY payer_id ORDER BY payer_id",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(payer_id, claims, wait)| PendingGroup { payer_id, claims, oldest_wait_ms: wait.max(0.0) as i64 })
        .collect())
}

/// Locks up to `limit` pending claims of the tenant for one payer, oldest first; claims another
/// batcher holds are skipped.
pub async fn take_pending(
    conn: &mut PgConnection,
    tenant: &str,
    payer_id: &str,
    limit: i64,
) -> Result<Vec<PendingClaim>> {
    let rows = sqlx::query(
        "SELECT claim_id, payer_id, claim, correlation_id, scrubbed_event_id, version FROM claims
         WHERE tenant_id = $1 AND state = 'pending' AND payer_id = $3
         ORDER BY received_at, claim_id, version LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(tenant)
    .bind(limit)
    .bind(payer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PendingClaim {
            claim_id: r.get(0),
            payer_id: r.get(1),
            claim: r.get(2),
            correlation_id: r.get(3),
            scrubbed_event_id: r.get(4),
            version: r.get(5),
        })
        .collect())
}

/// Takes the next ISA13, GS06 and ST02 of the tenant and trading partner (the row stays locked until
/// the transaction ends, so numbers are unique and increasing and recorded with their batch).
pub async fn allocate_control_numbers(
    conn: &mut PgConnection,
    tenant: &str,
    partner_id: &str,
) -> Result<ControlNumbers> {
    let row = sqlx::query(
        "INSERT INTO control_numbers (tenant_id, partner_id) VALUES ($1, $2)
         ON CONFLICT (tenant_id, partner_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
         RETURNING interchange, functional_group, transaction_set",
    )
    .bind(tenant)
    .bind(partner_id)
    .fetch_one(&mut *conn)
    .await?;
    let (isa, gs, st): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    let next = ControlNumbers {
        interchange: next_control(isa) as u32,
        group: next_control(gs) as u32,
        transaction: next_control(st) as u32,
    };
    sqlx::query(
        "UPDATE control_numbers SET interchange = $2, functional_group = $3, transaction_set = $4
         WHERE tenant_id = $1 AND partner_id = $5",
    )
    .bind(tenant)
    .bind(next.interchange as i64)
    .bind(next.group as i64)
    .bind(next.transaction as i64)
    .bind(partner_id)
    .execute(conn)
    .await?;
    Ok(next)
}

/// One 837P file.
#[derive(Debug, Clone)]
pub struct Batch {
    pub tenant: String,
    pub batch_id: Uuid,
    pub partner_id: String,
    pub payer_id: String,
    pub file_name: String,
    pub control: ControlNumbers,
    pub claim_count: i32,
    pub total_charge_cents: i64,
    pub content: String,
}

pub async fn insert_batch(conn: &mut PgConnection, b: &Batch) -> Result<()> {
    sqlx::query(
        "INSERT INTO batches (tenant_id, batch_id, payer_id, file_name, interchange_control_number, group_control_number,
                              transaction_control_number, claim_count, total_charge_cents, content, partner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&b.tenant)
    .bind(b.batch_id)
    .bind(&b.payer_id)
    .bind(&b.file_name)
    .bind(b.control.interchange as i64)
    .bind(b.control.group as i64)
    .bind(b.control.st02())
    .bind(b.claim_count)
    .bind(b.total_charge_cents)
    .bind(&b.content)
    .bind(&b.partner_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_submitted(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    version: i32,
    batch_id: Uuid,
    partner_id: &str,
    submitted_event_id: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE claims SET state = 'submitted', batch_id = $4, submitted_event_id = $5, partner_id = $6, updated_at = now()
         WHERE tenant_id = $1 AND claim_id = $2 AND version = $3",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(version)
    .bind(batch_id)
    .bind(submitted_event_id)
    .bind(partner_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_held(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    version: i32,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE claims SET state = 'held', held_reason = $4, updated_at = now()
         WHERE tenant_id = $1 AND claim_id = $2 AND version = $3",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(version)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Batches committed but not yet written to the outbound directory.
/// A committed batch whose file has not reached its trading partner yet.
#[derive(Debug, Clone)]
pub struct Undelivered {
    pub batch_id: Uuid,
    pub partner_id: String,
    pub file_name: String,
    pub content: String,
    pub attempts: i32,
    pub interchange_control_number: i64,
}

/// The tenant's batches due for a delivery attempt, oldest first.
pub async fn undelivered_batches(pool: &PgPool, tenant: &str) -> Result<Vec<Undelivered>> {
    let rows: Vec<(Uuid, String, String, String, i32, i64)> = sqlx::query_as(
        "SELECT batch_id, partner_id, file_name, content, attempts, interchange_control_number FROM batches
         WHERE tenant_id = $1 AND delivery = 'pending' AND next_attempt_at <= now() ORDER BY created_at",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(batch_id, partner_id, file_name, content, attempts, isa13)| Undelivered {
            batch_id,
            partner_id,
            file_name,
            content,
            attempts,
            interchange_control_number: isa13,
        })
        .collect())
}

/// Records that the batch's file reached its partner, and moves its claims that wait for that to
/// `sent` (a claim an acknowledgement already moved stays where it is). Returns the batch's claims.
pub async fn mark_sent(
    conn: &mut PgConnection,
    tenant: &str,
    batch_id: Uuid,
    destination: &str,
    attempts: i32,
) -> Result<Vec<AckTarget>> {
    let r = sqlx::query(
        "UPDATE batches SET delivery = 'sent', written_at = now(), destination = $3, attempts = $4, last_error = NULL
         WHERE tenant_id = $1 AND batch_id = $2 AND delivery <> 'sent'",
    )
    .bind(tenant)
    .bind(batch_id)
    .bind(destination)
    .bind(attempts)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        // Another replica recorded it first.
        return Ok(Vec::new());
    }
    sqlx::query("UPDATE claims SET state = 'sent', updated_at = now() WHERE tenant_id = $1 AND batch_id = $2 AND state = 'submitted'")
        .bind(tenant)
        .bind(batch_id)
        .execute(&mut *conn)
        .await?;
    claims_of_batch(conn, tenant, batch_id).await
}

/// Records a failed delivery attempt: tried again after `retry_in`, or, when `None` (an error that
/// retrying cannot fix), `failed` until an operator retries it.
pub async fn record_delivery_failure(
    pool: &PgPool,
    tenant: &str,
    batch_id: Uuid,
    attempts: i32,
    error: &str,
    retry_in: Option<std::time::Duration>,
) -> Result<()> {
    let (delivery, secs) = match retry_in {
        Some(d) => ("pending", d.as_secs_f64()),
        None => ("failed", 0.0),
    };
    sqlx::query(
        "UPDATE batches SET attempts = $3, last_error = $4, delivery = $5,
                next_attempt_at = now() + make_interval(secs => $6)
         WHERE tenant_id = $1 AND batch_id = $2 AND delivery = 'pending'",
    )
    .bind(tenant)
    .bind(batch_id)
    .bind(attempts)
    .bind(error)
    .bind(delivery)
    .bind(secs)
    .execute(pool)
    .await?;
    Ok(())
}

/// An operator's retry of a failed delivery: pending again, due now. False when the batch is not failed.
pub async fn retry_delivery(pool: &PgPool, tenant: &str, batch_id: Uuid) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE batches SET delivery = 'pending', next_attempt_at = now()
         WHERE tenant_id = $1 AND batch_id = $2 AND delivery = 'failed'",
    )
    .bind(tenant)
    .bind(batch_id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A batch as operators see it (no content).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchRow {
    pub batch_id: Uuid,
    pub partner_id: String,
    pub payer_id: String,
    pub file_name: String,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    pub transaction_control_number: String,
    pub claim_count: i32,
    pub total_charge_cents: i64,
    pub delivery: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub destination: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub written_at: Option<chrono::DateTime<chrono::Utc>>,
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
}

/// The tenant's batches, newest first, optionally only those in one delivery state, or one batch.
pub async fn list_batches(
    pool: &PgPool,
    tenant: &str,
    delivery: Option<&str>,
    batch: Option<Uuid>,
    limit: i64,
) -> Result<Vec<BatchRow>> {
    Ok(sqlx::query_as(
        "SELECT batch_id, partner_id, payer_id, file_name, interchange_control_number, group_control_number,
                transaction_control_number, claim_count, total_charge_cents, delivery, attempts, last_error,
                destination, created_at, written_at, next_attempt_at
         FROM batches
         WHERE tenant_id = $1 AND ($2::TEXT IS NULL OR delivery = $2) AND ($4::UUID IS NULL OR batch_id = $4)
         ORDER BY created_at DESC LIMIT $3",
    )
    .bind(tenant)
    .bind(delivery)
    .bind(limit)
    .bind(batch)
    .fetch_all(pool)
    .await?)
}

/// The tenant's own trading partners (without them, the configured default serves it).
pub async fn trading_partners(pool: &PgPool, tenant: &str) -> Result<Vec<serde_json::Value>> {
    let rows: Vec<(serde_json::Value,)> =
        sqlx::query_as("SELECT settings FROM trading_partners WHERE tenant_id = $1 ORDER BY partner_id")
            .bind(tenant)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

pub async fn upsert_trading_partner(
    conn: &mut PgConnection,
    tenant: &str,
    partner_id: &str,
    settings: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO trading_partners (tenant_id, partner_id, settings) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, partner_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()",
    )
    .bind(tenant)
    .bind(partner_id)
    .bind(settings)
    .execute(conn)
    .await?;
    Ok(())
}

/// A claim version an acknowledgement is about, locked for the update.
#[derive(Debug, Clone)]
pub struct AckTarget {
    pub claim_id: String,
    pub version: i32,
    pub state: ClaimState,
    pub correlation_id: String,
    pub causation_id: String,
    /// Seconds since the claim version arrived scrubbed.
    pub waited_s: f64,
}

fn target(r: sqlx::postgres::PgRow) -> AckTarget {
    let state: String = r.get(1);
    let submitted: Option<String> = r.get(3);
    let scrubbed: String = r.get(4);
    AckTarget {
        claim_id: r.get(0),
        state: ClaimState::parse(&state).unwrap_or(ClaimState::Held),
        correlation_id: r.get(2),
        causation_id: submitted.unwrap_or(scrubbed),
        version: r.get(5),
        waited_s: r.get(6),
    }
}

const TARGET_COLUMNS: &str = "claim_id, state, correlation_id, submitted_event_id, scrubbed_event_id, version,
     (extract(epoch FROM now() - received_at))::FLOAT8";

/// The latest version of the claim with this patient control number (a 277CA names no version).
pub async fn claim_by_pcn(conn: &mut PgConnection, tenant: &str, pcn: &str) -> Result<Option<AckTarget>> {
    let sql = format!(
        "SELECT {TARGET_COLUMNS} FROM claims WHERE tenant_id = $1 AND patient_control_number = $2
         ORDER BY version DESC LIMIT 1 FOR UPDATE"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(pcn).fetch_optional(conn).await?;
    Ok(row.map(target))
}

/// Our batch to the partner with GS06 = `group` (the newest, should the counter have wrapped): its
/// id and ST02.
pub async fn batch_by_group(
    conn: &mut PgConnection,
    tenant: &str,
    partner_id: &str,
    group: u32,
) -> Result<Option<(Uuid, String)>> {
    Ok(sqlx::query_as(
        "SELECT batch_id, transaction_control_number FROM batches
         WHERE tenant_id = $1 AND partner_id = $3 AND group_control_number = $2
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(group as i64)
    .bind(partner_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn claims_of_batch(conn: &mut PgConnection, tenant: &str, batch_id: Uuid) -> Result<Vec<AckTarget>> {
    let sql = format!(
        "SELECT {TARGET_COLUMNS} FROM claims WHERE tenant_id = $1 AND batch_id = $2 ORDER BY claim_id, version FOR UPDATE"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(batch_id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(target).collect())
}

pub async fn set_acked(
    conn: &mut PgConnection,
    tenant: &str,
    claim: &AckTarget,
    state: ClaimState,
    payer_claim_control_number: Option<&str>,
    ack_file: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE claims SET state = $4, payer_claim_control_number = COALESCE($5, payer_claim_control_number),
                ack_file = $6, updated_at = now()
         WHERE tenant_id = $1 AND claim_id = $2 AND version = $3",
    )
    .bind(tenant)
    .bind(&claim.claim_id)
    .bind(claim.version)
    .bind(state.as_str())
    .bind(payer_claim_control_number)
    .bind(ack_file)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the file for this transaction: records it as processed, or returns false when it was
/// processed before (a replica handling the same file at the same time waits here for the other's
/// commit, then sees it as processed).
pub async fn claim_ack_file(conn: &mut PgConnection, f: &AckFile<'_>) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO ack_files (tenant_id, file_name, sha256, kind, acks, partner_id, content)
         VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(f.tenant)
    .bind(f.file_name)
    .bind(f.sha256)
    .bind(f.kind)
    .bind(f.partner_id)
    .bind(f.content)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The file an acknowledgement came in.
#[derive(Debug, Clone)]
pub struct AckFile<'a> {
    pub tenant: &'a str,
    /// The trading partner whose transport it came from.
    pub partner_id: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub kind: &'a str,
    pub content: &'a [u8],
}

/// How many acknowledgement items the file held.
pub async fn set_ack_file_items(conn: &mut PgConnection, f: &AckFile<'_>, acks: i32) -> Result<()> {
    sqlx::query("UPDATE ack_files SET acks = $4 WHERE tenant_id = $1 AND file_name = $2 AND sha256 = $3")
        .bind(f.tenant)
        .bind(f.file_name)
        .bind(f.sha256)
        .bind(acks)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_ack_failure(pool: &PgPool, f: &AckFile<'_>, error: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO ack_failures (tenant_id, file_name, sha256, kind, error, partner_id, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(f.tenant)
    .bind(f.file_name)
    .bind(f.sha256)
    .bind(f.kind)
    .bind(error)
    .bind(f.partner_id)
    .bind(f.content)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn record_ack_item(
    conn: &mut PgConnection,
    f: &AckFile<'_>,
    reference: &str,
    claim_id: Option<&str>,
    outcome: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ack_items (tenant_id, file_name, sha256, kind, reference, claim_id, outcome, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(f.tenant)
    .bind(f.file_name)
    .bind(f.sha256)
    .bind(f.kind)
    .bind(reference)
    .bind(claim_id)
    .bind(outcome)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// What GetClaimStatus shows (of the claim's latest version).
#[derive(Debug, Clone)]
pub struct ClaimStatusRow {
    pub version: i32,
    pub frequency_code: String,
    pub state: String,
    pub updated_at: DateTime<Utc>,
    pub file_name: Option<String>,
    pub interchange_control_number: Option<i64>,
    pub group_control_number: Option<i64>,
    pub transaction_control_number: Option<String>,
    pub payer_claim_control_number: Option<String>,
    pub ack_file: Option<String>,
    pub held_reason: Option<String>,
}

pub async fn claim_status(pool: &PgPool, tenant: &str, claim_id: &str) -> Result<Option<ClaimStatusRow>> {
    let row = sqlx::query(
        "SELECT c.state, c.updated_at, b.file_name, b.interchange_control_number, b.group_control_number,
                b.transaction_control_number, c.payer_claim_control_number, c.ack_file, c.held_reason, c.version,
                c.frequency_code
         FROM claims c LEFT JOIN batches b ON b.tenant_id = c.tenant_id AND b.batch_id = c.batch_id
         WHERE c.tenant_id = $1 AND c.claim_id = $2 ORDER BY c.version DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| ClaimStatusRow {
        state: r.get(0),
        updated_at: r.get(1),
        file_name: r.get(2),
        interchange_control_number: r.get(3),
        group_control_number: r.get(4),
        transaction_control_number: r.get(5),
        payer_claim_control_number: r.get(6),
        ack_file: r.get(7),
        held_reason: r.get(8),
        version: r.get(9),
        frequency_code: r.get(10),
    }))
}

/// An acknowledgement that matched nothing of ours, or a file that could not be read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnmatchedRow {
    pub id: String,
    pub partner_id: String,
    pub file_name: String,
    pub kind: String,
    pub reason: String,
    pub reference: String,
    pub detail: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

/// The operator's queue of unmatched acknowledgements, oldest first (or the one item `only`).
pub async fn unmatched_acks(
    pool: &PgPool,
    tenant: &str,
    include_resolved: bool,
    only: Option<&str>,
    limit: i64,
) -> Result<Vec<UnmatchedRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM (
             SELECT 'item-' || i.id AS id, coalesce(f.partner_id, 'default') AS partner_id, i.file_name, i.kind,
                    i.outcome AS reason, i.reference, i.detail, i.created_at AS received_at, i.resolved_at,
                    i.resolved_by, i.resolution
             FROM ack_items i
             LEFT JOIN ack_files f ON f.tenant_id = i.tenant_id AND f.file_name = i.file_name AND f.sha256 = i.sha256
             WHERE i.tenant_id = $1 AND i.outcome IN ('unknown_claim', 'unknown_batch')
             UNION ALL
             SELECT 'file-' || sha256, partner_id, file_name, kind, 'unreadable', '', error, created_at, resolved_at,
                    resolved_by, resolution
             FROM ack_failures WHERE tenant_id = $1
         ) u
         WHERE ($2 OR resolved_at IS NULL) AND ($4::TEXT IS NULL OR id = $4)
         ORDER BY received_at, id LIMIT $3",
    )
    .bind(tenant)
    .bind(include_resolved)
    .bind(limit)
    .bind(only)
    .fetch_all(pool)
    .await?)
}

/// Marks an unmatched item looked at; false when there is no such open item.
pub async fn resolve_unmatched_ack(
    pool: &PgPool,
    tenant: &str,
    id: &str,
    actor: &str,
    resolution: &str,
) -> Result<bool> {
    let r = if let Some(n) = id.strip_prefix("item-").and_then(|n| n.parse::<i64>().ok()) {
        sqlx::query(
            "UPDATE ack_items SET resolved_at = now(), resolved_by = $3, resolution = $4
             WHERE tenant_id = $1 AND id = $2 AND outcome IN ('unknown_claim', 'unknown_batch') AND resolved_at IS NULL",
        )
        .bind(tenant)
        .bind(n)
        .bind(actor)
        .bind(resolution)
        .execute(pool)
        .await?
    } else if let Some(sha) = id.strip_prefix("file-") {
        sqlx::query(
            "UPDATE ack_failures SET resolved_at = now(), resolved_by = $3, resolution = $4
             WHERE tenant_id = $1 AND sha256 = $2 AND resolved_at IS NULL",
        )
        .bind(tenant)
        .bind(sha)
        .bind(actor)
        .bind(resolution)
        .execute(pool)
        .await?
    } else {
        return Ok(false);
    };
    Ok(r.rows_affected() > 0)
}

/// The tenant's claim versions by state, and batches by delivery (for the gauges).
pub async fn state_counts(pool: &PgPool, tenant: &str) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>)> {
    let claims = sqlx::query_as("SELECT state, count(*) FROM claims WHERE tenant_id = $1 GROUP BY state")
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    let files = sqlx::query_as("SELECT delivery, count(*) FROM batches WHERE tenant_id = $1 GROUP BY delivery")
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    Ok((claims, files))
}
