//! `rcm x12 parse FILE [--json]` and `rcm x12 check FILE`.

use anyhow::{Context, Result};
use clap::Subcommand;
use rcm_x12::{Finding, Severity, X12Error, syntax, x277ca, x835, x837p, x999};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum X12Command {
    /// Read a file into its typed model (837P, 835, 999 or 277CA, found from ST01).
    Parse {
        file: PathBuf,
        /// Print the typed model as JSON (otherwise a summary).
        #[arg(long)]
        json: bool,
    },
    /// Our own checks: envelopes, counts, control numbers and (835) balancing. Exits 1 on any
    /// finding, 2 when the file cannot be read.
    Check { file: PathBuf },
}

enum Parsed {
    P837(x837p::Document837),
    P835(x835::Document835),
    P999(x999::Document999),
    P277(x277ca::Document277ca),
}

impl Parsed {
    fn findings(&self) -> &[Finding] {
        match self {
            Parsed::P837(d) => &d.findings,
            Parsed::P835(d) => &d.findings,
            Parsed::P999(d) => &d.findings,
            Parsed::P277(d) => &d.findings,
        }
    }

    fn json(&self) -> serde_json::Result<String> {
        match self {
            Parsed::P837(d) => serde_json::to_string_pretty(d),
            Parsed::P835(d) => serde_json::to_string_pretty(d),
            Parsed::P999(d) => serde_json::to_string_pretty(d),
            Parsed::P277(d) => serde_json::to_string_pretty(d),
        }
    }

    fn summary(&self) -> String {
        match self {
            Parsed::P837(d) => format!(
                "837P: {} interchange(s), {} claim(s), billed {}",
                d.interchanges.len(),
                d.claims().count(),
                rcm_x12::value::cents_to_string(d.claims().map(|c| c.total_charge).sum())
            ),
            Parsed::P835(d) => {
                let claims: usize = d.remittances.iter().map(|r| r.claim_count()).sum();
                format!("835: {} remittance(s), {} claim(s)", d.remittances.len(), claims)
            }
            Parsed::P999(d) => format!("999: {} acknowledgement(s), status {:?}", d.acks().count(), d.status()),
            Parsed::P277(d) => {
                let claims = d.claims();
                let accepted = claims.iter().filter(|c| c.accepted).count();
                format!(
                    "277CA: {} claim(s), {} accepted, {} not accepted",
                    claims.len(),
                    accepted,
                    claims.len() - accepted
                )
            }
        }
    }
}

fn parse(bytes: &[u8]) -> Result<Parsed, X12Error> {
    let kind = {
        let file = syntax::parse_interchanges(bytes)?;
        file.transactions().next().map(|(_, _, t)| t.id.to_string()).unwrap_or_default()
    };
    Ok(match kind.as_str() {
        "837" => Parsed::P837(x837p::parse_837p(bytes)?),
        "835" => Parsed::P835(x835::parse_835(bytes)?),
        "999" => Parsed::P999(x999::parse_999(bytes)?),
        "277" => Parsed::P277(x277ca::parse_277ca(bytes)?),
        "" => return Err(X12Error::NotX12("the file has no transaction set".into())),
        other => {
            return Err(X12Error::NotX12(format!(
                "transaction set {other} is not one rcm reads (837P, 835, 999, 277CA)"
            )));
        }
    })
}

pub fn run(cmd: X12Command) -> Result<ExitCode> {
    match cmd {
        X12Command::Parse { file, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            match parse(&bytes) {
                Ok(p) => {
                    if json {
                        println!("{}", p.json()?);
                    } else {
                        println!("{}", p.summary());
                        for f in p.findings() {
                            println!("{f}");
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    Ok(ExitCode::from(2))
                }
            }
        }
        X12Command::Check { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            match parse(&bytes) {
                Ok(p) => {
                    let findings = p.findings();
                    for f in findings {
                        println!("{f}");
                    }
                    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
                    println!(
                        "{}: {} ({} error(s), {} warning(s))",
                        file.display(),
                        if findings.is_empty() { "OK" } else { "PROBLEMS" },
                        errors,
                        findings.len() - errors
                    );
                    Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
                }
                Err(e) => {
                    println!("{}: cannot be read: {e}", file.display());
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
