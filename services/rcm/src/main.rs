//! `rcm`: one binary for every service and tool. The work is in the library crates.

mod coding;
mod health;
mod scrub;
mod x12;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rcm::{demo, services};
use rcm_runtime::config::Config;
use rcm_runtime::{Platform, replay, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "rcm", version, about = "Revenue-cycle platform: services, demo, replay and X12 tools")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Settings every command takes (each also readable from the config file and `RCM_*` variables).
#[derive(Args, Clone)]
struct Global {
    /// A TOML config file (default: ./rcm.toml when present).
    #[arg(long, global = true, env = "RCM_CONFIG")]
    config: Option<PathBuf>,
    /// `demo`: the demo's prefixes and data directory, as used by `rcm demo`.
    #[arg(long, global = true)]
    profile: Option<String>,
    #[arg(long, global = true)]
    nats_url: Option<String>,
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[arg(long, global = true)]
    grpc_addr: Option<String>,
    /// Serve only these tenants (comma-separated); default: every registered tenant.
    #[arg(long, global = true, value_delimiter = ',')]
    tenants: Vec<String>,
    /// Never serve these tenants (comma-separated, or the flag repeated), e.g. in the shared
    /// workers when a tenant has its own pipeline.
    #[arg(long, global = true, value_delimiter = ',')]
    exclude_tenants: Vec<String>,
}

