//! Taking one 835 file, whichever way it came (a trading partner's transport, or `UploadRemittance`).
//!
//! - The same content taken before (SHA-256, per tenant): nothing is posted (`duplicate_file`).
//! - Not an 835 (`parse_835` fails): recorded in `era_files` as failed with the reader's error and
//!   the content, for an operator (`failed`).
//! - Otherwise, in ONE transaction: the file (name, SHA-256, source, the reader's findings) and each
//!   payment (835 transaction set: BPR, TRN, payer, PLB), judged by [`decide::judge_payment`]:
//!   - **held** when it does not balance (BPR02 against the CLP04s less PLB, each claim's CLP03 −
//!     CLP04 against its CAS, each line's): nothing of it is posted; the reason is kept and listed
//!     by `ListHeldRemittances`;
//!   - **duplicate** when the payer (TRN03) posted that trace (TRN02) before: nothing is posted;
//!   - **posted** otherwise: its PLB items go to the tenant's provider ledger, and each claim (CLP)
//!     whose CLP01 is one of our patient control numbers is posted ([`posting`]); a CLP that matches
//!     no claim goes to the unmatched queue with the candidate claims.

use crate::decide::{self, PaymentDecision};
use crate::era;
use crate::error::Error;
use crate::posting::{self, ClaimAt, Posted};
use crate::store::{self, FileCounts, PaymentRecord, Source};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_x12::x835;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tracing::Instrument;

/// The SHA-256 of the content, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What became of one payment of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentResult {
    pub payment_id: i64,
    pub control_number: String,
    pub trace: String,
    pub payer_key: String,
    pub amount_cents: i64,
    /// posted, held or duplicate.
    pub status: &'static str,
    pub reason: String,
    pub posted: i32,
    pub unmatched: i32,
    pub duplicates: i32,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileResult {
    Processed {
        file_id: i64,
        counts: FileCounts,
        payments: Vec<PaymentResult>,
    },
    /// The same content was taken before.
    Duplicate,
    Failed {
        file_id: i64,
        error: String,
    },
}

impl FileResult {
    pub fn outcome(&self) -> &'static str {
        match self {
            FileResult::Processed { .. } => "processed",
            FileResult::Duplicate => "duplicate_file",
            FileResult::Failed { .. } => "failed",
        }
    }
}

