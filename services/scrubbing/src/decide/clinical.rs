//! The `clinical` pack: CMS MCE diagnosis edits. A diagnosis for an age the patient is not on
//! the date of service (newborn, pediatric, maternity, adult), for the other sex, or a
//! manifestation code in first position.
//!
//! MCE v41.1 is FY2024's. For a later (or earlier) date the edits it lists still apply, and
//! `SCRUB-MCE-NO-DATA` names the diagnoses it cannot speak for: not listed, yet in a group of
//! codes (the code less its last character) most of whose billable codes carry an age or sex edit
//! (a newer code there likely carries one too), or added to ICD-10-CM in FY2026. Codes added in
//! FY2025 cannot be told apart (no FY2024 code list ships).

use super::{Tables, View};
use crate::rules::{self as r, Findings, Rule};
use rcm_codesets::icd10cm::Icd10Cm;
use rcm_codesets::mce::{Mce, MceEdit};
use std::sync::OnceLock;

/// The group a code belongs to: the code less its last character, at least the category.
fn group(code: &str) -> &str {
    &code[..code.len().saturating_sub(1).max(3).min(code.len())]
}

/// Groups of codes (see [`group`]) of the newest ICD-10-CM version in which more than half of the
/// billable codes carry an MCE age or sex edit, sorted.
fn edited_groups(icd: &Icd10Cm, mce: &Mce) -> &'static [Box<str>] {
    static GROUPS: OnceLock<Vec<Box<str>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let newest = icd.newest();
        let edited: Vec<&str> = mce.age_or_sex_codes().collect();
        let mut candidates: Vec<&str> =
            edited.iter().flat_map(|c| (3..c.len()).map(move |n| &c[..n])).chain(edited.iter().copied()).collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter(|p| {
                let first = edited.partition_point(|c| *c < *p);
                let with_edits = edited[first..].iter().take_while(|c| c.starts_with(p)).count();
                let billable = newest.billable_children(p, usize::MAX).len()
                    + usize::from(newest.get(p).is_some_and(|c| c.billable));
                with_edits * 2 > billable
            })
            .map(Box::from)
            .collect()
    })
}

fn dotted(code: &str) -> String {
    if code.len() > 3 { format!("{}.{}", &code[..3], &code[3..]) } else { code.to_owned() }
}

