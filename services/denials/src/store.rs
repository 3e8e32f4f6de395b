//! The denials service's tables (see `migrations/1000_init.sql`). Every query names its tenant.

use crate::decide::{self, Outcome};
use chrono::{DateTime, NaiveDate, Utc};
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
    /// At queue time.
    pub priority: i32,
    pub remittance: &'a rcm_proto::events::Remittance,
    pub now: DateTime<Utc>,
    pub facts: &'a ClaimFacts,
    pub remit_date: NaiveDate,
    pub appeal_deadline: NaiveDate,
    pub appeal_rule: &'a str,
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
    pub payer_id: String,
    pub claim_filing: String,
    pub recommended_action: String,
    pub expected_recovery_cents: i64,
    pub remit_date: NaiveDate,
    pub appeal_deadline: Option<NaiveDate>,
    pub appeal_rule: String,
    pub code_flags: Vec<String>,
    pub codes_version: String,
    pub assignee: Option<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub written_off_cents: i64,
    pub write_off_reason: Option<String>,
}

const WORK_ITEM_COLUMNS: &str = "work_item_id, claim_id, outcome, category, priority, reason_codes, denied_cents, \
     status, era_file, payer_claim_control_number, created_at, updated_at, correction_frequency_code, \
     correction_version, correction_requested_by, correction_requested_at, payer_id, claim_filing, \
     recommended_action, expected_recovery_cents, remit_date, appeal_deadline, appeal_rule, code_flags, \
     codes_version, assignee, resolution, resolved_at, written_off_cents, write_off_reason";

