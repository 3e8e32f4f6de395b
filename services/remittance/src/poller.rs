//! The 835 poller: every `poll_interval_ms`, for each tenant served and each of its trading
//! partners (the tenant's own, set with submission's `SetTradingPartner` and announced by
//! `submission.trading_partner_set`, or the `[submission]` default), lists the partner's inbound files over its transport (folder, SFTP or
//! HTTPS; the folder default is `<data_dir>/<tenant>/inbound`), takes each `*.835` ([`crate::take`])
//! and archives it on the partner's side once its transaction committed. The 999 and 277CA files
//! beside them are the submission service's.
//!
//! A file that cannot be read is recorded (with its error and content) and archived; one taken
//! before is only archived; an error on the way (database, transport) leaves the file where it is,
//! to be taken at the next pass.

use crate::error::Error;
use crate::store::Source;
use crate::take::{self, FileResult};
use rcm_runtime::ServiceHost;
use rcm_submission::config::{SubmissionConfig, TradingPartner};
use rcm_transport::Transport;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Poller {
    host: ServiceHost,
    interval: Duration,
    data_dir: PathBuf,
    default_partner: TradingPartner,
    transports: Arc<rcm_submission::batcher::TransportCache>,
}

/// True for a name the 835 poller takes.
pub fn is_835(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("835"))
}

impl Poller {
    pub fn new(host: ServiceHost, interval: Duration) -> Self {
        let data_dir = host.config().data_dir.clone();
        let default_partner = host
            .platform
            .config
            .section::<SubmissionConfig>(rcm_submission::NAME)
            .map(|c| c.partner)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the [submission] section cannot be read; the default trading partner is used");
                TradingPartner::default()
            });
        Poller { host, interval, data_dir, default_partner, transports: Arc::default() }
    }

    /// Polls until `shutdown`. Errors are logged and the file is tried again at the next poll.
    pub async fn run(self, shutdown: CancellationToken) -> rcm_runtime::Result<()> {
        loop {
            match self.host.platform.tenants().await {
                Ok(tenants) => {
                    for t in tenants {
                        if shutdown.is_cancelled() {
                            break;
                        }
                        if let Err(e) = self.poll_tenant(&t).await {
                            tracing::warn!(tenant = %t, error = %e, "cannot take the inbound 835s; will retry");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list tenants; will retry"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
        Ok(())
    }

    /// The tenant's trading partners: its own as submission announced them
    /// (`submission.trading_partner_set`, kept in this service's database), else the configured default.
    pub async fn partners(&self, tenant: &str) -> Vec<TradingPartner> {
        let stored = match crate::store::trading_partners(&self.host.pool, tenant).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "trading partners cannot be read; the default is used this time");
                Vec::new()
            }
        };
        rcm_submission::batcher::partners_from(tenant, stored, &self.default_partner).unwrap_or_else(|e| {
            tracing::warn!(%tenant, error = %e, "a trading partner cannot be read; the default is used this time");
            vec![self.default_partner.clone()]
        })
    }

    /// Takes every `*.835` waiting at the tenant's trading partners, once per distinct place.
    pub async fn poll_tenant(&self, tenant: &str) -> Result<Vec<(String, FileResult)>, Error> {
        let mut results = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for partner in self.partners(tenant).await {
            let transport = rcm_submission::batcher::transport_for(&self.transports, &self.data_dir, tenant, &partner)
                .map_err(|e| Error::Transport(e.to_string()))?;
            let place = transport.describe();
            if seen.contains(&place) {
                continue;
            }
            seen.push(place);
            let names: Vec<String> = transport
                .list_inbound()
                .await
                .map_err(|e| Error::Transport(e.to_string()))?
                .into_iter()
                .map(|f| f.name)
                .filter(|n| is_835(n))
                .collect();
            for name in names {
                match self.file(tenant, &partner.partner_id, transport.as_ref(), &name).await {
                    Ok(r) => results.push((name, r)),
                    Err(e) => tracing::warn!(%tenant, file = %name, error = %e, "835 not taken; will retry"),
                }
            }
        }
        Ok(results)
    }

    async fn file(
        &self,
        tenant: &str,
        partner_id: &str,
        transport: &dyn Transport,
        name: &str,
    ) -> Result<FileResult, Error> {
        let bytes = transport.fetch(name).await.map_err(|e| Error::Transport(e.to_string()))?;
        let source = Source { kind: transport.kind(), partner_id: Some(partner_id) };
        let result = take::take(&self.host, tenant, name, &bytes, source).await?;
        transport.archive(name).await.map_err(|e| Error::Transport(e.to_string()))?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_835s_are_taken() {
        assert!(is_835("era-1.835") && is_835("X.835") && !is_835("a.999") && !is_835("a.277ca") && !is_835("835"));
    }
}
