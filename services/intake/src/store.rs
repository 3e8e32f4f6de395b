//! Intake's queries. Every row carries `tenant_id`; money is BIGINT cents.

use crate::decide::{ClaimRecord, ClaimState, Money};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// An encounter as stored.
#[derive(Debug, Clone)]
pub struct StoredEncounter {
    pub claim_id: Uuid,
    pub encounter: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

/// Stores an encounter unless the tenant already has one with this id. Returns whether it was
/// stored (false: a duplicate; nothing was written).
pub async fn insert_encounter(
    conn: &mut PgConnection,
    tenant: &str,
    encounter_id: &str,
    claim_id: Uuid,
    source: &str,
    encounter: &[u8],
    received_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO encounters (tenant_id, encounter_id, claim_id, source, encounter, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, encounter_id) DO NOTHING",
    )
    .bind(tenant)
    .bind(encounter_id)
    .bind(claim_id)
    .bind(source)
    .bind(encounter)
    .bind(received_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn encounter_by_id<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    encounter_id: &str,
) -> sqlx::Result<Option<StoredEncounter>> {
    let row = sqlx::query(
        "SELECT claim_id, encounter, received_at FROM encounters WHERE tenant_id = $1 AND encounter_id = $2",
    )
    .bind(tenant)
    .bind(encounter_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| StoredEncounter { claim_id: r.get(0), encounter: r.get(1), received_at: r.get(2) }))
}

pub async fn encounter_by_claim<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    claim_id: Uuid,
) -> sqlx::Result<Option<StoredEncounter>> {
    let row =
        sqlx::query("SELECT claim_id, encounter, received_at FROM encounters WHERE tenant_id = $1 AND claim_id = $2")
            .bind(tenant)
            .bind(claim_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|r| StoredEncounter { claim_id: r.get(0), encounter: r.get(1), received_at: r.get(2) }))
}

/// One event of a claim's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub tenant_id: String,
    pub claim_id: String,
    pub state: String,
    /// The claim version the event is about.
    pub version: i32,
    pub at: DateTime<Utc>,
    pub event_type: String,
    pub event_id: Uuid,
    pub producer: String,
    pub detail: String,
    /// What the event did to the claim: moved, repeated, late or refused.
    pub transition: String,
}

/// Appends an event to the history; false when the event is already there.
pub async fn append_history(conn: &mut PgConnection, h: &HistoryRow) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO claim_history (tenant_id, claim_id, state, version, at, event_type, event_id, producer, detail,
                                    transition)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, event_id) DO NOTHING",
    )
    .bind(&h.tenant_id)
    .bind(&h.claim_id)
    .bind(&h.state)
    .bind(h.version)
    .bind(h.at)
    .bind(&h.event_type)
    .bind(h.event_id)
    .bind(&h.producer)
    .bind(&h.detail)
    .bind(&h.transition)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn history<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Vec<HistoryRow>> {
    let rows = sqlx::query(
        "SELECT tenant_id, claim_id, state, at, event_type, event_id, producer, detail, version, transition
         FROM claim_history
         WHERE tenant_id = $1 AND claim_id = $2 ORDER BY at, id",
    )
    .bind(tenant)
    .bind(claim_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            tenant_id: r.get(0),
            claim_id: r.get(1),
            state: r.get(2),
            at: r.get(3),
            event_type: r.get(4),
            event_id: r.get(5),
            producer: r.get(6),
            detail: r.get(7),
            version: r.get(8),
            transition: r.get(9),
        })
        .collect())
}

/// A claim's current record, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub record: ClaimRecord,
    pub state_at: DateTime<Utc>,
    pub state_event_id: Uuid,
    pub detail: String,
    /// When the claim's first event happened.
    pub created_at: DateTime<Utc>,
}

/// Serialises the work on one claim across replicas until the transaction ends.
pub async fn lock_claim(conn: &mut PgConnection, tenant: &str, claim_id: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))")
        .bind(tenant)
        .bind(claim_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The columns [`claim_row`] reads, in its order.
macro_rules! claim_columns {
    () => {
        "state, state_at, state_event_id, detail, billed_cents, paid_cents, adjusted_cents,
         patient_responsibility_cents, denied, version, frequency_code, payer_id, created_at, claim_id"
    };
}

fn claim_row(r: &sqlx::postgres::PgRow) -> sqlx::Result<ClaimRow> {
    let state: String = r.get(0);
    let state = ClaimState::from_name(&state).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "state".into(),
        source: format!("unknown claim state {state:?}").into(),
    })?;
    Ok(ClaimRow {
        record: ClaimRecord {
            state,
            money: Money {
                billed_cents: r.get(4),
                paid_cents: r.get(5),
                adjusted_cents: r.get(6),
                patient_responsibility_cents: r.get(7),
            },
            denied: r.get(8),
            version: r.get::<i32, _>(9).max(1) as u32,
            frequency_code: r.get(10),
            payer_id: r.get(11),
        },
        state_at: r.get(1),
        state_event_id: r.get(2),
        detail: r.get(3),
        created_at: r.get(12),
    })
}

