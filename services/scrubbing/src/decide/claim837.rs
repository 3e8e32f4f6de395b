//! The `837p` pack: what the 837P 5010 guide (005010X222A1) requires of a claim, as far as
//! scrubbing can see it: required fields and their forms, NPIs and their check digits, the
//! billing provider's ZIP+4, dates that exist and come in order, the place of service, the
//! frequency code and the payer's claim control number on replacements and voids.

use super::{Context, Settings, View, parse_date};
use crate::rules::{self as r, Findings};
use rcm_codesets::npi::{NpiProblem, npi_problem};
use rcm_codesets::pos;
use rcm_proto::common::Provider;
use rust_decimal::Decimal;

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn check(v: &View, settings: &Settings, cx: &Context, f: &mut Findings) {
    let claim = v.claim;
    if blank(&claim.patient_control_number) {
        f.add(&r::REQ_PCN, "patient_control_number", None, "the patient control number is missing".into());
    }
    patient(v, f);
    coverage(v, f);
    billing_provider(v, f);
    for (field, p) in [
        ("billing_provider", claim.billing_provider.as_ref()),
        ("rendering_provider", claim.rendering_provider.as_ref()),
        ("referring_provider", claim.referring_provider.as_ref()),
    ] {
        if let Some(p) = p.filter(|p| !blank(&p.npi)) {
            npi(field, &p.npi, f);
        }
    }
    if v.diagnoses.is_empty() {
        f.add(&r::REQ_DIAGNOSIS, "diagnosis_codes", None, "the claim has no diagnosis code".into());
    }
    place_and_frequency(v, f);
    lines(v, f);
    dates(v, settings, cx, f);
}

fn patient(v: &View, f: &mut Findings) {
    let Some(p) = v.claim.patient.as_ref() else {
        f.add(&r::REQ_PATIENT_NAME, "patient.name.last", None, "the patient's last name is missing".into());
        f.add(&r::REQ_PATIENT_NAME, "patient.name.first", None, "the patient's first name is missing".into());
        f.add(&r::REQ_PATIENT_BIRTH_DATE, "patient.birth_date", None, "the patient's birth date is missing".into());
        f.add(&r::REQ_PATIENT_GENDER, "patient.gender", None, "the patient's gender must be F, M or U".into());
        f.add(
            &r::REQ_PATIENT_ADDRESS,
            "patient.address",
            None,
            "the patient's address needs a first line and a city".into(),
        );
        return;
    };
    let (last, first) = p.name.as_ref().map(|n| (n.last.as_str(), n.first.as_str())).unwrap_or_default();
    if blank(last) {
        f.add(&r::REQ_PATIENT_NAME, "patient.name.last", None, "the patient's last name is missing".into());
    }
    if blank(first) {
        f.add(&r::REQ_PATIENT_NAME, "patient.name.first", None, "the patient's first name is missing".into());
    }
    if blank(&p.birth_date) {
        f.add(&r::REQ_PATIENT_BIRTH_DATE, "patient.birth_date", None, "the patient's birth date is missing".into());
    } else if v.birth.is_none() {
        f.add(&r::REQ_PATIENT_BIRTH_DATE, "patient.birth_date", None, "the patient's birth date is not a date".into());
    }
    if !matches!(p.gender.as_str(), "F" | "M" | "U") {
        f.add(&r::REQ_PATIENT_GENDER, "patient.gender", None, "the patient's gender must be F, M or U".into());
    }
    // The 837P carries the patient's address in every case (2010BA or 2010CA).
    let address_ok = p.address.as_ref().is_some_and(|a| !blank(&a.line1) && !blank(&a.city));
    if !address_ok {
        f.add(
            &r::REQ_PATIENT_ADDRESS,
            "patient.address",
            None,
            "the patient's address needs a first line and a city".into(),
        );
    }
}

fn coverage(v: &View, f: &mut Findings) {
    let c = v.claim.coverage.as_ref();
    if v.payer_id.is_empty() {
        f.add(&r::REQ_PAYER_ID, "coverage.payer_id", None, "the payer id is missing".into());
    }
    if c.is_none_or(|c| blank(&c.member_id)) {
        f.add(&r::REQ_MEMBER_ID, "coverage.member_id", None, "the member id is missing".into());
    }
    // When the patient is not the subscriber, the 837P names the subscriber too (2010BA).
    if let Some(c) = c {
        let self_insured = matches!(c.relationship.trim(), "" | "18");
        if !self_insured && c.subscriber_name.as_ref().is_none_or(|n| blank(&n.last)) {
            f.add(
                &r::REQ_SUBSCRIBER_NAME,
                "coverage.subscriber_name",
                None,
                "the patient is not the subscriber, and the subscriber's name is missing".into(),
            );
        }
    }
}

