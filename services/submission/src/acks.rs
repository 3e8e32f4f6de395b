//! The acknowledgement poller: every `poll_interval_ms`, for each tenant served and each of its
//! trading partners, lists the partner's inbound files over its transport and takes the `*.999`
//! and `*.277ca` ones.
//!
//! Each file is handled in one transaction: it is stored (tenant, partner, name, SHA-256 and its
//! content) together with what it did to our claims and the events that say so. After the commit
//! it is archived on the partner's side. A file already stored (the same content dropped again, or
//! a crash before the archive) is only archived. A file that cannot be read is stored with its
//! error for an operator (`ListUnmatchedAcks`) and archived; so is every acknowledgement item that
//! names a claim or batch we do not know.

use crate::batcher;
use crate::config::TradingPartner;
use crate::decide::{self, AckEffect, AckKind, ClaimState};
use crate::error::Result;
use crate::store::{self, AckFile, AckTarget};
use rcm_proto::common::Finding;
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{ClaimAccepted, ClaimRejectedByPayer};
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_transport::Transport;
use rcm_x12::x999::AckStatus;
use rcm_x12::{x277ca, x999};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AckPoller {
    host: ServiceHost,
    interval: Duration,
    data_dir: PathBuf,
    default_partner: TradingPartner,
    transports: Arc<batcher::TransportCache>,
}

/// What one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileOutcome {
    pub accepted: usize,
    pub rejected: usize,
    /// Items recorded without an event (unknown claims, already decided, pending statuses).
    pub recorded: usize,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// First-pass acceptance: how the first answer to an original claim (version 1) went. The rate is
/// `accepted / all` of `rcm_submission_first_pass_total`.
fn first_pass(tenant: &str, claim: &AckTarget, outcome: &'static str) {
    if claim.version == 1 {
        metrics::counter!("rcm_submission_first_pass_total", "tenant" => tenant.to_string(), "outcome" => outcome)
            .increment(1);
    }
}

fn codes(findings: &[Finding]) -> String {
    findings.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")
}

impl AckPoller {
    pub fn new(host: ServiceHost, poll_interval_ms: u64, default_partner: TradingPartner) -> Self {
        let data_dir = host.config().data_dir.clone();
        AckPoller {
            host,
            interval: Duration::from_millis(poll_interval_ms.max(1)),
            data_dir,
            default_partner,
            transports: Arc::default(),
        }
    }