pub async fn claim<'e>(db: impl PgExecutor<'e>, tenant: &str, claim_id: &str) -> sqlx::Result<Option<ClaimRow>> {
    let sql = concat!("SELECT ", claim_columns!(), " FROM claims WHERE tenant_id = $1 AND claim_id = $2");
    let row = sqlx::query(sql).bind(tenant).bind(claim_id).fetch_optional(db).await?;
    row.as_ref().map(claim_row).transpose()
}

/// What `ListClaims` asks for.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub states: Vec<String>,
    pub payer_id: Option<String>,
    /// Created at or before / after these instants (from the ages asked for).
    pub created_before: Option<DateTime<Utc>>,
    pub created_after: Option<DateTime<Utc>>,
    /// Keyset: claims after (created_at, claim_id).
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

/// A tenant's claims by the filter, oldest first, each with its id.
pub async fn list_claims<'e>(
    db: impl PgExecutor<'e>,
    tenant: &str,
    f: &ClaimFilter,
) -> sqlx::Result<Vec<(String, ClaimRow)>> {
    let sql = concat!(
        "SELECT ",
        claim_columns!(),
        " FROM claims
         WHERE tenant_id = $1
           AND (cardinality($2::TEXT[]) = 0 OR state = ANY($2))
           AND ($3::TEXT IS NULL OR payer_id = $3)
           AND ($4::TIMESTAMPTZ IS NULL OR created_at <= $4)
           AND ($5::TIMESTAMPTZ IS NULL OR created_at >= $5)
           AND ($6::TIMESTAMPTZ IS NULL OR (created_at, claim_id) > ($6, $7))
         ORDER BY created_at, claim_id
         LIMIT $8"
    );
    let (after_at, after_id) = match &f.after {
        Some((at, id)) => (Some(*at), id.as_str()),
        None => (None, ""),
    };
    let rows = sqlx::query(sql)
        .bind(tenant)
        .bind(&f.states)
        .bind(f.payer_id.as_deref())
        .bind(f.created_before)
        .bind(f.created_after)
        .bind(after_at)
        .bind(after_id)
        .bind(f.limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| Ok((r.get::<String, _>(13), claim_row(r)?))).collect()
}

pub async fn upsert_claim(
    conn: &mut PgConnection,
    tenant: &str,
    claim_id: &str,
    row: &ClaimRow,
    last_event_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    let m = &row.record.money;
    sqlx::query(
        "INSERT INTO claims (tenant_id, claim_id, state, state_at, state_event_id, detail, billed_cents, paid_cents,
                             adjusted_cents, patient_responsibility_cents, denied, last_event_at, version,
                             frequency_code, payer_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (tenant_id, claim_id) DO UPDATE SET
             state = EXCLUDED.state, state_at = EXCLUDED.state_at, state_event_id = EXCLUDED.state_event_id,
             detail = EXCLUDED.detail, billed_cents = EXCLUDED.billed_cents, paid_cents = EXCLUDED.paid_cents,
             adjusted_cents = EXCLUDED.adjusted_cents,
             patient_responsibility_cents = EXCLUDED.patient_responsibility_cents, denied = EXCLUDED.denied,
             last_event_at = GREATEST(claims.last_event_at, EXCLUDED.last_event_at), version = EXCLUDED.version,
             frequency_code = EXCLUDED.frequency_code, payer_id = EXCLUDED.payer_id,
             created_at = LEAST(claims.created_at, EXCLUDED.created_at)",
    )
    .bind(tenant)
    .bind(claim_id)
    .bind(row.record.state.name())
    .bind(row.state_at)
    .bind(row.state_event_id)
    .bind(&row.detail)
    .bind(m.billed_cents)
    .bind(m.paid_cents)
    .bind(m.adjusted_cents)
    .bind(m.patient_responsibility_cents)
    .bind(row.record.denied)
    .bind(last_event_at)
    .bind(row.record.version as i32)
    .bind(&row.record.frequency_code)
    .bind(&row.record.payer_id)
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A tenant's claims in sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Claims by current state.
    pub states: Vec<(String, i64)>,
    pub money: Money,
    pub denied_claims: i64,
    pub total_claims: i64,
}

pub async fn summary(conn: &mut PgConnection, tenant: &str) -> sqlx::Result<Summary> {
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, count(*) FROM claims WHERE tenant_id = $1 GROUP BY state")
            .bind(tenant)
            .fetch_all(&mut *conn)
            .await?;
    let r = sqlx::query(
        "SELECT coalesce(sum(billed_cents), 0)::BIGINT, coalesce(sum(paid_cents), 0)::BIGINT,
                coalesce(sum(adjusted_cents), 0)::BIGINT, coalesce(sum(patient_responsibility_cents), 0)::BIGINT,
                count(*) FILTER (WHERE denied), count(*)
         FROM claims WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Summary {
        states,
        money: Money {
            billed_cents: r.get(0),
            paid_cents: r.get(1),
            adjusted_cents: r.get(2),
            patient_responsibility_cents: r.get(3),
        },
        denied_claims: r.get(4),
        total_claims: r.get(5),
    })
}
