//! What intake finds and lets through: rule ids, and a small builder.
//!
//! A finding names the rule, the field of the `Encounter` it is about (or `entry[i]` for bundle-level findings)
//! and says what is wrong using ids, field names and amounts only, never names, dates or other content.

use rcm_proto::common::{Finding, Severity};

/// The rule ids intake emits. Errors block billing until someone decides; warnings inform.
pub mod rules {
    /// An entry or resource whose JSON does not have the R4 shape intake reads (error).
    pub const RESOURCE_UNREADABLE: &str = "intake.resource_unreadable";
    /// A Bundle entry without a resource (warning).
    pub const ENTRY_SKIPPED: &str = "intake.entry_skipped";
    /// A Claim or ChargeItem that belongs to no Encounter of the bundle (warning).
    pub const UNLINKED: &str = "intake.unlinked";
    /// A reference that does not resolve inside the bundle (warning); what could be taken from the reference
    /// itself (display, an NPI in a conditional reference) is kept.
    pub const REFERENCE_UNRESOLVED: &str = "intake.reference_unresolved";
    /// No billing provider at all (error).
    pub const PROVIDER_MISSING: &str = "intake.provider_missing";
    /// A provider without an NPI (error).
    pub const NPI_MISSING: &str = "intake.npi_missing";
    /// An NPI that is not ten digits (error).
    pub const NPI_FORMAT: &str = "intake.npi_format";
    /// An NPI whose Luhn check digit (prefix 80840) is wrong (error).
    pub const NPI_CHECK_DIGIT: &str = "intake.npi_check_digit";
    /// A tax identifier that is not nine digits (warning; not kept).
    pub const TAX_ID_FORMAT: &str = "intake.tax_id_format";
    /// No payer, or the source says NO_INSURANCE (error).
    pub const PAYER_MISSING: &str = "intake.payer_missing";
    /// Coverage without a member id (error).
    pub const MEMBER_ID_MISSING: &str = "intake.member_id_missing";
    /// Encounter.class not one intake maps; place of service defaulted to 11 (warning).
    pub const PLACE_OF_SERVICE_DEFAULTED: &str = "intake.place_of_service_defaulted";
    /// No usable Encounter.period.start (error).
    pub const SERVICE_DATE_MISSING: &str = "intake.service_date_missing";
    /// No patient for the encounter (error).
    pub const PATIENT_MISSING: &str = "intake.patient_missing";
    /// Patient birth date missing or not a full YYYY-MM-DD date (error; not kept).
    pub const BIRTH_DATE: &str = "intake.birth_date";
    /// No ICD-10-CM code among the encounter's diagnoses; the source codes are the evidence (warning).
    pub const DIAGNOSIS_NOT_ICD10CM: &str = "intake.diagnosis_not_icd10cm";
    /// A line without a charge in the source; left for pricing (warning).
    pub const CHARGE_MISSING: &str = "intake.charge_missing";
    /// A money value that is not a number or does not fit (error; charge set to 0).
    pub const MONEY_INVALID: &str = "intake.money_invalid";
    /// Money in a currency other than USD (warning; amount kept as is).
    pub const CURRENCY_NOT_USD: &str = "intake.currency_not_usd";
    /// A quantity that is not a positive number; units set to 1 (warning).
    pub const QUANTITY_INVALID: &str = "intake.quantity_invalid";
    /// Claim.total differs from the sum of the lines read from that Claim (warning).
    pub const CLAIM_TOTAL_MISMATCH: &str = "intake.claim_total_mismatch";
    /// A Claim of the encounter not turned into lines (pharmacy claims) (warning).
    pub const CLAIM_NOT_MAPPED: &str = "intake.claim_not_mapped";
    /// A Procedure not done or entered in error, not turned into a line (warning).
    pub const PROCEDURE_NOT_DONE: &str = "intake.procedure_not_done";
    /// An encounter with no lines at all (warning).
    pub const NO_LINES: &str = "intake.no_lines";
}

#[derive(Debug, Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub fn new() -> Self {
        Findings(Vec::new())
    }

    pub fn error(&mut self, rule_id: &str, field: &str, message: impl Into<String>) {
        self.push(rule_id, field, message.into(), Severity::Error);
    }

    pub fn warning(&mut self, rule_id: &str, field: &str, message: impl Into<String>) {
        self.push(rule_id, field, message.into(), Severity::Warning);
    }

    fn push(&mut self, rule_id: &str, field: &str, message: String, severity: Severity) {
        self.0.push(Finding {
            rule_id: rule_id.to_owned(),
            field: field.to_owned(),
            message,
            severity: severity as i32,
        });
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }
}
