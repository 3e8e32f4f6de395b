//! The batcher: every `batch_interval_ms`, for each tenant served, pending claims become one 837P
//! file per payer.
//!
//! One transaction takes the pending claims (`FOR UPDATE SKIP LOCKED`), allocates control numbers,
//! stores each batch with its file's full text, marks the claims submitted and puts a
//! `ClaimSubmitted` per claim in the outbox. Only after the commit is the file written (temporary
//! file and rename) and the batch marked written; batches committed but not written (a crash, a
//! full disk) are written on the next pass, with the same name and content. So a crash at any
//! point loses nothing and submits nothing twice.

use crate::config::SubmissionConfig;
use crate::decide::{self, Parties};
use crate::error::Result;
use crate::files;
use crate::store::{self, Batch, PendingClaim};
use prost::Message as _;
use rcm_proto::common::Claim;
use rcm_proto::events::ClaimSubmitted;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_x12::x837p;
use sqlx::PgConnection;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Batcher {
    host: ServiceHost,
    parties: Parties,
    max_claims: i64,
    interval: Duration,
    data_dir: PathBuf,
}

/// A claim ready to go in a file.
struct Ready {
    pending: PendingClaim,
    claim: Claim,
    x12: x837p::Claim,
}

impl Batcher {
    pub fn new(host: ServiceHost, config: &SubmissionConfig) -> Self {
        let parties = Parties {
            submitter_id: config.submitter_id.clone(),
            submitter_name: config.submitter_name.clone(),
            submitter_contact: config.submitter_contact.clone(),
            submitter_phone: config.submitter_phone.clone(),
            receiver_id: config.receiver_id.clone(),
            receiver_name: config.receiver_name.clone(),
            usage: config.usage,
        };
        let data_dir = host.config().data_dir.clone();
        Batcher {
            host,
            parties,
            max_claims: config.batch_max_claims.max(1),
            interval: Duration::from_millis(config.batch_interval_ms.max(1)),
            data_dir,
        }
    }

