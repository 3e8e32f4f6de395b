//! `rcm.remittance.v1.RemittanceService`: a claim's remittance status and balance, 835 upload, and
//! the operator's queues (held payments, unmatched claims and lines) and the provider ledger.

use crate::error::Error;
use crate::store;
use crate::take::{self, FileResult};
use chrono::SecondsFormat;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::remittance::remittance_service_server::RemittanceService;
use rcm_proto::remittance::{
    Candidate, ClaimBalance, HeldRemittance, LedgerEntry, ListHeldRemittancesRequest, ListHeldRemittancesResponse,
    ListProviderLedgerRequest, ListProviderLedgerResponse, ListUnmatchedRequest, ListUnmatchedResponse, PaymentOutcome,
    Posting, UnmatchedItem, UploadRemittanceRequest, UploadRemittanceResponse,
};
use rcm_runtime::ServiceHost;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

/// The largest 835 `UploadRemittance` takes (bytes).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct Remittance {
    host: ServiceHost,
    pool: PgPool,
}

impl Remittance {
    pub fn new(host: ServiceHost) -> Self {
        let pool = host.pool.clone();
        Remittance { host, pool }
    }
}

fn tenant(t: &str) -> Result<(), Status> {
    rcm_runtime::subjects::check_tenant(t).map_err(|e| Error::InvalidArgument(e.to_string()).into())
}

