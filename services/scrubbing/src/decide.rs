//! The edits, without I/O: a claim and its context (today, the tenant's packs, the services the
//! tenant already sent for the patient, the biller's overrides) in, findings out.
//!
//! The built-in packs, in the order their findings come:
//!
//! | pack | what | module |
//! |---|---|---|
//! | `837p` | 837P 5010 requirements: required fields and formats, NPIs, ZIP+4, dates, place of service, frequency | [`claim837`] |
//! | `codes` | code sets at the date of service: ICD-10-CM version in force, HCPCS dates, modifiers, pointers | [`codes`] |
//! | `clinical` | MCE v41.1 age and sex conflicts, manifestation codes first | [`clinical`] |
//! | `ncci` | NCCI 2024 Q3 PTP pairs, MUEs per line and per day, add-on codes | [`ncci`] |
//! | `history` | duplicates of services already sent, timely filing per payer | [`history`] |
//!
//! then the tenant's and the payer's declarative packs ([`crate::packs`]). Every rule with its
//! source is in [`crate::rules`].
//!
//! "No data" is not "pass": where a table a rule needs does not cover the date of service (an
//! NCCI quarter, an MCE version, an ICD-10-CM year, the HCPCS file), the nearest one judges and a
//! `*-NO-DATA` warning says so.

mod claim837;
mod clinical;
mod codes;
mod history;
mod ncci;

use crate::packs::TenantPacks;
use crate::rules::{PackInfo, RuleFinding};
use chrono::{Datelike, NaiveDate};
use rcm_codesets::hcpcs::Hcpcs;
use rcm_codesets::icd10cm::Icd10Cm;
use rcm_codesets::mce::Mce;
use rcm_codesets::ncci::Ncci;
use rcm_proto::common::{Claim, ServiceLine};
use rcm_proto::events::{ClaimRejected, ClaimScrubbed};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The tables the built-in packs read, and the packs' descriptions.
#[derive(Clone, Copy)]
pub struct Tables {
    pub icd: &'static Icd10Cm,
    pub hcpcs: &'static Hcpcs,
    pub ncci: &'static Ncci,
    pub mce: &'static Mce,
    packs: &'static [PackInfo],
    labels: &'static [String],
}

impl Tables {
    /// The tables shipped in `rcm-codesets`, loaded once (the NCCI PTP table, the largest, takes
    /// about 0.4 s in a release build).
    pub fn shipped() -> Tables {
        static PACKS: OnceLock<(Vec<PackInfo>, Vec<String>)> = OnceLock::new();
        let (icd, (ncci, (hcpcs, mce))) = std::thread::scope(|s| {
            let ncci = s.spawn(Ncci::shipped);
            let icd = Icd10Cm::shipped();
            (icd, (ncci.join().expect("the NCCI loader does not panic"), (Hcpcs::shipped(), Mce::shipped())))
        });
        let (packs, labels) = PACKS.get_or_init(|| {
            let packs = Self::describe(icd, ncci, mce);
            let labels = packs.iter().map(PackInfo::label).collect();
            (packs, labels)
        });
        Tables { icd, hcpcs, ncci, mce, packs, labels }
    }

    /// The HCPCS file's quarter: the July 2024 quarterly file.
    pub fn hcpcs_covers(date: NaiveDate) -> bool {
        date >= day(2024, 7, 1) && date <= day(2024, 9, 30)
    }

