//! The batcher: every `batch_interval_ms`, for each tenant served, cuts the batches that are due
//! and delivers the files not yet delivered.
//!
//! **Batches.** Pending claims wait per payer; the payer's trading partner (the tenant's own, or
//! the configured default) says when a batch is due: `batch_max_claims` waiting, or the oldest
//! waiting `batch_window_ms`, whichever comes first. One transaction takes the claims
//! (`FOR UPDATE SKIP LOCKED`), allocates the partner's next control numbers, stores the batch with
//! its file's full text, marks the claims submitted (`batched`) and puts a `ClaimSubmitted` per
//! claim in the outbox.
//!
//! **Delivery.** After the commit the file goes to the partner over its transport (folder, SFTP,
//! HTTPS). Only when the transport says it is there is the batch recorded as sent, with a
//! `ClaimSent` per claim, in one transaction. A failed attempt is recorded with its error and tried
//! again with exponential backoff; an error retrying cannot fix (a refused key, a different file of
//! the same name) marks the batch `failed` for an operator (`RetryDelivery`). A crash between the
//! upload and its record uploads the same name and content again, which the transport recognises
//! (`AlreadyThere`) and a clearinghouse recognises by ISA13: the file is sent once.

use crate::config::{SubmissionConfig, TradingPartner};
use crate::decide;
use crate::error::{Error, Result};
use crate::store::{self, Batch, PendingClaim, Undelivered};
use prost::Message as _;
use rcm_proto::common::Claim;
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{ClaimSent, ClaimSubmitted};
use rcm_runtime::Retryable;
use rcm_runtime::ServiceHost;
use rcm_runtime::envelope::Origin;
use rcm_transport::{Put, Transport, TransportConfig};
use rcm_x12::x837p;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Batcher {
    host: ServiceHost,
    default_partner: TradingPartner,
    interval: Duration,
    data_dir: PathBuf,
    transports: Arc<TransportCache>,
}

/// Built transports by (tenant, partner id), with the settings each was built from (rebuilt when
/// they change); shared by the batcher, the acknowledgement poller and remittance's 835 poller.
pub type TransportCache = Mutex<HashMap<(String, String), (TransportConfig, Arc<dyn Transport>)>>;

/// How often the claims-by-state and files-by-delivery gauges are recounted.
const GAUGE_EVERY: Duration = Duration::from_secs(15);

/// The wait before delivery attempt `attempts + 1`: 1 s, 2 s, 4 s, ... at most 5 minutes.
pub fn delivery_backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs((1u64 << exp).min(300))
}

/// Set to a step name (`after_upload`) by the crash tests: the process aborts there, as a `kill -9`
/// would, to prove a restart recovers. Never set in production.
fn failpoint(step: &str) {
    if std::env::var("RCM_SUBMISSION_FAILPOINT").is_ok_and(|v| v == step) {
        tracing::error!(service = crate::NAME, step, "failpoint: aborting");
        std::process::abort();
    }
}

/// A claim ready to go in a file.
struct Ready {
    pending: PendingClaim,
    claim: Claim,
    x12: x837p::Claim,
}

impl Batcher {
    pub fn new(host: ServiceHost, config: &SubmissionConfig) -> Self {
        let data_dir = host.config().data_dir.clone();
        Batcher {
            host,
            default_partner: config.partner.clone(),
            interval: Duration::from_millis(config.batch_interval_ms.max(1)),
            data_dir,
            transports: Arc::default(),
        }
    }

