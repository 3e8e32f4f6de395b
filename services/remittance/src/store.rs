//! The remittance service's tables (see `migrations/1000_init.sql`). Every query names its tenant.

use crate::decide::{Adj, BilledLine, Outcome};
use chrono::{DateTime, NaiveDate, Utc};
use rcm_proto::common::ServiceLine;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A claim as submitted, from its `ClaimSubmitted` event.
#[derive(Debug, Clone)]
pub struct Submitted<'a> {
    pub tenant_id: &'a str,
    pub claim_id: &'a str,
    pub patient_control_number: &'a str,
    pub payer_id: &'a str,
    pub billed_cents: i64,
    pub batch_id: &'a str,
    pub file_name: &'a str,
    pub correlation_id: &'a str,
    pub submitted_event_id: &'a str,
    pub traceparent: Option<String>,
    pub lines: &'a [ServiceLine],
    pub now: DateTime<Utc>,
}

/// Records the claim as expected, or a new submission of it (its lines replaced, its state back to
/// `expected`). Returns the number of submissions so far.
pub async fn record_submitted(conn: &mut PgConnection, s: &Submitted<'_>) -> sqlx::Result<i32> {
    let submissions: i32 = sqlx::query_scalar(
        "INSERT INTO expected_claims (tenant_id, claim_id, patient_control_number, payer_id, billed_cents, batch_id,
             file_name, correlation_id, submitted_event_id, traceparent, submitted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             patient_control_number = EXCLUDED.patient_control_number, payer_id = EXCLUDED.payer_id,
             billed_cents = EXCLUDED.billed_cents, batch_id = EXCLUDED.batch_id, file_name = EXCLUDED.file_name,
             correlation_id = EXCLUDED.correlation_id, submitted_event_id = EXCLUDED.submitted_event_id,
             traceparent = EXCLUDED.traceparent, submissions = expected_claims.submissions + 1,
             state = 'expected', submitted_at = EXCLUDED.submitted_at, updated_at = EXCLUDED.updated_at
         RETURNING submissions",
    )
    .bind(s.tenant_id)
    .bind(s.claim_id)
    .bind(s.patient_control_number)
    .bind(s.payer_id)
    .bind(s.billed_cents)
    .bind(s.batch_id)
    .bind(s.file_name)
    .bind(s.correlation_id)
    .bind(s.submitted_event_id)
    .bind(&s.traceparent)
    .bind(s.now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM expected_lines WHERE tenant_id = $1 AND claim_id = $2")
        .bind(s.tenant_id)
        .bind(s.claim_id)
        .execute(&mut *conn)
        .await?;
    for (i, l) in s.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO expected_lines (tenant_id, claim_id, line_no, line_id, procedure_code, modifiers, units,
                 charge_cents, service_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(s.tenant_id)
        .bind(s.claim_id)
        .bind(i as i32 + 1)
        .bind(&l.line_id)
        .bind(&l.procedure_code)
        .bind(&l.modifiers)
        .bind(&l.units)
        .bind(l.charge_cents)
        .bind(&l.service_date)
        .execute(&mut *conn)
        .await?;
    }
    Ok(submissions)
}

/// An expected claim, as the poller needs it to post a remittance.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Expected {
    pub claim_id: String,
    pub correlation_id: String,
    pub submitted_event_id: String,
    pub traceparent: Option<String>,
}

/// Serialises, until the transaction ends, the work on one patient control number: recording its
/// submission and posting an 835 claim for it. Without it the two can pass each other (each reading
/// before the other commits), and the 835 claim would wait as unmatched for a submission already
/// recorded.
pub async fn lock_pcn(conn: &mut PgConnection, tenant: &str, pcn: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('remittance/pcn/' || $1 || '/' || $2, 0))")
        .bind(tenant)
        .bind(pcn)
        .execute(conn)
        .await?;
    Ok(())
}

