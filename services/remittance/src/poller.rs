//! The 835 poller: every `poll_interval_ms`, for each tenant served, reads
//! `<data_dir>/<tenant>/inbound/*.835` (in name order) and posts each file in one transaction.
//!
//! For a file:
//! - already processed (same SHA-256 for the tenant): nothing is posted; it is moved to `processed/`.
//! - unreadable (`parse_835` fails): recorded in `era_files` as failed with the reader's error, moved to
//!   `failed/` with the error beside it in `<name>.error`.
//! - readable: in ONE transaction the file (name, SHA-256, the reader's findings, balancing included),
//!   each payment (BPR/TRN/PLB) and each claim (CLP) are recorded. A CLP whose CLP01 matches an
//!   expected claim's patient control number is posted (amounts, every claim- and line-level CAS, remark
//!   codes, payer claim control number, trace) and exactly one `ClaimPaid`, `ClaimPartiallyPaid` or
//!   `ClaimDenied` goes to the outbox, in the claim's chain (its `ClaimSubmitted` correlation id, as
//!   cause, and trace context); a reversal (CLP02 22) is posted as `reversed` with no event; a CLP that
//!   matches nothing goes to `unmatched_claims`; one already posted from another file is skipped. After
//!   the commit the file moves to `processed/`.
//!
//! Writers should put a file in `inbound/` whole (write elsewhere, then rename): a half-written file
//! would be read as it is.

use crate::era;
use crate::error::Error;
use crate::posting::{self, ClaimAt, Posted};
use crate::store::{self, FileCounts, NewUnmatched};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_x12::x835;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileResult {
    Processed {
        file_id: i64,
        counts: FileCounts,
    },
    /// The same content was processed before.
    Duplicate,
    Failed {
        file_id: i64,
    },
}

#[derive(Clone)]
pub struct Poller {
    host: ServiceHost,
    interval: Duration,
}

