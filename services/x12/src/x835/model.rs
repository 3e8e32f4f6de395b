//! The 835 remittance model. Amounts are integer cents, quantities [`Decimal`], codes kept as sent.
//!
//! One [`Remittance`] per ST..SE. Segments that repeat with a qualifier (REF, DTM, AMT, QTY) are kept
//! as lists of qualifier + value in the order they were sent; CAS segments are flattened into a list
//! of [`Adjustment`]s, each with its group code.

use crate::error::Finding;
use chrono::NaiveDate;
use compact_str::CompactString as Str;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Everything read from one file: a remittance per 835 transaction set, and the findings about the
/// file (envelope counts, balancing, segments that were skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Document835 {
    pub remittances: Vec<Remittance>,
    /// Not read back by `Deserialize` (findings are produced by the reader, not stored data).
    #[serde(skip_deserializing)]
    pub findings: Vec<Finding>,
}

impl Document835 {
    /// True when no finding has severity error.
    pub fn is_clean(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == crate::error::Severity::Error)
    }
}

/// One 835 transaction set: a payment (or a notice of no payment) and the claims it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remittance {
    /// ISA13 of the interchange it came in. Filled by the reader; the writer uses its own headers.
    pub interchange_control_number: u32,
    /// GS06 of its functional group. Filled by the reader; the writer uses its own headers.
    pub group_control_number: u32,
    /// ST02 (and SE02).
    pub control_number: Str,
    pub payment: Payment,
    pub trace: Trace,
    /// CUR02, when the payment is not in US dollars.
    pub currency: Option<Str>,
    /// REF*EV: the receiver's id.
    pub receiver_id: Option<Str>,
    /// REF*F2: the version of the payer's adjudication system.
    pub version_id: Option<Str>,
    /// DTM*405: the date the payer produced the remittance.
    pub production_date: Option<NaiveDate>,
    /// Loop 1000A.
    pub payer: Payer,
    /// Loop 1000B.
    pub payee: Payee,
    /// Loop 2000 (LX) with its claims, in order.
    pub claim_groups: Vec<ClaimGroup>,
    /// PLB segments, one entry per segment.
    pub provider_adjustments: Vec<ProviderAdjustment>,
}

impl Remittance {
    /// Every claim of the remittance, across its LX groups.
    pub fn claims(&self) -> impl Iterator<Item = &Claim> + '_ {
        self.claim_groups.iter().flat_map(|g| g.claims.iter())
    }

    pub fn claim_count(&self) -> usize {
        self.claim_groups.iter().map(|g| g.claims.len()).sum()
    }
}

/// BPR: the payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// BPR01: `C` payment with remittance, `D` payment only, `H` notification only, `I` remittance
    /// information only, `P` prenotification, `U`/`X` split payment.
    pub handling: Str,
    /// BPR02: total actual provider payment, in cents.
    pub amount: i64,
    /// BPR03: `C` credit, `D` debit.
    pub credit_debit: Str,
    /// BPR04: `ACH`, `BOP`, `CHK`, `FWT`, `NON`.
    pub method: Str,
    /// BPR05: `CCP` or `CTX`.
    pub format: Option<Str>,
    /// BPR06: `01` ABA routing number or `04` Canadian bank branch and institution number.
    pub sender_dfi_qualifier: Option<Str>,
    /// BPR07.
    pub sender_dfi_id: Option<Str>,
    /// BPR08: `DA` demand deposit.
    pub sender_account_qualifier: Option<Str>,
    /// BPR09.
    pub sender_account: Option<Str>,
    /// BPR10: the payer's id (usually `1` followed by its tax id), as in TRN03.
    pub originator_id: Option<Str>,
    /// BPR11.
    pub originator_supplemental_code: Option<Str>,
    /// BPR12.
    pub receiver_dfi_qualifier: Option<Str>,
    /// BPR13.
    pub receiver_dfi_id: Option<Str>,
    /// BPR14: `DA` demand deposit or `SG` savings.
    pub receiver_account_qualifier: Option<Str>,
    /// BPR15.
    pub receiver_account: Option<Str>,
    /// BPR16: check issue or EFT effective date. Required by the guide; `None` (with a finding) when a
    /// payer left it out or sent something that is not a date.
    pub date: Option<NaiveDate>,
}

