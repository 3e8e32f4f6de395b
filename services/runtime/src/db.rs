//! One Postgres database per service (`<prefix>rcm_<service>`), created on first use, with the
//! runtime's tables (outbox, inbox, dead letters) and the service's own migrations.

use crate::error::{Result, RuntimeError};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;

/// The database name of a service: `rcm_coding`, or `t1_rcm_coding` under prefix `t1_`.
pub fn database_name(prefix: &str, service: &str) -> String {
    format!("{prefix}rcm_{service}")
}

fn options(base_url: &str, database: &str) -> Result<PgConnectOptions> {
    let opts = PgConnectOptions::from_str(base_url)
        .map_err(|e| RuntimeError::Config(format!("database_url is not a Postgres URL: {e}")))?;
    Ok(opts.database(database).log_statements(tracing::log::LevelFilter::Trace))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 63
        || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(RuntimeError::Config(format!("{name:?} is not a usable database name")));
    }
    Ok(())
}

/// Creates the database when it does not exist (safe when several processes race to do it).
pub async fn ensure_database(base_url: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut conn = options(base_url, "postgres")?.connect().await?;
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut conn).await?;
    if exists.is_none() {
        match sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await {
            Ok(_) => tracing::info!(database = name, "database created"),
            // 42P04 duplicate_database, 23505 unique_violation: another process made it first.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04") | Some("23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// Drops a database (tests and tenant offboarding tools).
pub async fn drop_database(base_url: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut conn = options(base_url, "postgres")?.connect().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Lists databases whose name starts with `prefix` (tests clean up with it).
pub async fn list_databases(base_url: &str, prefix: &str) -> Result<Vec<String>> {
    let mut conn = options(base_url, "postgres")?.connect().await?;
    let like = format!("{}%", prefix.replace('_', "\\_"));
    Ok(sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
        .bind(like)
        .fetch_all(&mut conn)
        .await?)
}

pub async fn connect(base_url: &str, name: &str, max_connections: u32) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(options(base_url, name)?)
        .await?)
}

/// Runs the runtime's migrations (their own bookkeeping table) and then the service's.
pub async fn migrate(pool: &PgPool, service: Option<&Migrator>) -> Result<()> {
    let mut runtime = sqlx::migrate!("./migrations");
    runtime.dangerous_set_table_name("_rcm_runtime_migrations");
    runtime.run(pool).await?;
    if let Some(m) = service {
        m.run(pool).await?;
    }
    Ok(())
}

/// Creates (if needed), connects to and migrates a service's database.
pub async fn open_service_database(
    base_url: &str,
    prefix: &str,
    service: &str,
    migrator: Option<&Migrator>,
    max_connections: u32,
) -> Result<PgPool> {
    let name = database_name(prefix, service);
    ensure_database(base_url, &name).await?;
    let pool = connect(base_url, &name, max_connections).await?;
    migrate(&pool, migrator).await?;
    Ok(pool)
}