fn billing_provider(v: &View, f: &mut Findings) {
    let none;
    let b = match v.claim.billing_provider.as_ref() {
        Some(b) => b,
        None => {
            none = Provider::default();
            &none
        }
    };
    if blank(&b.npi) {
        f.add(&r::REQ_BILLING_NPI, "billing_provider.npi", None, "the billing provider's NPI is missing".into());
    }
    let person = b.person.as_ref().is_some_and(|n| !blank(&n.last));
    if blank(&b.organization_name) && !person {
        f.add(
            &r::REQ_BILLING_NAME,
            "billing_provider.organization_name",
            None,
            "the billing provider has neither an organization name nor a person's last name".into(),
        );
    }
    if blank(&b.tax_id) {
        f.add(
            &r::REQ_BILLING_TAX_ID,
            "billing_provider.tax_id",
            None,
            "the billing provider's tax id is missing".into(),
        );
    } else if !digits(&b.tax_id, 9) {
        f.add(
            &r::REQ_BILLING_TAX_ID,
            "billing_provider.tax_id",
            None,
            "the billing provider's tax id is not 9 digits".into(),
        );
    }
    let (line1, city, state, zip) = b
        .address
        .as_ref()
        .map(|a| (a.line1.as_str(), a.city.as_str(), a.state.as_str(), a.postal_code.as_str()))
        .unwrap_or_default();
    let rule = &r::REQ_BILLING_ADDRESS;
    if blank(line1) {
        f.add(rule, "billing_provider.address.line1", None, "the billing address has no first line".into());
    }
    if blank(city) {
        f.add(rule, "billing_provider.address.city", None, "the billing address has no city".into());
    }
    if !(state.len() == 2 && state.bytes().all(|c| c.is_ascii_uppercase())) {
        f.add(rule, "billing_provider.address.state", None, "the billing address state is not a 2-letter code".into());
    }
    if digits(zip, 5) {
        f.add(
            &r::BILLING_ZIP4,
            "billing_provider.address.postal_code",
            None,
            "the billing ZIP code has 5 digits; the 837P wants all 9 (ZIP+4) for the billing provider".into(),
        );
    } else if !digits(zip, 9) {
        f.add(rule, "billing_provider.address.postal_code", None, "the billing ZIP code is not 5 or 9 digits".into());
    }
}

fn npi(provider: &str, npi: &str, f: &mut Findings) {
    match npi_problem(npi) {
        Some(NpiProblem::Form) => {
            f.add(&r::NPI_FORM, format!("{provider}.npi"), None, format!("the {provider} NPI is not 10 digits"))
        }
        Some(NpiProblem::CheckDigit) => f.add(
            &r::NPI_CHECK_DIGIT,
            format!("{provider}.npi"),
            None,
            format!("the {provider} NPI fails its check digit"),
        ),
        None => {}
    }
}

fn place_and_frequency(v: &View, f: &mut Findings) {
    let claim = v.claim;
    let place = claim.place_of_service.trim();
    if place.is_empty() {
        f.add(&r::REQ_POS, "place_of_service", None, "the claim has no place of service".into());
    } else if pos::place_of_service(place).is_none() {
        f.add(
            &r::POS_UNKNOWN,
            "place_of_service",
            None,
            format!("place of service {place} is not an assigned CMS place-of-service code"),
        );
    }
    for (i, l) in v.lines.iter().enumerate() {
        let place = l.line.place_of_service.trim();
        if !place.is_empty() && pos::place_of_service(place).is_none() {
            f.add(
                &r::POS_UNKNOWN,
                format!("lines[{i}].place_of_service"),
                Some(i),
                format!("line {}: place of service {place} is not an assigned CMS place-of-service code", i + 1),
            );
        }
    }
    // Empty reads as 1, as the 837P writer sends it.
    let frequency = claim.frequency_code.trim();
    if !matches!(frequency, "" | "1" | "7" | "8") {
        f.add(
            &r::FREQUENCY,
            "frequency_code",
            None,
            format!(
                "claim frequency code {frequency} is not one a professional claim uses: 1 original, 7 replacement, 8 void"
            ),
        );
    }
    if matches!(frequency, "7" | "8") && blank(&claim.payer_claim_control_number) {
        let what = if frequency == "7" { "a replacement" } else { "a void" };
        f.add(
            &r::REQ_PAYER_CCN,
            "payer_claim_control_number",
            None,
            format!("{what} (frequency {frequency}) needs the payer's claim control number of the original claim"),
        );
    }
}

