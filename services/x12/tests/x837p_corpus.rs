//! 837P: a varied corpus written by us passes the independent validator (pyx12) and reads back to the
//! same model; the writer refuses what the guide forbids; other systems' 837Ps read.

use proptest::prelude::*;
use rcm_x12::X12Error;
use rcm_x12::syntax::{Delimiters, clean_text};
use rcm_x12::x837p::{self, Interchange837, WriteOptions, parse_837p, sample, write_837p, write_837p_with};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/837p").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The corpus: 8 interchanges, 240 claims in all.
fn corpus() -> Vec<Interchange837> {
    (1..=8).map(|seed| sample::interchange(seed, 3, 10)).collect()
}

#[test]
fn corpus_exercises_every_optional_loop() {
    let claims: Vec<_> =
        corpus().into_iter().flat_map(|i| i.groups).flat_map(|g| g.transactions).flat_map(|t| t.claims).collect();
    assert!(claims.len() >= 200);
    let count = |f: &dyn Fn(&x837p::Claim) -> bool| claims.iter().filter(|c| f(c)).count();
    let checks: [(&str, usize); 16] = [
        ("patient not subscriber", count(&|c| c.patient.is_some())),
        ("pay-to address", count(&|c| c.pay_to_address.is_some())),
        ("billing contact", count(&|c| c.billing_provider.contact.is_some())),
        ("prior authorization", count(&|c| c.prior_authorization.is_some())),
        ("corrected claim", count(&|c| c.frequency == "7" && c.payer_claim_control_number.is_some())),
        ("void claim", count(&|c| c.frequency == "8" && c.payer_claim_control_number.is_some())),
        ("note", count(&|c| c.note.is_some())),
        ("onset date", count(&|c| c.onset_date.is_some())),
        ("referring", count(&|c| c.referring_provider.is_some())),
        ("rendering with taxonomy", count(&|c| c.rendering_provider.as_ref().is_some_and(|p| p.taxonomy.is_some()))),
        ("secondary, claim-level", count(&|c| c.other_subscribers.iter().any(|o| !o.adjustments.is_empty()))),
        ("secondary, line-level", count(&|c| c.lines.iter().any(|l| !l.adjudications.is_empty()))),
        ("date range", count(&|c| c.lines.iter().any(|l| l.service_date_end.is_some()))),
        ("four modifiers", count(&|c| c.lines.iter().any(|l| l.procedure.modifiers.len() == 4))),
        ("twelve diagnoses", count(&|c| c.diagnoses.len() == 12)),
        ("more than 12 lines", count(&|c| c.lines.len() > 12)),
    ];
    for (what, n) in checks {
        assert!(n > 0, "no claim in the corpus has: {what}");
    }
    assert!(claims.iter().map(|c| c.lines.len()).max() >= Some(40));
    assert!(claims.iter().any(|c| c.subscriber.name.last.contains('\'')), "apostrophes in names");
}

