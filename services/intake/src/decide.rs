//! Intake's decisions, without I/O: whether an encounter can be taken (and what it passes on as
//! findings), and how a claim's state and money move with each event of its life.

use rcm_proto::common::{Encounter, Finding, PersonName, Provider, Severity};
use rcm_proto::events::envelope::Payload;
use rcm_proto::events::{ClaimDenied, ClaimPaid, ClaimPartiallyPaid, Remittance};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Taking an encounter
// ---------------------------------------------------------------------------------------------

/// The encounter cannot be taken: every field at fault, in the order of the encounter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faults(pub Vec<String>);

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

/// Checks an encounter. `Err` lists every field that is missing or malformed (the submitter must
/// fix them); `Ok` carries the findings later steps decide on (coding, scrubbing), after the ones
/// the encounter already had (from the FHIR reader).
pub fn check_encounter(e: &Encounter, max_lines: usize) -> Result<Vec<Finding>, Faults> {
    let mut faults = Vec::new();
    let mut need = |ok: bool, msg: &str| {
        if !ok {
            faults.push(msg.to_string());
        }
    };

    need(!blank(&e.encounter_id), "encounter_id is required");

    let patient = e.patient.clone().unwrap_or_default();
    let name = patient.name.clone().unwrap_or_default();
    need(!blank(&name.last), "patient.name.last is required");
    need(!blank(&name.first), "patient.name.first is required");
    check_date(&mut faults, "patient.birth_date", &patient.birth_date, true);
    match patient.gender.trim() {
        "" => faults.push("patient.gender is required".into()),
        "F" | "M" | "U" => {}
        _ => faults.push("patient.gender must be F, M or U".into()),
    }

    // EHR exports often lack a payer, a member id or the billing provider's NPI: for them these are
    // findings for later steps to decide on (scrubbing rejects the claim, naming the field), not a
    // refusal of the whole encounter. A direct submission must carry them.
    let from_ehr = e.source == "fhir";
    let mut deferred: Vec<Finding> = Vec::new();
    let coverage = e.coverage.clone().unwrap_or_default();
    let billing = e.billing_provider.clone().unwrap_or_default();
    for (ok, field, msg) in [
        (
            !blank(&coverage.payer_id) || !blank(&coverage.payer_name),
            "coverage.payer",
            "coverage.payer_id or coverage.payer_name is required",
        ),
        (!blank(&coverage.member_id), "coverage.member_id", "coverage.member_id is required"),
        (!blank(&billing.npi), "billing_provider.npi", "billing_provider.npi is required"),
        (
            has_name(&billing),
            "billing_provider.name",
            "billing_provider.organization_name or billing_provider.person is required",
        ),
    ] {
        if ok {
            continue;
        }
        if from_ehr {
            deferred.push(error_finding("INTAKE-REQUIRED-MISSING", field, msg));
        } else {
            faults.push(msg.to_string());
        }
    }
    check_date(&mut faults, "coverage.subscriber_birth_date", &coverage.subscriber_birth_date, false);

    check_date(&mut faults, "service_date", &e.service_date, true);

    if e.lines.is_empty() {
        faults.push("lines: at least one line is required".into());
    } else if e.lines.len() > max_lines {
        faults.push(format!("lines: at most {max_lines} lines per claim, got {}", e.lines.len()));
    }
    for (i, line) in e.lines.iter().enumerate() {
        check_date(&mut faults, &format!("lines[{i}].service_date"), &line.service_date, false);
        check_date(&mut faults, &format!("lines[{i}].service_date_end"), &line.service_date_end, false);
        if !line.units.trim().is_empty() && !positive_decimal(&line.units) {
            faults.push(format!("lines[{i}].units is not a positive number"));
        }
        if line.charge_cents < 0 {
            faults.push(format!("lines[{i}].charge_cents is negative"));
        }
    }
    if !faults.is_empty() {
        return Err(Faults(faults));
    }

    // The source's findings come first; intake adds its own for fields they do not already cover
    // (the FHIR reader checks NPIs and payers too).
    let mut findings = e.findings.clone();
    let covered: Vec<String> = findings.iter().map(|f| f.field.clone()).collect();
    findings.extend(deferred.into_iter().filter(|f| !covered.contains(&f.field)));
    let mut add = |f: Finding| {
        if !covered.contains(&f.field) {
            findings.push(f);
        }
    };
    for (field, p) in [
        ("billing_provider", e.billing_provider.as_ref()),
        ("rendering_provider", e.rendering_provider.as_ref()),
        ("referring_provider", e.referring_provider.as_ref()),
    ] {
        let Some(p) = p.filter(|p| !blank(&p.npi)) else { continue };
        match npi_problem(&p.npi) {
            Some(NpiProblem::Form) => {
                add(warning("INTAKE-NPI-FORM", &format!("{field}.npi"), &format!("{field}.npi is not 10 digits")))
            }
            Some(NpiProblem::CheckDigit) => add(warning(
                "INTAKE-NPI-CHECK-DIGIT",
                &format!("{field}.npi"),
                &format!("{field}.npi fails the NPI check digit"),
            )),
            None => {}
        }
    }
    if blank(&coverage.payer_id) {
        add(warning(
            "INTAKE-NO-PAYER-ID",
            "coverage.payer_id",
            "coverage.payer_id is missing (only the payer name was given)",
        ));
    }
    if e.diagnosis_codes.iter().all(|c| blank(c)) {
        add(warning(
            "INTAKE-NO-ICD10",
            "diagnosis_codes",
            &format!("no ICD-10-CM diagnosis code; {} source condition(s) for the coder", e.conditions.len()),
        ));
    }
    for (i, line) in e.lines.iter().enumerate() {
        if blank(&line.procedure_code) {
            add(warning(
                "INTAKE-NO-PROCEDURE-CODE",
                &format!("lines[{i}].procedure_code"),
                &format!("lines[{i}] has no CPT/HCPCS code"),
            ));
        }
    }
    Ok(findings)
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// An id as it may appear in a message: a FHIR-style id (`[A-Za-z0-9-.]{1,64}`); anything else is
/// described, not quoted, in case it holds patient data.
pub fn printable_id(id: &str) -> String {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok { id.to_string() } else { "(without a printable id)".to_string() }
}

fn has_name(p: &Provider) -> bool {
    let person = p.person.as_ref().is_some_and(|n: &PersonName| !blank(&n.last));
    !blank(&p.organization_name) || person
}

/// Adds a fault when `value` is required and empty, or set and not a real `YYYY-MM-DD` date.
fn check_date(faults: &mut Vec<String>, field: &str, value: &str, required: bool) {
    if value.trim().is_empty() {
        if required {
            faults.push(format!("{field} is required"));
        }
    } else if parse_date(value).is_none() {
        faults.push(format!("{field} is not a date"));
    }
}

/// A real calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn positive_decimal(s: &str) -> bool {
    s.trim().parse::<rust_decimal::Decimal>().is_ok_and(|d| d > rust_decimal::Decimal::ZERO)
}

fn warning(rule: &str, field: &str, message: &str) -> Finding {
    Finding { rule_id: rule.into(), field: field.into(), message: message.into(), severity: Severity::Warning as i32 }
}

fn error_finding(rule: &str, field: &str, message: &str) -> Finding {
    Finding { rule_id: rule.into(), field: field.into(), message: message.into(), severity: Severity::Error as i32 }
}

pub use rcm_codesets::npi::{NpiProblem, npi_problem};

// ---------------------------------------------------------------------------------------------
// A claim's life
// ---------------------------------------------------------------------------------------------

