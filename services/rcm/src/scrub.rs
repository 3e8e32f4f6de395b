//! `rcm scrub ...`: the scrubbing edits from the command line. `check`, `rules`, `explain` and
//! `pack check` need no server or database; `pack load|list|remove` and `replay` work on the
//! scrubbing database of the configured deployment (running services pick packs up at their next
//! claim).

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use rcm_proto::common::{Address, Claim, Coverage, Patient, PersonName, Provider, ServiceLine};
use rcm_runtime::config::Config;
use rcm_scrubbing::decide::{self, Tables};
use rcm_scrubbing::packs::{self, TenantPacks};
use rcm_scrubbing::rules::{self, RuleFinding, Severity};
use rcm_scrubbing::{ScrubbingConfig, State, service, store};
use serde::Deserialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ScrubCommand {
    /// Scrub a claim (JSON, the fields of rcm.common.v1.Claim) with the built-in packs and any pack
    /// files given; nothing is kept or sent. Exit 0 when it passes, 1 when it is rejected.
    Check {
        claim: PathBuf,
        /// Scrub as of this day (timely filing, dates in the future); default today.
        #[arg(long)]
        today: Option<NaiveDate>,
        /// A pack file to apply too; `FILE:PAYER` for a payer's pack (repeat for more).
        #[arg(long = "pack")]
        packs: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every built-in rule: id, severity, pack, what it checks.
    Rules,
    /// One built-in rule: what it checks, its pack and version, its source.
    Explain { rule: String },
    /// Rule packs (TOML): check a file, or load, list and remove a tenant's packs.
    Pack {
        #[command(subcommand)]
        command: PackCommand,
    },
    /// Run today's packs over the tenant's claims scrubbed since a date and report what would
    /// change; nothing is written or sent.
    Replay {
        #[arg(long)]
        tenant: String,
        /// YYYY-MM-DD: claims first scrubbed on or after this day (UTC).
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PackCommand {
    /// Validate a pack file; on a problem, print its line and reason and exit 1.
    Check {
        file: PathBuf,
        #[arg(long, default_value = "")]
        payer: String,
    },
    /// Load a pack for a tenant (or one of its payers): validated first, the running one stays
    /// when it is refused.
    Load {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "")]
        payer: String,
        /// Who loads it (kept with the pack).
        #[arg(long, default_value = "rcm-cli")]
        by: String,
    },
    /// The tenant's packs.
    List {
        #[arg(long)]
        tenant: String,
        /// Also versions no longer in use.
        #[arg(long)]
        all: bool,
    },
    /// Stop using a tenant's pack.
    Remove {
        pack: String,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "")]
        payer: String,
    },
}

