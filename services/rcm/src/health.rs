//! `rcm health`: asks a server over `grpc.health.v1` whether it is serving, so a container image
//! with no shell and no `grpc_health_probe` can still be health-checked (Docker `HEALTHCHECK`,
//! compose). Kubernetes needs none of this: its `grpc:` probes speak the same protocol.

use std::process::ExitCode;
use std::time::Duration;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The address to ask for a server listening on `listen`: a wildcard listen address (0.0.0.0,
/// [::]) is reached on the loopback of the same family.
pub fn local_addr(listen: &str) -> String {
    match listen.parse::<std::net::SocketAddr>() {
        Ok(a) if a.ip().is_unspecified() => {
            let ip: std::net::IpAddr =
                if a.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() };
            std::net::SocketAddr::new(ip, a.port()).to_string()
        }
        _ => listen.to_string(),
    }
}

/// Exit 0 when `service` ("" for the whole server) at `addr` is SERVING; 1 otherwise (the code
/// Docker reads as unhealthy), with the reason on stderr.
pub async fn check(addr: &str, service: &str, timeout: Duration) -> ExitCode {
    match status(addr, service, timeout).await {
        Ok(ServingStatus::Serving) => {
            println!("{addr}: SERVING");
            ExitCode::SUCCESS
        }
        Ok(s) => {
            eprintln!("{addr}: {}", s.as_str_name());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{addr}: {e}");
            ExitCode::from(1)
        }
    }
}

async fn status(addr: &str, service: &str, timeout: Duration) -> Result<ServingStatus, String> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| format!("not an address: {e}"))?
        .connect_timeout(timeout)
        .timeout(timeout);
    let channel = tokio::time::timeout(timeout, endpoint.connect())
        .await
        .map_err(|_| "no answer in time".to_string())?
        .map_err(|e| format!("cannot connect: {e}"))?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest { service: service.to_string() })
        .await
        .map_err(|s| format!("health check failed: {}", s.message()))?;
    ServingStatus::try_from(reply.into_inner().status).map_err(|_| "unknown serving status".to_string())
}

#[cfg(test)]
mod tests {
    use super::local_addr;

    #[test]
    fn wildcard_listen_addresses_are_asked_on_the_loopback() {
        assert_eq!(local_addr("0.0.0.0:50051"), "127.0.0.1:50051");
        assert_eq!(local_addr("[::]:50051"), "[::1]:50051");
        assert_eq!(local_addr("10.1.2.3:50051"), "10.1.2.3:50051");
        assert_eq!(local_addr("intake:50051"), "intake:50051");
    }
}
