//! `rcm demo`: the whole pipeline on synthetic encounters for several tenants.
//!
//! By default everything runs in this process under the `demo` profile (its own subject prefix,
//! database prefix and data directory, reset at the start). With `--external` the demo is only a
//! client: it submits to an `rcm serve --profile demo` running elsewhere and waits; killing and
//! restarting that server mid-run must end with the same totals.

pub mod encounters;

use crate::services;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rcm_proto::intake::intake_service_client::IntakeServiceClient;
use rcm_proto::intake::{SubmitEncounterRequest, SummarizeClaimsRequest};
use rcm_runtime::config::Config;
use rcm_runtime::{Platform, db};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Whether a claim in this state (by name) is done with its automatic trip (intake's state machine
/// says which states those are).
pub fn is_final_state(state: &str) -> bool {
    rcm_intake::decide::ClaimState::from_name(state).is_some_and(|s| s.is_final())
}

/// The `demo` profile: what `rcm demo` and `rcm serve --profile demo` share.
pub fn profile(mut config: Config) -> Config {
    config.subject_prefix = "demo".into();
    config.database_prefix = "demo_".into();
    if config.data_dir == Path::new("var") {
        config.data_dir = PathBuf::from("var/demo");
    }
    if config.grpc_addr == "127.0.0.1:50051" {
        config.grpc_addr = "127.0.0.1:50151".into();
    }
    config.metrics_addr = String::new();
    // The payer reverses and re-adjudicates a few claims and pays a few across two 835s, as payers
    // do; remittance posts both (unless the configuration already says otherwise).
    config
        .services
        .entry("simulator")
        .or_insert_with(|| serde_json::json!({ "reversal_per_100": 2, "split_payment_per_100": 3 }));
    config
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub encounters: usize,
    pub tenants: Vec<String>,
    pub seed: u64,
    pub external: bool,
    pub show_progress: bool,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantReport {
    pub tenant: String,
    pub encounters: usize,
    pub claims: i64,
    pub claims_by_state: BTreeMap<String, i64>,
    pub billed: String,
    pub paid: String,
    pub adjusted: String,
    pub patient_responsibility: String,
    pub denied: i64,
    pub files_837: Vec<String>,
    pub files_835: Vec<String>,
    /// The denials service's reports and the top of the work queue (`rcm report --json`).
    pub denials: serde_json::Value,
    #[serde(skip)]
    pub denials_table: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub tenants: Vec<TenantReport>,
    /// Claims that did not reach a final state before the timeout.
    pub lost: i64,
    pub seconds: f64,
}

/// Deletes the demo's streams, databases and files.
pub async fn reset(config: &Config, tenants: &[String]) -> Result<()> {
    let subjects = rcm_runtime::subjects::Subjects::new(Some(config.subject_prefix.as_str()))?;
    let bus = rcm_runtime::bus::Bus::connect(&config.nats_url, subjects).await?;
    for t in tenants {
        bus.delete_stream(t).await?;
    }
    for name in db::list_databases(&config.database_url, &config.database_prefix).await? {
        db::drop_database(&config.database_url, &name).await?;
    }
    if config.data_dir.exists() {
        std::fs::remove_dir_all(&config.data_dir).with_context(|| format!("removing {}", config.data_dir.display()))?;
    }
    Ok(())
}

/// Runs the demo and returns its report.
pub async fn run(config: Config, opts: &DemoOptions) -> Result<DemoReport> {
    let started = Instant::now();
    let shutdown = CancellationToken::new();
    let addr: SocketAddr = config.grpc_addr.parse().context("grpc_addr")?;
    let mut tasks = Vec::new();
    if !opts.external {
        reset(&config, &opts.tenants).await?;
    }
    let platform = Platform::connect(config.clone(), rcm_runtime::ids::Determinism::default()).await?;
    for t in &opts.tenants {
        platform.add_tenant(t, &format!("Demo tenant {t}")).await?;
    }
    if !opts.external {
        let mut routes = tonic::service::RoutesBuilder::default();
        tasks = services::start_all(&services::SERVICES, &platform, &mut routes, &shutdown).await?;
        tasks.push(services::start_simulator(&platform, &shutdown)?);
        let names: Vec<&str> =
            services::SERVICES.iter().flat_map(|s| services::grpc_names(s).iter().copied()).collect();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move { rcm_runtime::grpc::serve(addr, routes, &names, sd).await }));
    }
    let result = drive(&config, &platform, opts, addr).await;
    shutdown.cancel();
    services::join(tasks).await;
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn connect(addr: SocketAddr, deadline: Instant) -> Result<IntakeServiceClient<tonic::transport::Channel>> {
    loop {
        match IntakeServiceClient::connect(format!("http://{addr}")).await {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() < deadline => {
                tracing::debug!(error = %e, "intake not reachable yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e).context(format!("connecting to intake at {addr}")),
        }
    }
}

fn bar(show: bool, len: u64, msg: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:>22} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    b.set_message(msg.to_string());
    b
}

async fn drive(config: &Config, _platform: &Platform, opts: &DemoOptions, addr: SocketAddr) -> Result<DemoReport> {
    let deadline = Instant::now() + opts.timeout;
    let mut client = connect(addr, deadline).await?;
    let total = (opts.encounters * opts.tenants.len()) as u64;
    let submitted = bar(opts.show_progress, total, "encounters submitted");
    for i in 0..opts.encounters {
        for t in &opts.tenants {
            let enc = encounters::encounter(t, "demo", opts.seed, i);
            // Submitting is idempotent on the encounter id: retry through restarts of the server.
            loop {
                let req = SubmitEncounterRequest { tenant_id: t.clone(), encounter: Some(enc.clone()) };
                match client.submit_encounter(req).await {
                    Ok(_) => break,
                    Err(s) if s.code() == tonic::Code::InvalidArgument || s.code() == tonic::Code::NotFound => {
                        anyhow::bail!("intake refused demo encounter {}: {}", enc.encounter_id, s.message())
                    }
                    Err(s) if Instant::now() < deadline => {
                        tracing::debug!(status = %s, "submit failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        if let Ok(c) = IntakeServiceClient::connect(format!("http://{addr}")).await {
                            client = c;
                        }
                    }
                    Err(s) => return Err(anyhow::anyhow!("submitting {}: {s}", enc.encounter_id)),
                }
            }
            submitted.inc(1);
        }
    }
    submitted.finish();
    let done = bar(opts.show_progress, total, "claims in a final state");
    let mut summaries = BTreeMap::new();
    loop {
        let mut finished = 0i64;
        for t in &opts.tenants {
            match client.summarize_claims(SummarizeClaimsRequest { tenant_id: t.clone() }).await {
                Ok(s) => {
                    let s = s.into_inner();
                    finished += s.states.iter().filter(|c| is_final_state(&c.state)).map(|c| c.claims).sum::<i64>();
                    summaries.insert(t.clone(), s);
                }
                Err(e) => {
                    tracing::debug!(status = %e, "summary not available; retrying");
                    if let Ok(c) = IntakeServiceClient::connect(format!("http://{addr}")).await {
                        client = c;
                    }
                }
            }
        }
        done.set_position(finished.max(0) as u64);
        if finished as u64 >= total || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    done.finish();
    let mut tenants = Vec::new();
    let mut lost = 0;
    for t in &opts.tenants {
        let s = summaries.remove(t).unwrap_or_default();
        let by_state: BTreeMap<String, i64> = s.states.iter().map(|c| (c.state.clone(), c.claims)).collect();
        let final_claims: i64 = by_state.iter().filter(|(k, _)| is_final_state(k)).map(|(_, v)| v).sum();
        lost += opts.encounters as i64 - final_claims;
        let dir = config.tenant_dir(t);
        let req = rcm_proto::denials::GetReportsRequest { tenant_id: t.clone(), ..Default::default() };
        let (denials, denials_table) = match crate::report::fetch(&addr.to_string(), req, 5).await {
            Ok((r, q)) => (crate::report::to_json(&r, &q), crate::report::to_table(&r, &q, "  ")),
            Err(e) => (serde_json::json!({ "error": format!("{e:#}") }), format!("  reports not available: {e:#}\n")),
        };
        tenants.push(TenantReport {
            tenant: t.clone(),
            encounters: opts.encounters,
            claims: s.total_claims,
            claims_by_state: by_state,
            billed: rcm_x12::value::cents_to_string(s.billed_cents),
            paid: rcm_x12::value::cents_to_string(s.paid_cents),
            adjusted: rcm_x12::value::cents_to_string(s.adjusted_cents),
            patient_responsibility: rcm_x12::value::cents_to_string(s.patient_responsibility_cents),
            denied: s.denied_claims,
            files_837: files(&dir.join("outbound"), "837"),
            files_835: files(&dir.join("inbound").join("processed"), "835"),
            denials,
            denials_table,
        });
    }
    Ok(DemoReport { tenants, lost, seconds: 0.0 })
}

fn files(dir: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out
}

/// The report as people read it.
pub fn print(report: &DemoReport) {
    for t in &report.tenants {
        println!("tenant {}: {} encounters, {} claims", t.tenant, t.encounters, t.claims);
        for (state, n) in &t.claims_by_state {
            println!("  {state:<20} {n:>6}");
        }
        println!("  billed {:>14}   paid {:>14}   adjusted {:>14}", t.billed, t.paid, t.adjusted);
        println!("  patient responsibility {:>14}   denied claims {}", t.patient_responsibility, t.denied);
        println!("  837 files: {}   835 files: {}", t.files_837.len(), t.files_835.len());
        for f in t.files_837.iter().chain(&t.files_835) {
            println!("    {f}");
        }
        print!("{}", t.denials_table);
    }
    println!("lost: {}   ({:.1} s)", report.lost, report.seconds);
}