/// Units as a number or a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Units {
    Number(serde_json::Number),
    Text(String),
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NameJson {
    last: String,
    first: String,
    middle: String,
    suffix: String,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct AddressJson {
    line1: String,
    line2: String,
    city: String,
    state: String,
    postal_code: String,
    country: String,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PatientJson {
    patient_id: String,
    name: Option<NameJson>,
    birth_date: String,
    gender: String,
    address: Option<AddressJson>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CoverageJson {
    payer_id: String,
    payer_name: String,
    member_id: String,
    group_number: String,
    relationship: String,
    subscriber_name: Option<NameJson>,
    claim_filing: String,
    payer_responsibility: String,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ProviderJson {
    npi: String,
    organization_name: String,
    person: Option<NameJson>,
    tax_id: String,
    taxonomy: String,
    address: Option<AddressJson>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct LineJson {
    line_id: String,
    procedure_code: String,
    modifiers: Vec<String>,
    units: Option<Units>,
    charge_cents: i64,
    diagnosis_pointers: Vec<u32>,
    service_date: String,
    service_date_end: String,
    place_of_service: String,
    unit: String,
}

/// A claim as a biller writes it in JSON: the fields of `rcm.common.v1.Claim`; `total_charge_cents`
/// defaults to the sum of the lines.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ClaimJson {
    claim_id: String,
    encounter_id: String,
    patient_control_number: String,
    patient: Option<PatientJson>,
    coverage: Option<CoverageJson>,
    billing_provider: Option<ProviderJson>,
    rendering_provider: Option<ProviderJson>,
    referring_provider: Option<ProviderJson>,
    place_of_service: String,
    service_date: String,
    prior_authorization: String,
    diagnosis_codes: Vec<String>,
    lines: Vec<LineJson>,
    total_charge_cents: Option<i64>,
    frequency_code: String,
    payer_claim_control_number: String,
}

fn name(n: Option<NameJson>) -> Option<PersonName> {
    n.map(|n| PersonName { last: n.last, first: n.first, middle: n.middle, suffix: n.suffix })
}

fn address(a: Option<AddressJson>) -> Option<Address> {
    a.map(|a| Address {
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        state: a.state,
        postal_code: a.postal_code,
        country: a.country,
    })
}

fn provider(p: Option<ProviderJson>) -> Option<Provider> {
    p.map(|p| Provider {
        npi: p.npi,
        organization_name: p.organization_name,
        person: name(p.person),
        tax_id: p.tax_id,
        taxonomy: p.taxonomy,
        address: address(p.address),
    })
}

/// Reads a claim from JSON.
pub fn claim_from_json(text: &str) -> anyhow::Result<Claim> {
    let c: ClaimJson = serde_json::from_str(text)?;
    let lines: Vec<ServiceLine> = c
        .lines
        .into_iter()
        .map(|l| ServiceLine {
            line_id: l.line_id,
            procedure_code: l.procedure_code,
            modifiers: l.modifiers,
            units: match l.units {
                Some(Units::Number(n)) => n.to_string(),
                Some(Units::Text(t)) => t,
                None => "1".into(),
            },
            charge_cents: l.charge_cents,
            diagnosis_pointers: l.diagnosis_pointers,
            service_date: l.service_date,
            service_date_end: l.service_date_end,
            place_of_service: l.place_of_service,
            source: None,
            unit: if l.unit.is_empty() { "UN".into() } else { l.unit },
        })
        .collect();
    let total = c.total_charge_cents.unwrap_or_else(|| lines.iter().map(|l| l.charge_cents).sum());
    Ok(Claim {
        claim_id: c.claim_id,
        encounter_id: c.encounter_id,
        patient: c.patient.map(|p| Patient {
            patient_id: p.patient_id,
            name: name(p.name),
            birth_date: p.birth_date,
            gender: p.gender,
            address: address(p.address),
        }),
        coverage: c.coverage.map(|v| Coverage {
            payer_id: v.payer_id,
            payer_name: v.payer_name,
            member_id: v.member_id,
            group_number: v.group_number,
            relationship: v.relationship,
            subscriber_name: name(v.subscriber_name),
            claim_filing: v.claim_filing,
            payer_responsibility: v.payer_responsibility,
            ..Coverage::default()
        }),
        billing_provider: provider(c.billing_provider),
        rendering_provider: provider(c.rendering_provider),
        referring_provider: provider(c.referring_provider),
        place_of_service: c.place_of_service,
        service_date: c.service_date,
        prior_authorization: c.prior_authorization,
        diagnosis_codes: c.diagnosis_codes,
        lines,
        total_charge_cents: total,
        frequency_code: c.frequency_code,
        payer_claim_control_number: c.payer_claim_control_number,
        patient_control_number: c.patient_control_number,
        // A claim checked from a file is judged as sent once (versions start at 1).
        version: 1,
        other_coverages: Vec::new(),
        prior_adjudications: Vec::new(),
    })
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "warning",
    }
}

/// Findings for a terminal: one line each, the source under it.
pub fn print_findings(findings: &[RuleFinding], out: &mut impl Write) -> std::io::Result<()> {
    for f in findings {
        let over = match &f.overridden {
            Some(o) => format!(" (overridden by {})", o.who),
            None => String::new(),
        };
        writeln!(out, "{:<7} {:<26} {:<28} {}{over}", severity(f.severity), f.rule_id, f.field, f.message)?;
        writeln!(out, "        source: {} [pack {}]", f.source, f.pack)?;
    }
    Ok(())
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

async fn scrubbing_pool(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    let name = rcm_runtime::db::database_name(&config.database_prefix, rcm_scrubbing::NAME);
    rcm_runtime::db::open_service_database(
        &config.database_url,
        &config.database_prefix,
        rcm_scrubbing::NAME,
        Some(&rcm_scrubbing::MIGRATOR),
        2,
    )
    .await
    .with_context(|| format!("opening the scrubbing database {name}"))
}

async fn known_tenant(config: &Config, tenant: &str) -> anyhow::Result<()> {
    let registry = rcm_runtime::tenants::Registry::open(&config.database_url, &config.database_prefix).await?;
    if !registry.list().await?.iter().any(|t| t.tenant_id == tenant) {
        bail!("unknown tenant {tenant:?} (rcm tenants list)");
    }
    Ok(())
}

pub async fn run(command: ScrubCommand, config: &Config, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    match command {
        ScrubCommand::Check { claim, today, packs: pack_files, json } => {
            let claim =
                claim_from_json(&read(&claim)?).with_context(|| format!("reading the claim in {}", claim.display()))?;
            let mut tenant = TenantPacks::default();
            for spec in pack_files {
                let (file, payer) = match spec.rsplit_once(':') {
                    Some((f, p)) if !p.contains('/') => (f.to_string(), p.to_string()),
                    _ => (spec.clone(), String::new()),
                };
                let text = read(&PathBuf::from(&file))?;
                let pack = packs::parse(&text, &payer).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
                tenant.packs.push(Arc::new(pack));
            }
            let settings: ScrubbingConfig = config.section(rcm_scrubbing::NAME)?;
            let tables = Tables::shipped();
            let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let cx = decide::Context { today, packs: &tenant, prior: &[], overrides: &[] };
            let s = decide::scrub(&claim, &tables, &settings.settings(), &cx);
            if json {
                let value = serde_json::json!({ "outcome": s.state(), "findings": s.findings, "packs": s.packs });
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            } else {
                let errors = s.findings.iter().filter(|f| f.blocks()).count();
                writeln!(out, "{}: {errors} error(s), {} other finding(s)", s.state(), s.findings.len() - errors)?;
                writeln!(out, "packs: {}", s.packs.join(", "))?;
                print_findings(&s.findings, out)?;
            }
            Ok(if s.passes() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        ScrubCommand::Rules => {
            for r in rules::BUILTIN {
                writeln!(out, "{:<28} {:<7} {:<9} {}", r.id, severity(r.severity), r.pack, r.checks)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ScrubCommand::Explain { rule } => {
            let Some(r) = rules::builtin(rule.trim()) else {
                writeln!(out, "{rule}: not a built-in rule (a tenant's rule: ExplainRule over gRPC with the tenant)")?;
                return Ok(ExitCode::from(1));
            };
            let packs = Tables::shipped().packs();
            let pack = packs.iter().find(|p| p.id == r.pack);
            writeln!(out, "{} ({})", r.id, severity(r.severity))?;
            writeln!(out, "checks: {}", r.checks)?;
            writeln!(out, "source: {}", r.source)?;
            if let Some(p) = pack {
                let dates = match (p.effective_from, p.effective_to) {
                    (Some(f), Some(t)) => format!("{f} to {t}"),
                    (Some(f), None) => format!("from {f}"),
                    _ => "any date".into(),
                };
                writeln!(out, "pack: {} ({}), version {}, {dates}", p.id, p.name, p.version)?;
                writeln!(out, "outside its dates: {}", p.coverage_note)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ScrubCommand::Pack { command: PackCommand::Check { file, payer } } => match packs::parse(&read(&file)?, &payer)
        {
            Ok(p) => {
                writeln!(
                    out,
                    "{}: pack {} ({}), {} rule(s), effective from {}",
                    file.display(),
                    p.label(),
                    p.scope(),
                    p.rules.len(),
                    p.effective_from
                )?;
                for r in &p.rules {
                    writeln!(out, "  {:<24} {:<7} {}", r.id, severity(r.severity), r.describe())?;
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                writeln!(out, "{}: refused, {e}", file.display())?;
                Ok(ExitCode::from(1))
            }
        },
        ScrubCommand::Pack { command: PackCommand::Load { file, tenant, payer, by } } => {
            let text = read(&file)?;
            known_tenant(config, &tenant).await?;
            let pool = scrubbing_pool(config).await?;
            let mut tx = pool.begin().await?;
            match service::load_pack(&mut tx, &tenant, &payer, &text, &by, chrono::Utc::now()).await {
                Ok((pack, _)) => {
                    tx.commit().await?;
                    let scope = match &pack.payer_id {
                        Some(p) => format!("payer {p} of tenant {tenant}"),
                        None => format!("every payer of tenant {tenant}"),
                    };
                    let rules = pack.rules.len();
                    writeln!(out, "{}: pack {} loaded for {scope}, {rules} rule(s)", file.display(), pack.label())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ (rcm_scrubbing::Error::BadPack(_) | rcm_scrubbing::Error::PackConflict(_))) => {
                    writeln!(out, "{}: {e}; the running pack stays", file.display())?;
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
        ScrubCommand::Pack { command: PackCommand::List { tenant, all } } => {
            let pool = scrubbing_pool(config).await?;
            for p in store::packs(&pool, &tenant, all).await? {
                let info = rcm_scrubbing::grpc::stored_pack_info(&p);
                writeln!(
                    out,
                    "{:<24} {:<10} {:<14} {:<8} {} rule(s), from {}{}, loaded {} by {}",
                    info.pack_id,
                    info.version,
                    info.scope,
                    if info.active { "active" } else { "inactive" },
                    info.rules,
                    info.effective_from,
                    if info.effective_to.is_empty() { String::new() } else { format!(" to {}", info.effective_to) },
                    info.loaded_at,
                    info.loaded_by
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ScrubCommand::Pack { command: PackCommand::Remove { pack, tenant, payer } } => {
            let pool = scrubbing_pool(config).await?;
            let mut tx = pool.begin().await?;
            let removed = store::deactivate_pack(&mut tx, &tenant, &payer, &pack).await?;
            tx.commit().await?;
            if removed {
                writeln!(out, "pack {pack} of tenant {tenant} is no longer used")?;
                Ok(ExitCode::SUCCESS)
            } else {
                writeln!(
                    out,
                    "no active pack {pack} for tenant {tenant}{}",
                    if payer.is_empty() { String::new() } else { format!(" and payer {payer}") }
                )?;
                Ok(ExitCode::from(1))
            }
        }
        ScrubCommand::Replay { tenant, from, json } => {
            known_tenant(config, &tenant).await?;
            let pool = scrubbing_pool(config).await?;
            let settings: ScrubbingConfig = config.section(rcm_scrubbing::NAME)?;
            let state = State::new(settings.settings());
            let from = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
            let report = rcm_scrubbing::replay::replay(&pool, &state, &tenant, from).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                rcm_scrubbing::replay::print(&report, out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = r#"{
        "patient": {"patient_id": "P1", "name": {"last": "Doe", "first": "Jan"}, "birth_date": "1980-02-29",
                    "gender": "F", "address": {"line1": "2 Oak St", "city": "Springfield"}},
        "coverage": {"payer_id": "87726", "member_id": "M1"},
        "billing_provider": {"npi": "1234567893", "organization_name": "Clinic", "tax_id": "123456789",
                             "address": {"line1": "1 Main St", "city": "Springfield", "state": "IL", "postal_code": "627011234"}},
        "patient_control_number": "PCN1",
        "place_of_service": "11",
        "service_date": "2026-03-02",
        "diagnosis_codes": ["I10"],
        "lines": [{"procedure_code": "20610", "charge_cents": 16311, "diagnosis_pointers": [1]},
                  {"procedure_code": "99213", "units": 1, "charge_cents": 22719, "diagnosis_pointers": [1]}]
    }"#;

    #[test]
    fn a_claim_from_json_is_scrubbed_offline() {
        // Given a claim in JSON with an NCCI pair (20610 with 99213, no modifier 25)
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("claim.json");
        std::fs::write(&file, CLAIM).unwrap();
        // When it is checked as of 2026-03-10
        let mut out = Vec::new();
        let today = NaiveDate::from_ymd_opt(2026, 3, 10);
        let code = tokio_run(ScrubCommand::Check { claim: file.clone(), today, packs: vec![], json: false }, &mut out);
        // Then it is rejected (exit 1) naming the rule, its field and its source
        let text = String::from_utf8(out).unwrap();
        assert_eq!(code, ExitCode::from(1), "{text}");
        assert!(text.starts_with("rejected: 1 error(s), 1 other finding(s)"), "{text}");
        assert!(text.contains("SCRUB-NCCI-PTP             lines[1].procedure_code"), "{text}");
        assert!(
            text.contains("source: CMS NCCI procedure-to-procedure edits, practitioner, 2024Q3 [pack ncci]"),
            "{text}"
        );
        // And with 25 on the visit it passes (exit 0)
        std::fs::write(&file, CLAIM.replace(r#""units": 1"#, r#""units": 1, "modifiers": ["25"]"#)).unwrap();
        let mut out = Vec::new();
        let code = tokio_run(ScrubCommand::Check { claim: file, today, packs: vec![], json: true }, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS, "{v}");
        assert_eq!(v["outcome"], "scrubbed");
    }

    #[test]
    fn the_example_claim_and_pack_from_the_readme() {
        // Given the example claim and the example BLU01 pack shipped in services/scrubbing/examples
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scrubbing/examples");
        let claim = dir.join("claim.json");
        let pack = format!("{}:BLU01", dir.join("blu01-pack.toml").display());
        let today = NaiveDate::from_ymd_opt(2026, 3, 10);
        // When it is checked with the pack
        let mut out = Vec::new();
        let check = ScrubCommand::Check { claim: claim.clone(), today, packs: vec![pack.clone()], json: true };
        let code = tokio_run(check, &mut out);
        // Then it is rejected by a real NCCI pair and by the payer's rule, and by nothing else
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(code, ExitCode::from(1));
        let errors: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["rule_id"].as_str().unwrap())
            .collect();
        assert_eq!(errors, ["SCRUB-NCCI-PTP", "BLU01-THERAPY-GP"], "{v}");
        // And with 25 on the visit and GP on the therapy it passes
        let text = std::fs::read_to_string(&claim).unwrap();
        let fixed = text
            .replace(r#""procedure_code": "99214","#, r#""procedure_code": "99214", "modifiers": ["25"],"#)
            .replace(r#""procedure_code": "97110","#, r#""procedure_code": "97110", "modifiers": ["GP"],"#);
        let tmp = tempfile::tempdir().unwrap();
        let fixed_file = tmp.path().join("fixed.json");
        std::fs::write(&fixed_file, fixed).unwrap();
        let mut out = Vec::new();
        let check = ScrubCommand::Check { claim: fixed_file, today, packs: vec![pack], json: false };
        assert_eq!(tokio_run(check, &mut out), ExitCode::SUCCESS, "{}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn a_bad_pack_file_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.toml");
        std::fs::write(&file, "id = \"p\"\nversion = \"1\"\neffective_from = 2026-01-01\n\n[[rule]]\nid = \"P-1\"\nseverity = \"fatal\"\nmessage = \"m\"\nwhen.sex = \"F\"\n").unwrap();
        let mut out = Vec::new();
        let code =
            tokio_run(ScrubCommand::Pack { command: PackCommand::Check { file, payer: String::new() } }, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(code, ExitCode::from(1));
        assert!(text.ends_with("refused, line 7: severity must be \"error\" or \"warning\", not `fatal`\n"), "{text}");
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let e = claim_from_json(r#"{"lines": [{"procedure": "99213"}]}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `procedure`"), "{e}");
    }

    fn tokio_run(command: ScrubCommand, out: &mut Vec<u8>) -> ExitCode {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(command, &Config::default(), out)).unwrap()
    }
}
