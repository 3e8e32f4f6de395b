//! The claim edits, without I/O. Each finding has a stable rule id, names its field, and says
//! what is wrong without repeating patient data. Errors stop the claim; warnings travel with it.
//!
//! | rule id | severity | edit |
//! |---|---|---|
//! | `SCRUB-REQ-PCN` | error | the patient control number (CLM01) is present |
//! | `SCRUB-REQ-PATIENT-NAME` | error | patient last and first name |
//! | `SCRUB-REQ-PATIENT-BIRTH-DATE` | error | patient birth date, a real date |
//! | `SCRUB-REQ-PATIENT-ADDRESS` | error | patient address line 1 and city (the 837P always carries them) |
//! | `SCRUB-REQ-SUBSCRIBER-NAME` | error | the subscriber's last name, when the patient is not the subscriber |
//! | `SCRUB-REQ-PATIENT-GENDER` | error | patient gender F, M or U |
//! | `SCRUB-REQ-PAYER-ID` | error | coverage payer id |
//! | `SCRUB-REQ-MEMBER-ID` | error | coverage member id |
//! | `SCRUB-REQ-BILLING-NPI` | error | billing provider NPI |
//! | `SCRUB-REQ-BILLING-NAME` | error | billing provider organization or person name |
//! | `SCRUB-REQ-BILLING-TAX-ID` | error | billing provider tax id, 9 digits |
//! | `SCRUB-REQ-BILLING-ADDRESS` | error | billing address line 1, city, 2-letter state, 5- or 9-digit ZIP |
//! | `SCRUB-BILLING-ZIP4` | warning | the billing ZIP has 5 digits; 837P 5010 wants ZIP+4 |
//! | `SCRUB-NPI-FORM` | error | an NPI (billing, rendering, referring) is 10 digits |
//! | `SCRUB-NPI-CHECK-DIGIT` | error | an NPI's check digit (Luhn over `80840` + first nine digits) |
//! | `SCRUB-REQ-DIAGNOSIS` | error | at least one diagnosis code |
//! | `SCRUB-REQ-LINE` | error | at least one service line |
//! | `SCRUB-REQ-PROCEDURE-CODE` | error | each line's procedure code |
//! | `SCRUB-LINE-CHARGE` | error | each line's charge is above zero |
//! | `SCRUB-REQ-UNITS` | error | each line's units, a positive number |
//! | `SCRUB-REQ-SERVICE-DATE` | error | each line's service date (or the claim's), a real date |
//! | `SCRUB-TOTAL-MISMATCH` | error | the total charge equals the sum of the lines |
//! | `SCRUB-SERVICE-DATE-FUTURE` | error | no service date after today (the platform clock) |
//! | `SCRUB-BIRTH-AFTER-SERVICE` | error | the birth date is not after a service date |
//! | `SCRUB-TIMELY-FILING` | warning | the oldest service date is within the filing limit |

use chrono::NaiveDate;
use rcm_proto::common::{Claim, Finding, Provider, Severity};
use rcm_proto::events::{ClaimRejected, ClaimScrubbed};

/// What the edits need besides the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditContext {
    /// Today, from the platform clock (UTC).
    pub today: NaiveDate,
    /// Days after today a service date may be.
    pub future_days_allowed: u32,
    /// Days before today a service date may be without a timely-filing warning (0: no warning).
    pub timely_filing_days: u32,
}

/// What scrubbing does with a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Scrubbed(Box<ClaimScrubbed>),
    Rejected(ClaimRejected),
}

/// Runs the edits: any error rejects the claim (with every finding); otherwise it passes with
/// its warnings.
pub fn decide(claim: Claim, cx: &EditContext) -> Outcome {
    let findings = edits(&claim, cx);
    if findings.iter().any(|f| f.severity == Severity::Error as i32) {
        Outcome::Rejected(ClaimRejected { patient_control_number: claim.patient_control_number.clone(), findings })
    } else {
        Outcome::Scrubbed(Box::new(ClaimScrubbed { claim: Some(claim), warnings: findings }))
    }
}

