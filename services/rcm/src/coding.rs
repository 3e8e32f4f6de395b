//! `rcm coding ...`: the coding service's code sets and note suggestions from the command line,
//! without servers (for coders trying codes, and for measuring the suggester on a labelled set).

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::{Code, Icd10Cm};
use rcm_coding::suggest;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CodingCommand {
    /// Measure the note suggester on a labelled set (JSON Lines: id, note, expected codes).
    Eval {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// One ICD-10-CM code (or HCPCS with --hcpcs) as it stands on a date.
    Lookup {
        code: String,
        /// YYYY-MM-DD; today when left out.
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        hcpcs: bool,
    },
    /// ICD-10-CM (or HCPCS with --hcpcs) codes by code prefix or by the words of their descriptions.
    Search {
        query: String,
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        hcpcs: bool,
    },
    /// ICD-10-CM suggestions for a clinical note (the text, or --file).
    Suggest {
        text: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn icd_line(c: &Code) -> String {
    let kind = if c.billable { "billable" } else { "header" };
    format!("{:<9} {:<8} {}  [chapter {}, block {}]", c.dotted(), kind, c.description, c.chapter.id, c.block.id)
}

/// Runs one command; a closed pipe on stdout (`| head`) ends it quietly.
pub fn run(command: CodingCommand) -> anyhow::Result<ExitCode> {
    match run_to(command, &mut std::io::stdout().lock()) {
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) => {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

fn run_to(command: CodingCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let today = chrono::Utc::now().date_naive();
    match command {
        CodingCommand::Eval { file, json } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let suggester = rcm_coding::handlers::shipped_suggester(Icd10Cm::shipped()).map_err(anyhow::Error::msg)?;
            let report = suggest::evaluate(&suggester, &text).map_err(anyhow::Error::msg)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write!(out, "{report}")?;
            }
        }
        CodingCommand::Lookup { code, date, hcpcs } => {
            let date = date.unwrap_or(today);
            if hcpcs {
                let Some(h) = Hcpcs::shipped().get(&code) else {
                    writeln!(out, "{code}: not a HCPCS Level II code")?;
                    return Ok(ExitCode::from(1));
                };
                let state = if h.in_force(date) { "in force" } else { "NOT in force" };
                writeln!(out, "{} {} on {date}: {}", h.code, state, h.long_description)?;
                return Ok(if h.in_force(date) { ExitCode::SUCCESS } else { ExitCode::from(1) });
            }
            let choice = Icd10Cm::shipped().for_date(date);
            let v = choice.version();
            let note = if choice.in_force() { "" } else { " (no version in force on the date; the nearest)" };
            writeln!(out, "{}{note}", v.name())?;
            match v.get(&code) {
                Some(c) => {
                    writeln!(out, "{}", icd_line(&c))?;
                    if !c.billable {
                        writeln!(out, "billable codes under it:")?;
                        for child in v.billable_children(c.code, 50) {
                            writeln!(out, "  {}", icd_line(&child))?;
                        }
                        return Ok(ExitCode::from(1));
                    }
                }
                None => {
                    writeln!(out, "{code}: not an ICD-10-CM code in {}", v.name())?;
                    return Ok(ExitCode::from(1));
                }
            }
        }
        CodingCommand::Search { query, date, limit, hcpcs } => {
            let date = date.unwrap_or(today);
            if hcpcs {
                for h in Hcpcs::shipped().search(&query, limit) {
                    let state = if h.in_force(date) { "" } else { "  (not in force)" };
                    writeln!(out, "{:<6} {}{state}", h.code, h.long_description)?;
                }
            } else {
                let v = Icd10Cm::shipped().for_date(date).version();
                for c in v.search(&query, limit) {
                    writeln!(out, "{}", icd_line(&c))?;
                }
            }
        }
        CodingCommand::Suggest { text, file, limit, json } => {
            let note = match (text, file) {
                (Some(t), None) => t,
                (None, Some(f)) => std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?,
                _ => anyhow::bail!("give the note as text or --file, not both"),
            };
            let suggester = rcm_coding::handlers::shipped_suggester(Icd10Cm::shipped()).map_err(anyhow::Error::msg)?;
            let found = suggester.suggest(&note, &[], limit);
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&found)?)?;
            } else {
                for s in &found {
                    let history = if s.history { "  (history)" } else { "" };
                    let words: Vec<&str> = s.evidence.iter().map(|e| e.text.as_str()).collect();
                    writeln!(out, "{:<8} {:.2}  {}  <- {:?}{history}", s.code, s.confidence, s.description, words)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