/// A claim's state. The derived order is the rank within one version's life (the order of the
/// pipeline); which moves are allowed is [`allowed`], and a correction or void starts a new version
/// (see [`apply`]).
///
/// - `created`: intake took the encounter; `needs_coding` waits for a coder; `coded`.
/// - `rejected`: failed our own edits (scrubbing); `scrubbed`: passed them.
/// - `batched`: in an 837P batch with its control numbers; `sent`: the file reached the
///   clearinghouse.
/// - `rejected_by_clearinghouse` (999) or `rejected_by_payer` (277CA); `accepted` (277CA).
/// - `denied`, `partially_paid`, `paid` (835); `in_denial_queue` (a work item), `in_appeal`.
/// - `reversed`: the payer took back its payment (835 CLP02 22); the corrected payment that
///   usually follows moves it on to `paid`, `partially_paid` or `denied`.
/// - `corrected`: a corrected (frequency 7) or void (8) version was asked for; it opens the next
///   version. `voided`: the payer accepted a void. `closed`: nothing more to do (written off,
///   billed to the patient, resolved); it takes no further state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimState {
    Corrected,
    Created,
    NeedsCoding,
    Coded,
    Rejected,
    Scrubbed,
    Batched,
    Sent,
    RejectedByClearinghouse,
    RejectedByPayer,
    Accepted,
    Denied,
    PartiallyPaid,
    InDenialQueue,
    InAppeal,
    Paid,
    Reversed,
    Voided,
    Closed,
}

impl ClaimState {
    pub const ALL: [ClaimState; 19] = [
        ClaimState::Corrected,
        ClaimState::Created,
        ClaimState::NeedsCoding,
        ClaimState::Coded,
        ClaimState::Rejected,
        ClaimState::Scrubbed,
        ClaimState::Batched,
        ClaimState::Sent,
        ClaimState::RejectedByClearinghouse,
        ClaimState::RejectedByPayer,
        ClaimState::Accepted,
        ClaimState::Denied,
        ClaimState::PartiallyPaid,
        ClaimState::InDenialQueue,
        ClaimState::InAppeal,
        ClaimState::Paid,
        ClaimState::Reversed,
        ClaimState::Voided,
        ClaimState::Closed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ClaimState::Corrected => "corrected",
            ClaimState::Created => "created",
            ClaimState::NeedsCoding => "needs_coding",
            ClaimState::Coded => "coded",
            ClaimState::Rejected => "rejected",
            ClaimState::Scrubbed => "scrubbed",
            ClaimState::Batched => "batched",
            ClaimState::Sent => "sent",
            ClaimState::RejectedByClearinghouse => "rejected_by_clearinghouse",
            ClaimState::RejectedByPayer => "rejected_by_payer",
            ClaimState::Accepted => "accepted",
            ClaimState::Denied => "denied",
            ClaimState::PartiallyPaid => "partially_paid",
            ClaimState::InDenialQueue => "in_denial_queue",
            ClaimState::InAppeal => "in_appeal",
            ClaimState::Paid => "paid",
            ClaimState::Reversed => "reversed",
            ClaimState::Voided => "voided",
            ClaimState::Closed => "closed",
        }
    }

    pub fn from_name(name: &str) -> Option<ClaimState> {
        ClaimState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Where the pipeline is done with the claim (until someone works it): the demo waits for
    /// every claim to be in one of these.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ClaimState::NeedsCoding
                | ClaimState::Rejected
                | ClaimState::RejectedByClearinghouse
                | ClaimState::RejectedByPayer
                | ClaimState::Paid
                | ClaimState::PartiallyPaid
                | ClaimState::InDenialQueue
                | ClaimState::InAppeal
                | ClaimState::Voided
                | ClaimState::Closed
        )
    }

    /// The state an event stands for, before the claim's frequency is known (see [`apply`]: the
    /// payer accepting a void is `voided`).
    pub fn of(payload: &Payload) -> ClaimState {
        match payload {
            Payload::EncounterReceived(_) => ClaimState::Created,
            Payload::ClaimCoded(_) => ClaimState::Coded,
            Payload::CodingReviewRequired(_) => ClaimState::NeedsCoding,
            Payload::ClaimScrubbed(_) => ClaimState::Scrubbed,
            Payload::ClaimRejected(_) => ClaimState::Rejected,
            Payload::ClaimSubmitted(_) => ClaimState::Batched,
            Payload::ClaimSent(_) => ClaimState::Sent,
            Payload::ClaimAccepted(_) => ClaimState::Accepted,
            Payload::ClaimRejectedByPayer(r) if r.by_clearinghouse => ClaimState::RejectedByClearinghouse,
            Payload::ClaimRejectedByPayer(_) => ClaimState::RejectedByPayer,
            Payload::ClaimPaid(_) => ClaimState::Paid,
            Payload::ClaimPartiallyPaid(_) => ClaimState::PartiallyPaid,
            Payload::ClaimDenied(_) => ClaimState::Denied,
            Payload::DenialQueued(_) => ClaimState::InDenialQueue,
            Payload::CorrectionRequested(_) => ClaimState::Corrected,
            Payload::AppealFiled(_) => ClaimState::InAppeal,
            Payload::ClaimClosed(_) => ClaimState::Closed,
            Payload::ClaimReversed(_) => ClaimState::Reversed,
            // The secondary claim's first event: born ready to bill, as a scrubbed claim is.
            Payload::SecondaryClaimRequested(_) => ClaimState::Scrubbed,
            // Not about a claim: the history never takes it ([`is_about_a_claim`]).
            Payload::TradingPartnerSet(_) => ClaimState::Created,
        }
    }

    /// States from which a corrected or void version may follow: the payer has seen (or turned
    /// away) the claim.
    pub fn can_be_corrected(self) -> bool {
        use ClaimState::*;
        matches!(
            self,
            RejectedByClearinghouse
                | RejectedByPayer
                | Accepted
                | Denied
                | PartiallyPaid
                | InDenialQueue
                | InAppeal
                | Paid
        )
    }
}

impl fmt::Display for ClaimState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The moves a claim may make within one version: `allowed(from, to)`. Everything else is
/// refused (or, for a state the claim has already passed, recorded as late); see [`apply`].
///
/// Some moves skip a state on purpose: an acknowledgement can land before the claim's `sent`
/// (a crash between the upload and its record), a payer may answer with an 835 and no 277CA, and
/// an appeal can be lost (`in_appeal` to `denied`) or won (`paid`).
pub fn allowed(from: ClaimState, to: ClaimState) -> bool {
    use ClaimState::*;
    let from_any: &[ClaimState] = match to {
        Corrected | Created => &[],
        NeedsCoding => &[Created, Corrected, Rejected],
        Coded => &[Created, NeedsCoding, Corrected, Rejected],
        Rejected => &[Coded, Scrubbed, Rejected],
        Scrubbed => &[Coded, Rejected],
        Batched => &[Scrubbed],
        Sent => &[Batched],
        RejectedByClearinghouse | RejectedByPayer | Accepted | Voided => &[Batched, Sent],
        Denied => &[Batched, Sent, Accepted, InAppeal, Denied, Reversed],
        PartiallyPaid => &[Batched, Sent, Accepted, InAppeal, PartiallyPaid, Denied, Reversed],
        InDenialQueue => &[Denied, PartiallyPaid, RejectedByClearinghouse, RejectedByPayer],
        InAppeal => &[InDenialQueue, Denied, PartiallyPaid],
        Paid => &[Batched, Sent, Accepted, PartiallyPaid, Denied, InDenialQueue, InAppeal, Reversed],
        Reversed => &[Paid, PartiallyPaid, Denied, InDenialQueue],
        Closed => &[
            NeedsCoding,
            Rejected,
            RejectedByClearinghouse,
            RejectedByPayer,
            Denied,
            PartiallyPaid,
            InDenialQueue,
            InAppeal,
            Paid,
            Reversed,
            Voided,
        ],
    };
    from_any.contains(&from)
}

/// Whether a claim in state `from` can come to `to` by allowed moves (one or more) within a version:
/// an event for such a `from` that arrives when the claim is already in `to` is late, not refused.
pub fn reaches(from: ClaimState, to: ClaimState) -> bool {
    let mut seen = vec![from];
    let mut next = vec![from];
    while let Some(s) = next.pop() {
        for t in ClaimState::ALL {
            if allowed(s, t) && !seen.contains(&t) {
                if t == to {
                    return true;
                }
                seen.push(t);
                next.push(t);
            }
        }
    }
    false
}

