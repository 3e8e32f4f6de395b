//! Hand-written serde types for the parts of the FHIR R4 resources intake reads. Unknown elements are ignored;
//! every element is optional; arrays of primitives may hold `null` (FHIR JSON's placeholder when only an
//! extension is present). Decimals are read from their JSON text ([`Dec`]), never through `f64`.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A FHIR decimal read from its JSON text; `Invalid` when the text is not a number [`Decimal`] can hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dec {
    Value(Decimal),
    Invalid,
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        Ok(crate::money::parse_json_decimal(raw.get()).map_or(Dec::Invalid, Dec::Value))
    }
}

/// `null` or a missing array reads as empty.
fn vec_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// An array of strings whose `null` placeholders are dropped.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items: Option<Vec<Option<String>>> = Deserialize::deserialize(d)?;
    Ok(items.unwrap_or_default().into_iter().flatten().collect())
}

/// Just enough of a resource to know what it is.
#[derive(Debug, Deserialize)]
pub(crate) struct Head {
    #[serde(rename = "resourceType")]
    pub resource_type: Option<String>,
    pub id: Option<String>,
}

/// The top of the document: what kind of resource it is.
#[derive(Debug, Deserialize)]
pub(crate) struct Top {
    #[serde(rename = "resourceType")]
    pub resource_type: Option<serde_json::Value>,
}

/// Bundle.entry, each entry kept as raw JSON to be read on its own.
#[derive(Debug, Deserialize)]
pub(crate) struct BundleEntries {
    pub entry: Option<Vec<Box<RawValue>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BundleEntry {
    pub full_url: Option<String>,
    pub resource: Option<Box<RawValue>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CodeableConcept {
    #[serde(deserialize_with = "vec_or_null")]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Identifier {
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Reference {
    pub reference: Option<String>,
    pub identifier: Option<Identifier>,
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HumanName {
    #[serde(rename = "use")]
    pub use_: Option<String>,
    pub family: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub given: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub suffix: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Address {
    #[serde(deserialize_with = "strings")]
    pub line: Vec<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Money {
    pub value: Option<Dec>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Quantity {
    pub value: Option<Dec>,
}

/// Patient, and RelatedPerson (the same elements for our purposes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Person {
    pub id: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub identifier: Vec<Identifier>,
    #[serde(deserialize_with = "vec_or_null")]
    pub name: Vec<HumanName>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub address: Vec<Address>,
}

/// Practitioner and Organization: both can be a provider.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Party {
    pub id: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub identifier: Vec<Identifier>,
    /// Organization.name is a string; Practitioner.name is a list of HumanName. Read as raw and told apart by
    /// resourceType.
    pub name: Option<Box<RawValue>>,
    #[serde(deserialize_with = "vec_or_null")]
    pub address: Vec<Address>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EncounterParticipant {
    pub individual: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EncounterDiagnosis {
    pub condition: Option<Reference>,
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Encounter {
    pub id: Option<String>,
    pub class: Option<Coding>,
    #[serde(rename = "type", deserialize_with = "vec_or_null")]
    pub type_: Vec<CodeableConcept>,
    #[serde(deserialize_with = "vec_or_null")]
    pub reason_code: Vec<CodeableConcept>,
    pub subject: Option<Reference>,
    #[serde(deserialize_with = "vec_or_null")]
    pub participant: Vec<EncounterParticipant>,
    pub period: Option<Period>,
    #[serde(deserialize_with = "vec_or_null")]
    pub diagnosis: Vec<EncounterDiagnosis>,
    pub service_provider: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Condition {
    pub code: Option<CodeableConcept>,
    pub encounter: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Procedure {
    pub status: Option<String>,
    pub code: Option<CodeableConcept>,
    pub encounter: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ChargeItem {
    pub code: Option<CodeableConcept>,
    pub context: Option<Reference>,
    pub quantity: Option<Quantity>,
    pub price_override: Option<Money>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Insurance {
    pub sequence: Option<u32>,
    pub focal: Option<bool>,
    pub coverage: Option<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ClaimDiagnosis {
    pub sequence: Option<u32>,
    pub diagnosis_codeable_concept: Option<CodeableConcept>,
    pub diagnosis_reference: Option<Reference>,
    #[serde(rename = "type", deserialize_with = "vec_or_null")]
    pub type_: Vec<CodeableConcept>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ClaimItem {
    #[serde(deserialize_with = "vec_or_null")]
    pub diagnosis_sequence: Vec<u32>,
    #[serde(deserialize_with = "vec_or_null")]
    pub procedure_sequence: Vec<u32>,
    #[serde(deserialize_with = "vec_or_null")]
    pub information_sequence: Vec<u32>,
    pub product_or_service: Option<CodeableConcept>,
    #[serde(deserialize_with = "vec_or_null")]
    pub modifier: Vec<CodeableConcept>,
    pub quantity: Option<Quantity>,
    pub unit_price: Option<Money>,
    pub factor: Option<Dec>,
    pub net: Option<Money>,
    #[serde(deserialize_with = "vec_or_null")]
    pub encounter: Vec<Reference>,
}

/// Claim, and the few elements of ExplanationOfBenefit intake uses (the same names in both).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Claim {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub provider: Option<Reference>,
    /// ExplanationOfBenefit.claim.
    pub claim: Option<Reference>,
    #[serde(deserialize_with = "vec_or_null")]
    pub contained: Vec<Box<RawValue>>,
    #[serde(deserialize_with = "vec_or_null")]
    pub insurance: Vec<Insurance>,
    #[serde(deserialize_with = "vec_or_null")]
    pub diagnosis: Vec<ClaimDiagnosis>,
    #[serde(deserialize_with = "vec_or_null")]
    pub item: Vec<ClaimItem>,
    /// Claim.total (Money). ExplanationOfBenefit.total is a list and is not read.
    #[serde(deserialize_with = "claim_total")]
    pub total: Option<Money>,
}

/// Claim.total is Money; ExplanationOfBenefit.total is a list of adjudication totals, which intake does not use.
fn claim_total<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    let raw: Option<Box<RawValue>> = Deserialize::deserialize(d)?;
    Ok(raw.and_then(|raw| serde_json::from_str::<Money>(raw.get()).ok()))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CoverageClass {
    #[serde(rename = "type")]
    pub type_: Option<CodeableConcept>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Coverage {
    pub id: Option<String>,
    pub status: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub identifier: Vec<Identifier>,
    pub subscriber: Option<Reference>,
    pub subscriber_id: Option<String>,
    pub beneficiary: Option<Reference>,
    pub relationship: Option<CodeableConcept>,
    #[serde(deserialize_with = "vec_or_null")]
    pub payor: Vec<Reference>,
    #[serde(deserialize_with = "vec_or_null")]
    pub class: Vec<CoverageClass>,
    pub period: Option<Period>,
}