    /// Runs until `shutdown`. At start-up it writes any batch committed but not written; the first
    /// batch follows one interval later, so claims arriving together go in one file per payer.
    pub async fn run(self, shutdown: CancellationToken) -> rcm_runtime::Result<()> {
        for tenant in self.tenants().await {
            if let Err(e) = self.flush(&tenant).await {
                tracing::warn!(service = crate::NAME, %tenant, error = %e, "cannot write unwritten batches yet; will retry");
            }
        }
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + self.interval, self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            for tenant in self.tenants().await {
                if let Err(e) = self.pass(&tenant).await {
                    tracing::warn!(service = crate::NAME, %tenant, error = %e, "batch pass failed; will retry");
                }
            }
        }
        Ok(())
    }

    async fn tenants(&self) -> Vec<String> {
        self.host.platform.tenants().await.unwrap_or_else(|e| {
            tracing::warn!(service = crate::NAME, error = %e, "cannot list tenants; will retry");
            Vec::new()
        })
    }

    /// One pass for a tenant: write what was committed and not written, then batch pending claims
    /// until none are left (at most `batch_max_claims` per transaction).
    pub async fn pass(&self, tenant: &str) -> Result<usize> {
        self.flush(tenant).await?;
        let mut files = 0;
        loop {
            let (made, taken) = self.batch(tenant).await?;
            files += made;
            self.flush(tenant).await?;
            if taken < self.max_claims as usize {
                break;
            }
        }
        Ok(files)
    }

    /// Writes the tenant's committed but unwritten batches to `outbound`.
    pub async fn flush(&self, tenant: &str) -> Result<()> {
        let dir = files::outbound(&self.data_dir, tenant);
        for (batch_id, file_name, content) in store::unwritten_batches(&self.host.pool, tenant).await? {
            files::write_atomic(&dir, &file_name, content.as_bytes())?;
            store::mark_written(&self.host.pool, tenant, batch_id).await?;
            tracing::info!(service = crate::NAME, %tenant, %batch_id, file = %file_name, "837P written");
        }
        Ok(())
    }

    /// One transaction: pending claims to batches and events. Returns (files made, claims taken).
    async fn batch(&self, tenant: &str) -> Result<(usize, usize)> {
        let mut tx = self.host.pool.begin().await?;
        let pending = store::take_pending(&mut tx, tenant, self.max_claims).await?;
        let taken = pending.len();
        if pending.is_empty() {
            return Ok((0, 0));
        }
        let mut ready = Vec::with_capacity(pending.len());
        for p in pending {
            let claim = match Claim::decode(p.claim.as_slice()) {
                Ok(c) => c,
                Err(_) => {
                    self.hold(&mut tx, tenant, &p, "the stored claim cannot be decoded").await?;
                    continue;
                }
            };
            match decide::to_x12_claim(&claim) {
                Ok(x12) => ready.push(Ready { pending: p, claim, x12 }),
                Err(e) => self.hold(&mut tx, tenant, &p, &format!("{} {}", e.field, e.reason)).await?,
            }
        }
        let now = self.host.platform.det.clock.now().naive_utc();
        let mut made = 0;
        let mut submitted = 0;
        for (payer_id, group) in decide::group_by_payer(ready, |r| r.pending.payer_id.as_str()) {
            let ctl = store::allocate_control_numbers(&mut tx, tenant).await?;
            let batch_id = self.host.platform.det.ids.new_id();
            let reference = batch_id.simple().to_string();
            let (group, text) = self
                .write_file(&mut tx, tenant, group, |claims| {
                    x837p::write_837p(&decide::build_interchange(&self.parties, ctl, &reference, now, claims))
                })
                .await?;
            let Some(text) = text else { continue };
            let file_name = format!("{}.837", decide::file_stem(tenant, ctl.interchange, &payer_id));
            let batch = Batch {
                tenant: tenant.to_string(),
                batch_id,
                payer_id: payer_id.clone(),
                file_name: file_name.clone(),
                control: ctl,
                claim_count: group.len() as i32,
                total_charge_cents: group.iter().map(|r| r.x12.total_charge).sum(),
                content: text,
            };
            store::insert_batch(&mut tx, &batch).await?;
            for r in &group {
                let payload = Payload::ClaimSubmitted(ClaimSubmitted {
                    patient_control_number: r.x12.patient_control_number.to_string(),
                    payer_id: payer_id.clone(),
                    total_charge_cents: r.x12.total_charge,
                    batch_id: batch_id.to_string(),
                    file_name: file_name.clone(),
                    interchange_control_number: ctl.interchange,
                    transaction_control_number: ctl.st02(),
                    lines: r.claim.lines.clone(),
                    version: r.claim.version.max(1),
                    frequency_code: r.x12.frequency.to_string(),
                });
                let origin = Origin {
                    tenant: tenant.to_string(),
                    claim_id: r.pending.claim_id.clone(),
                    correlation_id: r.pending.correlation_id.clone(),
                    causation_id: r.pending.scrubbed_event_id.clone(),
                };
                let env = self.host.new_event(&origin, payload);
                self.host.enqueue(&mut tx, &env).await?;
                store::mark_submitted(&mut tx, tenant, &r.pending.claim_id, r.pending.version, batch_id, &env.event_id)
                    .await?;
            }
            tracing::info!(
                service = crate::NAME, %tenant, %batch_id, file = %file_name, claims = group.len(),
                isa13 = ctl.interchange, "batch committed"
            );
            made += 1;
            submitted += group.len();
        }
        tx.commit().await?;
        let t = tenant.to_string();
        metrics::counter!("rcm_submission_files_total", "tenant" => t.clone()).increment(made as u64);
        metrics::counter!("rcm_submission_claims_submitted_total", "tenant" => t.clone()).increment(submitted as u64);
        metrics::counter!("rcm_submission_claims_held_total", "tenant" => t).increment((taken - submitted) as u64);
        Ok((made, taken))
    }

    /// Writes the group's file; when the writer refuses it, finds the claims it refuses (each
    /// written alone), holds them, and writes the rest. `None` when no claim is left.
    async fn write_file(
        &self,
        tx: &mut PgConnection,
        tenant: &str,
        group: Vec<Ready>,
        write: impl Fn(Vec<x837p::Claim>) -> rcm_x12::Result<String>,
    ) -> Result<(Vec<Ready>, Option<String>)> {
        if let Ok(text) = write(group.iter().map(|r| r.x12.clone()).collect()) {
            return Ok((group, Some(text)));
        }
        let mut kept = Vec::with_capacity(group.len());
        for r in group {
            match write(vec![r.x12.clone()]) {
                Ok(_) => kept.push(r),
                // A problem of the claim itself (the writer names it `claim N ...`): hold the claim.
                Err(rcm_x12::X12Error::Write { field, msg }) if field.starts_with("claim ") => {
                    self.hold(tx, tenant, &r.pending, &format!("{field}: {msg}")).await?
                }
                // Anything else (the envelope, our configuration) is not the claim's fault: no file
                // this time, the claims stay pending, the pass fails with the error.
                Err(e) => return Err(e.into()),
            }
        }
        if kept.is_empty() {
            return Ok((kept, None));
        }
        let text = write(kept.iter().map(|r| r.x12.clone()).collect())?;
        Ok((kept, Some(text)))
    }

    async fn hold(&self, tx: &mut PgConnection, tenant: &str, p: &PendingClaim, reason: &str) -> Result<()> {
        tracing::error!(
            service = crate::NAME, %tenant, claim_id = %p.claim_id, version = p.version, reason,
            "claim cannot be written as an 837P; held"
        );
        store::mark_held(tx, tenant, &p.claim_id, p.version, reason).await
    }
}