/// What an event did to its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// The claim moved to the event's state.
    Moved,
    /// The claim was already in that state (money may follow, e.g. a second 835 of a split payment).
    Repeated,
    /// The event is about a state the claim has passed, or about a version a correction replaced:
    /// history only.
    Late,
    /// Not a move the claim can make from where it is yet, but one it can make after events still
    /// to come (a denial's work item delivered before the denial, after a redelivery reordered
    /// them): not recorded; the event is delivered again later, and dead-lettered if it never fits.
    Early,
    /// Not a move the claim can make from where it is, now or later (a denial of a voided claim,
    /// anything after closed): history only, logged and counted.
    Refused,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Moved => "moved",
            Transition::Repeated => "repeated",
            Transition::Late => "late",
            Transition::Early => "early",
            Transition::Refused => "refused",
        }
    }
}

/// Whether the event belongs in a claim's history (a tenant's settings do not).
pub fn is_about_a_claim(payload: &Payload) -> bool {
    !matches!(payload, Payload::TradingPartnerSet(_))
}

/// The claim version an event names, for the events that carry the claim or start a version;
/// `None` for the others (acknowledgements, remittances, the work queue), which are about the
/// claim's current version. A version of 0 (written before versions existed) is the original.
pub fn event_version(payload: &Payload) -> Option<u32> {
    let v = match payload {
        Payload::EncounterReceived(e) => e.encounter.as_ref().map_or(1, |e| e.claim_version),
        Payload::ClaimCoded(e) => e.claim.as_ref().map_or(1, |c| c.version),
        Payload::ClaimScrubbed(e) => e.claim.as_ref().map_or(1, |c| c.version),
        Payload::ClaimSubmitted(e) => e.version,
        Payload::ClaimSent(e) => e.version,
        Payload::CorrectionRequested(e) => e.version,
        _ => return None,
    };
    Some(v.max(1))
}

/// The frequency code (CLM05-3) an event names, when it names one.
pub fn event_frequency(payload: &Payload) -> Option<&str> {
    let f = match payload {
        Payload::ClaimCoded(e) => e.claim.as_ref().map(|c| c.frequency_code.as_str()),
        Payload::ClaimScrubbed(e) => e.claim.as_ref().map(|c| c.frequency_code.as_str()),
        Payload::ClaimSubmitted(e) => Some(e.frequency_code.as_str()),
        Payload::CorrectionRequested(e) => Some(e.frequency_code.as_str()),
        _ => None,
    };
    f.filter(|f| !f.is_empty())
}

/// A claim's money, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Money {
    pub billed_cents: i64,
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
}

/// What the history keeps of a claim between events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub state: ClaimState,
    pub money: Money,
    /// The payer denied it at least once.
    pub denied: bool,
    /// The current version (1 the original).
    pub version: u32,
    /// The current version's frequency code: 1 original, 7 replacement, 8 void.
    pub frequency_code: String,
    /// The payer's id, once an event named it.
    pub payer_id: String,
}

impl ClaimRecord {
    /// A record before any event.
    pub fn new(state: ClaimState) -> ClaimRecord {
        ClaimRecord {
            state,
            money: Money::default(),
            denied: false,
            version: 1,
            frequency_code: "1".into(),
            payer_id: String::new(),
        }
    }
}

/// A claim after one more event: its record, what the event did, and what the event stands for
/// in the history (its state and version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub record: ClaimRecord,
    pub transition: Transition,
    /// The state the claim was in before the event (`None` for its first event).
    pub from: Option<ClaimState>,
    pub event_state: ClaimState,
    pub event_version: u32,
}

impl Applied {
    pub fn moved(&self) -> bool {
        self.transition == Transition::Moved
    }
}

/// The payer id an event names, when it names one.
fn event_payer(payload: &Payload) -> Option<&str> {
    let p = match payload {
        Payload::EncounterReceived(e) => e.encounter.as_ref()?.coverage.as_ref()?.payer_id.as_str(),
        Payload::ClaimCoded(e) => e.claim.as_ref()?.coverage.as_ref()?.payer_id.as_str(),
        Payload::ClaimScrubbed(e) => e.claim.as_ref()?.coverage.as_ref()?.payer_id.as_str(),
        Payload::ClaimSubmitted(e) => e.payer_id.as_str(),
        Payload::SecondaryClaimRequested(e) => e.payer_id.as_str(),
        _ => return None,
    };
    Some(p.trim()).filter(|p| !p.is_empty())
}

/// Applies an event to a claim (`None`: the first event seen for it).
///
/// Within a version the claim moves only as [`allowed`] says. A correction or void
/// (`corrected`, or the first event of a higher version) may start the next version from a state
/// the payer has seen ([`ClaimState::can_be_corrected`]). An event about an earlier version, or
/// for a state below the current one that is not an allowed move, is late: history only. Any other
/// move is refused: history only, and the caller logs it. The payer accepting a void (frequency 8)
/// voids the claim. Money follows the current version's events that are not refused: billed from
/// `ClaimCoded` or `ClaimSubmitted`; paid, adjusted (the sum of the adjustments) and patient
/// responsibility from the latest remittance.
pub fn apply(current: Option<&ClaimRecord>, payload: &Payload) -> Applied {
    let mut record = current.cloned().unwrap_or_else(|| ClaimRecord::new(ClaimState::of(payload)));
    let event_version = event_version(payload).unwrap_or(record.version);
    let frequency = match event_frequency(payload) {
        Some(f) => f.to_string(),
        None if event_version == record.version => record.frequency_code.clone(),
        None => "1".to_string(),
    };
    let event_state = match ClaimState::of(payload) {
        ClaimState::Accepted if frequency == "8" => ClaimState::Voided,
        s => s,
    };
    let from = current.map(|c| c.state);
    let transition = match current {
        // The first event seen starts the claim wherever it is (a history begun mid-life).
        None => Transition::Moved,
        Some(c) if event_version < c.version => Transition::Late,
        Some(c) if event_version > c.version => {
            let opens = matches!(event_state, ClaimState::Corrected | ClaimState::NeedsCoding | ClaimState::Coded);
            if matches!(c.state, ClaimState::Closed | ClaimState::Voided) {
                Transition::Refused
            } else if opens && c.state.can_be_corrected() {
                Transition::Moved
            } else {
                // A later version's event before the request that opens it, or before the claim
                // can be corrected.
                Transition::Early
            }
        }
        Some(c) if c.state == event_state => Transition::Repeated,
        Some(c) if c.state == ClaimState::Closed => Transition::Refused,
        Some(c) if allowed(c.state, event_state) => Transition::Moved,
        Some(c) if reaches(event_state, c.state) => Transition::Late,
        Some(c) if reaches(c.state, event_state) => Transition::Early,
        Some(_) => Transition::Refused,
    };
    if transition == Transition::Moved {
        record.state = event_state;
    }
    if matches!(transition, Transition::Refused | Transition::Early) || event_version < record.version {
        return Applied { record, transition, from, event_state, event_version };
    }
    record.version = event_version;
    record.frequency_code = frequency;
    if let Some(p) = event_payer(payload) {
        record.payer_id = p.to_string();
    }
    match payload {
        Payload::ClaimCoded(e) => {
            if let Some(c) = &e.claim {
                record.money.billed_cents = c.total_charge_cents;
            }
        }
        Payload::ClaimSubmitted(e) => record.money.billed_cents = e.total_charge_cents,
        Payload::ClaimPaid(ClaimPaid { remittance })
        | Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance }) => {
            if let Some(r) = remittance {
                set_remittance(&mut record.money, r);
            }
        }
        Payload::ClaimDenied(e) => {
            record.denied = true;
            if let Some(r) = &e.remittance {
                set_remittance(&mut record.money, r);
            }
        }
        Payload::ClaimReversed(e) => {
            if let Some(t) = &e.totals {
                record.money.paid_cents = t.paid_cents;
                record.money.adjusted_cents = t.adjusted_cents;
                record.money.patient_responsibility_cents = t.patient_responsibility_cents;
            }
        }
        _ => {}
    }
    Applied { record, transition, from, event_state, event_version }
}