/// TRN: the reassociation trace number (the check or EFT number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// TRN01, `1` (current transaction trace numbers).
    pub trace_type: Str,
    /// TRN02: the check or EFT trace number.
    pub number: Str,
    /// TRN03: the payer's id (`1` followed by its tax id).
    pub originator_id: Str,
    /// TRN04.
    pub originator_supplemental_code: Option<Str>,
}

/// N3 and N4. Every part is optional so that payee loops sending only N4 read back as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub line1: Option<Str>,
    pub line2: Option<Str>,
    pub city: Option<Str>,
    pub state: Option<Str>,
    pub postal_code: Option<Str>,
    pub country: Option<Str>,
    /// N407.
    pub country_subdivision: Option<Str>,
}

/// A REF segment: qualifier and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: Str,
    pub value: Str,
}

/// A DTM segment: qualifier (`232`, `233`, `050`, `036`, `472`, `150`, `151`) and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRef {
    pub qualifier: Str,
    pub date: NaiveDate,
}

/// An AMT segment: qualifier (`AU` coverage amount, `B6` allowed, `I` interest, ...) and amount in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRef {
    pub qualifier: Str,
    pub amount: i64,
}

/// A QTY segment: qualifier (`CA` covered actual, `ZK`..`ZO`, ...) and quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityRef {
    pub qualifier: Str,
    pub quantity: Decimal,
}

/// One way to reach a contact: PER03/04, PER05/06 or PER07/08.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Communication {
    /// `TE` telephone, `EX` extension, `FX` fax, `EM` e-mail, `UR` web address.
    pub qualifier: Str,
    pub number: Str,
}

/// A PER segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// PER01: `CX` business contact, `BL` technical contact, `IC` web site.
    pub function: Str,
    pub name: Option<Str>,
    /// Up to three.
    pub communications: Vec<Communication>,
}

/// Loop 1000A: the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub name: Str,
    /// N103, `XV` (CMS plan id).
    pub id_qualifier: Option<Str>,
    pub id: Option<Str>,
    pub address: Option<Address>,
    /// REF*2U (payer id), `EO`, `HI`, `NF`.
    pub references: Vec<Reference>,
    /// PER*CX, PER*BL, PER*IC.
    pub contacts: Vec<Contact>,
}

/// RDM: how the remittance is delivered when it is not sent with the payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemittanceDelivery {
    /// `BM` by mail, `EM` e-mail, `FT` file transfer, `OL` on-line.
    pub method: Str,
    pub name: Option<Str>,
    pub number: Option<Str>,
}

/// Loop 1000B: the payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payee {
    pub name: Str,
    /// N103: `XX` NPI, `FI` tax id, `XV` CMS plan id.
    pub id_qualifier: Option<Str>,
    pub id: Option<Str>,
    pub address: Option<Address>,
    /// REF*TJ (tax id), `PQ`, `0B`, `D3`.
    pub references: Vec<Reference>,
    pub delivery: Option<RemittanceDelivery>,
}

impl Payee {
    /// N104 when N103 is `XX`.
    pub fn npi(&self) -> Option<&str> {
        (self.id_qualifier.as_deref() == Some("XX")).then_some(self.id.as_deref()).flatten()
    }

    /// REF*TJ, or N104 when N103 is `FI`.
    pub fn tax_id(&self) -> Option<&str> {
        self.references
            .iter()
            .find(|r| r.qualifier == "TJ")
            .map(|r| r.value.as_str())
            .or_else(|| (self.id_qualifier.as_deref() == Some("FI")).then_some(self.id.as_deref()).flatten())
    }
}

/// Loop 2000: an LX header number and the claims under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimGroup {
    /// LX01. Claims sent without any LX are put in a group numbered 0 (with a finding).
    pub number: u32,
    /// TS3 (boxed: rare and large).
    pub summary: Option<Box<ProviderSummary>>,
    /// TS2 (boxed: rare and large).
    pub supplemental: Option<Box<ProviderSupplementalSummary>>,
    pub claims: Vec<Claim>,
}