/// Takes one file for `tenant` (see the module documentation).
pub async fn take(
    host: &ServiceHost,
    tenant: &str,
    name: &str,
    bytes: &[u8],
    source: Source<'_>,
) -> Result<FileResult, Error> {
    let sha = sha256_hex(bytes);
    let pool = &host.pool;
    let now = host.platform.det.clock.now();
    if store::file_processed(pool, tenant, &sha).await? {
        tracing::info!(%tenant, file = %name, "835 already taken; nothing posted");
        metrics::counter!("rcm_remittance_files_total", "result" => "duplicate").increment(1);
        return Ok(FileResult::Duplicate);
    }
    let doc = match x835::parse_835(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            let error = e.to_string();
            let file_id = store::insert_failed_file(pool, tenant, name, &sha, bytes, &error, source, now).await?;
            tracing::warn!(%tenant, file = %name, file_id, %error, "835 cannot be read; recorded as failed");
            metrics::counter!("rcm_remittance_files_total", "result" => "failed").increment(1);
            return Ok(FileResult::Failed { file_id, error });
        }
    };

    let mut tx = pool.begin().await?;
    let Some(file_id) =
        store::insert_processed_file(&mut tx, tenant, name, &sha, bytes.len() as i64, source, now).await?
    else {
        tx.rollback().await?;
        tracing::info!(%tenant, file = %name, "835 taken meanwhile by another process; nothing posted");
        return Ok(FileResult::Duplicate);
    };
    store::insert_findings(&mut tx, tenant, file_id, &era::findings(&doc)).await?;
    let mut counts = FileCounts::default();
    let mut payments = Vec::new();
    let mut ordinal = 0i32;
    for r in &doc.remittances {
        let payment = era::payment(r);
        let claims = r.claim_count() as i32;
        let before = store::posted_payment(&mut tx, tenant, &payment.payer_key, &payment.trace_number).await?;
        let decision = decide::judge_payment(&era::imbalances(r), before);
        let (status, reason, duplicate_of) = match &decision {
            PaymentDecision::Post => ("posted", String::new(), None),
            PaymentDecision::Hold(reason) => ("held", reason.clone(), None),
            PaymentDecision::Duplicate { posted_payment_id } => (
                "duplicate",
                format!(
                    "payer {} trace {} was posted before (payment {posted_payment_id})",
                    payment.payer_key, payment.trace_number
                ),
                Some(*posted_payment_id),
            ),
        };
        let record = PaymentRecord {
            status,
            hold_reason: (!reason.is_empty()).then_some(reason.as_str()),
            duplicate_of,
            claims,
            remittance_json: (status == "held").then(|| serde_json::to_value(r).unwrap_or_default()),
            now,
        };
        let payment_id = store::insert_payment(&mut tx, tenant, file_id, &payment, &record).await?;
        counts.payments += 1;
        let mut result = PaymentResult {
            payment_id,
            control_number: payment.control_number.clone(),
            trace: payment.trace_number.clone(),
            payer_key: payment.payer_key.clone(),
            amount_cents: payment.amount_cents,
            status,
            reason: reason.clone(),
            ..PaymentResult::default()
        };
        if decision != PaymentDecision::Post {
            ordinal += claims;
            if status == "held" {
                counts.held += 1;
                tracing::warn!(%tenant, file = %name, file_id, payment_id, trace = %payment.trace_number, reason = %reason, "payment does not balance; held");
                metrics::counter!("rcm_remittance_payments_total", "result" => "held").increment(1);
            } else {
                tracing::info!(%tenant, file = %name, file_id, payment_id, trace = %payment.trace_number, "payment taken before; nothing posted");
                metrics::counter!("rcm_remittance_payments_total", "result" => "duplicate").increment(1);
            }
            payments.push(result);
            continue;
        }
        metrics::counter!("rcm_remittance_payments_total", "result" => "posted").increment(1);
        for claim in r.claims() {
            ordinal += 1;
            let at = ClaimAt { tenant, file_id, file_name: name, payment_id, payment: &payment, ordinal };
            match post_claim(host, &mut tx, &at, claim).await? {
                Posted::Posted { .. } => {
                    counts.claims += 1;
                    result.posted += 1;
                }
                Posted::Duplicate => {
                    counts.duplicates += 1;
                    result.duplicates += 1;
                }
                Posted::Unmatched { .. } => {
                    counts.unmatched += 1;
                    result.unmatched += 1;
                }
            }
        }
        payments.push(result);
    }
    store::set_file_counts(&mut tx, file_id, counts).await?;
    tx.commit().await?;
    let errors = doc.findings.iter().filter(|f| f.severity == rcm_x12::Severity::Error).count();
    tracing::info!(
        %tenant,
        file = %name,
        file_id,
        source = source.kind,
        payments = counts.payments,
        held = counts.held,
        claims = counts.claims,
        unmatched = counts.unmatched,
        duplicates = counts.duplicates,
        findings = doc.findings.len(),
        errors,
        "835 taken"
    );
    metrics::counter!("rcm_remittance_files_total", "result" => "processed").increment(1);
    Ok(FileResult::Processed { file_id, counts, payments })
}

/// Posts one claim of a posted payment, or queues it as unmatched.
async fn post_claim(
    host: &ServiceHost,
    tx: &mut PgConnection,
    at: &ClaimAt<'_>,
    claim: &x835::Claim,
) -> Result<Posted, Error> {
    let remit = era::claim_remit(claim);
    store::lock_pcn(tx, at.tenant, &remit.patient_control_number).await?;
    let payer_id = at.payment.payer_id.as_deref().unwrap_or("");
    let Some(expected) = store::expected_by_pcn(tx, at.tenant, &remit.patient_control_number, payer_id).await? else {
        let candidates =
            store::claim_candidates(tx, at.tenant, remit.charge_cents, &remit.payer_claim_control_number).await?;
        let u = posting::unmatched(
            at,
            claim,
            &remit,
            "claim",
            "CLP01 matches no patient control number of ours (yet: it is posted when that claim's submission is seen)",
            serde_json::Value::Array(candidates),
            host,
        );
        let id = store::insert_unmatched(tx, at.tenant, &u).await?;
        tracing::warn!(
            tenant = %at.tenant,
            file = %at.file_name,
            file_id = at.file_id,
            claim_ordinal = at.ordinal,
            unmatched_id = id,
            payer_claim_control_number = %remit.payer_claim_control_number,
            "835 claim matches no expected claim; queued as unmatched"
        );
        metrics::counter!("rcm_remittance_claims_unmatched_total", "kind" => "claim").increment(1);
        return Ok(Posted::Unmatched { unmatched_id: id });
    };

    let span =
        tracing::info_span!("post_claim", tenant = %at.tenant, claim_id = %expected.claim_id, file = %at.file_name);
    if let Some(tp) = &expected.traceparent {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(rcm_runtime::envelope::HEADER_TRACEPARENT, tp.as_str());
        rcm_runtime::telemetry::set_parent_from_headers(&span, Some(&headers));
    }
    let origin = Origin {
        tenant: at.tenant.to_string(),
        claim_id: expected.claim_id.clone(),
        correlation_id: expected.correlation_id.clone(),
        causation_id: expected.submitted_event_id.clone(),
    };
    posting::post(tx, host, at, claim, &expected, &origin).instrument(span).await
}
