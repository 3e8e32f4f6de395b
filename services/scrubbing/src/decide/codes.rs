//! The `codes` pack: every code judged by the code sets in force on the date of service, with
//! `rcm-codesets` as coding uses it: ICD-10-CM by fiscal-year version (exists, billable), HCPCS
//! Level II by its added and terminated dates, CPT numbers against CMS's public tables, modifiers,
//! and diagnosis pointers into the claim's diagnoses.

use super::{Tables, View};
use crate::rules::{self as r, Findings};
use rcm_codesets::icd10cm::{Version, VersionChoice};
use rcm_codesets::{cpt, modifiers};

/// The 837P limits (HI: 12 diagnoses; SV101: 4 modifiers; SV107: 4 pointers).
const MAX_DIAGNOSES: usize = 12;
const MAX_MODIFIERS: usize = 4;
const MAX_POINTERS: usize = 4;

fn in_force(v: &Version) -> String {
    format!("{} ({})", v.name(), v.in_force_text())
}

fn is_hcpcs_form(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

pub fn check(v: &View, t: &Tables, f: &mut Findings) {
    let newest = t.icd.newest();
    let version = match v.first_date.map(|d| (d, t.icd.for_date(d))) {
        None => newest,
        Some((_, VersionChoice::InForce(version))) => version,
        Some((d, VersionChoice::Nearest(version))) => {
            if !v.diagnoses.is_empty() {
                f.add(
                    &r::DX_NO_DATA,
                    "service_date",
                    None,
                    format!(
                        "no ICD-10-CM version loaded is in force on {d}; the diagnoses were judged by the nearest, {}",
                        in_force(version)
                    ),
                );
            }
            version
        }
    };
    if v.diagnoses.len() > MAX_DIAGNOSES {
        f.add(
            &r::DX_COUNT,
            "diagnosis_codes",
            None,
            format!("{} diagnosis codes; a professional claim carries at most {MAX_DIAGNOSES}", v.diagnoses.len()),
        );
    }
    let icd_source = |rule: &r::Rule| format!("{}; {}", rule.source, version.name());
    for (i, code) in &v.diagnoses {
        let field = format!("diagnosis_codes[{i}]");
        match version.get(code) {
            Some(c) if c.billable => {}
            Some(c) => {
                let children: Vec<String> = version.billable_children(code, 4).iter().map(|c| c.dotted()).collect();
                f.add_sourced(
                    &r::DX_HEADER,
                    field,
                    None,
                    format!(
                        "diagnosis {} is a category heading in {}, not a billable code; bill a code under it ({}, ...)",
                        c.dotted(),
                        version.name(),
                        children.join(", ")
                    ),
                    icd_source(&r::DX_HEADER),
                );
            }
            None => {
                let elsewhere = t.icd.other_version_with(code, version);
                match elsewhere {
                    Some(other) => f.add_sourced(
                        &r::DX_NOT_IN_FORCE,
                        field,
                        None,
                        format!(
                            "diagnosis {code} is not in {}, the version in force on the date of service; it is in {}",
                            in_force(version),
                            in_force(other)
                        ),
                        icd_source(&r::DX_NOT_IN_FORCE),
                    ),
                    None => f.add_sourced(
                        &r::DX_UNKNOWN,
                        field,
                        None,
                        format!("diagnosis {code} is not an ICD-10-CM code in {}", version.name()),
                        icd_source(&r::DX_UNKNOWN),
                    ),
                }
            }
        }
    }

    let diagnoses = v.diagnoses.len().min(MAX_DIAGNOSES) as u32;
    for (i, l) in v.lines.iter().enumerate() {
        let n = i + 1;
        let code = l.code.as_ref();
        let field = format!("lines[{i}].procedure_code");
        if code.is_empty() {
            // The 837p pack names a missing code.
        } else if cpt::is_cpt_form(code) {
            if !cpt::cms_carries(code) {
                f.add(
                    &r::CPT_NOT_CARRIED,
                    field,
                    Some(i),
                    format!(
                        "line {n}: CPT {code} is not among the code numbers of CMS's public tables (July 2024); \
                         it may be newer, or not paid by Medicare"
                    ),
                );
            }
        } else if is_hcpcs_form(code) {
            match (t.hcpcs.get(code), l.date) {
                (Some(h), Some(d)) if !h.in_force(d) => {
                    let when = match (h.added, h.terminated) {
                        (Some(a), _) if d < a => format!("it was added on {a}"),
                        (_, Some(last)) => format!("its last day was {last}"),
                        _ => "it is not in force then".into(),
                    };
                    f.add(
                        &r::PROC_NOT_IN_FORCE,
                        field,
                        Some(i),
                        format!("line {n}: HCPCS {code} is not valid on {d}: {when}"),
                    );
                }
                (Some(_), _) => {}
                (None, Some(d)) if d > day(2024, 9, 30) => f.add(
                    &r::PROC_NO_DATA,
                    field,
                    Some(i),
                    format!(
                        "line {n}: HCPCS {code} is not in the 2024-07 HCPCS file, which predates the date of service {d}; \
                         it may have been added since"
                    ),
                ),
                (None, _) => f.add(
                    &r::PROC_UNKNOWN,
                    field,
                    Some(i),
                    format!("line {n}: {code} is not a HCPCS Level II code"),
                ),
            }
        } else {
            f.add(
                &r::PROC_UNKNOWN,
                field,
                Some(i),
                format!(
                    "line {n}: {code} is neither a CPT code (5 digits, or 4 digits and F, T, U or M) nor a HCPCS Level II code"
                ),
            );
        }

        if l.modifiers.len() > MAX_MODIFIERS {
            f.add(
                &r::MODIFIER_COUNT,
                format!("lines[{i}].modifiers"),
                Some(i),
                format!("line {n} has {} modifiers; at most {MAX_MODIFIERS}", l.modifiers.len()),
            );
        }
        for (j, m) in l.modifiers.iter().enumerate() {
            if modifiers::modifier(m).is_none() {
                f.add(
                    &r::MODIFIER_UNKNOWN,
                    format!("lines[{i}].modifiers[{j}]"),
                    Some(i),
                    format!("line {n}: modifier {m} is neither a CPT nor a HCPCS Level II modifier"),
                );
            }
        }

        if diagnoses == 0 {
            continue;
        }
        let pointers = &l.line.diagnosis_pointers;
        if pointers.is_empty() {
            f.add(
                &r::POINTER_MISSING,
                format!("lines[{i}].diagnosis_pointers"),
                Some(i),
                format!("line {n} points to no diagnosis"),
            );
        }
        if pointers.len() > MAX_POINTERS {
            f.add(
                &r::POINTER_COUNT,
                format!("lines[{i}].diagnosis_pointers"),
                Some(i),
                format!("line {n} has {} diagnosis pointers; at most {MAX_POINTERS}", pointers.len()),
            );
        }
        for (j, p) in pointers.iter().enumerate() {
            if *p == 0 || *p > diagnoses {
                f.add(
                    &r::POINTER_INVALID,
                    format!("lines[{i}].diagnosis_pointers[{j}]"),
                    Some(i),
                    format!("line {n}: diagnosis pointer {p} points past the claim's {diagnoses} diagnoses"),
                );
            }
        }
    }
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

#[cfg(test)]
mod tests {
    use crate::decide::testing::*;

    #[test]
    fn a_diagnosis_is_a_code_of_the_version_in_force() {
        let good = run(&clean());
        // Given an unknown code
        let mut bad = clean();
        bad.diagnosis_codes = vec!["I10".into(), "Z99.99".into()];
        let f = trips("SCRUB-DX-UNKNOWN", &run(&bad), &good);
        assert_eq!((f[0].field.as_str(), f[0].source.ends_with("; FY2026")), ("diagnosis_codes[1]", true));
        // Given S30.1XXA, deleted in FY2026, on a FY2026 date; and on a FY2025 date
        let mut deleted = clean();
        deleted.diagnosis_codes = vec!["S301XXA".into()];
        let mut in_fy2025 = deleted.clone();
        in_fy2025.service_date = "2025-09-30".into();
        for l in &mut in_fy2025.lines {
            l.service_date = "2025-09-30".into();
        }
        let f = trips("SCRUB-DX-NOT-IN-FORCE", &run(&deleted), &run(&in_fy2025));
        assert!(f[0].message.contains("it is in FY2025"), "{}", f[0].message);
    }

    #[test]
    fn a_diagnosis_is_billable_not_a_heading() {
        // Given E11 (a category heading), and E11.9 written with its dot in lower case
        let mut bad = clean();
        bad.diagnosis_codes = vec!["E11".into()];
        let mut good = clean();
        good.diagnosis_codes = vec!["e11.9".into()];
        let s = run(&bad);
        let f = trips("SCRUB-DX-HEADER", &s, &run(&good));
        assert!(f[0].message.contains("E11.0"), "{}", f[0].message);
        assert!(run(&good).passes());
    }

    #[test]
    fn at_most_twelve_diagnoses() {
        let codes =
            ["I10", "E119", "J069", "K219", "N390", "E785", "J45909", "M1711", "F329", "R0602", "R051", "M5450"];
        let mut good = clean();
        good.diagnosis_codes = codes.iter().map(|c| c.to_string()).collect();
        let mut bad = good.clone();
        bad.diagnosis_codes.push("Z0000".into());
        trips("SCRUB-DX-COUNT", &run(&bad), &run(&good));
    }

    #[test]
    fn a_date_no_icd_version_covers_says_so() {
        // Given a claim of 2024-08-15 (before FY2025, the oldest version loaded)
        let old = in_q3_2024(clean());
        // Then FY2025 judges it, with a warning; a FY2026 claim has none
        let s = run(&old);
        let f = trips("SCRUB-DX-NO-DATA", &s, &run(&clean()));
        assert!(f[0].message.contains("nearest, FY2025"), "{}", f[0].message);
        assert!(s.passes());
    }

    #[test]
    fn a_procedure_is_a_cpt_or_hcpcs_code() {
        // Given a code of neither form, and a HCPCS-shaped code no HCPCS file holds, on a date
        // the file covers
        let mut bad = in_q3_2024(clean());
        bad.lines[1].procedure_code = "7104".into();
        let s = run(&bad);
        trips("SCRUB-PROC-UNKNOWN", &s, &run(&in_q3_2024(clean())));
        bad.lines[1].procedure_code = "A9998".into();
        trips("SCRUB-PROC-UNKNOWN", &run(&bad), &run(&in_q3_2024(clean())));
    }

    #[test]
    fn a_hcpcs_code_is_judged_by_its_dates() {
        // Given A4397, terminated 2021-12-31, on 2026-03-02; and A0021 (active)
        let mut bad = clean();
        bad.lines[1].procedure_code = "A4397".into();
        let mut good = clean();
        good.lines[1].procedure_code = "A0021".into();
        let f = trips("SCRUB-PROC-NOT-IN-FORCE", &run(&bad), &run(&good));
        assert!(f[0].message.contains("its last day was 2021-12-31"), "{}", f[0].message);
    }

    #[test]
    fn a_hcpcs_code_newer_than_the_file_is_a_warning() {
        // Given a HCPCS-shaped code the 2024-07 file lacks (A9998), on 2026-03-02
        let mut new = clean();
        new.lines[1].procedure_code = "A9998".into();
        let mut known = clean();
        known.lines[1].procedure_code = "A0021".into();
        let s = run(&new);
        trips("SCRUB-PROC-NO-DATA", &s, &run(&known));
        assert!(of(&s, "SCRUB-PROC-UNKNOWN").is_empty());
    }

    #[test]
    fn a_cpt_number_cms_does_not_carry_is_a_warning() {
        // Given 99999 (CPT-shaped, in no CMS table) and 99214
        let mut bad = clean();
        bad.lines[1].procedure_code = "99999".into();
        let mut good = clean();
        good.lines[1].procedure_code = "93000".into();
        let s = run(&bad);
        trips("SCRUB-CPT-NOT-CARRIED", &s, &run(&good));
    }

    #[test]
    fn modifiers_are_known_and_at_most_four() {
        let mut bad = clean();
        bad.lines[1].modifiers = vec!["ZZ".into()];
        let mut good = clean();
        good.lines[1].modifiers = vec!["xs".into()];
        let f = trips("SCRUB-MODIFIER-UNKNOWN", &run(&bad), &run(&good));
        assert_eq!(f[0].field, "lines[1].modifiers[0]");
        let mut five = clean();
        five.lines[1].modifiers = ["26", "59", "LT", "RT", "XS"].map(String::from).to_vec();
        let mut four = five.clone();
        four.lines[1].modifiers.pop();
        trips("SCRUB-MODIFIER-COUNT", &run(&five), &run(&four));
    }

    #[test]
    fn diagnosis_pointers_point_into_the_diagnoses() {
        let mut two = clean();
        two.diagnosis_codes.push("E119".into());
        // Given a line pointing at diagnosis 3 of 2, another at 0
        let mut bad = two.clone();
        bad.lines[0].diagnosis_pointers = vec![1, 3];
        bad.lines[1].diagnosis_pointers = vec![0];
        let mut good = two.clone();
        good.lines[0].diagnosis_pointers = vec![1, 2];
        let s = run(&bad);
        let f = trips("SCRUB-POINTER-INVALID", &s, &run(&good));
        let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["lines[0].diagnosis_pointers[1]", "lines[1].diagnosis_pointers[0]"]);
        // Given a line with no pointer, and one with five
        let mut none = two.clone();
        none.lines[1].diagnosis_pointers.clear();
        trips("SCRUB-POINTER-MISSING", &run(&none), &run(&two));
        let mut five = two.clone();
        five.diagnosis_codes.extend(["J069", "K219", "N390"].map(String::from));
        let mut four = five.clone();
        five.lines[0].diagnosis_pointers = vec![1, 2, 3, 4, 5];
        four.lines[0].diagnosis_pointers = vec![1, 2, 3, 4];
        trips("SCRUB-POINTER-COUNT", &run(&five), &run(&four));
    }
}