/// TS3: the provider's summary for the group (institutional, mostly Medicare Part A).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSummary {
    pub provider_id: Str,
    /// TS302, the facility type (place of service) code.
    pub facility_code: Str,
    pub fiscal_period_end: NaiveDate,
    pub claim_count: Decimal,
    pub total_charge: i64,
    /// TS313.
    pub total_msp_payer: Option<i64>,
    /// TS315.
    pub total_non_lab_charge: Option<i64>,
    /// TS317.
    pub total_hcpcs_reported_charge: Option<i64>,
    /// TS318.
    pub total_hcpcs_payable: Option<i64>,
    /// TS320.
    pub total_professional_component: Option<i64>,
    /// TS321.
    pub total_msp_patient_liability_met: Option<i64>,
    /// TS322.
    pub total_patient_reimbursement: Option<i64>,
    /// TS323.
    pub total_pip_claim_count: Option<Decimal>,
    /// TS324.
    pub total_pip_adjustment: Option<i64>,
}

/// TS2: supplemental summary (Medicare Part A DRG totals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProviderSupplementalSummary {
    /// TS201.
    pub total_drg: Option<i64>,
    /// TS202.
    pub total_federal_specific: Option<i64>,
    /// TS203.
    pub total_hospital_specific: Option<i64>,
    /// TS204.
    pub total_disproportionate_share: Option<i64>,
    /// TS205.
    pub total_capital: Option<i64>,
    /// TS206.
    pub total_indirect_medical_education: Option<i64>,
    /// TS207.
    pub total_outlier_day_count: Option<Decimal>,
    /// TS208.
    pub total_day_outlier: Option<i64>,
    /// TS209.
    pub total_cost_outlier: Option<i64>,
    /// TS210.
    pub average_drg_length_of_stay: Option<Decimal>,
    /// TS211.
    pub total_discharge_count: Option<Decimal>,
    /// TS212.
    pub total_cost_report_day_count: Option<Decimal>,
    /// TS213.
    pub total_covered_day_count: Option<Decimal>,
    /// TS214.
    pub total_noncovered_day_count: Option<Decimal>,
    /// TS215.
    pub total_msp_pass_through: Option<i64>,
    /// TS216.
    pub average_drg_weight: Option<Decimal>,
    /// TS217.
    pub total_pps_capital_fsp_drg: Option<i64>,
    /// TS218.
    pub total_pps_capital_hsp_drg: Option<i64>,
    /// TS219.
    pub total_pps_dsh_drg: Option<i64>,
}

/// One CAS triple with its group: group (`CO`, `OA`, `PI`, `PR`), CARC reason, amount, quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub group: Str,
    pub reason: Str,
    pub amount: i64,
    pub quantity: Option<Decimal>,
}

/// An NM1 in loop 2100: patient (`QC`), insured (`IL`), corrected patient/insured (`74`), rendering
/// provider (`82`), crossover carrier (`TT`), corrected priority payer (`PR`), other subscriber (`GB`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityName {
    /// NM101.
    pub entity: Str,
    /// NM102: `1` person, `2` organization.
    pub entity_type: Str,
    /// NM103, the last or organization name.
    pub last_name: Option<Str>,
    pub first_name: Option<Str>,
    pub middle_name: Option<Str>,
    /// NM107.
    pub suffix: Option<Str>,
    /// NM108: `MI` member id, `XX` NPI, `C` corrected insured id, `PI` payer id, ...
    pub id_qualifier: Option<Str>,
    pub id: Option<Str>,
}

