//! What the edits' tests share: a clean claim and a way to scrub it with a context.

use super::{Context, Override, PriorService, Scrub, Settings, Tables, scrub};
use crate::packs::TenantPacks;
use crate::rules::RuleFinding;
use chrono::NaiveDate;
use rcm_proto::common::{Address, Claim, Coverage, Patient, PersonName, Provider, ServiceLine};
use std::sync::OnceLock;

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(Tables::shipped)
}

/// A complete, consistent claim of 2026-03-02 (FY2026): an office visit and a chest X-ray for
/// hypertension, scrubbed on 2026-03-10.
pub fn clean() -> Claim {
    let line = |code: &str, cents: i64| ServiceLine {
        line_id: String::new(),
        procedure_code: code.into(),
        units: "1".into(),
        unit: "UN".into(),
        charge_cents: cents,
        diagnosis_pointers: vec![1],
        service_date: "2026-03-02".into(),
        ..Default::default()
    };
    Claim {
        claim_id: "01890a5d-ac96-774b-bcce-b302099a8057".into(),
        patient_control_number: "01890a5dac96774bbcceb302099a8057".into(),
        patient: Some(Patient {
            patient_id: "MRN-1".into(),
            name: Some(PersonName { last: "Doe".into(), first: "Jan".into(), ..Default::default() }),
            birth_date: "1980-02-29".into(),
            gender: "F".into(),
            address: Some(Address { line1: "2 Oak St".into(), city: "Springfield".into(), ..Default::default() }),
        }),
        coverage: Some(Coverage {
            payer_id: "87726".into(),
            member_id: "M1".into(),
            relationship: "18".into(),
            claim_filing: "CI".into(),
            ..Default::default()
        }),
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
        place_of_service: "11".into(),
        service_date: "2026-03-02".into(),
        diagnosis_codes: vec!["I10".into()],
        lines: vec![line("99213", 22_719), line("71046", 8_405)],
        total_charge_cents: 22_719 + 8_405,
        frequency_code: "1".into(),
        ..Default::default()
    }
}

/// `clean()` moved to a date of service in NCCI 2024 Q3 and MCE FY2024, scrubbed a week later.
pub fn in_q3_2024(mut c: Claim) -> Claim {
    c.service_date = "2024-08-15".into();
    for l in &mut c.lines {
        l.service_date = "2024-08-15".into();
    }
    c
}

pub struct Fixture<'a> {
    pub today: NaiveDate,
    pub packs: &'a TenantPacks,
    pub prior: &'a [PriorService],
    pub overrides: &'a [Override],
    pub settings: Settings,
}

impl Default for Fixture<'_> {
    fn default() -> Self {
        static NO_PACKS: OnceLock<TenantPacks> = OnceLock::new();
        Fixture {
            today: day(2026, 3, 10),
            packs: NO_PACKS.get_or_init(TenantPacks::default),
            prior: &[],
            overrides: &[],
            settings: Settings::default(),
        }
    }
}

/// Scrubbed on 2026-03-10 with no tenant packs, nothing sent before, no overrides; for a claim
/// of 2024 Q3 (`in_q3_2024`), on 2024-08-22.
pub fn run(c: &Claim) -> Scrub {
    let today = if c.service_date.starts_with("2024-") { day(2024, 8, 22) } else { day(2026, 3, 10) };
    run_with(c, &Fixture { today, ..Fixture::default() })
}

pub fn run_with(c: &Claim, fx: &Fixture) -> Scrub {
    let cx = Context { today: fx.today, packs: fx.packs, prior: fx.prior, overrides: fx.overrides };
    scrub(c, tables(), &fx.settings, &cx)
}

pub fn ids(s: &Scrub) -> Vec<&str> {
    s.findings.iter().map(|f| f.rule_id.as_ref()).collect()
}

/// The findings of one rule.
pub fn of(s: &Scrub, rule: &str) -> Vec<RuleFinding> {
    s.findings.iter().filter(|f| f.rule_id == rule).cloned().collect()
}

/// Asserts that `rule` trips on `bad` and not on `good`, and returns the findings on `bad`.
pub fn trips(rule: &str, bad: &Scrub, good: &Scrub) -> Vec<RuleFinding> {
    assert!(of(good, rule).is_empty(), "{rule} trips on the near-identical claim: {:?}", good.findings);
    let found = of(bad, rule);
    assert!(!found.is_empty(), "{rule} does not trip: {:?}", bad.findings);
    found
}