    /// The built-in packs with the versions of the data they read.
    pub fn packs(&self) -> &'static [PackInfo] {
        self.packs
    }

    /// `id@version` of each built-in pack.
    pub fn labels(&self) -> &'static [String] {
        self.labels
    }

    fn describe(icd: &Icd10Cm, ncci: &Ncci, mce: &Mce) -> Vec<PackInfo> {
        let icd_names: Vec<&str> = icd.versions().iter().map(|v| v.name()).collect();
        let icd_from = icd.versions().first().map(|v| v.effective_from());
        let icd_to = icd.newest().effective_to();
        let q = &ncci.quarter;
        vec![
            PackInfo {
                id: "837p",
                name: "837P 5010 requirements",
                version: "005010X222A1".into(),
                effective_from: Some(day(2012, 1, 1)),
                effective_to: None,
                coverage_note: "applies to every claim".into(),
            },
            PackInfo {
                id: "codes",
                name: "Code sets at the date of service",
                version: format!("ICD-10-CM {}, HCPCS 2024-07", icd_names.join("+")),
                effective_from: icd_from,
                effective_to: icd_to,
                coverage_note: "a date no ICD-10-CM version covers is judged by the nearest, with SCRUB-DX-NO-DATA; \
                                a HCPCS code missing from the 2024-07 file on a later date gives SCRUB-PROC-NO-DATA"
                    .into(),
            },
            PackInfo {
                id: "clinical",
                name: "Clinical edits (CMS MCE)",
                version: format!("MCE {} ({})", mce.name(), mce.fiscal_year()),
                effective_from: Some(mce.first_day()),
                effective_to: Some(mce.last_day()),
                coverage_note: format!(
                    "outside {} the MCE {} edits still apply, and SCRUB-MCE-NO-DATA names the diagnoses it cannot \
                     speak for (not listed, in a category with age or sex edits, or new since)",
                    mce.fiscal_year(),
                    mce.name()
                ),
            },
            PackInfo {
                id: "ncci",
                name: "NCCI practitioner edits (PTP, MUE, add-on codes)",
                version: q.name.clone(),
                effective_from: Some(q.first_day),
                effective_to: Some(q.last_day),
                coverage_note: format!(
                    "outside {} the quarter's edits still apply (the nearest evidence), with SCRUB-NCCI-NO-DATA",
                    q.name
                ),
            },
            PackInfo {
                id: "history",
                name: "Duplicates and timely filing",
                version: "1".into(),
                effective_from: Some(day(2012, 1, 1)),
                effective_to: None,
                coverage_note: "duplicates against the services of the tenant's claims already sent".into(),
            },
        ]
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Settings from the `[scrubbing]` configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Days after today a service date may be.
    pub future_days_allowed: u32,
    /// The filing limit for payers without one of their own (0: none).
    pub timely_filing_days: u32,
    /// Filing limits by payer id.
    pub payer_timely_filing_days: BTreeMap<String, u32>,
    /// Payer ids held to Medicare's limit besides claims filed as Medicare (MA, MB).
    pub medicare_payer_ids: Vec<String>,
}

/// Medicare's filing limit: one calendar year from the date of service (42 CFR 424.44).
pub const MEDICARE_FILING_DAYS: u32 = 365;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            future_days_allowed: 0,
            timely_filing_days: 365,
            payer_timely_filing_days: BTreeMap::new(),
            medicare_payer_ids: Vec::new(),
        }
    }
}

/// A service of a claim the tenant already sent (passed scrubbing), for duplicates and for the
/// NCCI edits across claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorService {
    pub claim_id: String,
    pub billing_npi: String,
    /// Rendering NPI, or the billing NPI when there is none: "the same provider" of NCCI.
    pub provider_npi: String,
    pub service_date: NaiveDate,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub units: Decimal,
}

/// A biller's override of a rule's findings on one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub rule_id: String,
    /// Only the finding on this field; empty for every finding of the rule.
    pub field: String,
    pub reason: String,
    pub who: String,
}

/// What a claim is scrubbed with besides the tables and settings.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Today, from the platform clock.
    pub today: NaiveDate,
    pub packs: &'a TenantPacks,
    /// Services of the patient already sent by the tenant, on the claim's dates.
    pub prior: &'a [PriorService],
    pub overrides: &'a [Override],
}

/// The findings for a claim, and the packs that gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrub {
    pub findings: Vec<RuleFinding>,
    /// `id@version` of each pack applied.
    pub packs: Vec<String>,
}

impl Scrub {
    /// No error left (warnings and overridden errors let a claim pass).
    pub fn passes(&self) -> bool {
        !self.findings.iter().any(RuleFinding::blocks)
    }

    pub fn state(&self) -> &'static str {
        if self.passes() { "scrubbed" } else { "rejected" }
    }

    pub fn rule_ids(&self) -> Vec<String> {
        self.findings.iter().map(|f| f.rule_id.to_string()).collect()
    }
}

/// What scrubbing sends for a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Scrubbed(Box<ClaimScrubbed>),
    Rejected(ClaimRejected),
}

/// The event for a scrubbed claim: passed with its warnings, or rejected with every finding.
pub fn outcome(claim: Claim, s: &Scrub) -> Outcome {
    let findings = s.findings.iter().map(RuleFinding::to_event).collect();
    if s.passes() {
        Outcome::Scrubbed(Box::new(ClaimScrubbed { claim: Some(claim), warnings: findings }))
    } else {
        Outcome::Rejected(ClaimRejected { patient_control_number: claim.patient_control_number.clone(), findings })
    }
}

