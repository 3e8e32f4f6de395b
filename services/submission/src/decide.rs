//! Pure decisions: the proto claim as an 837P claim, claims grouped by payer into one interchange
//! each, control numbers, file names, claim states, and what an acknowledgement means for a claim.
//! No I/O here; everything is tested with given/when/then unit tests below.

use crate::config::TradingPartner;
use chrono::{NaiveDate, NaiveDateTime};
use compact_str::CompactString as Str;
use rcm_proto::common::{self as pb, Finding, Severity};
use rcm_x12::syntax::{Delimiters, GroupHeader, InterchangeHeader, clean_text};
use rcm_x12::x277ca::{Disposition, StatusInfo};
use rcm_x12::x837p::{self, write::MAX_DIAGNOSES, write::MAX_LINES};
use rcm_x12::x999::{self, TransactionAck};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// SBR01 of the claim: its coverage's payer responsibility (`P` when not given).
pub fn payer_responsibility(c: &pb::Claim) -> &str {
    match c.coverage.as_ref().map(|c| c.payer_responsibility.trim()) {
        Some(r) if !r.is_empty() => r,
        _ => "P",
    }
}

/// The payer billed after this claim's: for a primary claim, the first of its other coverages
/// with another payer; none for a secondary or tertiary claim (their next is billed from their own
/// remittance by hand).
pub fn next_payer(c: &pb::Claim) -> Option<&pb::Coverage> {
    if payer_responsibility(c) != "P" {
        return None;
    }
    let payer = c.coverage.as_ref().map(|c| c.payer_id.trim()).unwrap_or_default();
    c.other_coverages.iter().find(|o| !o.payer_id.trim().is_empty() && o.payer_id.trim() != payer)
}

/// Why a claim cannot be written as an 837P: the field, and a reason without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    pub field: &'static str,
    pub reason: &'static str,
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, MapError> {
    Err(MapError { field, reason })
}

/// The lifecycle of a claim in this service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// Waiting for the batcher.
    Pending,
    /// In an 837P batch, committed with its control numbers (the claim is `batched`).
    Submitted,
    /// Its file reached the clearinghouse.
    Sent,
    /// The payer's 277CA took it into adjudication.
    Accepted,
    /// The clearinghouse's 999 rejected its transaction set.
    RejectedByClearinghouse,
    /// The payer's 277CA rejected it.
    RejectedByPayer,
    /// Cannot be written as an 837P (the reason is kept with it); needs a corrected claim.
    Held,
}

