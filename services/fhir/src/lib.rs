//! Intake from FHIR R4 bundles as EHR exports produce them.
//!
//! [`read_bundle`] reads one patient's Bundle (collection, transaction, batch, searchset, document) and maps
//! every FHIR `Encounter` in it to the platform's [`Encounter`] message. Intake keeps what it is given and lets
//! later steps decide:
//!
//! - Conditions travel as [`SourceCode`](rcm_proto::common::SourceCode) evidence (SNOMED CT and the rest);
//!   only ICD-10-CM codes become `diagnosis_codes`. An encounter without one still maps, with a finding.
//! - Lines come from the encounter's Claim items, else its ChargeItems, else its Procedures. CPT/HCPCS codes go to
//!   `procedure_code`; anything else (SNOMED CT, CVX, …) to `source`, with an empty `procedure_code`.
//! - Money is read from the JSON number's text as a decimal (never through `f64`) and rounded to cents half away
//!   from zero: see [`money`].
//! - References are resolved inside the bundle (`urn:uuid:…`, `Type/id`, full URLs, `#contained`, and
//!   conditional `Type?identifier=system|value`); what does not resolve is a finding naming the field, keeping
//!   what the reference itself gives (the NPI of a conditional reference, an organization's display).
//! - Problems that do not stop reading (bad NPI check digit, missing payer, missing member id, …) are
//!   [`Finding`]s with a rule id from [`rules`] and the field they are about.
//!
//! Errors ([`FhirError`]) are reserved for input that cannot be read at all. No message, error or finding ever
//! quotes content from the bundle: only ids, resource types, field names and amounts.

mod bundle;
mod error;
mod findings;
mod map;
mod model;
pub mod money;
pub mod npi;

pub use error::FhirError;
pub use findings::rules;
pub use rcm_proto::common::{Encounter, Finding, Severity};

/// The encounters of one bundle, and the findings that belong to the bundle rather than to one encounter
/// (unreadable entries, claims that belong to no encounter). Per-encounter findings are in `Encounter.findings`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BundleEncounters {
    pub encounters: Vec<Encounter>,
    pub findings: Vec<Finding>,
}

/// Reads a FHIR R4 Bundle (JSON) and maps each of its Encounter resources to an [`Encounter`], in bundle order.
///
/// Fails only when the input is not JSON, not a Bundle, or a Bundle without a Patient; never panics.
pub fn read_bundle(json: &[u8]) -> Result<BundleEncounters, FhirError> {
    // Windows exports often start with a UTF-8 byte order mark, which JSON does not allow.
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let mut findings = Vec::new();
    let bundle = bundle::Bundle::read(json, &mut findings)?;
    if !bundle.entries.iter().any(|e| e.resource_type == "Patient") {
        return Err(FhirError::NoPatient);
    }
    let encounters = map::map_bundle(&bundle, &mut findings);
    Ok(BundleEncounters { encounters, findings })
}