/// Runs every pack over a claim, then applies the overrides.
pub fn scrub(claim: &Claim, tables: &Tables, settings: &Settings, cx: &Context) -> Scrub {
    let view = View::of(claim);
    let mut f = crate::rules::Findings::default();
    claim837::check(&view, settings, cx, &mut f);
    codes::check(&view, tables, &mut f);
    clinical::check(&view, tables, &mut f);
    ncci::check(&view, tables, cx, &mut f);
    history::check(&view, settings, cx, &mut f);
    let mut packs: Vec<String> = tables.labels().to_vec();
    cx.packs.check(&view, cx.today, &mut f, &mut packs);
    let mut findings = f.0;
    for finding in &mut findings {
        let o = cx
            .overrides
            .iter()
            .find(|o| o.rule_id == finding.rule_id && (o.field.is_empty() || o.field == finding.field));
        if let Some(o) = o {
            finding.overridden = Some(crate::rules::OverrideNote { who: o.who.clone(), reason: o.reason.clone() });
        }
    }
    Scrub { findings, packs }
}

/// A claim read once for the packs: codes normalised, dates parsed.
pub struct View<'c> {
    pub claim: &'c Claim,
    pub lines: Vec<LineView<'c>>,
    /// Diagnosis codes without dots, upper case, with their place in the claim; blanks left out.
    pub diagnoses: Vec<(usize, Cow<'c, str>)>,
    /// The earliest real service date of the lines.
    pub first_date: Option<NaiveDate>,
    pub birth: Option<NaiveDate>,
    /// `F` or `M`; `None` for U or anything else.
    pub sex: Option<char>,
    pub payer_id: &'c str,
    pub billing_npi: &'c str,
    /// Rendering NPI, or the billing NPI.
    pub provider_npi: &'c str,
}

pub struct LineView<'c> {
    pub line: &'c ServiceLine,
    /// The line's service date, or the claim's when it has none.
    pub date: Option<NaiveDate>,
    /// Trimmed, upper case.
    pub code: Cow<'c, str>,
    /// The code as an NCCI key (five letters or digits).
    pub key: Option<u32>,
    /// Trimmed, upper case, blanks left out.
    pub modifiers: Vec<Cow<'c, str>>,
    pub units: Option<Decimal>,
}

impl LineView<'_> {
    pub fn has_modifier(&self, m: &str) -> bool {
        self.modifiers.iter().any(|x| x == m)
    }
}

/// `s` trimmed and upper case, borrowed when it already is.
pub(crate) fn upper(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    if t.bytes().any(|b| b.is_ascii_lowercase()) { Cow::Owned(t.to_ascii_uppercase()) } else { Cow::Borrowed(t) }
}