impl Global {
    fn load(&self) -> Result<Config> {
        let mut o = serde_json::Map::new();
        let mut set = |k: &str, v: serde_json::Value| {
            o.insert(k.to_string(), v);
        };
        if let Some(v) = &self.nats_url {
            set("nats_url", v.clone().into());
        }
        if let Some(v) = &self.database_url {
            set("database_url", v.clone().into());
        }
        if let Some(v) = &self.data_dir {
            set("data_dir", v.display().to_string().into());
        }
        if let Some(v) = &self.grpc_addr {
            set("grpc_addr", v.clone().into());
        }
        if !self.tenants.is_empty() {
            set("tenants", self.tenants.clone().into());
        }
        if !self.exclude_tenants.is_empty() {
            // A misspelt name would exclude nothing and go unnoticed: check the form here.
            for t in &self.exclude_tenants {
                rcm_runtime::subjects::check_tenant(t).with_context(|| format!("--exclude-tenants {t:?}"))?;
            }
            set("exclude_tenants", self.exclude_tenants.clone().into());
        }
        let config = Config::load(self.config.as_deref(), &serde_json::Value::Object(o))?;
        match self.profile.as_deref() {
            None => Ok(config),
            Some("demo") => Ok(demo::profile(config)),
            Some(p) => anyhow::bail!("unknown profile {p:?} (known: demo)"),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run services: `--target all`, or a list such as `intake,coding` (add `simulator` for the payer simulator).
    Serve {
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// Create and migrate the databases of the targets, then exit.
    Migrate {
        #[arg(long, default_value = "all")]
        target: String,
    },
    /// Tenants (clients): each has its own stream and its own rows.
    Tenants {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// The whole pipeline on synthetic encounters, with a summary per tenant.
    Demo {
        #[arg(long, default_value_t = 300)]
        encounters: usize,
        /// The demo's tenants.
        #[arg(long = "demo-tenants", default_value = "acme,beta", value_delimiter = ',')]
        demo_tenants: Vec<String>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
        /// Only submit and wait: the services run in `rcm serve --profile demo --target all,simulator`.
        #[arg(long)]
        external: bool,
        /// Give up waiting for final states after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Record a tenant's stream to a file, or play a recording into a stream.
    Replay {
        #[command(subcommand)]
        command: ReplayCommand,
    },
    /// Publish outbox events again (after a NATS crash lost acknowledged messages).
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Print the effective configuration.
    Config,
    /// Ask an `rcm serve` process whether it is serving (gRPC health): exit 0 when it is, 1 when
    /// it is not or does not answer. For container health checks.
    Health {
        /// host:port to ask; default: the configured `grpc_addr` (an unspecified address such as
        /// 0.0.0.0 is asked on the loopback).
        #[arg(long)]
        addr: Option<String>,
        /// The gRPC service to ask about, e.g. rcm.intake.v1.IntakeService; default: the server.
        #[arg(long, default_value = "")]
        service: String,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 3000)]
        timeout_ms: u64,
    },
    /// Read and check X12 files (837P, 835, 999, 277CA).
    X12 {
        #[command(subcommand)]
        command: x12::X12Command,
    },
    /// Code sets and note suggestions: look up, search, suggest, and measure the suggester.
    Coding {
        #[command(subcommand)]
        command: coding::CodingCommand,
    },
    /// Denial and revenue reports of a tenant (denial rate, first-pass resolution, clean-claim rate,
    /// days in A/R and aging, net collection rate) and the top of its denial work queue, from the
    /// denials service of a running `rcm serve`.
    Report {
        #[arg(long)]
        tenant: String,
        /// First day (YYYY-MM-DD, inclusive); default: the beginning.
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, inclusive); default: today.
        #[arg(long)]
        to: Option<String>,
        /// Only this payer's claims.
        #[arg(long)]
        payer: Option<String>,
        /// How many work items to show, highest priority first (0: none).
        #[arg(long, default_value_t = 10)]
        top: u32,
        /// host:port of the server; default: the configured `grpc_addr`.
        #[arg(long)]
        addr: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The scrubbing edits: check a claim, list and explain rules, rule packs, replay past claims.
    Scrub {
        #[command(subcommand)]
        command: scrub::ScrubCommand,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Register a tenant and create its stream (idempotent).
    Add {
        tenant: String,
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// Offboard a tenant: delete its stream and mark it removed.
    Remove {
        tenant: String,
    },
}

#[derive(Subcommand)]
enum ReplayCommand {
    /// Write every message of the tenant's stream to FILE (JSON Lines).
    Record {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Publish the events of FILE into the tenant's stream (under this deployment's prefix).
    Play {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Mark events created since a time (RFC 3339) unpublished in the targets' outboxes.
    Republish {
        #[arg(long)]
        since: chrono::DateTime<chrono::Utc>,
        #[arg(long, default_value = "all")]
        target: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::X12 { command } = cli.command {
        return match x12::run(command) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("rcm: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Coding { command } = cli.command {
        return match coding::run(command) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("rcm: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rcm: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn shutdown_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down");
    token.cancel();
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let config = cli.global.load()?;
    match cli.command {
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Health { addr, service, timeout_ms } => {
            let addr = addr.unwrap_or_else(|| health::local_addr(&config.grpc_addr));
            Ok(health::check(&addr, &service, Duration::from_millis(timeout_ms)).await)
        }
        Command::Serve { target } => {
            let _guard = telemetry::init("rcm", "info");
            let (targets, simulator) = services::parse_targets(&target)?;
            if !config.metrics_addr.is_empty() {
                telemetry::serve_metrics(config.metrics_addr.parse().context("metrics_addr")?)
                    .map_err(anyhow::Error::msg)?;
            }
            if !config.tenants.is_empty()
                && rcm_runtime::platform::served_tenants(&config.tenants, &config.exclude_tenants).is_empty()
            {
                anyhow::bail!("every tenant of --tenants is also in --exclude-tenants: nothing to serve");
            }
            let platform = Platform::connect(config.clone(), Default::default()).await?;
            // Tenants named with --tenants: a new one is registered (with its id as its name);
            // a registered one keeps its name, and its stream takes this process's stream
            // settings (a tenant's own pipeline may keep its stream longer, or on more replicas).
            let registered: Vec<String> = platform.registry.list().await?.into_iter().map(|t| t.tenant_id).collect();
            for t in rcm_runtime::platform::served_tenants(&config.tenants, &config.exclude_tenants) {
                if registered.contains(&t) {
                    platform.bus.ensure_stream(&t, &config.stream).await?;
                } else {
                    platform.add_tenant(&t, &t).await?;
                }
            }
            let shutdown = CancellationToken::new();
            tokio::spawn(shutdown_signal(shutdown.clone()));
            let mut routes = tonic::service::RoutesBuilder::default();
            let mut tasks = services::start_all(&targets, &platform, &mut routes, &shutdown).await?;
            if simulator {
                tasks.push(services::start_simulator(&platform, &shutdown)?);
            }
            if !targets.is_empty() {
                let addr = config.grpc_addr.parse().context("grpc_addr")?;
                let names: Vec<&str> = targets.iter().flat_map(|s| services::grpc_names(s).iter().copied()).collect();
                let sd = shutdown.clone();
                tasks.push(tokio::spawn(async move { rcm_runtime::grpc::serve(addr, routes, &names, sd).await }));
            }
            tracing::info!(targets = ?targets, simulator, "serving");
            shutdown.cancelled().await;
            services::join(tasks).await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { target } => {
            let _guard = telemetry::init("rcm", "info");
            let (targets, _) = services::parse_targets(&target)?;
            for t in targets {
                services::migrate(t, &config).await.with_context(|| format!("migrating {t}"))?;
                println!("{t}: migrated ({}rcm_{t})", config.database_prefix);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tenants { command } => {
            let platform = Platform::connect(config.clone(), Default::default()).await?;
            match command {
                TenantCommand::Add { tenant, name } => {
                    let t = platform.add_tenant(&tenant, name.as_deref().unwrap_or(&tenant)).await?;
                    println!("{} ({}) stream {}", t.tenant_id, t.name, platform.bus.subjects().stream(&t.tenant_id));
                }
                TenantCommand::List => {
                    for t in platform.registry.list().await? {
                        println!("{}\t{}\t{}", t.tenant_id, t.name, t.created_at.to_rfc3339());
                    }
                }
                TenantCommand::Remove { tenant } => {
                    platform.registry.remove(&platform.bus, &tenant).await?;
                    println!("{tenant}: stream deleted, tenant removed");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { encounters, demo_tenants, seed, json, external, timeout } => {
            let _guard = telemetry::init("rcm-demo", "warn");
            let config = demo::profile(config);
            let opts = demo::DemoOptions {
                encounters,
                tenants: demo_tenants,
                seed,
                external,
                show_progress: !json,
                timeout: Duration::from_secs(timeout),
            };
            let report = demo::run(config, &opts).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                demo::print(&report);
            }
            Ok(if report.lost == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Replay { command } => {
            let subjects = rcm_runtime::subjects::Subjects::new(Some(config.subject_prefix.as_str()))?;
            let bus = rcm_runtime::bus::Bus::connect(&config.nats_url, subjects).await?;
            match command {
                ReplayCommand::Record { tenant, out } => {
                    let records = replay::record(&bus, &tenant).await?;
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?,
                    );
                    replay::write_jsonl(&records, &mut f)?;
                    println!("{}: {} messages", out.display(), records.len());
                }
                ReplayCommand::Play { file, tenant } => {
                    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                    let records = replay::read_jsonl(&text)?;
                    bus.ensure_stream(&tenant, &config.stream).await?;
                    let n = replay::play(&bus, &tenant, &records).await?;
                    println!("{n} events published to {}", bus.subjects().stream(&tenant));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Outbox { command: OutboxCommand::Republish { since, target } } => {
            let (targets, _) = services::parse_targets(&target)?;
            for t in targets {
                let pool = rcm_runtime::db::connect(
                    &config.database_url,
                    &rcm_runtime::db::database_name(&config.database_prefix, t),
                    2,
                )
                .await?;
                let n = rcm_runtime::outbox::republish_since(&pool, since).await?;
                println!("{t}: {n} events will be published again");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { tenant, from, to, payer, top, addr, json } => {
            let addr = addr.unwrap_or_else(|| health::local_addr(&config.grpc_addr));
            let req = rcm_proto::denials::GetReportsRequest {
                tenant_id: tenant,
                from: from.unwrap_or_default(),
                to: to.unwrap_or_default(),
                payer_id: payer.unwrap_or_default(),
            };
            let (reports, queue) = rcm::report::fetch(&addr, req, top).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rcm::report::to_json(&reports, &queue))?);
            } else {
                print!("{}", rcm::report::to_table(&reports, &queue, ""));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Scrub { command } => scrub::run(command, &config, &mut std::io::stdout().lock()).await,
        Command::X12 { .. } | Command::Coding { .. } => unreachable!("handled before the runtime starts"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str]) -> Result<Config> {
        let cli = Cli::try_parse_from(args.iter().copied().chain(["config"]))?;
        cli.global.load()
    }

    #[test]
    fn exclude_tenants_takes_a_list_or_repeated_flags() {
        let c = load(&["rcm", "--exclude-tenants", "acme,beta"]).unwrap();
        assert_eq!(c.exclude_tenants, ["acme", "beta"]);
        let c = load(&["rcm", "--exclude-tenants", "acme", "--exclude-tenants=beta", "--tenants", "gamma"]).unwrap();
        assert_eq!(c.exclude_tenants, ["acme", "beta"]);
        assert_eq!(c.tenants, ["gamma"]);
        assert!(load(&["rcm"]).unwrap().exclude_tenants.is_empty());
    }

    #[test]
    fn exclude_tenants_rejects_names_that_cannot_be_tenants() {
        let e = load(&["rcm", "--exclude-tenants", "Acme"]).unwrap_err();
        assert!(format!("{e:#}").contains("--exclude-tenants"), "{e:#}");
    }
}