/// Every finding for a claim, in the order of the claim.
pub fn edits(claim: &Claim, cx: &EditContext) -> Vec<Finding> {
    let mut f = Findings::default();
    if blank(&claim.patient_control_number) {
        f.error("SCRUB-REQ-PCN", "patient_control_number", "the patient control number is missing");
    }
    patient(claim, &mut f);
    coverage(claim, &mut f);
    billing_provider(claim, &mut f);
    for (field, p) in [
        ("billing_provider", claim.billing_provider.as_ref()),
        ("rendering_provider", claim.rendering_provider.as_ref()),
        ("referring_provider", claim.referring_provider.as_ref()),
    ] {
        if let Some(p) = p.filter(|p| !blank(&p.npi)) {
            npi(field, &p.npi, &mut f);
        }
    }
    if claim.diagnosis_codes.iter().all(|c| blank(c)) {
        f.error("SCRUB-REQ-DIAGNOSIS", "diagnosis_codes", "the claim has no diagnosis code");
    }
    lines(claim, &mut f);
    dates(claim, cx, &mut f);
    f.0
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, severity: Severity, rule: &str, field: &str, message: &str) {
        self.0.push(Finding {
            rule_id: rule.into(),
            field: field.into(),
            message: message.into(),
            severity: severity as i32,
        });
    }

    fn error(&mut self, rule: &str, field: &str, message: &str) {
        self.push(Severity::Error, rule, field, message);
    }

    fn warning(&mut self, rule: &str, field: &str, message: &str) {
        self.push(Severity::Warning, rule, field, message);
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// A real calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn patient(claim: &Claim, f: &mut Findings) {
    let p = claim.patient.clone().unwrap_or_default();
    let name = p.name.unwrap_or_default();
    if blank(&name.last) {
        f.error("SCRUB-REQ-PATIENT-NAME", "patient.name.last", "the patient's last name is missing");
    }
    if blank(&name.first) {
        f.error("SCRUB-REQ-PATIENT-NAME", "patient.name.first", "the patient's first name is missing");
    }
    if blank(&p.birth_date) {
        f.error("SCRUB-REQ-PATIENT-BIRTH-DATE", "patient.birth_date", "the patient's birth date is missing");
    } else if parse_date(&p.birth_date).is_none() {
        f.error("SCRUB-REQ-PATIENT-BIRTH-DATE", "patient.birth_date", "the patient's birth date is not a date");
    }
    if !matches!(p.gender.as_str(), "F" | "M" | "U") {
        f.error("SCRUB-REQ-PATIENT-GENDER", "patient.gender", "the patient's gender must be F, M or U");
    }
    // The 837P carries the patient's address in every case (2010BA or 2010CA).
    let a = p.address.unwrap_or_default();
    if blank(&a.line1) || blank(&a.city) {
        f.error("SCRUB-REQ-PATIENT-ADDRESS", "patient.address", "the patient's address needs a first line and a city");
    }
}

fn coverage(claim: &Claim, f: &mut Findings) {
    let c = claim.coverage.clone().unwrap_or_default();
    if blank(&c.payer_id) {
        f.error("SCRUB-REQ-PAYER-ID", "coverage.payer_id", "the payer id is missing");
    }
    if blank(&c.member_id) {
        f.error("SCRUB-REQ-MEMBER-ID", "coverage.member_id", "the member id is missing");
    }
    // When the patient is not the subscriber, the 837P names the subscriber too (2010BA).
    let self_insured = matches!(c.relationship.trim(), "" | "18");
    if !self_insured && c.subscriber_name.as_ref().is_none_or(|n| blank(&n.last)) {
        f.error(
            "SCRUB-REQ-SUBSCRIBER-NAME",
            "coverage.subscriber_name",
            "the patient is not the subscriber, and the subscriber's name is missing",
        );
    }
}

