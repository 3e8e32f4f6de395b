//! The remittance service.
//!
//! - On `submission.claim_submitted` it records the claim as expected ([`handlers`]), and posts an 835
//!   claim for it that came before the event did.
//! - Its 835 poller ([`poller`]) takes each served tenant's `*.835` from its trading partners'
//!   transports (the submission service's partners; folder `<data_dir>/<tenant>/inbound` by
//!   default), and `UploadRemittance` takes one over gRPC; both through [`take`]: each payment of a
//!   file is posted in one transaction, held when it does not balance, or recognised as taken before
//!   (payer and trace). Each claim (CLP) is posted ([`posting`]): one `remittance.claim_paid`,
//!   `claim_partially_paid`, `claim_denied` or `claim_reversed` per claim, by the rules of
//!   [`decide`], with the claim's money (balance = billed − paid − adjusted); a secondary claim is
//!   asked for when another payer is next (`remittance.secondary_claim_requested`). Claims, lines
//!   and reversals that match nothing of ours go to the unmatched queue with their candidates; PLB
//!   items to the tenant's provider ledger.
//! - gRPC `rcm.remittance.v1.RemittanceService`: `GetClaimStatus`, `UploadRemittance`,
//!   `ListHeldRemittances`, `ListUnmatched`, `GetClaimBalance`, `ListProviderLedger`.

pub mod config;
pub mod decide;
pub mod era;
pub mod error;
pub mod grpc;
pub mod handlers;
pub mod poller;
pub mod posting;
pub mod store;
pub mod take;

pub use config::RemittanceConfig;
pub use error::Error;

use rcm_proto::remittance::remittance_service_server::RemittanceServiceServer;
use rcm_runtime::{EventType, Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The service's name: its database (`rcm_remittance`), consumers and event producer.
pub const NAME: &str = "remittance";

/// The service's own migrations (the runtime's tables come first).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The event routes of the service.
pub fn router() -> Router<handlers::State> {
    Router::new(NAME)
        .on(EventType::ClaimSubmitted, handler!(handlers::on_claim_submitted))
        .on(EventType::TradingPartnerSet, handler!(handlers::on_trading_partner_set))
}

/// Opens the database, starts the outbox relay, the `ClaimSubmitted` consumers and the 835 poller for
/// every tenant served, and adds the gRPC service to `routes`. The tasks end when `shutdown` is
/// cancelled.
pub async fn start(
    platform: &Platform,
    routes: &mut tonic::service::RoutesBuilder,
    shutdown: CancellationToken,
) -> Result<Vec<JoinHandle<rcm_runtime::Result<()>>>, Error> {
    let config: RemittanceConfig = platform.config.section(NAME)?;
    let host = ServiceHost::open(platform, NAME, &MIGRATOR).await?;
    let mut tasks = vec![
        host.spawn_relay(shutdown.clone()),
        host.spawn_workers(router(), Arc::new(handlers::State { host: host.clone() }), shutdown.clone()),
    ];
    if config.poll_835 {
        let poller = poller::Poller::new(host.clone(), config.poll_interval());
        tasks.push(tokio::spawn(poller.run(shutdown)));
    }
    routes.add_service(RemittanceServiceServer::new(grpc::Remittance::new(host.clone())));
    tracing::info!(service = NAME, poll_835 = config.poll_835, "started");
    Ok(tasks)
}
