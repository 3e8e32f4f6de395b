//! `rcm.denials.v1.DenialsService`: the work queue and a claim's denial status.

use crate::config::DenialsConfig;
use crate::decide::{self, Category, CorrectionKind, LatestItem};
use crate::error::Error;
use crate::store::{self, CorrectionRecord};
use chrono::SecondsFormat;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::denials::denials_service_server::DenialsService;
use rcm_proto::denials::{
    ListWorkQueueRequest, RequestCorrectionRequest, RequestCorrectionResponse, WorkItem, WorkQueue,
};
use rcm_proto::events::CorrectionRequested;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

/// The longest note a correction request takes.
pub const MAX_NOTE_CHARS: usize = 2_000;

#[derive(Clone)]
pub struct Denials {
    pool: PgPool,
    host: ServiceHost,
    config: DenialsConfig,
}

impl Denials {
    pub fn new(host: ServiceHost, config: DenialsConfig) -> Self {
        Denials { pool: host.pool.clone(), host, config }
    }

    /// Fails with [`Error::UnknownTenant`] unless this process serves `tenant`.
    async fn known_tenant(&self, tenant: &str) -> Result<(), Error> {
        check_tenant(tenant)?;
        if self.host.platform.tenants().await?.iter().any(|t| t == tenant) {
            Ok(())
        } else {
            Err(Error::UnknownTenant(tenant.to_string()))
        }
    }

    /// Asks for a correction or void of a claim whose latest denial is open in the queue: marks
    /// the work item and puts `denials.correction_requested` in the outbox in one transaction, so
    /// the request goes out exactly once.
    pub async fn request_correction(&self, r: &RequestCorrectionRequest) -> Result<RequestCorrectionResponse, Error> {
        self.known_tenant(&r.tenant_id).await?;
        let (tenant, claim_id) = (r.tenant_id.as_str(), r.claim_id.trim());
        if claim_id.is_empty() {
            return Err(Error::InvalidArgument("claim_id is empty".into()));
        }
        let actor = r.actor.trim();
        if actor.is_empty() {
            return Err(Error::InvalidArgument("actor is required".into()));
        }
        if r.note.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::InvalidArgument(format!("note is longer than {MAX_NOTE_CHARS} characters")));
        }
        let kind = if r.void { CorrectionKind::Void } else { CorrectionKind::Replacement };
        let mut tx = self.pool.begin().await?;
        let (latest, last_version) = store::lock_claim_items(&mut tx, tenant, claim_id).await?;
        let facts = latest.as_ref().map(|l| LatestItem {
            status: l.item.status.as_str(),
            payer_claim_control_number: l.item.payer_claim_control_number.as_str(),
        });
        let refused = |r: decide::CorrectionRefused| Error::FailedPrecondition {
            claim_id: claim_id.to_string(),
            reason: r.to_string(),
        };
        let plan = decide::plan_correction(facts.as_ref(), last_version.max(1) as u32, kind).map_err(refused)?;
        // A plan is only made for a claim with a work item.
        let Some(latest) = latest else { return Err(refused(decide::CorrectionRefused::NotInQueue)) };
        let w = &latest.item;
        let origin = Origin {
            tenant: tenant.to_string(),
            claim_id: claim_id.to_string(),
            correlation_id: latest.correlation_id.clone(),
            causation_id: latest.source_event_id.to_string(),
        };
        let env = self.host.new_event(
            &origin,
            Payload::CorrectionRequested(CorrectionRequested {
                frequency_code: plan.frequency_code.to_string(),
                payer_claim_control_number: plan.payer_claim_control_number.clone(),
                version: plan.version,
                reason_codes: w.reason_codes.clone(),
                denial_category: w.category.clone(),
                work_item_id: w.work_item_id.to_string(),
                requested_by: actor.to_string(),
                note: r.note.clone(),
            }),
        );
        let event_id = uuid::Uuid::parse_str(&env.event_id).map_err(|_| Error::BadEvent {
            event_id: env.event_id.clone(),
            what: "a new event id that is not a UUID".into(),
        })?;
        let record = CorrectionRecord {
            work_item_id: w.work_item_id,
            frequency_code: plan.frequency_code,
            version: plan.version as i32,
            requested_by: actor,
            note: &r.note,
            event_id,
            at: self.host.platform.det.clock.now(),
        };
        store::record_correction(&mut tx, tenant, &record).await?;
        self.host.enqueue(&mut tx, &env).await?;
        let item = store::work_item(&mut tx, tenant, w.work_item_id).await?.map(to_proto);
        tx.commit().await?;
        tracing::info!(
            %tenant, %claim_id, work_item_id = %w.work_item_id, version = plan.version,
            frequency = plan.frequency_code, event_id = %env.event_id, "correction requested"
        );
        metrics::counter!("rcm_denials_corrections_requested_total", "frequency" => plan.frequency_code).increment(1);
        Ok(RequestCorrectionResponse {
            work_item: item,
            event_id: env.event_id,
            version: plan.version,
            frequency_code: plan.frequency_code.to_string(),
            payer_claim_control_number: plan.payer_claim_control_number,
        })
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
        payer_claim_control_number: w.payer_claim_control_number,
        correction_frequency_code: w.correction_frequency_code.unwrap_or_default(),
        correction_version: w.correction_version.unwrap_or(0).max(0) as u32,
        correction_requested_by: w.correction_requested_by.unwrap_or_default(),
        correction_requested_at: w
            .correction_requested_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default(),
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
            let mut detail = format!(
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
            let corrected = w.status == decide::STATUS_CORRECTION_REQUESTED;
            if let (true, Some(f), Some(v)) = (corrected, &w.correction_frequency_code, w.correction_version) {
                let by = w.correction_requested_by.as_deref().unwrap_or("?");
                detail.push_str(&format!("; frequency {f} requested as version {v} by {by}"));
            }
            return Ok(Response::new(ServiceClaimStatus {
                claim_id: r.claim_id,
                state: if corrected { decide::STATUS_CORRECTION_REQUESTED.into() } else { "denial_queued".into() },
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

    async fn request_correction(
        &self,
        request: Request<RequestCorrectionRequest>,
    ) -> Result<Response<RequestCorrectionResponse>, Status> {
        let span = tracing::info_span!("grpc", service = crate::NAME, method = "RequestCorrection");
        rcm_runtime::telemetry::set_parent_from_metadata(&span, request.metadata());
        let out = tracing::Instrument::instrument(self.request_correction(request.get_ref()), span).await?;
        Ok(Response::new(out))
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