/// The latest submitted claim with this patient control number, locked until the transaction ends.
pub async fn expected_by_pcn(conn: &mut PgConnection, tenant: &str, pcn: &str) -> sqlx::Result<Option<Expected>> {
    sqlx::query_as(
        "SELECT claim_id, correlation_id, submitted_event_id, traceparent FROM expected_claims
         WHERE tenant_id = $1 AND patient_control_number = $2
         ORDER BY submitted_at DESC, claim_id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(pcn)
    .fetch_optional(conn)
    .await
}

pub async fn billed_lines(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<BilledLine>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT line_id, procedure_code FROM expected_lines WHERE tenant_id = $1 AND claim_id = $2 ORDER BY line_no",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(line_id, procedure_code)| BilledLine { line_id, procedure_code }).collect())
}

/// True when a file with this content was processed for the tenant.
pub async fn file_processed(pool: &PgPool, tenant: &str, sha256: &str) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM era_files WHERE tenant_id = $1 AND sha256 = $2 AND status = 'processed'",
    )
    .bind(tenant)
    .bind(sha256)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// Records a file as processed; `None` when the same content already was (by another process too:
/// the insert waits for a concurrent one to commit).
pub async fn insert_processed_file(
    conn: &mut PgConnection,
    tenant: &str,
    file_name: &str,
    sha256: &str,
    bytes: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO era_files (tenant_id, file_name, sha256, bytes, status, received_at)
         VALUES ($1, $2, $3, $4, 'processed', $5)
         ON CONFLICT (tenant_id, sha256) WHERE status = 'processed' DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(file_name)
    .bind(sha256)
    .bind(bytes)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Records a file that could not be read, with the reader's error.
pub async fn insert_failed_file(
    pool: &PgPool,
    tenant: &str,
    file_name: &str,
    sha256: &str,
    bytes: i64,
    error: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO era_files (tenant_id, file_name, sha256, bytes, status, error, received_at)
         VALUES ($1, $2, $3, $4, 'failed', $5, $6) RETURNING id",
    )
    .bind(tenant)
    .bind(file_name)
    .bind(sha256)
    .bind(bytes)
    .bind(error)
    .bind(now)
    .fetch_one(pool)
    .await
}

/// The counts of a processed file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub payments: i32,
    pub claims: i32,
    pub unmatched: i32,
    pub duplicates: i32,
}

pub async fn set_file_counts(conn: &mut PgConnection, file_id: i64, c: FileCounts) -> sqlx::Result<()> {
    sqlx::query("UPDATE era_files SET payments = $2, claims = $3, unmatched = $4, duplicates = $5 WHERE id = $1")
        .bind(file_id)
        .bind(c.payments)
        .bind(c.claims)
        .bind(c.unmatched)
        .bind(c.duplicates)
        .execute(conn)
        .await?;
    Ok(())
}

/// A reader finding, without positions other than the segment number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFinding {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub segment: Option<i32>,
}

pub async fn insert_findings(
    conn: &mut PgConnection,
    tenant: &str,
    file_id: i64,
    findings: &[FileFinding],
) -> sqlx::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO era_findings (tenant_id, file_id, ordinal, severity, code, message, segment)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant)
        .bind(file_id)
        .bind(i as i32 + 1)
        .bind(&f.severity)
        .bind(&f.code)
        .bind(&f.message)
        .bind(f.segment)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One 835 transaction set's payment (BPR, TRN, payer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub control_number: String,
    pub trace_number: String,
    pub payer_name: String,
    pub payer_id: Option<String>,
    pub amount_cents: i64,
    pub credit_debit: String,
    pub method: String,
    pub payment_date: Option<NaiveDate>,
    pub provider_adjustments: Vec<NewProviderAdjustment>,
}

/// One PLB item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProviderAdjustment {
    pub provider_id: String,
    pub fiscal_period_end: NaiveDate,
    pub reason: String,
    pub reference: Option<String>,
    pub amount_cents: i64,
}

