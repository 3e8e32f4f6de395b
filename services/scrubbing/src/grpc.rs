//! `rcm.scrubbing.v1.ScrubbingService`.

use crate::error::Error;
use crate::store;
use chrono::SecondsFormat;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::scrubbing::scrubbing_service_server::ScrubbingService;
use rcm_runtime::ServiceHost;
use tonic::{Request, Response, Status};
use tracing::{Instrument, info_span};

/// The gRPC service; also callable directly.
#[derive(Clone)]
pub struct ScrubbingApi {
    host: ServiceHost,
}

impl ScrubbingApi {
    pub fn new(host: ServiceHost) -> Self {
        ScrubbingApi { host }
    }

    /// Where scrubbing stands with a claim: `scrubbed` or `rejected`, the detail listing the
    /// findings' rule ids.
    pub async fn status(&self, r: &ClaimRef) -> Result<ServiceClaimStatus, Error> {
        if !self.host.platform.tenants().await?.contains(&r.tenant_id) {
            return Err(Error::UnknownTenant(r.tenant_id.clone()));
        }
        let c = store::get(&self.host.pool, &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::ClaimNotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        let detail = format!(
            "{} error(s), {} warning(s){}{}",
            c.errors,
            c.warnings,
            if c.rule_ids.is_empty() { "" } else { ": " },
            c.rule_ids.join(", ")
        );
        Ok(ServiceClaimStatus {
            claim_id: c.claim_id,
            state: c.state,
            updated_at: c.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            detail,
        })
    }
}

#[tonic::async_trait]
impl ScrubbingService for ScrubbingApi {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let span =
            info_span!("grpc", service = crate::NAME, method = "GetClaimStatus", tenant = %request.get_ref().tenant_id);
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        Ok(Response::new(self.status(request.get_ref()).instrument(span).await?))
    }
}
