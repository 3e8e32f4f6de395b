//! `rcm.submission.v1.SubmissionService`.

use crate::batcher;
use crate::config::TradingPartner;
use crate::error::Error;
use crate::store;
use chrono::{DateTime, SecondsFormat, Utc};
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::events::TradingPartnerSet;
use rcm_proto::events::envelope::Payload;
use rcm_proto::submission::submission_service_server::SubmissionService;
use rcm_proto::submission::{
    BatchInfo, ListBatchesRequest, ListBatchesResponse, ListTradingPartnersRequest, ListTradingPartnersResponse,
    ListUnmatchedAcksRequest, ListUnmatchedAcksResponse, ResolveUnmatchedAckRequest, RetryDeliveryRequest,
    SetTradingPartnerRequest, TradingPartnerInfo, UnmatchedAck,
};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

pub struct SubmissionGrpc {
    host: ServiceHost,
    default_partner: TradingPartner,
    tenants: Vec<String>,
}

impl SubmissionGrpc {
    /// `tenants`: the tenants this process serves (others are NOT_FOUND); empty for any.
    pub fn new(host: ServiceHost, default_partner: TradingPartner, tenants: Vec<String>) -> Self {
        SubmissionGrpc { host, default_partner, tenants }
    }

    fn pool(&self) -> &PgPool {
        &self.host.pool
    }

    fn tenant(&self, tenant: &str) -> Result<(), Error> {
        if tenant.is_empty() {
            return Err(Error::InvalidRequest("tenant_id is required".into()));
        }
        if !self.tenants.is_empty() && !self.tenants.iter().any(|t| t == tenant) {
            return Err(Error::NotFound(format!("tenant {tenant}")));
        }
        Ok(())
    }

    fn partner_info(&self, tenant: &str, p: &TradingPartner, configured_default: bool) -> TradingPartnerInfo {
        TradingPartnerInfo {
            partner_id: p.partner_id.clone(),
            settings_json: serde_json::to_string(p).unwrap_or_default(),
            destination: p.transport_config(&self.host.config().data_dir, tenant).describe(),
            configured_default,
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn batch_info(b: store::BatchRow) -> BatchInfo {
    BatchInfo {
        batch_id: b.batch_id.to_string(),
        partner_id: b.partner_id,
        payer_id: b.payer_id,
        file_name: b.file_name,
        interchange_control_number: b.interchange_control_number as u32,
        group_control_number: b.group_control_number as u32,
        transaction_control_number: b.transaction_control_number,
        claim_count: b.claim_count.max(0) as u32,
        total_charge_cents: b.total_charge_cents,
        delivery: b.delivery,
        attempts: b.attempts.max(0) as u32,
        last_error: b.last_error.unwrap_or_default(),
        destination: b.destination.unwrap_or_default(),
        created_at: rfc3339(b.created_at),
        sent_at: b.written_at.map(rfc3339).unwrap_or_default(),
        next_attempt_at: rfc3339(b.next_attempt_at),
    }
}

fn unmatched(u: store::UnmatchedRow) -> UnmatchedAck {
    UnmatchedAck {
        id: u.id,
        partner_id: u.partner_id,
        file_name: u.file_name,
        kind: u.kind,
        reason: u.reason,
        reference: u.reference,
        detail: u.detail,
        received_at: rfc3339(u.received_at),
        resolved_at: u.resolved_at.map(rfc3339).unwrap_or_default(),
        resolved_by: u.resolved_by.unwrap_or_default(),
        resolution: u.resolution.unwrap_or_default(),
    }
}

fn limit(n: u32) -> i64 {
    match n {
        0 => 100,
        n => i64::from(n.min(1000)),
    }
}

/// `file acme-000000042-BCBS01.837, ISA13 000000042, GS06 42, ST02 0042`, then the payer's claim
/// control number, the acknowledgement file, or why the claim is held; a corrected claim's latest
/// version leads (`version 2 frequency 7, file ...`).
pub fn detail(row: &store::ClaimStatusRow) -> String {
    let mut parts = Vec::new();
    if row.version > 1 || matches!(row.frequency_code.as_str(), "7" | "8") {
        parts.push(format!("version {} frequency {}", row.version, row.frequency_code));
    }
    if let Some(f) = &row.file_name {
        parts.push(format!("file {f}"));
    }
    if let Some(n) = row.interchange_control_number {
        parts.push(format!("ISA13 {n:09}"));
    }
    if let Some(n) = row.group_control_number {
        parts.push(format!("GS06 {n}"));
    }
    if let Some(n) = &row.transaction_control_number {
        parts.push(format!("ST02 {n}"));
    }
    if let Some(p) = &row.payer_claim_control_number {
        parts.push(format!("payer claim control number {p}"));
    }
    if let Some(a) = &row.ack_file {
        parts.push(format!("acknowledged in {a}"));
    }
    if let Some(h) = &row.held_reason {
        parts.push(format!("held: {h}"));
    }
    parts.join(", ")
}

#[tonic::async_trait]
impl SubmissionService for SubmissionGrpc {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let r = request.into_inner();
        if r.tenant_id.is_empty() || r.claim_id.is_empty() {
            return Err(Error::InvalidRequest("tenant_id and claim_id are required".into()).into());
        }
        let row = store::claim_status(self.pool(), &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("claim {}", r.claim_id)))?;
        Ok(Response::new(ServiceClaimStatus {
            claim_id: r.claim_id,
            state: row.state.clone(),
            updated_at: row.updated_at.to_rfc3339(),
            detail: detail(&row),
        }))
    }

    async fn set_trading_partner(
        &self,
        request: Request<SetTradingPartnerRequest>,
    ) -> Result<Response<TradingPartnerInfo>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        let partner: TradingPartner = serde_json::from_str(&r.settings_json)
            .map_err(|e| Error::InvalidRequest(format!("settings_json is not a trading partner: {e}")))?;
        partner.check().map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let value = serde_json::to_value(&partner).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        // Stored and announced in one transaction: remittance keeps its own copy from the event.
        let mut tx = self.pool().begin().await.map_err(Error::from)?;
        store::upsert_trading_partner(&mut tx, &r.tenant_id, &partner.partner_id, &value).await?;
        let origin = Origin { tenant: r.tenant_id.clone(), ..Origin::default() };
        let payload = Payload::TradingPartnerSet(TradingPartnerSet {
            partner_id: partner.partner_id.clone(),
            settings_json: value.to_string(),
        });
        let env = self.host.new_event(&origin, payload);
        self.host.enqueue(&mut tx, &env).await.map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        tracing::info!(service = crate::NAME, tenant = %r.tenant_id, partner = %partner.partner_id, "trading partner set");
        Ok(Response::new(self.partner_info(&r.tenant_id, &partner, false)))
    }

