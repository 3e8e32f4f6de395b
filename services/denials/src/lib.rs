//! The denials service.
//!
//! It reads `remittance.claim_denied` and `remittance.claim_partially_paid`, classifies each denial
//! from its CARC/RARC codes ([`decide`], checked against the shipped lists in [`codes`]), sets its
//! appeal deadline from the payer's rules ([`config`]), ranks it by expected recovery and days to the
//! deadline, keeps it in a work queue (one item per claim and remittance) and emits
//! `denials.denial_queued { work_item_id, category, priority }`. It also reads
//! `remittance.claim_paid`, `scrubbing.claim_scrubbed`, `scrubbing.claim_rejected` and
//! `submission.claim_submitted` into a reporting projection ([`reports`]).
//!
//! gRPC: `rcm.denials.v1.DenialsService`: the queue (`ListWorkQueue`, `GetWorkItem`), its actions
//! (`AssignWorkItem`, `AddNote`, `RequestCorrection`, `FileAppeal` → `denials.appeal_filed`,
//! `RecordAppealOutcome`, `WriteOff` and `BillPatient` → `denials.claim_closed`), `GetClaimStatus`
//! and `GetReports`. The reports are also Prometheus gauges (`rcm_denials_report_*`). See
//! `services/denials/README.md`.

pub mod codes;
pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod metrics_task;
pub mod reports;
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
        .on(EventType::ClaimScrubbed, handler!(handlers::on_claim_scrubbed))
        .on(EventType::ClaimRejected, handler!(handlers::on_claim_rejected))
        .on(EventType::ClaimSubmitted, handler!(handlers::on_claim_submitted))
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
    let state = Arc::new(handlers::State { config: config.clone() });
    let mut tasks = vec![host.spawn_relay(shutdown.clone()), host.spawn_workers(router(), state, shutdown.clone())];
    if config.report_metrics_interval_secs > 0 {
        let every = std::time::Duration::from_secs(config.report_metrics_interval_secs);
        tasks.push(tokio::spawn(metrics_task::run(host.clone(), every, shutdown)));
    }
    routes.add_service(DenialsServiceServer::new(grpc::Denials::new(host.clone(), config)));
    tracing::info!(service = NAME, "started");
    Ok(tasks)
}
