//! `rcm.denials.v1.DenialsService`: the work queue and a claim's denial status.

use crate::config::DenialsConfig;
use crate::decide::Category;
use crate::error::Error;
use crate::store;
use chrono::SecondsFormat;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::denials::denials_service_server::DenialsService;
use rcm_proto::denials::{ListWorkQueueRequest, WorkItem, WorkQueue};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Denials {
    pool: PgPool,
    config: DenialsConfig,
}

impl Denials {
    pub fn new(pool: PgPool, config: DenialsConfig) -> Self {
        Denials { pool, config }
    }
}

fn check_tenant(tenant: &str) -> Result<(), Error> {
    rcm_runtime::subjects::check_tenant(tenant).map_err(|e| Error::InvalidArgument(e.to_string()))
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

fn to_proto(w: store::WorkItem) -> WorkItem {
    WorkItem {
        work_item_id: w.work_item_id.to_string(),
        claim_id: w.claim_id,
        category: w.category,
        priority: w.priority,
        reason_codes: w.reason_codes,
        denied_cents: w.denied_cents,
        status: w.status,
        created_at: w.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

#[tonic::async_trait]
impl DenialsService for Denials {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let r = request.into_inner();
        check_tenant(&r.tenant_id)?;
        if r.claim_id.is_empty() {
            return Err(Error::InvalidArgument("claim_id is empty".into()).into());
        }
        if let Some(w) = store::latest_work_item(&self.pool, &r.tenant_id, &r.claim_id).await.map_err(Error::from)? {
            let action = Category::parse(&w.category).map(|c| c.action()).unwrap_or("review");
            let detail = format!(
                "work item {} ({}): {} {}, priority {}, denied {}, reasons {}, next {}, ERA {}, payer claim {}",
                w.work_item_id,
                w.status,
                w.outcome,
                w.category,
                w.priority,
                money(w.denied_cents),
                w.reason_codes.join(" "),
                action,
                w.era_file,
                w.payer_claim_control_number
            );
            return Ok(Response::new(ServiceClaimStatus {
                claim_id: r.claim_id,
                state: "denial_queued".into(),
                updated_at: w.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                detail,
            }));
        }
        match store::latest_adjudication(&self.pool, &r.tenant_id, &r.claim_id).await.map_err(Error::from)? {
            Some((outcome, at)) => Ok(Response::new(ServiceClaimStatus {
                claim_id: r.claim_id,
                state: "no_denial".into(),
                updated_at: at.to_rfc3339_opts(SecondsFormat::Millis, true),
                detail: format!("last adjudication: {outcome}"),
            })),
            None => Err(Error::NotFound { tenant: r.tenant_id, claim_id: r.claim_id }.into()),
        }
    }

    async fn list_work_queue(&self, request: Request<ListWorkQueueRequest>) -> Result<Response<WorkQueue>, Status> {
        let r = request.into_inner();
        check_tenant(&r.tenant_id)?;
        let items =
            store::list_open(&self.pool, &r.tenant_id, self.config.limit(r.limit)).await.map_err(Error::from)?;
        Ok(Response::new(WorkQueue { items: items.into_iter().map(to_proto).collect() }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_dollars_and_cents() {
        assert_eq!(super::money(0), "0.00");
        assert_eq!(super::money(12_345), "123.45");
        assert_eq!(super::money(-5), "-0.05");
    }
}
