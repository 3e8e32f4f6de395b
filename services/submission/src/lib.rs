//! The submission service.
//!
//! - `scrubbing.claim_scrubbed` → the claim is stored as pending ([`handlers`]); a replacement (7) or
//!   void (8) of a claim already sent is stored as its next version, and goes out once, with REF*F8.
//! - The [`batcher`] cuts 837P batches per payer and trading partner (by count or time window),
//!   emitting `submission.claim_submitted`, and delivers each file over the partner's transport
//!   (folder `<data_dir>/<tenant>/outbound/<tenant>-<ISA13>-<payer>.837` by default, SFTP, HTTPS),
//!   emitting `submission.claim_sent`.
//! - The [`acks`] poller takes the partners' inbound `*.999` and `*.277ca` files and emits
//!   `submission.claim_accepted` or `submission.claim_rejected_by_payer` (a 999 for our group and
//!   transaction set; a 277CA for a claim's latest version, by patient control number).
//! - `SubmissionService` ([`grpc`]): claim status, trading partners, batches and their delivery,
//!   unmatched acknowledgements.

pub mod acks;
pub mod batcher;
pub mod config;
pub mod decide;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod store;

pub use config::SubmissionConfig;
pub use error::{Error, Result};

use rcm_proto::submission::submission_service_server::SubmissionServiceServer;
use rcm_runtime::{EventType, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "submission";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens the service's database and starts its outbox relay, its consumer, the batcher and the
/// acknowledgement poller; adds its gRPC service to `routes`.
pub async fn start(
    platform: &rcm_runtime::Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: SubmissionConfig = platform.config.section(NAME)?;
    config.check()?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let router = Router::new(NAME)
        .on(EventType::ClaimScrubbed, handler!(handlers::on_claim_scrubbed))
        .on(EventType::SecondaryClaimRequested, handler!(handlers::on_secondary_claim_requested));
    let batcher = batcher::Batcher::new(host.clone(), &config);
    let poller = acks::AckPoller::new(host.clone(), config.poll_interval_ms, config.partner.clone());
    let handles = vec![
        host.spawn_relay(shutdown.clone()),
        host.spawn_workers(router, Arc::new(handlers::State), shutdown.clone()),
        tokio::spawn(batcher.run(shutdown.clone())),
        tokio::spawn(poller.run(shutdown)),
    ];
    let served = platform.config.tenants.clone();
    let api = grpc::SubmissionGrpc::new(host.clone(), config.partner.clone(), served);
    routes.add_service(SubmissionServiceServer::new(api));
    tracing::info!(service = NAME, "started");
    Ok(handles)
}
