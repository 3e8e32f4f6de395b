//! The inbox: a consumer records each event id it handled in the same transaction as the effects,
//! so a redelivered event is recognised and has no second effect.

use crate::error::Result;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records that `consumer` handles `event_id`. False when it already did: skip the event.
pub async fn first_delivery(conn: &mut PgConnection, consumer: &str, tenant: &str, event_id: Uuid) -> Result<bool> {
    let r = sqlx::query("INSERT INTO inbox (consumer, event_id, tenant_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(consumer)
        .bind(event_id)
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
