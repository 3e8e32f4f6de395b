//! Scrubbing: the claim edits before submission.
//!
//! On `coding.claim_coded` it runs every edit (required fields, NPI check digits, the total against
//! the lines, service dates against the platform clock and the birth date) as pure functions, and
//! emits `scrubbing.claim_rejected` with the findings when any is an error, or
//! `scrubbing.claim_scrubbed` with the claim and its warnings. `ScrubbingService.GetClaimStatus`
//! tells where a claim stands.

pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod store;

pub use config::ScrubbingConfig;
pub use error::Error;

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
/// tenant, and adds `ScrubbingService` to `routes`. The tasks run until `shutdown`.
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: ScrubbingConfig = platform.config.section(NAME)?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let relay = host.spawn_relay(shutdown.clone());
    let router = Router::new(NAME).on(EventType::ClaimCoded, handler!(handlers::on_claim_coded));
    let workers = host.spawn_workers(router, Arc::new(handlers::State { config }), shutdown);
    routes.add_service(ScrubbingServiceServer::new(grpc::ScrubbingApi::new(host)));
    Ok(vec![relay, workers])
}