pub async fn insert_payment(conn: &mut PgConnection, tenant: &str, file_id: i64, p: &NewPayment) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO era_payments (tenant_id, file_id, control_number, trace_number, payer_name, payer_id,
             amount_cents, credit_debit, method, payment_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(tenant)
    .bind(file_id)
    .bind(&p.control_number)
    .bind(&p.trace_number)
    .bind(&p.payer_name)
    .bind(&p.payer_id)
    .bind(p.amount_cents)
    .bind(&p.credit_debit)
    .bind(&p.method)
    .bind(p.payment_date)
    .fetch_one(&mut *conn)
    .await?;
    for a in &p.provider_adjustments {
        sqlx::query(
            "INSERT INTO era_provider_adjustments (tenant_id, payment_id, provider_id, fiscal_period_end, reason,
                 reference, amount_cents)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant)
        .bind(id)
        .bind(&a.provider_id)
        .bind(a.fiscal_period_end)
        .bind(&a.reason)
        .bind(&a.reference)
        .bind(a.amount_cents)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// One service line of a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPostingLine {
    pub control_number: Option<String>,
    pub billed_line_id: Option<String>,
    pub procedure_qualifier: String,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub units: Option<String>,
    pub remark_codes: Vec<String>,
    pub adjustments: Vec<(Adj, Option<String>)>,
}

/// What one CLP posts to an expected claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosting {
    pub file_id: i64,
    pub payment_id: i64,
    pub claim_ordinal: i32,
    pub claim_id: String,
    pub patient_control_number: String,
    pub claim_status: String,
    pub outcome: Outcome,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub patient_responsibility_cents: i64,
    pub adjusted_cents: i64,
    pub payer_claim_control_number: String,
    pub payment_trace: String,
    pub remark_codes: Vec<String>,
    /// Claim-level CAS with its quantity.
    pub adjustments: Vec<(Adj, Option<String>)>,
    pub lines: Vec<NewPostingLine>,
    pub event_id: Option<Uuid>,
    pub posted_at: DateTime<Utc>,
}

impl NewPosting {
    /// The same claim answered the same way in the same payment (whatever file it came in).
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.patient_control_number,
            self.payer_claim_control_number,
            self.payment_trace,
            self.claim_status,
            self.charge_cents,
            self.paid_cents
        )
    }
}

