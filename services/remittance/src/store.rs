//! The remittance service's tables (see `migrations/1000_init.sql`). Every query names its tenant.

use crate::decide::{Adj, BilledLine, Outcome, PostedAmounts, Reversible, Totals};
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
    pub next_payer_id: &'a str,
    pub next_payer_name: &'a str,
    pub payer_responsibility: &'a str,
    pub now: DateTime<Utc>,
}

/// Records the claim as expected, or a new submission of it (its lines replaced, its state back to
/// `expected`, its money that of the new submission: billed, nothing posted yet; the earlier
/// postings stay with the submission they posted to). Returns the number of submissions so far.
pub async fn record_submitted(conn: &mut PgConnection, s: &Submitted<'_>) -> sqlx::Result<i32> {
    let submissions: i32 = sqlx::query_scalar(
        "INSERT INTO expected_claims (tenant_id, claim_id, patient_control_number, payer_id, billed_cents, batch_id,
             file_name, correlation_id, submitted_event_id, traceparent, submitted_at, updated_at, balance_cents,
             next_payer_id, next_payer_name, payer_responsibility)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $5, $12, $13, $14)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             paid_cents = 0, adjusted_cents = 0, patient_responsibility_cents = 0, balance_cents = EXCLUDED.billed_cents,
             next_payer_id = EXCLUDED.next_payer_id, next_payer_name = EXCLUDED.next_payer_name,
             payer_responsibility = EXCLUDED.payer_responsibility, secondary_requested = false,
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
    .bind(s.next_payer_id)
    .bind(s.next_payer_name)
    .bind(if s.payer_responsibility.trim().is_empty() { "P" } else { s.payer_responsibility.trim() })
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
    /// The current submission (1 the first).
    pub submissions: i32,
    pub billed_cents: i64,
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
    pub next_payer_id: String,
    pub next_payer_name: String,
    pub payer_responsibility: String,
    pub secondary_requested: bool,
}

impl Expected {
    pub fn totals(&self) -> Totals {
        Totals {
            billed_cents: self.billed_cents,
            paid_cents: self.paid_cents,
            adjusted_cents: self.adjusted_cents,
            patient_responsibility_cents: self.patient_responsibility_cents,
        }
    }
}

const EXPECTED_COLUMNS: &str = "claim_id, correlation_id, submitted_event_id, traceparent, submissions, billed_cents,
    paid_cents, adjusted_cents, patient_responsibility_cents, next_payer_id, next_payer_name, payer_responsibility,
    secondary_requested";

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

/// The submitted claim with this patient control number, locked until the transaction ends: the
/// one billed to this payer when several share the number (a primary and its secondary claim),
/// else the latest.
pub async fn expected_by_pcn(
    conn: &mut PgConnection,
    tenant: &str,
    pcn: &str,
    payer_id: &str,
) -> sqlx::Result<Option<Expected>> {
    // The columns are a constant of this module.
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPECTED_COLUMNS} FROM expected_claims
         WHERE tenant_id = $1 AND patient_control_number = $2
         ORDER BY (payer_id = $3) DESC, submitted_at DESC, claim_id DESC LIMIT 1 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(pcn)
    .bind(payer_id)
    .fetch_optional(conn)
    .await
}

/// An expected claim by id, locked until the transaction ends.
pub async fn expected_by_id(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<Option<Expected>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPECTED_COLUMNS} FROM expected_claims WHERE tenant_id = $1 AND claim_id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await
}

pub async fn billed_lines(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<BilledLine>> {
    let rows: Vec<(String, String, Vec<String>, String, i64)> = sqlx::query_as(
        "SELECT line_id, procedure_code, modifiers, service_date, charge_cents FROM expected_lines
         WHERE tenant_id = $1 AND claim_id = $2 ORDER BY line_no",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(line_id, procedure_code, modifiers, service_date, charge_cents)| BilledLine {
            line_id,
            procedure_code,
            modifiers,
            service_date,
            charge_cents,
        })
        .collect())
}