fn billing_provider(claim: &Claim, f: &mut Findings) {
    let b: Provider = claim.billing_provider.clone().unwrap_or_default();
    if blank(&b.npi) {
        f.error("SCRUB-REQ-BILLING-NPI", "billing_provider.npi", "the billing provider's NPI is missing");
    }
    let person = b.person.as_ref().is_some_and(|n| !blank(&n.last));
    if blank(&b.organization_name) && !person {
        f.error(
            "SCRUB-REQ-BILLING-NAME",
            "billing_provider.organization_name",
            "the billing provider has neither an organization name nor a person's last name",
        );
    }
    if blank(&b.tax_id) {
        f.error("SCRUB-REQ-BILLING-TAX-ID", "billing_provider.tax_id", "the billing provider's tax id is missing");
    } else if !digits(&b.tax_id, 9) {
        f.error("SCRUB-REQ-BILLING-TAX-ID", "billing_provider.tax_id", "the billing provider's tax id is not 9 digits");
    }
    let a = b.address.unwrap_or_default();
    const RULE: &str = "SCRUB-REQ-BILLING-ADDRESS";
    if blank(&a.line1) {
        f.error(RULE, "billing_provider.address.line1", "the billing address has no first line");
    }
    if blank(&a.city) {
        f.error(RULE, "billing_provider.address.city", "the billing address has no city");
    }
    if !(a.state.len() == 2 && a.state.bytes().all(|c| c.is_ascii_uppercase())) {
        f.error(RULE, "billing_provider.address.state", "the billing address state is not a 2-letter code");
    }
    if digits(&a.postal_code, 5) {
        f.warning(
            "SCRUB-BILLING-ZIP4",
            "billing_provider.address.postal_code",
            "the billing ZIP code has 5 digits; the 837P wants all 9 (ZIP+4)",
        );
    } else if !digits(&a.postal_code, 9) {
        f.error(RULE, "billing_provider.address.postal_code", "the billing ZIP code is not 5 or 9 digits");
    }
}

pub use rcm_codesets::npi::{NpiProblem, npi_problem};

fn npi(provider: &str, npi: &str, f: &mut Findings) {
    let field = format!("{provider}.npi");
    match npi_problem(npi) {
        Some(NpiProblem::Form) => f.error("SCRUB-NPI-FORM", &field, &format!("the {provider} NPI is not 10 digits")),
        Some(NpiProblem::CheckDigit) => {
            f.error("SCRUB-NPI-CHECK-DIGIT", &field, &format!("the {provider} NPI fails its check digit"))
        }
        None => {}
    }
}

fn lines(claim: &Claim, f: &mut Findings) {
    if claim.lines.is_empty() {
        f.error("SCRUB-REQ-LINE", "lines", "the claim has no service line");
        return;
    }
    for (i, l) in claim.lines.iter().enumerate() {
        if blank(&l.procedure_code) {
            f.error(
                "SCRUB-REQ-PROCEDURE-CODE",
                &format!("lines[{i}].procedure_code"),
                &format!("line {} has no procedure code", i + 1),
            );
        }
        if l.charge_cents <= 0 {
            f.error(
                "SCRUB-LINE-CHARGE",
                &format!("lines[{i}].charge_cents"),
                &format!("line {} has no charge above zero", i + 1),
            );
        }
        let units_ok = l.units.trim().parse::<rust_decimal::Decimal>().is_ok_and(|u| u > rust_decimal::Decimal::ZERO);
        if !units_ok {
            f.error(
                "SCRUB-REQ-UNITS",
                &format!("lines[{i}].units"),
                &format!("line {} has no units above zero", i + 1),
            );
        }
    }
    let sum: i64 = claim.lines.iter().map(|l| l.charge_cents).sum();
    if sum != claim.total_charge_cents {
        f.error(
            "SCRUB-TOTAL-MISMATCH",
            "total_charge_cents",
            &format!("the total charge is {} cents; the lines add up to {sum}", claim.total_charge_cents),
        );
    }
}

