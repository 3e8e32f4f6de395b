//! `rcm.remittance.v1.RemittanceService`: a claim's remittance status.

use crate::error::Error;
use crate::store;
use chrono::SecondsFormat;
use rcm_proto::common::{ClaimRef, ServiceClaimStatus};
use rcm_proto::remittance::remittance_service_server::RemittanceService;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct Remittance {
    pool: PgPool,
}

impl Remittance {
    pub fn new(pool: PgPool) -> Self {
        Remittance { pool }
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