impl ClaimState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Pending => "pending",
            ClaimState::Submitted => "submitted",
            ClaimState::Sent => "sent",
            ClaimState::Accepted => "accepted",
            ClaimState::RejectedByClearinghouse => "rejected_by_clearinghouse",
            ClaimState::RejectedByPayer => "rejected_by_payer",
            ClaimState::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimState> {
        [
            ClaimState::Pending,
            ClaimState::Submitted,
            ClaimState::Sent,
            ClaimState::Accepted,
            ClaimState::RejectedByClearinghouse,
            ClaimState::RejectedByPayer,
            ClaimState::Held,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Acknowledgements move only submitted claims: a second ack for the same claim (another file,
    /// a late 277CA after a 999 rejection) changes nothing.
    pub fn takes_ack(self) -> bool {
        matches!(self, ClaimState::Submitted | ClaimState::Sent)
    }
}

fn clean(v: &str) -> Str {
    clean_text(v, &Delimiters::default())
}

fn opt_clean(v: &str) -> Option<Str> {
    let c = clean(v);
    (!c.is_empty()).then_some(c)
}

fn required(v: &str, field: &'static str) -> Result<Str, MapError> {
    match opt_clean(v) {
        Some(c) => Ok(c),
        None => fail(field, "is required but empty"),
    }
}

/// Identifiers (NPI, EIN, ZIP): digits only.
fn digits(v: &str) -> Str {
    v.chars().filter(char::is_ascii_digit).collect()
}

/// Codes (ICD-10-CM, CPT/HCPCS, modifiers): no dots or spaces, upper case.
fn code(v: &str) -> Str {
    v.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// An ISO date ("YYYY-MM-DD").
pub fn parse_iso_date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()
}

fn date(v: &str, field: &'static str) -> Result<NaiveDate, MapError> {
    if v.trim().is_empty() {
        return fail(field, "is required but empty");
    }
    parse_iso_date(v).map_or_else(|| fail(field, "is not a YYYY-MM-DD date"), Ok)
}

fn person(n: Option<&pb::PersonName>, field: &'static str) -> Result<x837p::PersonName, MapError> {
    let Some(n) = n else { return fail(field, "is required but missing") };
    Ok(x837p::PersonName {
        last: required(&n.last, field)?,
        first: opt_clean(&n.first),
        middle: opt_clean(&n.middle),
        suffix: opt_clean(&n.suffix),
    })
}

fn address(a: Option<&pb::Address>, field: &'static str) -> Result<x837p::Address, MapError> {
    let Some(a) = a else { return fail(field, "is required but missing") };
    let country = opt_clean(&a.country).filter(|c| !matches!(c.as_str(), "US" | "USA"));
    Ok(x837p::Address {
        line1: required(&a.line1, field)?,
        line2: opt_clean(&a.line2),
        city: required(&a.city, field)?,
        state: opt_clean(&a.state).map(|s| s.to_ascii_uppercase()),
        postal_code: {
            let d = digits(&a.postal_code);
            (!d.is_empty()).then_some(d)
        },
        country,
    })
}

fn gender(v: &str) -> Str {
    match v.trim().to_ascii_uppercase().as_str() {
        "F" | "FEMALE" => "F".into(),
        "M" | "MALE" => "M".into(),
        _ => "U".into(),
    }
}

fn name(p: &pb::Provider, field: &'static str) -> Result<x837p::Name, MapError> {
    match opt_clean(&p.organization_name) {
        Some(name) => Ok(x837p::Name::Organization { name }),
        None => Ok(x837p::Name::Person(person(p.person.as_ref(), field)?)),
    }
}

fn npi(v: &str, field: &'static str) -> Result<Str, MapError> {
    let d = digits(v);
    if d.len() != 10 {
        return fail(field, "is not a ten-digit NPI");
    }
    Ok(d)
}

fn claim_provider(p: Option<&pb::Provider>, field: &'static str) -> Result<Option<x837p::ClaimProvider>, MapError> {
    match p {
        Some(p) if !p.npi.trim().is_empty() => Ok(Some(x837p::ClaimProvider {
            name: name(p, field)?,
            npi: npi(&p.npi, field)?,
            taxonomy: opt_clean(&p.taxonomy),
        })),
        _ => Ok(None),
    }
}

/// True when the patient is the subscriber (relationship `18`, or not given).
pub fn patient_is_subscriber(c: &pb::Coverage) -> bool {
    matches!(c.relationship.trim(), "" | "18")
}

/// Maps the pipeline's claim to the 837P model. Every free-text value goes through
/// [`clean_text`]; what the 837P requires and the claim lacks is a [`MapError`] naming the field.
pub fn to_x12_claim(c: &pb::Claim) -> Result<x837p::Claim, MapError> {
    let Some(bp) = c.billing_provider.as_ref() else { return fail("billing_provider", "is required but missing") };
    let Some(cov) = c.coverage.as_ref() else { return fail("coverage", "is required but missing") };
    let Some(pt) = c.patient.as_ref() else { return fail("patient", "is required but missing") };

    let tax_id = digits(&bp.tax_id);
    if tax_id.len() != 9 {
        return fail("billing_provider.tax_id", "is not a nine-digit EIN");
    }
    let billing_provider = x837p::BillingProvider {
        name: name(bp, "billing_provider.name")?,
        npi: npi(&bp.npi, "billing_provider.npi")?,
        taxonomy: opt_clean(&bp.taxonomy),
        address: address(bp.address.as_ref(), "billing_provider.address")?,
        tax_id: x837p::TaxId { qualifier: "EI".into(), value: tax_id },
        contact: None,
    };

    let patient_demographics = || -> Result<x837p::Demographics, MapError> {
        Ok(x837p::Demographics { birth_date: date(&pt.birth_date, "patient.birth_date")?, gender: gender(&pt.gender) })
    };
    let self_insured = patient_is_subscriber(cov);
    let (sub_name, sub_address, sub_demographics, patient) = if self_insured {
        (
            person(pt.name.as_ref(), "patient.name")?,
            Some(address(pt.address.as_ref(), "patient.address")?),
            Some(patient_demographics()?),
            None,
        )
    } else {
        let sub_address = match cov.subscriber_address.as_ref() {
            Some(a) if !a.line1.trim().is_empty() => Some(address(Some(a), "coverage.subscriber_address")?),
            _ => None,
        };
        let sub_demographics = parse_iso_date(&cov.subscriber_birth_date)
            .map(|birth_date| x837p::Demographics { birth_date, gender: gender(&cov.subscriber_gender) });
        let patient = x837p::Patient {
            relationship: required(&cov.relationship, "coverage.relationship")?,
            name: person(pt.name.as_ref(), "patient.name")?,
            address: address(pt.address.as_ref(), "patient.address")?,
            demographics: patient_demographics()?,
        };
        (
            person(cov.subscriber_name.as_ref(), "coverage.subscriber_name")?,
            sub_address,
            sub_demographics,
            Some(patient),
        )
    };
    let subscriber = x837p::Subscriber {
        payer_responsibility: opt_clean(&cov.payer_responsibility).unwrap_or_else(|| "P".into()),
        group_number: opt_clean(&cov.group_number),
        group_name: None,
        insurance_type: None,
        claim_filing: opt_clean(&cov.claim_filing).unwrap_or_else(|| "CI".into()),
        name: sub_name,
        member_id: required(&cov.member_id, "coverage.member_id")?,
        address: sub_address,
        demographics: sub_demographics,
    };
    let payer_id = required(&cov.payer_id, "coverage.payer_id")?;
    // NM103 is required; a payer known only by its id is named by it.
    let payer = x837p::Payer {
        name: opt_clean(&cov.payer_name).unwrap_or_else(|| payer_id.clone()),
        id: payer_id,
        address: None,
    };

    let pcn = patient_control_number(c);
    if pcn.is_empty() || pcn.len() > 38 {
        return fail("patient_control_number", "must be 1 to 38 characters");
    }
    let diagnoses: Vec<Str> = c.diagnosis_codes.iter().map(|d| code(d)).filter(|d| !d.is_empty()).collect();
    if diagnoses.is_empty() || diagnoses.len() > MAX_DIAGNOSES {
        return fail("diagnosis_codes", "must hold 1 to 12 codes");
    }
    if c.lines.is_empty() || c.lines.len() > MAX_LINES {
        return fail("lines", "must hold 1 to 50 service lines");
    }
    let place_of_service = required(&c.place_of_service, "place_of_service")?;
    let mut lines = Vec::with_capacity(c.lines.len());
    for l in &c.lines {
        lines.push(line(l, c, &place_of_service, diagnoses.len())?);
    }
    let other_subscribers = prior_payers(c, pt, &mut lines)?;
    let total: i64 = lines.iter().map(|l| l.charge).sum();
    if c.total_charge_cents != 0 && c.total_charge_cents != total {
        return fail("total_charge_cents", "does not equal the sum of the line charges");
    }
    let frequency = opt_clean(&c.frequency_code).unwrap_or_else(|| "1".into());
    let payer_claim_control_number = opt_clean(&c.payer_claim_control_number);
    if matches!(frequency.as_str(), "7" | "8") && payer_claim_control_number.is_none() {
        return fail("payer_claim_control_number", "is required for a replacement (7) or void (8)");
    }
    Ok(x837p::Claim {
        billing_provider,
        pay_to_address: None,
        subscriber,
        payer,
        patient,
        patient_control_number: pcn.into(),
        total_charge: total,
        place_of_service,
        frequency: frequency.clone(),
        provider_signature: true,
        assignment: "A".into(),
        benefits_assigned: "Y".into(),
        release_of_information: "Y".into(),
        onset_date: None,
        prior_authorization: opt_clean(&c.prior_authorization),
        payer_claim_control_number: if matches!(frequency.as_str(), "7" | "8") {
            payer_claim_control_number
        } else {
            None
        },
        note: None,
        diagnoses,
        referring_provider: claim_provider(c.referring_provider.as_ref(), "referring_provider")?,
        rendering_provider: claim_provider(c.rendering_provider.as_ref(), "rendering_provider")?,
        other_subscribers,
        lines,
    })
}

/// Loops 2320/2330A/2330B (and 2430 on the lines) from the payers that adjudicated the claim before
/// the one it is billed to: each of `prior_adjudications`, with its coverage from `other_coverages`.
fn prior_payers(
    c: &pb::Claim,
    pt: &pb::Patient,
    lines: &mut [x837p::ServiceLine],
) -> Result<Vec<x837p::OtherSubscriber>, MapError> {
    let mut out = Vec::new();
    for adj in &c.prior_adjudications {
        let Some(cov) = c.other_coverages.iter().find(|o| o.payer_id.trim() == adj.payer_id.trim()) else {
            return fail("prior_adjudications.payer_id", "names no payer of other_coverages");
        };
        let payer_id = required(&cov.payer_id, "other_coverages.payer_id")?;
        let self_insured = patient_is_subscriber(cov);
        let name = if self_insured {
            person(pt.name.as_ref(), "patient.name")?
        } else {
            person(cov.subscriber_name.as_ref(), "other_coverages.subscriber_name")?
        };
        let adjudicated = parse_iso_date(&adj.adjudication_date);
        out.push(x837p::OtherSubscriber {
            payer_responsibility: opt_clean(&cov.payer_responsibility).unwrap_or_else(|| "P".into()),
            relationship: if self_insured {
                "18".into()
            } else {
                required(&cov.relationship, "other_coverages.relationship")?
            },
            group_number: opt_clean(&cov.group_number),
            claim_filing: opt_clean(&cov.claim_filing).unwrap_or_else(|| "CI".into()),
            adjustments: adjustments(&adj.adjustments)?,
            paid: Some(adj.paid_cents),
            benefits_assigned: "Y".into(),
            release_of_information: "Y".into(),
            name,
            member_id: required(&cov.member_id, "other_coverages.member_id")?,
            payer: x837p::Payer {
                name: opt_clean(&cov.payer_name).unwrap_or_else(|| payer_id.clone()),
                id: payer_id.clone(),
                address: None,
            },
            adjudication_date: adjudicated,
        });
        for la in &adj.lines {
            let Some(line) = lines.iter_mut().find(|l| l.control_number.as_deref() == Some(la.line_id.trim())) else {
                return fail("prior_adjudications.lines.line_id", "names no line of the claim");
            };
            let units = match la.units.trim() {
                "" => line.units,
                u => Decimal::from_str(u)
                    .map_err(|_| MapError { field: "prior_adjudications.lines.units", reason: "is not a decimal" })?,
            };
            line.adjudications.push(x837p::LineAdjudication {
                payer_id: payer_id.clone(),
                paid: la.paid_cents,
                procedure: line.procedure.clone(),
                units,
                adjustments: adjustments(&la.adjustments)?,
                date: adjudicated.unwrap_or(line.service_date),
            });
        }
    }
    Ok(out)
}

fn adjustments(cas: &[pb::ClaimAdjustment]) -> Result<Vec<x837p::Adjustment>, MapError> {
    cas.iter()
        .map(|a| {
            let quantity = match a.quantity.trim() {
                "" => None,
                q => Some(
                    Decimal::from_str(q)
                        .map_err(|_| MapError { field: "adjustments.quantity", reason: "is not a decimal" })?,
                ),
            };
            Ok(x837p::Adjustment {
                group: required(&a.group, "adjustments.group")?,
                reason: required(&a.reason, "adjustments.reason")?,
                amount: a.amount_cents,
                quantity,
            })
        })
        .collect()
}

/// The claim to the next payer after the primary's adjudication: billed to the patient's coverage
/// with that payer (one of the primary's `other_coverages`), the primary's coverage and
/// adjudication carried as the prior payer (loops 2320/2330/2430), as a new claim `claim_id` with
/// its own patient control number (the primary's with `S`). Fails when the claim names no coverage
/// with that payer (the member id would be unknown).
pub fn secondary_claim(
    primary: &pb::Claim,
    claim_id: &str,
    payer_id: &str,
    adjudication: &pb::PayerAdjudication,
) -> Result<pb::Claim, MapError> {
    let Some(primary_cov) = primary.coverage.clone() else { return fail("coverage", "is required but missing") };
    let Some(next) = primary.other_coverages.iter().find(|o| o.payer_id.trim() == payer_id.trim()) else {
        return fail("other_coverages", "holds no coverage with the next payer");
    };
    let mut coverage = next.clone();
    coverage.payer_responsibility = "S".into();
    let mut others = vec![pb::Coverage { payer_responsibility: "P".into(), ..primary_cov.clone() }];
    others.extend(primary.other_coverages.iter().filter(|o| o.payer_id.trim() != payer_id.trim()).cloned());
    let mut prior = adjudication.clone();
    if prior.payer_id.trim().is_empty() {
        prior.payer_id = primary_cov.payer_id.clone();
    }
    let base = patient_control_number(primary);
    let pcn: String = base.chars().take(37).chain(std::iter::once('S')).collect();
    Ok(pb::Claim {
        claim_id: claim_id.to_string(),
        coverage: Some(coverage),
        other_coverages: others,
        prior_adjudications: vec![prior],
        patient_control_number: pcn,
        version: 1,
        frequency_code: "1".into(),
        payer_claim_control_number: String::new(),
        ..primary.clone()
    })
}

fn line(l: &pb::ServiceLine, c: &pb::Claim, claim_pos: &str, diagnoses: usize) -> Result<x837p::ServiceLine, MapError> {
    let procedure_code = code(&l.procedure_code);
    if procedure_code.is_empty() {
        return fail("lines.procedure_code", "is required but empty");
    }
    if l.modifiers.len() > 4 {
        return fail("lines.modifiers", "holds at most four modifiers");
    }
    if l.charge_cents <= 0 {
        return fail("lines.charge_cents", "must be positive");
    }
    let units = if l.units.trim().is_empty() {
        Decimal::ONE
    } else {
        Decimal::from_str(l.units.trim()).map_err(|_| MapError { field: "lines.units", reason: "is not a decimal" })?
    };
    if units <= Decimal::ZERO {
        return fail("lines.units", "must be positive");
    }
    let mut diagnosis_pointers: Vec<u8> = l.diagnosis_pointers.iter().map(|&p| p.min(255) as u8).collect();
    if diagnosis_pointers.is_empty() {
        diagnosis_pointers.push(1);
    }
    if diagnosis_pointers.len() > 4 || diagnosis_pointers.iter().any(|&p| p == 0 || p as usize > diagnoses) {
        return fail("lines.diagnosis_pointers", "must be 1 to 4 pointers into the claim's diagnoses");
    }
    let from = if l.service_date.trim().is_empty() { c.service_date.as_str() } else { l.service_date.as_str() };
    let service_date = date(from, "lines.service_date")?;
    let service_date_end = match l.service_date_end.trim() {
        "" => None,
        end => Some(date(end, "lines.service_date_end")?),
    };
    let place_of_service = opt_clean(&l.place_of_service).filter(|p| p != claim_pos);
    let control_number = opt_clean(&l.line_id);
    if control_number.as_ref().is_some_and(|c| c.len() > 50) {
        return fail("lines.line_id", "is longer than 50 characters");
    }
    Ok(x837p::ServiceLine {
        procedure: x837p::Procedure {
            qualifier: "HC".into(),
            code: procedure_code,
            modifiers: l.modifiers.iter().map(|m| code(m)).filter(|m| !m.is_empty()).collect(),
        },
        charge: l.charge_cents,
        unit: match l.unit.trim() {
            "MJ" => "MJ".into(),
            _ => "UN".into(),
        },
        units,
        place_of_service,
        diagnosis_pointers,
        service_date,
        service_date_end,
        control_number,
        adjudications: vec![],
    })
}

/// What a `ClaimScrubbed` does for a claim of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Store it as this version, pending.
    New { version: i32 },
    /// A version the tenant already has (the same event again, under any message id), or an
    /// original for a claim already sent: nothing to do.
    Duplicate,
    /// A correction that must follow a version still waiting for the batcher: try again soon
    /// (sending both in one file would give the payer a replacement of a claim it never saw).
    AfterPrevious,
    /// A correction of a version that can never be sent (held): nothing can follow it.
    PreviousHeld { version: i32 },
}

/// Decides what a scrubbed claim is for the tenant, given the claim's latest stored version and
/// its state. The first `ClaimScrubbed` of a claim is its version (1 for an original); a
/// replacement (7) or void (8) with a later version, for a claim whose latest version was sent,
/// is a new version; anything else adds nothing.
pub fn arrival(frequency_code: &str, version: u32, latest: Option<(i32, ClaimState)>) -> Arrival {
    let version = version.max(1) as i32;
    let Some((latest, state)) = latest else { return Arrival::New { version } };
    if version <= latest || !matches!(frequency_code.trim(), "7" | "8") {
        return Arrival::Duplicate;
    }
    match state {
        ClaimState::Pending => Arrival::AfterPrevious,
        ClaimState::Held => Arrival::PreviousHeld { version: latest },
        ClaimState::Submitted
        | ClaimState::Sent
        | ClaimState::Accepted
        | ClaimState::RejectedByClearinghouse
        | ClaimState::RejectedByPayer => Arrival::New { version },
    }
}

/// CLM01: the claim's patient control number, or its claim id when it has none.
pub fn patient_control_number(c: &pb::Claim) -> &str {
    if c.patient_control_number.trim().is_empty() { c.claim_id.trim() } else { c.patient_control_number.trim() }
}

/// Groups items by payer id: payers in id order, items in their given order within a payer.
pub fn group_by_payer<T>(items: Vec<T>, payer: impl Fn(&T) -> &str) -> Vec<(String, Vec<T>)> {
    let mut groups: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for item in items {
        groups.entry(payer(&item).to_string()).or_default().push(item);
    }
    groups.into_iter().collect()
}

/// Orders a payer's claims so that claims of one billing provider and subscriber are next to each
/// other (the writer then puts them under one HL each). Stable: otherwise the given order stays.
pub fn order_for_hierarchy(claims: &mut [x837p::Claim]) {
    claims.sort_by(|a, b| {
        (a.billing_provider.npi.as_str(), a.subscriber.member_id.as_str(), a.patient.is_some()).cmp(&(
            b.billing_provider.npi.as_str(),
            b.subscriber.member_id.as_str(),
            b.patient.is_some(),
        ))
    });
}

/// The next value of a control number counter: 1 to 999,999,999, then 1 again.
pub fn next_control(last: i64) -> i64 {
    last.rem_euclid(999_999_999) + 1
}

/// Control numbers of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlNumbers {
    /// ISA13.
    pub interchange: u32,
    /// GS06.
    pub group: u32,
    /// ST02 as a number (written with at least four digits).
    pub transaction: u32,
}