fn dates(claim: &Claim, cx: &EditContext, f: &mut Findings) {
    let mut service_dates = Vec::new();
    for (i, l) in claim.lines.iter().enumerate() {
        let (field, value) = if blank(&l.service_date) {
            ("service_date".to_string(), claim.service_date.as_str())
        } else {
            (format!("lines[{i}].service_date"), l.service_date.as_str())
        };
        match parse_date(value) {
            Some(d) => service_dates.push((field, d)),
            None => f.error(
                "SCRUB-REQ-SERVICE-DATE",
                &field,
                &format!("line {} has no service date, or not a real one", i + 1),
            ),
        }
    }
    let latest_allowed = cx.today + chrono::Days::new(u64::from(cx.future_days_allowed));
    for (field, d) in &service_dates {
        if *d > latest_allowed {
            f.error("SCRUB-SERVICE-DATE-FUTURE", field, "the service date is after today");
        }
    }
    let birth = claim.patient.as_ref().and_then(|p| parse_date(&p.birth_date));
    let earliest = service_dates.iter().min_by_key(|(_, d)| *d);
    if let (Some(birth), Some((field, earliest))) = (birth, earliest)
        && birth > *earliest
    {
        f.error("SCRUB-BIRTH-AFTER-SERVICE", field, "the patient's birth date is after the service date");
    }
    let oldest_allowed = cx.today - chrono::Days::new(u64::from(cx.timely_filing_days));
    if let Some((field, oldest)) = earliest
        && cx.timely_filing_days > 0
        && *oldest < oldest_allowed
    {
        f.warning(
            "SCRUB-TIMELY-FILING",
            field,
            &format!(
                "the service date is more than {} days ago; the filing limit may have passed",
                cx.timely_filing_days
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcm_proto::common::{Address, Coverage, Patient, PersonName, ServiceLine};

    fn cx() -> EditContext {
        EditContext {
            today: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            future_days_allowed: 0,
            timely_filing_days: 365,
        }
    }

    fn clean() -> Claim {
        Claim {
            claim_id: "01890a5d-ac96-774b-bcce-b302099a8057".into(),
            patient_control_number: "01890a5dac96774bbcceb302099a8057".into(),
            patient: Some(Patient {
                name: Some(PersonName { last: "Doe".into(), first: "Jan".into(), ..Default::default() }),
                birth_date: "1980-02-29".into(),
                gender: "F".into(),
                address: Some(Address { line1: "2 Oak St".into(), city: "Springfield".into(), ..Default::default() }),
                ..Default::default()
            }),
            coverage: Some(Coverage { payer_id: "87726".into(), member_id: "M1".into(), ..Default::default() }),
            billing_provider: Some(Provider {
                npi: "1234567893".into(),
                organization_name: "Clinic".into(),
                tax_id: "123456789".into(),
                address: Some(Address {
                    line1: "1 Main St".into(),
                    city: "Springfield".into(),
                    state: "IL".into(),
                    postal_code: "627011234".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            service_date: "2026-03-02".into(),
            diagnosis_codes: vec!["I10".into()],
            lines: vec![
                ServiceLine {
                    procedure_code: "99213".into(),
                    units: "1".into(),
                    charge_cents: 22719,
                    ..Default::default()
                },
                ServiceLine {
                    procedure_code: "71046".into(),
                    units: "1".into(),
                    charge_cents: 8405,
                    service_date: "2026-03-03".into(),
                    ..Default::default()
                },
            ],
            total_charge_cents: 22719 + 8405,
            ..Default::default()
        }
    }

    fn rules(findings: &[Finding]) -> Vec<(&str, &str)> {
        findings.iter().map(|f| (f.rule_id.as_str(), f.field.as_str())).collect()
    }

    #[test]
    fn a_clean_claim_passes_every_edit() {
        // Given a complete, consistent claim
        // When it is scrubbed
        let outcome = decide(clean(), &cx());
        // Then it passes unchanged, without warnings
        assert_eq!(outcome, Outcome::Scrubbed(Box::new(ClaimScrubbed { claim: Some(clean()), warnings: vec![] })));
    }

    #[test]
    fn an_empty_claim_names_every_required_field() {
        // Given a claim with nothing in it
        // When it is edited
        let findings = edits(&Claim::default(), &cx());
        // Then every required field is an error naming it
        assert_eq!(
            rules(&findings),
            vec![
                ("SCRUB-REQ-PCN", "patient_control_number"),
                ("SCRUB-REQ-PATIENT-NAME", "patient.name.last"),
                ("SCRUB-REQ-PATIENT-NAME", "patient.name.first"),
                ("SCRUB-REQ-PATIENT-BIRTH-DATE", "patient.birth_date"),
                ("SCRUB-REQ-PATIENT-GENDER", "patient.gender"),
                ("SCRUB-REQ-PATIENT-ADDRESS", "patient.address"),
                ("SCRUB-REQ-PAYER-ID", "coverage.payer_id"),
                ("SCRUB-REQ-MEMBER-ID", "coverage.member_id"),
                ("SCRUB-REQ-BILLING-NPI", "billing_provider.npi"),
                ("SCRUB-REQ-BILLING-NAME", "billing_provider.organization_name"),
                ("SCRUB-REQ-BILLING-TAX-ID", "billing_provider.tax_id"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.line1"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.city"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.state"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.postal_code"),
                ("SCRUB-REQ-DIAGNOSIS", "diagnosis_codes"),
                ("SCRUB-REQ-LINE", "lines"),
            ]
        );
        assert!(findings.iter().all(|f| f.severity == Severity::Error as i32));
    }

    #[test]
    fn npi_check_digits() {
        // Given known valid NPIs (the CMS example 1234567893 among them)
        for ok in ["1234567893", "1245319599", "1003000126", "1679576722"] {
            assert_eq!(npi_problem(ok), None, "{ok}");
        }
        // And NPIs with a wrong check digit, or not ten digits
        for bad in ["1234567890", "1234567894", "1245319598", "1003000127"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::CheckDigit), "{bad}");
        }
        for bad in ["", "123456789", "12345678931", "123456789X", "1234-67893"] {
            assert_eq!(npi_problem(bad), Some(NpiProblem::Form), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_npi_rejects_the_claim_naming_the_provider() {
        // Given a billing NPI with a wrong check digit, a referring NPI too short, and a valid
        // rendering NPI
        let mut claim = clean();
        claim.billing_provider.as_mut().unwrap().npi = "1234567890".into();
        claim.rendering_provider = Some(Provider { npi: "1245319599".into(), ..Default::default() });
        claim.referring_provider = Some(Provider { npi: "12345".into(), ..Default::default() });
        // When it is scrubbed
        let Outcome::Rejected(r) = decide(claim, &cx()) else { panic!("not rejected") };
        // Then it is rejected with its patient control number and a finding per bad NPI
        assert_eq!(r.patient_control_number, "01890a5dac96774bbcceb302099a8057");
        assert_eq!(
            rules(&r.findings),
            vec![("SCRUB-NPI-CHECK-DIGIT", "billing_provider.npi"), ("SCRUB-NPI-FORM", "referring_provider.npi")]
        );
        assert_eq!(r.findings[0].message, "the billing_provider NPI fails its check digit");
    }

    #[test]
    fn lines_and_totals_are_checked() {
        // Given a line without code, charge or units, and a total that does not add up
        let mut claim = clean();
        claim.lines[1] = ServiceLine { units: "0".into(), ..Default::default() };
        claim.total_charge_cents = 1;
        // When it is edited
        let findings = edits(&claim, &cx());
        // Then each is an error naming its field
        assert_eq!(
            rules(&findings),
            vec![
                ("SCRUB-REQ-PROCEDURE-CODE", "lines[1].procedure_code"),
                ("SCRUB-LINE-CHARGE", "lines[1].charge_cents"),
                ("SCRUB-REQ-UNITS", "lines[1].units"),
                ("SCRUB-TOTAL-MISMATCH", "total_charge_cents"),
            ]
        );
        assert_eq!(findings[3].message, "the total charge is 1 cents; the lines add up to 22719");
    }

    #[test]
    fn service_dates_are_checked_against_the_clock_and_the_birth_date() {
        // Given a line dated after today, and a patient born after the other line's service date
        let mut claim = clean();
        claim.lines[1].service_date = "2026-03-11".into();
        claim.patient.as_mut().unwrap().birth_date = "2026-03-05".into();
        // When it is edited on 2026-03-10
        let findings = edits(&claim, &cx());
        // Then both are errors
        assert_eq!(
            rules(&findings),
            vec![("SCRUB-SERVICE-DATE-FUTURE", "lines[1].service_date"), ("SCRUB-BIRTH-AFTER-SERVICE", "service_date")]
        );
        // And a day of grace lets the later date through; a birth on the service date is fine
        let mut claim = clean();
        claim.lines[1].service_date = "2026-03-11".into();
        claim.patient.as_mut().unwrap().birth_date = "2026-03-02".into();
        assert_eq!(edits(&claim, &EditContext { future_days_allowed: 1, ..cx() }), vec![]);
        // And a missing or unreal service date is an error
        let mut claim = clean();
        claim.service_date.clear();
        claim.lines[1].service_date = "2026-02-30".into();
        assert_eq!(
            rules(&edits(&claim, &cx())),
            vec![("SCRUB-REQ-SERVICE-DATE", "service_date"), ("SCRUB-REQ-SERVICE-DATE", "lines[1].service_date")]
        );
    }

    #[test]
    fn warnings_alone_let_the_claim_through() {
        // Given an old service date and a 5-digit billing ZIP
        let mut claim = clean();
        claim.service_date = "2024-12-01".into();
        claim.lines[1].service_date.clear();
        claim.billing_provider.as_mut().unwrap().address.as_mut().unwrap().postal_code = "62701".into();
        // When it is scrubbed
        let Outcome::Scrubbed(s) = decide(claim.clone(), &cx()) else { panic!("not scrubbed") };
        // Then it passes with both warnings
        assert_eq!(
            rules(&s.warnings),
            vec![
                ("SCRUB-BILLING-ZIP4", "billing_provider.address.postal_code"),
                ("SCRUB-TIMELY-FILING", "service_date")
            ]
        );
        assert!(s.warnings.iter().all(|f| f.severity == Severity::Warning as i32));
        assert_eq!(s.claim, Some(claim.clone()));
        // And with the timely-filing warning turned off only the ZIP warning is left
        assert_eq!(edits(&claim, &EditContext { timely_filing_days: 0, ..cx() }).len(), 1);
    }

    #[test]
    fn other_malformed_required_fields_are_errors() {
        let mut claim = clean();
        claim.patient.as_mut().unwrap().gender = "X".into();
        claim.patient.as_mut().unwrap().birth_date = "29/02/1980".into();
        let b = claim.billing_provider.as_mut().unwrap();
        b.tax_id = "12-3456789".into();
        b.organization_name.clear();
        b.person = Some(PersonName { last: "Smith".into(), ..Default::default() });
        b.address.as_mut().unwrap().state = "Ill".into();
        b.address.as_mut().unwrap().postal_code = "6270".into();
        assert_eq!(
            rules(&edits(&claim, &cx())),
            vec![
                ("SCRUB-REQ-PATIENT-BIRTH-DATE", "patient.birth_date"),
                ("SCRUB-REQ-PATIENT-GENDER", "patient.gender"),
                ("SCRUB-REQ-BILLING-TAX-ID", "billing_provider.tax_id"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.state"),
                ("SCRUB-REQ-BILLING-ADDRESS", "billing_provider.address.postal_code"),
            ]
        );
    }

    #[test]
    fn a_claim_the_837p_cannot_carry_is_rejected_here() {
        // Given a clean claim whose patient has no address, for a dependent with no subscriber name
        let mut c = clean();
        c.patient.as_mut().unwrap().address = None;
        let cov = c.coverage.as_mut().unwrap();
        cov.relationship = "19".into();
        cov.subscriber_name = None;
        // When it is scrubbed
        let rules: Vec<String> = edits(&c, &cx()).into_iter().map(|f| f.rule_id).collect();
        // Then both gaps are errors, so the claim never waits unsubmittable in submission
        assert!(rules.contains(&"SCRUB-REQ-PATIENT-ADDRESS".to_string()), "{rules:?}");
        assert!(rules.contains(&"SCRUB-REQ-SUBSCRIBER-NAME".to_string()), "{rules:?}");
    }
}