fn lines(v: &View, f: &mut Findings) {
    if v.lines.is_empty() {
        f.add(&r::REQ_LINE, "lines", None, "the claim has no service line".into());
        return;
    }
    for (i, l) in v.lines.iter().enumerate() {
        if l.code.is_empty() {
            f.add(
                &r::REQ_PROCEDURE_CODE,
                format!("lines[{i}].procedure_code"),
                Some(i),
                format!("line {} has no procedure code", i + 1),
            );
        }
        if l.line.charge_cents <= 0 {
            f.add(
                &r::LINE_CHARGE,
                format!("lines[{i}].charge_cents"),
                Some(i),
                format!("line {} has no charge above zero", i + 1),
            );
        }
        if l.units.is_none_or(|u| u <= Decimal::ZERO) {
            f.add(
                &r::REQ_UNITS,
                format!("lines[{i}].units"),
                Some(i),
                format!("line {} has no units above zero", i + 1),
            );
        }
    }
    let sum: i64 = v.claim.lines.iter().map(|l| l.charge_cents).sum();
    if sum != v.claim.total_charge_cents {
        f.add(
            &r::TOTAL_MISMATCH,
            "total_charge_cents",
            None,
            format!("the total charge is {} cents; the lines add up to {sum}", v.claim.total_charge_cents),
        );
    }
}

fn dates(v: &View, settings: &Settings, cx: &Context, f: &mut Findings) {
    let latest_allowed = cx.today + chrono::Days::new(u64::from(settings.future_days_allowed));
    let mut earliest: Option<(String, chrono::NaiveDate, usize)> = None;
    for (i, l) in v.lines.iter().enumerate() {
        let own = !blank(&l.line.service_date);
        let field = if own { format!("lines[{i}].service_date") } else { "service_date".to_string() };
        let Some(d) = l.date else {
            f.add(
                &r::REQ_SERVICE_DATE,
                field,
                Some(i),
                format!("line {} has no service date, or not a real one", i + 1),
            );
            continue;
        };
        if d > latest_allowed {
            f.add(&r::SERVICE_DATE_FUTURE, field.clone(), Some(i), "the service date is after today".into());
        }
        let end = l.line.service_date_end.trim();
        if !end.is_empty() {
            match parse_date(end) {
                Some(e) if e >= d => {}
                Some(_) => f.add(
                    &r::DATES_ORDER,
                    format!("lines[{i}].service_date_end"),
                    Some(i),
                    format!("line {}: the service ends before it starts", i + 1),
                ),
                None => f.add(
                    &r::DATES_ORDER,
                    format!("lines[{i}].service_date_end"),
                    Some(i),
                    format!("line {}: the end of the service is not a real date", i + 1),
                ),
            }
        }
        if earliest.as_ref().is_none_or(|(_, e, _)| d < *e) {
            earliest = Some((field, d, i));
        }
    }
    if let (Some(birth), Some((field, first, i))) = (v.birth, earliest)
        && birth > first
    {
        f.add(&r::BIRTH_AFTER_SERVICE, field, Some(i), "the patient's birth date is after the service date".into());
    }
}

#[cfg(test)]
mod tests {
    use crate::decide::testing::*;
    use rcm_proto::common::{Claim, PersonName, Provider, ServiceLine};

    fn fields(s: &crate::decide::Scrub, rule: &str) -> Vec<String> {
        of(s, rule).into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn an_empty_claim_names_every_required_field() {
        // Given a claim with nothing in it
        // When it is scrubbed
        let s = run(&Claim::default());
        // Then every required field of the 837P is an error naming it
        let required: Vec<(&str, &str)> =
            s.findings.iter().filter(|f| f.pack == "837p").map(|f| (f.rule_id.as_ref(), f.field.as_str())).collect();
        assert_eq!(
            required,
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
                ("SCRUB-REQ-POS", "place_of_service"),
                ("SCRUB-REQ-LINE", "lines"),
            ]
        );
    }

