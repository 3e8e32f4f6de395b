//! Every built-in rule with its identity (id, severity, pack, what it checks, the source that
//! justifies it), the built-in packs, and the finding a rule gives.
//!
//! A finding can only be made from a [`Rule`] (built-in) or a tenant pack's rule, so its id,
//! severity, pack and source always agree with what `ExplainRule` says.

use chrono::NaiveDate;
use rcm_proto::common::Severity as PbSeverity;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the claim.
    Error,
    /// The claim goes on with it as a note.
    Warning,
}

impl Severity {
    pub fn proto(self) -> PbSeverity {
        match self {
            Severity::Error => PbSeverity::Error,
            Severity::Warning => PbSeverity::Warning,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A built-in rule.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// The built-in pack's id.
    pub pack: &'static str,
    /// What it checks, in a biller's words.
    pub checks: &'static str,
    /// What justifies it.
    pub source: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $sev:ident, $pack:literal, $checks:literal, $source:literal;)*) => {
        $(pub static $name: Rule = Rule { id: $id, severity: Severity::$sev, pack: $pack, checks: $checks, source: $source };)*
        /// Every built-in rule, pack by pack.
        pub static BUILTIN: &[&Rule] = &[$(&$name),*];
    };
}

rules! {
    // 837P requirements.
    REQ_PCN = "SCRUB-REQ-PCN", Error, "837p", "the patient control number is present",
        "ASC X12 837P 005010X222A1, 2300 CLM01";
    REQ_PATIENT_NAME = "SCRUB-REQ-PATIENT-NAME", Error, "837p", "the patient's last and first names are present",
        "ASC X12 837P 005010X222A1, 2010BA/2010CA NM103-NM104";
    REQ_PATIENT_BIRTH_DATE = "SCRUB-REQ-PATIENT-BIRTH-DATE", Error, "837p", "the patient's birth date is a real date",
        "ASC X12 837P 005010X222A1, 2010BA/2010CA DMG02";
    REQ_PATIENT_GENDER = "SCRUB-REQ-PATIENT-GENDER", Error, "837p", "the patient's gender is F, M or U",
        "ASC X12 837P 005010X222A1, 2010BA/2010CA DMG03";
    REQ_PATIENT_ADDRESS = "SCRUB-REQ-PATIENT-ADDRESS", Error, "837p", "the patient's address has a first line and a city",
        "ASC X12 837P 005010X222A1, 2010BA/2010CA N3-N4";
    REQ_SUBSCRIBER_NAME = "SCRUB-REQ-SUBSCRIBER-NAME", Error, "837p",
        "the subscriber's name is present when the patient is not the subscriber",
        "ASC X12 837P 005010X222A1, 2010BA NM103";
    REQ_PAYER_ID = "SCRUB-REQ-PAYER-ID", Error, "837p", "the payer id is present",
        "ASC X12 837P 005010X222A1, 2010BB NM109";
    REQ_MEMBER_ID = "SCRUB-REQ-MEMBER-ID", Error, "837p", "the member id is present",
        "ASC X12 837P 005010X222A1, 2010BA NM109";
    REQ_BILLING_NPI = "SCRUB-REQ-BILLING-NPI", Error, "837p", "the billing provider's NPI is present",
        "ASC X12 837P 005010X222A1, 2010AA NM109";
    REQ_BILLING_NAME = "SCRUB-REQ-BILLING-NAME", Error, "837p", "the billing provider has an organization or a last name",
        "ASC X12 837P 005010X222A1, 2010AA NM103";
    REQ_BILLING_TAX_ID = "SCRUB-REQ-BILLING-TAX-ID", Error, "837p", "the billing provider's tax id (EIN or SSN) has 9 digits",
        "ASC X12 837P 005010X222A1, 2010AA REF*EI";
    REQ_BILLING_ADDRESS = "SCRUB-REQ-BILLING-ADDRESS", Error, "837p",
        "the billing address has a first line, a city, a 2-letter state and a ZIP code",
        "ASC X12 837P 005010X222A1, 2010AA N3-N4";
    BILLING_ZIP4 = "SCRUB-BILLING-ZIP4", Error, "837p", "the billing provider's ZIP code has all 9 digits (ZIP+4)",
        "ASC X12 837P 005010X222A1, 2010AA N403: the billing provider's 9-digit ZIP code";
    NPI_FORM = "SCRUB-NPI-FORM", Error, "837p", "every NPI (billing, rendering, referring) is 10 digits",
        "CMS NPI standard (45 CFR 162.406); ASC X12 837P 005010X222A1 NM109";
    NPI_CHECK_DIGIT = "SCRUB-NPI-CHECK-DIGIT", Error, "837p",
        "every NPI's tenth digit is its Luhn check digit over 80840 and the first nine",
        "CMS, Requirements for the NPI check digit (ISO 7812 Luhn over prefix 80840)";
    REQ_DIAGNOSIS = "SCRUB-REQ-DIAGNOSIS", Error, "837p", "the claim has at least one diagnosis code",
        "ASC X12 837P 005010X222A1, 2300 HI*ABK";
    REQ_LINE = "SCRUB-REQ-LINE", Error, "837p", "the claim has at least one service line",
        "ASC X12 837P 005010X222A1, 2400 LX";
    REQ_PROCEDURE_CODE = "SCRUB-REQ-PROCEDURE-CODE", Error, "837p", "each line has a procedure code",
        "ASC X12 837P 005010X222A1, 2400 SV101-2";
    LINE_CHARGE = "SCRUB-LINE-CHARGE", Error, "837p", "each line's charge is above zero",
        "ASC X12 837P 005010X222A1, 2400 SV102";
    REQ_UNITS = "SCRUB-REQ-UNITS", Error, "837p", "each line has units above zero",
        "ASC X12 837P 005010X222A1, 2400 SV104";
    REQ_SERVICE_DATE = "SCRUB-REQ-SERVICE-DATE", Error, "837p", "each line has a real service date (its own or the claim's)",
        "ASC X12 837P 005010X222A1, 2400 DTP*472";
    DATES_ORDER = "SCRUB-DATES-ORDER", Error, "837p", "a line's service date range ends on or after it starts",
        "ASC X12 837P 005010X222A1, 2400 DTP*472 (RD8 from-through)";
    TOTAL_MISMATCH = "SCRUB-TOTAL-MISMATCH", Error, "837p", "the total charge equals the sum of the line charges",
        "ASC X12 837P 005010X222A1, 2300 CLM02 = sum of 2400 SV102";
    SERVICE_DATE_FUTURE = "SCRUB-SERVICE-DATE-FUTURE", Error, "837p", "no service date is after today",
        "ASC X12 837P 005010X222A1, 2400 DTP*472: services are billed once rendered";
    BIRTH_AFTER_SERVICE = "SCRUB-BIRTH-AFTER-SERVICE", Error, "837p", "the patient was born on or before every service date",
        "ASC X12 837P 005010X222A1, DMG02 and 2400 DTP*472";
    REQ_POS = "SCRUB-REQ-POS", Error, "837p", "the claim has a place of service",
        "ASC X12 837P 005010X222A1, 2300 CLM05-1";
    POS_UNKNOWN = "SCRUB-POS-UNKNOWN", Error, "837p", "every place of service (claim and lines) is an assigned CMS code",
        "CMS Place of Service code set; ASC X12 837P 005010X222A1, CLM05-1 and SV105";
    FREQUENCY = "SCRUB-FREQUENCY", Error, "837p", "the claim frequency code is 1 (original), 7 (replacement) or 8 (void)",
        "ASC X12 837P 005010X222A1, 2300 CLM05-3";
    REQ_PAYER_CCN = "SCRUB-REQ-PAYER-CCN", Error, "837p",
        "a replacement (7) or void (8) carries the payer's claim control number of the original",
        "ASC X12 837P 005010X222A1, 2300 REF*F8, required when CLM05-3 is 7 or 8";

    // Code sets at the date of service.
    DX_UNKNOWN = "SCRUB-DX-UNKNOWN", Error, "codes", "each diagnosis is an ICD-10-CM code",
        "ICD-10-CM (CDC/NCHS), the HIPAA code set in force on the date of service (45 CFR 162.1002)";
    DX_NOT_IN_FORCE = "SCRUB-DX-NOT-IN-FORCE", Error, "codes",
        "each diagnosis is in the ICD-10-CM version in force on the date of service",
        "ICD-10-CM (CDC/NCHS) fiscal-year versions, October 1 to September 30 (45 CFR 162.1002)";
    DX_HEADER = "SCRUB-DX-HEADER", Error, "codes", "each diagnosis is billable (a leaf code, not a header)",
        "ICD-10-CM Official Guidelines I.A.2 and I.B.2: codes to the highest specificity";
    DX_COUNT = "SCRUB-DX-COUNT", Error, "codes", "the claim has at most 12 diagnosis codes",
        "ASC X12 837P 005010X222A1, 2300 HI (12 codes)";
    DX_NO_DATA = "SCRUB-DX-NO-DATA", Warning, "codes",
        "the date of service is covered by a loaded ICD-10-CM version (if not, the nearest judged)",
        "ICD-10-CM fiscal-year versions loaded in rcm-codesets";
    PROC_UNKNOWN = "SCRUB-PROC-UNKNOWN", Error, "codes",
        "each procedure code is a CPT code or a HCPCS Level II code of the file covering the date",
        "CMS HCPCS Level II quarterly file; AMA CPT code form";
    PROC_NOT_IN_FORCE = "SCRUB-PROC-NOT-IN-FORCE", Error, "codes",
        "each HCPCS Level II code was added on or before, and not terminated before, the date of service",
        "CMS HCPCS Level II quarterly file (added and termination dates)";
    PROC_NO_DATA = "SCRUB-PROC-NO-DATA", Warning, "codes",
        "a HCPCS code missing from the loaded file is flagged when the file predates the date of service",
        "CMS HCPCS Level II quarterly file, 2024-07";
    CPT_NOT_CARRIED = "SCRUB-CPT-NOT-CARRIED", Warning, "codes",
        "each CPT code is one CMS's public tables carry (physician fee schedule, NCCI MUE)",
        "CMS PFS relative value file and NCCI MUE table, 2024-07 (CPT numbers only)";
    MODIFIER_UNKNOWN = "SCRUB-MODIFIER-UNKNOWN", Error, "codes", "each modifier is a CPT or HCPCS Level II modifier",
        "CMS HCPCS Level II modifiers; AMA CPT modifier codes";
    MODIFIER_COUNT = "SCRUB-MODIFIER-COUNT", Error, "codes", "a line has at most 4 modifiers",
        "ASC X12 837P 005010X222A1, 2400 SV101-3 to SV101-6";
    POINTER_MISSING = "SCRUB-POINTER-MISSING", Error, "codes", "each line points to at least one diagnosis",
        "ASC X12 837P 005010X222A1, 2400 SV107-1 (required)";
    POINTER_INVALID = "SCRUB-POINTER-INVALID", Error, "codes", "each diagnosis pointer points to a diagnosis of the claim",
        "ASC X12 837P 005010X222A1, 2400 SV107 (1 to 12, into 2300 HI)";
    POINTER_COUNT = "SCRUB-POINTER-COUNT", Error, "codes", "a line has at most 4 diagnosis pointers",
        "ASC X12 837P 005010X222A1, 2400 SV107-1 to SV107-4";

    // Clinical: MCE.
    MCE_NEWBORN = "SCRUB-MCE-NEWBORN", Error, "clinical", "a newborn diagnosis is for a patient aged 0",
        "CMS Definitions of Medicare Code Edits, age conflict (newborn)";
    MCE_PEDIATRIC = "SCRUB-MCE-PEDIATRIC", Error, "clinical", "a pediatric diagnosis is for a patient aged 0 to 17",
        "CMS Definitions of Medicare Code Edits, age conflict (pediatric)";
    MCE_MATERNITY = "SCRUB-MCE-MATERNITY", Error, "clinical", "a maternity diagnosis is for a patient aged 9 to 64",
        "CMS Definitions of Medicare Code Edits, age conflict (maternity)";
    MCE_ADULT = "SCRUB-MCE-ADULT", Error, "clinical", "an adult diagnosis is for a patient aged 15 to 124",
        "CMS Definitions of Medicare Code Edits, age conflict (adult)";
    MCE_SEX = "SCRUB-MCE-SEX", Error, "clinical", "a sex-specific diagnosis matches the patient's sex",
        "CMS Definitions of Medicare Code Edits, sex conflict";
    MCE_MANIFESTATION = "SCRUB-MCE-MANIFESTATION", Error, "clinical",
        "a manifestation code is not the first diagnosis (code the underlying condition first)",
        "CMS Definitions of Medicare Code Edits, manifestation code as principal diagnosis; ICD-10-CM Guidelines I.A.13";
    MCE_NO_DATA = "SCRUB-MCE-NO-DATA", Warning, "clinical",
        "the MCE version loaded covers the date of service for the diagnoses where edits may exist",
        "CMS Definitions of Medicare Code Edits";

    // NCCI.
    NCCI_PTP = "SCRUB-NCCI-PTP", Error, "ncci",
        "no procedure-to-procedure pair on one date for one patient and provider, unless its modifier indicator is 1 and an NCCI-associated modifier is there",
        "CMS NCCI procedure-to-procedure edits, practitioner";
    NCCI_MUE_LINE = "SCRUB-NCCI-MUE-LINE", Error, "ncci", "a line's units are within the code's MUE (MAI 1)",
        "CMS NCCI medically unlikely edits, practitioner";
    NCCI_MUE_DAY = "SCRUB-NCCI-MUE-DAY", Error, "ncci",
        "a code's units on one date are within its MUE (MAI 2 and 3), across lines and claims already sent",
        "CMS NCCI medically unlikely edits, practitioner";
    NCCI_AOC = "SCRUB-NCCI-AOC", Error, "ncci", "an add-on code is billed with a primary procedure on the same date",
        "CMS NCCI add-on code edits";
    NCCI_AOC_PRIMARY = "SCRUB-NCCI-AOC-PRIMARY", Warning, "ncci",
        "an add-on code of edit type 3 goes with one of its listed primaries (others are up to the contractor)",
        "CMS NCCI add-on code edits (type 3)";
    NCCI_NO_DATA = "SCRUB-NCCI-NO-DATA", Warning, "ncci",
        "the NCCI quarter loaded covers every date of service (if not, the nearest quarter judged)",
        "CMS NCCI practitioner tables, quarterly";

    // Duplicates and timely filing.
    DUPLICATE = "SCRUB-DUPLICATE", Error, "history",
        "no line repeats a service (patient, billing provider, date, procedure and modifiers) of a claim already sent",
        "Payers deny exact duplicates (CARC 18); CMS Claims Processing Manual ch. 1 §120 (duplicate claims)";
    TIMELY_FILING = "SCRUB-TIMELY-FILING", Error, "history",
        "the oldest service date is within the payer's filing limit (Medicare: 365 days)",
        "42 CFR 424.44 (Medicare: one calendar year from the date of service); payer contracts and packs";
}

