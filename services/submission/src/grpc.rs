//! `rcm.submission.v1.SubmissionService`.

use crate::error::Error;
use crate::store;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::submission::submission_service_server::SubmissionService;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

pub struct SubmissionGrpc {
    pool: PgPool,
}

impl SubmissionGrpc {
    pub fn new(pool: PgPool) -> Self {
        SubmissionGrpc { pool }
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
        let row = store::claim_status(&self.pool, &r.tenant_id, &r.claim_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("claim {}", r.claim_id)))?;
        Ok(Response::new(ServiceClaimStatus {
            claim_id: r.claim_id,
            state: row.state.clone(),
            updated_at: row.updated_at.to_rfc3339(),
            detail: detail(&row),
        }))
    }
}