/// Sets the claim's state, money and latest posting (the CHECK on the table holds the balance).
pub async fn set_claim_money(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    state: &str,
    totals: &Totals,
    last_posting_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE expected_claims SET state = $3, paid_cents = $4, adjusted_cents = $5,
             patient_responsibility_cents = $6, balance_cents = $7, last_posting_id = $8, updated_at = $9
         WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(state)
    .bind(totals.paid_cents)
    .bind(totals.adjusted_cents)
    .bind(totals.patient_responsibility_cents)
    .bind(totals.balance_cents())
    .bind(last_posting_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Money of a posting to an earlier submission that a reversal undid: that submission's totals are
/// not kept apart, so only the claim's latest posting moves.
pub async fn set_last_posting(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    posting_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE expected_claims SET last_posting_id = $3 WHERE tenant_id = $1 AND claim_id = $2")
        .bind(tenant)
        .bind(claim_id)
        .bind(posting_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_secondary_requested(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE expected_claims SET secondary_requested = true WHERE tenant_id = $1 AND claim_id = $2")
        .bind(tenant)
        .bind(claim_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The CLPs standing for a submission of the claim (neither a reversal nor reversed), in the order
/// they were posted.
pub async fn standing_parts(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    submission: i32,
) -> sqlx::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar(
        "SELECT claim_json FROM postings
         WHERE tenant_id = $1 AND claim_id = $2 AND submission = $3 AND claim_json IS NOT NULL
           AND outcome <> 'reversed' AND reversed_by_posting_id IS NULL
         ORDER BY id",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(submission)
    .fetch_all(conn)
    .await
}

/// The claim's postings a reversal may undo (every submission), with their submission.
pub async fn reversibles(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
) -> sqlx::Result<Vec<(Reversible, i32)>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, String, i64, i64, i64, i64, bool, i32)> = sqlx::query_as(
        "SELECT id, payer_claim_control_number, charge_cents, paid_cents, adjusted_cents, patient_responsibility_cents,
                reversed_by_posting_id IS NOT NULL, submission
         FROM postings WHERE tenant_id = $1 AND claim_id = $2 AND outcome <> 'reversed' ORDER BY id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(posting_id, icn, charge, paid, adjusted, pr, reversed, submission)| {
            (
                Reversible {
                    posting_id,
                    payer_claim_control_number: icn,
                    charge_cents: charge,
                    amounts: PostedAmounts {
                        paid_cents: paid,
                        adjusted_cents: adjusted,
                        patient_responsibility_cents: pr,
                    },
                    reversed,
                },
                submission,
            )
        })
        .collect())
}

/// The payment trace of a posting.
pub async fn posting_trace(conn: &mut PgConnection, posting_id: i64) -> sqlx::Result<(String, String)> {
    sqlx::query_as("SELECT payer_claim_control_number, payment_trace FROM postings WHERE id = $1")
        .bind(posting_id)
        .fetch_one(conn)
        .await
}

pub async fn mark_reversed(conn: &mut PgConnection, posting_id: i64, reversal_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE postings SET reversed_by_posting_id = $2 WHERE id = $1")
        .bind(posting_id)
        .bind(reversal_id)
        .execute(conn)
        .await?;
    Ok(())
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
/// Where a file came from: `folder`, `sftp` or `https` (the partner's transport) or `upload`.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub kind: &'a str,
    pub partner_id: Option<&'a str>,
}

pub async fn insert_processed_file(
    conn: &mut PgConnection,
    tenant: &str,
    file_name: &str,
    sha256: &str,
    bytes: i64,
    source: Source<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO era_files (tenant_id, file_name, sha256, bytes, status, received_at, source, partner_id)
         VALUES ($1, $2, $3, $4, 'processed', $5, $6, $7)
         ON CONFLICT (tenant_id, sha256) WHERE status = 'processed' DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(file_name)
    .bind(sha256)
    .bind(bytes)
    .bind(now)
    .bind(source.kind)
    .bind(source.partner_id)
    .fetch_optional(conn)
    .await
}

/// Records a file that could not be read, with the reader's error and its content (for an operator).
#[allow(clippy::too_many_arguments)]
pub async fn insert_failed_file(
    pool: &PgPool,
    tenant: &str,
    file_name: &str,
    sha256: &str,
    content: &[u8],
    error: &str,
    source: Source<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO era_files (tenant_id, file_name, sha256, bytes, status, error, received_at, source, partner_id, content)
         VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(tenant)
    .bind(file_name)
    .bind(sha256)
    .bind(content.len() as i64)
    .bind(error)
    .bind(now)
    .bind(source.kind)
    .bind(source.partner_id)
    .bind(content)
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
    /// Payments held (they do not balance).
    pub held: i32,
}

pub async fn set_file_counts(conn: &mut PgConnection, file_id: i64, c: FileCounts) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE era_files SET payments = $2, claims = $3, unmatched = $4, duplicates = $5, held = $6 WHERE id = $1",
    )
    .bind(file_id)
    .bind(c.payments)
    .bind(c.claims)
    .bind(c.unmatched)
    .bind(c.duplicates)
    .bind(c.held)
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
    /// TRN03: the payer's id in the trace; with TRN02 it names a payment once.
    pub payer_key: String,
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

/// How a payment was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord<'a> {
    /// posted, held or duplicate.
    pub status: &'a str,
    pub hold_reason: Option<&'a str>,
    pub duplicate_of: Option<i64>,
    pub claims: i32,
    pub remittance_json: Option<serde_json::Value>,
    pub now: DateTime<Utc>,
}

/// The posted payment with this payer key and trace, if any (locked with an advisory lock until the
/// transaction ends, so two files with the same payment cannot both post it).
pub async fn posted_payment(
    conn: &mut PgConnection,
    tenant: &str,
    payer_key: &str,
    trace: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('remittance/trn/' || $1 || '/' || $2 || '/' || $3, 0))")
        .bind(tenant)
        .bind(payer_key)
        .bind(trace)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "SELECT id FROM era_payments WHERE tenant_id = $1 AND payer_key = $2 AND trace_number = $3 AND status = 'posted'",
    )
    .bind(tenant)
    .bind(payer_key)
    .bind(trace)
    .fetch_optional(conn)
    .await
}

