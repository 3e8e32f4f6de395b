//! The `ncci` pack: CMS NCCI practitioner edits on the same date for the same patient and
//! provider, within the claim and against the services of claims already sent:
//!
//! - procedure-to-procedure pairs: the column-2 code is not paid with the column-1 code; modifier
//!   indicator 0 never, 1 unless an NCCI-associated modifier shows a distinct service (59,
//!   XE/XS/XP/XU, anatomic modifiers on different sites, or 24, 25, 27, 57, 58, 78, 79, 91);
//!   deleted edits stop after their last day;
//! - medically unlikely edits: units per line (MAI 1) or per date (MAI 2 and 3);
//! - add-on codes without a primary procedure on the date.
//!
//! The shipped quarter is 2024 Q3. For dates outside it the edits still apply (the nearest
//! evidence), and `SCRUB-NCCI-NO-DATA` says so.

use super::{Context, LineView, Tables, View};
use crate::rules::{self as r, Findings, Rule};
use chrono::NaiveDate;
use rcm_codesets::ncci::{AocType, Mai, code_key, key_code};
use rust_decimal::Decimal;

/// Modifiers CMS lists as NCCI-associated for PTP edits with indicator 1, besides the anatomic ones.
const NCCI_MODIFIERS: [&str; 13] = ["59", "XE", "XS", "XP", "XU", "24", "25", "27", "57", "58", "78", "79", "91"];

/// Anatomic modifiers: an edit is bypassed when the two services are on different sites.
fn anatomic(m: &str) -> bool {
    matches!(m, "E1" | "E2" | "E3" | "E4" | "FA" | "LC" | "LD" | "LM" | "LT" | "RC" | "RI" | "RT" | "TA")
        || (m.len() == 2 && matches!(m.as_bytes()[0], b'F' | b'T') && (b'1'..=b'9').contains(&m.as_bytes()[1]))
}

/// Whether two services' modifiers bypass an indicator-1 edit: an NCCI-associated modifier on
/// either, or anatomic modifiers that differ.
fn bypassed<S: AsRef<str>, T: AsRef<str>>(a: &[S], b: &[T]) -> bool {
    let any = |ms: &[S]| ms.iter().any(|m| NCCI_MODIFIERS.contains(&m.as_ref()));
    let any_b = |ms: &[T]| ms.iter().any(|m| NCCI_MODIFIERS.contains(&m.as_ref()));
    if any(a) || any_b(b) {
        return true;
    }
    let sites_a: Vec<&str> = a.iter().map(|m| m.as_ref()).filter(|m| anatomic(m)).collect();
    let sites_b: Vec<&str> = b.iter().map(|m| m.as_ref()).filter(|m| anatomic(m)).collect();
    !sites_a.is_empty() && !sites_b.is_empty() && sites_a.iter().all(|s| !sites_b.contains(s))
}

/// A line with the parts the edits need.
struct Service<'l, 'c> {
    index: usize,
    line: &'l LineView<'c>,
    key: u32,
    date: NaiveDate,
}