    pub async fn run(self, shutdown: CancellationToken) -> rcm_runtime::Result<()> {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let tenants = match self.host.platform.tenants().await {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(service = crate::NAME, error = %e, "cannot list tenants; will retry");
                    continue;
                }
            };
            for tenant in tenants {
                if let Err(e) = self.pass(&tenant).await {
                    tracing::warn!(service = crate::NAME, %tenant, error = %e, "acknowledgement pass failed; will retry");
                }
            }
        }
        Ok(())
    }

    /// Takes every acknowledgement waiting at the tenant's trading partners.
    pub async fn pass(&self, tenant: &str) -> Result<usize> {
        let mut n = 0;
        for partner in batcher::partners(&self.host.pool, tenant, &self.default_partner).await? {
            let transport = batcher::transport_for(&self.transports, &self.data_dir, tenant, &partner)?;
            let mut names: Vec<(String, AckKind)> = transport
                .list_inbound()
                .await?
                .into_iter()
                .filter_map(|f| AckKind::of(&f.name).map(|k| (f.name, k)))
                .collect();
            decide::ack_order(&mut names);
            for (name, kind) in names {
                let bytes = transport.fetch(&name).await?;
                self.file(tenant, &partner.partner_id, transport.as_ref(), &name, kind, &bytes).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn file(
        &self,
        tenant: &str,
        partner_id: &str,
        transport: &dyn Transport,
        name: &str,
        kind: AckKind,
        bytes: &[u8],
    ) -> Result<FileOutcome> {
        let sha = sha256_hex(bytes);
        let f = AckFile { tenant, partner_id, file_name: name, sha256: &sha, kind: kind.as_str(), content: bytes };
        let mut tx = self.host.pool.begin().await?;
        if !store::claim_ack_file(&mut tx, &f).await? {
            drop(tx);
            tracing::info!(service = crate::NAME, %tenant, file = name, "acknowledgement already processed; archived");
            transport.archive(name).await?;
            return Ok(FileOutcome::default());
        }
        let outcome = match kind {
            AckKind::Ack999 => match x999::parse_999(bytes) {
                Ok(doc) => {
                    for finding in &doc.findings {
                        tracing::warn!(service = crate::NAME, %tenant, file = name, %finding, "999 finding");
                    }
                    self.apply_999(&mut tx, &f, &doc).await?
                }
                Err(e) => return self.failed(tx, &f, transport, &e.to_string()).await,
            },
            AckKind::Ack277ca => match x277ca::parse_277ca(bytes) {
                Ok(doc) => {
                    for finding in &doc.findings {
                        tracing::warn!(service = crate::NAME, %tenant, file = name, %finding, "277CA finding");
                    }
                    self.apply_277ca(&mut tx, &f, &doc).await?
                }
                Err(e) => return self.failed(tx, &f, transport, &e.to_string()).await,
            },
        };
        let items = (outcome.accepted + outcome.rejected + outcome.recorded) as i32;
        store::set_ack_file_items(&mut tx, &f, items).await?;
        tx.commit().await?;
        for (outcome, n) in
            [("accepted", outcome.accepted), ("rejected", outcome.rejected), ("recorded", outcome.recorded)]
        {
            metrics::counter!("rcm_submission_acks_total", "tenant" => tenant.to_string(), "kind" => kind.as_str(), "outcome" => outcome)
                .increment(n as u64);
        }
        transport.archive(name).await?;
        tracing::info!(
            service = crate::NAME, %tenant, file = name, accepted = outcome.accepted, rejected = outcome.rejected,
            recorded = outcome.recorded, "acknowledgement processed"
        );
        Ok(outcome)
    }

    async fn failed(
        &self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        f: &AckFile<'_>,
        transport: &dyn Transport,
        error: &str,
    ) -> Result<FileOutcome> {
        drop(tx);
        store::record_ack_failure(&self.host.pool, f, error).await?;
        transport.archive(f.file_name).await?;
        metrics::counter!("rcm_submission_acks_unreadable_total", "tenant" => f.tenant.to_string()).increment(1);
        tracing::error!(
            service = crate::NAME,
            tenant = f.tenant,
            file = f.file_name,
            error,
            "acknowledgement cannot be read; stored for an operator (ListUnmatchedAcks)"
        );
        Ok(FileOutcome::default())
    }

    async fn apply_999(&self, tx: &mut PgConnection, f: &AckFile<'_>, doc: &x999::Document999) -> Result<FileOutcome> {
        let mut out = FileOutcome::default();
        for ack in doc.acks() {
            let gs06 = ack.group.control_number;
            let Some((batch_id, st02)) = store::batch_by_group(tx, f.tenant, f.partner_id, gs06).await? else {
                tracing::warn!(
                    service = crate::NAME,
                    tenant = f.tenant,
                    file = f.file_name,
                    gs06,
                    "999 for a group we did not send"
                );
                store::record_ack_item(tx, f, &gs06.to_string(), None, "unknown_batch", &ack.status().to_string())
                    .await?;
                out.recorded += 1;
                continue;
            };
            let reference = format!("{gs06}/{st02}");
            let t = ack.transaction(&st02);
            let findings = match t {
                Some(t) if t.is_rejected() => Some(decide::findings_from_999(t)),
                _ if ack.status() == AckStatus::Rejected => Some(decide::findings_from_group_rejection(ack)),
                _ => None,
            };
            let Some(findings) = findings else {
                // Accepted (or accepted with errors): the 277CA says what happens to each claim.
                store::record_ack_item(tx, f, &reference, None, "accepted", &ack.status().to_string()).await?;
                out.recorded += 1;
                continue;
            };
            for claim in store::claims_of_batch(tx, f.tenant, batch_id).await? {
                if self.reject(tx, f, &reference, &claim, findings.clone(), true).await? {
                    out.rejected += 1;
                } else {
                    out.recorded += 1;
                }
            }
        }
        Ok(out)
    }

    async fn apply_277ca(
        &self,
        tx: &mut PgConnection,
        f: &AckFile<'_>,
        doc: &x277ca::Document277ca,
    ) -> Result<FileOutcome> {
        let mut out = FileOutcome::default();
        for ca in doc.claims() {
            let pcn = ca.patient_control_number.as_str();
            let Some(claim) = store::claim_by_pcn(tx, f.tenant, pcn).await? else {
                tracing::warn!(
                    service = crate::NAME,
                    tenant = f.tenant,
                    file = f.file_name,
                    patient_control_number = pcn,
                    "277CA for a claim we do not know; recorded"
                );
                let detail = ca.statuses.iter().flat_map(|s| s.codes()).map(|c| c.to_string()).collect::<Vec<_>>();
                store::record_ack_item(tx, f, pcn, None, "unknown_claim", &detail.join("; ")).await?;
                out.recorded += 1;
                continue;
            };
            let pccn = ca.payer_claim_control_number.as_deref();
            match decide::effect_of_277ca(claim.state, ca.disposition, &ca.statuses, pccn) {
                AckEffect::Accept { payer_claim_control_number } => {
                    store::set_acked(tx, f.tenant, &claim, ClaimState::Accepted, pccn, f.file_name).await?;
                    first_pass(f.tenant, &claim, "accepted");
                    metrics::histogram!("rcm_submission_scrubbed_to_accepted_seconds", "tenant" => f.tenant.to_string())
                        .record(claim.waited_s);
                    let payload = Payload::ClaimAccepted(ClaimAccepted {
                        payer_claim_control_number: payer_claim_control_number.clone(),
                        ack_file: f.file_name.to_string(),
                    });
                    self.emit(tx, f.tenant, &claim, payload).await?;
                    store::record_ack_item(tx, f, pcn, Some(&claim.claim_id), "accepted", &payer_claim_control_number)
                        .await?;
                    out.accepted += 1;
                }
                AckEffect::Reject { findings } => {
                    if self.reject(tx, f, pcn, &claim, findings, false).await? {
                        out.rejected += 1;
                    } else {
                        out.recorded += 1;
                    }
                }
                AckEffect::NoChange => {
                    let detail = ca.statuses.iter().flat_map(|s| s.codes()).map(|c| c.to_string()).collect::<Vec<_>>();
                    store::record_ack_item(tx, f, pcn, Some(&claim.claim_id), "no_change", &detail.join("; ")).await?;
                    out.recorded += 1;
                }
                AckEffect::AlreadyDecided => {
                    tracing::info!(
                        service = crate::NAME, tenant = f.tenant, file = f.file_name, claim_id = %claim.claim_id,
                        state = claim.state.as_str(), "277CA for a claim already decided; recorded"
                    );
                    store::record_ack_item(tx, f, pcn, Some(&claim.claim_id), "already_decided", claim.state.as_str())
                        .await?;
                    out.recorded += 1;
                }
            }
        }
        Ok(out)
    }

    /// Rejects a submitted claim (true), or records that it was already decided (false).
    /// `by_clearinghouse`: the 999 rejected its transaction set (else the payer's 277CA rejected it).
    async fn reject(
        &self,
        tx: &mut PgConnection,
        f: &AckFile<'_>,
        reference: &str,
        claim: &AckTarget,
        findings: Vec<Finding>,
        by_clearinghouse: bool,
    ) -> Result<bool> {
        if !claim.state.takes_ack() {
            store::record_ack_item(tx, f, reference, Some(&claim.claim_id), "already_decided", claim.state.as_str())
                .await?;
            return Ok(false);
        }
        let detail = codes(&findings);
        let state = if by_clearinghouse { ClaimState::RejectedByClearinghouse } else { ClaimState::RejectedByPayer };
        store::set_acked(tx, f.tenant, claim, state, None, f.file_name).await?;
        first_pass(f.tenant, claim, if by_clearinghouse { "rejected_by_clearinghouse" } else { "rejected_by_payer" });
        let payload = Payload::ClaimRejectedByPayer(ClaimRejectedByPayer {
            reasons: findings,
            ack_file: f.file_name.to_string(),
            by_clearinghouse,
        });
        self.emit(tx, f.tenant, claim, payload).await?;
        store::record_ack_item(tx, f, reference, Some(&claim.claim_id), "rejected", &detail).await?;
        tracing::info!(service = crate::NAME, tenant = f.tenant, file = f.file_name, claim_id = %claim.claim_id, "claim rejected by payer");
        Ok(true)
    }

    async fn emit(&self, tx: &mut PgConnection, tenant: &str, claim: &AckTarget, payload: Payload) -> Result<()> {
        let origin = Origin {
            tenant: tenant.to_string(),
            claim_id: claim.claim_id.clone(),
            correlation_id: claim.correlation_id.clone(),
            causation_id: claim.causation_id.clone(),
        };
        let env = self.host.new_event(&origin, payload);
        self.host.enqueue(tx, &env).await?;
        Ok(())
    }
}
