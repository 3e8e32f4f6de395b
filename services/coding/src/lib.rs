//! Coding: turns an encounter into a claim ready to bill.
//!
//! On `intake.encounter_received` it checks the form of every code (ICD-10-CM, CPT, HCPCS Level II,
//! modifiers, diagnosis pointers), prices each line from the tenant's fee schedule (a tenant with
//! none gets the default schedule shipped in `data/` on first use), and emits either
//! `coding.claim_coded` with the priced claim, or `coding.review_required` with the findings and
//! the source's conditions as evidence for the coder. On `denials.correction_requested` it sends a
//! void (frequency 8) of the claim as it last sent it at once, or puts a replacement in the coder's
//! queue, which goes out as frequency 7 once resolved. `CodingService.GetClaimStatus` tells where a
//! claim stands.

pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod store;
pub mod suggest;

pub use config::CodingConfig;
pub use error::Error;

use rcm_proto::coding::coding_service_server::CodingServiceServer;
use rcm_runtime::{EventType, Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The service's name: its database (`rcm_coding`), its consumers and its events' producer.
pub const NAME: &str = "coding";

/// The service's own migrations (versions from 1000; the runtime's are below).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The default fee schedule shipped with the crate (see `data/SOURCES.md`).
pub const DEFAULT_FEE_SCHEDULE_TSV: &str = include_str!("../data/default_fee_schedule.tsv");

/// Opens the service's database, starts its outbox relay and its `EncounterReceived` and
/// `CorrectionRequested` consumers for every tenant, and adds `CodingService` to `routes`. The tasks
/// run until `shutdown`.
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: CodingConfig = platform.config.section(NAME)?;
    let state = Arc::new(handlers::State::new(&config)?);
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let relay = host.spawn_relay(shutdown.clone());
    let router = Router::new(NAME)
        .on(EventType::EncounterReceived, handler!(handlers::on_encounter_received))
        .on(EventType::CorrectionRequested, handler!(handlers::on_correction_requested));
    let workers = host.spawn_workers(router, state.clone(), shutdown);
    routes.add_service(CodingServiceServer::new(grpc::CodingApi::new(host, state)));
    Ok(vec![relay, workers])
}