    /// Each required field, blanked in an otherwise clean claim, trips its rule; the clean claim
    /// does not.
    #[test]
    fn each_required_field_trips_its_rule_alone() {
        type Blank = fn(&mut Claim);
        let cases: [(&str, Blank); 13] = [
            ("SCRUB-REQ-PCN", |c| c.patient_control_number.clear()),
            ("SCRUB-REQ-PATIENT-NAME", |c| c.patient.as_mut().unwrap().name.as_mut().unwrap().first.clear()),
            ("SCRUB-REQ-PATIENT-BIRTH-DATE", |c| c.patient.as_mut().unwrap().birth_date = "29/02/1980".into()),
            ("SCRUB-REQ-PATIENT-GENDER", |c| c.patient.as_mut().unwrap().gender = "X".into()),
            ("SCRUB-REQ-PATIENT-ADDRESS", |c| c.patient.as_mut().unwrap().address = None),
            ("SCRUB-REQ-PAYER-ID", |c| c.coverage.as_mut().unwrap().payer_id = " ".into()),
            ("SCRUB-REQ-MEMBER-ID", |c| c.coverage.as_mut().unwrap().member_id.clear()),
            ("SCRUB-REQ-BILLING-NPI", |c| c.billing_provider.as_mut().unwrap().npi.clear()),
            ("SCRUB-REQ-BILLING-NAME", |c| c.billing_provider.as_mut().unwrap().organization_name.clear()),
            ("SCRUB-REQ-BILLING-TAX-ID", |c| c.billing_provider.as_mut().unwrap().tax_id = "12-3456789".into()),
            ("SCRUB-REQ-BILLING-ADDRESS", |c| {
                c.billing_provider.as_mut().unwrap().address.as_mut().unwrap().state = "Ill".into()
            }),
            ("SCRUB-REQ-DIAGNOSIS", |c| c.diagnosis_codes = vec![" ".into()]),
            ("SCRUB-REQ-POS", |c| c.place_of_service.clear()),
        ];
        let good = run(&clean());
        for (rule, blank) in cases {
            let mut c = clean();
            blank(&mut c);
            let s = run(&c);
            trips(rule, &s, &good);
            assert!(!s.passes(), "{rule}");
        }
    }

    #[test]
    fn a_dependent_needs_the_subscriber_named() {
        // Given a child (relationship 19) whose subscriber is not named, and one whose is
        let mut bad = clean();
        bad.coverage.as_mut().unwrap().relationship = "19".into();
        let mut good = bad.clone();
        good.coverage.as_mut().unwrap().subscriber_name =
            Some(PersonName { last: "Doe".into(), first: "Sam".into(), ..Default::default() });
        // Then only the first trips the rule
        trips("SCRUB-REQ-SUBSCRIBER-NAME", &run(&bad), &run(&good));
    }

    #[test]
    fn a_billing_organization_or_person_names_the_provider() {
        // Given a billing provider with a person's name and no organization name
        let mut c = clean();
        let b = c.billing_provider.as_mut().unwrap();
        b.organization_name.clear();
        b.person = Some(PersonName { last: "Smith".into(), ..Default::default() });
        // Then it is named
        assert!(of(&run(&c), "SCRUB-REQ-BILLING-NAME").is_empty());
    }

    #[test]
    fn the_billing_zip_code_has_nine_digits() {
        // Given a billing ZIP of 5 digits, and the same with its +4
        let mut bad = clean();
        bad.billing_provider.as_mut().unwrap().address.as_mut().unwrap().postal_code = "62701".into();
        // Then the 5-digit one is an error (2010AA N403 wants 9)
        let s = run(&bad);
        let f = trips("SCRUB-BILLING-ZIP4", &s, &run(&clean()));
        assert_eq!(f[0].field, "billing_provider.address.postal_code");
        assert!(!s.passes());
        // And a ZIP of 4 digits is not a ZIP code at all
        bad.billing_provider.as_mut().unwrap().address.as_mut().unwrap().postal_code = "6270".into();
        assert_eq!(fields(&run(&bad), "SCRUB-REQ-BILLING-ADDRESS"), ["billing_provider.address.postal_code"]);
    }

    #[test]
    fn npis_have_ten_digits_and_their_check_digit() {
        // Given a billing NPI with a wrong check digit, a referring NPI too short, and a valid
        // rendering NPI
        let mut bad = clean();
        bad.billing_provider.as_mut().unwrap().npi = "1234567890".into();
        bad.rendering_provider = Some(Provider { npi: "1245319599".into(), ..Default::default() });
        bad.referring_provider = Some(Provider { npi: "12345".into(), ..Default::default() });
        let mut good = clean();
        good.rendering_provider = bad.rendering_provider.clone();
        // Then each bad NPI is an error naming its provider
        let s = run(&bad);
        let check = trips("SCRUB-NPI-CHECK-DIGIT", &s, &run(&good));
        assert_eq!(check[0].field, "billing_provider.npi");
        assert_eq!(check[0].message, "the billing_provider NPI fails its check digit");
        assert_eq!(fields(&s, "SCRUB-NPI-FORM"), ["referring_provider.npi"]);
        assert!(of(&run(&good), "SCRUB-NPI-FORM").is_empty());
    }

