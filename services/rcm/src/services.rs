//! Starting any set of the six services (and the payer simulator) in one process.

use anyhow::{Context, Result, bail};
use rcm_runtime::Platform;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;

pub const SERVICES: [&str; 6] = ["intake", "coding", "scrubbing", "submission", "remittance", "denials"];

/// The gRPC service names each service serves (for health reporting).
pub fn grpc_names(service: &str) -> &'static [&'static str] {
    match service {
        "intake" => &["rcm.intake.v1.IntakeService"],
        "coding" => &["rcm.coding.v1.CodingService"],
        "scrubbing" => &["rcm.scrubbing.v1.ScrubbingService"],
        "submission" => &["rcm.submission.v1.SubmissionService"],
        "remittance" => &["rcm.remittance.v1.RemittanceService"],
        "denials" => &["rcm.denials.v1.DenialsService"],
        _ => &[],
    }
}

/// Parses `all` or a comma-separated list of service names (and `simulator`).
pub fn parse_targets(spec: &str) -> Result<(Vec<&'static str>, bool)> {
    let mut out = Vec::new();
    let mut simulator = false;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "all" => out.extend(SERVICES),
            "simulator" => simulator = true,
            name => match SERVICES.iter().find(|s| **s == name) {
                Some(s) => out.push(*s),
                None => bail!("unknown target {name:?}: use all, simulator, or some of {}", SERVICES.join(", ")),
            },
        }
    }
    out.sort_by_key(|s| SERVICES.iter().position(|x| x == s));
    out.dedup();
    if out.is_empty() && !simulator {
        bail!("no service to run");
    }
    Ok((out, simulator))
}

pub type Tasks = Vec<JoinHandle<rcm_runtime::Result<()>>>;

/// Starts one service: opens its database, consumers, relay and background tasks, and adds its
/// gRPC service to `routes`.
pub async fn start(
    name: &str,
    platform: &Platform,
    routes: &mut RoutesBuilder,
    shutdown: &CancellationToken,
) -> Result<Tasks> {
    let s = shutdown.clone();
    let tasks = match name {
        "intake" => rcm_intake::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        "coding" => rcm_coding::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        "scrubbing" => rcm_scrubbing::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        "submission" => rcm_submission::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        "remittance" => rcm_remittance::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        "denials" => rcm_denials::start(platform, routes, s).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        other => bail!("unknown service {other:?}"),
    };
    tracing::info!(service = name, "started");
    Ok(tasks)
}

/// Starts every named service; the context names the one that failed.
pub async fn start_all(
    names: &[&str],
    platform: &Platform,
    routes: &mut RoutesBuilder,
    shutdown: &CancellationToken,
) -> Result<Tasks> {
    let mut all = Vec::new();
    for name in names {
        all.extend(start(name, platform, routes, shutdown).await.with_context(|| format!("starting {name}"))?);
    }
    Ok(all)
}

/// Waits for every task, reporting the ones that failed.
pub async fn join(tasks: Tasks) {
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "a task stopped with an error"),
            Err(e) if e.is_cancelled() => {}
            Err(e) => tracing::error!(error = %e, "a task panicked"),
        }
    }
}

/// Creates and migrates a service's database.
pub async fn migrate(name: &str, config: &rcm_runtime::config::Config) -> Result<()> {
    let migrator = match name {
        "intake" => &rcm_intake::MIGRATOR,
        "coding" => &rcm_coding::MIGRATOR,
        "scrubbing" => &rcm_scrubbing::MIGRATOR,
        "submission" => &rcm_submission::MIGRATOR,
        "remittance" => &rcm_remittance::MIGRATOR,
        "denials" => &rcm_denials::MIGRATOR,
        other => bail!("unknown service {other:?}"),
    };
    rcm_runtime::db::open_service_database(&config.database_url, &config.database_prefix, name, Some(migrator), 2)
        .await?;
    Ok(())
}

/// Starts the clearinghouse and payer simulator over the tenants served (not one of the six
/// services: it stands for the world outside, answering 837 files with 999, 277CA and 835 files).
/// It follows the tenant registry: a tenant added later is answered too.
pub fn start_simulator(
    platform: &Platform,
    shutdown: &CancellationToken,
) -> Result<JoinHandle<rcm_runtime::Result<()>>> {
    let mut config: rcm_simulator::SimulatorConfig = platform.config.section("simulator")?;
    config.data_dir = platform.config.data_dir.clone();
    let platform = platform.clone();
    let shutdown = shutdown.clone();
    Ok(tokio::spawn(async move {
        let mut current: Vec<String> = Vec::new();
        let mut running: Option<(CancellationToken, JoinHandle<()>)> = None;
        loop {
            match platform.tenants().await {
                Ok(tenants) if tenants != current => {
                    if let Some((token, task)) = running.take() {
                        token.cancel();
                        let _ = task.await;
                    }
                    let token = shutdown.child_token();
                    let task = tokio::spawn(rcm_simulator::run(config.clone(), tenants.clone(), token.clone()));
                    running = Some((token, task));
                    current = tenants;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "simulator: cannot list tenants; will retry"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
        }
        if let Some((_, task)) = running {
            let _ = task.await;
        }
        Ok(())
    }))
}