/// A diagnosis code as billed: trimmed, upper case, without its dot.
fn diagnosis(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    if t.bytes().any(|b| b.is_ascii_lowercase() || b == b'.') {
        Cow::Owned(t.chars().filter(|c| *c != '.').collect::<String>().to_ascii_uppercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// A real calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

impl<'c> View<'c> {
    pub fn of(claim: &'c Claim) -> View<'c> {
        let claim_date = parse_date(&claim.service_date);
        let lines: Vec<LineView> = claim
            .lines
            .iter()
            .map(|l| {
                let date = if l.service_date.trim().is_empty() { claim_date } else { parse_date(&l.service_date) };
                let code = upper(&l.procedure_code);
                LineView {
                    line: l,
                    date,
                    key: rcm_codesets::ncci::code_key(&code),
                    code,
                    modifiers: l.modifiers.iter().map(|m| upper(m)).filter(|m| !m.is_empty()).collect(),
                    units: l.units.trim().parse::<Decimal>().ok(),
                }
            })
            .collect();
        let first_date = lines.iter().filter_map(|l| l.date).min();
        let patient = claim.patient.as_ref();
        let sex = match patient.map(|p| p.gender.trim()) {
            Some("F") => Some('F'),
            Some("M") => Some('M'),
            _ => None,
        };
        let billing_npi = claim.billing_provider.as_ref().map(|p| p.npi.trim()).unwrap_or_default();
        let rendering = claim.rendering_provider.as_ref().map(|p| p.npi.trim()).unwrap_or_default();
        View {
            claim,
            diagnoses: claim
                .diagnosis_codes
                .iter()
                .enumerate()
                .map(|(i, c)| (i, diagnosis(c)))
                .filter(|(_, c)| !c.is_empty())
                .collect(),
            first_date,
            birth: patient.and_then(|p| parse_date(&p.birth_date)),
            sex,
            payer_id: claim.coverage.as_ref().map(|c| c.payer_id.trim()).unwrap_or_default(),
            billing_npi,
            provider_npi: if rendering.is_empty() { billing_npi } else { rendering },
            lines,
        }
    }

    /// The patient's age in whole years on `date`.
    pub fn age_on(&self, date: NaiveDate) -> Option<u32> {
        let birth = self.birth?;
        if birth > date {
            return None;
        }
        let before_birthday = (date.month(), date.day()) < (birth.month(), birth.day());
        Some((date.year() - birth.year() - i32::from(before_birthday)) as u32)
    }

    /// The patient's age on the first service date.
    pub fn age(&self) -> Option<u32> {
        self.age_on(self.first_date?)
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::testing::{Fixture, clean, ids, run, run_with};
    use super::*;

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(parse_date("2026-03-02"), Some(day(2026, 3, 2)));
        for bad in ["2026-02-30", "2026-3-02", "20260302", "2026/03/02", "", "2026-03-0x"] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn age_in_whole_years_on_a_date() {
        // Given a patient born on 2010-06-15
        let mut c = clean();
        c.patient.as_mut().unwrap().birth_date = "2010-06-15".into();
        let v = View::of(&c);
        // Then the age changes on the birthday, not before
        assert_eq!(v.age_on(day(2026, 6, 14)), Some(15));
        assert_eq!(v.age_on(day(2026, 6, 15)), Some(16));
        assert_eq!(v.age_on(day(2010, 6, 15)), Some(0));
        assert_eq!(v.age_on(day(2010, 6, 14)), None);
    }

    #[test]
    fn a_clean_claim_passes_with_only_the_data_notes() {
        // Given a complete, consistent claim dated in FY2026
        // When it is scrubbed
        let s = run(&clean());
        // Then it passes, and only says that NCCI 2024Q3 and MCE FY2024 do not cover its date
        assert!(s.passes(), "{:?}", s.findings);
        assert_eq!(ids(&s), ["SCRUB-NCCI-NO-DATA"]);
        let Outcome::Scrubbed(ev) = outcome(clean(), &s) else { panic!("not scrubbed") };
        assert_eq!(ev.claim, Some(clean()));
        assert_eq!(ev.warnings.len(), 1);
        assert!(ev.warnings[0].message.contains("(source: CMS NCCI"), "{}", ev.warnings[0].message);
    }

    #[test]
    fn an_error_rejects_with_every_finding() {
        // Given a clean claim whose billing NPI fails its check digit
        let mut c = clean();
        c.billing_provider.as_mut().unwrap().npi = "1234567890".into();
        // When it is scrubbed
        let s = run(&c);
        // Then it is rejected with its patient control number, the error and the warning
        let Outcome::Rejected(r) = outcome(c, &s) else { panic!("not rejected") };
        assert_eq!(r.patient_control_number, "01890a5dac96774bbcceb302099a8057");
        let rules: Vec<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, ["SCRUB-NPI-CHECK-DIGIT", "SCRUB-NCCI-NO-DATA"]);
    }

    #[test]
    fn an_override_lets_an_error_through_and_is_named() {
        // Given a claim with an NCCI pair (99214 with 99213, indicator 1, no modifier)
        let mut c = clean();
        c.lines[1].procedure_code = "99214".into();
        assert!(!run(&c).passes());
        // When a biller overrides that rule's finding on the second line
        let overrides = [Override {
            rule_id: "SCRUB-NCCI-PTP".into(),
            field: "lines[0].procedure_code".into(),
            reason: "separate visits, morning and evening".into(),
            who: "biller7".into(),
        }];
        let s = run_with(&c, &Fixture { overrides: &overrides, ..Fixture::default() });
        // Then the claim passes, the finding kept and marked overridden
        assert!(s.passes(), "{:?}", s.findings);
        let f = s.findings.iter().find(|f| f.rule_id == "SCRUB-NCCI-PTP").unwrap();
        assert_eq!(f.overridden.as_ref().map(|o| o.who.as_str()), Some("biller7"));
        // And an override on another field leaves the error
        let elsewhere = [Override { field: "lines[1].procedure_code".into(), ..overrides[0].clone() }];
        assert!(!run_with(&c, &Fixture { overrides: &elsewhere, ..Fixture::default() }).passes());
    }

    #[test]
    fn built_in_packs_name_the_data_they_read() {
        let s = run(&clean());
        assert_eq!(
            s.packs,
            [
                "837p@005010X222A1",
                "codes@ICD-10-CM FY2025+FY2026, HCPCS 2024-07",
                "clinical@MCE v41.1 (FY2024)",
                "ncci@2024Q3",
                "history@1"
            ]
        );
    }
}