/// The SHA-256 of the content, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Moves `path` into `<its directory>/<sub>/`, under a new name (`name.1.835`, ...) if one is taken.
async fn move_into(path: &Path, sub: &str) -> Result<PathBuf, Error> {
    let dir = path.parent().unwrap_or(Path::new(".")).join(sub);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| Error::io(&dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    let mut target = dir.join(&name);
    let mut n = 0u32;
    while tokio::fs::try_exists(&target).await.unwrap_or(false) {
        n += 1;
        target = dir.join(format!("{stem}.{n}{ext}"));
    }
    tokio::fs::rename(path, &target).await.map_err(|e| Error::io(path, e))?;
    Ok(target)
}

impl Poller {
    pub fn new(host: ServiceHost, interval: Duration) -> Self {
        Poller { host, interval }
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
                            tracing::warn!(tenant = %t, error = %e, "cannot read the inbound directory; will retry");
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

    /// The tenant's inbound directory.
    pub fn inbound(&self, tenant: &str) -> PathBuf {
        self.host.config().tenant_dir(tenant).join("inbound")
    }

    /// Reads every `*.835` of the tenant's inbound directory once, in name order.
    pub async fn poll_tenant(&self, tenant: &str) -> Result<Vec<(String, FileResult)>, Error> {
        let dir = self.inbound(tenant);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut files = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(|e| Error::io(&dir, e))? {
            let path = entry.path();
            let is_835 = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("835"));
            if is_835 && entry.file_type().await.is_ok_and(|t| t.is_file()) {
                files.push(path);
            }
        }
        files.sort();
        let mut results = Vec::new();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match self.process_file(tenant, &path).await {
                Ok(r) => results.push((name, r)),
                Err(e) => tracing::warn!(%tenant, file = %name, error = %e, "835 not processed; will retry"),
            }
        }
        Ok(results)
    }

    /// Posts one file (see the module documentation).
    pub async fn process_file(&self, tenant: &str, path: &Path) -> Result<FileResult, Error> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = tokio::fs::read(path).await.map_err(|e| Error::io(path, e))?;
        let sha = sha256_hex(&bytes);
        let pool = &self.host.pool;
        let now = self.host.platform.det.clock.now();
        if store::file_processed(pool, tenant, &sha).await? {
            let to = move_into(path, "processed").await?;
            tracing::info!(%tenant, file = %name, moved_to = %to.display(), "835 already processed; skipped");
            metrics::counter!("rcm_remittance_files_total", "result" => "duplicate").increment(1);
            return Ok(FileResult::Duplicate);
        }
        let doc = match x835::parse_835(&bytes) {
            Ok(doc) => doc,
            Err(e) => {
                let error = e.to_string();
                let file_id =
                    store::insert_failed_file(pool, tenant, &name, &sha, bytes.len() as i64, &error, now).await?;
                let to = move_into(path, "failed").await?;
                let note = to.with_file_name(format!("{}.error", to.file_name().unwrap_or_default().to_string_lossy()));
                if let Err(e) = tokio::fs::write(&note, format!("{error}\n")).await {
                    tracing::warn!(%tenant, file = %name, error = %e, "cannot write the .error note");
                }
                tracing::warn!(%tenant, file = %name, file_id, %error, "835 cannot be read; moved to failed");
                metrics::counter!("rcm_remittance_files_total", "result" => "failed").increment(1);
                return Ok(FileResult::Failed { file_id });
            }
        };

        let mut tx = pool.begin().await?;
        let Some(file_id) = store::insert_processed_file(&mut tx, tenant, &name, &sha, bytes.len() as i64, now).await?
        else {
            tx.rollback().await?;
            move_into(path, "processed").await?;
            tracing::info!(%tenant, file = %name, "835 processed meanwhile by another poller; skipped");
            return Ok(FileResult::Duplicate);
        };
        store::insert_findings(&mut tx, tenant, file_id, &era::findings(&doc)).await?;
        let mut counts = FileCounts::default();
        let mut ordinal = 0i32;
        for r in &doc.remittances {
            let payment = era::payment(r);
            let payment_id = store::insert_payment(&mut tx, tenant, file_id, &payment).await?;
            counts.payments += 1;
            for claim in r.claims() {
                ordinal += 1;
                let at =
                    ClaimAt { tenant, file_id, file_name: &name, payment_id, trace: &payment.trace_number, ordinal };
                self.post_claim(&mut tx, &at, claim, &mut counts).await?;
            }
        }
        store::set_file_counts(&mut tx, file_id, counts).await?;
        tx.commit().await?;
        let to = move_into(path, "processed").await?;
        let errors = doc.findings.iter().filter(|f| f.severity == rcm_x12::Severity::Error).count();
        tracing::info!(
            %tenant,
            file = %name,
            file_id,
            payments = counts.payments,
            claims = counts.claims,
            unmatched = counts.unmatched,
            duplicates = counts.duplicates,
            findings = doc.findings.len(),
            errors,
            moved_to = %to.display(),
            "835 posted"
        );
        metrics::counter!("rcm_remittance_files_total", "result" => "processed").increment(1);
        Ok(FileResult::Processed { file_id, counts })
    }

    async fn post_claim(
        &self,
        tx: &mut PgConnection,
        at: &ClaimAt<'_>,
        claim: &x835::Claim,
        counts: &mut FileCounts,
    ) -> Result<(), Error> {
        let remit = era::claim_remit(claim);
        let now = self.host.platform.det.clock.now();
        store::lock_pcn(tx, at.tenant, &remit.patient_control_number).await?;
        let Some(expected) = store::expected_by_pcn(tx, at.tenant, &remit.patient_control_number).await? else {
            let u = NewUnmatched {
                file_id: at.file_id,
                payment_id: at.payment_id,
                claim_ordinal: at.ordinal,
                patient_control_number: remit.patient_control_number.clone(),
                claim_status: remit.status.clone(),
                charge_cents: remit.charge_cents,
                paid_cents: remit.paid_cents,
                payer_claim_control_number: remit.payer_claim_control_number.clone(),
                payment_trace: at.trace.to_string(),
                claim_json: era::claim_json(claim),
                recorded_at: now,
            };
            let id = store::insert_unmatched(tx, at.tenant, &u).await?;
            counts.unmatched += 1;
            tracing::warn!(
                tenant = %at.tenant,
                file = %at.file_name,
                file_id = at.file_id,
                claim_ordinal = at.ordinal,
                unmatched_id = id,
                payer_claim_control_number = %remit.payer_claim_control_number,
                "835 claim matches no expected claim; recorded as unmatched"
            );
            metrics::counter!("rcm_remittance_claims_unmatched_total").increment(1);
            return Ok(());
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
        match posting::post(tx, &self.host, at, claim, &expected, &origin).instrument(span).await? {
            Posted::Posted { .. } => counts.claims += 1,
            Posted::Duplicate => counts.duplicates += 1,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[tokio::test]
    async fn moved_files_never_overwrite() {
        let dir = std::env::temp_dir().join(format!("rcm-rem-move-{}", uuid::Uuid::now_v7().simple()));
        tokio::fs::create_dir_all(&dir).await.unwrap();
        for content in ["one", "two", "three"] {
            let p = dir.join("era.835");
            tokio::fs::write(&p, content).await.unwrap();
            move_into(&p, "processed").await.unwrap();
        }
        let read = |n: &str| std::fs::read_to_string(dir.join("processed").join(n)).unwrap();
        assert_eq!(
            (read("era.835"), read("era.1.835"), read("era.2.835")),
            ("one".into(), "two".into(), "three".into())
        );
        tokio::fs::remove_dir_all(&dir).await.unwrap();
    }
}