pub fn check(v: &View, t: &Tables, f: &mut Findings) {
    let mce = t.mce;
    let covered = v.first_date.is_some() && v.lines.iter().filter_map(|l| l.date).all(|d| mce.covers(d));
    // Texts made only for a finding: a clean claim costs no allocation here.
    let version = || format!("MCE {} ({})", mce.name(), mce.fiscal_year());
    let note = || if covered { String::new() } else { format!(" (judged by {}, the newest loaded)", version()) };
    let source = |rule: &Rule| format!("{}, {}", rule.source, version());
    let age = v.age();
    let oldest_icd = t.icd.versions().first();
    let groups = if covered { &[][..] } else { edited_groups(t.icd, mce) };
    let mut uncertain: Vec<String> = Vec::new();
    for (place, (i, code)) in v.diagnoses.iter().enumerate() {
        let field = format!("diagnosis_codes[{i}]");
        let edits = mce.edits(code);
        if edits.is_empty() {
            if covered {
                continue;
            }
            let in_edited_group = groups.binary_search_by(|g| (**g).cmp(group(code))).is_ok();
            let newer = oldest_icd.is_some_and(|o| o.get(code).is_none())
                && t.icd.versions().iter().any(|v| v.get(code).is_some());
            if in_edited_group || newer {
                uncertain.push(dotted(code));
            }
            continue;
        }
        for edit in edits.iter() {
            let rule = match edit {
                MceEdit::Newborn => &r::MCE_NEWBORN,
                MceEdit::Pediatric => &r::MCE_PEDIATRIC,
                MceEdit::Maternity => &r::MCE_MATERNITY,
                MceEdit::Adult => &r::MCE_ADULT,
                MceEdit::FemaleOnly | MceEdit::MaleOnly => &r::MCE_SEX,
                MceEdit::ManifestationNotPrincipal => &r::MCE_MANIFESTATION,
            };
            let message = if let Some((min, max)) = mce.age_range(edit) {
                let Some(age) = age else { continue };
                if (u32::from(min)..=u32::from(max)).contains(&age) {
                    continue;
                }
                // An age of 90 or more is said as such (HIPAA Safe Harbor: it identifies).
                let age = if age >= 90 { "90 or older".to_string() } else { age.to_string() };
                format!(
                    "diagnosis {} is a {} code (ages {min} to {max}); the patient is {age} on the date of service{}",
                    dotted(code),
                    edit.name(),
                    note()
                )
            } else if let Some(only) = edit.sex() {
                if v.sex.is_none_or(|s| s == only) {
                    continue;
                }
                let (who, is) = if only == 'F' { ("female", "male") } else { ("male", "female") };
                format!("diagnosis {} is for {who} patients only; the patient is {is}{}", dotted(code), note())
            } else {
                if place != 0 {
                    continue;
                }
                format!(
                    "diagnosis {} is a manifestation code: it may not come first; put the underlying condition first{}",
                    dotted(code),
                    note()
                )
            };
            f.add_sourced(rule, field.clone(), None, message, source(rule));
        }
    }
    if let (false, Some(d), false) = (covered, v.first_date, uncertain.is_empty()) {
        f.add_sourced(
            &r::MCE_NO_DATA,
            "diagnosis_codes",
            None,
            format!(
                "{} covers {} to {}, not the date of service {d}; it lists no age or sex edit for {}, \
                 but newer codes or versions may have one: check the patient's age and sex against them",
                version(),
                mce.first_day(),
                mce.last_day(),
                uncertain.join(", ")
            ),
            source(&r::MCE_NO_DATA),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::decide::testing::*;
    use rcm_proto::common::Claim;

    /// A claim of 2024-08-15 (MCE FY2024 covers it) for a patient born on `birth` of sex
    /// `gender`, with these diagnoses.
    fn patient(birth: &str, gender: &str, dx: &[&str]) -> Claim {
        let mut c = in_q3_2024(clean());
        let p = c.patient.as_mut().unwrap();
        p.birth_date = birth.into();
        p.gender = gender.into();
        c.diagnosis_codes = dx.iter().map(|d| d.to_string()).collect();
        c
    }

    #[test]
    fn newborn_codes_are_for_age_zero() {
        // Given Z00.110 (health examination for newborn under 8 days old) at 2 years, and at 3 days
        let bad = patient("2022-05-01", "F", &["Z00110"]);
        let good = patient("2024-08-12", "F", &["Z00110"]);
        let f = trips("SCRUB-MCE-NEWBORN", &run(&bad), &run(&good));
        assert_eq!(
            f[0].message,
            "diagnosis Z00.110 is a newborn code (ages 0 to 0); the patient is 2 on the date of service"
        );
        assert_eq!(f[0].source, "CMS Definitions of Medicare Code Edits, age conflict (newborn), MCE v41.1 (FY2024)");
    }

    #[test]
    fn pediatric_codes_are_for_ages_0_to_17() {
        // Given Z00.121 (routine child health examination with abnormal findings) at 24 and at 14
        let bad = patient("2000-01-01", "M", &["Z00121"]);
        let good = patient("2010-01-01", "M", &["Z00121"]);
        trips("SCRUB-MCE-PEDIATRIC", &run(&bad), &run(&good));
    }

    #[test]
    fn maternity_codes_are_for_ages_9_to_64() {
        // Given O80 (full-term uncomplicated delivery) for a woman of 70, and of 30
        let bad = patient("1954-01-01", "F", &["O80", "Z370"]);
        let good = patient("1994-01-01", "F", &["O80", "Z370"]);
        trips("SCRUB-MCE-MATERNITY", &run(&bad), &run(&good));
        assert!(run(&good).passes(), "{:?}", run(&good).findings);
    }

    #[test]
    fn adult_codes_are_for_ages_15_and_up() {
        // Given N40.0 (benign prostatic hyperplasia) for a boy of 12, and a man of 60
        let bad = patient("2012-01-01", "M", &["N400"]);
        let good = patient("1964-01-01", "M", &["N400"]);
        trips("SCRUB-MCE-ADULT", &run(&bad), &run(&good));
    }

    #[test]
    fn an_age_of_90_or_more_is_not_told() {
        // Given O80 for a woman of 95
        let f = of(&run(&patient("1929-01-01", "F", &["O80"])), "SCRUB-MCE-MATERNITY");
        assert!(f[0].message.ends_with("the patient is 90 or older on the date of service"), "{}", f[0].message);
    }

    #[test]
    fn sex_specific_codes_match_the_patient() {
        // Given N40.0 for a woman; O80 for a man; and each for the right sex
        let s = run(&patient("1964-01-01", "F", &["N400"]));
        let f = trips("SCRUB-MCE-SEX", &s, &run(&patient("1964-01-01", "M", &["N400"])));
        assert_eq!(f[0].message, "diagnosis N40.0 is for male patients only; the patient is female");
        trips(
            "SCRUB-MCE-SEX",
            &run(&patient("1994-01-01", "M", &["O80"])),
            &run(&patient("1994-01-01", "F", &["O80"])),
        );
        // And a patient of unknown sex (U) is not judged
        assert!(of(&run(&patient("1964-01-01", "U", &["N400"])), "SCRUB-MCE-SEX").is_empty());
    }

    #[test]
    fn a_manifestation_code_does_not_come_first() {
        // Given F02.80 (dementia in other diseases) first, and after G30.9 (Alzheimer's)
        let bad = patient("1940-01-01", "F", &["F0280", "G309"]);
        let good = patient("1940-01-01", "F", &["G309", "F0280"]);
        let f = trips("SCRUB-MCE-MANIFESTATION", &run(&bad), &run(&good));
        assert_eq!(f[0].field, "diagnosis_codes[0]");
    }

    #[test]
    fn outside_fy2024_the_edits_apply_and_say_which_version_judged() {
        // Given N40.0 for a woman on 2026-03-02
        let mut c = clean();
        c.diagnosis_codes = vec!["N400".into()];
        let s = run(&c);
        let f = of(&s, "SCRUB-MCE-SEX");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.ends_with("(judged by MCE v41.1 (FY2024), the newest loaded)"), "{}", f[0].message);
    }

    #[test]
    fn no_data_where_the_mce_cannot_speak_for_a_code() {
        // Given N85.A (isthmocele, added in FY2025): v41.1 does not list it, though 11 of the 12
        // billable N85 codes are female-only; on 2026-03-02, after the MCE's FY2024
        let mut uncertain = clean();
        uncertain.diagnosis_codes = vec!["N85A".into()];
        let s = run(&uncertain);
        // Then a warning says the MCE cannot speak for it; I10 alone has none
        let f = trips("SCRUB-MCE-NO-DATA", &s, &run(&clean()));
        assert!(f[0].message.contains("no age or sex edit for N85.A"), "{}", f[0].message);
        assert!(s.passes(), "a warning");
        // And a code of a group mostly without edits is not flagged (F32.9 beside female-only F32.81)
        let mut depression = clean();
        depression.diagnosis_codes = vec!["F329".into()];
        assert!(of(&run(&depression), "SCRUB-MCE-NO-DATA").is_empty());
        // And the same claim in FY2024 has no such warning: "not listed" means "no edit" then
        assert!(of(&run(&in_q3_2024(uncertain)), "SCRUB-MCE-NO-DATA").is_empty());
    }

    #[test]
    fn no_data_for_a_code_added_in_fy2026() {
        // Given E11.A (type 2 diabetes in remission), new in FY2026, on 2026-03-02
        let mut c = clean();
        c.diagnosis_codes = vec!["E11A".into()];
        let s = run(&c);
        let f = trips("SCRUB-MCE-NO-DATA", &s, &run(&clean()));
        assert!(f[0].message.contains("E11.A"), "{}", f[0].message);
    }
}