/// Records a payment (and the PLB items it carried, whatever became of it).
pub async fn insert_payment(
    conn: &mut PgConnection,
    tenant: &str,
    file_id: i64,
    p: &NewPayment,
    how: &PaymentRecord<'_>,
) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO era_payments (tenant_id, file_id, control_number, trace_number, payer_name, payer_id,
             amount_cents, credit_debit, method, payment_date, payer_key, status, hold_reason, duplicate_of, claims,
             remittance_json, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
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
    .bind(&p.payer_key)
    .bind(how.status)
    .bind(how.hold_reason)
    .bind(how.duplicate_of)
    .bind(how.claims)
    .bind(&how.remittance_json)
    .bind(how.now)
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
        if how.status == "posted" {
            sqlx::query(
                "INSERT INTO provider_ledger (tenant_id, payment_id, provider_id, fiscal_period_end, reason, category,
                     reference, amount_cents, posted_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(tenant)
            .bind(id)
            .bind(&a.provider_id)
            .bind(a.fiscal_period_end)
            .bind(&a.reason)
            .bind(crate::decide::plb_category(&a.reason))
            .bind(&a.reference)
            .bind(a.amount_cents)
            .bind(how.now)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(id)
}

/// One service line of a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPostingLine {
    pub control_number: Option<String>,
    pub billed_line_id: Option<String>,
    /// control_number, procedure or none.
    pub matched_by: &'static str,
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
    /// The claim's submission it counts for.
    pub submission: i32,
    /// The CLP as read.
    pub claim_json: serde_json::Value,
    /// For a reversal: the posting it undoes.
    pub reverses_posting_id: Option<i64>,
    pub payer_key: String,
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

/// Stores a posting with its lines and adjustments (the claim's money is [`set_claim_money`]'s).
/// `None` when the same posting was made before (from another file).
pub async fn insert_posting(conn: &mut PgConnection, tenant: &str, p: &NewPosting) -> sqlx::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO postings (tenant_id, file_id, payment_id, claim_ordinal, claim_id, patient_control_number,
             claim_status, outcome, charge_cents, paid_cents, patient_responsibility_cents, adjusted_cents,
             payer_claim_control_number, payment_trace, remark_codes, posting_key, event_id, posted_at, submission,
             claim_json, reverses_posting_id, payer_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
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
    .bind(p.submission)
    .bind(&p.claim_json)
    .bind(p.reverses_posting_id)
    .bind(&p.payer_key)
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
                 procedure_qualifier, procedure_code, modifiers, charge_cents, paid_cents, units, remark_codes, matched_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        .bind(l.matched_by)
        .execute(&mut *conn)
        .await?;
        for (a, q) in &l.adjustments {
            insert_adjustment(conn, tenant, id, Some(line_no), a, q).await?;
        }
    }
    Ok(Some(id))
}

/// A CLP that matched no expected claim.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnmatched {
    /// claim, line or reversal.
    pub kind: &'static str,
    pub reason: String,
    /// For a line or reversal: the claim it was matched to, the line's position and procedure.
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub procedure_code: Option<String>,
    /// What an operator may pick from (JSON array of `Candidate`s).
    pub candidates: serde_json::Value,
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
             claim_status, charge_cents, paid_cents, payer_claim_control_number, payment_trace, claim_json, recorded_at,
             kind, reason, claim_id, line_no, procedure_code, candidates)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
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
    .bind(u.kind)
    .bind(&u.reason)
    .bind(&u.claim_id)
    .bind(u.line_no)
    .bind(&u.procedure_code)
    .bind(&u.candidates)
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
         WHERE u.tenant_id = $1 AND u.patient_control_number = $2 AND u.resolved_at IS NULL AND u.kind = 'claim'
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

