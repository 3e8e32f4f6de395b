//! Intake: takes encounters (gRPC `SubmitEncounter`, FHIR bundles) and starts claims, and keeps the
//! platform's record of every claim's life (the claim history).
//!
//! - `IntakeService.SubmitEncounter` checks an encounter (everything missing is an `InvalidArgument`
//!   naming each field; what later steps decide passes as findings), stores it once per
//!   (tenant, encounter id), gives it a claim id and emits `intake.encounter_received` in the same
//!   transaction.
//! - The history consumer reads every event of the tenant, appends it to the claim's history and
//!   moves the claim's current state forward (never back), with its money.
//! - `GetEncounter`, `GetClaimHistory`, `GetClaimStatus`, `SummarizeClaims` read those records.

pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod store;

pub use config::IntakeConfig;
pub use error::Error;

use rcm_proto::intake::intake_service_server::IntakeServiceServer;
use rcm_runtime::{Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The service's name: its database (`rcm_intake`), its consumers (`intake__all`) and its events' producer.
pub const NAME: &str = "intake";

/// The service's own migrations (versions from 1000; the runtime's are below).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens the service's database, starts its outbox relay and its history consumer for every
/// tenant, and adds `IntakeService` to `routes`. The tasks run until `shutdown`.
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: IntakeConfig = platform.config.section(NAME)?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let relay = host.spawn_relay(shutdown.clone());
    let router = Router::new(NAME).on_all(handler!(handlers::on_any_event));
    let workers = host.spawn_workers(router, Arc::new(handlers::State), shutdown);
    routes.add_service(IntakeServiceServer::new(grpc::IntakeApi::new(host, config)));
    Ok(vec![relay, workers])
}