/// Runs the validator named by `X12VALIDATE` (the project's `tools/x12validate`, which `just test`
/// sets) over every file. Without it the test says so and checks nothing else.
#[test]
fn corpus_passes_pyx12() {
    let Some(validator) = std::env::var_os("X12VALIDATE") else {
        eprintln!("X12VALIDATE is not set: skipping the pyx12 run (just test sets it)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("rcm-837-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, ic) in corpus().iter().enumerate() {
        let opts = WriteOptions { line_breaks: i % 2 == 0, ..WriteOptions::default() };
        let p = dir.join(format!("corpus-{i}.837"));
        std::fs::write(&p, write_837p_with(ic, opts).unwrap()).unwrap();
        files.push(p);
    }
    let out = std::process::Command::new(validator).arg("-q").args(&files).output().expect("run the validator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "pyx12 found errors:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS ")).count(), files.len(), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Written then read gives back the same interchange, with and without line breaks, and with
    /// delimiters other than the usual ones.
    #[test]
    fn round_trip(seed in 0u64..1_000_000, transactions in 1usize..4, claims in 1usize..15, alt in any::<bool>(), breaks in any::<bool>()) {
        let ic = sample::interchange(seed, transactions, claims);
        let delimiters = if alt {
            Delimiters { element: b'|', component: b'>', repetition: Some(b'!'), segment: b'\n' }
        } else {
            Delimiters::default()
        };
        // Under other delimiters the sample's cleaned text may hold the new ones: clean again.
        let ic = if alt { reclean(ic, &delimiters) } else { ic };
        let text = write_837p_with(&ic, WriteOptions { delimiters, line_breaks: breaks && !alt }).unwrap();
        let doc = parse_837p(text.as_bytes()).unwrap();
        prop_assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        prop_assert_eq!(doc.interchanges.len(), 1);
        prop_assert_eq!(&doc.interchanges[0], &ic);
    }
}

fn reclean(mut ic: Interchange837, d: &Delimiters) -> Interchange837 {
    let fix = |s: &mut compact_str::CompactString| *s = clean_text(s, d);
    for t in ic.groups.iter_mut().flat_map(|g| &mut g.transactions) {
        for c in &mut t.claims {
            if let Some(n) = &mut c.note {
                fix(&mut n.text);
            }
            for a in [Some(&mut c.billing_provider.address), c.pay_to_address.as_mut(), c.subscriber.address.as_mut()]
                .into_iter()
                .flatten()
            {
                fix(&mut a.line1);
                if let Some(l) = &mut a.line2 {
                    fix(l);
                }
            }
            if let Some(p) = &mut c.patient {
                fix(&mut p.address.line1);
            }
            if let Some(a) = &mut c.payer.address {
                fix(&mut a.line1);
            }
            for o in &mut c.other_subscribers {
                if let Some(a) = &mut o.payer.address {
                    fix(&mut a.line1);
                }
            }
        }
    }
    ic
}

fn one_claim() -> Interchange837 {
    let mut ic = sample::interchange(42, 1, 1);
    let c = &mut ic.groups[0].transactions[0].claims[0];
    c.frequency = "1".into();
    c.payer_claim_control_number = None;
    ic
}

fn write_error(ic: &Interchange837) -> String {
    match write_837p(ic) {
        Err(e @ X12Error::Write { .. }) => e.to_string(),
        other => panic!("expected a write error, got {other:?}"),
    }
}

#[test]
fn writer_refuses_claims_the_guide_forbids() {
    let mut ic = one_claim();
    ic.groups[0].transactions[0].claims[0].total_charge += 1;
    assert!(write_error(&ic).contains("CLM02"));

    let mut ic = one_claim();
    let c = &mut ic.groups[0].transactions[0].claims[0];
    c.lines[0].diagnosis_pointers = vec![13];
    assert!(write_error(&ic).contains("SV107"));

    let mut ic = one_claim();
    ic.groups[0].transactions[0].claims[0].frequency = "7".into();
    assert!(write_error(&ic).contains("REF*F8"));

    let mut ic = one_claim();
    ic.groups[0].transactions[0].claims[0].subscriber.name.last = "SMITH*JONES".into();
    let e = write_error(&ic);
    assert!(e.contains("last name") && e.contains("delimiter"), "{e}");
    assert!(!e.contains("SMITH"), "no PHI in the message: {e}");

    let mut ic = one_claim();
    ic.groups[0].transactions[0].claims[0].subscriber.name.last = "Müller".into();
    assert!(write_error(&ic).contains("outside the X12 character set"));

    let mut ic = one_claim();
    ic.groups[0].transactions[0].claims[0].diagnoses.clear();
    assert!(write_error(&ic).contains("HI"));
}

#[test]
fn reads_837p_from_other_systems() {
    for rel in [
        "imsweb-x12-parser/837_5010/x12_valid.txt",
        "imsweb-x12-parser/837_5010/x12_valid_different_separators.txt",
        "imsweb-x12-parser/837_5010/x12_multiple_isa.txt",
        "imsweb-x12-parser/837_5010/x12_multiple_gs.txt",
        "imsweb-x12-parser/837_5010/x12_many_claims.txt",
        "linuxforhealth-x12/837_005010X222A2/demo.example1.837",
        "linuxforhealth-x12/837_005010X222A2/demo.cob.2ndary.example4.837",
        "linuxforhealth-x12/837_005010X222A2/demo.ambulance.example5.837",
    ] {
        let doc = parse_837p(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(doc.claims().count() > 0, "{rel}: no claims");
        for c in doc.claims() {
            assert!(!c.patient_control_number.is_empty(), "{rel}");
            assert!(!c.lines.is_empty(), "{rel}: a claim without lines");
        }
    }
    let many = parse_837p(&fixture("imsweb-x12-parser/837_5010/x12_many_claims.txt")).unwrap();
    assert_eq!(many.claims().count(), 820);
    let multi = parse_837p(&fixture("imsweb-x12-parser/837_5010/x12_multiple_isa.txt")).unwrap();
    assert!(multi.interchanges.len() > 1);

    let ex1 = parse_837p(&fixture("linuxforhealth-x12/837_005010X222A2/demo.example1.837")).unwrap();
    let c = ex1.claims().next().unwrap();
    assert_eq!(c.patient_control_number, "26463774");
    assert_eq!(c.total_charge, 10000);
    assert_eq!(c.diagnoses, ["0340", "V7389"]);
    assert_eq!(c.lines.len(), 4);
    assert!(c.patient.is_some(), "the example's patient is a dependant");
}

#[test]
fn broken_837_files_give_clear_errors() {
    let e = parse_837p(&fixture("imsweb-x12-parser/837_5010/x12_no_isa_line.txt")).unwrap_err();
    assert!(matches!(e, X12Error::NotX12(_)), "{e}");
    let e = parse_837p(&fixture("imsweb-x12-parser/837_5010/x12_bad_segment_identifier.txt")).unwrap_err();
    assert!(e.to_string().contains("segment identifier") && e.position().is_some(), "{e}");
    // A 105-character ISA (one field not padded) is read, as payers send such files, but reported.
    let doc = parse_837p(&fixture("imsweb-x12-parser/837_5010/x12_bad_first_line.txt")).unwrap();
    let codes: Vec<_> = doc.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["envelope.isa_width", "envelope.se_count"]);
    assert!(doc.findings[0].message.contains("105 characters"));
    // An ISA cut short is an error.
    let isa = &fixture("imsweb-x12-parser/837_5010/x12_valid.txt")[..80];
    let e = parse_837p(isa).unwrap_err();
    assert!(matches!(e, X12Error::Truncated(_) | X12Error::Isa(_)), "{e}");
}
