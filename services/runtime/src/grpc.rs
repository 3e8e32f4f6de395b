//! Serves the gRPC services of a process on one port, with health and reflection (so `grpcurl`
//! works without .proto files).

use crate::error::{Result, RuntimeError};
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;

/// Serves `routes` plus `grpc.health.v1.Health` (every name in `services` reported SERVING) and
/// reflection, until `shutdown`.
pub async fn serve(
    addr: std::net::SocketAddr,
    mut routes: RoutesBuilder,
    services: &[&str],
    shutdown: CancellationToken,
) -> Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    for s in services {
        reporter.set_service_status(*s, tonic_health::ServingStatus::Serving).await;
    }
    reporter.set_service_status("", tonic_health::ServingStatus::Serving).await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(rcm_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| RuntimeError::Config(format!("reflection: {e}")))?;
    routes.add_service(health).add_service(reflection);
    tracing::info!(%addr, "gRPC listening");
    tonic::transport::Server::builder()
        .add_routes(routes.routes())
        .serve_with_shutdown(addr, shutdown.cancelled_owned())
        .await
        .map_err(|e| RuntimeError::Config(format!("gRPC server on {addr}: {e}")))
}
