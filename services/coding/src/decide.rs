//! Coding's decisions, without I/O: the form of codes, the pricing of lines, whether an encounter
//! becomes a claim (`ClaimCoded`) or waits for a coder (`CodingReviewRequired`), and what a
//! correction denials asks for becomes (a void at once, or a replacement for a coder).

use chrono::NaiveDate;
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::{Icd10Cm, Version, VersionChoice};
use rcm_codesets::{cpt, modifiers, pos};
use rcm_proto::common::{Claim, CodeSuggestion, Encounter, Finding, ServiceLine, Severity, SourceCode};
use rcm_proto::events::{ClaimCoded, CodingReviewRequired, CorrectionRequested};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{HashMap, HashSet};

/// The most diagnosis codes a claim carries (837P HI segments: 12).
pub const MAX_DIAGNOSES: usize = 12;
/// The most diagnosis pointers a line carries (837P SV107: 4).
pub const MAX_POINTERS: usize = 4;
/// The most modifiers a line carries (837P SV101-3 to -6: 4).
pub const MAX_MODIFIERS: usize = 4;
/// Modifiers that select a fee schedule row of their own (professional and technical components,
/// discontinued procedure).
pub const PRICING_MODIFIERS: [&str; 3] = ["26", "TC", "53"];

// ---------------------------------------------------------------------------------------------
// Code forms
// ---------------------------------------------------------------------------------------------

/// A diagnosis code as coding bills it: trimmed, without the dot, upper-case.
pub fn normalize_code(code: &str) -> String {
    code.trim().chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase()
}

/// ICD-10-CM without the dot: a letter, a digit, then 1 to 5 letters or digits. U is reserved
/// for codes assigned outside the annual release: only the U07 and U09 categories (U07.1
/// COVID-19, U09.9 post COVID-19 condition, ...) are ICD-10-CM.
pub fn is_icd10cm(code: &str) -> bool {
    let b = code.as_bytes();
    (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && (b[0] != b'U' || code.starts_with("U07") || code.starts_with("U09"))
}

/// What kind of procedure code a code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcedureKind {
    /// CPT: five digits (Category I), or four digits and F (Category II), T (Category III) or U
    /// (proprietary laboratory analyses).
    Cpt,
    /// HCPCS Level II: a letter A to V and four digits.
    Hcpcs,
}

pub fn procedure_kind(code: &str) -> Option<ProcedureKind> {
    let b = code.as_bytes();
    if b.len() != 5 {
        return None;
    }
    if b[..4].iter().all(u8::is_ascii_digit) && (b[4].is_ascii_digit() || matches!(b[4], b'F' | b'T' | b'U')) {
        return Some(ProcedureKind::Cpt);
    }
    if (b'A'..=b'V').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit) {
        return Some(ProcedureKind::Hcpcs);
    }
    None
}

/// A modifier: two letters or digits.
pub fn is_modifier(m: &str) -> bool {
    m.len() == 2 && m.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The patient control number (CLM01) of a claim: its id's 32 hex digits, without dashes.
pub fn patient_control_number(claim_id: &str) -> String {
    match uuid::Uuid::parse_str(claim_id) {
        Ok(id) => id.simple().to_string(),
        Err(_) => claim_id.replace('-', ""),
    }
}

// ---------------------------------------------------------------------------------------------
// Fee schedule
// ---------------------------------------------------------------------------------------------

/// One row of a fee schedule: the charge for a procedure code with a modifier (empty for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    pub procedure_code: String,
    pub modifier: String,
    pub charge_cents: i64,
}

/// Reads a fee schedule TSV: `#` comment lines, a header row `procedure_code, modifier,
/// charge_cents`, then one row per fee.
pub fn parse_fee_schedule(text: &str) -> Result<Vec<Fee>, String> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    match lines.next() {
        Some((_, h)) if h.split('\t').collect::<Vec<_>>() == ["procedure_code", "modifier", "charge_cents"] => {}
        _ => return Err("the header row must be procedure_code, modifier, charge_cents (tab-separated)".into()),
    }
    let mut fees = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, line) in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let row = i + 1;
        let [code, modifier, cents] = cols[..] else {
            return Err(format!("line {row}: expected 3 tab-separated columns, got {}", cols.len()));
        };
        let code = code.trim().to_ascii_uppercase();
        let modifier = modifier.trim().to_ascii_uppercase();
        if procedure_kind(&code).is_none() {
            return Err(format!("line {row}: {code:?} is not a CPT or HCPCS code"));
        }
        if !modifier.is_empty() && !is_modifier(&modifier) {
            return Err(format!("line {row}: {modifier:?} is not a modifier"));
        }
        let charge_cents = cents.trim().parse::<i64>().ok().filter(|c| *c >= 0);
        let Some(charge_cents) = charge_cents else {
            return Err(format!("line {row}: charge_cents {cents:?} is not a whole number of cents"));
        };
        if let Some(first) = seen.insert((code.clone(), modifier.clone()), row) {
            return Err(format!(
                "line {row}: {code} with modifier {modifier:?} is priced again (first on line {first})"
            ));
        }
        fees.push(Fee { procedure_code: code, modifier, charge_cents });
    }
    if fees.is_empty() {
        return Err("the schedule has no fee rows".into());
    }
    Ok(fees)
}

/// The fees that matter for one encounter, by (code, modifier).
#[derive(Debug, Clone, Default)]
pub struct FeeSchedule {
    fees: HashMap<(String, String), i64>,
}

impl FromIterator<Fee> for FeeSchedule {
    fn from_iter<T: IntoIterator<Item = Fee>>(iter: T) -> Self {
        FeeSchedule { fees: iter.into_iter().map(|f| ((f.procedure_code, f.modifier), f.charge_cents)).collect() }
    }
}

impl FeeSchedule {
    /// The fee for one unit: the row for the first pricing modifier (26, TC, 53) the line has and
    /// the schedule knows, else the row without modifier.
    pub fn price(&self, code: &str, modifiers: &[String]) -> Option<i64> {
        modifiers
            .iter()
            .filter(|m| PRICING_MODIFIERS.contains(&m.as_str()))
            .find_map(|m| self.fees.get(&(code.to_string(), m.clone())))
            .or_else(|| self.fees.get(&(code.to_string(), String::new())))
            .copied()
    }
}

/// The procedure codes of an encounter's lines, normalised (for looking up their fees).
pub fn procedure_codes(e: &Encounter) -> Vec<String> {
    let mut codes: Vec<String> = e.lines.iter().map(|l| normalize_code(&l.procedure_code)).collect();
    codes.retain(|c| !c.is_empty());
    codes.sort();
    codes.dedup();
    codes
}

// ---------------------------------------------------------------------------------------------
// What an encounter is judged against
// ---------------------------------------------------------------------------------------------

