//! The tenant registry: one row per client in the admin database, and the tenant's stream.
//! (Key-value buckets do not work against our NATS server with this client, so Postgres it is.)

use crate::bus::{Bus, StreamSettings};
use crate::db;
use crate::error::Result;
use crate::subjects::check_tenant;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS tenants (
    tenant_id  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed_at TIMESTAMPTZ
)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Registry {
    pool: PgPool,
}

impl Registry {
    pub async fn open(database_url: &str, database_prefix: &str) -> Result<Registry> {
        let pool = db::open_service_database(database_url, database_prefix, "admin", None, 2).await?;
        // Two processes starting together would race on CREATE TABLE IF NOT EXISTS (Postgres
        // does not make it atomic); an advisory lock puts them in turn.
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7262636001)").execute(&mut *tx).await?;
        sqlx::query(SCHEMA).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Registry { pool })
    }

    /// Registers the tenant (idempotent) and creates or updates its stream.
    pub async fn add(&self, bus: &Bus, tenant: &str, name: &str, stream: &StreamSettings) -> Result<Tenant> {
        check_tenant(tenant)?;
        bus.ensure_stream(tenant, stream).await?;
        let row = sqlx::query(
            "INSERT INTO tenants (tenant_id, name) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name, removed_at = NULL
             RETURNING tenant_id, name, created_at",
        )
        .bind(tenant)
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(Tenant { tenant_id: row.get(0), name: row.get(1), created_at: row.get(2) })
    }

    pub async fn list(&self) -> Result<Vec<Tenant>> {
        let rows =
            sqlx::query("SELECT tenant_id, name, created_at FROM tenants WHERE removed_at IS NULL ORDER BY tenant_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| Tenant { tenant_id: r.get(0), name: r.get(1), created_at: r.get(2) }).collect())
    }

    /// Offboards a tenant: its stream is deleted and it is marked removed (its rows in service
    /// databases stay until the client's retention period ends).
    pub async fn remove(&self, bus: &Bus, tenant: &str) -> Result<()> {
        bus.delete_stream(tenant).await?;
        sqlx::query("UPDATE tenants SET removed_at = now() WHERE tenant_id = $1")
            .bind(tenant)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
