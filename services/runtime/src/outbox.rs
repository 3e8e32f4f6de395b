//! The outbox: a service writes its state change and its events in one transaction; the relay
//! publishes them with `Nats-Msg-Id = event_id`, waits for JetStream's ack, and marks them
//! published. Published rows are kept so a range can be published again
//! ([`republish_since`]); consumers' inboxes make that harmless.

use crate::bus::Bus;
use crate::envelope::{self, Outgoing};
use crate::error::{Result, RuntimeError};
use crate::telemetry;
use chrono::{DateTime, Utc};
use rcm_proto::events::Envelope;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const CHANNEL: &str = "rcm_outbox";

/// Adds an event to the outbox inside the caller's transaction. The trace context of the current
/// span travels with it.
pub async fn enqueue(conn: &mut PgConnection, bus: &Bus, env: &Envelope) -> Result<Outgoing> {
    let out = envelope::encode(bus.subjects(), env, telemetry::current_traceparent()).map_err(RuntimeError::Event)?;
    let headers = serde_json::to_value(&out.headers).map_err(|e| RuntimeError::Event(e.to_string()))?;
    sqlx::query("INSERT INTO outbox (tenant_id, event_id, subject, headers, payload) VALUES ($1, $2, $3, $4, $5)")
        .bind(&out.tenant)
        .bind(out.event_id)
        .bind(&out.subject)
        .bind(headers)
        .bind(&out.payload)
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(&mut *conn).await?;
    Ok(out)
}

/// Rows not yet published (0 when the relay has caught up).
pub async fn pending(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetch_one(pool).await?)
}

/// Marks every event created since `since` as unpublished, so the relay publishes it again.
pub async fn republish_since(pool: &PgPool, since: DateTime<Utc>) -> Result<u64> {
    let r = sqlx::query("UPDATE outbox SET published_at = NULL WHERE created_at >= $1 AND published_at IS NOT NULL")
        .bind(since)
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    bus: Bus,
    service: String,
    batch: i64,
    poll: Duration,
}

impl Relay {
    pub fn new(pool: PgPool, bus: Bus, service: &str, batch: i64, poll: Duration) -> Self {
        Relay { pool, bus, service: service.to_string(), batch, poll }
    }

    /// Publishes until `shutdown`; woken by NOTIFY, or by the poll interval at the latest.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let mut failures = 0u32;
        loop {
            match self.publish_batch().await {
                Ok(n) if n > 0 => {
                    failures = 0;
                    continue;
                }
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(service = %self.service, error = %e, failures, "outbox relay could not publish; will retry");
                }
            }
            let wait = if failures == 0 { self.poll } else { self.poll * failures.min(25) };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = listener.recv() => {},
                _ = tokio::time::sleep(wait) => {},
            }
        }
        Ok(())
    }

    /// Publishes one batch of unpublished rows; returns how many.
    pub async fn publish_batch(&self) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT id, subject, headers, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut acks = Vec::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.get("id");
            let subject: String = row.get("subject");
            let headers: serde_json::Value = row.get("headers");
            let payload: Vec<u8> = row.get("payload");
            let headers: Vec<(String, String)> =
                serde_json::from_value(headers).map_err(|e| RuntimeError::Event(e.to_string()))?;
            acks.push(self.bus.publish(subject, &headers, payload).await?);
            ids.push(id);
        }
        for ack in acks {
            ack.await.map_err(RuntimeError::nats)?;
        }
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        metrics::counter!("rcm_outbox_published_total", "service" => self.service.clone()).increment(ids.len() as u64);
        Ok(ids.len())
    }
}
