//! Configuration: defaults, then a TOML file, then `RCM_` environment variables, then flags.
//!
//! Environment variables name a setting by its path with `__` between levels:
//! `RCM_NATS_URL`, `RCM_CONSUMER__MAX_DELIVER`, `RCM_SUBMISSION__BATCH_MAX_CLAIMS`. Every setting is
//! documented on its field and listed by `rcm config` with its value.

use crate::bus::{ConsumerSettings, StreamSettings};
use crate::error::{Result, RuntimeError};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// NATS server with JetStream.
    pub nats_url: String,
    /// Postgres server; each service uses its own database on it (`<database_prefix>rcm_<service>`).
    pub database_url: String,
    /// Prepended to every database name (tests use a unique one each).
    pub database_prefix: String,
    /// Prepended to every subject and stream name (tests share a server with it). Empty for none.
    pub subject_prefix: String,
    /// Where files go: `<data_dir>/<tenant>/outbound` (837s), `<data_dir>/<tenant>/inbound` (999, 277CA, 835).
    pub data_dir: PathBuf,
    /// The gRPC listen address of `rcm serve` (all its services on one port).
    pub grpc_addr: String,
    /// The Prometheus metrics listen address; empty to serve none.
    pub metrics_addr: String,
    /// Tenants this process works for; empty means every tenant in the registry.
    pub tenants: Vec<String>,
    /// Tenants this process leaves alone even when `tenants` (or the registry) names them: the
    /// shared workers of a deployment where some tenants have their own (`--exclude-tenants acme`).
    pub exclude_tenants: Vec<String>,
    /// Connections per service database pool.
    pub database_max_connections: u32,
    pub stream: StreamSettings,
    pub consumer: ConsumerSettings,
    pub outbox: OutboxSettings,
    /// Service-specific sections (`[coding]`, `[submission]`, ...), read by each service.
    #[serde(flatten)]
    pub services: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboxSettings {
    /// The longest the relay waits for a NOTIFY before looking anyway, in milliseconds.
    pub poll_ms: u64,
    /// Events published per batch.
    pub batch: i64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings { poll_ms: 250, batch: 256 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            nats_url: "nats://127.0.0.1:4222".into(),
            database_url: "postgres://postgres@127.0.0.1:5432".into(),
            database_prefix: String::new(),
            subject_prefix: String::new(),
            data_dir: PathBuf::from("var"),
            grpc_addr: "127.0.0.1:50051".into(),
            metrics_addr: "127.0.0.1:9464".into(),
            tenants: Vec::new(),
            exclude_tenants: Vec::new(),
            database_max_connections: 8,
            stream: StreamSettings::default(),
            consumer: ConsumerSettings::default(),
            outbox: OutboxSettings::default(),
            services: serde_json::Map::new(),
        }
    }
}

impl Config {
    /// Defaults < `file` (if given, or `rcm.toml` if present) < `RCM_*` environment < `overrides`.
    pub fn load(file: Option<&Path>, overrides: &serde_json::Value) -> Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) if !f.exists() => {
                return Err(RuntimeError::Config(format!("config file {} not found", f.display())));
            }
            Some(f) => fig = fig.merge(Toml::file(f)),
            None if Path::new("rcm.toml").exists() => fig = fig.merge(Toml::file("rcm.toml")),
            None => {}
        }
        // RCM_LOG_FORMAT is read by telemetry and RCM_CONFIG by the command line: neither is a setting.
        fig = fig.merge(Env::prefixed("RCM_").split("__").ignore(&["log_format", "config"]));
        fig = fig.merge(Serialized::defaults(overrides));
        fig.extract().map_err(|e| RuntimeError::Config(e.to_string()))
    }

    /// A service's own section, with its defaults for what is not set.
    pub fn section<T: serde::de::DeserializeOwned + Default>(&self, name: &str) -> Result<T> {
        match self.services.get(name) {
            None => Ok(T::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| RuntimeError::Config(format!("[{name}]: {e}"))),
        }
    }

    pub fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.data_dir.join(tenant)
    }
}