impl ControlNumbers {
    pub fn st02(&self) -> String {
        format!("{:04}", self.transaction)
    }
}

/// The trading partner that takes a payer's claims: the partner that names the payer, else the
/// tenant's default (the one naming no payers), else the first.
pub fn partner_for<'a>(partners: &'a [TradingPartner], payer_id: &str) -> &'a TradingPartner {
    let payer = payer_id.trim();
    partners
        .iter()
        .find(|p| p.payer_ids.iter().any(|id| id.trim() == payer))
        .or_else(|| partners.iter().find(|p| p.payer_ids.is_empty()))
        .unwrap_or(&partners[0])
}

/// Whether a payer's waiting claims make a batch now: as many as the partner's
/// `batch_max_claims`, or the oldest waiting its `batch_window_ms`, whichever comes first.
pub fn batch_due(group: &crate::store::PendingGroup, partner: &TradingPartner) -> bool {
    group.claims > 0
        && (group.claims >= partner.batch_max_claims || group.oldest_wait_ms >= partner.batch_window_ms as i64)
}

/// One 837P interchange (one ISA, GS and ST) for one payer's claims.
pub fn build_interchange(
    parties: &TradingPartner,
    ctl: ControlNumbers,
    reference: &str,
    now: NaiveDateTime,
    mut claims: Vec<x837p::Claim>,
) -> x837p::Interchange837 {
    order_for_hierarchy(&mut claims);
    let time =
        chrono::NaiveTime::from_hms_opt(chrono::Timelike::hour(&now.time()), chrono::Timelike::minute(&now.time()), 0)
            .unwrap_or_default();
    let mut header =
        InterchangeHeader::new(&parties.submitter_id, &parties.receiver_id, ctl.interchange, now.date(), time);
    header.usage = parties.usage;
    header.sender_qualifier = parties.submitter_qualifier.as_str().into();
    header.receiver_qualifier = parties.receiver_qualifier.as_str().into();
    let phone = digits(&parties.submitter_phone);
    x837p::Interchange837 {
        header,
        groups: vec![x837p::Group837 {
            header: GroupHeader {
                functional_id: "HC".into(),
                sender_code: parties.submitter_id.as_str().into(),
                receiver_code: parties.receiver_id.as_str().into(),
                date: now.date(),
                time,
                control_number: ctl.group,
                version: x837p::VERSION.into(),
            },
            transactions: vec![x837p::Transaction837 {
                control_number: ctl.st02().into(),
                reference: reference.into(),
                purpose: "00".into(),
                created_date: now.date(),
                created_time: time,
                submitter: x837p::Submitter {
                    name: x837p::Name::Organization { name: clean(&parties.submitter_name) },
                    id: clean(&parties.submitter_id),
                    contact: x837p::Contact {
                        name: opt_clean(&parties.submitter_contact),
                        phone: (!phone.is_empty()).then_some(phone),
                        ..x837p::Contact::default()
                    },
                },
                receiver: x837p::Receiver { name: clean(&parties.receiver_name), id: clean(&parties.receiver_id) },
                claims,
            }],
        }],
    }
}

