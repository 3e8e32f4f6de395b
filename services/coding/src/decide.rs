//! Coding's decisions, without I/O: the form of codes, the pricing of lines, and whether an
//! encounter becomes a claim (`ClaimCoded`) or waits for a coder (`ClaimNeedsCoding`).

use rcm_proto::common::{Claim, Encounter, Finding, ServiceLine, Severity, SourceCode};
use rcm_proto::events::{ClaimCoded, ClaimNeedsCoding};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;

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
        fees.push(Fee { procedure_code: code, modifier, charge_cents });
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
// The outcome
// ---------------------------------------------------------------------------------------------

/// What coding does with an encounter.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Coded(Box<ClaimCoded>),
    NeedsCoding(ClaimNeedsCoding),
}

fn finding(severity: Severity, rule: &str, field: String, message: String) -> Finding {
    Finding { rule_id: rule.into(), field, message, severity: severity as i32 }
}

fn error(rule: &str, field: String, message: String) -> Finding {
    finding(Severity::Error, rule, field, message)
}

/// Codes and prices an encounter. Every code well-formed, at least one ICD-10-CM diagnosis and
/// every line priced: a claim (`claim_id` from the envelope; the patient control number its 32 hex
/// digits; pointers default to the first diagnosis; total = sum of lines). Otherwise the findings,
/// with the source's conditions and line codes as evidence for the coder.
pub fn code_encounter(claim_id: &str, e: &Encounter, fees: &FeeSchedule) -> Outcome {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    let diagnoses: Vec<String> = e.diagnosis_codes.iter().map(|c| normalize_code(c)).collect();
    if diagnoses.is_empty() {
        errors.push(error(
            "CODING-NO-DIAGNOSIS",
            "diagnosis_codes".into(),
            format!("no ICD-10-CM diagnosis code; {} source condition(s) as evidence", e.conditions.len()),
        ));
    } else if diagnoses.len() > MAX_DIAGNOSES {
        errors.push(error(
            "CODING-TOO-MANY-DIAGNOSES",
            "diagnosis_codes".into(),
            format!("{} diagnosis codes; a claim carries at most {MAX_DIAGNOSES}", diagnoses.len()),
        ));
    }
    for (i, d) in diagnoses.iter().enumerate() {
        if !is_icd10cm(d) {
            errors.push(error(
                "CODING-ICD-FORM",
                format!("diagnosis_codes[{i}]"),
                format!(
                    "diagnosis_codes[{i}] is not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits)"
                ),
            ));
        }
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
        if line.diagnosis_pointers.is_empty() && !diagnoses.is_empty() {
            line.diagnosis_pointers = vec![1];
        }

        let code_ok = if line.procedure_code.is_empty() {
            errors.push(error(
                "CODING-NO-PROCEDURE",
                format!("lines[{i}].procedure_code"),
                format!("lines[{i}] has no CPT or HCPCS code; its source code is evidence"),
            ));
            false
        } else if procedure_kind(&line.procedure_code).is_none() {
            errors.push(error(
                "CODING-PROCEDURE-FORM",
                format!("lines[{i}].procedure_code"),
                format!("lines[{i}].procedure_code is neither CPT (5 digits, or 4 digits and F, T or U) nor HCPCS Level II (A to V and 4 digits)"),
            ));
            false
        } else {
            true
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
            }
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
            match fees.price(&line.procedure_code, &line.modifiers) {
                Some(fee) => match charge(fee, units) {
                    Some(c) => line.charge_cents = c,
                    None => errors.push(error(
                        "CODING-UNITS",
                        format!("lines[{i}].units"),
                        format!("lines[{i}].units times the fee is out of range"),
                    )),
                },
                None if line.charge_cents > 0 => warnings.push(finding(
                    Severity::Warning,
                    "CODING-SOURCE-CHARGE",
                    format!("lines[{i}].charge_cents"),
                    format!("lines[{i}]: no fee for its code in the tenant's schedule; the source's charge is kept"),
                )),
                None => errors.push(error(
                    "CODING-NO-FEE",
                    format!("lines[{i}].charge_cents"),
                    format!("lines[{i}]: no fee for its code in the tenant's schedule and no charge from the source"),
                )),
            }
        }
        lines.push(line);
    }
    if e.lines.is_empty() {
        errors.push(error("CODING-NO-LINE", "lines".into(), "the encounter has no service line".into()));
    }

    if !errors.is_empty() {
        let mut evidence: Vec<SourceCode> = e.conditions.clone();
        evidence.extend(e.lines.iter().filter_map(|l| l.source.clone()));
        let mut findings = errors;
        findings.extend(warnings);
        return Outcome::NeedsCoding(ClaimNeedsCoding { encounter_id: e.encounter_id.clone(), findings, evidence });
    }

    let total_charge_cents = lines.iter().map(|l: &ServiceLine| l.charge_cents).sum();
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
    };
    Outcome::Coded(Box::new(ClaimCoded { claim: Some(claim), findings: warnings }))
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
    use rcm_proto::common::{Patient, PersonName};

    const CLAIM: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    fn fees() -> FeeSchedule {
        parse_fee_schedule(
            "# test\nprocedure_code\tmodifier\tcharge_cents\n99213\t\t22719\n71046\t\t8405\n71046\t26\t2580\n71046\tTC\t5825\nG0439\t\t32540\n",
        )
        .unwrap()
        .into_iter()
        .collect()
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
            service_date: "2026-03-02".into(),
            diagnosis_codes: vec!["I10".into(), "e11.9".into()],
            lines: vec![line("99213"), ServiceLine { units: "2".into(), ..line("71046") }],
            ..Default::default()
        }
    }

    fn rules(o: &Outcome) -> Vec<(String, String)> {
        let findings = match o {
            Outcome::Coded(c) => &c.findings,
            Outcome::NeedsCoding(n) => &n.findings,
        };
        findings.iter().map(|f| (f.rule_id.clone(), f.field.clone())).collect()
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
        let Outcome::Coded(coded) = code_encounter(CLAIM, &encounter(), &fees()) else { panic!("not coded") };
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
        assert!(coded.findings.is_empty());
    }

    #[test]
    fn fractional_units_round_half_away_from_zero() {
        let mut e = encounter();
        e.lines = vec![
            ServiceLine { units: "0.5".into(), ..line("G0439") },
            ServiceLine { units: "1.5".into(), ..line("71046") },
        ];
        let Outcome::Coded(coded) = code_encounter(CLAIM, &e, &fees()) else { panic!("not coded") };
        let charges: Vec<i64> = coded.claim.unwrap().lines.iter().map(|l| l.charge_cents).collect();
        assert_eq!(charges, vec![16270, 12608], "32540 × 0.5; 8405 × 1.5 = 12607.5 → 12608");
    }

    #[test]
    fn a_code_without_a_fee_keeps_the_source_charge_or_needs_coding() {
        // Given a lab code the schedule does not price, with a charge from the source
        let mut e = encounter();
        e.lines.push(ServiceLine { charge_cents: 1234, ..line("85025") });
        // When it is coded, the charge is kept with a warning
        let o = code_encounter(CLAIM, &e, &fees());
        assert_eq!(rules(&o), vec![("CODING-SOURCE-CHARGE".into(), "lines[2].charge_cents".into())]);
        let Outcome::Coded(c) = o else { panic!("not coded") };
        assert_eq!(c.claim.unwrap().total_charge_cents, 22719 + 2 * 8405 + 1234);
        // Given the same line without a charge, then it needs coding
        e.lines[2].charge_cents = 0;
        let o = code_encounter(CLAIM, &e, &fees());
        assert!(matches!(o, Outcome::NeedsCoding(_)));
        assert_eq!(rules(&o), vec![("CODING-NO-FEE".into(), "lines[2].charge_cents".into())]);
    }

    #[test]
    fn an_encounter_with_only_snomed_conditions_needs_coding_with_evidence() {
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
        let o = code_encounter(CLAIM, &e, &fees());
        // Then it needs coding, naming the missing diagnosis and procedure code
        assert_eq!(
            rules(&o),
            vec![
                ("CODING-NO-DIAGNOSIS".into(), "diagnosis_codes".into()),
                ("CODING-NO-PROCEDURE".into(), "lines[1].procedure_code".into())
            ]
        );
        // And the conditions and the line's source code travel as evidence
        let Outcome::NeedsCoding(n) = o else { panic!() };
        assert_eq!(n.encounter_id, "E-1");
        let evidence: Vec<&str> = n.evidence.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(evidence, vec!["38341003", "44054006", "168594001"]);
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
        let o = code_encounter(CLAIM, &e, &fees());
        // Then every problem is a finding naming its field
        let fields: Vec<(String, String)> = rules(&o);
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
        assert_eq!(fields, expect.iter().map(|(r, f)| (r.to_string(), f.to_string())).collect::<Vec<_>>());
        assert!(matches!(o, Outcome::NeedsCoding(_)));
    }

    #[test]
    fn more_than_twelve_diagnoses_need_coding() {
        let mut e = encounter();
        e.diagnosis_codes = (0..13).map(|i| format!("Z{:02}", 10 + i)).collect();
        assert_eq!(
            rules(&code_encounter(CLAIM, &e, &fees())),
            vec![("CODING-TOO-MANY-DIAGNOSES".into(), "diagnosis_codes".into())]
        );
    }

    #[test]
    fn procedure_codes_are_listed_once() {
        let mut e = encounter();
        e.lines.push(line(" 99213"));
        e.lines.push(line(""));
        assert_eq!(procedure_codes(&e), vec!["71046", "99213"]);
    }
}
