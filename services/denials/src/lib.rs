//! The denials service.
//!
//! It reads `remittance.claim_denied` and `remittance.claim_partially_paid`, classifies each denial
//! from its CARC/RARC codes ([`decide`]), ranks it, keeps it in a work queue (one item per claim and
//! remittance) and emits `denials.denial_queued { work_item_id, category, priority }`. It also reads
//! `remittance.claim_paid`, so that the denial rate and first-pass yield ([`decide::report`],
//! [`store::report`]) can be computed over every adjudication.
//!
//! gRPC: `rcm.denials.v1.DenialsService` (`ListWorkQueue`, highest priority first; `GetClaimStatus`;
//! `RequestCorrection`, which asks for a replacement (frequency 7, through coding and a coder) or a
//! void (frequency 8) of a denied claim and emits `denials.correction_requested`).

pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod store;

pub use config::DenialsConfig;
pub use error::Error;

use rcm_proto::denials::denials_service_server::DenialsServiceServer;
use rcm_runtime::{EventType, Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The service's name: its database (`rcm_denials`), consumers and event producer.
pub const NAME: &str = "denials";

/// The service's own migrations (the runtime's tables come first).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The event routes of the service.
pub fn router() -> Router<handlers::State> {
    Router::new(NAME)
        .on(EventType::ClaimDenied, handler!(handlers::on_claim_denied))
        .on(EventType::ClaimPartiallyPaid, handler!(handlers::on_claim_partially_paid))
        .on(EventType::ClaimPaid, handler!(handlers::on_claim_paid))
}

/// Opens the database, starts the outbox relay and the consumers for every tenant served, and adds
/// the gRPC service to `routes`. The tasks end when `shutdown` is cancelled.
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: DenialsConfig = platform.config.section(NAME)?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let tasks =
        vec![host.spawn_relay(shutdown.clone()), host.spawn_workers(router(), Arc::new(handlers::State {}), shutdown)];
    routes.add_service(DenialsServiceServer::new(grpc::Denials::new(host.clone(), config)));
    tracing::info!(service = NAME, "started");
    Ok(tasks)
}