/// The file's name without extension: `<tenant>-<ISA13>-<payer id>` (payer id reduced to letters
/// and digits), e.g. `acme-000000042-BCBS01`.
pub fn file_stem(tenant: &str, partner_id: &str, interchange: u32, payer_id: &str) -> String {
    let payer: String = payer_id.chars().filter(char::is_ascii_alphanumeric).take(20).collect();
    let payer = if payer.is_empty() { "PAYER".to_string() } else { payer };
    // Control numbers are per partner: another partner's files carry its id, so names never collide.
    if partner_id == "default" {
        format!("{tenant}-{interchange:09}-{payer}")
    } else {
        format!("{tenant}-{partner_id}-{interchange:09}-{payer}")
    }
}

/// Which acknowledgement a file in `inbound` is, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AckKind {
    /// `.999`, read before the 277CA of the same name.
    Ack999,
    /// `.277ca`
    Ack277ca,
}

impl AckKind {
    pub fn of(file_name: &str) -> Option<AckKind> {
        let lower = file_name.to_ascii_lowercase();
        if file_name.starts_with('.') {
            None
        } else if lower.ends_with(".999") {
            Some(AckKind::Ack999)
        } else if lower.ends_with(".277ca") {
            Some(AckKind::Ack277ca)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AckKind::Ack999 => "999",
            AckKind::Ack277ca => "277ca",
        }
    }
}

