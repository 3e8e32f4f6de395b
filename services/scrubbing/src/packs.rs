//! Tenant and payer rule packs: declarative TOML files saying which fields, which codes, which
//! condition and which message. A pack is validated when loaded: a bad one is refused with the
//! line and the reason, and the pack running before it stays.
//!
//! ```toml
//! # Blue Plan of the Lakes: what its provider manual asks of professional claims.
//! id = "blu01-policy"
//! version = "2026.1"
//! name = "Blue Plan of the Lakes payer policy"
//! source = "BLU01 Provider Manual 2026, chapter 4"
//! effective_from = 2026-01-01
//! effective_to = 2026-12-31          # optional
//! timely_filing_days = 180           # optional: the payer's filing limit
//!
//! [[rule]]
//! id = "BLU01-THERAPY-GP"
//! severity = "error"                 # or "warning"
//! message = "physical therapy needs the GP modifier for this payer"
//! field = "modifiers"                # optional: the field the finding names
//! when.procedure_in = ["97110", "97112", "97140"]
//! when.modifier_missing = ["GP"]
//! ```
//!
//! A rule fires when every condition of its `when` holds. Conditions on the claim: `payer_in`,
//! `claim_filing_in`, `diagnosis_in`, `diagnosis_prefix`, `no_diagnosis_in`, `no_diagnosis_prefix`
//! (no diagnosis matches either list), `age_under`, `age_at_least` (years on the date of service),
//! `sex` (F or M), `place_of_service_in`, `frequency_in`, `missing` (any of these fields is
//! blank), `shape` (a field that is not blank does not have this shape: `#` a digit, `@` a letter,
//! `*` either, anything else itself) and `total_charge_above_cents`. Conditions on a line make the
//! rule look at each line and name it: `procedure_in`, `procedure_prefix`, `modifier_in` (has one),
//! `modifier_missing` (has none), `units_above`, `line_charge_above_cents`, `with_procedure_in`
//! (another line on the same date has one of these codes). The fields `missing` and `shape` know
//! are listed in [`SELECTORS`].
//!
//! A pack loaded for a payer applies to that payer's claims; one loaded for the tenant, to all of
//! its claims. It applies to claims whose first date of service falls between `effective_from`
//! and `effective_to`.

use crate::decide::View;
use crate::rules::{Findings, RuleFinding, Severity};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use toml::Spanned;

/// Why a pack was refused: the line of the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PackError {
    pub line: usize,
    pub reason: String,
}

/// The fields `missing` and `shape` may name (`line.` ones are per line).
pub const SELECTORS: [&str; 17] = [
    "patient.patient_id",
    "patient.birth_date",
    "patient.address.postal_code",
    "coverage.member_id",
    "coverage.group_number",
    "coverage.payer_name",
    "coverage.claim_filing",
    "billing_provider.taxonomy",
    "rendering_provider.npi",
    "rendering_provider.taxonomy",
    "referring_provider.npi",
    "prior_authorization",
    "place_of_service",
    "payer_claim_control_number",
    "line.modifiers",
    "line.place_of_service",
    "line.service_date_end",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    id: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    source: String,
    effective_from: Spanned<toml::Value>,
    #[serde(default)]
    effective_to: Option<Spanned<toml::Value>>,
    #[serde(default)]
    timely_filing_days: Option<Spanned<i64>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    severity: Spanned<String>,
    message: Spanned<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    field: Option<Spanned<String>>,
    #[serde(default)]
    when: When,
}

type List = Option<Spanned<Vec<String>>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct When {
    payer_in: List,
    claim_filing_in: List,
    diagnosis_in: List,
    diagnosis_prefix: List,
    no_diagnosis_in: List,
    no_diagnosis_prefix: List,
    age_under: Option<Spanned<i64>>,
    age_at_least: Option<Spanned<i64>>,
    sex: Option<Spanned<String>>,
    place_of_service_in: List,
    frequency_in: List,
    missing: List,
    shape: Option<Spanned<BTreeMap<String, String>>>,
    total_charge_above_cents: Option<Spanned<i64>>,
    procedure_in: List,
    procedure_prefix: List,
    modifier_in: List,
    modifier_missing: List,
    units_above: Option<Spanned<toml::Value>>,
    line_charge_above_cents: Option<Spanned<i64>>,
    with_procedure_in: List,
}