/// What to do when no ICD-10-CM version loaded is in force on the date of service (a date after the
/// newest version, before the oldest, or between two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideVersions {
    /// Judge by the nearest version and say so in a warning (the default: a new fiscal year's
    /// codes are mostly last year's).
    #[default]
    Warn,
    /// Send the encounter to a coder.
    Error,
}

/// How a tenant wants coding to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Note suggestions at or above this confidence code an encounter that came without diagnosis
    /// codes; below, it waits for a coder.
    pub auto_code_min_confidence: f32,
    /// Every encounter without the source's diagnosis codes waits for a coder.
    pub always_review_suggestions: bool,
    pub outside_versions: OutsideVersions,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            auto_code_min_confidence: 0.85,
            always_review_suggestions: false,
            outside_versions: OutsideVersions::Warn,
        }
    }
}

/// The tenant's licensed CPT file, as far as one encounter needs it: whether the tenant loaded one,
/// and which of the encounter's CPT codes it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantCpt {
    pub loaded: bool,
    pub known: HashSet<String>,
}

/// Everything an encounter is judged against.
pub struct Books<'a> {
    pub icd: &'a Icd10Cm,
    pub hcpcs: &'a Hcpcs,
    pub cpt: &'a TenantCpt,
    pub fees: &'a FeeSchedule,
    pub policy: &'a Policy,
}

// ---------------------------------------------------------------------------------------------
// The outcome
// ---------------------------------------------------------------------------------------------

/// What coding does with an encounter.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Coded(Box<ClaimCoded>),
    ReviewRequired(CodingReviewRequired),
}

impl Outcome {
    pub fn findings(&self) -> &[Finding] {
        match self {
            Outcome::Coded(c) => &c.findings,
            Outcome::ReviewRequired(r) => &r.findings,
        }
    }
}

fn finding(severity: Severity, rule: &str, field: String, message: String) -> Finding {
    Finding { rule_id: rule.into(), field, message, severity: severity as i32 }
}

fn error(rule: &str, field: String, message: String) -> Finding {
    finding(Severity::Error, rule, field, message)
}

fn warning(rule: &str, field: String, message: String) -> Finding {
    finding(Severity::Warning, rule, field, message)
}

/// The diagnoses a claim goes out with: the source's, or (when it sent none) the confident
/// suggestions from the note. `Err` is the finding that sends the encounter to a coder.
fn choose_diagnoses(
    e: &Encounter,
    suggestions: &[CodeSuggestion],
    policy: &Policy,
) -> Result<(Vec<String>, Option<Finding>), Finding> {
    if !e.diagnosis_codes.is_empty() {
        return Ok((e.diagnosis_codes.iter().map(|c| normalize_code(c)).collect(), None));
    }
    let min = policy.auto_code_min_confidence;
    let confident: Vec<&CodeSuggestion> =
        suggestions.iter().filter(|s| !s.history && s.confidence >= min).take(MAX_DIAGNOSES).collect();
    let best = suggestions.iter().filter(|s| !s.history).map(|s| s.confidence).reduce(f32::max);
    let why = match best {
        None => format!(
            "no ICD-10-CM diagnosis code, and no suggestion from the note or the {} source condition(s)",
            e.conditions.len()
        ),
        Some(_) if policy.always_review_suggestions => {
            "no ICD-10-CM diagnosis code from the source; the tenant has a coder review every suggestion".into()
        }
        Some(best) if confident.is_empty() => format!(
            "no ICD-10-CM diagnosis code from the source; the best suggestion's confidence {best:.2} is below the tenant's {min:.2}"
        ),
        Some(_) => {
            let used: Vec<String> = confident.iter().map(|s| format!("{} ({:.2})", s.code, s.confidence)).collect();
            let note = warning(
                "CODING-FROM-NOTE",
                "diagnosis_codes".into(),
                format!("diagnoses from the note's suggestions at confidence {min:.2} or more: {}", used.join(", ")),
            );
            return Ok((confident.iter().map(|s| s.code.clone()).collect(), Some(note)));
        }
    };
    Err(error("CODING-NO-DIAGNOSIS", "diagnosis_codes".into(), why))
}

/// Why a diagnosis cannot be billed on the date of service, if it cannot.
fn diagnosis_problem(field: &str, code: &str, version: &Version, icd: &Icd10Cm) -> Option<Finding> {
    if !is_icd10cm(code) {
        return Some(error(
            "CODING-ICD-FORM",
            field.into(),
            format!("{field} is not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits)"),
        ));
    }
    match version.get(code) {
        Some(c) if c.billable => None,
        Some(c) => {
            const SHOWN: usize = 8;
            let children = version.billable_children(code, SHOWN + 1);
            let mut named: Vec<String> = children.iter().take(SHOWN).map(|c| c.dotted()).collect();
            if children.len() > SHOWN {
                named.push("…".into());
            }
            Some(error(
                "CODING-ICD-HEADER",
                field.into(),
                format!(
                    "{field} {} is a header in {}, not billable; bill one of the codes under it: {}",
                    c.dotted(),
                    version.name(),
                    named.join(", ")
                ),
            ))
        }
        None => Some(match icd.other_version_with(code, version) {
            Some(other) => error(
                "CODING-ICD-NOT-IN-FORCE",
                field.into(),
                format!(
                    "{field} {code} is not in {} ({}), the version in force on the date of service; it is in {} ({})",
                    version.name(),
                    version.in_force_text(),
                    other.name(),
                    other.in_force_text()
                ),
            ),
            None => error(
                "CODING-ICD-UNKNOWN",
                field.into(),
                format!("{field} {code} is not an ICD-10-CM code in {}", version.name()),
            ),
        }),
    }
}

/// Why a well-formed procedure code cannot be billed on the date, if it cannot.
fn procedure_problem(
    field: &str,
    code: &str,
    kind: ProcedureKind,
    dos: Option<NaiveDate>,
    books: &Books,
) -> Option<Finding> {
    match kind {
        ProcedureKind::Cpt if books.cpt.loaded => (!books.cpt.known.contains(code)).then(|| {
            error(
                "CODING-CPT-UNKNOWN",
                field.into(),
                format!("{field} {code} is not in the tenant's licensed CPT file"),
            )
        }),
        ProcedureKind::Cpt => (!cpt::cms_carries(code)).then(|| {
            error(
                "CODING-CPT-UNKNOWN",
                field.into(),
                format!(
                    "{field} {code} is not a CPT code number that CMS's public tables carry (physician fee schedule, \
                     NCCI MUE); load the tenant's licensed CPT file to check codes against it"
                ),
            )
        }),
        ProcedureKind::Hcpcs => match books.hcpcs.get(code) {
            None => Some(error(
                "CODING-HCPCS-UNKNOWN",
                field.into(),
                format!("{field} {code} is not a HCPCS Level II code"),
            )),
            Some(h) => match dos {
                Some(d) if !h.in_force(d) => {
                    let when = match (h.added, h.terminated) {
                        (Some(a), _) if d < a => format!("it was added on {a}"),
                        (_, Some(t)) => format!("it was terminated on {t}"),
                        _ => "it is not in force then".into(),
                    };
                    Some(error(
                        "CODING-HCPCS-NOT-IN-FORCE",
                        field.into(),
                        format!("{field} {code} is not in force on the date of service {d}: {when}"),
                    ))
                }
                _ => None,
            },
        },
    }
}