/// MIA: inpatient adjudication. Amounts in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InpatientAdjudication {
    /// MIA01.
    pub covered_days: Decimal,
    /// MIA02.
    pub pps_operating_outlier: Option<i64>,
    /// MIA03.
    pub lifetime_psychiatric_days: Option<Decimal>,
    /// MIA04.
    pub claim_drg: Option<i64>,
    /// MIA06.
    pub disproportionate_share: Option<i64>,
    /// MIA07.
    pub msp_pass_through: Option<i64>,
    /// MIA08.
    pub pps_capital: Option<i64>,
    /// MIA09.
    pub pps_capital_fsp_drg: Option<i64>,
    /// MIA10.
    pub pps_capital_hsp_drg: Option<i64>,
    /// MIA11.
    pub pps_capital_dsh_drg: Option<i64>,
    /// MIA12.
    pub old_capital: Option<i64>,
    /// MIA13.
    pub pps_capital_ime: Option<i64>,
    /// MIA14.
    pub pps_operating_hospital_specific_drg: Option<i64>,
    /// MIA15.
    pub cost_report_days: Option<Decimal>,
    /// MIA16.
    pub pps_operating_federal_specific_drg: Option<i64>,
    /// MIA17.
    pub pps_capital_outlier: Option<i64>,
    /// MIA18.
    pub indirect_teaching: Option<i64>,
    /// MIA19.
    pub nonpayable_professional_component: Option<i64>,
    /// MIA24.
    pub pps_capital_exception: Option<i64>,
    /// MIA05 and MIA20..MIA23 (RARCs), in that order, empty ones left out.
    pub remark_codes: Vec<Str>,
}

/// MOA: outpatient adjudication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OutpatientAdjudication {
    /// MOA01.
    pub reimbursement_rate: Option<Decimal>,
    /// MOA02.
    pub hcpcs_payable: Option<i64>,
    /// MOA03..MOA07 (RARCs), empty ones left out.
    pub remark_codes: Vec<Str>,
    /// MOA08.
    pub esrd_payment: Option<i64>,
    /// MOA09.
    pub nonpayable_professional_component: Option<i64>,
}

/// Loop 2100: one claim as the payer adjudicated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// CLP01: the provider's claim id (837 CLM01).
    pub patient_control_number: Str,
    /// CLP02: `1` processed as primary, `2` secondary, `3` tertiary, `4` denied, `19`..`23`, `25`.
    pub status: Str,
    /// CLP03.
    pub charge: i64,
    /// CLP04.
    pub paid: i64,
    /// CLP05.
    pub patient_responsibility: Option<i64>,
    /// CLP06: `12` PPO, `MA`/`MB` Medicare A/B, `MC` Medicaid, `CI` commercial, ...
    pub filing_indicator: Str,
    /// CLP07: the payer's claim control number (ICN).
    pub payer_claim_control_number: Str,
    /// CLP08: facility type (place of service for professional claims).
    pub facility_type: Option<Str>,
    /// CLP09: frequency code.
    pub frequency: Option<Str>,
    /// CLP11.
    pub drg_code: Option<Str>,
    /// CLP12.
    pub drg_weight: Option<Decimal>,
    /// CLP13.
    pub discharge_fraction: Option<Decimal>,
    /// Claim-level CAS, flattened.
    pub adjustments: Vec<Adjustment>,
    /// NM1 segments in the order sent (`QC` first by the guide).
    pub names: Vec<EntityName>,
    /// MIA (boxed: rare and large).
    pub inpatient: Option<Box<InpatientAdjudication>>,
    /// MOA (boxed: rare).
    pub outpatient: Option<Box<OutpatientAdjudication>>,
    /// Claim REF (`EA` medical record, `1L` group, `F8` original ICN, `9A`, `G1`, rendering ids, ...).
    pub references: Vec<Reference>,
    /// Claim DTM: `232`/`233` statement period, `036` coverage expiration, `050` received.
    pub dates: Vec<DateRef>,
    /// PER*CX.
    pub contacts: Vec<Contact>,
    /// Claim AMT (`AU` coverage amount, `I` interest, `D8` discount, ...).
    pub amounts: Vec<AmountRef>,
    /// Claim QTY (`CA` covered days, ...).
    pub quantities: Vec<QuantityRef>,
    /// Loop 2110.
    pub lines: Vec<ServiceLine>,
}

impl Claim {
    /// The NM1 with entity code `entity` (e.g. `QC` patient, `82` rendering provider).
    pub fn name(&self, entity: &str) -> Option<&EntityName> {
        self.names.iter().find(|n| n.entity == entity)
    }