    #[test]
    fn lines_need_a_code_a_charge_and_units_and_the_total_adds_up() {
        // Given a second line without code, charge or units, and a total that does not add up
        let mut bad = clean();
        bad.lines[1] = ServiceLine { units: "0".into(), diagnosis_pointers: vec![1], ..Default::default() };
        bad.total_charge_cents = 1;
        let good = run(&clean());
        // Then each is an error naming its field
        let s = run(&bad);
        assert_eq!(trips("SCRUB-REQ-PROCEDURE-CODE", &s, &good)[0].field, "lines[1].procedure_code");
        assert_eq!(trips("SCRUB-LINE-CHARGE", &s, &good)[0].line, Some(2));
        assert_eq!(trips("SCRUB-REQ-UNITS", &s, &good)[0].field, "lines[1].units");
        let total = trips("SCRUB-TOTAL-MISMATCH", &s, &good);
        assert_eq!(total[0].message, "the total charge is 1 cents; the lines add up to 22719");
        // And no line at all is an error of its own
        let mut none = clean();
        none.lines.clear();
        none.total_charge_cents = 0;
        trips("SCRUB-REQ-LINE", &run(&none), &good);
    }

    #[test]
    fn service_dates_exist_and_come_in_order() {
        let good = run(&clean());
        // Given a line dated after today (2026-03-10)
        let mut future = clean();
        future.lines[1].service_date = "2026-03-11".into();
        assert_eq!(trips("SCRUB-SERVICE-DATE-FUTURE", &run(&future), &good)[0].field, "lines[1].service_date");
        // And a day of grace lets it through
        let fx = Fixture {
            settings: crate::decide::Settings { future_days_allowed: 1, ..Default::default() },
            ..Fixture::default()
        };
        assert!(of(&run_with(&future, &fx), "SCRUB-SERVICE-DATE-FUTURE").is_empty());
        // Given a patient born after the first service date
        let mut born = clean();
        born.patient.as_mut().unwrap().birth_date = "2026-03-05".into();
        assert_eq!(trips("SCRUB-BIRTH-AFTER-SERVICE", &run(&born), &good)[0].field, "lines[0].service_date");
        // And one born on it is fine
        born.patient.as_mut().unwrap().birth_date = "2026-03-02".into();
        assert!(of(&run(&born), "SCRUB-BIRTH-AFTER-SERVICE").is_empty());
        // Given a line without a date of its own or the claim's, and one on February 30th
        let mut missing = clean();
        missing.service_date.clear();
        missing.lines[0].service_date.clear();
        missing.lines[1].service_date = "2026-02-30".into();
        assert_eq!(fields(&run(&missing), "SCRUB-REQ-SERVICE-DATE"), ["service_date", "lines[1].service_date"]);
        assert!(of(&good, "SCRUB-REQ-SERVICE-DATE").is_empty());
        // Given a service range that ends before it starts
        let mut range = clean();
        range.lines[1].service_date_end = "2026-03-01".into();
        let mut ordered = clean();
        ordered.lines[1].service_date_end = "2026-03-02".into();
        assert_eq!(trips("SCRUB-DATES-ORDER", &run(&range), &run(&ordered))[0].field, "lines[1].service_date_end");
    }

    #[test]
    fn place_of_service_is_an_assigned_cms_code() {
        // Given a claim in place 28 (unassigned) and a line in place 99 (other)
        let mut bad = clean();
        bad.place_of_service = "28".into();
        bad.lines[0].place_of_service = "1".into();
        let mut good = clean();
        good.lines[0].place_of_service = "99".into();
        // Then both unassigned codes are errors, each on its field
        let s = run(&bad);
        trips("SCRUB-POS-UNKNOWN", &s, &run(&good));
        assert_eq!(fields(&s, "SCRUB-POS-UNKNOWN"), ["place_of_service", "lines[0].place_of_service"]);
    }

    #[test]
    fn frequency_code_and_the_payer_claim_control_number() {
        let good = run(&clean());
        // Given frequency 6 (an institutional correction)
        let mut six = clean();
        six.frequency_code = "6".into();
        trips("SCRUB-FREQUENCY", &run(&six), &good);
        // Given a replacement and a void without the payer's claim control number
        for freq in ["7", "8"] {
            let mut bad = clean();
            bad.frequency_code = freq.into();
            let mut fixed = bad.clone();
            fixed.payer_claim_control_number = "PCN-2026-0001".into();
            let s = run(&bad);
            let f = trips("SCRUB-REQ-PAYER-CCN", &s, &run(&fixed));
            assert_eq!(f[0].field, "payer_claim_control_number");
            assert!(of(&s, "SCRUB-FREQUENCY").is_empty());
        }
    }
}