    /// Runs until `shutdown`. At start-up it delivers any batch committed but not delivered.
    pub async fn run(self, shutdown: CancellationToken) -> rcm_runtime::Result<()> {
        for tenant in self.tenants().await {
            if let Err(e) = self.deliver(&tenant).await {
                tracing::warn!(service = crate::NAME, %tenant, error = %e, "cannot deliver batches yet; will retry");
            }
        }
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + self.interval, self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut gauges_at = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let gauges = gauges_at.elapsed() >= GAUGE_EVERY;
            if gauges {
                gauges_at = tokio::time::Instant::now();
            }
            for tenant in self.tenants().await {
                if let Err(e) = self.pass(&tenant).await {
                    tracing::warn!(service = crate::NAME, %tenant, error = %e, "batch pass failed; will retry");
                }
                if gauges && let Err(e) = self.update_gauges(&tenant).await {
                    tracing::warn!(service = crate::NAME, %tenant, error = %e, "cannot count claims for the gauges");
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

    /// The tenant's trading partners: its own, or the configured default.
    pub async fn partners(&self, tenant: &str) -> Result<Vec<TradingPartner>> {
        partners(&self.host.pool, tenant, &self.default_partner).await
    }

    /// The transport of a tenant's partner (`None` in its settings: the tenant's folders under
    /// `data_dir`).
    pub fn transport(&self, tenant: &str, partner: &TradingPartner) -> Result<Arc<dyn Transport>> {
        transport_for(&self.transports, &self.data_dir, tenant, partner)
    }

    /// One pass for a tenant: deliver what was committed and not delivered, cut every batch that is
    /// due, and deliver those. Returns the batches cut.
    pub async fn pass(&self, tenant: &str) -> Result<usize> {
        self.deliver(tenant).await?;
        let partners = self.partners(tenant).await?;
        let mut made = 0;
        for group in store::pending_groups(&self.host.pool, tenant).await? {
            let partner = decide::partner_for(&partners, &group.payer_id);
            if !decide::batch_due(&group, partner) {
                continue;
            }
            loop {
                let (files, taken) = self.batch(tenant, partner, &group.payer_id).await?;
                made += files;
                if taken < partner.batch_max_claims as usize {
                    break;
                }
            }
        }
        if made > 0 {
            self.deliver(tenant).await?;
        }
        Ok(made)
    }

    /// Sets the gauges of the tenant's claims by state and files by delivery state. Two GROUP BY
    /// queries: run every [`GAUGE_EVERY`], not on every pass.
    async fn update_gauges(&self, tenant: &str) -> Result<()> {
        let (claims, files) = store::state_counts(&self.host.pool, tenant).await?;
        for (state, n) in claims {
            metrics::gauge!("rcm_submission_claims", "tenant" => tenant.to_string(), "state" => state).set(n as f64);
        }
        for (delivery, n) in files {
            metrics::gauge!("rcm_submission_files", "tenant" => tenant.to_string(), "delivery" => delivery)
                .set(n as f64);
        }
        Ok(())
    }

    /// Delivers the tenant's committed batches that are due for an attempt.
    pub async fn deliver(&self, tenant: &str) -> Result<()> {
        let due = store::undelivered_batches(&self.host.pool, tenant).await?;
        if due.is_empty() {
            return Ok(());
        }
        let partners = self.partners(tenant).await?;
        for b in due {
            let partner = match partners.iter().find(|p| p.partner_id == b.partner_id) {
                Some(p) => p.clone(),
                None => {
                    let e = format!("trading partner {:?} is no longer set for the tenant", b.partner_id);
                    store::record_delivery_failure(&self.host.pool, tenant, b.batch_id, b.attempts + 1, &e, None)
                        .await?;
                    tracing::error!(service = crate::NAME, %tenant, batch_id = %b.batch_id, file = %b.file_name, error = %e, "delivery failed");
                    continue;
                }
            };
            self.deliver_one(tenant, &partner, b).await?;
        }
        Ok(())
    }

    async fn deliver_one(&self, tenant: &str, partner: &TradingPartner, b: Undelivered) -> Result<()> {
        let attempts = b.attempts + 1;
        let put = match self.transport(tenant, partner) {
            Ok(t) => t.put(&b.file_name, b.content.as_bytes()).await.map(|p| (p, t.describe())).map_err(Error::from),
            Err(e) => Err(e),
        };
        let (put, destination) = match put {
            Ok(ok) => ok,
            Err(e) => {
                let retry_in = e.is_retryable().then(|| delivery_backoff(attempts));
                store::record_delivery_failure(&self.host.pool, tenant, b.batch_id, attempts, &e.to_string(), retry_in)
                    .await?;
                metrics::counter!("rcm_submission_delivery_failures_total", "tenant" => tenant.to_string(), "retryable" => if retry_in.is_some() { "true" } else { "false" }).increment(1);
                match retry_in {
                    Some(d) => tracing::warn!(
                        service = crate::NAME, %tenant, batch_id = %b.batch_id, file = %b.file_name, attempts,
                        retry_in_s = d.as_secs(), error = %e, "delivery failed; will retry"
                    ),
                    None => tracing::error!(
                        service = crate::NAME, %tenant, batch_id = %b.batch_id, file = %b.file_name, attempts,
                        error = %e, "delivery failed; the batch waits for an operator (RetryDelivery)"
                    ),
                }
                return Ok(());
            }
        };
        failpoint("after_upload");
        let mut tx = self.host.pool.begin().await?;
        let claims = store::mark_sent(&mut tx, tenant, b.batch_id, &destination, attempts).await?;
        for c in &claims {
            let payload = Payload::ClaimSent(ClaimSent {
                batch_id: b.batch_id.to_string(),
                file_name: b.file_name.clone(),
                interchange_control_number: b.interchange_control_number as u32,
                destination: destination.clone(),
                attempts: attempts as u32,
                version: c.version.max(1) as u32,
            });
            let origin = Origin {
                tenant: tenant.to_string(),
                claim_id: c.claim_id.clone(),
                correlation_id: c.correlation_id.clone(),
                causation_id: c.causation_id.clone(),
            };
            let env = self.host.new_event(&origin, payload);
            self.host.enqueue(&mut tx, &env).await?;
        }
        tx.commit().await?;
        metrics::counter!("rcm_submission_files_sent_total", "tenant" => tenant.to_string(), "partner" => partner.partner_id.clone()).increment(1);
        tracing::info!(
            service = crate::NAME, %tenant, batch_id = %b.batch_id, file = %b.file_name, attempts, claims = claims.len(),
            already_there = put == Put::AlreadyThere, %destination, "837P sent"
        );
        Ok(())
    }

    /// One transaction: up to the partner's `batch_max_claims` pending claims of one payer to a
    /// batch and events. Returns (files made, claims taken).
    async fn batch(&self, tenant: &str, partner: &TradingPartner, payer_id: &str) -> Result<(usize, usize)> {
        let mut tx = self.host.pool.begin().await?;
        let pending = store::take_pending(&mut tx, tenant, payer_id, partner.batch_max_claims).await?;
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
            let ctl = store::allocate_control_numbers(&mut tx, tenant, &partner.partner_id).await?;
            let batch_id = self.host.platform.det.ids.new_id();
            let reference = batch_id.simple().to_string();
            let (group, text) = self
                .write_file(&mut tx, tenant, group, |claims| {
                    x837p::write_837p(&decide::build_interchange(partner, ctl, &reference, now, claims))
                })
                .await?;
            let Some(text) = text else { continue };
            let file_name =
                format!("{}.837", decide::file_stem(tenant, &partner.partner_id, ctl.interchange, &payer_id));
            let batch = Batch {
                tenant: tenant.to_string(),
                batch_id,
                partner_id: partner.partner_id.clone(),
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
                    next_payer_id: decide::next_payer(&r.claim).map(|c| c.payer_id.clone()).unwrap_or_default(),
                    next_payer_name: decide::next_payer(&r.claim).map(|c| c.payer_name.clone()).unwrap_or_default(),
                    payer_responsibility: decide::payer_responsibility(&r.claim).to_string(),
                });
                let origin = Origin {
                    tenant: tenant.to_string(),
                    claim_id: r.pending.claim_id.clone(),
                    correlation_id: r.pending.correlation_id.clone(),
                    causation_id: r.pending.scrubbed_event_id.clone(),
                };
                let env = self.host.new_event(&origin, payload);
                self.host.enqueue(&mut tx, &env).await?;
                store::mark_submitted(
                    &mut tx,
                    tenant,
                    &r.pending.claim_id,
                    r.pending.version,
                    batch_id,
                    &partner.partner_id,
                    &env.event_id,
                )
                .await?;
            }
            tracing::info!(
                service = crate::NAME, %tenant, %batch_id, file = %file_name, claims = group.len(),
                partner = %partner.partner_id, isa13 = ctl.interchange, "batch committed"
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

/// The tenant's trading partners: its own (set over gRPC), or the configured default.
pub async fn partners(pool: &sqlx::PgPool, tenant: &str, default: &TradingPartner) -> Result<Vec<TradingPartner>> {
    partners_from(tenant, store::trading_partners(pool, tenant).await?, default)
}

/// A tenant's trading partners from their stored settings (JSON, as `SetTradingPartner` stores them
/// and `submission.trading_partner_set` carries them), or the configured default when there are none.
pub fn partners_from(
    tenant: &str,
    stored: Vec<serde_json::Value>,
    default: &TradingPartner,
) -> Result<Vec<TradingPartner>> {
    let mut own = Vec::new();
    for v in stored {
        let p: TradingPartner = serde_json::from_value(v)
            .map_err(|e| Error::Config(format!("tenant {tenant}: a stored trading partner cannot be read: {e}")))?;
        own.push(p);
    }
    if own.is_empty() {
        own.push(default.clone());
    }
    Ok(own)
}

/// The transport of a tenant's partner, built once per (tenant, partner, settings).
pub fn transport_for(
    cache: &TransportCache,
    data_dir: &std::path::Path,
    tenant: &str,
    partner: &TradingPartner,
) -> Result<Arc<dyn Transport>> {
    let config = partner.transport_config(data_dir, tenant);
    let key = (tenant.to_string(), partner.partner_id.clone());
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((c, t)) = cache.get(&key)
        && *c == config
    {
        return Ok(t.clone());
    }
    let t = config.build()?;
    cache.insert(key, (config, t.clone()));
    Ok(t)
}