    /// The first DTM with this qualifier.
    pub fn date(&self, qualifier: &str) -> Option<NaiveDate> {
        self.dates.iter().find(|d| d.qualifier == qualifier).map(|d| d.date)
    }

    /// The first REF with this qualifier.
    pub fn reference(&self, qualifier: &str) -> Option<&str> {
        self.references.iter().find(|r| r.qualifier == qualifier).map(|r| r.value.as_str())
    }

    /// Claim adjustments plus every line's adjustments.
    pub fn all_adjustments(&self) -> impl Iterator<Item = &Adjustment> + '_ {
        self.adjustments.iter().chain(self.lines.iter().flat_map(|l| l.adjustments.iter()))
    }
}

/// A composite procedure (SVC01, SVC06).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// `HC` CPT/HCPCS, `NU` revenue code, `N4` NDC, `AD`, `ER`, `HP`, `IV`, `N6`, `UI`, `WK`.
    pub qualifier: Str,
    /// Empty when a payer sent the qualifier alone.
    pub code: Str,
    /// Up to four; empty ones left out.
    pub modifiers: Vec<Str>,
    /// Component 7 (procedure description, SVC06 only in the guide).
    pub description: Option<Str>,
}

/// LQ: a remark code (`HE` RARC, `RX` NCPDP reject code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remark {
    pub qualifier: Str,
    pub code: Str,
}

/// Loop 2110: one service line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    /// SVC01: the procedure as adjudicated.
    pub procedure: Procedure,
    /// SVC02.
    pub charge: i64,
    /// SVC03.
    pub paid: i64,
    /// SVC04: NUBC revenue code.
    pub revenue_code: Option<Str>,
    /// SVC05: units paid (one when absent, by the guide).
    pub units: Option<Decimal>,
    /// SVC06: the procedure as submitted, when the payer changed it (boxed: rare).
    pub original_procedure: Option<Box<Procedure>>,
    /// SVC07: the units as submitted.
    pub original_units: Option<Decimal>,
    /// DTM*472: the date of service.
    pub service_date: Option<NaiveDate>,
    /// DTM*150: the first day of a service period.
    pub service_start: Option<NaiveDate>,
    /// DTM*151: the last day of a service period.
    pub service_end: Option<NaiveDate>,
    /// Any other DTM (the guide has none; kept as sent).
    pub dates: Vec<DateRef>,
    pub adjustments: Vec<Adjustment>,
    /// REF*6R: the line item control number the provider sent in the 837 (REF*6R of loop 2400).
    pub control_number: Option<Str>,
    /// The other REFs (`LU`, `0K`, `1S`, `APC`, rendering provider ids, ...), and a second 6R.
    pub references: Vec<Reference>,
    /// AMT*B6: the allowed amount.
    pub allowed: Option<i64>,
    /// The other AMTs (`KH` late filing reduction, `T`, `T2`, `ZK`..`ZO`), and a second B6.
    pub amounts: Vec<AmountRef>,
    pub quantities: Vec<QuantityRef>,
    /// LQ.
    pub remarks: Vec<Remark>,
}

impl ServiceLine {
    /// The first AMT with this qualifier (`B6` is [`ServiceLine::allowed`]).
    pub fn amount(&self, qualifier: &str) -> Option<i64> {
        if qualifier == "B6" && self.allowed.is_some() {
            return self.allowed;
        }
        self.amounts.iter().find(|a| a.qualifier == qualifier).map(|a| a.amount)
    }

    /// The service date (DTM*472), or else the first day of the service period (DTM*150).
    pub fn date(&self) -> Option<NaiveDate> {
        self.service_date.or(self.service_start)
    }
}

/// One PLB adjustment: reason code (PLB03-1), reference (PLB03-2), amount. A positive amount
/// reduces the payment (e.g. `WO` overpayment recovery), a negative one increases it (`L6` interest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAdjustmentItem {
    pub reason: Str,
    pub reference: Option<Str>,
    pub amount: i64,
}

/// PLB: provider-level adjustments for one provider and fiscal period. The writer splits more than six
/// items over several PLB segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAdjustment {
    pub provider_id: Str,
    pub fiscal_period_end: NaiveDate,
    pub items: Vec<ProviderAdjustmentItem>,
}