/// A built-in rule by id.
pub fn builtin(id: &str) -> Option<&'static Rule> {
    BUILTIN.iter().copied().find(|r| r.id == id)
}

/// What a built-in pack is, and which data it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub version: String,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    /// What is done for a date of service the pack's data does not cover.
    pub coverage_note: String,
}

impl PackInfo {
    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

/// Who overrode a finding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideNote {
    pub who: String,
    pub reason: String,
}

/// A finding with its identity: which rule, how severe, where, why, and on what authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFinding {
    pub rule_id: Cow<'static, str>,
    pub severity: Severity,
    /// The claim field, e.g. `lines[1].modifiers`.
    pub field: String,
    /// The 1-based service line; `None` for the claim.
    pub line: Option<u32>,
    pub message: String,
    pub source: String,
    pub pack: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden: Option<OverrideNote>,
}

impl RuleFinding {
    /// An error not overridden.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Error && self.overridden.is_none()
    }

    /// As it travels in events: the source after the message; an overridden finding as a warning
    /// naming who overrode it (the reason stays with the claim's record).
    pub fn to_event(&self) -> rcm_proto::common::Finding {
        let (severity, message) = match &self.overridden {
            Some(o) => {
                (Severity::Warning, format!("overridden by {}: {} (source: {})", o.who, self.message, self.source))
            }
            None => (self.severity, format!("{} (source: {})", self.message, self.source)),
        };
        rcm_proto::common::Finding {
            rule_id: self.rule_id.to_string(),
            field: self.field.clone(),
            message,
            severity: severity.proto() as i32,
        }
    }

    pub fn to_api(&self) -> rcm_proto::scrubbing::RuleFinding {
        rcm_proto::scrubbing::RuleFinding {
            rule_id: self.rule_id.to_string(),
            severity: self.severity.proto() as i32,
            field: self.field.clone(),
            line: self.line.unwrap_or(0),
            message: self.message.clone(),
            source: self.source.clone(),
            pack: self.pack.to_string(),
            overridden: self.overridden.is_some(),
            overridden_by: self.overridden.as_ref().map(|o| o.who.clone()).unwrap_or_default(),
            override_reason: self.overridden.as_ref().map(|o| o.reason.clone()).unwrap_or_default(),
        }
    }
}