async fn insert_adjustment(
    conn: &mut PgConnection,
    tenant: &str,
    posting_id: i64,
    line_no: Option<i32>,
    a: &Adj,
    quantity: &Option<String>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO posting_adjustments (tenant_id, posting_id, line_no, group_code, reason, amount_cents, quantity)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(posting_id)
    .bind(line_no)
    .bind(&a.group)
    .bind(&a.reason)
    .bind(a.amount_cents)
    .bind(quantity)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a posting with its lines and adjustments, and moves the claim to the outcome's state.
/// `None` when the same posting was made before (from another file).
pub async fn insert_posting(conn: &mut PgConnection, tenant: &str, p: &NewPosting) -> sqlx::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO postings (tenant_id, file_id, payment_id, claim_ordinal, claim_id, patient_control_number,
             claim_status, outcome, charge_cents, paid_cents, patient_responsibility_cents, adjusted_cents,
             payer_claim_control_number, payment_trace, remark_codes, posting_key, event_id, posted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (tenant_id, posting_key) DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(p.file_id)
    .bind(p.payment_id)
    .bind(p.claim_ordinal)
    .bind(&p.claim_id)
    .bind(&p.patient_control_number)
    .bind(&p.claim_status)
    .bind(p.outcome.as_str())
    .bind(p.charge_cents)
    .bind(p.paid_cents)
    .bind(p.patient_responsibility_cents)
    .bind(p.adjusted_cents)
    .bind(&p.payer_claim_control_number)
    .bind(&p.payment_trace)
    .bind(&p.remark_codes)
    .bind(p.key())
    .bind(p.event_id)
    .bind(p.posted_at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    for (a, q) in &p.adjustments {
        insert_adjustment(conn, tenant, id, None, a, q).await?;
    }
    for (i, l) in p.lines.iter().enumerate() {
        let line_no = i as i32 + 1;
        sqlx::query(
            "INSERT INTO posting_lines (tenant_id, posting_id, line_no, line_control_number, billed_line_id,
                 procedure_qualifier, procedure_code, modifiers, charge_cents, paid_cents, units, remark_codes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(tenant)
        .bind(id)
        .bind(line_no)
        .bind(&l.control_number)
        .bind(&l.billed_line_id)
        .bind(&l.procedure_qualifier)
        .bind(&l.procedure_code)
        .bind(&l.modifiers)
        .bind(l.charge_cents)
        .bind(l.paid_cents)
        .bind(&l.units)
        .bind(&l.remark_codes)
        .execute(&mut *conn)
        .await?;
        for (a, q) in &l.adjustments {
            insert_adjustment(conn, tenant, id, Some(line_no), a, q).await?;
        }
    }
    sqlx::query(
        "UPDATE expected_claims SET state = $3, last_posting_id = $4, updated_at = $5
         WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(&p.claim_id)
    .bind(p.outcome.as_str())
    .bind(id)
    .bind(p.posted_at)
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// A CLP that matched no expected claim.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnmatched {
    pub file_id: i64,
    pub payment_id: i64,
    pub claim_ordinal: i32,
    pub patient_control_number: String,
    pub claim_status: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub payer_claim_control_number: String,
    pub payment_trace: String,
    pub claim_json: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_unmatched(conn: &mut PgConnection, tenant: &str, u: &NewUnmatched) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO unmatched_claims (tenant_id, file_id, payment_id, claim_ordinal, patient_control_number,
             claim_status, charge_cents, paid_cents, payer_claim_control_number, payment_trace, claim_json, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(tenant)
    .bind(u.file_id)
    .bind(u.payment_id)
    .bind(u.claim_ordinal)
    .bind(&u.patient_control_number)
    .bind(&u.claim_status)
    .bind(u.charge_cents)
    .bind(u.paid_cents)
    .bind(&u.payer_claim_control_number)
    .bind(&u.payment_trace)
    .bind(&u.claim_json)
    .bind(u.recorded_at)
    .fetch_one(conn)
    .await
}

/// An unmatched claim waiting for its submission, with where it came from.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenUnmatched {
    pub id: i64,
    pub file_id: i64,
    pub file_name: String,
    pub payment_id: i64,
    pub claim_ordinal: i32,
    pub payment_trace: String,
    pub claim_json: serde_json::Value,
}

/// The tenant's unmatched claims with this patient control number, in file order, locked until the
/// transaction ends.
pub async fn open_unmatched(conn: &mut PgConnection, tenant: &str, pcn: &str) -> sqlx::Result<Vec<OpenUnmatched>> {
    sqlx::query_as(
        "SELECT u.id, u.file_id, f.file_name, u.payment_id, u.claim_ordinal, u.payment_trace, u.claim_json
         FROM unmatched_claims u JOIN era_files f ON f.id = u.file_id
         WHERE u.tenant_id = $1 AND u.patient_control_number = $2 AND u.resolved_at IS NULL
         ORDER BY u.file_id, u.claim_ordinal FOR UPDATE OF u",
    )
    .bind(tenant)
    .bind(pcn)
    .fetch_all(conn)
    .await
}

/// Marks an unmatched claim as posted to `claim_id` (`posting_id` none when it was a duplicate).
pub async fn resolve_unmatched(
    conn: &mut PgConnection,
    id: i64,
    claim_id: &str,
    posting_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE unmatched_claims SET resolved_at = $2, resolved_claim_id = $3, resolved_posting_id = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(claim_id)
    .bind(posting_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A claim's state and, once posted, its latest posting.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimStatus {
    pub claim_id: String,
    pub state: String,
    pub billed_cents: i64,
    pub file_name: String,
    pub submissions: i32,
    pub updated_at: DateTime<Utc>,
    pub claim_status: Option<String>,
    pub paid_cents: Option<i64>,
    pub adjusted_cents: Option<i64>,
    pub patient_responsibility_cents: Option<i64>,
    pub payment_trace: Option<String>,
    pub payer_claim_control_number: Option<String>,
    pub era_file: Option<String>,
}

pub async fn claim_status(pool: &PgPool, tenant: &str, claim_id: &str) -> sqlx::Result<Option<ClaimStatus>> {
    sqlx::query_as(
        "SELECT c.claim_id, c.state, c.billed_cents, c.file_name, c.submissions, c.updated_at,
                p.claim_status, p.paid_cents, p.adjusted_cents, p.patient_responsibility_cents, p.payment_trace,
                p.payer_claim_control_number, f.file_name AS era_file
         FROM expected_claims c
         LEFT JOIN postings p ON p.id = c.last_posting_id
         LEFT JOIN era_files f ON f.id = p.file_id
         WHERE c.tenant_id = $1 AND c.claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(pool)
    .await
}