/// The claim's open work item, when it has one (status `open`).
pub async fn open_item_for_claim(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<Option<Uuid>> {
    let row: Option<(Uuid,)> = sqlx::query_as(
        "SELECT work_item_id FROM work_items WHERE tenant_id = $1 AND claim_id = $2 AND status = 'open'
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Brings an open work item up to a later remittance of its claim (another part of a split payment,
/// a reprocessed claim): its classification, money, priority and deadline. False when the item
/// already stands for this remittance.
pub async fn refresh_open_item(conn: &mut PgConnection, work_item_id: Uuid, w: &NewWorkItem<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE work_items SET remittance_key = $3, source_event_id = $4, outcome = $5, category = $6, priority = $7,
             reason_codes = $8, denied_cents = $9, charge_cents = $10, paid_cents = $11, claim_status = $12,
             payer_claim_control_number = $13, era_file = $14, payment_trace = $15, updated_at = $16,
             recommended_action = $17, expected_recovery_cents = $18, remit_date = $19, appeal_deadline = $20,
             appeal_rule = $21, code_flags = $22
         WHERE tenant_id = $1 AND work_item_id = $2 AND remittance_key <> $3",
    )
    .bind(w.tenant_id)
    .bind(work_item_id)
    .bind(w.remittance_key)
    .bind(w.source_event_id)
    .bind(w.outcome.as_str())
    .bind(w.classification.category.as_str())
    .bind(w.priority)
    .bind(&w.classification.reason_codes)
    .bind(w.classification.denied_cents)
    .bind(w.remittance.charge_cents)
    .bind(w.remittance.paid_cents)
    .bind(&w.remittance.claim_status)
    .bind(&w.remittance.payer_claim_control_number)
    .bind(&w.remittance.era_file)
    .bind(&w.remittance.payment_trace)
    .bind(w.now)
    .bind(w.classification.action.as_str())
    .bind(w.classification.expected_recovery_cents)
    .bind(w.remit_date)
    .bind(w.appeal_deadline)
    .bind(w.appeal_rule)
    .bind(&w.classification.code_flags)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Inserts the item unless the claim already has one for this remittance. True when inserted.
pub async fn insert_work_item(conn: &mut PgConnection, w: &NewWorkItem<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO work_items (work_item_id, tenant_id, claim_id, remittance_key, source_event_id, correlation_id,
             outcome, category, priority, reason_codes, denied_cents, charge_cents, paid_cents, claim_status,
             payer_claim_control_number, era_file, payment_trace, created_at, updated_at, payer_id, claim_filing,
             recommended_action, expected_recovery_cents, remit_date, appeal_deadline, appeal_rule, code_flags,
             codes_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20,
             $21, $22, $23, $24, $25, $26, $27)
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
    .bind(w.priority)
    .bind(&w.classification.reason_codes)
    .bind(w.classification.denied_cents)
    .bind(w.remittance.charge_cents)
    .bind(w.remittance.paid_cents)
    .bind(&w.remittance.claim_status)
    .bind(&w.remittance.payer_claim_control_number)
    .bind(&w.remittance.era_file)
    .bind(&w.remittance.payment_trace)
    .bind(w.now)
    .bind(&w.facts.payer_id)
    .bind(&w.facts.claim_filing)
    .bind(w.classification.action.as_str())
    .bind(w.classification.expected_recovery_cents)
    .bind(w.remit_date)
    .bind(w.appeal_deadline)
    .bind(w.appeal_rule)
    .bind(&w.classification.code_flags)
    .bind(crate::codes::VERSION)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One adjudication's facts (see `record_adjudication`).
#[derive(Debug, Clone)]
pub struct AdjudicationRecord<'a> {
    pub tenant: &'a str,
    pub claim_id: &'a str,
    pub remittance_key: &'a str,
    pub outcome: Outcome,
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub remittance: &'a rcm_proto::events::Remittance,
}

/// Records one adjudication of a claim (once per remittance) with its money: charge, payment,
/// patient share, contractual adjustments and each denial adjustment. True when it was new.
pub async fn record_adjudication(conn: &mut PgConnection, a: &AdjudicationRecord<'_>) -> sqlx::Result<bool> {
    let r = a.remittance;
    let contractual: i64 =
        r.adjustments.iter().filter(|x| decide::is_contractual(&x.group, &x.reason)).map(|x| x.amount_cents).sum();
    let denials: Vec<_> =
        r.adjustments.iter().filter(|x| decide::is_denial(&x.group, &x.reason, x.amount_cents)).collect();
    let codes: Vec<String> = denials.iter().map(|x| format!("{}-{}", x.group, x.reason)).collect();
    let cents: Vec<i64> = denials.iter().map(|x| x.amount_cents).collect();
    let denied = match a.outcome {
        Outcome::Paid => 0,
        _ => decide::classify(a.outcome, r, a.occurred_at.date_naive()).denied_cents,
    };
    let res = sqlx::query(
        "INSERT INTO adjudications (tenant_id, claim_id, remittance_key, outcome, event_id, occurred_at, charge_cents,
             paid_cents, patient_responsibility_cents, contractual_cents, denied_cents, denial_codes, denial_code_cents)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
    )
    .bind(a.tenant)
    .bind(a.claim_id)
    .bind(a.remittance_key)
    .bind(a.outcome.as_str())
    .bind(a.event_id)
    .bind(a.occurred_at)
    .bind(r.charge_cents)
    .bind(r.paid_cents)
    .bind(r.patient_responsibility_cents)
    .bind(contractual)
    .bind(denied)
    .bind(&codes)
    .bind(&cents)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Which work items to list.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// None: open and in_appeal. Some(empty): every status.
    pub statuses: Option<Vec<String>>,
    pub category: Option<String>,
    pub payer_id: Option<String>,
    /// Some(None): nobody's.
    pub assignee: Option<Option<String>>,
}

/// A tenant's work items matching `filter` (unsorted: the caller ranks them by priority, which
/// depends on today).
pub async fn list_items(pool: &PgPool, tenant: &str, filter: &QueueFilter) -> sqlx::Result<Vec<WorkItem>> {
    let statuses: Vec<String> = match &filter.statuses {
        None => vec!["open".into(), "in_appeal".into()],
        Some(s) => s.clone(),
    };
    let (assignee_filter, assignee) = match &filter.assignee {
        None => (0, None),
        Some(None) => (1, None),
        Some(Some(a)) => (2, Some(a.clone())),
    };
    let sql = format!(
        "SELECT {WORK_ITEM_COLUMNS} FROM work_items WHERE tenant_id = $1
           AND (cardinality($2::text[]) = 0 OR status = ANY($2))
           AND ($3::text IS NULL OR category = $3)
           AND ($4::text IS NULL OR payer_id = $4)
           AND ($5 = 0 OR ($5 = 1 AND assignee IS NULL) OR ($5 = 2 AND assignee = $6))"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(&statuses)
        .bind(&filter.category)
        .bind(&filter.payer_id)
        .bind(assignee_filter)
        .bind(assignee)
        .fetch_all(pool)
        .await
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

// ---------------------------------------------------------------------------------------------
// The claim's facts and scrubbing results (the reporting projection)
// ---------------------------------------------------------------------------------------------

/// What the denials service knows of a claim from its scrubbing and submission events.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimFacts {
    pub payer_id: String,
    pub claim_filing: String,
    pub service_date: Option<NaiveDate>,
    pub charge_cents: i64,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

/// Records what an event says of a claim: a non-empty payer or filing indicator, a service date
/// and a positive charge replace what was known; the first submission time is kept.
pub async fn upsert_claim_facts(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    f: &ClaimFacts,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO report_claims (tenant_id, claim_id, payer_id, claim_filing, service_date, charge_cents,
             first_submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             payer_id = CASE WHEN EXCLUDED.payer_id <> '' THEN EXCLUDED.payer_id ELSE report_claims.payer_id END,
             claim_filing = CASE WHEN EXCLUDED.claim_filing <> '' THEN EXCLUDED.claim_filing
                                 ELSE report_claims.claim_filing END,
             service_date = COALESCE(EXCLUDED.service_date, report_claims.service_date),
             charge_cents = CASE WHEN EXCLUDED.charge_cents > 0 THEN EXCLUDED.charge_cents
                                 ELSE report_claims.charge_cents END,
             first_submitted_at = LEAST(report_claims.first_submitted_at, EXCLUDED.first_submitted_at)",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(&f.payer_id)
    .bind(&f.claim_filing)
    .bind(f.service_date)
    .bind(f.charge_cents)
    .bind(f.first_submitted_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The claim's facts (defaults when no event told them yet).
pub async fn claim_facts(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<ClaimFacts> {
    let f: Option<ClaimFacts> = sqlx::query_as(
        "SELECT payer_id, claim_filing, service_date, charge_cents, first_submitted_at FROM report_claims
         WHERE tenant_id = $1 AND claim_id = $2",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_optional(conn)
    .await?;
    Ok(f.unwrap_or_default())
}

/// The claim's work items queued before its payer was known, with their remit date.
pub async fn items_without_payer(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
) -> sqlx::Result<Vec<(Uuid, NaiveDate)>> {
    sqlx::query_as(
        "SELECT work_item_id, remit_date FROM work_items WHERE tenant_id = $1 AND claim_id = $2 AND payer_id = ''",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(conn)
    .await
}

/// Sets an item's payer and appeal deadline (once the claim's payer is known).
pub async fn set_item_payer(
    conn: &mut PgConnection,
    tenant: &str,
    work_item_id: Uuid,
    facts: &ClaimFacts,
    deadline: NaiveDate,
    rule: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE work_items SET payer_id = $3, claim_filing = $4, appeal_deadline = $5, appeal_rule = $6
         WHERE tenant_id = $1 AND work_item_id = $2",
    )
    .bind(tenant)
    .bind(work_item_id)
    .bind(&facts.payer_id)
    .bind(&facts.claim_filing)
    .bind(deadline)
    .bind(rule)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records one scrubbing result (once per event).
pub async fn record_scrub(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    event_id: Uuid,
    passed: bool,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO scrub_results (tenant_id, event_id, claim_id, passed, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(event_id)
    .bind(claim_id)
    .bind(passed)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The work queue's actions
// ---------------------------------------------------------------------------------------------

/// One entry of an item's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActionRow {
    pub sequence: i64,
    pub action: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub detail: String,
    pub note: Option<String>,
    pub event_id: Option<Uuid>,
}

/// An action to append to an item's history.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub work_item_id: Uuid,
    pub action: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    /// Ids, codes and amounts only.
    pub detail: String,
    /// Free text, kept here only.
    pub note: Option<&'a str>,
    pub event_id: Option<Uuid>,
}

/// Appends an action to the item's history (the table takes no updates or deletes).
pub async fn append_action(conn: &mut PgConnection, tenant: &str, a: &NewAction<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO work_item_actions (tenant_id, work_item_id, action, actor, at, detail, note, event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(a.work_item_id)
    .bind(a.action)
    .bind(a.actor)
    .bind(a.at)
    .bind(&a.detail)
    .bind(a.note)
    .bind(a.event_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The item's history, oldest first.
pub async fn actions(conn: &mut PgConnection, tenant: &str, work_item_id: Uuid) -> sqlx::Result<Vec<ActionRow>> {
    sqlx::query_as(
        "SELECT sequence, action, actor, at, detail, note, event_id FROM work_item_actions
         WHERE tenant_id = $1 AND work_item_id = $2 ORDER BY sequence",
    )
    .bind(tenant)
    .bind(work_item_id)
    .fetch_all(conn)
    .await
}

/// A work item locked until the transaction ends, with the chain it belongs to.
pub async fn lock_item(conn: &mut PgConnection, tenant: &str, work_item_id: Uuid) -> sqlx::Result<Option<LatestItem>> {
    let sql = format!(
        "SELECT {WORK_ITEM_COLUMNS}, correlation_id, source_event_id FROM work_items
         WHERE tenant_id = $1 AND work_item_id = $2 FOR UPDATE"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(work_item_id).fetch_optional(&mut *conn).await?;
    row.map(|r| {
        Ok(LatestItem {
            item: WorkItem::from_row(&r)?,
            correlation_id: r.get("correlation_id"),
            source_event_id: r.get("source_event_id"),
        })
    })
    .transpose()
}

/// Sets who has the item.
pub async fn set_assignee(
    conn: &mut PgConnection,
    tenant: &str,
    work_item_id: Uuid,
    assignee: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE work_items SET assignee = $3, updated_at = $4 WHERE tenant_id = $1 AND work_item_id = $2")
        .bind(tenant)
        .bind(work_item_id)
        .bind(assignee)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the item's status (and, when it closes, its resolution, time and write-off).
pub async fn set_status(
    conn: &mut PgConnection,
    tenant: &str,
    work_item_id: Uuid,
    status: decide::Status,
    at: DateTime<Utc>,
    written_off_cents: i64,
    write_off_reason: Option<&str>,
) -> sqlx::Result<()> {
    let resolution =
        matches!(status, decide::Status::WrittenOff | decide::Status::BilledToPatient | decide::Status::AppealWon)
            .then(|| status.as_str());
    sqlx::query(
        "UPDATE work_items SET status = $3, updated_at = $4, resolution = COALESCE($5, resolution),
             resolved_at = CASE WHEN $5::text IS NULL THEN resolved_at ELSE $4 END,
             written_off_cents = written_off_cents + $6, write_off_reason = COALESCE($7, write_off_reason)
         WHERE tenant_id = $1 AND work_item_id = $2",
    )
    .bind(tenant)
    .bind(work_item_id)
    .bind(status.as_str())
    .bind(at)
    .bind(resolution)
    .bind(written_off_cents)
    .bind(write_off_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// An appeal as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppealRow {
    pub appeal_id: Uuid,
    pub level: i32,
    pub reason_codes: Vec<String>,
    pub supporting_text: String,
    pub attachments: Vec<String>,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub deadline: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub recovered_cents: Option<i64>,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<DateTime<Utc>>,
}

const APPEAL_COLUMNS: &str = "appeal_id, level, reason_codes, supporting_text, attachments, filed_by, filed_at, \
     deadline, outcome, recovered_cents, outcome_by, outcome_at";

/// An appeal to record.
#[derive(Debug, Clone)]
pub struct NewAppeal<'a> {
    pub appeal_id: Uuid,
    pub work_item_id: Uuid,
    pub claim_id: &'a str,
    pub reason_codes: &'a [String],
    pub supporting_text: &'a str,
    pub attachments: &'a [String],
    pub filed_by: &'a str,
    pub filed_at: DateTime<Utc>,
    pub deadline: Option<NaiveDate>,
    pub event_id: Uuid,
}

/// Records an appeal as the item's next level; returns it.
pub async fn insert_appeal(conn: &mut PgConnection, tenant: &str, a: &NewAppeal<'_>) -> sqlx::Result<AppealRow> {
    let sql = format!(
        "INSERT INTO appeals (appeal_id, tenant_id, work_item_id, claim_id, level, reason_codes, supporting_text,
             attachments, filed_by, filed_at, deadline, event_id)
         VALUES ($1, $2, $3, $4,
             (SELECT COALESCE(max(level), 0) + 1 FROM appeals WHERE tenant_id = $2 AND work_item_id = $3),
             $5, $6, $7, $8, $9, $10, $11)
         RETURNING {APPEAL_COLUMNS}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(a.appeal_id)
        .bind(tenant)
        .bind(a.work_item_id)
        .bind(a.claim_id)
        .bind(a.reason_codes)
        .bind(a.supporting_text)
        .bind(a.attachments)
        .bind(a.filed_by)
        .bind(a.filed_at)
        .bind(a.deadline)
        .bind(a.event_id)
        .fetch_one(conn)
        .await
}

/// Records the payer's answer on the item's pending appeal; returns its level.
pub async fn record_appeal_outcome(
    conn: &mut PgConnection,
    tenant: &str,
    work_item_id: Uuid,
    outcome: &str,
    recovered_cents: i64,
    by: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "UPDATE appeals SET outcome = $3, recovered_cents = $4, outcome_by = $5, outcome_at = $6
         WHERE tenant_id = $1 AND work_item_id = $2 AND outcome IS NULL RETURNING level",
    )
    .bind(tenant)
    .bind(work_item_id)
    .bind(outcome)
    .bind(recovered_cents)
    .bind(by)
    .bind(at)
    .fetch_optional(conn)
    .await
}

/// The item's appeals, first level first.
pub async fn appeals(conn: &mut PgConnection, tenant: &str, work_item_id: Uuid) -> sqlx::Result<Vec<AppealRow>> {
    let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE tenant_id = $1 AND work_item_id = $2 ORDER BY level");
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant).bind(work_item_id).fetch_all(conn).await
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/// The reporting projection of a tenant (one payer's claims when `payer` is given), for
/// [`crate::reports::build`].
#[allow(clippy::type_complexity)]
pub async fn report_input(pool: &PgPool, tenant: &str, payer: Option<&str>) -> sqlx::Result<crate::reports::Input> {
    use crate::reports::{AdjudicationRow, ClaimRow, Input, ItemRow, ScrubRow};
    let claims: Vec<(String, String, Option<NaiveDate>, Option<DateTime<Utc>>, i64)> = sqlx::query_as(
        "SELECT claim_id, payer_id, service_date, first_submitted_at, charge_cents FROM report_claims
         WHERE tenant_id = $1 AND ($2::text IS NULL OR payer_id = $2)",
    )
    .bind(tenant)
    .bind(payer)
    .fetch_all(pool)
    .await?;
    let adjs: Vec<(String, String, DateTime<Utc>, i64, i64, i64, i64, Vec<String>, Vec<i64>, Option<String>)> =
        sqlx::query_as(
            "SELECT a.claim_id, a.outcome, a.occurred_at, a.charge_cents, a.paid_cents, a.contractual_cents,
                    a.denied_cents, a.denial_codes, a.denial_code_cents, w.category
             FROM adjudications a
             LEFT JOIN work_items w ON w.tenant_id = a.tenant_id AND w.claim_id = a.claim_id
                                   AND w.remittance_key = a.remittance_key
             LEFT JOIN report_claims c ON c.tenant_id = a.tenant_id AND c.claim_id = a.claim_id
             WHERE a.tenant_id = $1 AND ($2::text IS NULL OR c.payer_id = $2)
             ORDER BY a.occurred_at, a.event_id",
        )
        .bind(tenant)
        .bind(payer)
        .fetch_all(pool)
        .await?;
    let scrubs: Vec<(String, bool, DateTime<Utc>)> = sqlx::query_as(
        "SELECT s.claim_id, s.passed, s.at FROM scrub_results s
         LEFT JOIN report_claims c ON c.tenant_id = s.tenant_id AND c.claim_id = s.claim_id
         WHERE s.tenant_id = $1 AND ($2::text IS NULL OR c.payer_id = $2)",
    )
    .bind(tenant)
    .bind(payer)
    .fetch_all(pool)
    .await?;
    let items: Vec<(
        String,
        DateTime<Utc>,
        String,
        String,
        String,
        i64,
        i64,
        i64,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    )> = sqlx::query_as(
        "SELECT w.claim_id, w.created_at, w.status, w.category, w.recommended_action, w.denied_cents,
                    w.expected_recovery_cents,
                    (SELECT count(*) FROM work_item_actions x WHERE x.tenant_id = w.tenant_id
                        AND x.work_item_id = w.work_item_id
                        AND x.action IN ('correction_requested', 'appeal_filed', 'written_off', 'billed_to_patient')),
                    w.resolved_at, w.correction_requested_at
             FROM work_items w WHERE w.tenant_id = $1 AND ($2::text IS NULL OR w.payer_id = $2)",
    )
    .bind(tenant)
    .bind(payer)
    .fetch_all(pool)
    .await?;
    Ok(Input {
        claims: claims
            .into_iter()
            .map(|(claim_id, payer_id, service_date, first_submitted_at, charge_cents)| ClaimRow {
                claim_id,
                payer_id,
                service_date,
                first_submitted_at,
                charge_cents,
            })
            .collect(),
        adjudications: adjs
            .into_iter()
            .filter_map(|(claim_id, outcome, at, charge, paid, contractual, denied, codes, cents, category)| {
                Some(AdjudicationRow {
                    claim_id,
                    outcome: Outcome::parse(&outcome)?,
                    at,
                    charge_cents: charge,
                    paid_cents: paid,
                    contractual_cents: contractual,
                    denied_cents: denied,
                    denial_codes: codes.into_iter().zip(cents).collect(),
                    category,
                })
            })
            .collect(),
        scrubs: scrubs.into_iter().map(|(claim_id, passed, at)| ScrubRow { claim_id, passed, at }).collect(),
        items: items
            .into_iter()
            .filter_map(|(claim_id, created_at, status, category, action, denied, expected, n, resolved, corrected)| {
                Some(ItemRow {
                    claim_id,
                    created_at,
                    status: decide::Status::parse(&status)?,
                    category,
                    recommended_action: action,
                    denied_cents: denied,
                    expected_recovery_cents: expected,
                    resolving_actions: n.max(0) as u32,
                    resolved_at: resolved.or(corrected),
                })
            })
            .collect(),
    })
}
