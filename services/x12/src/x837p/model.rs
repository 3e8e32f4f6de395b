//! The 837P claim model. Amounts are integer cents; codes are kept as sent.
//!
//! A [`Claim`] carries everything needed to write it (billing provider, subscriber, payer, patient):
//! the writer groups consecutive claims that share a billing provider and subscriber under one HL,
//! and the reader copies the HL parties down to each claim, so written-then-read gives the same claims.

use crate::syntax::{GroupHeader, InterchangeHeader};
use chrono::{NaiveDate, NaiveTime};
use compact_str::CompactString as Str;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One ISA..IEA with its 837P transaction sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange837 {
    pub header: InterchangeHeader,
    pub groups: Vec<Group837>,
}

/// One GS..GE (functional id `HC`, version `005010X222A1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group837 {
    pub header: GroupHeader,
    pub transactions: Vec<Transaction837>,
}

/// One ST..SE: a batch of claims from one submitter to one receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Transaction837 {
    /// ST02 (and SE02), 4 to 9 characters.
    pub control_number: Str,
    /// BHT03, the submitter's batch reference.
    pub reference: Str,
    /// BHT02: `00` original, `18` reissue.
    pub purpose: Str,
    pub created_date: NaiveDate,
    pub created_time: NaiveTime,
    pub submitter: Submitter,
    pub receiver: Receiver,
    pub claims: Vec<Claim>,
}

/// A person's or an organization's name (NM102 `1` or `2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Name {
    Organization { name: Str },
    Person(PersonName),
}

impl Default for Name {
    fn default() -> Self {
        Name::Organization { name: Str::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonName {
    pub last: Str,
    pub first: Option<Str>,
    pub middle: Option<Str>,
    pub suffix: Option<Str>,
}

/// Loop 1000A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Submitter {
    pub name: Name,
    /// NM109, the id the receiver knows the submitter by (ETIN).
    pub id: Str,
    pub contact: Contact,
}

/// Loop 1000B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Receiver {
    pub name: Str,
    pub id: Str,
}

/// A PER segment: a contact name and up to three ways to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Contact {
    pub name: Option<Str>,
    pub phone: Option<Str>,
    pub phone_extension: Option<Str>,
    pub email: Option<Str>,
    pub fax: Option<Str>,
}

/// N3 and N4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub line1: Str,
    pub line2: Option<Str>,
    pub city: Str,
    /// N402, US state or Canadian province code.
    pub state: Option<Str>,
    /// N403. The billing provider's must be the nine-digit ZIP.
    pub postal_code: Option<Str>,
    /// N404, only for addresses outside the US.
    pub country: Option<Str>,
}

/// REF*EI (employer id) or REF*SY (social security number) of the billing provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TaxId {
    /// `EI` or `SY`.
    pub qualifier: Str,
    pub value: Str,
}

/// Loop 2000A/2010AA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BillingProvider {
    pub name: Name,
    pub npi: Str,
    /// PRV03 in 2000A, the provider's NUCC taxonomy code.
    pub taxonomy: Option<Str>,
    pub address: Address,
    pub tax_id: TaxId,
    pub contact: Option<Contact>,
}

/// DMG: birth date and administrative sex (`F`, `M`, `U`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Demographics {
    pub birth_date: NaiveDate,
    pub gender: Str,
}

/// Loop 2000B/2010BA: the insured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Subscriber {
    /// SBR01: `P` primary, `S` secondary, `T` tertiary (and `A`..`H`, `U` in the guide).
    pub payer_responsibility: Str,
    /// SBR03.
    pub group_number: Option<Str>,
    /// SBR04.
    pub group_name: Option<Str>,
    /// SBR05, required when Medicare is a secondary payer (e.g. `12`).
    pub insurance_type: Option<Str>,
    /// SBR09, the claim filing indicator (`CI` commercial, `MB` Medicare Part B, `MC` Medicaid, ...).
    pub claim_filing: Str,
    pub name: PersonName,
    /// NM109 with qualifier `MI`.
    pub member_id: Str,
    /// Required when the subscriber is the patient.
    pub address: Option<Address>,
    /// Required when the subscriber is the patient.
    pub demographics: Option<Demographics>,
}

/// Loop 2010BB, and 2330B for other payers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Payer {
    pub name: Str,
    /// NM109 with qualifier `PI` (payer id).
    pub id: Str,
    pub address: Option<Address>,
}

/// Loop 2000C/2010CA, when the patient is not the subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Patient {
    /// PAT01: `01` spouse, `19` child, `20` employee, `21` unknown, `39` organ donor,
    /// `40` cadaver donor, `53` life partner, `G8` other relationship.
    pub relationship: Str,
    pub name: PersonName,
    pub address: Address,
    pub demographics: Demographics,
}

