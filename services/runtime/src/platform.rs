//! What a service is given (the [`Platform`]) and what it runs on (the [`ServiceHost`]: its
//! database, its outbox relay and its consumers for every tenant).

use crate::bus::Bus;
use crate::config::Config;
use crate::envelope::{self, Origin};
use crate::error::Result;
use crate::ids::Determinism;
use crate::outbox::{self, Relay};
use crate::subjects::Subjects;
use crate::tenants::Registry;
use crate::worker::{Router, Worker};
use rcm_proto::events::{Envelope, envelope::Payload};
use sqlx::migrate::Migrator;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// Shared by every service of a process.
#[derive(Clone)]
pub struct Platform {
    pub config: Arc<Config>,
    pub bus: Bus,
    pub det: Determinism,
    pub registry: Registry,
}

impl Platform {
    pub async fn connect(config: Config, det: Determinism) -> Result<Platform> {
        let subjects = Subjects::new(Some(config.subject_prefix.as_str()))?;
        let bus = Bus::connect(&config.nats_url, subjects).await?;
        let registry = Registry::open(&config.database_url, &config.database_prefix).await?;
        Ok(Platform { config: Arc::new(config), bus, det, registry })
    }

    /// The tenants this process serves: the configured ones, or every registered tenant, less the
    /// excluded ones.
    pub async fn tenants(&self) -> Result<Vec<String>> {
        let c = &self.config;
        if !c.tenants.is_empty() {
            return Ok(served_tenants(&c.tenants, &c.exclude_tenants));
        }
        let registered: Vec<String> = self.registry.list().await?.into_iter().map(|t| t.tenant_id).collect();
        Ok(served_tenants(&registered, &c.exclude_tenants))
    }

    /// Registers a tenant and creates its stream.
    pub async fn add_tenant(&self, tenant: &str, name: &str) -> Result<crate::tenants::Tenant> {
        self.registry.add(&self.bus, tenant, name, &self.config.stream).await
    }
}

/// `candidates` without the `excluded` ones, in their order.
pub fn served_tenants(candidates: &[String], excluded: &[String]) -> Vec<String> {
    candidates.iter().filter(|t| !excluded.contains(t)).cloned().collect()
}

/// One service's share of the platform.
#[derive(Clone)]
pub struct ServiceHost {
    pub name: &'static str,
    pub pool: PgPool,
    pub platform: Platform,
}

impl ServiceHost {
    /// Opens (creating and migrating) the service's database.
    pub async fn open(platform: &Platform, name: &'static str, migrator: &Migrator) -> Result<ServiceHost> {
        let c = &platform.config;
        let pool = crate::db::open_service_database(
            &c.database_url,
            &c.database_prefix,
            name,
            Some(migrator),
            c.database_max_connections,
        )
        .await?;
        Ok(ServiceHost { name, pool, platform: platform.clone() })
    }

    pub fn bus(&self) -> &Bus {
        &self.platform.bus
    }

    pub fn config(&self) -> &Config {
        &self.platform.config
    }

    /// A new event from this service.
    pub fn new_event(&self, origin: &Origin, payload: Payload) -> Envelope {
        envelope::new_envelope(&self.platform.det, self.name, origin, payload)
    }

    /// Puts an event in the outbox inside the caller's transaction (for work that does not start
    /// from an event: gRPC calls, files read from disk).
    pub async fn enqueue(&self, conn: &mut PgConnection, env: &Envelope) -> Result<()> {
        outbox::enqueue(conn, &self.platform.bus, env).await.map(|_| ())
    }

    /// Starts the outbox relay.
    pub fn spawn_relay(&self, shutdown: CancellationToken) -> JoinHandle<Result<()>> {
        let c = &self.platform.config.outbox;
        let relay = Relay::new(
            self.pool.clone(),
            self.platform.bus.clone(),
            self.name,
            c.batch,
            Duration::from_millis(c.poll_ms),
        );
        tokio::spawn(relay.run(shutdown))
    }

    /// Starts the router's consumers for every tenant served, and for tenants registered later.
    pub fn spawn_workers<S: Send + Sync + 'static>(
        &self,
        router: Router<S>,
        state: Arc<S>,
        shutdown: CancellationToken,
    ) -> JoinHandle<Result<()>> {
        let worker = Worker::new(
            router,
            state,
            self.pool.clone(),
            self.platform.bus.clone(),
            self.platform.det.clone(),
            self.platform.config.consumer.clone(),
        );
        let platform = self.platform.clone();
        let service = self.name;
        tokio::spawn(async move {
            let mut started = BTreeSet::new();
            let mut tasks = JoinSet::new();
            loop {
                match platform.tenants().await {
                    Ok(tenants) => {
                        let new: Vec<String> = tenants.into_iter().filter(|t| !started.contains(t)).collect();
                        for t in new {
                            match worker.spawn_tenant(&t, &mut tasks, &shutdown).await {
                                Ok(()) => {
                                    tracing::info!(service, tenant = %t, "consuming");
                                    started.insert(t);
                                }
                                Err(e) => {
                                    tracing::warn!(service, tenant = %t, error = %e, "cannot consume yet; will retry")
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(service, error = %e, "cannot list tenants; will retry"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {},
                    Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                        if let Ok(Err(e)) = done {
                            tracing::error!(service, error = %e, "a consumer stopped");
                        }
                    }
                }
            }
            while tasks.join_next().await.is_some() {}
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::served_tenants;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn excluded_tenants_are_left_out() {
        assert_eq!(served_tenants(&v(&["acme", "beta", "gamma"]), &v(&["beta"])), v(&["acme", "gamma"]));
        assert_eq!(served_tenants(&v(&["acme", "beta"]), &[]), v(&["acme", "beta"]));
        // Excluding a tenant that is not there changes nothing; excluding every one leaves none.
        assert_eq!(served_tenants(&v(&["acme"]), &v(&["zeta"])), v(&["acme"]));
        assert!(served_tenants(&v(&["acme"]), &v(&["acme"])).is_empty());
    }
}