/// What `GetClaimStatus` says about the state: the event's detail, after the version for a claim
/// corrected or voided.
pub fn status_detail(record: &ClaimRecord, detail: &str) -> String {
    if record.version > 1 {
        format!("version {} (frequency {}): {detail}", record.version, record.frequency_code)
    } else {
        detail.to_string()
    }
}

/// The claim's money after a remittance (which says what all the 835s standing for the claim say
/// together: the parts of a split payment added up).
fn set_remittance(money: &mut Money, r: &Remittance) {
    money.paid_cents = r.paid_cents;
    money.adjusted_cents = r.adjustments.iter().map(|a| a.amount_cents).sum();
    money.patient_responsibility_cents = r.patient_responsibility_cents;
}

/// The frequency code a history detail names (`replacement (frequency 7)`, `void (frequency 8)`).
pub fn frequency_in_detail(detail: &str) -> Option<&'static str> {
    if detail.contains("(frequency 7)") {
        Some("7")
    } else if detail.contains("(frequency 8)") {
        Some("8")
    } else {
        None
    }
}

/// A short line about an event for the history: rule ids, control numbers, file names and
/// amounts, never patient data.
pub fn detail(payload: &Payload) -> String {
    fn rules(findings: &[Finding]) -> String {
        let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        if ids.is_empty() { "no findings".into() } else { ids.join(", ") }
    }
    // What a replacement or void says about the claim it stands for; nothing for an original.
    fn replaces(frequency: &str, pccn: &str) -> String {
        match frequency {
            "7" => format!("replacement (frequency 7) of payer claim {pccn}; "),
            "8" => format!("void (frequency 8) of payer claim {pccn}; "),
            _ => String::new(),
        }
    }
    match payload {
        Payload::TradingPartnerSet(e) => format!("trading partner {} set", e.partner_id),
        Payload::EncounterReceived(e) => {
            let enc = e.encounter.clone().unwrap_or_default();
            let source = if enc.source.is_empty() { "unknown" } else { enc.source.as_str() };
            format!("encounter {} from {source}; {} line(s)", enc.encounter_id, enc.lines.len())
        }
        Payload::ClaimCoded(e) => {
            let c = e.claim.clone().unwrap_or_default();
            let head = replaces(&c.frequency_code, &c.payer_claim_control_number);
            format!("{head}{} line(s), total {} cents", c.lines.len(), c.total_charge_cents)
        }
        Payload::CodingReviewRequired(e) => format!("needs coding: {}", rules(&e.findings)),
        Payload::ClaimScrubbed(e) => {
            let c = e.claim.clone().unwrap_or_default();
            let head = replaces(&c.frequency_code, &c.payer_claim_control_number);
            format!("{head}passed the edits; warnings: {}", rules(&e.warnings))
        }
        Payload::ClaimRejected(e) => format!("failed the edits: {}", rules(&e.findings)),
        Payload::ClaimSubmitted(e) => {
            let frequency = match e.frequency_code.as_str() {
                "7" | "8" => format!(" frequency {}", e.frequency_code),
                _ => String::new(),
            };
            format!(
                "batch {} file {} ICN {}; {} cents{frequency}",
                e.batch_id, e.file_name, e.interchange_control_number, e.total_charge_cents
            )
        }
        Payload::ClaimAccepted(e) => format!("payer claim {} in {}", e.payer_claim_control_number, e.ack_file),
        Payload::ClaimSent(e) => format!(
            "file {} (ICN {}) sent to {} after {} attempt(s)",
            e.file_name, e.interchange_control_number, e.destination, e.attempts
        ),
        Payload::ClaimRejectedByPayer(e) => {
            let by = if e.by_clearinghouse { "clearinghouse" } else { "payer" };
            format!("rejected by the {by} in {}: {}", e.ack_file, rules(&e.reasons))
        }
        Payload::ClaimPaid(ClaimPaid { remittance })
        | Payload::ClaimPartiallyPaid(ClaimPartiallyPaid { remittance })
        | Payload::ClaimDenied(ClaimDenied { remittance }) => {
            let r = remittance.clone().unwrap_or_default();
            let carcs: Vec<String> = r.adjustments.iter().map(|a| format!("{}-{}", a.group, a.reason)).collect();
            format!(
                "CLP02 {} paid {} cents, patient {} cents, adjustments [{}] in {}",
                r.claim_status,
                r.paid_cents,
                r.patient_responsibility_cents,
                carcs.join(" "),
                r.era_file
            )
        }
        Payload::ClaimReversed(e) => {
            let r = e.remittance.clone().unwrap_or_default();
            format!(
                "payment of payer claim {} (trace {}) reversed: paid {} cents, adjustments {} cents in {}",
                e.reversed_payer_claim_control_number,
                e.reversed_payment_trace,
                r.paid_cents,
                r.adjustments.iter().map(|a| a.amount_cents).sum::<i64>(),
                r.era_file
            )
        }
        Payload::SecondaryClaimRequested(e) => {
            let p = e.primary.clone().unwrap_or_default();
            format!(
                "secondary claim of {} to payer {}{}; primary {} (payer claim {}) paid {} cents, patient {} cents",
                e.primary_claim_id,
                e.payer_id,
                if e.crossed_over { " (crossed over)" } else { "" },
                p.payer_id,
                p.payer_claim_control_number,
                p.paid_cents,
                p.patient_responsibility_cents
            )
        }
        Payload::DenialQueued(e) => format!("work item {} ({}, priority {})", e.work_item_id, e.category, e.priority),
        // The note stays out: it is free text.
        Payload::CorrectionRequested(e) => format!(
            "{}as version {}, requested by {} on work item {}; denial {}: {}",
            replaces(&e.frequency_code, &e.payer_claim_control_number),
            e.version,
            e.requested_by,
            e.work_item_id,
            e.denial_category,
            e.reason_codes.join(" ")
        ),
        // Notes stay out: they are free text.
        Payload::AppealFiled(e) => {
            let deadline =
                if e.appeal_deadline.is_empty() { String::new() } else { format!(", deadline {}", e.appeal_deadline) };
            format!(
                "appeal of payer claim {} filed by {} on work item {}{deadline}",
                e.payer_claim_control_number, e.actor, e.work_item_id
            )
        }
        Payload::ClaimClosed(e) => {
            let reason = if e.reason_code.is_empty() { String::new() } else { format!(", reason {}", e.reason_code) };
            format!(
                "closed ({}{reason}) by {} on work item {}; written off {} cents",
                e.resolution, e.actor, e.work_item_id, e.written_off_cents
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcm_proto::common::{Address, Coverage, Patient, ServiceLine, SourceCode};
    use rcm_proto::events::ClaimReversed;
    use rcm_proto::events::{
        Adjustment, ClaimAccepted, ClaimCoded, ClaimSubmitted, CorrectionRequested, DenialQueued, EncounterReceived,
    };

    fn complete() -> Encounter {
        Encounter {
            encounter_id: "E-1".into(),
            patient: Some(Patient {
                patient_id: "P-1".into(),
                name: Some(PersonName { last: "Doe".into(), first: "Jan".into(), ..Default::default() }),
                birth_date: "1980-02-29".into(),
                gender: "F".into(),
                address: Some(Address::default()),
            }),
            coverage: Some(Coverage { payer_id: "87726".into(), member_id: "M1".into(), ..Default::default() }),
            billing_provider: Some(Provider {
                npi: "1234567893".into(),
                organization_name: "Clinic".into(),
                ..Default::default()
            }),
            service_date: "2026-03-02".into(),
            diagnosis_codes: vec!["E119".into()],
            lines: vec![ServiceLine { procedure_code: "99213".into(), units: "1".into(), ..Default::default() }],
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_encounter_is_taken_without_findings() {
        // Given a complete encounter with valid NPI, payer id, diagnosis and procedure code
        // When it is checked
        let findings = check_encounter(&complete(), 50);
        // Then it is taken with nothing to say
        assert_eq!(findings, Ok(vec![]));
    }

    #[test]
    fn an_empty_encounter_names_every_missing_field() {
        // Given an encounter with nothing in it
        // When it is checked
        let faults = check_encounter(&Encounter::default(), 50).unwrap_err();
        // Then every required field is named, in order
        assert_eq!(
            faults.0,
            vec![
                "encounter_id is required",
                "patient.name.last is required",
                "patient.name.first is required",
                "patient.birth_date is required",
                "patient.gender is required",
                "coverage.payer_id or coverage.payer_name is required",
                "coverage.member_id is required",
                "billing_provider.npi is required",
                "billing_provider.organization_name or billing_provider.person is required",
                "service_date is required",
                "lines: at least one line is required",
            ]
        );
    }

    #[test]
    fn malformed_values_are_faults_with_their_index() {
        // Given bad dates, a bad gender, bad units and a negative charge
        let mut e = complete();
        e.patient.as_mut().unwrap().birth_date = "1980-02-30".into();
        e.patient.as_mut().unwrap().gender = "X".into();
        e.lines.push(ServiceLine {
            service_date: "03/02/2026".into(),
            units: "-1".into(),
            charge_cents: -5,
            ..Default::default()
        });
        // When it is checked
        let faults = check_encounter(&e, 50).unwrap_err();
        // Then each is named, and the message joins them
        assert_eq!(
            faults.to_string(),
            "patient.birth_date is not a date; patient.gender must be F, M or U; lines[1].service_date is not a date; \
             lines[1].units is not a positive number; lines[1].charge_cents is negative"
        );
    }

    #[test]
    fn a_person_billing_provider_and_a_payer_name_are_enough() {
        // Given a billing provider that is a person and coverage with only a payer name
        let mut e = complete();
        e.billing_provider = Some(Provider {
            npi: "1234567893".into(),
            person: Some(PersonName { last: "Smith".into(), ..Default::default() }),
            ..Default::default()
        });
        e.coverage = Some(Coverage { payer_name: "Acme Health".into(), member_id: "M1".into(), ..Default::default() });
        // When it is checked
        let findings = check_encounter(&e, 50).unwrap();
        // Then it is taken, with the missing payer id as a finding
        assert_eq!(findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), vec!["INTAKE-NO-PAYER-ID"]);
    }

    #[test]
    fn too_many_lines_are_a_fault() {
        let mut e = complete();
        e.lines = vec![e.lines[0].clone(); 3];
        assert_eq!(check_encounter(&e, 2).unwrap_err().0, vec!["lines: at most 2 lines per claim, got 3"]);
    }

    #[test]
    fn what_later_steps_decide_passes_as_findings() {
        // Given a bad billing NPI check digit, a rendering NPI of the wrong length, no ICD-10-CM
        // code (only a SNOMED condition), a line without a procedure code, and a finding from the
        // FHIR reader
        let mut e = complete();
        e.billing_provider.as_mut().unwrap().npi = "1234567890".into();
        e.rendering_provider = Some(Provider { npi: "12345".into(), ..Default::default() });
        e.diagnosis_codes.clear();
        e.conditions.push(SourceCode {
            system: "http://snomed.info/sct".into(),
            code: "44054006".into(),
            ..Default::default()
        });
        e.lines[0].procedure_code.clear();
        e.findings.push(warning("FHIR-X", "bundle", "from the reader"));
        // When it is checked
        let findings = check_encounter(&e, 50).unwrap();
        // Then it is taken, and each is a warning naming its field, after the reader's
        let got: Vec<(&str, &str)> = findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("FHIR-X", "bundle"),
                ("INTAKE-NPI-CHECK-DIGIT", "billing_provider.npi"),
                ("INTAKE-NPI-FORM", "rendering_provider.npi"),
                ("INTAKE-NO-ICD10", "diagnosis_codes"),
                ("INTAKE-NO-PROCEDURE-CODE", "lines[0].procedure_code"),
            ]
        );
        assert!(findings[1..].iter().all(|f| f.severity == Severity::Warning as i32));
    }

    #[test]
    fn the_sources_findings_are_not_repeated() {
        // Given an encounter whose source (the FHIR reader) already found the billing NPI bad
        let mut e = complete();
        e.billing_provider.as_mut().unwrap().npi = "1234567890".into();
        e.findings.push(warning("intake.npi_check_digit", "billing_provider.npi", "from the reader"));
        // When it is checked
        let findings = check_encounter(&e, 50).unwrap();
        // Then intake does not add its own finding for the same field
        assert_eq!(findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(), vec!["intake.npi_check_digit"]);
    }

    #[test]
    fn only_id_shaped_ids_are_printed() {
        assert_eq!(printable_id("e1-2.3"), "e1-2.3");
        assert_eq!(printable_id("Jane Doe"), "(without a printable id)");
        assert_eq!(printable_id(""), "(without a printable id)");
    }

    #[test]
    fn npi_check_digits() {
        // Given known valid NPIs (the CMS example 1234567893 among them)
        for ok in ["1234567893", "1245319599", "1003000126", "1679576722"] {
            assert_eq!(npi_problem(ok), None, "{ok}");
        }
        // And NPIs with a wrong last digit, or not ten digits
        for bad in ["1234567890", "1234567894", "1245319598"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::CheckDigit), "{bad}");
        }
        for bad in ["", "123456789", "12345678931", "123456789X", " 234567893"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::Form), "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_real_iso_dates() {
        assert!(parse_date("2024-02-29").is_some());
        for bad in ["2023-02-29", "2024-2-1", "20240201", "2024-02-01T00:00:00", ""] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    fn coded(total: i64) -> Payload {
        Payload::ClaimCoded(ClaimCoded {
            claim: Some(rcm_proto::common::Claim { total_charge_cents: total, ..Default::default() }),
            findings: vec![],
        })
    }

    fn paid(paid: i64, pr: i64, adjustments: &[i64]) -> Remittance {
        Remittance {
            claim_status: "1".into(),
            paid_cents: paid,
            patient_responsibility_cents: pr,
            adjustments: adjustments
                .iter()
                .map(|a| Adjustment { group: "CO".into(), reason: "45".into(), amount_cents: *a })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_event_has_its_state_and_ranks_follow_the_pipeline() {
        // Given the events of a claim's life in order
        let life = [
            (Payload::EncounterReceived(EncounterReceived::default()), "created"),
            (coded(1), "coded"),
            (Payload::ClaimScrubbed(Default::default()), "scrubbed"),
            (Payload::ClaimSubmitted(Default::default()), "batched"),
            (Payload::ClaimSent(Default::default()), "sent"),
            (Payload::ClaimAccepted(Default::default()), "accepted"),
            (Payload::ClaimDenied(Default::default()), "denied"),
            (Payload::DenialQueued(Default::default()), "in_denial_queue"),
            (Payload::ClaimPaid(Default::default()), "paid"),
        ];
        // Then each maps to its state and each state ranks above the one before
        for w in life.windows(2) {
            assert!(ClaimState::of(&w[0].0) < ClaimState::of(&w[1].0), "{} < {}", w[0].1, w[1].1);
        }
        for (p, name) in &life {
            assert_eq!(ClaimState::of(p).name(), *name);
        }
        assert_eq!(ClaimState::of(&Payload::CodingReviewRequired(Default::default())), ClaimState::NeedsCoding);
        assert_eq!(ClaimState::of(&Payload::ClaimRejected(Default::default())), ClaimState::Rejected);
        assert_eq!(ClaimState::of(&Payload::ClaimRejectedByPayer(Default::default())), ClaimState::RejectedByPayer);
        assert_eq!(ClaimState::of(&Payload::ClaimPartiallyPaid(Default::default())), ClaimState::PartiallyPaid);
        for s in ClaimState::ALL {
            assert_eq!(ClaimState::from_name(s.name()), Some(s));
        }
        // Corrections move forward: coded after needs_coding, scrubbed after rejected
        assert!(ClaimState::NeedsCoding < ClaimState::Coded);
        assert!(ClaimState::Rejected < ClaimState::Scrubbed);
        assert!(ClaimState::RejectedByPayer < ClaimState::Accepted);
        assert!(ClaimState::PartiallyPaid < ClaimState::InDenialQueue);
        let by_clearinghouse = rcm_proto::events::ClaimRejectedByPayer { by_clearinghouse: true, ..Default::default() };
        assert_eq!(
            ClaimState::of(&Payload::ClaimRejectedByPayer(by_clearinghouse)),
            ClaimState::RejectedByClearinghouse
        );
        // And each allowed move goes up the ranks, but for a coder fixing what our edits rejected, a
        // rescrub that now fails, and an appeal answered
        use ClaimState::*;
        let mut down = Vec::new();
        for from in ClaimState::ALL {
            for to in ClaimState::ALL {
                if allowed(from, to) && to < from {
                    down.push((from, to));
                }
            }
        }
        assert_eq!(
            down,
            [
                (Rejected, NeedsCoding),
                (Rejected, Coded),
                (Scrubbed, Rejected),
                (InAppeal, Denied),
                (InAppeal, PartiallyPaid),
                (Reversed, Denied),
                (Reversed, PartiallyPaid),
                (Reversed, Paid),
            ]
        );
    }

    #[test]
    fn final_states() {
        let finals: Vec<&str> = ClaimState::ALL.into_iter().filter(|s| s.is_final()).map(ClaimState::name).collect();
        assert_eq!(
            finals,
            vec![
                "needs_coding",
                "rejected",
                "rejected_by_clearinghouse",
                "rejected_by_payer",
                "partially_paid",
                "in_denial_queue",
                "in_appeal",
                "paid",
                "voided",
                "closed"
            ]
        );
    }

    #[test]
    fn the_state_moves_forward_only() {
        // Given a claim already paid
        let first = apply(None, &Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(8000, 2000, &[3000])) }));
        assert!(first.moved());
        assert_eq!(first.record.state, ClaimState::Paid);
        // When a late ClaimCoded arrives
        let late = apply(Some(&first.record), &coded(13000));
        // Then the state stays paid, the billed amount is taken, and the event is late
        assert_eq!(late.transition, Transition::Late);
        assert_eq!(late.record.state, ClaimState::Paid);
        assert_eq!(
            late.record.money,
            Money { billed_cents: 13000, paid_cents: 8000, adjusted_cents: 3000, patient_responsibility_cents: 2000 }
        );
        // And the same state again is a repeat, not a move
        let again =
            apply(Some(&late.record), &Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(8000, 2000, &[3000])) }));
        assert_eq!(again.transition, Transition::Repeated);
        assert_eq!(again.record, late.record);
    }

    #[test]
    fn money_follows_the_events_that_state_it() {
        // Given a received claim
        let r = apply(None, &Payload::EncounterReceived(Default::default())).record;
        assert_eq!(r.money, Money::default());
        // When it is coded, scrubbed, submitted, denied and queued
        let r = apply(Some(&r), &coded(12000)).record;
        assert_eq!(r.money.billed_cents, 12000);
        let r = apply(Some(&r), &Payload::ClaimScrubbed(Default::default())).record;
        let r = apply(
            Some(&r),
            &Payload::ClaimSubmitted(ClaimSubmitted { total_charge_cents: 12500, ..Default::default() }),
        )
        .record;
        assert_eq!(r.money.billed_cents, 12500);
        let r =
            apply(Some(&r), &Payload::ClaimDenied(ClaimDenied { remittance: Some(paid(0, 0, &[12500, -500])) })).record;
        let r = apply(Some(&r), &Payload::DenialQueued(DenialQueued::default())).record;
        // Then the money and the denial are kept
        assert_eq!(r.state, ClaimState::InDenialQueue);
        assert!(r.denied);
        assert_eq!(
            r.money,
            Money { billed_cents: 12500, paid_cents: 0, adjusted_cents: 12000, patient_responsibility_cents: 0 }
        );
    }

    #[test]
    fn details_carry_ids_and_amounts() {
        let d = detail(&Payload::ClaimRejected(rcm_proto::events::ClaimRejected {
            patient_control_number: "abc".into(),
            findings: vec![warning("SCRUB-NPI-CHECK-DIGIT", "billing_provider.npi", "x")],
        }));
        assert_eq!(d, "failed the edits: SCRUB-NPI-CHECK-DIGIT");
        let d = detail(&Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(100, 20, &[30])) }));
        assert_eq!(d, "CLP02 1 paid 100 cents, patient 20 cents, adjustments [CO-45] in ");
        assert_eq!(detail(&coded(500)), "0 line(s), total 500 cents");
    }

    #[test]
    fn ehr_encounters_missing_payer_or_npi_pass_with_findings() {
        // Given an encounter from a FHIR export with no member id and no billing NPI
        let mut e = complete();
        e.source = "fhir".into();
        e.coverage.as_mut().unwrap().member_id.clear();
        e.billing_provider.as_mut().unwrap().npi.clear();
        // When intake checks it
        let findings = check_encounter(&e, 50).expect("taken, with findings");
        // Then both gaps are error findings naming the field, for scrubbing to act on
        let fields: Vec<_> =
            findings.iter().filter(|f| f.rule_id == "INTAKE-REQUIRED-MISSING").map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["coverage.member_id", "billing_provider.npi"]);
        // And the same encounter submitted directly is refused
        e.source = "grpc".into();
        assert!(check_encounter(&e, 50).is_err());
    }

    fn coded_version(total: i64, version: u32, frequency: &str) -> Payload {
        Payload::ClaimCoded(ClaimCoded {
            claim: Some(rcm_proto::common::Claim {
                total_charge_cents: total,
                version,
                frequency_code: frequency.into(),
                payer_claim_control_number: if frequency == "1" { String::new() } else { "PCC1".into() },
                ..Default::default()
            }),
            findings: vec![],
        })
    }

    fn correction(version: u32, frequency: &str) -> Payload {
        Payload::CorrectionRequested(CorrectionRequested {
            frequency_code: frequency.into(),
            payer_claim_control_number: "PCC1".into(),
            version,
            reason_codes: vec!["CO-16".into(), "M51".into()],
            denial_category: "missing_information".into(),
            work_item_id: "w1".into(),
            requested_by: "biller-1".into(),
            note: "free text that stays out of the history".into(),
        })
    }

    fn scrubbed_version(version: u32) -> Payload {
        Payload::ClaimScrubbed(rcm_proto::events::ClaimScrubbed {
            claim: Some(rcm_proto::common::Claim { version, ..Default::default() }),
            warnings: vec![],
        })
    }

    fn submitted_version(total: i64, version: u32, frequency: &str) -> Payload {
        Payload::ClaimSubmitted(ClaimSubmitted {
            total_charge_cents: total,
            version,
            frequency_code: frequency.into(),
            ..Default::default()
        })
    }

    /// Applies events in order from nothing; returns each (event state, version, moved) and the record.
    fn run(events: &[Payload]) -> (Vec<(&'static str, u32, bool)>, ClaimRecord) {
        let mut record: Option<ClaimRecord> = None;
        let mut steps = Vec::new();
        for e in events {
            let a = apply(record.as_ref(), e);
            steps.push((a.event_state.name(), a.event_version, a.moved()));
            record = Some(a.record);
        }
        (steps, record.expect("at least one event"))
    }

    #[test]
    fn a_correction_starts_a_new_version_whose_states_rank_above_the_first() {
        // Given a claim denied and queued as version 1
        let denied = Payload::ClaimDenied(ClaimDenied { remittance: Some(paid(0, 0, &[12000])) });
        let mut life = vec![
            Payload::EncounterReceived(Default::default()),
            coded_version(12000, 1, "1"),
            scrubbed_version(1),
            submitted_version(12000, 1, "1"),
            Payload::ClaimAccepted(Default::default()),
            denied,
            Payload::DenialQueued(Default::default()),
        ];
        // When a replacement is requested, waits for a coder, is coded, sent, accepted and paid
        life.extend([
            correction(2, "7"),
            Payload::CodingReviewRequired(Default::default()),
            coded_version(13000, 2, "7"),
            scrubbed_version(2),
            submitted_version(13000, 2, "7"),
            Payload::ClaimAccepted(Default::default()),
            Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(9000, 1000, &[3000])) }),
        ]);
        let (steps, record) = run(&life);
        // Then every event moves the claim: version 2 restarts at corrected, below which version 1's
        // in_denial_queue would have ranked
        let names: Vec<(&str, u32)> = steps.iter().map(|(s, v, _)| (*s, *v)).collect();
        assert_eq!(
            names,
            vec![
                ("created", 1),
                ("coded", 1),
                ("scrubbed", 1),
                ("batched", 1),
                ("accepted", 1),
                ("denied", 1),
                ("in_denial_queue", 1),
                ("corrected", 2),
                ("needs_coding", 2),
                ("coded", 2),
                ("scrubbed", 2),
                ("batched", 2),
                ("accepted", 2),
                ("paid", 2),
            ]
        );
        assert!(steps.iter().all(|(_, _, moved)| *moved), "{steps:?}");
        assert!(ClaimState::Corrected < ClaimState::InDenialQueue, "only the version lifts it");
        // And the record is version 2, a replacement, paid, once denied, with version 2's money
        assert_eq!((record.state, record.version, record.frequency_code.as_str()), (ClaimState::Paid, 2, "7"));
        assert!(record.denied);
        assert_eq!(
            record.money,
            Money { billed_cents: 13000, paid_cents: 9000, adjusted_cents: 3000, patient_responsibility_cents: 1000 }
        );
    }

    #[test]
    fn the_payer_accepting_a_void_voids_the_claim() {
        // Given a denied claim for which a void was requested, coded and submitted
        let (steps, record) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded_version(5000, 1, "1"),
            scrubbed_version(1),
            submitted_version(5000, 1, "1"),
            Payload::ClaimDenied(ClaimDenied { remittance: Some(paid(0, 0, &[5000])) }),
            correction(2, "8"),
            coded_version(5000, 2, "8"),
            scrubbed_version(2),
            submitted_version(5000, 2, "8"),
        ]);
        assert!(steps.iter().all(|(_, _, moved)| *moved), "{steps:?}");
        assert_eq!((record.state, record.version, record.frequency_code.as_str()), (ClaimState::Batched, 2, "8"));
        // When the payer's 277CA accepts it
        let a = apply(Some(&record), &Payload::ClaimAccepted(ClaimAccepted::default()));
        // Then the claim is voided, a final state
        assert_eq!((a.event_state, a.event_version, a.moved()), (ClaimState::Voided, 2, true));
        assert!(a.record.state.is_final());
        // While the payer accepting the original (frequency 1) is only accepted
        let (_, original) =
            run(&[scrubbed_version(1), submitted_version(5000, 1, "1"), Payload::ClaimAccepted(Default::default())]);
        assert_eq!(original.state, ClaimState::Accepted);
    }

    #[test]
    fn events_about_a_replaced_version_are_history_only() {
        // Given a claim whose version 2 was coded after a correction
        let (steps, record) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded_version(12000, 1, "1"),
            scrubbed_version(1),
            submitted_version(12000, 1, "1"),
            Payload::ClaimRejectedByPayer(Default::default()),
            correction(2, "7"),
            coded_version(13000, 2, "7"),
        ]);
        assert!(steps.iter().all(|(_, _, moved)| *moved), "{steps:?}");
        // When version 1's ClaimScrubbed and ClaimSubmitted arrive late
        let late = Payload::ClaimScrubbed(rcm_proto::events::ClaimScrubbed {
            claim: Some(rcm_proto::common::Claim { version: 1, ..Default::default() }),
            warnings: vec![],
        });
        let a = apply(Some(&record), &late);
        let b = apply(Some(&a.record), &submitted_version(12000, 1, "1"));
        // Then they are recorded as version 1's, and neither the state nor the money moves
        assert_eq!((a.event_state, a.event_version, a.transition), (ClaimState::Scrubbed, 1, Transition::Late));
        assert_eq!((b.event_state, b.event_version, b.transition), (ClaimState::Batched, 1, Transition::Late));
        assert_eq!(b.record, record);
        // And an event without a version (our edits' rejection) is about the current one
        let c = apply(Some(&record), &Payload::ClaimRejected(Default::default()));
        assert_eq!((c.event_version, c.moved()), (2, true));
    }

    #[test]
    fn versions_from_before_versions_existed_are_the_original() {
        // Given events whose claim carries version 0 (written before the field existed)
        let (steps, record) = run(&[coded_version(100, 0, ""), scrubbed_version(0)]);
        // Then they are version 1, frequency 1
        assert_eq!(steps, vec![("coded", 1, true), ("scrubbed", 1, true)]);
        assert_eq!((record.version, record.frequency_code.as_str()), (1, "1"));
    }

    #[test]
    fn a_correction_in_the_history_names_the_payer_claim_and_the_denial_but_not_the_note() {
        let d = detail(&correction(2, "7"));
        assert_eq!(
            d,
            "replacement (frequency 7) of payer claim PCC1; as version 2, requested by biller-1 on work item w1; \
             denial missing_information: CO-16 M51"
        );
        assert_eq!(
            detail(&coded_version(500, 2, "8")),
            "void (frequency 8) of payer claim PCC1; 0 line(s), total 500 cents"
        );
        assert_eq!(detail(&submitted_version(500, 2, "7")), "batch  file  ICN 0; 500 cents frequency 7");
        // The status of a corrected claim leads with its version
        let mut r = ClaimRecord::new(ClaimState::Paid);
        assert_eq!(status_detail(&r, "CLP02 1"), "CLP02 1");
        r.version = 2;
        r.frequency_code = "7".into();
        assert_eq!(status_detail(&r, "CLP02 1"), "version 2 (frequency 7): CLP02 1");
    }

    fn life_to_denial_queue() -> Vec<Payload> {
        vec![
            Payload::EncounterReceived(Default::default()),
            coded(100),
            Payload::ClaimScrubbed(Default::default()),
            Payload::ClaimSubmitted(Default::default()),
            Payload::ClaimSent(Default::default()),
            Payload::ClaimAccepted(Default::default()),
            Payload::ClaimDenied(Default::default()),
            Payload::DenialQueued(Default::default()),
        ]
    }

    #[test]
    fn an_appeal_won_pays_the_claim_and_a_closed_claim_takes_no_further_state() {
        // Given a denied claim in the work queue
        let mut life = life_to_denial_queue();
        // When it is appealed, the appeal is lost, appealed again and won, then closed
        life.extend([
            Payload::AppealFiled(Default::default()),
            Payload::ClaimDenied(Default::default()),
            Payload::AppealFiled(Default::default()),
            Payload::ClaimPaid(Default::default()),
            Payload::ClaimClosed(Default::default()),
        ]);
        let (steps, record) = run(&life);
        // Then every event moved it, and it ends closed
        assert!(steps.iter().all(|(_, _, moved)| *moved), "{steps:?}");
        let tail: Vec<&str> = steps[8..].iter().map(|(s, _, _)| *s).collect();
        assert_eq!(tail, ["in_appeal", "denied", "in_appeal", "paid", "closed"]);
        // And a payment after closing is refused, as is a correction
        let after = apply(Some(&record), &Payload::ClaimPaid(Default::default()));
        assert_eq!((after.transition, after.record.state), (Transition::Refused, ClaimState::Closed));
        assert_eq!(apply(Some(&record), &correction(2, "7")).transition, Transition::Refused);
    }

    #[test]
    fn moves_the_claim_cannot_make_are_refused_and_leave_it_as_it_was() {
        // Given a claim only coded
        let (_, coded_claim) = run(&[Payload::EncounterReceived(Default::default()), coded(100)]);
        // When a payment, an acceptance or a correction arrives for it
        for e in [
            Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(100, 0, &[])) }),
            Payload::ClaimAccepted(Default::default()),
            correction(2, "7"),
            Payload::AppealFiled(Default::default()),
        ] {
            let a = apply(Some(&coded_claim), &e);
            // Then each is early (the claim can get there, not from here), and nothing moves
            assert_eq!((a.transition, a.from), (Transition::Early, Some(ClaimState::Coded)), "{e:?}");
            assert_eq!(a.record, coded_claim);
        }
        // And the payer's acceptance of a claim it rejected is refused: neither can follow the other
        let (_, rejected) = run(&[
            coded(100),
            Payload::ClaimScrubbed(Default::default()),
            Payload::ClaimSubmitted(Default::default()),
            Payload::ClaimRejectedByPayer(Default::default()),
        ]);
        let a = apply(Some(&rejected), &Payload::ClaimAccepted(Default::default()));
        assert_eq!((a.transition, a.record.state), (Transition::Refused, ClaimState::RejectedByPayer));
        // And a voided claim takes no denial
        let mut life = life_to_denial_queue();
        life.extend([
            correction(2, "8"),
            coded_version(100, 2, "8"),
            scrubbed_version(2),
            submitted_version(100, 2, "8"),
        ]);
        life.push(Payload::ClaimAccepted(Default::default()));
        let (_, voided) = run(&life);
        assert_eq!(voided.state, ClaimState::Voided);
        assert_eq!(apply(Some(&voided), &Payload::ClaimDenied(Default::default())).transition, Transition::Refused);
    }

    #[test]
    fn a_work_item_delivered_before_its_denial_waits_for_it() {
        // Given a claim sent and not yet answered
        let life = life_to_denial_queue();
        let (_, sent) = run(&life[..5]);
        assert_eq!(sent.state, ClaimState::Sent);
        // When its denial's work item comes first, then the denial, then the work item again
        let early = apply(Some(&sent), &life[7]);
        let denied = apply(Some(&sent), &life[6]);
        let queued = apply(Some(&denied.record), &life[7]);
        // Then the work item is early (delivered again later), and fits after the denial
        assert_eq!((early.transition, early.record.state), (Transition::Early, ClaimState::Sent));
        assert_eq!((denied.transition, queued.transition), (Transition::Moved, Transition::Moved));
        assert_eq!(queued.record.state, ClaimState::InDenialQueue);
    }

    #[test]
    fn an_acknowledgement_before_the_claims_sent_record_leaves_sent_late() {
        // Given a batched claim whose 277CA landed before its sent record (a crash after the upload)
        let (_, record) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded(100),
            Payload::ClaimScrubbed(Default::default()),
            Payload::ClaimSubmitted(Default::default()),
            Payload::ClaimAccepted(Default::default()),
        ]);
        assert_eq!(record.state, ClaimState::Accepted);
        // When the sent record follows
        let a = apply(Some(&record), &Payload::ClaimSent(Default::default()));
        // Then it is history only: late, not refused
        assert_eq!((a.transition, a.record.state), (Transition::Late, ClaimState::Accepted));
    }

    #[test]
    fn the_payer_is_taken_from_the_first_event_that_names_it() {
        let e = Payload::ClaimSubmitted(ClaimSubmitted { payer_id: " BCBS01 ".into(), ..Default::default() });
        let (_, record) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded(1),
            Payload::ClaimScrubbed(Default::default()),
            e,
        ]);
        assert_eq!(record.payer_id, "BCBS01");
    }

    fn totals(paid: i64, adjusted: i64, pr: i64, billed: i64) -> Option<rcm_proto::events::ClaimTotals> {
        Some(rcm_proto::events::ClaimTotals {
            billed_cents: billed,
            paid_cents: paid,
            adjusted_cents: adjusted,
            patient_responsibility_cents: pr,
            balance_cents: billed - paid - adjusted,
        })
    }

    #[test]
    fn a_reversal_takes_the_payment_back_and_the_corrected_payment_moves_the_claim_on() {
        // Given a claim paid 80.00 of 130.00 (adjusted 50.00, patient 20.00)
        let (_, paid_claim) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded(13000),
            Payload::ClaimScrubbed(Default::default()),
            Payload::ClaimSubmitted(ClaimSubmitted { total_charge_cents: 13000, ..Default::default() }),
            Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(8000, 2000, &[5000])) }),
        ]);
        assert_eq!(paid_claim.state, ClaimState::Paid);
        // When the payer reverses that payment
        let reversed = apply(
            Some(&paid_claim),
            &Payload::ClaimReversed(ClaimReversed {
                remittance: Some(paid(-8000, -2000, &[-5000])),
                totals: totals(0, 0, 0, 13000),
                ..Default::default()
            }),
        );
        // Then the claim is reversed with the balance it had before the payment
        assert_eq!((reversed.transition, reversed.record.state), (Transition::Moved, ClaimState::Reversed));
        assert_eq!(
            reversed.record.money,
            Money { billed_cents: 13000, paid_cents: 0, adjusted_cents: 0, patient_responsibility_cents: 0 }
        );
        // When the corrected payment follows
        let again = apply(
            Some(&reversed.record),
            &Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(7000, 2000, &[6000])) }),
        );
        // Then it is paid anew with the corrected amounts
        assert_eq!((again.transition, again.record.state), (Transition::Moved, ClaimState::Paid));
        assert_eq!(again.record.money.paid_cents, 7000);
        assert!(!ClaimState::Reversed.is_final(), "a corrected payment usually follows a reversal");
    }

    #[test]
    fn a_reversal_comes_only_after_an_835_and_leads_only_to_one() {
        use ClaimState::*;
        let into: Vec<ClaimState> = ClaimState::ALL.into_iter().filter(|s| allowed(*s, Reversed)).collect();
        assert_eq!(into, vec![Denied, PartiallyPaid, InDenialQueue, Paid]);
        let out: Vec<ClaimState> = ClaimState::ALL.into_iter().filter(|s| allowed(Reversed, *s)).collect();
        assert_eq!(out, vec![Denied, PartiallyPaid, Paid, Closed]);
        // Given a claim only sent, a reversal is early (it needs a payment first); a closed claim refuses it
        let (_, sent) = run(&[
            Payload::EncounterReceived(Default::default()),
            coded(100),
            Payload::ClaimScrubbed(Default::default()),
            Payload::ClaimSubmitted(Default::default()),
            Payload::ClaimSent(Default::default()),
        ]);
        let r = Payload::ClaimReversed(Default::default());
        assert_eq!(apply(Some(&sent), &r).transition, Transition::Early);
        let closed = ClaimRecord::new(Closed);
        assert_eq!(apply(Some(&closed), &r).transition, Transition::Refused);
        assert_eq!(ClaimState::from_name("reversed"), Some(Reversed));
    }

    #[test]
    fn split_payments_add_up_in_the_remittance_of_the_whole() {
        // Given a claim paid in two 835s: 50.00, then 30.00 more (the event says the whole: 80.00)
        let first = apply(None, &Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(5000, 0, &[1000])) }));
        let second =
            apply(Some(&first.record), &Payload::ClaimPaid(ClaimPaid { remittance: Some(paid(8000, 0, &[1000, 0])) }));
        // Then the second is a repeat of paid that brings the claim's money to the whole
        assert_eq!(second.transition, Transition::Repeated);
        assert_eq!((second.record.money.paid_cents, second.record.money.adjusted_cents), (8000, 1000));
    }

    #[test]
    fn a_secondary_claim_is_born_ready_to_bill() {
        let e = Payload::SecondaryClaimRequested(rcm_proto::events::SecondaryClaimRequested {
            primary_claim_id: "c1".into(),
            payer_id: "SEC01".into(),
            ..Default::default()
        });
        let a = apply(None, &e);
        assert_eq!((a.record.state, a.record.payer_id.as_str()), (ClaimState::Scrubbed, "SEC01"));
        let b = apply(Some(&a.record), &Payload::ClaimSubmitted(Default::default()));
        assert_eq!((b.transition, b.record.state), (Transition::Moved, ClaimState::Batched));
        assert!(detail(&e).contains("secondary claim of c1 to payer SEC01"));
    }
}