pub fn check(v: &View, t: &Tables, cx: &Context, f: &mut Findings) {
    let ncci = t.ncci;
    let q = &ncci.quarter;
    let services: Vec<Service> = v
        .lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| Some(Service { index, line, key: line.key?, date: line.date? }))
        .collect();
    if services.is_empty() {
        return;
    }
    let outside: Vec<NaiveDate> = {
        let mut d: Vec<NaiveDate> = services.iter().map(|s| s.date).filter(|d| !q.covers(*d)).collect();
        d.sort();
        d.dedup();
        d
    };
    let note = if outside.is_empty() {
        String::new()
    } else {
        format!(" (judged by NCCI {}, the nearest quarter loaded)", q.name)
    };
    let source = |rule: &Rule| format!("{}, {}", rule.source, q.name);
    // Services of claims already sent by the same provider for the patient, on the claim's dates.
    let prior: Vec<(&super::PriorService, u32)> = cx
        .prior
        .iter()
        .filter(|p| p.provider_npi == v.provider_npi && services.iter().any(|s| s.date == p.service_date))
        .filter_map(|p| Some((p, code_key(&p.procedure_code)?)))
        .collect();

    // Procedure-to-procedure pairs within the claim: the finding is on the column-2 line.
    for c1 in &services {
        if !ncci.ptp.has_column1(c1.key) {
            continue;
        }
        for c2 in services.iter().filter(|s| s.date == c1.date && s.key != c1.key) {
            let Some(edit) = ncci.ptp.edit(c1.key, c2.key, c1.date) else { continue };
            if edit.modifier_allowed && bypassed(&c1.line.modifiers, &c2.line.modifiers) {
                continue;
            }
            f.add_sourced(
                &r::NCCI_PTP,
                format!("lines[{}].procedure_code", c2.index),
                Some(c2.index),
                ptp_message(
                    &format!("line {} {}", c2.index + 1, c2.line.code),
                    &format!("line {} {}", c1.index + 1, c1.line.code),
                    c1.date,
                    edit.modifier_allowed,
                    edit.rationale,
                    &note,
                ),
                source(&r::NCCI_PTP),
            );
        }
    }
    // And against services already sent: the finding is on this claim's line either way.
    for s in &services {
        for (p, pkey) in prior.iter().filter(|(p, k)| p.service_date == s.date && *k != s.key) {
            for (c1, c2, this_is_c2) in [(*pkey, s.key, true), (s.key, *pkey, false)] {
                let Some(edit) = ncci.ptp.edit(c1, c2, s.date) else { continue };
                if edit.modifier_allowed && bypassed(&s.line.modifiers, &p.modifiers) {
                    continue;
                }
                let this = format!("line {} {}", s.index + 1, s.line.code);
                let other = format!("{} on claim {} already sent", p.procedure_code, p.claim_id);
                let (component, comprehensive) = if this_is_c2 { (this, other) } else { (other, this) };
                f.add_sourced(
                    &r::NCCI_PTP,
                    format!("lines[{}].procedure_code", s.index),
                    Some(s.index),
                    ptp_message(&component, &comprehensive, s.date, edit.modifier_allowed, edit.rationale, &note),
                    source(&r::NCCI_PTP),
                );
            }
        }
    }

    // Medically unlikely edits.
    let mut day_groups: Vec<(u32, NaiveDate)> = Vec::new();
    for s in &services {
        let Some(mue) = ncci.mue.get(s.key) else { continue };
        if mue.mai == Mai::Line {
            if let Some(units) = s.line.units
                && units > Decimal::from(mue.units)
            {
                f.add_sourced(
                    &r::NCCI_MUE_LINE,
                    format!("lines[{}].units", s.index),
                    Some(s.index),
                    format!(
                        "line {}: {units} units of {}; its MUE is {} per line (MAI 1: {}){note}",
                        s.index + 1,
                        s.line.code,
                        mue.units,
                        mue.rationale
                    ),
                    source(&r::NCCI_MUE_LINE),
                );
            }
        } else if !day_groups.contains(&(s.key, s.date)) {
            day_groups.push((s.key, s.date));
            let same: Vec<&Service> = services.iter().filter(|o| o.key == s.key && o.date == s.date).collect();
            let sent: Vec<&(&super::PriorService, u32)> =
                prior.iter().filter(|(p, k)| *k == s.key && p.service_date == s.date).collect();
            let total: Decimal = same.iter().filter_map(|o| o.line.units).sum::<Decimal>()
                + sent.iter().map(|(p, _)| p.units).sum::<Decimal>();
            if total > Decimal::from(mue.units) {
                let last = same.last().expect("the group holds s");
                let lines: Vec<String> = same.iter().map(|o| (o.index + 1).to_string()).collect();
                let also =
                    if sent.is_empty() { String::new() } else { format!(" and {} on claims already sent", sent.len()) };
                f.add_sourced(
                    &r::NCCI_MUE_DAY,
                    format!("lines[{}].units", last.index),
                    Some(last.index),
                    format!(
                        "{total} units of {} on {} (line(s) {}{also}); its MUE is {} per day (MAI {}: {}){note}",
                        s.line.code,
                        s.date,
                        lines.join(", "),
                        mue.units,
                        mue.mai.number(),
                        mue.rationale
                    ),
                    source(&r::NCCI_MUE_DAY),
                );
            }
        }
    }

    // Add-on codes and their primaries on the same date.
    for s in &services {
        let Some(add_on) = ncci.aoc.get(s.key) else { continue };
        let others: Vec<u32> = services
            .iter()
            .filter(|o| o.date == s.date && o.index != s.index)
            .map(|o| o.key)
            .chain(prior.iter().filter(|(p, _)| p.service_date == s.date).map(|(_, k)| *k))
            .collect();
        let listed = others.iter().any(|k| add_on.primaries.binary_search(k).is_ok());
        let any_primary = others.iter().any(|k| ncci.aoc.get(*k).is_none());
        let named = || {
            let mut p: Vec<String> = add_on.primaries.iter().take(6).map(|k| key_code(*k)).collect();
            if add_on.primaries.len() > 6 {
                p.push(format!("and {} more", add_on.primaries.len() - 6));
            }
            p.join(", ")
        };
        let field = format!("lines[{}].procedure_code", s.index);
        let problem = match add_on.edit_type {
            AocType::Listed if !listed => Some((&r::NCCI_AOC, format!("one of its primaries ({})", named()))),
            AocType::ContractorDefined if !any_primary => {
                Some((&r::NCCI_AOC, "a primary procedure (the contractor defines which)".to_string()))
            }
            AocType::ListedAndContractor if !listed && !any_primary => {
                Some((&r::NCCI_AOC, format!("a primary procedure ({}, or one the contractor accepts)", named())))
            }
            AocType::ListedAndContractor if !listed => Some((
                &r::NCCI_AOC_PRIMARY,
                format!("one of its listed primaries ({}); another primary is up to the contractor", named()),
            )),
            _ => None,
        };
        if let Some((rule, needs)) = problem {
            f.add_sourced(
                rule,
                field,
                Some(s.index),
                format!(
                    "line {} {} is an add-on code: it is paid with {needs} on the same date ({}){note}",
                    s.index + 1,
                    s.line.code,
                    s.date
                ),
                source(rule),
            );
        }
    }

    if let (Some(first), Some(last)) = (outside.first(), outside.last()) {
        let dates = if first == last { first.to_string() } else { format!("{first} to {last}") };
        f.add_sourced(
            &r::NCCI_NO_DATA,
            "service_date",
            None,
            format!(
                "the NCCI tables loaded are for {q}, not the date of service {dates}: their edits were applied as \
                 the nearest evidence, but edits added or deleted since are not known"
            ),
            source(&r::NCCI_NO_DATA),
        );
    }
}