    async fn list_trading_partners(
        &self,
        request: Request<ListTradingPartnersRequest>,
    ) -> Result<Response<ListTradingPartnersResponse>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        let partners = batcher::partners(self.pool(), &r.tenant_id, &self.default_partner).await?;
        let own = !(partners.len() == 1 && partners[0] == self.default_partner);
        let partners = partners.iter().map(|p| self.partner_info(&r.tenant_id, p, !own)).collect();
        Ok(Response::new(ListTradingPartnersResponse { partners }))
    }

    async fn list_batches(
        &self,
        request: Request<ListBatchesRequest>,
    ) -> Result<Response<ListBatchesResponse>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        let delivery = match r.delivery.as_str() {
            "" => None,
            d @ ("pending" | "sent" | "failed") => Some(d),
            d => return Err(Error::InvalidRequest(format!("delivery {d:?}: pending, sent or failed")).into()),
        };
        let rows = store::list_batches(self.pool(), &r.tenant_id, delivery, None, limit(r.limit)).await?;
        Ok(Response::new(ListBatchesResponse { batches: rows.into_iter().map(batch_info).collect() }))
    }

    async fn retry_delivery(&self, request: Request<RetryDeliveryRequest>) -> Result<Response<BatchInfo>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        let id =
            uuid::Uuid::parse_str(&r.batch_id).map_err(|_| Error::InvalidRequest("batch_id is not a UUID".into()))?;
        if !store::retry_delivery(self.pool(), &r.tenant_id, id).await? {
            return Err(Error::FailedPrecondition(format!("batch {id} is not failed (or does not exist)")).into());
        }
        let row = store::list_batches(self.pool(), &r.tenant_id, None, Some(id), 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("batch {id}")))?;
        tracing::info!(service = crate::NAME, tenant = %r.tenant_id, batch_id = %id, "delivery retried by an operator");
        Ok(Response::new(batch_info(row)))
    }

    async fn list_unmatched_acks(
        &self,
        request: Request<ListUnmatchedAcksRequest>,
    ) -> Result<Response<ListUnmatchedAcksResponse>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        let rows = store::unmatched_acks(self.pool(), &r.tenant_id, r.include_resolved, None, limit(r.limit)).await?;
        Ok(Response::new(ListUnmatchedAcksResponse { items: rows.into_iter().map(unmatched).collect() }))
    }

    async fn resolve_unmatched_ack(
        &self,
        request: Request<ResolveUnmatchedAckRequest>,
    ) -> Result<Response<UnmatchedAck>, Status> {
        let r = request.into_inner();
        self.tenant(&r.tenant_id)?;
        if r.actor.trim().is_empty() || r.resolution.trim().is_empty() {
            return Err(Error::InvalidRequest("actor and resolution are required".into()).into());
        }
        if !store::resolve_unmatched_ack(self.pool(), &r.tenant_id, &r.id, &r.actor, &r.resolution).await? {
            return Err(Error::NotFound(format!("open unmatched acknowledgement {}", r.id)).into());
        }
        let item = store::unmatched_acks(self.pool(), &r.tenant_id, true, Some(&r.id), 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("unmatched acknowledgement {}", r.id)))?;
        Ok(Response::new(unmatched(item)))
    }
}