/// The order files are read in: by stem, the 999 before the 277CA of the same batch.
pub fn ack_order(names: &mut [(String, AckKind)]) {
    names.sort_by(|a, b| {
        let stem = |n: &str| n.rsplit_once('.').map_or(n, |(s, _)| s).to_string();
        (stem(&a.0), a.1).cmp(&(stem(&b.0), b.1))
    });
}

fn finding(rule_id: &str, field: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding { rule_id: rule_id.into(), field: field.into(), message: message.into(), severity: Severity::Error as i32 }
}

/// Why a 999 rejected a transaction set, as findings: IK5 codes, each IK3 (segment, position, loop,
/// code) and IK4 (element, code). Never the bad data (IK404) or business-unit values (CTX01-2).
pub fn findings_from_999(t: &TransactionAck) -> Vec<Finding> {
    let mut out = Vec::new();
    for code in &t.response.errors {
        let text = x999::transaction_error_text(code).unwrap_or("transaction set error");
        out.push(finding("x12.999.ik5", "IK502", format!("IK5 {}: code {code} ({text})", t.response.code.code())));
    }
    for s in &t.segment_errors {
        let at = match &s.loop_id {
            Some(l) => format!("{} at {} in loop {l}", s.segment_id, s.position),
            None => format!("{} at {}", s.segment_id, s.position),
        };
        if let Some(code) = &s.code {
            let text = x999::segment_error_text(code).unwrap_or("segment error");
            out.push(finding("x12.999.ik3", at.clone(), format!("IK3 code {code} ({text})")));
        }
        for e in &s.element_errors {
            let text = x999::element_error_text(&e.code).unwrap_or("element error");
            out.push(finding(
                "x12.999.ik4",
                format!("{}{:02} ({at})", s.segment_id, e.position.element),
                format!("IK4 code {} ({text})", e.code),
            ));
        }
    }
    if out.is_empty() {
        out.push(finding("x12.999.ik5", "IK501", format!("transaction set rejected (IK5 {})", t.response.code.code())));
    }
    out
}

/// A 999 that rejected a whole group without AK2 loops: its AK9 codes as findings.
pub fn findings_from_group_rejection(ack: &x999::Ack999) -> Vec<Finding> {
    let mut out: Vec<Finding> = ack
        .response
        .errors
        .iter()
        .map(|code| {
            let text = x999::group_error_text(code).unwrap_or("functional group error");
            finding("x12.999.ak9", "AK905", format!("AK9 {}: code {code} ({text})", ack.response.code.code()))
        })
        .collect();
    if out.is_empty() {
        out.push(finding(
            "x12.999.ak9",
            "AK901",
            format!("functional group rejected (AK9 {})", ack.response.code.code()),
        ));
    }
    out
}

/// The 277CA's claim-level STC codes as findings (`A7:562:85`), without STC12 free text.
pub fn findings_from_277ca(statuses: &[StatusInfo]) -> Vec<Finding> {
    statuses
        .iter()
        .flat_map(StatusInfo::codes)
        .filter(|c| c.disposition() == Disposition::Rejected)
        .map(|c| {
            let field = match c.entity.as_deref() {
                Some(e) => format!("STC entity {e}"),
                None => "STC".to_string(),
            };
            finding("x12.277ca.stc", field, format!("claim status {c}"))
        })
        .collect()
}

/// What one 277CA claim acknowledgement does to a claim in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckEffect {
    Accept {
        payer_claim_control_number: String,
    },
    Reject {
        findings: Vec<Finding>,
    },
    /// Pending or unknown statuses: recorded, no event.
    NoChange,
    /// The claim is past `submitted` (an ack already moved it): recorded, no event.
    AlreadyDecided,
}

