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

/// The remittance service running for a test, with its gRPC server, a client and its database.
pub struct Running {
    pub client: rcm_proto::remittance::remittance_service_client::RemittanceServiceClient<tonic::transport::Channel>,
    pub pool: sqlx::PgPool,
    shutdown: tokio_util::sync::CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<rcm_runtime::Result<()>>>,
    server: tokio::task::JoinHandle<rcm_runtime::Result<()>>,
}

impl Harness {
    /// Starts the service (consumers, poller, relay) and its gRPC server; connects a client.
    pub async fn serve(&self) -> Running {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let mut routes = tonic::service::RoutesBuilder::default();
        let tasks = rcm_remittance::start(&self.platform, &mut routes, shutdown.clone()).await.unwrap();
        let addr = free_addr();
        let server = tokio::spawn(rcm_runtime::grpc::serve(
            addr,
            routes,
            &["rcm.remittance.v1.RemittanceService"],
            shutdown.clone(),
        ));
        let name = rcm_runtime::db::database_name(&self.config.database_prefix, "remittance");
        let pool = rcm_runtime::db::connect(&self.config.database_url, &name, 2).await.unwrap();
        let client = loop {
            use rcm_proto::remittance::remittance_service_client::RemittanceServiceClient;
            match RemittanceServiceClient::connect(format!("http://{addr}")).await {
                Ok(c) => break c,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        Running { client, pool, shutdown, tasks, server }
    }
}

impl Running {
    /// Stops the service and its server, and closes the pool.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for t in self.tasks {
            t.await.unwrap().unwrap();
        }
        self.server.await.unwrap().unwrap();
        self.pool.close().await;
    }
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

// --- A small 835 writer for the test: real X12, every amount chosen by hand. ---

pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

pub struct Svc {
    pub code: &'static str,
    pub charge: i64,
    pub paid: i64,
    pub cas: Vec<(&'static str, &'static str, i64)>,
    pub line_id: Option<&'static str>,
    pub remarks: Vec<&'static str>,
}

pub struct Clp {
    pub pcn: &'static str,
    pub status: &'static str,
    pub charge: i64,
    pub paid: i64,
    pub pr: i64,
    pub icn: &'static str,
    pub cas: Vec<(&'static str, &'static str, i64)>,
    pub lines: Vec<Svc>,
}

pub fn svc(code: &'static str, charge: i64, paid: i64, cas: Vec<(&'static str, &'static str, i64)>) -> Svc {
    Svc { code, charge, paid, cas, line_id: None, remarks: vec![] }
}

/// One interchange with one 835 paying `claims` under trace `trace`; BPR02 is the sum of CLP04 plus
/// `bpr_off` (non-zero to make the file unbalanced).
pub fn era(control: u32, trace: &str, claims: &[Clp], bpr_off: i64) -> String {
    era_plb(control, trace, claims, bpr_off, &[])
}

/// [`era`] with PLB items (reason, amount; a positive amount reduces BPR02).
pub fn era_plb(control: u32, trace: &str, claims: &[Clp], bpr_off: i64, plb: &[(&str, i64)]) -> String {
    let total: i64 = claims.iter().map(|c| c.paid).sum::<i64>() + bpr_off - plb.iter().map(|p| p.1).sum::<i64>();
    let mut s: Vec<String> = vec![
        format!("BPR*I*{}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*888888888*DA*98765*20240315", money(total)),
        format!("TRN*1*{trace}*1512345678"),
        "DTM*405*20240314".into(),
        "N1*PR*ACME HEALTH PLAN".into(),
        "N3*1 PAYER WAY".into(),
        "N4*SPRINGFIELD*IL*62701".into(),
        "REF*2U*ACME01".into(),
        "PER*BL*EDI DESK*TE*8005551212".into(),
        "N1*PE*GOOD CLINIC*XX*1234567893".into(),
        "REF*TJ*123456789".into(),
        "LX*1".into(),
    ];
    for c in claims {
        s.push(format!(
            "CLP*{}*{}*{}*{}*{}*12*{}*11*1",
            c.pcn,
            c.status,
            money(c.charge),
            money(c.paid),
            money(c.pr),
            c.icn
        ));
        for (g, r, a) in &c.cas {
            s.push(format!("CAS*{g}*{r}*{}", money(*a)));
        }
        s.push("NM1*QC*1*TESTPATIENT*ALEX****MI*M0000001".into());
        for l in &c.lines {
            s.push(format!("SVC*HC:{}*{}*{}**1", l.code, money(l.charge), money(l.paid)));
            s.push("DTM*472*20240301".into());
            for (g, r, a) in &l.cas {
                s.push(format!("CAS*{g}*{r}*{}", money(*a)));
            }
            if let Some(id) = l.line_id {
                s.push(format!("REF*6R*{id}"));
            }
            for rk in &l.remarks {
                s.push(format!("LQ*HE*{rk}"));
            }
        }
    }
    for (reason, amount) in plb {
        s.push(format!("PLB*1234567893*20241231*{reason}:REF1*{}", money(*amount)));
    }
    let st_count = s.len() + 2;
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*{:<15}*ZZ*{:<15}*240315*1200*^*00501*{control:09}*0*P*:~\n",
        "ACMEPAYER", "GOODCLINIC"
    );
    out.push_str(&format!("GS*HP*ACMEPAYER*GOODCLINIC*20240315*1200*{control}*X*005010X221A1~\n"));
    out.push_str("ST*835*0001~\n");
    for seg in s {
        out.push_str(&seg);
        out.push_str("~\n");
    }
    out.push_str(&format!("SE*{st_count}*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n"));
    out
}
