use super::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn fy2026() -> &'static Version {
    Icd10Cm::shipped().for_date(day("2026-01-15")).version()
}

fn words_of(description: &str) -> Vec<String> {
    description.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase).collect()
}

fn codes(found: &[Code<'_>]) -> Vec<String> {
    found.iter().map(|c| c.code.to_owned()).collect()
}

#[test]
fn shipped_versions_and_counts() {
    let icd = Icd10Cm::shipped();
    let names: Vec<&str> = icd.versions().iter().map(Version::name).collect();
    assert_eq!(names, ["FY2025", "FY2026"]);
    let [fy2025, fy2026] = icd.versions() else { panic!("two versions") };
    assert_eq!((fy2025.effective_from(), fy2025.effective_to()), (day("2024-10-01"), Some(day("2025-09-30"))));
    assert_eq!((fy2026.effective_from(), fy2026.effective_to()), (day("2025-10-01"), Some(day("2026-09-30"))));
    // The CMS order-file counts of each release: billable codes and headers.
    assert_eq!((fy2025.len(), fy2025.iter().filter(|c| c.billable).count()), (97_584, 74_260));
    assert_eq!((fy2026.len(), fy2026.iter().filter(|c| c.billable).count()), (98_186, 74_719));
    assert!(fy2026.iter().zip(fy2026.iter().skip(1)).all(|(a, b)| a.code < b.code));
}

#[test]
fn an_entry_is_twenty_bytes() {
    assert_eq!(size_of::<Entry>(), 20);
}

#[test]
fn billable_code_and_header() {
    let v = fy2026();
    for written in ["E11.9", "e119", " E119 ", "e11.9"] {
        let code = v.get(written).unwrap_or_else(|| panic!("{written:?}"));
        assert_eq!(code.code, "E119");
        assert!(code.billable);
        assert_eq!(code.description, "Type 2 diabetes mellitus without complications");
        assert_eq!(code.dotted(), "E11.9");
    }
    for malformed in ["E1.19", "E11..9", "E11.9.", "E119XXXX", "", "119", "E11 9"] {
        assert!(v.get(malformed).is_none(), "{malformed:?}");
    }
    let e11 = v.get("E11").unwrap();
    assert!(!e11.billable);
    assert_eq!(e11.dotted(), "E11");
    let children = v.billable_children("E11", 1000);
    assert!(children.iter().any(|c| c.code == "E119"));
    assert!(children.iter().all(|c| c.billable && c.code.starts_with("E11") && c.code != "E11"));
    assert!(children.windows(2).all(|w| w[0].code < w[1].code));
    assert_eq!(children.len(), 87);
    assert_eq!(codes(&v.billable_children("e11.6", 3)), ["E11610", "E11618", "E11620"]);
    assert!(v.billable_children("E11.9", 10).is_empty(), "a billable code has nothing under it");
}

#[test]
fn seventh_character_code_with_chapter_and_block() {
    let v = fy2026();
    let code = v.get("S72.001A").unwrap();
    assert!(code.billable);
    assert_eq!(code.code, "S72001A");
    assert_eq!(code.dotted(), "S72.001A");
    assert_eq!(
        code.description,
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    );
    assert_eq!(code.chapter.id, "19");
    assert_eq!(
        code.chapter.description,
        "Injury, poisoning and certain other consequences of external causes (S00-T88)"
    );
    assert_eq!(code.block.id, "S70-S79");
    assert_eq!(code.block.description, "Injuries to the hip and thigh (S70-S79)");
    assert!(!v.get("S72.001").unwrap().billable, "the 6-character code is a header once 7th characters apply");
    // Placeholder X: the 7th character of a 4-character subcategory.
    let fetus = v.get("O32.0XX1").unwrap();
    assert_eq!(fetus.description, "Maternal care for unstable lie, fetus 1");
    // D and S do not apply to S06 codes for death before regaining consciousness.
    assert!(v.get("S06.1X7A").is_some());
    assert!(v.get("S06.1X7D").is_none());
}

#[test]
fn judged_by_the_version_in_force_on_the_date() {
    let icd = Icd10Cm::shipped();
    let in_fy2025 = icd.for_date(day("2025-09-30"));
    assert!(in_fy2025.in_force());
    assert_eq!(in_fy2025.version().name(), "FY2025");
    let in_fy2026 = icd.for_date(day("2025-10-01"));
    assert!(in_fy2026.in_force());
    assert_eq!(in_fy2026.version().name(), "FY2026");
    let (fy2025, fy2026) = (in_fy2025.version(), in_fy2026.version());

    // Contusion of abdominal wall: deleted in FY2026 (expanded into S30.1-).
    assert!(fy2025.get("S30.1XXA").is_some_and(|c| c.billable));
    assert!(fy2026.get("S30.1XXA").is_none());
    // Multiple sclerosis: billable in FY2025, a header with children in FY2026.
    assert!(fy2025.get("G35").unwrap().billable);
    assert!(!fy2026.get("G35").unwrap().billable);
    assert!(fy2026.billable_children("G35", 10).iter().any(|c| c.code == "G35A"));
    // Type 2 diabetes in remission: added in FY2026.
    assert!(fy2025.get("E11.A").is_none());
    assert_eq!(fy2026.get("E11.A").unwrap().description, "Type 2 diabetes mellitus without complications in remission");
    // A description reworded between the releases.
    assert_eq!(
        fy2025.get("P09.6").unwrap().description,
        "Abnormal findings on neonatal screening for neonatal hearing loss"
    );
    assert_eq!(fy2026.get("P09.6").unwrap().description, "Abnormal findings on neonatal hearing screening");
    // Chapter 17 gained block QA0 in FY2026.
    assert_eq!(fy2026.get("QA0").unwrap().block.id, "QA0");
    assert!(fy2026.get("QA0").unwrap().chapter.description.ends_with("(Q00-QA0)"));
    assert!(fy2025.get("QA0").is_none());

    // The other version tells why a code unknown on a date is still a code.
    assert_eq!(icd.other_version_with("S301XXA", fy2026).map(|v| v.name()), Some("FY2025"));
    assert_eq!(icd.other_version_with("E11A", fy2025).map(|v| v.name()), Some("FY2026"));
    assert!(icd.other_version_with("E11999", fy2026).is_none());
    assert_eq!(icd.newest().name(), "FY2026");
    assert_eq!(fy2026.in_force_text(), "in force 2025-10-01 to 2026-09-30");
}

#[test]
fn nearest_version_outside_every_range() {
    let icd = Icd10Cm::shipped();
    let later = icd.for_date(day("2026-10-01"));
    assert!(!later.in_force());
    assert!(matches!(later, VersionChoice::Nearest(v) if v.name() == "FY2026"));
    let earlier = icd.for_date(day("2024-09-30"));
    assert!(!earlier.in_force());
    assert_eq!(earlier.version().name(), "FY2025");
}

const GROUPS: &str = "kind\tid\tparent\tdescription\n\
    chapter\t1\t\tCertain infectious and parasitic diseases (A00-B99)\n\
    block\tA00-A09\t1\tIntestinal infectious diseases (A00-A09)\n";
const CODES: &str = "code\tbillable\tkind\tparent\tchapter\tblock\tdescription\n\
    A00\t0\tcategory\t\t1\tA00-A09\tCholera\n\
    A000\t1\tsubcategory\tA00\t1\tA00-A09\tCholera due to Vibrio cholerae 01, biovar cholerae\n\
    A009\t1\tsubcategory\tA00\t1\tA00-A09\tCholera, unspecified\n";

fn tiny(name: &str, from: &str, to: Option<&str>) -> Version {
    Version::from_tsv(name, day(from), to.map(day), CODES, GROUPS).unwrap()
}

#[test]
fn versions_may_not_overlap() {
    let overlapping =
        Icd10Cm::new(vec![tiny("B", "2025-10-01", Some("2026-09-30")), tiny("A", "2024-10-01", Some("2025-10-01"))]);
    assert_eq!(overlapping.unwrap_err(), CodeSetError::Overlap { first: "A".into(), second: "B".into() });
    let open_ended_first = Icd10Cm::new(vec![tiny("A", "2024-10-01", None), tiny("B", "2025-10-01", None)]);
    assert!(matches!(open_ended_first, Err(CodeSetError::Overlap { .. })));
    let backwards = Icd10Cm::new(vec![tiny("A", "2024-10-01", Some("2024-09-30"))]);
    assert!(matches!(backwards, Err(CodeSetError::EmptyRange { .. })));
    assert_eq!(Icd10Cm::new(Vec::new()).unwrap_err(), CodeSetError::NoVersions);

    // Given out of order, with a gap: sorted, and a date in the gap goes to the closer version.
    let icd = Icd10Cm::new(vec![tiny("B", "2025-10-01", None), tiny("A", "2024-10-01", Some("2024-12-31"))]).unwrap();
    assert_eq!(icd.versions()[0].name(), "A");
    assert_eq!(icd.for_date(day("2025-02-01")).version().name(), "A");
    assert_eq!(icd.for_date(day("2025-09-01")).version().name(), "B");
    assert!(!icd.for_date(day("2025-09-01")).in_force());
    assert!(icd.for_date(day("2099-01-01")).in_force(), "open-ended");
    assert_eq!(icd.versions()[1].get("a00.9").unwrap().block.id, "A00-A09");
}

#[test]
fn inconsistent_files_are_refused_with_the_line() {
    let load = |codes: &str| Version::from_tsv("T", day("2025-10-01"), None, codes, GROUPS).unwrap_err();
    let header = CODES.lines().next().unwrap();
    let line = |err: CodeSetError| match err {
        CodeSetError::Data { line, .. } => line,
        other => panic!("{other}"),
    };
    // A header without children, and a billable code with children.
    assert_eq!(line(load(&format!("{header}\nA00\t0\tcategory\t\t1\tA00-A09\tCholera\n"))), 2);
    assert_eq!(line(load(&CODES.replace("A00\t0\t", "A00\t1\t"))), 2);
    assert_eq!(line(load(&format!("{CODES}A009\t1\tsubcategory\tA00\t1\tA00-A09\tagain\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A019\t1\tsubcategory\tA00\t1\tA00-A09\tnot under A00\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A019\t1\tsubcategory\tA01\t1\tA00-A09\tno A01\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A01\t1\tcategory\t\t1\tB00-B09\tunknown block\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A01\t1\tcategory\t\t2\tA00-A09\tunknown chapter\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A0.1\t1\tcategory\t\t1\tA00-A09\tdotted\n"))), 5);
    assert_eq!(line(load(&format!("{CODES}A01\t1\tcategory\t1\tA00-A09\tsix fields\n"))), 5);
    assert_eq!(line(load(&CODES.replace("code\t", "kode\t"))), 1);
}

#[test]
fn search_by_code_prefix() {
    let v = fy2026();
    for query in ["E11.6", "e116", " E11.6 "] {
        let found = v.search(query, 50);
        assert_eq!(found[0].code, "E116", "exact code first for {query:?}");
        assert!(found.iter().all(|c| c.code.starts_with("E116")));
        assert!(found.windows(2).all(|w| w[0].code < w[1].code));
        assert!(found.iter().any(|c| !c.billable) && found.iter().any(|c| c.billable), "headers and billable codes");
    }
    assert_eq!(codes(&v.search("S72.001", 3)), ["S72001", "S72001A", "S72001B"]);
    assert_eq!(v.search("QA0", 1)[0].code, "QA0");
    assert_eq!(v.search("qa", 1)[0].code, "QA0", "a word matching nothing is tried as a code start");
    assert_eq!(v.search("E11.9", 10).len(), 1);
    assert!(v.search("E11", 0).is_empty());
}

#[test]
fn search_by_words_ranks_billable_and_shorter_descriptions_first() {
    let v = fy2026();
    let found = v.search("type 2 diabetes mellitus without complications", 10);
    assert_eq!(found[0].code, "E119");
    let found = v.search("Type 2 Diabetes", 500);
    assert_eq!(found.len(), 126, "every code whose description has all three words");
    for c in &found {
        let words = words_of(c.description);
        assert!(
            ["type", "2", "diabetes"].iter().all(|w| words.iter().any(|x| x == w)),
            "{}: {}",
            c.code,
            c.description
        );
    }
    let first_header = found.iter().position(|c| !c.billable).unwrap_or(found.len());
    assert!(found[first_header..].iter().all(|c| !c.billable), "billable codes first");
    assert_eq!(codes(&v.search("diabetes 2 TYPE", 500)), codes(&found), "deterministic, word order aside");
    // Accents fold, every word must match, order of words does not matter.
    assert!(v.search("sezary disease", 5).iter().all(|c| c.code.starts_with("C841")));
    assert_eq!(codes(&v.search("femur fracture neck right", 5)), codes(&v.search("fracture neck right femur", 5)));
    assert!(v.search("diabetes zzzz", 5).is_empty());
    assert!(v.search("", 5).is_empty() && v.search(" - ", 5).is_empty());
}

#[test]
fn search_with_a_partial_last_word() {
    let v = fy2026();
    let found = v.search("essential hypert", 5);
    assert_eq!(found[0].code, "I10");
    let found = v.search("diabetes mellitus without compl", 20);
    assert!(found.iter().any(|c| c.code == "E119"));
    let found = v.search("fracture of neck of right fem", 30);
    assert!(!found.is_empty());
    for c in &found {
        let words = words_of(c.description);
        assert!(["fracture", "of", "neck", "right"].iter().all(|w| words.iter().any(|x| x == w)), "{}", c.description);
        assert!(words.iter().any(|w| w.starts_with("fem")), "{}", c.description);
    }
    // A complete word that is no word of any description is read as an abbreviation.
    assert_eq!(v.search("essential hypert ", 5)[0].code, "I10");
    assert!(v.search("essential hyperzz ", 5).is_empty());
    // A single letter as the only word still answers, billable codes first.
    let any_f = v.search("f", 10);
    assert_eq!(any_f.len(), 10);
    assert!(any_f.iter().all(|c| c.billable));
}

/// The index against a plain scan of every description, with queries that take each path:
/// intersections, a prefix re-read on candidates, a prefix marked once, a prefix alone.
#[test]
fn search_agrees_with_a_plain_scan() {
    let v = fy2026();
    let mut buf = String::new();
    let scanned: Vec<(Code<'_>, Vec<String>)> = v
        .iter()
        .map(|c| {
            let mut words = Vec::new();
            crate::text::for_each_word(c.description, &mut buf, |w| words.push(w.to_owned()));
            words.sort();
            words.dedup();
            (c, words)
        })
        .collect();
    for query in [
        "type 2 diabetes ",
        "fracture of f",
        "encounter pn",
        "of",
        "f",
        "pressure ulcer of sacral region stage",
        "Sézary",
        "right ear",
        "xyz",
    ] {
        let mut words = Vec::new();
        crate::text::for_each_word(query, &mut buf, |w| words.push(w.to_owned()));
        let prefix = if query.ends_with(char::is_alphanumeric) { words.pop() } else { None };
        let mut expected: Vec<&(Code<'_>, Vec<String>)> = scanned
            .iter()
            .filter(|(_, have)| {
                words.iter().all(|w| have.contains(w))
                    && prefix.as_ref().is_none_or(|p| have.iter().any(|w| w.starts_with(p.as_str())))
            })
            .collect();
        // Billable first, then fewer distinct words; the sort is stable, so code order after.
        expected.sort_by_key(|(c, have)| (!c.billable, have.len()));
        let expected: Vec<String> = expected.iter().take(20).map(|(c, _)| c.code.to_owned()).collect();
        assert_eq!(codes(&v.search(query, 20)), expected, "{query:?}");
    }
}