/// A provider named on the claim: referring (2310A, NM1*DN) or rendering (2310B, NM1*82).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClaimProvider {
    pub name: Name,
    pub npi: Str,
    /// PRV03 (rendering provider only).
    pub taxonomy: Option<Str>,
}

/// NTE: a claim note with its reference code (`ADD`, `CER`, `DCP`, `DGN`, `TPO`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Note {
    pub code: Str,
    pub text: Str,
}

/// One CAS triple: group (`CO`, `PR`, `OA`, `PI`, `CR`), CARC reason, amount, optional quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Adjustment {
    pub group: Str,
    pub reason: Str,
    pub amount: i64,
    pub quantity: Option<Decimal>,
}

/// Loop 2320/2330A/2330B: another payer that has seen this claim (for secondary and tertiary claims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OtherSubscriber {
    /// SBR01 of the other payer (`P` when it is the primary).
    pub payer_responsibility: Str,
    /// SBR02: the patient's relationship to this other insured (`18` self, `01` spouse, `19` child, ...).
    pub relationship: Str,
    pub group_number: Option<Str>,
    pub claim_filing: Str,
    /// Claim-level adjustments by this payer (CAS in 2320).
    pub adjustments: Vec<Adjustment>,
    /// AMT*D: what this payer paid on the claim.
    pub paid: Option<i64>,
    /// OI03: benefits assignment (`Y`, `N`, `W`).
    pub benefits_assigned: Str,
    /// OI06: release of information (`I`, `Y`).
    pub release_of_information: Str,
    pub name: PersonName,
    pub member_id: Str,
    pub payer: Payer,
    /// DTP*573 in 2330B: when this payer adjudicated the claim (claim-level adjudication only).
    pub adjudication_date: Option<NaiveDate>,
}

/// Loop 2430: how another payer adjudicated one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LineAdjudication {
    /// SVD01: the other payer's id, as in its 2330B NM109.
    pub payer_id: Str,
    pub paid: i64,
    pub procedure: Procedure,
    pub units: Decimal,
    pub adjustments: Vec<Adjustment>,
    pub date: NaiveDate,
}

/// SV101: the procedure code with its qualifier and modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Procedure {
    /// `HC` (CPT/HCPCS) or `ER`, `IV`, `WK`.
    pub qualifier: Str,
    pub code: Str,
    /// Up to four modifiers.
    pub modifiers: Vec<Str>,
}

/// Loop 2400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServiceLine {
    pub procedure: Procedure,
    pub charge: i64,
    /// SV103: `UN` units or `MJ` minutes.
    pub unit: Str,
    pub units: Decimal,
    /// SV105, only when it differs from the claim's place of service.
    pub place_of_service: Option<Str>,
    /// SV107: 1-based pointers into the claim's diagnoses, one to four.
    pub diagnosis_pointers: Vec<u8>,
    /// DTP*472: the date of service, or the first date of a range.
    pub service_date: NaiveDate,
    pub service_date_end: Option<NaiveDate>,
    /// REF*6R: our line item control number, echoed back in the 835 (REF*6R).
    pub control_number: Option<Str>,
    pub adjudications: Vec<LineAdjudication>,
}

/// Loop 2300 and everything it needs from the loops above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Claim {
    pub billing_provider: BillingProvider,
    /// Loop 2010AB, when payments go elsewhere than the billing provider's address.
    pub pay_to_address: Option<Address>,
    pub subscriber: Subscriber,
    pub payer: Payer,
    /// `None` when the patient is the subscriber.
    pub patient: Option<Patient>,
    /// CLM01, our claim id; payers echo it in the 277CA and 835.
    pub patient_control_number: Str,
    /// CLM02, which must equal the sum of the lines' charges.
    pub total_charge: i64,
    /// CLM05-1.
    pub place_of_service: Str,
    /// CLM05-3: `1` original, `7` replacement (corrected), `8` void.
    pub frequency: Str,
    /// CLM06.
    pub provider_signature: bool,
    /// CLM07: `A` assigned, `B` lab services only, `C` not assigned.
    pub assignment: Str,
    /// CLM08: `Y`, `N` or `W`.
    pub benefits_assigned: Str,
    /// CLM09: `I` or `Y`.
    pub release_of_information: Str,
    /// DTP*431.
    pub onset_date: Option<NaiveDate>,
    /// REF*G1.
    pub prior_authorization: Option<Str>,
    /// REF*F8: the payer's control number of the claim a replacement or void refers to.
    pub payer_claim_control_number: Option<Str>,
    pub note: Option<Note>,
    /// ICD-10-CM codes without the dot; the first is the principal (ABK), the rest ABF. 1 to 12.
    pub diagnoses: Vec<Str>,
    pub referring_provider: Option<ClaimProvider>,
    pub rendering_provider: Option<ClaimProvider>,
    pub other_subscribers: Vec<OtherSubscriber>,
    pub lines: Vec<ServiceLine>,
}