fn ptp_message(component: &str, comprehensive: &str, date: NaiveDate, allowed: bool, why: &str, note: &str) -> String {
    if allowed {
        format!(
            "{component} is bundled into {comprehensive} on {date} (NCCI PTP edit, modifier indicator 1: {why}); \
             bill it only for a distinct service, with 59, XE, XS, XP, XU or an anatomic modifier{note}"
        )
    } else {
        format!(
            "{component} is not paid with {comprehensive} on {date} (NCCI PTP edit, modifier indicator 0: {why}); \
             no modifier allows both{note}"
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::decide::PriorService;
    use crate::decide::testing::*;
    use rcm_proto::common::{Claim, ServiceLine};

    /// `in_q3_2024(clean())` with these lines (code, modifiers, units), all on 2024-08-15.
    fn claim(lines: &[(&str, &[&str], &str)]) -> Claim {
        let mut c = in_q3_2024(clean());
        c.lines = lines
            .iter()
            .map(|(code, mods, units)| ServiceLine {
                procedure_code: code.to_string(),
                modifiers: mods.iter().map(|m| m.to_string()).collect(),
                units: units.to_string(),
                charge_cents: 100,
                diagnosis_pointers: vec![1],
                service_date: "2024-08-15".into(),
                ..Default::default()
            })
            .collect();
        c.total_charge_cents = 100 * lines.len() as i64;
        c
    }

    #[test]
    fn a_pair_with_indicator_zero_is_never_allowed() {
        // Given 99204 and 99203 (two new-patient visits; indicator 0), even with modifier 25;
        // and 99204 with 93000 (no edit)
        let bad = claim(&[("99204", &[], "1"), ("99203", &["25"], "1")]);
        let good = claim(&[("99204", &[], "1"), ("93000", &[], "1")]);
        let f = trips("SCRUB-NCCI-PTP", &run(&bad), &run(&good));
        assert_eq!(f[0].field, "lines[1].procedure_code");
        assert!(
            f[0].message.starts_with("line 2 99203 is not paid with line 1 99204 on 2024-08-15"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("modifier indicator 0"), "{}", f[0].message);
        assert_eq!(f[0].source, "CMS NCCI procedure-to-procedure edits, practitioner, 2024Q3");
        assert!(run(&good).passes(), "{:?}", run(&good).findings);
    }

    #[test]
    fn a_pair_with_indicator_one_needs_an_ncci_modifier() {
        // Given 20610 (arthrocentesis) and 99213 on the same day, without and with 25 on the visit
        let bad = claim(&[("20610", &[], "1"), ("99213", &[], "1")]);
        let good = claim(&[("20610", &[], "1"), ("99213", &["25"], "1")]);
        let f = trips("SCRUB-NCCI-PTP", &run(&bad), &run(&good));
        assert!(f[0].message.contains("modifier indicator 1"), "{}", f[0].message);
        // And 59 or an X modifier on either line does it too
        for m in ["59", "XS", "XE", "XP", "XU"] {
            assert!(of(&run(&claim(&[("20610", &[m], "1"), ("99213", &[], "1")])), "SCRUB-NCCI-PTP").is_empty(), "{m}");
        }
    }

    #[test]
    fn anatomic_modifiers_bypass_on_different_sites_only() {
        // Given knee X-rays of 3 views (73562) and 2 views (73560; indicator 1), both of the left
        // knee, and one of each knee
        let same_side = claim(&[("73562", &["LT"], "1"), ("73560", &["LT"], "1")]);
        let other_side = claim(&[("73562", &["LT"], "1"), ("73560", &["RT"], "1")]);
        trips("SCRUB-NCCI-PTP", &run(&same_side), &run(&other_side));
    }

    #[test]
    fn a_deleted_edit_stops_after_its_last_day() {
        // Given 0001A with 0591T (indicator 1, last in force 2023-12-31), on that day and the next
        let mut on = claim(&[("0001A", &[], "1"), ("0591T", &[], "1")]);
        let mut after = on.clone();
        for (c, d) in [(&mut on, "2023-12-31"), (&mut after, "2024-01-01")] {
            c.service_date = d.into();
            for l in &mut c.lines {
                l.service_date = d.into();
            }
        }
        let fx = Fixture { today: day(2024, 1, 10), ..Fixture::default() };
        trips("SCRUB-NCCI-PTP", &run_with(&on, &fx), &run_with(&after, &fx));
    }

    #[test]
    fn a_pair_across_claims_already_sent() {
        // Given 99213 already sent for the same patient, provider and date on another claim
        let prior = [PriorService {
            claim_id: "c-sent".into(),
            billing_npi: "1234567893".into(),
            provider_npi: "1234567893".into(),
            service_date: day(2024, 8, 15),
            procedure_code: "99213".into(),
            modifiers: vec![],
            units: 1.into(),
        }];
        let fx = Fixture { today: day(2024, 8, 22), prior: &prior, ..Fixture::default() };
        // When a claim with 20610 comes
        let bad = claim(&[("20610", &[], "1")]);
        let s = run_with(&bad, &fx);
        // Then the pair is found, on this claim's line; not for another provider's visit
        let mut other_provider = prior.clone();
        other_provider[0].provider_npi = "1245319599".into();
        let good = run_with(&bad, &Fixture { prior: &other_provider, ..fx });
        let f = trips("SCRUB-NCCI-PTP", &s, &good);
        assert!(
            f[0].message.contains("99213 on claim c-sent already sent is bundled into line 1 20610"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn units_per_line_within_the_mue() {
        // Given ground ambulance mileage (A0425; MUE 250 per line, MAI 1) over and at the limit
        let (code, limit) = mai1();
        let bad = claim(&[(code, &[], &(limit + 1).to_string())]);
        let good = claim(&[(code, &[], &limit.to_string())]);
        let f = trips("SCRUB-NCCI-MUE-LINE", &run(&bad), &run(&good));
        assert!(f[0].message.contains("per line (MAI 1"), "{}", f[0].message);
    }

    /// A practitioner code whose MUE is a line edit, and its limit.
    fn mai1() -> (&'static str, u32) {
        let mue = &tables().ncci.mue;
        let code = "A0425";
        let e = mue.get(rcm_codesets::ncci::code_key(code).unwrap()).unwrap();
        assert_eq!((e.mai, e.units), (rcm_codesets::ncci::Mai::Line, 250));
        (code, e.units)
    }

    #[test]
    fn units_per_day_across_lines_and_claims() {
        // Given 99203 (MUE 1 per day, MAI 2) on two lines, and on one
        let bad = claim(&[("99203", &[], "1"), ("93000", &[], "1"), ("99203", &[], "1")]);
        let good = claim(&[("99203", &[], "1"), ("93000", &[], "1")]);
        let f = trips("SCRUB-NCCI-MUE-DAY", &run(&bad), &run(&good));
        assert_eq!(f[0].field, "lines[2].units");
        assert!(f[0].message.starts_with("2 units of 99203 on 2024-08-15 (line(s) 1, 3)"), "{}", f[0].message);
        // And 4 units of 97110 (MUE 6, MAI 3) with 3 already sent that day
        let prior = [PriorService {
            claim_id: "c-sent".into(),
            billing_npi: "1234567893".into(),
            provider_npi: "1234567893".into(),
            service_date: day(2024, 8, 15),
            procedure_code: "97110".into(),
            modifiers: vec![],
            units: 3.into(),
        }];
        let fx = Fixture { today: day(2024, 8, 22), prior: &prior, ..Fixture::default() };
        let four = claim(&[("97110", &[], "4")]);
        let three = claim(&[("97110", &[], "3")]);
        let f = trips("SCRUB-NCCI-MUE-DAY", &run_with(&four, &fx), &run_with(&three, &fx));
        assert!(f[0].message.contains("and 1 on claims already sent"), "{}", f[0].message);
    }

    #[test]
    fn an_add_on_code_needs_its_primary() {
        // Given 0071U (type 1, primary 0070U) alone, and with 0070U
        let bad = claim(&[("0071U", &[], "1")]);
        let good = claim(&[("0070U", &[], "1"), ("0071U", &[], "1")]);
        let f = trips("SCRUB-NCCI-AOC", &run(&bad), &run(&good));
        assert!(f[0].message.contains("one of its primaries (0070U)"), "{}", f[0].message);
        // And a contractor-defined add-on (0054T, type 2) needs some procedure that is not an add-on
        let alone = claim(&[("0054T", &[], "1")]);
        let with_surgery = claim(&[("27447", &[], "1"), ("0054T", &[], "1")]);
        trips("SCRUB-NCCI-AOC", &run(&alone), &run(&with_surgery));
    }

    #[test]
    fn a_type_3_add_on_with_another_primary_is_a_warning() {
        // Given 20701 (type 3) with 99213, not a listed primary; and with 11010, a listed one
        let (add_on, listed, unlisted) = type3();
        let bad = claim(&[(unlisted, &[], "1"), (add_on, &[], "1")]);
        let good = claim(&[(listed, &[], "1"), (add_on, &[], "1")]);
        let s = run(&bad);
        trips("SCRUB-NCCI-AOC-PRIMARY", &s, &run(&good));
        assert!(of(&s, "SCRUB-NCCI-AOC").is_empty());
    }

    /// A type-3 add-on code, one of its listed primaries, and a procedure that is not one.
    fn type3() -> (&'static str, &'static str, &'static str) {
        let aoc = &tables().ncci.aoc;
        let a = aoc.get(rcm_codesets::ncci::code_key("20701").unwrap()).unwrap();
        assert_eq!(a.edit_type, rcm_codesets::ncci::AocType::ListedAndContractor);
        assert!(a.primaries.contains(&rcm_codesets::ncci::code_key("11010").unwrap()));
        assert!(!a.primaries.contains(&rcm_codesets::ncci::code_key("99213").unwrap()));
        ("20701", "11010", "99213")
    }

    #[test]
    fn outside_the_quarter_the_edits_apply_and_say_so() {
        // Given 20610 with 99213 on 2026-03-02, after 2024 Q3
        let mut c = claim(&[("20610", &[], "1"), ("99213", &[], "1")]);
        c.service_date = "2026-03-02".into();
        for l in &mut c.lines {
            l.service_date = "2026-03-02".into();
        }
        let s = run(&c);
        // Then the pair is still an error, naming the quarter that judged it
        let ptp = of(&s, "SCRUB-NCCI-PTP");
        assert!(ptp[0].message.ends_with("(judged by NCCI 2024Q3, the nearest quarter loaded)"), "{}", ptp[0].message);
        // And one warning says the quarter does not cover the date; none inside the quarter
        let f = trips("SCRUB-NCCI-NO-DATA", &s, &run(&claim(&[("20610", &[], "1")])));
        assert_eq!(
            f[0].message,
            "the NCCI tables loaded are for 2024Q3 (2024-07-01 to 2024-09-30), not the date of service 2026-03-02: \
             their edits were applied as the nearest evidence, but edits added or deleted since are not known"
        );
    }
}