/// Codes and prices an encounter, judging every code against the code sets in force on its date
/// of service. Every code valid, at least one diagnosis (the source's, or confident suggestions
/// from the note) and every line priced: a claim (`claim_id` from the envelope; the patient control
/// number its 32 hex digits; pointers default to the first diagnosis; total = sum of lines).
/// Otherwise the findings, with the source's conditions, line codes and the note's suggestions as
/// evidence for the coder.
pub fn code_encounter(claim_id: &str, e: &Encounter, books: &Books, suggestions: &[CodeSuggestion]) -> Outcome {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    // The date of service chooses the code set versions.
    let dos = NaiveDate::parse_from_str(e.service_date.trim(), "%Y-%m-%d").ok();
    if dos.is_none() {
        errors.push(error(
            "CODING-SERVICE-DATE",
            "service_date".into(),
            "the encounter has no valid date of service (YYYY-MM-DD); codes are judged by the newest code set".into(),
        ));
    }
    let newest = books.icd.newest();
    let version = match dos.map(|d| (d, books.icd.for_date(d))) {
        None => newest,
        Some((_, VersionChoice::InForce(v))) => v,
        Some((d, VersionChoice::Nearest(v))) => {
            let message = format!(
                "no ICD-10-CM version loaded is in force on the date of service {d}; codes are judged by {} ({})",
                v.name(),
                v.in_force_text()
            );
            match books.policy.outside_versions {
                OutsideVersions::Warn => warnings.push(warning("CODING-ICD-VERSION", "service_date".into(), message)),
                OutsideVersions::Error => errors.push(error("CODING-ICD-VERSION", "service_date".into(), message)),
            }
            v
        }
    };

    let mut from_note = false;
    let diagnoses = match choose_diagnoses(e, suggestions, books.policy) {
        Ok((d, note)) => {
            from_note = note.is_some();
            warnings.extend(note);
            d
        }
        Err(f) => {
            errors.push(f);
            Vec::new()
        }
    };
    if diagnoses.len() > MAX_DIAGNOSES {
        errors.push(error(
            "CODING-TOO-MANY-DIAGNOSES",
            "diagnosis_codes".into(),
            format!("{} diagnosis codes; a claim carries at most {MAX_DIAGNOSES}", diagnoses.len()),
        ));
    }
    for (i, d) in diagnoses.iter().enumerate() {
        errors.extend(diagnosis_problem(&format!("diagnosis_codes[{i}]"), d, version, books.icd));
    }
    if !e.place_of_service.is_empty() && pos::place_of_service(&e.place_of_service).is_none() {
        errors.push(error(
            "CODING-POS-UNKNOWN",
            "place_of_service".into(),
            format!("place_of_service {} is not a CMS place-of-service code", e.place_of_service),
        ));
    }

    let mut lines = Vec::with_capacity(e.lines.len());
    for (i, source_line) in e.lines.iter().enumerate() {
        let mut line = source_line.clone();
        line.procedure_code = normalize_code(&line.procedure_code);
        line.modifiers = line.modifiers.iter().map(|m| m.trim().to_ascii_uppercase()).collect();
        if line.line_id.is_empty() {
            line.line_id = (i + 1).to_string();
        }
        if line.service_date.is_empty() {
            line.service_date = e.service_date.clone();
        }
        if line.unit.is_empty() {
            line.unit = "UN".into();
        }
        if line.units.trim().is_empty() {
            line.units = "1".into();
        }
        if from_note {
            // The source sent no diagnoses, so its pointers (if any) point at nothing: each line
            // points at the note's first diagnoses.
            line.diagnosis_pointers = (1..=diagnoses.len().min(MAX_POINTERS) as u32).collect();
        } else if line.diagnosis_pointers.is_empty() && !diagnoses.is_empty() {
            line.diagnosis_pointers = vec![1];
        }

        let field = format!("lines[{i}].procedure_code");
        let code_ok = if line.procedure_code.is_empty() {
            errors.push(error(
                "CODING-NO-PROCEDURE",
                field,
                format!("lines[{i}] has no CPT or HCPCS code; its source code is evidence"),
            ));
            false
        } else if let Some(kind) = procedure_kind(&line.procedure_code) {
            let line_dos = NaiveDate::parse_from_str(&line.service_date, "%Y-%m-%d").ok().or(dos);
            errors.extend(procedure_problem(&field, &line.procedure_code, kind, line_dos, books));
            true
        } else {
            errors.push(error(
                "CODING-PROCEDURE-FORM",
                field,
                format!("lines[{i}].procedure_code is neither CPT (5 digits, or 4 digits and F, T or U) nor HCPCS Level II (A to V and 4 digits)"),
            ));
            false
        };
        if line.modifiers.len() > MAX_MODIFIERS {
            errors.push(error(
                "CODING-MODIFIER-COUNT",
                format!("lines[{i}].modifiers"),
                format!("lines[{i}] has {} modifiers; at most {MAX_MODIFIERS}", line.modifiers.len()),
            ));
        }
        for (j, m) in line.modifiers.iter().enumerate() {
            if !is_modifier(m) {
                errors.push(error(
                    "CODING-MODIFIER-FORM",
                    format!("lines[{i}].modifiers[{j}]"),
                    format!("lines[{i}].modifiers[{j}] is not a modifier (two letters or digits)"),
                ));
            } else if modifiers::modifier(m).is_none() {
                errors.push(error(
                    "CODING-MODIFIER-UNKNOWN",
                    format!("lines[{i}].modifiers[{j}]"),
                    format!("lines[{i}].modifiers[{j}] {m} is neither a CPT nor a HCPCS Level II modifier"),
                ));
            }
        }
        if !line.place_of_service.is_empty() && pos::place_of_service(&line.place_of_service).is_none() {
            errors.push(error(
                "CODING-POS-UNKNOWN",
                format!("lines[{i}].place_of_service"),
                format!("lines[{i}].place_of_service {} is not a CMS place-of-service code", line.place_of_service),
            ));
        }
        if !diagnoses.is_empty() {
            if line.diagnosis_pointers.len() > MAX_POINTERS {
                errors.push(error(
                    "CODING-POINTER-COUNT",
                    format!("lines[{i}].diagnosis_pointers"),
                    format!(
                        "lines[{i}] has {} diagnosis pointers; at most {MAX_POINTERS}",
                        line.diagnosis_pointers.len()
                    ),
                ));
            }
            for (j, p) in line.diagnosis_pointers.iter().enumerate() {
                if *p == 0 || *p as usize > diagnoses.len().min(MAX_DIAGNOSES) {
                    errors.push(error(
                        "CODING-POINTER-RANGE",
                        format!("lines[{i}].diagnosis_pointers[{j}]"),
                        format!(
                            "lines[{i}].diagnosis_pointers[{j}] is {p}; it must point to one of the {} diagnoses",
                            diagnoses.len().min(MAX_DIAGNOSES)
                        ),
                    ));
                }
            }
        }
        let units = line.units.trim().parse::<Decimal>().ok().filter(|u| *u > Decimal::ZERO);
        let Some(units) = units else {
            errors.push(error(
                "CODING-UNITS",
                format!("lines[{i}].units"),
                format!("lines[{i}].units is not a positive number"),
            ));
            lines.push(line);
            continue;
        };
        if code_ok {
            match books.fees.price(&line.procedure_code, &line.modifiers) {
                Some(fee) => match charge(fee, units) {
                    Some(c) => line.charge_cents = c,
                    None => errors.push(error(
                        "CODING-UNITS",
                        format!("lines[{i}].units"),
                        format!("lines[{i}].units times the fee is out of range"),
                    )),
                },
                None if line.charge_cents > 0 => warnings.push(warning(
                    "CODING-SOURCE-CHARGE",
                    format!("lines[{i}].charge_cents"),
                    format!(
                        "lines[{i}]: no fee for {} in the tenant's schedule; the source's charge is kept",
                        line.procedure_code
                    ),
                )),
                None => errors.push(error(
                    "CODING-NO-FEE",
                    format!("lines[{i}].charge_cents"),
                    format!(
                        "lines[{i}]: no fee for {} in the tenant's schedule and no charge from the source",
                        line.procedure_code
                    ),
                )),
            }
        }
        lines.push(line);
    }
    if e.lines.is_empty() {
        errors.push(error("CODING-NO-LINE", "lines".into(), "the encounter has no service line".into()));
    }
    let total_charge_cents: i64 = lines.iter().map(|l: &ServiceLine| l.charge_cents.max(0)).sum();

    if !errors.is_empty() {
        let mut evidence: Vec<SourceCode> = e.conditions.clone();
        evidence.extend(e.lines.iter().filter_map(|l| l.source.clone()));
        let mut findings = errors;
        findings.extend(warnings);
        return Outcome::ReviewRequired(CodingReviewRequired {
            encounter_id: e.encounter_id.clone(),
            findings,
            evidence,
            suggestions: suggestions.to_vec(),
            estimated_charge_cents: total_charge_cents,
        });
    }

    let claim = Claim {
        claim_id: claim_id.to_string(),
        encounter_id: e.encounter_id.clone(),
        patient: e.patient.clone(),
        coverage: e.coverage.clone(),
        billing_provider: e.billing_provider.clone(),
        rendering_provider: e.rendering_provider.clone(),
        referring_provider: e.referring_provider.clone(),
        place_of_service: e.place_of_service.clone(),
        service_date: e.service_date.clone(),
        prior_authorization: e.prior_authorization.clone(),
        diagnosis_codes: diagnoses,
        lines,
        total_charge_cents,
        frequency_code: if e.frequency_code.is_empty() { "1".into() } else { e.frequency_code.clone() },
        payer_claim_control_number: e.payer_claim_control_number.clone(),
        patient_control_number: patient_control_number(claim_id),
        version: e.claim_version.max(1),
        other_coverages: e.other_coverages.clone(),
        prior_adjudications: Vec::new(),
    };
    Outcome::Coded(Box::new(ClaimCoded { claim: Some(claim), findings: warnings }))
}

