//! A sandbox for tests: its own subject prefix, database prefix and data directory on the shared
//! NATS and Postgres, any set of services running in this process with gRPC on a free port, and a
//! clean-up that removes all of it.

use crate::services::{self, Tasks};
use anyhow::{Context, Result};
use rcm_runtime::config::Config;
use rcm_runtime::ids::Determinism;
use rcm_runtime::{Platform, db};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct Sandbox {
    pub config: Config,
    pub platform: Platform,
    pub addr: SocketAddr,
    pub tenants: Vec<String>,
    shutdown: CancellationToken,
    tasks: Tasks,
}

impl Sandbox {
    /// A sandbox config: unique prefixes, a fresh data directory, fast retries.
    pub fn config(tenants: &[&str]) -> Config {
        rcm_runtime::testing::unique_config(tenants)
    }

    /// Registers the tenants and starts `targets` (service names, plus the simulator when asked).
    pub async fn start(config: Config, targets: &[&str], simulator: bool) -> Result<Sandbox> {
        Self::start_with(config, Determinism::default(), targets, simulator).await
    }

    /// As [`Sandbox::start`], with a given clock and id generator (replays pin them).
    pub async fn start_with(config: Config, det: Determinism, targets: &[&str], simulator: bool) -> Result<Sandbox> {
        let platform = Platform::connect(config.clone(), det).await.context("NATS and Postgres must run (just up)")?;
        for t in &config.tenants {
            platform.add_tenant(t, t).await?;
        }
        let shutdown = CancellationToken::new();
        let mut routes = tonic::service::RoutesBuilder::default();
        let mut tasks = services::start_all(targets, &platform, &mut routes, &shutdown).await?;
        if simulator {
            tasks.push(services::start_simulator(&platform, &shutdown)?);
        }
        let addr: SocketAddr = config.grpc_addr.parse()?;
        if !targets.is_empty() {
            let names: Vec<&str> = targets.iter().flat_map(|s| services::grpc_names(s).iter().copied()).collect();
            let sd = shutdown.clone();
            tasks.push(tokio::spawn(async move { rcm_runtime::grpc::serve(addr, routes, &names, sd).await }));
        }
        let tenants = config.tenants.clone();
        Ok(Sandbox { config, platform, addr, tenants, shutdown, tasks })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until no consumer of the tenants' streams has work pending and every outbox of the
    /// running services is empty, twice in a row.
    pub async fn wait_idle(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut quiet = 0;
        while quiet < 2 {
            anyhow::ensure!(Instant::now() < deadline, "the pipeline did not go idle within {timeout:?}");
            let mut busy = 0u64;
            for t in &self.tenants {
                busy += self.platform.bus.outstanding(t).await?;
            }
            for name in db::list_databases(&self.config.database_url, &self.config.database_prefix).await? {
                if name.ends_with("rcm_admin") {
                    continue;
                }
                let pool = db::connect(&self.config.database_url, &name, 1).await?;
                busy += rcm_runtime::outbox::pending(&pool).await.unwrap_or(0) as u64;
                pool.close().await;
            }
            quiet = if busy == 0 { quiet + 1 } else { 0 };
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        Ok(())
    }

    /// Stops the services (graceful shutdown).
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        services::join(std::mem::take(&mut self.tasks)).await;
    }

    /// Stops the services and removes the sandbox's streams, databases and files.
    pub async fn cleanup(mut self) -> Result<()> {
        self.stop().await;
        remove(&self.config).await
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }
}

/// Removes what a sandbox config made (streams, databases, files).
pub async fn remove(config: &Config) -> Result<()> {
    let tenants: Vec<&str> = config.tenants.iter().map(String::as_str).collect();
    rcm_runtime::testing::remove(config, &tenants).await;
    Ok(())
}
