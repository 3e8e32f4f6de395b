//! Identifiers and code sets shared by the services.
//!
//! The code sets ship inside the crate (`data/`, provenance in `data/SOURCES.md`) and are loaded
//! once, at first use, by the `shipped()` functions: ICD-10-CM for two fiscal years
//! ([`icd10cm`]), HCPCS Level II ([`hcpcs`]), modifiers ([`modifiers`]), place of service
//! ([`pos`]) and the CPT code numbers CMS publishes ([`cpt`]; CPT descriptions are licensed and
//! come from the operator, per tenant, through [`cpt::LicensedCpt`]). The claim edits' tables:
//! NCCI practitioner PTP, MUE and add-on code edits for 2024 Q3 ([`ncci`]) and the MCE v41.1
//! age, sex and manifestation edits ([`mce`]).

pub mod cpt;
pub mod hcpcs;
pub mod icd10cm;
pub mod mce;
pub mod modifiers;
pub mod ncci;
pub mod npi;
pub mod pos;
mod text;

use std::io::Read;

/// Everything that can go wrong building a code set. Messages name the file and line; those about
/// a licensed CPT file never quote it (its text must not end up in logs).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeSetError {
    /// A row of a code-set file is not what the loader expects.
    #[error("{file}, line {line}: {problem}")]
    Data { file: String, line: usize, problem: String },
    /// A version ends before it starts.
    #[error("version {name}: effective_to {to} is before effective_from {from}")]
    EmptyRange { name: String, from: chrono::NaiveDate, to: chrono::NaiveDate },
    /// Two versions would both be in force on some day.
    #[error("versions {first} and {second} overlap: a date must choose one version")]
    Overlap { first: String, second: String },
    /// A code set with no version cannot answer for any date.
    #[error("a code set needs at least one version")]
    NoVersions,
    /// A line of an operator's licensed CPT file is unusable.
    #[error("licensed CPT file, line {line}: {problem}")]
    LicensedCpt { line: usize, problem: &'static str },
}

impl CodeSetError {
    fn data(file: &str, line: usize, problem: impl Into<String>) -> Self {
        CodeSetError::Data { file: file.to_owned(), line, problem: problem.into() }
    }
}

/// The text of a gzip file shipped in `data/`. Only called on our own files, which the tests
/// load, so a failure is a packaging bug, not an input error.
fn gunzip_shipped(name: &str, bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 10);
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("shipped file {name} is not gzip-compressed UTF-8: {e}"));
    text
}

/// The data rows of a tab-separated file whose first line must be `header`, with their 1-based
/// line numbers; empty lines are skipped.
fn tsv_rows<'t>(
    file: &str,
    text: &'t str,
    header: &str,
) -> Result<impl Iterator<Item = (usize, Vec<&'t str>)>, CodeSetError> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    if first.trim_end() != header {
        return Err(CodeSetError::data(file, 1, format!("the header row must be `{}`", header.replace('\t', " TAB "))));
    }
    Ok(lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 2, line.trim_end_matches('\r').split('\t').collect())))
}

/// An optional ISO date field: empty is `None`.
fn parse_date(file: &str, line: usize, field: &str) -> Result<Option<chrono::NaiveDate>, CodeSetError> {
    if field.is_empty() {
        return Ok(None);
    }
    field.parse().map(Some).map_err(|_| CodeSetError::data(file, line, format!("`{field}` is not a YYYY-MM-DD date")))
}