// ---------------------------------------------------------------------------------------------
// Corrections and voids
// ---------------------------------------------------------------------------------------------

/// What coding does with a correction denials asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Correction {
    /// A void goes out at once: the claim as last sent, frequency 8, naming the payer's claim.
    Void(Box<ClaimCoded>),
    /// A replacement waits for a coder: the claim as last sent, as an encounter (frequency 7,
    /// naming the payer's claim, as the new version), and why it waits.
    Review { encounter: Box<Encounter>, review: CodingReviewRequired },
}

/// Why a correction cannot be made; the same every time it is tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectionError {
    FrequencyCode(String),
    NoPayerClaimControlNumber,
    /// The requested version is not after the claim's own.
    Version {
        requested: u32,
        current: u32,
    },
}

impl std::fmt::Display for CorrectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorrectionError::FrequencyCode(c) => {
                write!(f, "frequency code {c:?} is neither 7 (replacement) nor 8 (void)")
            }
            CorrectionError::NoPayerClaimControlNumber => {
                f.write_str("no payer claim control number to replace or void")
            }
            CorrectionError::Version { requested, current } => {
                write!(f, "version {requested} is not after the claim's version {current}")
            }
        }
    }
}

/// The rule id of the finding that puts a replacement in the coder's queue.
pub const CORRECTION_RULE: &str = "CODING-CORRECTION";

/// Decides a correction of `last`, the claim as coding last sent it, as `request` asks: a void
/// now, or a replacement for a coder, who sees the denial's reasons in a `CODING-CORRECTION`
/// finding and resolves it with corrected codes (the claim then goes out as frequency 7).
pub fn correction(last: &Claim, request: &CorrectionRequested) -> Result<Correction, CorrectionError> {
    let pccn = request.payer_claim_control_number.trim();
    if pccn.is_empty() {
        return Err(CorrectionError::NoPayerClaimControlNumber);
    }
    let current = last.version.max(1);
    if request.version <= current {
        return Err(CorrectionError::Version { requested: request.version, current });
    }
    match request.frequency_code.as_str() {
        "8" => {
            let claim = Claim {
                frequency_code: "8".into(),
                payer_claim_control_number: pccn.into(),
                version: request.version,
                ..last.clone()
            };
            Ok(Correction::Void(Box::new(ClaimCoded { claim: Some(claim), findings: vec![] })))
        }
        "7" => {
            let reasons =
                if request.reason_codes.is_empty() { "none given".into() } else { request.reason_codes.join(" ") };
            let message = format!(
                "the payer denied payer claim {pccn} ({}: {reasons}); correct the codes and resolve to send version {} \
                 as a replacement (frequency 7)",
                if request.denial_category.is_empty() { "other" } else { request.denial_category.as_str() },
                request.version
            );
            let encounter = Encounter {
                encounter_id: last.encounter_id.clone(),
                patient: last.patient.clone(),
                coverage: last.coverage.clone(),
                billing_provider: last.billing_provider.clone(),
                rendering_provider: last.rendering_provider.clone(),
                referring_provider: last.referring_provider.clone(),
                place_of_service: last.place_of_service.clone(),
                service_date: last.service_date.clone(),
                prior_authorization: last.prior_authorization.clone(),
                diagnosis_codes: last.diagnosis_codes.clone(),
                // As billed: codes, units, pointers and dates; a line without a fee keeps its charge.
                lines: last.lines.clone(),
                source: "correction".into(),
                frequency_code: "7".into(),
                payer_claim_control_number: pccn.into(),
                claim_version: request.version,
                ..Default::default()
            };
            let review = CodingReviewRequired {
                encounter_id: last.encounter_id.clone(),
                findings: vec![error(CORRECTION_RULE, "claim".into(), message)],
                evidence: vec![],
                suggestions: vec![],
                estimated_charge_cents: last.total_charge_cents,
            };
            Ok(Correction::Review { encounter: Box::new(encounter), review })
        }
        other => Err(CorrectionError::FrequencyCode(other.to_string())),
    }
}