/// Expected claims an unmatched 835 claim could be: the same charge (CLP03) or payer claim control
/// number seen before, latest first.
pub async fn claim_candidates(
    conn: &mut PgConnection,
    tenant: &str,
    charge_cents: i64,
    payer_claim_control_number: &str,
) -> sqlx::Result<Vec<serde_json::Value>> {
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT c.claim_id, c.patient_control_number, c.billed_cents,
                CASE WHEN c.billed_cents = $2 THEN 'same charge' ELSE 'same payer claim control number' END
         FROM expected_claims c
         WHERE c.tenant_id = $1 AND (c.billed_cents = $2 OR EXISTS (
             SELECT 1 FROM postings p WHERE p.tenant_id = c.tenant_id AND p.claim_id = c.claim_id
               AND p.payer_claim_control_number = $3 AND $3 <> ''))
         ORDER BY c.submitted_at DESC LIMIT 5",
    )
    .bind(tenant)
    .bind(charge_cents)
    .bind(payer_claim_control_number)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(claim_id, pcn, billed, why)| {
            serde_json::json!({"claim_id": claim_id, "patient_control_number": pcn, "charge_cents": billed, "why": why})
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldRow {
    pub payment_id: i64,
    pub file_name: String,
    pub control_number: String,
    pub trace_number: String,
    pub payer_key: String,
    pub amount_cents: i64,
    pub claims: i32,
    pub hold_reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

pub async fn held_payments(pool: &PgPool, tenant: &str, limit: i64) -> sqlx::Result<Vec<HeldRow>> {
    sqlx::query_as(
        "SELECT p.id AS payment_id, f.file_name, p.control_number, p.trace_number, p.payer_key, p.amount_cents,
                p.claims, p.hold_reason, p.received_at
         FROM era_payments p JOIN era_files f ON f.id = p.file_id
         WHERE p.tenant_id = $1 AND p.status = 'held' ORDER BY p.id DESC LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UnmatchedRow {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub patient_control_number: String,
    pub payer_claim_control_number: String,
    pub claim_status: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub payment_trace: String,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub procedure_code: Option<String>,
    pub reason: String,
    pub candidates: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

pub async fn open_unmatched_items(pool: &PgPool, tenant: &str, limit: i64) -> sqlx::Result<Vec<UnmatchedRow>> {
    sqlx::query_as(
        "SELECT u.id, u.kind, f.file_name, u.patient_control_number, u.payer_claim_control_number, u.claim_status,
                u.charge_cents, u.paid_cents, u.payment_trace, u.claim_id, u.line_no, u.procedure_code, u.reason,
                u.candidates, u.recorded_at
         FROM unmatched_claims u JOIN era_files f ON f.id = u.file_id
         WHERE u.tenant_id = $1 AND u.resolved_at IS NULL ORDER BY u.id LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BalanceRow {
    pub claim_id: String,
    pub state: String,
    pub submissions: i32,
    pub billed_cents: i64,
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
    pub balance_cents: i64,
}

pub async fn claim_balance(pool: &PgPool, tenant: &str, claim_id: &str) -> sqlx::Result<Option<BalanceRow>> {
    sqlx::query_as(
        "SELECT claim_id, state, submissions, billed_cents, paid_cents, adjusted_cents, patient_responsibility_cents,
                balance_cents
         FROM expected_claims WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PostingRow {
    pub id: i64,
    pub claim_status: String,
    pub outcome: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
    pub payer_claim_control_number: String,
    pub payment_trace: String,
    pub era_file: String,
    pub reverses_posting_id: Option<i64>,
    pub reversed_by_posting_id: Option<i64>,
    pub submission: i32,
}

pub async fn claim_postings(pool: &PgPool, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<PostingRow>> {
    sqlx::query_as(
        "SELECT p.id, p.claim_status, p.outcome, p.charge_cents, p.paid_cents, p.adjusted_cents,
                p.patient_responsibility_cents, p.payer_claim_control_number, p.payment_trace, f.file_name AS era_file,
                p.reverses_posting_id, p.reversed_by_posting_id, p.submission
         FROM postings p JOIN era_files f ON f.id = p.file_id
         WHERE p.tenant_id = $1 AND p.claim_id = $2 ORDER BY p.id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: i64,
    pub provider_id: String,
    pub fiscal_period_end: NaiveDate,
    pub reason: String,
    pub category: String,
    pub reference: Option<String>,
    pub amount_cents: i64,
    pub payment_trace: String,
    pub payer_key: String,
    pub era_file: String,
    pub posted_at: DateTime<Utc>,
}

pub async fn ledger(pool: &PgPool, tenant: &str, limit: i64) -> sqlx::Result<(Vec<LedgerRow>, i64)> {
    let rows = sqlx::query_as(
        "SELECT l.id, l.provider_id, l.fiscal_period_end, l.reason, l.category, l.reference, l.amount_cents,
                p.trace_number AS payment_trace, p.payer_key, f.file_name AS era_file, l.posted_at
         FROM provider_ledger l JOIN era_payments p ON p.id = l.payment_id JOIN era_files f ON f.id = p.file_id
         WHERE l.tenant_id = $1 ORDER BY l.id DESC LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COALESCE(sum(amount_cents), 0)::BIGINT FROM provider_ledger WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(pool)
            .await?;
    Ok((rows, total))
}

/// A posted payment as the posting of a waiting claim needs it (its PLB items are in the ledger).
pub async fn payment(conn: &mut PgConnection, payment_id: i64) -> sqlx::Result<NewPayment> {
    #[allow(clippy::type_complexity)]
    let row: (String, String, String, String, Option<String>, i64, String, String, Option<NaiveDate>) = sqlx::query_as(
        "SELECT control_number, trace_number, payer_key, payer_name, payer_id, amount_cents, credit_debit, method,
                payment_date
         FROM era_payments WHERE id = $1",
    )
    .bind(payment_id)
    .fetch_one(conn)
    .await?;
    Ok(NewPayment {
        control_number: row.0,
        trace_number: row.1,
        payer_key: row.2,
        payer_name: row.3,
        payer_id: row.4,
        amount_cents: row.5,
        credit_debit: row.6,
        method: row.7,
        payment_date: row.8,
        provider_adjustments: Vec::new(),
    })
}

/// Keeps a tenant's trading partner as submission announced it (the newest announcement wins).
pub async fn upsert_trading_partner(
    conn: &mut sqlx::PgConnection,
    tenant: &str,
    partner_id: &str,
    settings: &serde_json::Value,
    event_at: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO trading_partners (tenant_id, partner_id, settings, event_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, partner_id) DO UPDATE SET settings = EXCLUDED.settings, event_at = EXCLUDED.event_at
         WHERE trading_partners.event_at <= EXCLUDED.event_at",
    )
    .bind(tenant)
    .bind(partner_id)
    .bind(settings)
    .bind(event_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The tenant's trading partners' settings (JSON), as announced.
pub async fn trading_partners(pool: &sqlx::PgPool, tenant: &str) -> sqlx::Result<Vec<serde_json::Value>> {
    let rows: Vec<(serde_json::Value,)> =
        sqlx::query_as("SELECT settings FROM trading_partners WHERE tenant_id = $1 ORDER BY partner_id")
            .bind(tenant)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}