/// Collects findings in claim order.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<RuleFinding>);

impl Findings {
    /// A finding of a built-in rule, with the rule's source.
    pub fn add(&mut self, rule: &'static Rule, field: impl Into<String>, line: Option<usize>, message: String) {
        self.add_sourced(rule, field, line, message, rule.source.to_string());
    }

    /// A finding of a built-in rule whose source names the data version it was judged by.
    pub fn add_sourced(
        &mut self,
        rule: &'static Rule,
        field: impl Into<String>,
        line: Option<usize>,
        message: String,
        source: String,
    ) {
        self.0.push(RuleFinding {
            rule_id: Cow::Borrowed(rule.id),
            severity: rule.severity,
            field: field.into(),
            line: line.map(|i| i as u32 + 1),
            message,
            source,
            pack: Cow::Borrowed(rule.pack),
            overridden: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = BUILTIN.iter().map(|r| r.id).collect();
        assert!(ids.iter().all(|id| id.starts_with("SCRUB-")
            && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')));
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a rule id is used twice");
        for r in BUILTIN {
            assert!(["837p", "codes", "clinical", "ncci", "history"].contains(&r.pack), "{}", r.id);
            assert!(!r.checks.is_empty() && !r.source.is_empty(), "{}", r.id);
        }
        assert_eq!(builtin("SCRUB-NCCI-PTP").map(|r| r.pack), Some("ncci"));
        assert!(builtin("SCRUB-NOPE").is_none());
    }

    #[test]
    fn an_overridden_error_travels_as_a_warning_without_its_reason() {
        let mut f = Findings::default();
        f.add(&NCCI_PTP, "lines[1].procedure_code", Some(1), "a pair".into());
        let mut finding = f.0.remove(0);
        assert!(finding.blocks());
        assert_eq!(finding.line, Some(2));
        finding.overridden =
            Some(OverrideNote { who: "biller7".into(), reason: "separate session, documented".into() });
        assert!(!finding.blocks());
        let e = finding.to_event();
        assert_eq!(e.severity, PbSeverity::Warning as i32);
        assert!(e.message.starts_with("overridden by biller7: a pair (source: CMS NCCI"), "{}", e.message);
        assert!(!e.message.contains("documented"));
        let api = finding.to_api();
        assert_eq!(
            (api.severity, api.overridden, api.override_reason.as_str()),
            (PbSeverity::Error as i32, true, "separate session, documented")
        );
    }
}