/// `fee × units` in cents, rounded half away from zero.
fn charge(fee_cents: i64, units: Decimal) -> Option<i64> {
    let c =
        Decimal::from(fee_cents).checked_mul(units)?.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(c).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcm_proto::common::{Patient, PersonName, TextSpan};

    const CLAIM: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    fn fees() -> FeeSchedule {
        parse_fee_schedule(
            "# test\nprocedure_code\tmodifier\tcharge_cents\n99213\t\t22719\n71046\t\t8405\n71046\t26\t2580\n71046\tTC\t5825\nG0439\t\t32540\nA4397\t\t100\nA2026\t\t100\n",
        )
        .unwrap()
        .into_iter()
        .collect()
    }

    /// Judges `e` against the shipped code sets, the test fee schedule, no licensed CPT file and
    /// `policy`.
    fn code_with(e: &Encounter, policy: &Policy, cpt: &TenantCpt, suggestions: &[CodeSuggestion]) -> Outcome {
        let fees = fees();
        let books = Books { icd: Icd10Cm::shipped(), hcpcs: Hcpcs::shipped(), cpt, fees: &fees, policy };
        code_encounter(CLAIM, e, &books, suggestions)
    }

    fn code(e: &Encounter) -> Outcome {
        code_with(e, &Policy::default(), &TenantCpt::default(), &[])
    }

    fn line(code: &str) -> ServiceLine {
        ServiceLine { procedure_code: code.into(), ..Default::default() }
    }

    fn encounter() -> Encounter {
        Encounter {
            encounter_id: "E-1".into(),
            patient: Some(Patient {
                name: Some(PersonName { last: "Doe".into(), ..Default::default() }),
                ..Default::default()
            }),
            place_of_service: "11".into(),
            service_date: "2026-03-02".into(),
            diagnosis_codes: vec!["I10".into(), "e11.9".into()],
            lines: vec![line("99213"), ServiceLine { units: "2".into(), ..line("71046") }],
            ..Default::default()
        }
    }

    fn rules(o: &Outcome) -> Vec<(String, String)> {
        o.findings().iter().map(|f| (f.rule_id.clone(), f.field.clone())).collect()
    }

    fn message(o: &Outcome, rule: &str) -> String {
        o.findings().iter().find(|f| f.rule_id == rule).map(|f| f.message.clone()).unwrap_or_default()
    }

    fn suggestion(code: &str, confidence: f32, history: bool) -> CodeSuggestion {
        CodeSuggestion {
            code: code.into(),
            description: String::new(),
            confidence,
            evidence: vec![TextSpan { start: 0, end: 3, text: "HTN".into(), source: "note".into() }],
            history,
        }
    }

    #[test]
    fn icd10cm_forms() {
        for ok in ["I10", "E119", "S72001A", "C4A0", "Z3A01", "U071", "U099", "M1A0710"] {
            assert!(is_icd10cm(ok), "{ok}");
        }
        for bad in ["", "I1", "E11.9", "1E11", "EE11", "S72001AB", "U000", "U8", "e119", "I10 "] {
            assert!(!is_icd10cm(bad), "{bad:?}");
        }
        assert_eq!(normalize_code(" e11.9 "), "E119");
    }

    #[test]
    fn procedure_code_forms() {
        assert_eq!(procedure_kind("99213"), Some(ProcedureKind::Cpt));
        assert_eq!(procedure_kind("3074F"), Some(ProcedureKind::Cpt));
        assert_eq!(procedure_kind("0446T"), Some(ProcedureKind::Cpt));
        assert_eq!(procedure_kind("0001U"), Some(ProcedureKind::Cpt));
        assert_eq!(procedure_kind("G0439"), Some(ProcedureKind::Hcpcs));
        assert_eq!(procedure_kind("A0021"), Some(ProcedureKind::Hcpcs));
        for bad in ["", "9921", "992134", "9921X", "W1234", "G043", "g0439", "GG439", "12345 "] {
            assert_eq!(procedure_kind(bad), None, "{bad:?}");
        }
        assert!(is_modifier("25") && is_modifier("TC") && is_modifier("X1"));
        assert!(!is_modifier("2") && !is_modifier("tc") && !is_modifier("251") && !is_modifier("-5"));
    }

    #[test]
    fn the_patient_control_number_is_the_claim_ids_hex() {
        assert_eq!(patient_control_number(CLAIM), "01890a5dac96774bbcceb302099a8057");
    }

    #[test]
    fn fee_schedules_are_read_and_checked() {
        assert!(parse_fee_schedule("code\tcharge\n").is_err());
        let err = parse_fee_schedule("procedure_code\tmodifier\tcharge_cents\n99213\t\t-1\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(parse_fee_schedule("procedure_code\tmodifier\tcharge_cents\nXYZ\t\t1\n").is_err());
        // A code priced twice, or a schedule with no rows, is refused rather than half-loaded
        let twice = "procedure_code\tmodifier\tcharge_cents\n99213\t\t100\n99213\t25\t100\n99213\t\t200\n";
        assert_eq!(
            parse_fee_schedule(twice).unwrap_err(),
            "line 4: 99213 with modifier \"\" is priced again (first on line 2)"
        );
        assert_eq!(
            parse_fee_schedule("procedure_code\tmodifier\tcharge_cents\n").unwrap_err(),
            "the schedule has no fee rows"
        );
        // The shipped default schedule reads cleanly and prices an office visit
        let default: FeeSchedule = parse_fee_schedule(crate::DEFAULT_FEE_SCHEDULE_TSV).unwrap().into_iter().collect();
        assert_eq!(default.price("99213", &[]), Some(22719), "2.73 RVU × 33.2875 × 2.5");
        assert!(default.fees.len() > 9000);
    }

    #[test]
    fn pricing_modifiers_select_their_row() {
        let f = fees();
        assert_eq!(f.price("71046", &[]), Some(8405));
        assert_eq!(f.price("71046", &["26".into()]), Some(2580));
        assert_eq!(f.price("71046", &["LT".into(), "TC".into()]), Some(5825));
        assert_eq!(f.price("99213", &["25".into()]), Some(22719), "a non-pricing modifier keeps the plain fee");
        assert_eq!(f.price("99213", &["26".into()]), Some(22719), "no 26 row: the plain fee");
        assert_eq!(f.price("85025", &[]), None);
    }

    #[test]
    fn a_well_coded_encounter_becomes_a_priced_claim() {
        // Given an encounter with two valid diagnoses (one dotted, lower-case) and two priced lines
        // When it is coded
        let Outcome::Coded(coded) = code(&encounter()) else { panic!("not coded") };
        // Then the claim carries the schedule's prices times the units, and their sum
        let claim = coded.claim.unwrap();
        assert_eq!(claim.claim_id, CLAIM);
        assert_eq!(claim.patient_control_number, "01890a5dac96774bbcceb302099a8057");
        assert_eq!(claim.diagnosis_codes, vec!["I10", "E119"]);
        let charges: Vec<i64> = claim.lines.iter().map(|l| l.charge_cents).collect();
        assert_eq!(charges, vec![22719, 2 * 8405]);
        assert_eq!(claim.total_charge_cents, 22719 + 2 * 8405);
        // And defaults fill what the source left empty
        assert!(claim.lines.iter().all(|l| l.diagnosis_pointers == vec![1]));
        assert_eq!(claim.lines[0].line_id, "1");
        assert_eq!(claim.lines[1].line_id, "2");
        assert_eq!(claim.lines[0].units, "1");
        assert_eq!(claim.lines[0].unit, "UN");
        assert_eq!(claim.lines[0].service_date, "2026-03-02");
        assert_eq!(claim.frequency_code, "1");
        assert!(coded.findings.is_empty(), "{:?}", coded.findings);
    }

    #[test]
    fn fractional_units_round_half_away_from_zero() {
        let mut e = encounter();
        e.lines = vec![
            ServiceLine { units: "0.5".into(), ..line("G0439") },
            ServiceLine { units: "1.5".into(), ..line("71046") },
        ];
        let Outcome::Coded(coded) = code(&e) else { panic!("not coded") };
        let charges: Vec<i64> = coded.claim.unwrap().lines.iter().map(|l| l.charge_cents).collect();
        assert_eq!(charges, vec![16270, 12608], "32540 × 0.5; 8405 × 1.5 = 12607.5 → 12608");
    }

    #[test]
    fn a_code_without_a_fee_keeps_the_source_charge_or_needs_coding() {
        // Given a lab code the schedule does not price, with a charge from the source
        let mut e = encounter();
        e.lines.push(ServiceLine { charge_cents: 1234, ..line("85025") });
        // When it is coded, the charge is kept with a warning
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-SOURCE-CHARGE".into(), "lines[2].charge_cents".into())]);
        let Outcome::Coded(c) = o else { panic!("not coded") };
        assert_eq!(c.claim.unwrap().total_charge_cents, 22719 + 2 * 8405 + 1234);
        // Given the same line without a charge, then it needs coding
        e.lines[2].charge_cents = 0;
        let o = code(&e);
        assert!(matches!(o, Outcome::ReviewRequired(_)));
        assert_eq!(rules(&o), vec![("CODING-NO-FEE".into(), "lines[2].charge_cents".into())]);
    }

    #[test]
    fn an_encounter_with_only_snomed_conditions_and_no_suggestion_needs_coding_with_evidence() {
        // Given no ICD-10-CM code, SNOMED conditions, and a line with only a SNOMED procedure
        let mut e = encounter();
        e.diagnosis_codes.clear();
        let snomed = |code: &str, display: &str| SourceCode {
            system: "http://snomed.info/sct".into(),
            code: code.into(),
            display: display.into(),
        };
        e.conditions =
            vec![snomed("38341003", "Hypertensive disorder"), snomed("44054006", "Diabetes mellitus type 2")];
        e.lines[1] = ServiceLine { source: Some(snomed("168594001", "Chest X-ray")), ..Default::default() };
        // When it is coded
        let o = code(&e);
        // Then it needs coding, naming the missing diagnosis and procedure code
        assert_eq!(
            rules(&o),
            vec![
                ("CODING-NO-DIAGNOSIS".into(), "diagnosis_codes".into()),
                ("CODING-NO-PROCEDURE".into(), "lines[1].procedure_code".into())
            ]
        );
        // And the conditions and the line's source code travel as evidence, with the estimate so far
        let Outcome::ReviewRequired(n) = o else { panic!() };
        assert_eq!(n.encounter_id, "E-1");
        let evidence: Vec<&str> = n.evidence.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(evidence, vec!["38341003", "44054006", "168594001"]);
        assert_eq!(n.estimated_charge_cents, 22719);
    }

    #[test]
    fn confident_suggestions_code_an_encounter_that_came_without_diagnoses() {
        // Given an encounter without diagnosis codes, and suggestions from its note
        let mut e = encounter();
        e.diagnosis_codes.clear();
        let suggestions =
            [suggestion("E119", 0.93, false), suggestion("Z8673", 0.95, true), suggestion("I10", 0.90, false)];
        // When it is coded with the default threshold (0.85)
        let o = code_with(&e, &Policy::default(), &TenantCpt::default(), &suggestions);
        // Then the confident current problems are its diagnoses (history left out), with a warning
        assert_eq!(rules(&o), vec![("CODING-FROM-NOTE".into(), "diagnosis_codes".into())]);
        assert!(message(&o, "CODING-FROM-NOTE").contains("E119 (0.93), I10 (0.90)"));
        let Outcome::Coded(c) = o else { panic!("not coded") };
        let claim = c.claim.unwrap();
        assert_eq!(claim.diagnosis_codes, vec!["E119", "I10"]);
        // And every line points at them
        assert!(claim.lines.iter().all(|l| l.diagnosis_pointers == vec![1, 2]));
    }

    #[test]
    fn suggestions_below_the_tenants_confidence_go_to_a_coder() {
        let mut e = encounter();
        e.diagnosis_codes.clear();
        let suggestions = [suggestion("E119", 0.93, false), suggestion("I10", 0.70, false)];
        // Given a tenant that wants 0.95
        let strict = Policy { auto_code_min_confidence: 0.95, ..Policy::default() };
        let o = code_with(&e, &strict, &TenantCpt::default(), &suggestions);
        // Then a coder reviews it, with the suggestions as evidence
        assert_eq!(rules(&o), vec![("CODING-NO-DIAGNOSIS".into(), "diagnosis_codes".into())]);
        assert!(message(&o, "CODING-NO-DIAGNOSIS").contains("0.93 is below the tenant's 0.95"));
        let Outcome::ReviewRequired(r) = o else { panic!() };
        assert_eq!(r.suggestions.len(), 2);
        // Given a tenant that reviews every suggestion, then confident ones wait too
        let always = Policy { always_review_suggestions: true, ..Policy::default() };
        let o = code_with(&e, &always, &TenantCpt::default(), &suggestions);
        assert!(matches!(o, Outcome::ReviewRequired(_)));
    }

    #[test]
    fn a_header_code_names_its_billable_children() {
        let mut e = encounter();
        e.diagnosis_codes = vec!["E11".into()];
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-ICD-HEADER".into(), "diagnosis_codes[0]".into())]);
        let m = message(&o, "CODING-ICD-HEADER");
        assert!(m.contains("E11 is a header") && m.contains("E11.00") && m.contains('…'), "{m}");
    }

    #[test]
    fn an_unknown_diagnosis_is_named_with_its_version() {
        let mut e = encounter();
        e.diagnosis_codes = vec!["I10".into(), "E11999".into()];
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-ICD-UNKNOWN".into(), "diagnosis_codes[1]".into())]);
        assert!(message(&o, "CODING-ICD-UNKNOWN").contains("FY2026"), "{}", message(&o, "CODING-ICD-UNKNOWN"));
    }

    #[test]
    fn a_code_is_judged_by_the_version_in_force_on_the_date_of_service() {
        // T78.07XA (anaphylaxis due to milk) was deleted from FY2026; E11.A was added in it
        let mut e = encounter();
        e.diagnosis_codes = vec!["T78.07XA".into()];
        e.service_date = "2025-06-01".into();
        assert!(matches!(code(&e), Outcome::Coded(_)), "valid in FY2025");
        e.service_date = "2026-03-02".into();
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-ICD-NOT-IN-FORCE".into(), "diagnosis_codes[0]".into())]);
        assert!(message(&o, "CODING-ICD-NOT-IN-FORCE").contains("it is in FY2025"));
        e.diagnosis_codes = vec!["E11.A".into()];
        assert!(matches!(code(&e), Outcome::Coded(_)), "valid in FY2026");
        e.service_date = "2025-06-01".into();
        assert_eq!(rules(&code(&e)), vec![("CODING-ICD-NOT-IN-FORCE".into(), "diagnosis_codes[0]".into())]);
    }

    #[test]
    fn a_date_after_every_loaded_version_is_judged_by_the_nearest_with_a_warning_or_an_error() {
        let mut e = encounter();
        e.service_date = "2026-11-20".into();
        // Given the default policy, the claim is coded with a warning naming the version used
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-ICD-VERSION".into(), "service_date".into())]);
        assert!(matches!(o, Outcome::Coded(_)));
        assert!(message(&o, "CODING-ICD-VERSION").contains("FY2026"));
        // Given a tenant that refuses it, a coder reviews it
        let strict = Policy { outside_versions: OutsideVersions::Error, ..Policy::default() };
        assert!(matches!(code_with(&e, &strict, &TenantCpt::default(), &[]), Outcome::ReviewRequired(_)));
        // And no date at all is an error
        e.service_date = "20-11-2026".into();
        assert!(rules(&code(&e)).contains(&("CODING-SERVICE-DATE".into(), "service_date".into())));
    }

    #[test]
    fn procedures_modifiers_and_places_must_exist() {
        let mut e = encounter();
        e.place_of_service = "30".into();
        e.lines = vec![
            ServiceLine { modifiers: vec!["ZZ".into(), "25".into(), "XS".into()], ..line("99213") },
            line("99999"),
            line("V9999"),
            ServiceLine { place_of_service: "03".into(), ..line("G0439") },
        ];
        let o = code(&e);
        let expect = [
            ("CODING-POS-UNKNOWN", "place_of_service"),
            ("CODING-MODIFIER-UNKNOWN", "lines[0].modifiers[0]"),
            ("CODING-CPT-UNKNOWN", "lines[1].procedure_code"),
            ("CODING-NO-FEE", "lines[1].charge_cents"),
            ("CODING-HCPCS-UNKNOWN", "lines[2].procedure_code"),
            ("CODING-NO-FEE", "lines[2].charge_cents"),
        ];
        assert_eq!(rules(&o), expect.iter().map(|(r, f)| (r.to_string(), f.to_string())).collect::<Vec<_>>());
        assert!(message(&o, "CODING-CPT-UNKNOWN").contains("licensed CPT file"));
    }

    #[test]
    fn a_tenants_licensed_cpt_file_decides_which_cpt_codes_exist() {
        // Given a tenant whose licensed file holds 71046 but not 99213
        let cpt = TenantCpt { loaded: true, known: ["71046".to_string()].into() };
        let o = code_with(&encounter(), &Policy::default(), &cpt, &[]);
        // Then 99213, though CMS's tables carry it, is unknown for this tenant
        assert_eq!(rules(&o), vec![("CODING-CPT-UNKNOWN".into(), "lines[0].procedure_code".into())]);
        assert!(message(&o, "CODING-CPT-UNKNOWN").contains("tenant's licensed CPT file"));
    }

    #[test]
    fn hcpcs_codes_are_judged_by_the_date_of_service() {
        // A4397 was terminated at the end of 2021; A2026 was added on 2024-04-01
        let mut e = encounter();
        e.lines = vec![line("A4397"), line("A2026")];
        e.service_date = "2026-03-02".into();
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-HCPCS-NOT-IN-FORCE".into(), "lines[0].procedure_code".into())]);
        assert!(message(&o, "CODING-HCPCS-NOT-IN-FORCE").contains("terminated on 2021-12-31"));
        // A line dated before A2026 was added
        e.lines[1].service_date = "2024-03-01".into();
        e.lines.remove(0);
        let o = code(&e);
        assert_eq!(rules(&o), vec![("CODING-HCPCS-NOT-IN-FORCE".into(), "lines[0].procedure_code".into())]);
        assert!(message(&o, "CODING-HCPCS-NOT-IN-FORCE").contains("added on 2024-04-01"));
    }

    #[test]
    fn malformed_codes_pointers_and_units_are_each_named() {
        // Given a malformed diagnosis, procedure code and modifier, pointers out of range, too
        // many modifiers, and units that are not a number
        let mut e = encounter();
        e.diagnosis_codes.push("123".into());
        e.lines = vec![
            ServiceLine { modifiers: vec!["25".into(), "X".into()], diagnosis_pointers: vec![1, 4, 0], ..line("9921") },
            ServiceLine {
                modifiers: vec!["LT".into(), "RT".into(), "59".into(), "XS".into(), "76".into()],
                diagnosis_pointers: vec![1, 2, 3, 1, 2],
                units: "two".into(),
                ..line("99213")
            },
        ];
        // When it is coded
        let o = code(&e);
        // Then every problem is a finding naming its field
        let expect = [
            ("CODING-ICD-FORM", "diagnosis_codes[2]"),
            ("CODING-PROCEDURE-FORM", "lines[0].procedure_code"),
            ("CODING-MODIFIER-FORM", "lines[0].modifiers[1]"),
            ("CODING-POINTER-RANGE", "lines[0].diagnosis_pointers[1]"),
            ("CODING-POINTER-RANGE", "lines[0].diagnosis_pointers[2]"),
            ("CODING-MODIFIER-COUNT", "lines[1].modifiers"),
            ("CODING-POINTER-COUNT", "lines[1].diagnosis_pointers"),
            ("CODING-UNITS", "lines[1].units"),
        ];
        assert_eq!(rules(&o), expect.iter().map(|(r, f)| (r.to_string(), f.to_string())).collect::<Vec<_>>());
        assert!(matches!(o, Outcome::ReviewRequired(_)));
    }

    #[test]
    fn more_than_twelve_diagnoses_need_coding() {
        let mut e = encounter();
        e.diagnosis_codes =
            ["I10", "E119", "E785", "J069", "M5450", "R519", "R051", "R5383", "K219", "F419", "G4700", "N390", "L309"]
                .map(String::from)
                .to_vec();
        assert_eq!(rules(&code(&e)), vec![("CODING-TOO-MANY-DIAGNOSES".into(), "diagnosis_codes".into())]);
    }

    #[test]
    fn procedure_codes_are_listed_once() {
        let mut e = encounter();
        e.lines.push(line(" 99213"));
        e.lines.push(line(""));
        assert_eq!(procedure_codes(&e), vec!["71046", "99213"]);
    }

    /// The claim coding made from `encounter()`, as it was sent.
    fn sent() -> Claim {
        let Outcome::Coded(c) = code(&encounter()) else { panic!("the test encounter codes cleanly") };
        c.claim.unwrap()
    }

    fn request(frequency: &str, version: u32) -> CorrectionRequested {
        CorrectionRequested {
            frequency_code: frequency.into(),
            payer_claim_control_number: "20260302000123".into(),
            version,
            reason_codes: vec!["CO-16".into(), "M51".into()],
            denial_category: "missing_information".into(),
            work_item_id: "w1".into(),
            requested_by: "biller-1".into(),
            note: "check the diagnosis".into(),
        }
    }

    #[test]
    fn a_void_is_the_claim_as_sent_with_frequency_8_and_the_payer_claim() {
        // Given a claim sent as version 1
        let last = sent();
        assert_eq!((last.version, last.frequency_code.as_str()), (1, "1"));
        // When denials asks for a void as version 2
        let Ok(Correction::Void(coded)) = correction(&last, &request("8", 2)) else { panic!("a void") };
        // Then the same claim goes out at once as frequency 8, version 2, naming the payer's claim
        let claim = coded.claim.unwrap();
        assert_eq!(claim.frequency_code, "8");
        assert_eq!(claim.payer_claim_control_number, "20260302000123");
        assert_eq!(claim.version, 2);
        assert_eq!(
            Claim { frequency_code: "1".into(), payer_claim_control_number: String::new(), version: 1, ..claim },
            last,
            "nothing else changes"
        );
        assert!(coded.findings.is_empty());
    }

    #[test]
    fn a_replacement_waits_for_a_coder_and_codes_as_frequency_7() {
        // Given a claim sent as version 1
        let last = sent();
        // When denials asks for a replacement as version 2
        let Ok(Correction::Review { encounter: e, review }) = correction(&last, &request("7", 2)) else {
            panic!("a replacement waits for a coder")
        };
        // Then the coder sees why, with the denial's reasons and the payer's claim, and no patient data
        assert_eq!(review.findings.len(), 1);
        let f = &review.findings[0];
        assert_eq!((f.rule_id.as_str(), f.severity), (CORRECTION_RULE, Severity::Error as i32));
        assert!(f.message.contains("CO-16 M51") && f.message.contains("missing_information"), "{}", f.message);
        assert!(f.message.contains("20260302000123") && !f.message.contains("Doe"), "{}", f.message);
        assert!(!f.message.contains("check the diagnosis"), "the biller's note is not a finding");
        assert_eq!(review.estimated_charge_cents, last.total_charge_cents);
        // And the encounter is the claim as sent, as a replacement for the payer's claim
        assert_eq!((e.frequency_code.as_str(), e.claim_version), ("7", 2));
        assert_eq!(e.payer_claim_control_number, "20260302000123");
        assert_eq!(e.diagnosis_codes, last.diagnosis_codes);
        assert_eq!(e.lines, last.lines);
        // When a coder corrects the diagnoses and it is judged again
        let corrected = Encounter { diagnosis_codes: vec!["E11.9".into(), "I10".into()], ..*e };
        let Outcome::Coded(coded) = code(&corrected) else { panic!("the corrected encounter codes") };
        // Then it is the same claim (same patient control number, lines priced alike) as version 2,
        // frequency 7, naming the payer's claim, with the corrected codes
        let claim = coded.claim.unwrap();
        assert_eq!((claim.version, claim.frequency_code.as_str()), (2, "7"));
        assert_eq!(claim.payer_claim_control_number, "20260302000123");
        assert_eq!(claim.patient_control_number, last.patient_control_number);
        assert_eq!(claim.diagnosis_codes, vec!["E119", "I10"]);
        assert_eq!(claim.total_charge_cents, last.total_charge_cents);
    }

    #[test]
    fn a_correction_without_a_payer_claim_or_a_later_version_is_refused() {
        let last = sent();
        let no_pccn = CorrectionRequested { payer_claim_control_number: " ".into(), ..request("7", 2) };
        assert_eq!(correction(&last, &no_pccn), Err(CorrectionError::NoPayerClaimControlNumber));
        assert_eq!(correction(&last, &request("7", 1)), Err(CorrectionError::Version { requested: 1, current: 1 }));
        assert_eq!(correction(&last, &request("1", 2)), Err(CorrectionError::FrequencyCode("1".into())));
        // A claim already at version 2 takes version 3, not 2 again
        let v2 = Claim { version: 2, ..last };
        assert!(correction(&v2, &request("8", 2)).is_err());
        assert!(matches!(correction(&v2, &request("8", 3)), Ok(Correction::Void(_))));
    }
}
