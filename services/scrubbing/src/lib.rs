//! Scrubbing: the edits a claim must pass before it goes out, as versioned rule packs.
//!
//! On `coding.claim_coded` it runs the built-in packs (837P requirements, code sets at the date
//! of service, MCE clinical edits, NCCI, duplicates and timely filing; [`decide`]) and the
//! tenant's and payer's declarative packs ([`packs`]) as pure functions, and emits
//! `scrubbing.claim_rejected` with every finding when an error is left, or
//! `scrubbing.claim_scrubbed` with the claim and its warnings. Every rule has an id, a severity, a
//! message, the field it concerns and its source ([`rules`]). Each scrub is kept with the claim
//! ([`store`]). `ScrubbingService` ([`grpc`]) scrubs dry, explains rules, loads packs, records a
//! biller's overrides and scrubs stored claims again; [`replay`] re-scrubs past claims for
//! `rcm scrub replay`.

pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod packs;
pub mod replay;
pub mod rules;
pub mod service;
pub mod store;

pub use config::ScrubbingConfig;
pub use error::Error;
pub use service::State;

use rcm_proto::scrubbing::scrubbing_service_server::ScrubbingServiceServer;
use rcm_runtime::{EventType, Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The service's name: its database (`rcm_scrubbing`), its consumers and its events' producer.
pub const NAME: &str = "scrubbing";

/// The service's own migrations (versions from 1000; the runtime's are below).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens the service's database, starts its outbox relay and its `ClaimCoded` consumer for every
/// tenant, and adds `ScrubbingService` to `routes`. The tasks run until `shutdown`. The tables load
/// in the background meanwhile (the first claim waits for them if it comes first).
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: ScrubbingConfig = platform.config.section(NAME)?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let state = Arc::new(State::new(config.settings()));
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.tables().await {
            tracing::error!(error = %e, "scrubbing tables did not load");
        }
    });
    let relay = host.spawn_relay(shutdown.clone());
    let router = Router::new(NAME).on(EventType::ClaimCoded, handler!(handlers::on_claim_coded));
    let workers = host.spawn_workers(router, state.clone(), shutdown);
    routes.add_service(ScrubbingServiceServer::new(grpc::ScrubbingApi::new(host, state)));
    Ok(vec![relay, workers])
}