/// A pack, validated and ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub id: String,
    pub version: String,
    pub name: String,
    pub source: String,
    /// `Some`: only this payer's claims.
    pub payer_id: Option<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub timely_filing_days: Option<u32>,
    pub rules: Vec<PackRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackRule {
    pub id: String,
    /// The line of its id in the pack's text.
    pub line: usize,
    pub severity: Severity,
    pub message: String,
    pub source: String,
    /// The field a finding names: per line `lines[i].<field>`.
    pub field: String,
    pub line_level: bool,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    PayerIn(Vec<String>),
    ClaimFilingIn(Vec<String>),
    DiagnosisIn(Vec<String>),
    DiagnosisPrefix(Vec<String>),
    NoDiagnosis { codes: Vec<String>, prefixes: Vec<String> },
    AgeUnder(u32),
    AgeAtLeast(u32),
    Sex(char),
    PlaceOfServiceIn(Vec<String>),
    FrequencyIn(Vec<String>),
    Missing(Vec<&'static str>),
    Shape(Vec<(&'static str, String)>),
    TotalChargeAbove(i64),
    ProcedureIn(Vec<String>),
    ProcedurePrefix(Vec<String>),
    ModifierIn(Vec<String>),
    ModifierMissing(Vec<String>),
    UnitsAbove(Decimal),
    LineChargeAbove(i64),
    WithProcedureIn(Vec<String>),
}

impl Condition {
    fn per_line(&self) -> bool {
        match self {
            Condition::ProcedureIn(_)
            | Condition::ProcedurePrefix(_)
            | Condition::ModifierIn(_)
            | Condition::ModifierMissing(_)
            | Condition::UnitsAbove(_)
            | Condition::LineChargeAbove(_)
            | Condition::WithProcedureIn(_) => true,
            Condition::Missing(s) => s.iter().any(|s| s.starts_with("line.")),
            Condition::Shape(s) => s.iter().any(|(s, _)| s.starts_with("line.")),
            _ => false,
        }
    }

    fn describe(&self) -> String {
        let list = |v: &[String]| v.join(", ");
        match self {
            Condition::PayerIn(v) => format!("payer is {}", list(v)),
            Condition::ClaimFilingIn(v) => format!("claim filing indicator is {}", list(v)),
            Condition::DiagnosisIn(v) => format!("a diagnosis is {}", list(v)),
            Condition::DiagnosisPrefix(v) => format!("a diagnosis starts with {}", list(v)),
            Condition::NoDiagnosis { codes, prefixes } => {
                let mut all = codes.clone();
                all.extend(prefixes.iter().map(|p| format!("{p}*")));
                format!("no diagnosis is {}", list(&all))
            }
            Condition::AgeUnder(n) => format!("the patient is under {n}"),
            Condition::AgeAtLeast(n) => format!("the patient is {n} or older"),
            Condition::Sex(s) => format!("the patient's sex is {s}"),
            Condition::PlaceOfServiceIn(v) => format!("place of service is {}", list(v)),
            Condition::FrequencyIn(v) => format!("frequency code is {}", list(v)),
            Condition::Missing(v) => format!("{} is blank", v.join(" or ")),
            Condition::Shape(v) => {
                v.iter().map(|(f, s)| format!("{f} does not have the shape {s}")).collect::<Vec<_>>().join(" or ")
            }
            Condition::TotalChargeAbove(c) => format!("the total charge is above {c} cents"),
            Condition::ProcedureIn(v) => format!("a line's procedure is {}", list(v)),
            Condition::ProcedurePrefix(v) => format!("a line's procedure starts with {}", list(v)),
            Condition::ModifierIn(v) => format!("the line has modifier {}", list(v)),
            Condition::ModifierMissing(v) => format!("the line has none of the modifiers {}", list(v)),
            Condition::UnitsAbove(u) => format!("the line's units are above {u}"),
            Condition::LineChargeAbove(c) => format!("the line's charge is above {c} cents"),
            Condition::WithProcedureIn(v) => format!("another line on the same date is {}", list(v)),
        }
    }
}

impl PackRule {
    /// What the rule checks, in words.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.conditions.iter().map(Condition::describe).collect();
        format!("fires when {}", parts.join("; and "))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads and validates a pack. `payer_id` empty: the tenant's pack for all its payers.
pub fn parse(text: &str, payer_id: &str) -> Result<Pack, PackError> {
    let file: PackFile = toml::from_str(text).map_err(|e| PackError {
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        reason: e.message().trim().to_string(),
    })?;
    let at = |span: std::ops::Range<usize>, reason: String| PackError { line: line_of(text, span.start), reason };

    let id = file.id.get_ref().trim();
    if !is_id(id, false) {
        return Err(at(file.id.span(), format!("pack id `{id}` must be 1 to 64 letters, digits, `-`, `_` or `.`")));
    }
    let version = file.version.get_ref().trim();
    if version.is_empty() || version.len() > 64 {
        return Err(at(file.version.span(), "version must be 1 to 64 characters".into()));
    }
    let from = date_value(&file.effective_from).map_err(|r| at(file.effective_from.span(), r))?;
    let to = match &file.effective_to {
        Some(v) => {
            let to = date_value(v).map_err(|r| at(v.span(), r))?;
            if to < from {
                return Err(at(v.span(), format!("effective_to {to} is before effective_from {from}")));
            }
            Some(to)
        }
        None => None,
    };
    let timely_filing_days = match &file.timely_filing_days {
        Some(d) if (1..=3650).contains(d.get_ref()) => Some(*d.get_ref() as u32),
        Some(d) => return Err(at(d.span(), "timely_filing_days must be 1 to 3650".into())),
        None => None,
    };
    if file.rules.is_empty() && timely_filing_days.is_none() {
        return Err(PackError { line: 1, reason: "the pack has no [[rule]] and no timely_filing_days".into() });
    }
    let mut rules: Vec<PackRule> = Vec::new();
    for r in &file.rules {
        let rule_id = r.id.get_ref().trim();
        if !is_id(rule_id, true) {
            return Err(at(
                r.id.span(),
                format!("rule id `{rule_id}` must be 3 to 64 capital letters, digits or `-`, starting with a letter"),
            ));
        }
        if rule_id.starts_with("SCRUB-") {
            return Err(at(r.id.span(), format!("rule id `{rule_id}`: SCRUB- is kept for the built-in rules")));
        }
        if rules.iter().any(|x| x.id == rule_id) {
            return Err(at(r.id.span(), format!("rule id `{rule_id}` is used twice")));
        }
        let severity = match r.severity.get_ref().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            other => {
                return Err(at(r.severity.span(), format!("severity must be \"error\" or \"warning\", not `{other}`")));
            }
        };
        let message = r.message.get_ref().trim();
        if message.is_empty() || message.len() > 500 {
            return Err(at(r.message.span(), "message must be 1 to 500 characters".into()));
        }
        let conditions = conditions(&r.when, &at)?;
        if conditions.is_empty() {
            return Err(at(
                r.id.span(),
                format!(
                    "rule {rule_id}: `when` needs at least one condition (a rule without one fires on every claim)"
                ),
            ));
        }
        let line_level = conditions.iter().any(Condition::per_line);
        let field = match &r.field {
            Some(f) => {
                let f = f.get_ref().trim();
                if f.is_empty() || f.len() > 64 || !f.bytes().all(|b| b.is_ascii_alphanumeric() || b"._[]".contains(&b))
                {
                    return Err(at(r.field.as_ref().expect("some").span(), format!("field `{f}` is not a field name")));
                }
                f.to_string()
            }
            None if line_level => "procedure_code".into(),
            None => conditions
                .iter()
                .find_map(|c| match c {
                    Condition::Missing(s) => s.first().map(|s| s.to_string()),
                    Condition::Shape(s) => s.first().map(|(s, _)| s.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "claim".into()),
        };
        rules.push(PackRule {
            id: rule_id.to_string(),
            line: line_of(text, r.id.span().start),
            severity,
            message: message.to_string(),
            source: r.source.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| file.source.clone()),
            field,
            line_level,
            conditions,
        });
    }
    Ok(Pack {
        id: id.to_string(),
        version: version.to_string(),
        name: if file.name.trim().is_empty() { id.to_string() } else { file.name.trim().to_string() },
        source: file.source.trim().to_string(),
        payer_id: (!payer_id.trim().is_empty()).then(|| payer_id.trim().to_string()),
        effective_from: from,
        effective_to: to,
        timely_filing_days,
        rules,
    })
}

fn is_id(s: &str, rule: bool) -> bool {
    if rule {
        (3..=64).contains(&s.len())
            && s.as_bytes()[0].is_ascii_uppercase()
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    } else {
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    }
}

fn date_value(v: &Spanned<toml::Value>) -> Result<NaiveDate, String> {
    let text = match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        _ => return Err("a date must be written YYYY-MM-DD".into()),
    };
    crate::decide::parse_date(text.trim()).ok_or_else(|| format!("`{text}` is not a YYYY-MM-DD date"))
}

type At<'a> = dyn Fn(std::ops::Range<usize>, String) -> PackError + 'a;

/// Each entry of a list, upper case and trimmed, checked by `ok`.
fn list(
    l: &List,
    name: &str,
    what: &str,
    ok: impl Fn(&str) -> bool,
    at: &At,
) -> Result<Option<Vec<String>>, PackError> {
    let Some(l) = l else { return Ok(None) };
    if l.get_ref().is_empty() {
        return Err(at(l.span(), format!("{name} is empty")));
    }
    let mut out = Vec::new();
    for item in l.get_ref() {
        let v = item.trim().replace('.', "").to_ascii_uppercase();
        let v = if what == "a payer id" || what == "a field" { item.trim().to_string() } else { v };
        if !ok(&v) {
            return Err(at(l.span(), format!("{name}: `{item}` is not {what}")));
        }
        out.push(v);
    }
    Ok(Some(out))
}

fn conditions(w: &When, at: &At) -> Result<Vec<Condition>, PackError> {
    let procedure = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let prefix = |s: &str| (1..=5).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let icd = |s: &str| {
        (3..=7).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.as_bytes()[1].is_ascii_digit()
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    let icd_prefix = |s: &str| {
        (1..=7).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    let modifier = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let pos = |s: &str| rcm_codesets::pos::place_of_service(s).is_some();
    let payer = |s: &str| !s.is_empty() && s.len() <= 80;
    let filing = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let frequency = |s: &str| matches!(s, "1" | "7" | "8");
    let mut out = Vec::new();
    if let Some(v) = list(&w.payer_in, "payer_in", "a payer id", payer, at)? {
        out.push(Condition::PayerIn(v));
    }
    if let Some(v) = list(&w.claim_filing_in, "claim_filing_in", "a claim filing indicator", filing, at)? {
        out.push(Condition::ClaimFilingIn(v));
    }
    if let Some(v) = list(&w.diagnosis_in, "diagnosis_in", "an ICD-10-CM code", icd, at)? {
        out.push(Condition::DiagnosisIn(v));
    }
    if let Some(v) = list(&w.diagnosis_prefix, "diagnosis_prefix", "the start of an ICD-10-CM code", icd_prefix, at)? {
        out.push(Condition::DiagnosisPrefix(v));
    }
    let no_codes = list(&w.no_diagnosis_in, "no_diagnosis_in", "an ICD-10-CM code", icd, at)?;
    let no_prefixes =
        list(&w.no_diagnosis_prefix, "no_diagnosis_prefix", "the start of an ICD-10-CM code", icd_prefix, at)?;
    if no_codes.is_some() || no_prefixes.is_some() {
        out.push(Condition::NoDiagnosis {
            codes: no_codes.unwrap_or_default(),
            prefixes: no_prefixes.unwrap_or_default(),
        });
    }
    for (value, under) in [(&w.age_under, true), (&w.age_at_least, false)] {
        if let Some(a) = value {
            let n = *a.get_ref();
            if !(0..=130).contains(&n) {
                return Err(at(a.span(), format!("an age must be 0 to 130 years, not {n}")));
            }
            out.push(if under { Condition::AgeUnder(n as u32) } else { Condition::AgeAtLeast(n as u32) });
        }
    }
    if let Some(s) = &w.sex {
        match s.get_ref().trim() {
            "F" => out.push(Condition::Sex('F')),
            "M" => out.push(Condition::Sex('M')),
            other => return Err(at(s.span(), format!("sex must be \"F\" or \"M\", not `{other}`"))),
        }
    }
    if let Some(v) = list(&w.place_of_service_in, "place_of_service_in", "an assigned place-of-service code", pos, at)?
    {
        out.push(Condition::PlaceOfServiceIn(v));
    }
    if let Some(v) = list(&w.frequency_in, "frequency_in", "a frequency code (1, 7 or 8)", frequency, at)? {
        out.push(Condition::FrequencyIn(v));
    }
    if let Some(v) = list(&w.missing, "missing", "a field", |s| SELECTORS.contains(&s), at)? {
        let known = v.iter().map(|s| *SELECTORS.iter().find(|x| *x == s).expect("checked")).collect();
        out.push(Condition::Missing(known));
    }
    if let Some(shapes) = &w.shape {
        if shapes.get_ref().is_empty() {
            return Err(at(shapes.span(), "shape is empty".into()));
        }
        let mut v = Vec::new();
        for (field, shape) in shapes.get_ref() {
            let Some(known) = SELECTORS.iter().find(|s| *s == field) else {
                return Err(at(
                    shapes.span(),
                    format!("shape: `{field}` is not a field (known: {})", SELECTORS.join(", ")),
                ));
            };
            if shape.is_empty() || shape.len() > 80 {
                return Err(at(shapes.span(), format!("shape of {field} must be 1 to 80 characters")));
            }
            v.push((*known, shape.clone()));
        }
        out.push(Condition::Shape(v));
    }
    if let Some(c) = &w.total_charge_above_cents {
        out.push(Condition::TotalChargeAbove(non_negative(c, at)?));
    }
    if let Some(v) = list(&w.procedure_in, "procedure_in", "a procedure code (5 letters or digits)", procedure, at)? {
        out.push(Condition::ProcedureIn(v));
    }
    if let Some(v) = list(&w.procedure_prefix, "procedure_prefix", "the start of a procedure code", prefix, at)? {
        out.push(Condition::ProcedurePrefix(v));
    }
    if let Some(v) = list(&w.modifier_in, "modifier_in", "a modifier (2 letters or digits)", modifier, at)? {
        out.push(Condition::ModifierIn(v));
    }
    if let Some(v) = list(&w.modifier_missing, "modifier_missing", "a modifier (2 letters or digits)", modifier, at)? {
        out.push(Condition::ModifierMissing(v));
    }
    if let Some(u) = &w.units_above {
        let units = match u.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => Decimal::from(*i),
            toml::Value::Float(f) if *f >= 0.0 => {
                Decimal::try_from(*f).map_err(|_| at(u.span(), "units_above is not a number".into()))?
            }
            toml::Value::String(s) => s
                .trim()
                .parse::<Decimal>()
                .ok()
                .filter(|d| !d.is_sign_negative())
                .ok_or_else(|| at(u.span(), format!("units_above `{s}` is not a number")))?,
            _ => return Err(at(u.span(), "units_above must be a number of units, 0 or more".into())),
        };
        out.push(Condition::UnitsAbove(units));
    }
    if let Some(c) = &w.line_charge_above_cents {
        out.push(Condition::LineChargeAbove(non_negative(c, at)?));
    }
    if let Some(v) =
        list(&w.with_procedure_in, "with_procedure_in", "a procedure code (5 letters or digits)", procedure, at)?
    {
        out.push(Condition::WithProcedureIn(v));
    }
    Ok(out)
}

fn non_negative(c: &Spanned<i64>, at: &At) -> Result<i64, PackError> {
    if *c.get_ref() < 0 {
        return Err(at(c.span(), "an amount of cents must be 0 or more".into()));
    }
    Ok(*c.get_ref())
}

/// Whether `value` has `shape`: `#` a digit, `@` a letter, `*` a letter or digit, else itself.
pub fn has_shape(value: &str, shape: &str) -> bool {
    value.chars().count() == shape.chars().count()
        && value.chars().zip(shape.chars()).all(|(v, s)| match s {
            '#' => v.is_ascii_digit(),
            '@' => v.is_ascii_alphabetic(),
            '*' => v.is_ascii_alphanumeric(),
            other => v == other,
        })
}

/// A field's value on a claim (or one of its lines).
fn field<'c>(v: &View<'c>, line: Option<usize>, selector: &str) -> Cow<'c, str> {
    let c = v.claim;
    let s = |x: &'c str| Cow::Borrowed(x.trim());
    match selector {
        "patient.patient_id" => s(c.patient.as_ref().map(|p| p.patient_id.as_str()).unwrap_or_default()),
        "patient.birth_date" => s(c.patient.as_ref().map(|p| p.birth_date.as_str()).unwrap_or_default()),
        "patient.address.postal_code" => {
            s(c.patient.as_ref().and_then(|p| p.address.as_ref()).map(|a| a.postal_code.as_str()).unwrap_or_default())
        }
        "coverage.member_id" => s(c.coverage.as_ref().map(|x| x.member_id.as_str()).unwrap_or_default()),
        "coverage.group_number" => s(c.coverage.as_ref().map(|x| x.group_number.as_str()).unwrap_or_default()),
        "coverage.payer_name" => s(c.coverage.as_ref().map(|x| x.payer_name.as_str()).unwrap_or_default()),
        "coverage.claim_filing" => s(c.coverage.as_ref().map(|x| x.claim_filing.as_str()).unwrap_or_default()),
        "billing_provider.taxonomy" => s(c.billing_provider.as_ref().map(|p| p.taxonomy.as_str()).unwrap_or_default()),
        "rendering_provider.npi" => s(c.rendering_provider.as_ref().map(|p| p.npi.as_str()).unwrap_or_default()),
        "rendering_provider.taxonomy" => {
            s(c.rendering_provider.as_ref().map(|p| p.taxonomy.as_str()).unwrap_or_default())
        }
        "referring_provider.npi" => s(c.referring_provider.as_ref().map(|p| p.npi.as_str()).unwrap_or_default()),
        "prior_authorization" => s(&c.prior_authorization),
        "place_of_service" => s(&c.place_of_service),
        "payer_claim_control_number" => s(&c.payer_claim_control_number),
        "line.modifiers" => line
            .map(|i| Cow::Owned(v.lines[i].modifiers.iter().map(|m| m.as_ref()).collect::<Vec<_>>().join(",")))
            .unwrap_or_default(),
        "line.place_of_service" => line.map(|i| s(&v.lines[i].line.place_of_service)).unwrap_or_default(),
        "line.service_date_end" => line.map(|i| s(&v.lines[i].line.service_date_end)).unwrap_or_default(),
        _ => Cow::Borrowed(""),
    }
}

impl Condition {
    fn holds(&self, v: &View, line: Option<usize>) -> bool {
        let l = line.map(|i| &v.lines[i]);
        let coverage = v.claim.coverage.as_ref();
        match self {
            Condition::PayerIn(ids) => ids.iter().any(|p| p == v.payer_id),
            Condition::ClaimFilingIn(c) => coverage.is_some_and(|x| c.iter().any(|c| *c == x.claim_filing.trim())),
            Condition::DiagnosisIn(codes) => v.diagnoses.iter().any(|(_, d)| codes.iter().any(|c| c == d)),
            Condition::DiagnosisPrefix(p) => {
                v.diagnoses.iter().any(|(_, d)| p.iter().any(|p| d.starts_with(p.as_str())))
            }
            Condition::NoDiagnosis { codes, prefixes } => !v
                .diagnoses
                .iter()
                .any(|(_, d)| codes.iter().any(|c| c == d) || prefixes.iter().any(|p| d.starts_with(p.as_str()))),
            Condition::AgeUnder(n) => v.age().is_some_and(|a| a < *n),
            Condition::AgeAtLeast(n) => v.age().is_some_and(|a| a >= *n),
            Condition::Sex(s) => v.sex == Some(*s),
            Condition::PlaceOfServiceIn(codes) => {
                let own = l.map(|l| l.line.place_of_service.trim()).filter(|p| !p.is_empty());
                let place = own.unwrap_or(v.claim.place_of_service.trim());
                codes.iter().any(|c| c == place)
            }
            Condition::FrequencyIn(f) => {
                let freq = v.claim.frequency_code.trim();
                f.iter().any(|x| x == if freq.is_empty() { "1" } else { freq })
            }
            Condition::Missing(fields) => fields.iter().any(|f| field(v, line, f).is_empty()),
            Condition::Shape(shapes) => shapes.iter().any(|(f, shape)| {
                let value = field(v, line, f);
                !value.is_empty() && !has_shape(&value, shape)
            }),
            Condition::TotalChargeAbove(c) => v.claim.total_charge_cents > *c,
            Condition::ProcedureIn(codes) => l.is_some_and(|l| codes.iter().any(|c| *c == l.code)),
            Condition::ProcedurePrefix(p) => l.is_some_and(|l| p.iter().any(|p| l.code.starts_with(p.as_str()))),
            Condition::ModifierIn(m) => l.is_some_and(|l| m.iter().any(|m| l.has_modifier(m))),
            Condition::ModifierMissing(m) => l.is_some_and(|l| !m.iter().any(|m| l.has_modifier(m))),
            Condition::UnitsAbove(u) => l.is_some_and(|l| l.units.is_some_and(|x| x > *u)),
            Condition::LineChargeAbove(c) => l.is_some_and(|l| l.line.charge_cents > *c),
            Condition::WithProcedureIn(codes) => l.is_some_and(|l| {
                v.lines
                    .iter()
                    .enumerate()
                    .any(|(j, o)| Some(j) != line && o.date == l.date && codes.iter().any(|c| *c == o.code))
            }),
        }
    }
}

impl Pack {
    /// `id@version`.
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// "tenant" or "payer <id>".
    pub fn scope(&self) -> String {
        match &self.payer_id {
            Some(p) => format!("payer {p}"),
            None => "tenant".into(),
        }
    }

    /// The pack is for this payer and in effect on this date.
    pub fn applies(&self, payer: &str, date: NaiveDate) -> bool {
        self.payer_id.as_deref().is_none_or(|p| p == payer)
            && self.effective_from <= date
            && self.effective_to.is_none_or(|to| date <= to)
    }

    fn check(&self, v: &View, f: &mut Findings) {
        for rule in &self.rules {
            // A place of service is the line's own in a rule about lines.
            let on_line =
                |c: &&Condition| c.per_line() || (rule.line_level && matches!(c, Condition::PlaceOfServiceIn(_)));
            let (line_conditions, claim_conditions): (Vec<&Condition>, Vec<&Condition>) =
                rule.conditions.iter().partition(on_line);
            if !claim_conditions.iter().all(|c| c.holds(v, None)) {
                continue;
            }
            let finding = |field: String, line: Option<usize>| RuleFinding {
                rule_id: Cow::Owned(rule.id.clone()),
                severity: rule.severity,
                field,
                line: line.map(|i| i as u32 + 1),
                message: match line {
                    Some(i) => format!("line {} {}: {}", i + 1, v.lines[i].code, rule.message),
                    None => rule.message.clone(),
                },
                source: if rule.source.is_empty() { format!("pack {}", self.label()) } else { rule.source.clone() },
                pack: Cow::Owned(self.id.clone()),
                overridden: None,
            };
            if !rule.line_level {
                f.0.push(finding(rule.field.clone(), None));
                continue;
            }
            for i in 0..v.lines.len() {
                if line_conditions.iter().all(|c| c.holds(v, Some(i))) {
                    f.0.push(finding(format!("lines[{i}].{}", rule.field), Some(i)));
                }
            }
        }
    }
}

/// The packs a tenant's claims run with (tenant-wide and per payer), in the order loaded.
#[derive(Debug, Clone, Default)]
pub struct TenantPacks {
    pub packs: Vec<Arc<Pack>>,
}

impl TenantPacks {
    /// Runs every pack that applies to the claim (its payer, its first date of service); records
    /// the labels of those applied.
    pub fn check(&self, v: &View, _today: NaiveDate, f: &mut Findings, applied: &mut Vec<String>) {
        let Some(date) = v.first_date else { return };
        for p in self.packs.iter().filter(|p| p.applies(v.payer_id, date)) {
            p.check(v, f);
            applied.push(p.label());
        }
    }

    /// The filing limit a pack sets for the payer on the date: the payer's own pack first.
    pub fn timely_filing_days(&self, payer: &str, date: NaiveDate) -> Option<(u32, String)> {
        let applying = || self.packs.iter().filter(|p| p.applies(payer, date));
        applying()
            .filter(|p| p.payer_id.is_some())
            .chain(applying().filter(|p| p.payer_id.is_none()))
            .find_map(|p| p.timely_filing_days.map(|d| (d, p.label())))
    }

    /// A tenant rule by id, with its pack.
    pub fn rule(&self, id: &str) -> Option<(&Pack, &PackRule)> {
        self.packs.iter().find_map(|p| p.rules.iter().find(|r| r.id == id).map(|r| (p.as_ref(), r)))
    }
}

#[cfg(test)]
mod tests;
