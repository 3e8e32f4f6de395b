//! What the remittance tests share: a platform on the real NATS and Postgres under a unique subject
//! and database prefix, with a temporary data directory and tenant `alpha`.

#![allow(dead_code)]

use rcm_proto::common::ServiceLine;
use rcm_proto::events::{ClaimSubmitted, Envelope, envelope::Payload};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing;
#[allow(unused_imports)] // each test binary uses a different part
pub use rcm_runtime::testing::{count, free_addr, wait_for};
use rcm_runtime::{EventType, Platform};
use std::path::{Path, PathBuf};

pub const TENANT: &str = "alpha";

pub struct Harness {
    pub config: Config,
    pub platform: Platform,
    pub data_dir: PathBuf,
}

impl Harness {
    pub async fn new() -> Harness {
        let id = format!("t{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let data_dir = std::env::temp_dir().join(format!("rcm-remittance-{id}"));
        let mut config = Config {
            subject_prefix: id.clone(),
            database_prefix: format!("{id}_"),
            tenants: vec![TENANT.into()],
            data_dir: data_dir.clone(),
            ..Config::default()
        };
        config.consumer.backoff_ms = vec![50];
        config.consumer.max_deliver = 4;
        config.outbox.poll_ms = 50;
        config.services.insert("remittance".into(), serde_json::json!({ "poll_interval_ms": 100 }));
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        platform.add_tenant(TENANT, "Alpha").await.unwrap();
        Harness { config, platform, data_dir }
    }

    pub fn inbound(&self) -> PathBuf {
        self.config.tenant_dir(TENANT).join("inbound")
    }

    /// Drops a file into inbound whole (written beside it, then renamed).
    pub async fn drop_file(&self, name: &str, content: &[u8]) {
        let dir = self.inbound();
        tokio::fs::create_dir_all(&dir).await.unwrap();
        let tmp = dir.join(format!("{name}.part"));
        tokio::fs::write(&tmp, content).await.unwrap();
        tokio::fs::rename(&tmp, dir.join(name)).await.unwrap();
    }

    /// Publishes a claim's ClaimSubmitted as submission would; returns it.
    pub async fn submit(&self, claim: &str, pcn: &str, lines: &[(&str, &str, i64)]) -> Envelope {
        self.submit_with(claim, pcn, lines, |_| {}).await
    }

    /// [`Harness::submit`], the event changed by `f` first (a next payer, another version, ...).
    pub async fn submit_with(
        &self,
        claim: &str,
        pcn: &str,
        lines: &[(&str, &str, i64)],
        f: impl FnOnce(&mut ClaimSubmitted),
    ) -> Envelope {
        let origin = Origin {
            tenant: TENANT.into(),
            claim_id: claim.into(),
            correlation_id: format!("corr-{claim}"),
            causation_id: uuid::Uuid::now_v7().to_string(),
        };
        let lines: Vec<ServiceLine> = lines
            .iter()
            .map(|(id, code, cents)| ServiceLine {
                line_id: id.to_string(),
                procedure_code: code.to_string(),
                units: "1".into(),
                charge_cents: *cents,
                service_date: "2024-03-01".into(),
                ..ServiceLine::default()
            })
            .collect();
        let mut submitted = ClaimSubmitted {
            patient_control_number: pcn.into(),
            payer_id: "ACME01".into(),
            total_charge_cents: lines.iter().map(|l| l.charge_cents).sum(),
            batch_id: "batch-1".into(),
            file_name: "837-batch-1.x12".into(),
            interchange_control_number: 1,
            transaction_control_number: "0001".into(),
            lines,
            version: 1,
            frequency_code: "1".into(),
            payer_responsibility: "P".into(),
            ..ClaimSubmitted::default()
        };
        f(&mut submitted);
        let payload = Payload::ClaimSubmitted(submitted);
        let env = envelope::new_envelope(&self.platform.det, "submission", &origin, payload);
        let out = envelope::encode(self.platform.bus.subjects(), &env, None).unwrap();
        self.platform.bus.publish(out.subject, &out.headers, out.payload).await.unwrap().await.unwrap();
        env
    }

    /// Every event of one type in the tenant's stream, read with an ephemeral consumer.
    pub async fn events(&self, t: EventType) -> Vec<Envelope> {
        testing::events(&self.platform.bus, TENANT, t).await
    }

    pub async fn cleanup(self) {
        testing::remove(&self.config, &[TENANT]).await;
        let _ = tokio::fs::remove_dir_all(&self.data_dir).await;
    }
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