pub fn effect_of_277ca(
    state: ClaimState,
    disposition: Disposition,
    statuses: &[StatusInfo],
    pccn: Option<&str>,
) -> AckEffect {
    if !state.takes_ack() {
        return AckEffect::AlreadyDecided;
    }
    match disposition {
        Disposition::Accepted => AckEffect::Accept { payer_claim_control_number: pccn.unwrap_or_default().to_string() },
        Disposition::Rejected => AckEffect::Reject { findings: findings_from_277ca(statuses) },
        Disposition::Other => AckEffect::NoChange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcm_x12::x277ca::StatusCode;
    use rcm_x12::x999::{AckCode, ElementError, ElementPosition, SegmentError, TransactionResponse};

    fn provider_org() -> pb::Provider {
        pb::Provider {
            npi: "1234567893".into(),
            organization_name: "Good Clinic & Sons".into(),
            person: None,
            tax_id: "12-3456789".into(),
            taxonomy: "207Q00000X".into(),
            address: Some(pb::Address {
                line1: "1 Main St".into(),
                line2: String::new(),
                city: "Springfield".into(),
                state: "il".into(),
                postal_code: "62701-1234".into(),
                country: "US".into(),
            }),
        }
    }

    fn claim() -> pb::Claim {
        pb::Claim {
            other_coverages: Default::default(),
            prior_adjudications: Default::default(),
            claim_id: "c-1".into(),
            encounter_id: "e-1".into(),
            patient: Some(pb::Patient {
                patient_id: "p-1".into(),
                name: Some(pb::PersonName { last: "Núñez*".into(), first: "Ana~".into(), ..Default::default() }),
                birth_date: "1980-02-29".into(),
                gender: "female".into(),
                address: Some(pb::Address {
                    line1: "2 Elm St".into(),
                    city: "Springfield".into(),
                    state: "IL".into(),
                    postal_code: "62701".into(),
                    ..Default::default()
                }),
            }),
            coverage: Some(pb::Coverage {
                payer_id: "BCBS01".into(),
                payer_name: "Blue Plan".into(),
                member_id: "MEM123".into(),
                relationship: "18".into(),
                ..Default::default()
            }),
            billing_provider: Some(provider_org()),
            rendering_provider: Some(pb::Provider {
                npi: "1234567893".into(),
                person: Some(pb::PersonName { last: "O'Brien".into(), first: "Kim".into(), ..Default::default() }),
                ..Default::default()
            }),
            referring_provider: None,
            place_of_service: "11".into(),
            service_date: "2025-03-04".into(),
            prior_authorization: String::new(),
            diagnosis_codes: vec!["E11.9".into(), "i10".into()],
            lines: vec![
                pb::ServiceLine {
                    line_id: "L1".into(),
                    procedure_code: "99213".into(),
                    modifiers: vec!["25".into()],
                    units: "1".into(),
                    charge_cents: 12500,
                    diagnosis_pointers: vec![1, 2],
                    ..Default::default()
                },
                pb::ServiceLine {
                    line_id: "L2".into(),
                    procedure_code: "36415".into(),
                    units: "".into(),
                    charge_cents: 1500,
                    diagnosis_pointers: vec![],
                    service_date: "2025-03-05".into(),
                    place_of_service: "11".into(),
                    ..Default::default()
                },
            ],
            total_charge_cents: 14000,
            frequency_code: String::new(),
            payer_claim_control_number: String::new(),
            patient_control_number: "PCN-1".into(),
            version: 1,
        }
    }

    #[test]
    fn a_self_insured_claim_maps_to_an_837p_claim_with_clean_text() {
        // Given a claim whose patient is the subscriber, with delimiters and accents in names
        let c = claim();
        // When it is mapped
        let x = to_x12_claim(&c).unwrap();
        // Then the patient is the subscriber, text is clean, and codes and defaults are filled in
        assert!(x.patient.is_none());
        assert_eq!(x.subscriber.name.last, "Nunez");
        assert_eq!(x.subscriber.name.first.as_deref(), Some("Ana"));
        assert_eq!(x.subscriber.member_id, "MEM123");
        assert_eq!(x.subscriber.payer_responsibility, "P");
        assert_eq!(x.subscriber.claim_filing, "CI");
        assert_eq!(x.subscriber.demographics.as_ref().unwrap().gender, "F");
        assert_eq!(x.billing_provider.name, x837p::Name::Organization { name: "Good Clinic & Sons".into() });
        assert_eq!(x.billing_provider.tax_id.value, "123456789");
        assert_eq!(x.billing_provider.address.postal_code.as_deref(), Some("627011234"));
        assert_eq!(x.billing_provider.address.state.as_deref(), Some("IL"));
        assert_eq!(x.billing_provider.address.country, None);
        assert_eq!(x.payer.id, "BCBS01");
        assert_eq!(x.patient_control_number, "PCN-1");
        assert_eq!(x.frequency, "1");
        assert_eq!(x.total_charge, 14000);
        assert_eq!(x.diagnoses, vec![Str::from("E119"), Str::from("I10")]);
        assert_eq!(x.lines[0].procedure.code, "99213");
        assert_eq!(x.lines[0].procedure.modifiers, vec![Str::from("25")]);
        assert_eq!(x.lines[0].control_number.as_deref(), Some("L1"));
        assert_eq!(x.lines[0].service_date, NaiveDate::from_ymd_opt(2025, 3, 4).unwrap());
        assert_eq!(x.lines[1].units, Decimal::ONE);
        assert_eq!(x.lines[1].unit, "UN");
        assert_eq!(x.lines[1].diagnosis_pointers, vec![1]);
        assert_eq!(x.lines[1].place_of_service, None, "the same as the claim's is not repeated");
        assert_eq!(x.lines[1].service_date, NaiveDate::from_ymd_opt(2025, 3, 5).unwrap());
        let r = x.rendering_provider.unwrap();
        assert!(matches!(r.name, x837p::Name::Person(ref p) if p.last == "O'Brien"));
        assert!(x.prior_authorization.is_none());
    }

    #[test]
    fn a_dependent_gets_a_patient_loop_with_the_relationship() {
        // Given a child covered under a parent's plan
        let mut c = claim();
        let cov = c.coverage.as_mut().unwrap();
        cov.relationship = "19".into();
        cov.subscriber_name = Some(pb::PersonName { last: "Parent".into(), first: "Pat".into(), ..Default::default() });
        cov.subscriber_birth_date = "1955-01-01".into();
        cov.subscriber_gender = "M".into();
        // When mapped
        let x = to_x12_claim(&c).unwrap();
        // Then the subscriber is the parent and the patient loop carries the relationship
        assert_eq!(x.subscriber.name.last, "Parent");
        assert!(x.subscriber.address.is_none());
        assert_eq!(x.subscriber.demographics.as_ref().unwrap().gender, "M");
        let p = x.patient.unwrap();
        assert_eq!(p.relationship, "19");
        assert_eq!(p.name.last, "Nunez");
        assert_eq!(p.demographics.birth_date, NaiveDate::from_ymd_opt(1980, 2, 29).unwrap());
    }

    #[test]
    fn replacements_carry_the_payer_claim_control_number_and_originals_do_not() {
        let mut c = claim();
        c.payer_claim_control_number = "PAYER9".into();
        assert_eq!(to_x12_claim(&c).unwrap().payer_claim_control_number, None);
        c.frequency_code = "7".into();
        let x = to_x12_claim(&c).unwrap();
        assert_eq!(x.frequency, "7");
        assert_eq!(x.payer_claim_control_number.as_deref(), Some("PAYER9"));
        c.payer_claim_control_number.clear();
        assert_eq!(to_x12_claim(&c).unwrap_err().field, "payer_claim_control_number");
    }

    #[test]
    fn prior_authorization_and_person_billing_provider() {
        let mut c = claim();
        c.prior_authorization = "AUTH 77".into();
        let bp = c.billing_provider.as_mut().unwrap();
        bp.organization_name.clear();
        bp.person = Some(pb::PersonName { last: "Solo".into(), first: "Doc".into(), ..Default::default() });
        let x = to_x12_claim(&c).unwrap();
        assert_eq!(x.prior_authorization.as_deref(), Some("AUTH 77"));
        assert!(matches!(x.billing_provider.name, x837p::Name::Person(ref p) if p.last == "Solo"));
    }

    #[test]
    fn claims_the_837p_cannot_carry_name_the_field_without_its_value() {
        type Change = Box<dyn Fn(&mut pb::Claim)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|c| c.coverage.as_mut().unwrap().member_id.clear()), "coverage.member_id"),
            (Box::new(|c| c.billing_provider.as_mut().unwrap().npi = "123".into()), "billing_provider.npi"),
            (Box::new(|c| c.diagnosis_codes.clear()), "diagnosis_codes"),
            (Box::new(|c| c.lines[0].diagnosis_pointers = vec![3]), "lines.diagnosis_pointers"),
            (Box::new(|c| c.total_charge_cents = 1), "total_charge_cents"),
            (Box::new(|c| c.patient.as_mut().unwrap().birth_date = "02/29/1980".into()), "patient.birth_date"),
            (Box::new(|c| c.lines[0].procedure_code.clear()), "lines.procedure_code"),
            (Box::new(|c| c.place_of_service.clear()), "place_of_service"),
            (Box::new(|c| c.patient_control_number = "X".repeat(39)), "patient_control_number"),
        ];
        for (change, field) in cases {
            let mut c = claim();
            change(&mut c);
            let e = to_x12_claim(&c).unwrap_err();
            assert_eq!(e.field, field);
        }
    }

    #[test]
    fn a_payer_without_a_name_is_named_by_its_id() {
        let mut c = claim();
        c.coverage.as_mut().unwrap().payer_name.clear();
        assert_eq!(to_x12_claim(&c).unwrap().payer.name, "BCBS01");
    }

    #[test]
    fn a_claim_without_a_patient_control_number_uses_its_claim_id() {
        let mut c = claim();
        c.patient_control_number.clear();
        assert_eq!(to_x12_claim(&c).unwrap().patient_control_number, "c-1");
    }

    #[test]
    fn claims_are_grouped_by_payer_in_payer_order_keeping_their_order() {
        // Given claims for two payers, interleaved
        let items = vec![("B", 1), ("A", 2), ("B", 3), ("A", 4), ("C", 5)];
        // When grouped
        let groups = group_by_payer(items, |i| i.0);
        // Then one group per payer, sorted by payer id, claims in arrival order
        let shape: Vec<(String, Vec<i32>)> =
            groups.into_iter().map(|(p, v)| (p, v.into_iter().map(|i| i.1).collect())).collect();
        assert_eq!(
            shape,
            vec![("A".to_string(), vec![2, 4]), ("B".to_string(), vec![1, 3]), ("C".to_string(), vec![5])]
        );
    }

    #[test]
    fn an_interchange_for_a_payer_writes_and_reads_back() {
        // Given two claims of one payer for two subscribers
        let mut a = claim();
        a.patient_control_number = "PCN-A".into();
        let mut b = claim();
        b.patient_control_number = "PCN-B".into();
        b.coverage.as_mut().unwrap().member_id = "MEM000".into();
        let claims = vec![to_x12_claim(&a).unwrap(), to_x12_claim(&b).unwrap()];
        let parties = TradingPartner {
            submitter_id: "SUBMIT".into(),
            submitter_name: "Our Billing".into(),
            submitter_contact: "Desk".into(),
            submitter_phone: "(800) 555-0100".into(),
            receiver_id: "CH".into(),
            receiver_qualifier: "30".into(),
            receiver_name: "Clearing".into(),
            usage: rcm_x12::syntax::Usage::Test,
            ..TradingPartner::default()
        };
        let ctl = ControlNumbers { interchange: 42, group: 42, transaction: 42 };
        let now = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap().and_hms_opt(9, 30, 15).unwrap();
        // When the interchange is built and written
        let ic = build_interchange(&parties, ctl, "REF1", now, claims);
        let text = x837p::write_837p(&ic).unwrap();
        // Then it reads back with our control numbers, and claims ordered by subscriber
        let doc = x837p::parse_837p(text.as_bytes()).unwrap();
        assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        let ic2 = &doc.interchanges[0];
        assert_eq!(ic2.header.control_number, 42);
        assert_eq!((ic2.header.sender_qualifier.as_str(), ic2.header.receiver_qualifier.as_str()), ("ZZ", "30"));
        assert_eq!(ic2.groups[0].header.control_number, 42);
        assert_eq!(ic2.groups[0].transactions[0].control_number, "0042");
        assert_eq!(ic2.groups[0].transactions[0].reference, "REF1");
        let pcns: Vec<&str> = doc.claims().map(|c| c.patient_control_number.as_str()).collect();
        assert_eq!(pcns, vec!["PCN-B", "PCN-A"]);
        assert!(text.contains("REF*6R*L1~"));
        assert!(text.contains("PER*IC*Desk*TE*8005550100~"));
    }

    #[test]
    fn control_numbers_wrap_after_nine_digits_and_files_are_named_by_tenant_isa13_and_payer() {
        assert_eq!(next_control(0), 1);
        assert_eq!(next_control(41), 42);
        assert_eq!(next_control(999_999_999), 1);
        assert_eq!(file_stem("acme", "default", 42, "BC/BS 01"), "acme-000000042-BCBS01");
        assert_eq!(file_stem("acme", "default", 1, "--"), "acme-000000001-PAYER");
        assert_eq!(file_stem("acme", "availity", 1, "BCBS"), "acme-availity-000000001-BCBS");
    }

    #[test]
    fn a_payer_goes_to_the_partner_naming_it_else_the_default_and_batches_are_due_by_count_or_wait() {
        use crate::store::PendingGroup;
        // Given a default partner and one for two payers
        let default = TradingPartner { batch_max_claims: 3, batch_window_ms: 1000, ..TradingPartner::default() };
        let named = TradingPartner {
            partner_id: "ch2".into(),
            payer_ids: vec!["BCBS".into(), "AETNA".into()],
            batch_max_claims: 100,
            batch_window_ms: 60_000,
            ..TradingPartner::default()
        };
        let partners = vec![named.clone(), default.clone()];
        // Then each payer finds its partner
        assert_eq!(partner_for(&partners, "AETNA").partner_id, "ch2");
        assert_eq!(partner_for(&partners, " BCBS ").partner_id, "ch2");
        assert_eq!(partner_for(&partners, "MEDICARE").partner_id, "default");
        // And a batch is due when enough claims wait, or the oldest waited the window, not before
        let g = |claims, wait| PendingGroup { payer_id: "X".into(), claims, oldest_wait_ms: wait };
        assert!(!batch_due(&g(2, 999), &default));
        assert!(batch_due(&g(3, 0), &default));
        assert!(batch_due(&g(1, 1000), &default));
        assert!(!batch_due(&g(0, 5000), &default));
        assert!(!batch_due(&g(99, 59_999), &named));
        assert!(batch_due(&g(100, 1), &named));
    }

    #[test]
    fn ack_files_are_known_by_extension_and_read_999_first() {
        assert_eq!(AckKind::of("a.999"), Some(AckKind::Ack999));
        assert_eq!(AckKind::of("a.277CA"), Some(AckKind::Ack277ca));
        assert_eq!(AckKind::of("a.835"), None);
        assert_eq!(AckKind::of(".a.999.tmp"), None);
        let mut names = vec![
            ("b.277ca".to_string(), AckKind::Ack277ca),
            ("b.999".to_string(), AckKind::Ack999),
            ("a.277ca".to_string(), AckKind::Ack277ca),
        ];
        ack_order(&mut names);
        let order: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
        assert_eq!(order, vec!["a.277ca", "b.999", "b.277ca"]);
    }

    #[test]
    fn a_999_rejection_becomes_findings_with_codes_and_no_data() {
        // Given a rejected transaction set with a segment and an element error carrying bad data
        let t = TransactionAck {
            transaction_id: "837".into(),
            control_number: "0042".into(),
            implementation: None,
            segment_errors: vec![SegmentError {
                segment_id: "NM1".into(),
                position: 17,
                loop_id: Some("2010".into()),
                code: Some("8".into()),
                contexts: vec![],
                element_errors: vec![ElementError {
                    position: ElementPosition { element: 9, component: None, repeat: None },
                    reference: Some(67),
                    code: "7".into(),
                    bad_data: Some("SECRET-MEMBER".into()),
                    contexts: vec![],
                }],
            }],
            response: TransactionResponse { code: AckCode::Rejected, errors: vec!["5".into()] },
        };
        // When turned into findings
        let f = findings_from_999(&t);
        // Then IK5, IK3 and IK4 codes are there and the bad data is not
        let rules: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, vec!["x12.999.ik5", "x12.999.ik3", "x12.999.ik4"]);
        assert_eq!(f[2].field, "NM109 (NM1 at 17 in loop 2010)");
        assert!(f.iter().all(|f| !f.message.contains("SECRET") && !f.field.contains("SECRET")));
    }

    #[test]
    fn a_277ca_moves_only_submitted_claims() {
        let stc = |cat: &str, code: &str, entity: Option<&str>| StatusInfo {
            status: StatusCode::new(cat, code, entity),
            additional: vec![],
            date: None,
            action: Some("U".into()),
            amount: None,
            message: Some("MEMBER JOHN DOE NOT FOUND".into()),
        };
        let rejected = vec![stc("A3", "33", Some("IL"))];
        // Given a submitted claim, when the 277CA rejects it, then the STC codes are the findings
        match effect_of_277ca(ClaimState::Submitted, Disposition::Rejected, &rejected, None) {
            AckEffect::Reject { findings } => {
                assert_eq!(findings.len(), 1);
                assert_eq!(findings[0].message, "claim status A3:33:IL");
                assert_eq!(findings[0].field, "STC entity IL");
                assert!(!findings[0].message.contains("DOE"), "STC12 free text is not copied");
            }
            other => panic!("{other:?}"),
        }
        // Accepted with its payer claim control number
        assert_eq!(
            effect_of_277ca(ClaimState::Submitted, Disposition::Accepted, &[], Some("PCC1")),
            AckEffect::Accept { payer_claim_control_number: "PCC1".into() }
        );
        // A pending status changes nothing; a claim already decided is not moved again
        assert_eq!(effect_of_277ca(ClaimState::Submitted, Disposition::Other, &[], None), AckEffect::NoChange);
        assert_eq!(
            effect_of_277ca(ClaimState::RejectedByPayer, Disposition::Accepted, &[], Some("X")),
            AckEffect::AlreadyDecided
        );
        assert_eq!(ClaimState::parse("rejected_by_payer"), Some(ClaimState::RejectedByPayer));
    }

    #[test]
    fn a_claim_comes_once_per_version_and_a_correction_follows_a_sent_version() {
        // Given nothing stored: the first ClaimScrubbed is its own version (an original is 1)
        assert_eq!(arrival("1", 0, None), Arrival::New { version: 1 });
        assert_eq!(arrival("1", 1, None), Arrival::New { version: 1 });
        // Given version 1 sent and accepted
        let sent = Some((1, ClaimState::Accepted));
        // Then the same claim again (a duplicate event) adds nothing, and neither does an original
        assert_eq!(arrival("1", 1, sent), Arrival::Duplicate);
        assert_eq!(arrival("1", 2, sent), Arrival::Duplicate);
        // And a replacement or void as version 2 is a new version, once
        assert_eq!(arrival("7", 2, sent), Arrival::New { version: 2 });
        assert_eq!(arrival("8", 2, sent), Arrival::New { version: 2 });
        assert_eq!(arrival("7", 2, Some((2, ClaimState::Pending))), Arrival::Duplicate);
        assert_eq!(arrival("7", 1, sent), Arrival::Duplicate, "a correction names a later version");
        // A correction follows a version that was sent, whatever the payer said of it
        assert_eq!(arrival("7", 2, Some((1, ClaimState::Submitted))), Arrival::New { version: 2 });
        assert_eq!(arrival("7", 3, Some((2, ClaimState::RejectedByPayer))), Arrival::New { version: 3 });
        // But waits for one still pending, and cannot follow one held
        assert_eq!(arrival("7", 2, Some((1, ClaimState::Pending))), Arrival::AfterPrevious);
        assert_eq!(arrival("8", 2, Some((1, ClaimState::Held))), Arrival::PreviousHeld { version: 1 });
    }
}