fn limit(l: u32) -> i64 {
    if l == 0 { 100 } else { l.min(1000) as i64 }
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A candidate as stored (JSON) for the answer.
fn candidate(v: &serde_json::Value) -> Candidate {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    Candidate {
        claim_id: s("claim_id"),
        line_id: s("line_id"),
        patient_control_number: s("patient_control_number"),
        procedure_code: s("procedure_code"),
        modifiers: v
            .get("modifiers")
            .and_then(|m| m.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default(),
        service_date: s("service_date"),
        charge_cents: v.get("charge_cents").and_then(|x| x.as_i64()).unwrap_or_default(),
        why: s("why"),
    }
}

pub(crate) fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

/// The status detail: amounts, trace and file names only.
pub fn detail(s: &store::ClaimStatus) -> String {
    let posted = match (s.paid_cents, &s.payment_trace) {
        (Some(paid), Some(trace)) => Some(format!(
            "paid {}, adjusted {}, patient responsibility {}, trace {}, payer claim {}, CLP02 {}, ERA {}",
            money(paid),
            money(s.adjusted_cents.unwrap_or(0)),
            money(s.patient_responsibility_cents.unwrap_or(0)),
            trace,
            s.payer_claim_control_number.as_deref().unwrap_or(""),
            s.claim_status.as_deref().unwrap_or(""),
            s.era_file.as_deref().unwrap_or("")
        )),
        _ => None,
    };
    match (s.state.as_str(), posted) {
        ("expected", None) => {
            format!(
                "billed {} in {}, submission {}; awaiting an 835",
                money(s.billed_cents),
                s.file_name,
                s.submissions
            )
        }
        ("expected", Some(last)) => format!(
            "billed {} in {}, submission {}; awaiting an 835 (last remittance: {last})",
            money(s.billed_cents),
            s.file_name,
            s.submissions
        ),
        (_, Some(p)) => format!("billed {}; {p}", money(s.billed_cents)),
        (_, None) => format!("billed {}", money(s.billed_cents)),
    }
}

#[tonic::async_trait]
impl RemittanceService for Remittance {
    async fn get_claim_status(&self, request: Request<ClaimRef>) -> Result<Response<ServiceClaimStatus>, Status> {
        let r = request.into_inner();
        rcm_runtime::subjects::check_tenant(&r.tenant_id).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        if r.claim_id.is_empty() {
            return Err(Error::InvalidArgument("claim_id is empty".into()).into());
        }
        let s = store::claim_status(&self.pool, &r.tenant_id, &r.claim_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        Ok(Response::new(ServiceClaimStatus {
            claim_id: s.claim_id.clone(),
            state: s.state.clone(),
            updated_at: s.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            detail: detail(&s),
        }))
    }

    async fn upload_remittance(
        &self,
        request: Request<UploadRemittanceRequest>,
    ) -> Result<Response<UploadRemittanceResponse>, Status> {
        let r = request.into_inner();
        tenant(&r.tenant_id)?;
        let name = r.file_name.trim();
        if name.is_empty() || name.contains('/') || name.contains('\\') || name.len() > 200 {
            return Err(Error::InvalidArgument(
                "file_name must be a plain file name (no path), 1 to 200 characters".into(),
            )
            .into());
        }
        if r.content.is_empty() {
            return Err(Error::InvalidArgument("content is empty".into()).into());
        }
        if r.content.len() > MAX_UPLOAD {
            return Err(Error::InvalidArgument(format!("content is larger than {MAX_UPLOAD} bytes")).into());
        }
        let source = store::Source { kind: "upload", partner_id: None };
        let result = take::take(&self.host, &r.tenant_id, name, &r.content, source).await?;
        let mut out = UploadRemittanceResponse { outcome: result.outcome().to_string(), ..Default::default() };
        match result {
            FileResult::Processed { file_id, payments, .. } => {
                out.file_id = file_id;
                out.payments = payments
                    .into_iter()
                    .map(|p| PaymentOutcome {
                        control_number: p.control_number,
                        payment_trace: p.trace,
                        payer_id: p.payer_key,
                        amount_cents: p.amount_cents,
                        status: p.status.to_string(),
                        reason: p.reason,
                        claims_posted: p.posted,
                        claims_unmatched: p.unmatched,
                        claims_duplicate: p.duplicates,
                    })
                    .collect();
            }
            FileResult::Duplicate => out.error = "this file was taken before; nothing was posted".into(),
            FileResult::Failed { file_id, error } => {
                out.file_id = file_id;
                out.error = error;
            }
        }
        Ok(Response::new(out))
    }

    async fn list_held_remittances(
        &self,
        request: Request<ListHeldRemittancesRequest>,
    ) -> Result<Response<ListHeldRemittancesResponse>, Status> {
        let r = request.into_inner();
        tenant(&r.tenant_id)?;
        let rows = store::held_payments(&self.pool, &r.tenant_id, limit(r.limit)).await.map_err(Error::from)?;
        Ok(Response::new(ListHeldRemittancesResponse {
            held: rows
                .into_iter()
                .map(|h| HeldRemittance {
                    payment_id: h.payment_id,
                    file_name: h.file_name,
                    control_number: h.control_number,
                    payment_trace: h.trace_number,
                    payer_id: h.payer_key,
                    amount_cents: h.amount_cents,
                    claims: h.claims,
                    reason: h.hold_reason.unwrap_or_default(),
                    received_at: rfc3339(h.received_at),
                })
                .collect(),
        }))
    }

    async fn list_unmatched(
        &self,
        request: Request<ListUnmatchedRequest>,
    ) -> Result<Response<ListUnmatchedResponse>, Status> {
        let r = request.into_inner();
        tenant(&r.tenant_id)?;
        let rows = store::open_unmatched_items(&self.pool, &r.tenant_id, limit(r.limit)).await.map_err(Error::from)?;
        Ok(Response::new(ListUnmatchedResponse {
            items: rows
                .into_iter()
                .map(|u| UnmatchedItem {
                    id: u.id,
                    kind: u.kind,
                    file_name: u.file_name,
                    patient_control_number: u.patient_control_number,
                    payer_claim_control_number: u.payer_claim_control_number,
                    claim_status: u.claim_status,
                    charge_cents: u.charge_cents,
                    paid_cents: u.paid_cents,
                    payment_trace: u.payment_trace,
                    claim_id: u.claim_id.unwrap_or_default(),
                    line_no: u.line_no.unwrap_or_default(),
                    procedure_code: u.procedure_code.unwrap_or_default(),
                    reason: u.reason,
                    candidates: u.candidates.as_array().map(|a| a.iter().map(candidate).collect()).unwrap_or_default(),
                    recorded_at: rfc3339(u.recorded_at),
                })
                .collect(),
        }))
    }

    async fn get_claim_balance(&self, request: Request<ClaimRef>) -> Result<Response<ClaimBalance>, Status> {
        let r = request.into_inner();
        tenant(&r.tenant_id)?;
        let b = store::claim_balance(&self.pool, &r.tenant_id, &r.claim_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound { tenant: r.tenant_id.clone(), claim_id: r.claim_id.clone() })?;
        let postings = store::claim_postings(&self.pool, &r.tenant_id, &r.claim_id).await.map_err(Error::from)?;
        Ok(Response::new(ClaimBalance {
            claim_id: b.claim_id,
            state: b.state,
            submission: b.submissions,
            billed_cents: b.billed_cents,
            paid_cents: b.paid_cents,
            adjusted_cents: b.adjusted_cents,
            patient_responsibility_cents: b.patient_responsibility_cents,
            balance_cents: b.balance_cents,
            postings: postings
                .into_iter()
                .map(|p| Posting {
                    posting_id: p.id,
                    claim_status: p.claim_status,
                    outcome: p.outcome,
                    charge_cents: p.charge_cents,
                    paid_cents: p.paid_cents,
                    adjusted_cents: p.adjusted_cents,
                    patient_responsibility_cents: p.patient_responsibility_cents,
                    payer_claim_control_number: p.payer_claim_control_number,
                    payment_trace: p.payment_trace,
                    era_file: p.era_file,
                    reverses_posting_id: p.reverses_posting_id.unwrap_or_default(),
                    reversed_by_posting_id: p.reversed_by_posting_id.unwrap_or_default(),
                    submission: p.submission,
                })
                .collect(),
        }))
    }

    async fn list_provider_ledger(
        &self,
        request: Request<ListProviderLedgerRequest>,
    ) -> Result<Response<ListProviderLedgerResponse>, Status> {
        let r = request.into_inner();
        tenant(&r.tenant_id)?;
        let (rows, total) = store::ledger(&self.pool, &r.tenant_id, limit(r.limit)).await.map_err(Error::from)?;
        Ok(Response::new(ListProviderLedgerResponse {
            entries: rows
                .into_iter()
                .map(|l| LedgerEntry {
                    id: l.id,
                    provider_id: l.provider_id,
                    fiscal_period_end: l.fiscal_period_end.to_string(),
                    reason: l.reason,
                    category: l.category,
                    reference: l.reference.unwrap_or_default(),
                    amount_cents: l.amount_cents,
                    payment_trace: l.payment_trace,
                    payer_id: l.payer_key,
                    era_file: l.era_file,
                    posted_at: rfc3339(l.posted_at),
                })
                .collect(),
            total_cents: total,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str) -> store::ClaimStatus {
        store::ClaimStatus {
            claim_id: "c1".into(),
            state: state.into(),
            billed_cents: 20_000,
            file_name: "837-1.x12".into(),
            submissions: 1,
            updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            claim_status: None,
            paid_cents: None,
            adjusted_cents: None,
            patient_responsibility_cents: None,
            payment_trace: None,
            payer_claim_control_number: None,
            era_file: None,
        }
    }

    #[test]
    fn details() {
        assert_eq!(detail(&status("expected")), "billed 200.00 in 837-1.x12, submission 1; awaiting an 835");
        let mut s = status("paid");
        s.claim_status = Some("1".into());
        s.paid_cents = Some(13_000);
        s.adjusted_cents = Some(7_000);
        s.patient_responsibility_cents = Some(2_000);
        s.payment_trace = Some("EFT1".into());
        s.payer_claim_control_number = Some("ICN1".into());
        s.era_file = Some("era.835".into());
        assert_eq!(
            detail(&s),
            "billed 200.00; paid 130.00, adjusted 70.00, patient responsibility 20.00, trace EFT1, payer claim ICN1, CLP02 1, ERA era.835"
        );
        assert_eq!(money(-5), "-0.05");
    }
}
