//! Unit tests: balancing, the writer (with pyx12 when `X12VALIDATE` names a validator), round trips
//! and malformed input.

use super::generate::{sample_835, sample_headers, sample_remittance};
use super::*;
use crate::error::{Severity, X12Error};
use crate::syntax::{Delimiters, parse_interchanges};
use proptest::prelude::*;

/// A small balanced 835: two claims, the second with two service lines, and a PLB.
///
/// BPR02 140 = CLP04 (100 + 60) - PLB 20. Claim 1: 120 - 100 = CAS 20. Claim 2: 200 - 60 = claim CAS
/// 10 + line CAS 30 + 100; line 1: 80 - 50 = 30; line 2: 120 - 20 = 60 + 40.
/// Segments: CLP at 14 and 18, SVC at 21 and 24, SE at 28.
const BALANCED: &str = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PROVIDER       *240102*1230*^*00501*000000007*0*T*:~\
GS*HP*PAYER*PROVIDER*20240102*1230*7*X*005010X221A1~\
ST*835*0001~\
BPR*I*140*C*CHK************20240105~\
TRN*1*CHK123*1999999999~\
DTM*405*20240102~\
N1*PR*ACME HEALTH~N3*1 MAIN ST~N4*TOWN*NY*10001~PER*BL*EDI*TE*8005551212~\
N1*PE*CLINIC*XX*1234567893~REF*TJ*123456789~\
LX*1~\
CLP*PCN1*1*120*100*20*12*ICN1*11*1~CAS*PR*1*20~NM1*QC*1*DOE*JANE****MI*M1~DTM*050*20240101~\
CLP*PCN2*1*200*60**12*ICN2*11*1~CAS*CO*253*10~NM1*QC*1*ROE*RICH****MI*M2~\
SVC*HC:99213*80*50**1~DTM*472*20231201~CAS*CO*45*30~\
SVC*HC:99214*120*20**1~DTM*472*20231201~CAS*CO*45*60**97*40~\
PLB*1234567893*20241231*WO:ICN9*20~\
SE*26*0001~GE*1*7~IEA*1*000000007~";

fn parse(text: &str) -> Document835 {
    parse_835(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn codes(doc: &Document835) -> Vec<&'static str> {
    doc.findings.iter().map(|f| f.code).collect()
}

#[test]
fn the_balanced_sample_has_no_findings() {
    let doc = parse(BALANCED);
    assert_eq!(codes(&doc), Vec::<&str>::new());
    let r = &doc.remittances[0];
    assert_eq!(r.claim_count(), 2);
    assert_eq!(r.provider_adjustments[0].items[0].amount, 2000);
    assert_eq!(balance_findings(r), vec![]);
}

#[test]
fn a_line_that_does_not_balance_unbalances_its_claim_too() {
    // Line 2's CO-45 goes from 60 to 61: line 2 and claim 2 are off by 1.00.
    let doc = parse(&BALANCED.replace("CAS*CO*45*60**97*40", "CAS*CO*45*61**97*40"));
    assert_eq!(codes(&doc), [balance::BALANCE_LINE, balance::BALANCE_CLAIM]);
    let (line, claim) = (&doc.findings[0], &doc.findings[1]);
    assert!(line.severity == Severity::Error && claim.severity == Severity::Error);
    assert!(line.message.starts_with("claim 2, service line 2 (SVC at segment 24)"), "{}", line.message);
    assert!(line.message.contains("100.00") && line.message.contains("101.00"), "{}", line.message);
    assert_eq!(line.position.map(|p| p.segment), Some(24));
    assert!(claim.message.starts_with("claim 2 (CLP at segment 18)"), "{}", claim.message);
    assert_eq!(claim.position.map(|p| p.segment), Some(18));
    // The same findings, without positions, from the model alone.
    let again = balance_findings(&doc.remittances[0]);
    assert_eq!(again.iter().map(|f| f.code).collect::<Vec<_>>(), [balance::BALANCE_LINE, balance::BALANCE_CLAIM]);
    assert!(again.iter().all(|f| f.position.is_none()));
}

#[test]
fn claim_and_transaction_imbalances_are_reported_separately() {
    // Claim 1 pays 99 instead of 100 and BPR02 follows: only the claim is off.
    let doc = parse(&BALANCED.replace("*120*100*20*12*", "*120*99*20*12*").replace("BPR*I*140*", "BPR*I*139*"));
    assert_eq!(codes(&doc), [balance::BALANCE_CLAIM]);
    assert!(doc.findings[0].message.starts_with("claim 1 "), "{}", doc.findings[0].message);

    // BPR02 alone is off.
    let doc = parse(&BALANCED.replace("BPR*I*140*", "BPR*I*170*"));
    assert_eq!(codes(&doc), [balance::BALANCE_TRANSACTION]);
    let f = &doc.findings[0];
    assert_eq!(f.position.map(|p| p.segment), Some(4));
    assert!(f.message.contains("BPR02 is 170.00") && f.message.contains("is 140.00"), "{}", f.message);

    // A PLB reduces the payment: with it removed, BPR02 must be 160.
    let without_plb = BALANCED.replace("PLB*1234567893*20241231*WO:ICN9*20~", "").replace("SE*26*", "SE*25*");
    assert_eq!(codes(&parse(&without_plb)), [balance::BALANCE_TRANSACTION]);
    assert_eq!(codes(&parse(&without_plb.replace("BPR*I*140*", "BPR*I*160*"))), Vec::<&str>::new());
    // A negative PLB amount (interest) increases it.
    let interest = BALANCED.replace("WO:ICN9*20~", "WO:ICN9*20*L6*-5~").replace("BPR*I*140*", "BPR*I*145*");
    assert_eq!(codes(&parse(&interest)), Vec::<&str>::new());
}

#[test]
fn findings_do_not_show_names_or_ids() {
    let doc = parse(&BALANCED.replace("*120*100*20*12*", "*121*100*20*12*").replace("BPR*I*140*", "BPR*I*1*"));
    assert_eq!(codes(&doc), [balance::BALANCE_CLAIM, balance::BALANCE_TRANSACTION]);
    for f in &doc.findings {
        for value in ["DOE", "JANE", "M1", "PCN1", "ICN1", "CLINIC"] {
            assert!(!f.message.contains(value), "{value} in {}", f.message);
        }
    }
}

#[test]
fn unexpected_segments_are_skipped_with_a_warning() {
    let text = BALANCED.replace("NM1*QC*1*DOE*JANE****MI*M1~", "NM1*QC*1*DOE*JANE****MI*M1~ZZZ*SECRET~");
    let doc = parse(&text.replace("SE*26*", "SE*27*"));
    assert_eq!(codes(&doc), [codes::UNEXPECTED_SEGMENT]);
    assert_eq!(doc.findings[0].severity, Severity::Warning);
    assert!(doc.findings[0].message.starts_with("ZZZ is not expected in loop 2100"), "{}", doc.findings[0].message);
    assert!(!doc.findings[0].message.contains("SECRET"));
    assert_eq!(doc.remittances[0].claim_count(), 2);
}

#[test]
fn claims_without_lx_are_kept_in_group_zero() {
    let doc = parse(&BALANCED.replace("LX*1~", "").replace("SE*26*", "SE*25*"));
    assert_eq!(codes(&doc), [codes::CLAIM_WITHOUT_LX]);
    assert_eq!(doc.remittances[0].claim_groups[0].number, 0);
    assert_eq!(doc.remittances[0].claim_count(), 2);
}

#[test]
fn bad_values_are_errors_at_their_segment() {
    let e = parse_835(BALANCED.replace("*120*100*20*12*", "*12O*100*20*12*").as_bytes()).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, pos, .. } if element == "CLP03" && pos.segment == 14), "{e}");
    assert!(!e.to_string().contains("12O"), "{e}");
    let e = parse_835(BALANCED.replace("DTM*472*20231201~CAS*CO*45*30", "DTM*472*20231301~CAS*CO*45*30").as_bytes())
        .unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, pos, .. } if element == "DTM02" && pos.segment == 22), "{e}");
    let e = parse_835(BALANCED.replace("CAS*CO*45*60**97*40", "CAS*CO*45*60***40").as_bytes()).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, .. } if element == "CAS05"), "{e}");
    let e = parse_835(BALANCED.replace("BPR*I*140*", "BPR**140*").as_bytes()).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, .. } if element == "BPR01"), "{e}");
}

#[test]
fn written_then_read_gives_the_same_model() {
    for (claims, seed) in [(1, 0), (7, 1), (250, 2), (40, 3)] {
        let r = sample_remittance(claims, seed);
        assert_eq!(balance_findings(&r), vec![], "the generator makes balanced remittances");
        let (isa, gs) = sample_headers(seed);
        let text = write_835(&isa, &gs, std::slice::from_ref(&r)).expect("writes");
        let doc = parse(&text);
        assert_eq!(codes(&doc), Vec::<&str>::new());
        assert_eq!(doc.remittances, vec![r.clone()]);
        // With line breaks between segments as well.
        let options = WriteOptions { line_breaks: true, ..WriteOptions::default() };
        let text = write_835_with(&isa, &gs, std::slice::from_ref(&r), options).expect("writes");
        assert!(text.contains("~\nCLP*"));
        assert_eq!(parse(&text).remittances, vec![r]);
    }
}

#[test]
fn generated_files_have_about_the_size_asked_for() {
    let text = super::generate::sample_835_of_size(2_000_000, 3).expect("writes");
    assert!((1_800_000..2_200_000).contains(&text.len()), "{}", text.len());
    assert_eq!(text, super::generate::sample_835_of_size(2_000_000, 3).expect("writes"), "deterministic");
    assert_ne!(text, super::generate::sample_835_of_size(2_000_000, 4).expect("writes"));
}

#[test]
fn several_remittances_in_one_interchange() {
    let (isa, gs) = sample_headers(9);
    let mut rs = vec![sample_remittance(3, 9), sample_remittance(4, 10)];
    rs[1].control_number = "0002".into();
    rs[1].interchange_control_number = rs[0].interchange_control_number;
    rs[1].group_control_number = rs[0].group_control_number;
    let text = write_835(&isa, &gs, &rs).expect("writes");
    assert!(text.contains("GE*2*10~"), "{}", &text[text.len() - 40..]);
    let doc = parse(&text);
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    assert_eq!(doc.remittances, rs);
}

#[test]
fn fixtures_written_back_read_the_same() {
    for path in [
        "herophilus-assets/835 Sample (Professional Claims only-w payment).2014.txt",
        "herophilus-assets/835 Sample Pharmacy.2014.txt",
        "herophilus-assets/835 Inst Sample(Inpatient DRG Retro).txt",
        "pyx12/tests/835_mult_loops.txt",
        "edi-835-parser/united_healthcare_legacy_sample.txt",
    ] {
        let input = fixture(path);
        let file = parse_interchanges(&input).expect("envelopes");
        let ic = &file.interchanges[0];
        let doc = parse_835(&input).expect("reads");
        let text = write_835(&ic.header, &ic.groups[0].header, &doc.remittances).expect("writes");
        assert_eq!(parse(&text).remittances, doc.remittances, "{path}");
    }
}

/// A generated remittance with the segments the generator does not make: CUR, REF*F2, RDM, NM1*74,
/// MIA and MOA amounts, claim PER and QTY, line QTY, REF*0K, AMT*KH and LQ*RX, and two more PLB items.
fn kitchen_sink() -> Remittance {
    use rust_decimal::Decimal;
    let mut r = sample_remittance(12, 77);
    r.currency = Some("USD".into());
    r.version_id = Some("4010".into());
    r.payee.delivery =
        Some(RemittanceDelivery { method: "BM".into(), name: Some("BILLING OFFICE".into()), number: None });
    r.payee.references.push(Reference { qualifier: "PQ".into(), value: "P123".into() });
    r.payer.references.push(Reference { qualifier: "NF".into(), value: "12345".into() });
    let claim = r.claim_groups[0].claims.first_mut().expect("a claim");
    claim.names.push(EntityName {
        entity: "74".into(),
        entity_type: "1".into(),
        last_name: Some("CORRECTED".into()),
        first_name: Some("NAME".into()),
        middle_name: None,
        suffix: Some("JR".into()),
        id_qualifier: Some("C".into()),
        id: Some("NEWID123".into()),
    });
    claim.inpatient = Some(Box::new(InpatientAdjudication {
        covered_days: Decimal::from(3),
        pps_operating_outlier: Some(1050),
        lifetime_psychiatric_days: Some(Decimal::from(2)),
        claim_drg: Some(250_000),
        disproportionate_share: Some(1234),
        cost_report_days: Some(Decimal::from(3)),
        pps_capital_exception: Some(99),
        remark_codes: vec!["MA01".into(), "N130".into()],
        ..Default::default()
    }));
    claim.outpatient = Some(Box::new(OutpatientAdjudication {
        reimbursement_rate: Some(Decimal::new(85, 2)),
        hcpcs_payable: Some(1000),
        remark_codes: vec!["MA01".into(), "N20".into(), "M80".into()],
        esrd_payment: None,
        nonpayable_professional_component: Some(250),
    }));
    claim.contacts.push(Contact {
        function: "CX".into(),
        name: Some("CLAIMS".into()),
        communications: vec![
            Communication { qualifier: "TE".into(), number: "8005551212".into() },
            Communication { qualifier: "EX".into(), number: "123".into() },
        ],
    });
    claim.quantities.push(QuantityRef { qualifier: "CA".into(), quantity: Decimal::new(25, 1) });
    if let Some(line) = claim.lines.first_mut() {
        line.quantities.push(QuantityRef { qualifier: "ZK".into(), quantity: Decimal::from(1) });
        line.remarks.push(Remark { qualifier: "RX".into(), code: "65".into() });
        line.references.push(Reference { qualifier: "0K".into(), value: "POLICY 7".into() });
        line.amounts.push(AmountRef { qualifier: "KH".into(), amount: 0 });
    }
    // One PLB (pyx12 takes no more than one PLB segment), two more items that cancel out.
    if r.provider_adjustments.is_empty() {
        r.provider_adjustments.push(ProviderAdjustment {
            provider_id: "1234567893".into(),
            fiscal_period_end: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"),
            items: Vec::new(),
        });
    }
    let plb = &mut r.provider_adjustments[0];
    plb.items.push(ProviderAdjustmentItem { reason: "WO".into(), reference: Some("REF1".into()), amount: 100 });
    plb.items.push(ProviderAdjustmentItem { reason: "L6".into(), reference: None, amount: -100 });
    assert!(plb.items.len() <= 6);
    r
}

#[test]
fn every_kind_of_segment_round_trips() {
    let r = kitchen_sink();
    assert_eq!(balance_findings(&r), vec![]);
    let (isa, gs) = sample_headers(77);
    let text = write_835(&isa, &gs, std::slice::from_ref(&r)).expect("writes");
    for seg in ["~CUR*PR*USD~", "~REF*F2*4010~", "~RDM*BM*BILLING OFFICE~", "~NM1*74*1*CORRECTED*NAME***JR*C*NEWID123~"]
    {
        assert!(text.contains(seg), "{seg}");
    }
    assert!(text.contains("~MIA*3*10.5*2*2500*MA01*12.34*********3*****N130****0.99~"), "MIA");
    assert!(text.contains("~MOA*0.85*10*MA01*N20*M80****2.5~"), "MOA");
    assert!(text.contains("*L6*-1~SE*"), "PLB");
    assert_eq!(parse(&text).remittances, vec![r]);
}

#[test]
fn more_than_six_plb_items_go_out_as_several_plb_segments() {
    let mut r = sample_remittance(3, 8);
    r.provider_adjustments = vec![ProviderAdjustment {
        provider_id: "1234567893".into(),
        fiscal_period_end: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"),
        items: (0..8)
            .map(|i| ProviderAdjustmentItem {
                reason: if i % 2 == 0 { "WO".into() } else { "L6".into() },
                reference: (i % 2 == 0).then(|| format!("REF{i}").into()),
                amount: if i % 2 == 0 { 100 } else { -100 },
            })
            .collect(),
    }];
    let (isa, gs) = sample_headers(8);
    let text = write_835(&isa, &gs, std::slice::from_ref(&r)).expect("writes");
    assert_eq!(text.matches("~PLB*1234567893*20241231*").count(), 2);
    let back = parse(&text).remittances.remove(0);
    let plbs: Vec<_> = back.provider_adjustments.iter().map(|p| p.items.len()).collect();
    assert_eq!(plbs, [6, 2]);
    let items: Vec<_> = back.provider_adjustments.into_iter().flat_map(|p| p.items).collect();
    assert_eq!(items, r.provider_adjustments[0].items);
}

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/835/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Where reading in one pass gives a document, reading in two passes gives the same one, and its
/// balancing findings (sums the reader keeps as it reads) are those of [`balance_findings`].
fn one_pass_agrees(input: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(doc) = read::read_in_one_pass(input) {
        let balancing: Vec<_> = doc.findings.iter().map(|f| f.code).filter(|c| c.starts_with("balance.")).collect();
        let expected: Vec<_> = doc.remittances.iter().flat_map(balance_findings).map(|f| f.code).collect();
        prop_assert_eq!(balancing, expected);
        prop_assert_eq!(Ok(doc), read::read_in_two_passes(input));
    }
    Ok(())
}

#[test]
fn one_pass_and_two_pass_readings_agree_on_every_fixture() {
    let mut dirs = vec![std::path::PathBuf::from(format!("{}/tests/fixtures/835", env!("CARGO_MANIFEST_DIR")))];
    let mut read_in_one_pass = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let input = std::fs::read(&path).expect("read");
            one_pass_agrees(&input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            read_in_one_pass += usize::from(read::read_in_one_pass(&input).is_ok());
        }
    }
    assert!(read_in_one_pass >= 15, "{read_in_one_pass}");
    one_pass_agrees(BALANCED.as_bytes()).expect("balanced sample");
}

#[test]
fn one_pass_reads_other_transactions_and_several_groups_like_two_passes() {
    let other = "ST*999*0002~AK1*HC*1*005010X222A1~AK9*A*1*1*1~SE*4*0002~";
    let two_groups = BALANCED.replace(
        "GE*1*7~IEA*1*000000007~",
        &format!("GE*1*7~GS*FA*PAYER*PROVIDER*20240102*1230*8*X*005010X231A1~{other}GE*1*8~IEA*2*000000007~"),
    );
    let mixed = BALANCED.replace("ST*835*0001~", &format!("{other}ST*835*0001~")).replace("GE*1*7", "GE*2*7");
    for text in [two_groups.as_str(), mixed.as_str(), &format!("{BALANCED}\n{BALANCED}")] {
        let doc = read::read_in_one_pass(text.as_bytes()).expect("reads in one pass");
        assert_eq!(Ok(doc), read::read_in_two_passes(text.as_bytes()));
    }
}

#[test]
fn the_writer_refuses_values_it_cannot_send() {
    let (isa, gs) = sample_headers(1);
    let mut r = sample_remittance(2, 1);
    r.payee.name = "SMITH*JONES".into();
    let e = write_835(&isa, &gs, &[r]).unwrap_err();
    assert!(matches!(&e, X12Error::Write { field, .. } if field == "N102"), "{e}");
    assert!(!e.to_string().contains("SMITH"), "{e}");

    let mut r = sample_remittance(2, 1);
    if let Some(c) = r.claim_groups[0].claims.first_mut() {
        c.lines.push(c.lines.first().cloned().expect("a line"));
        if let Some(l) = c.lines.last_mut() {
            l.procedure.modifiers = vec!["25".into(); 5];
        }
    }
    let e = write_835(&isa, &gs, &[r]).unwrap_err();
    assert!(matches!(&e, X12Error::Write { field, .. } if field == "SVC01"), "{e}");
}

/// Runs the validator named by `X12VALIDATE` (e.g. `/work/shared/tools/x12validate`, pyx12) over
/// written 835s: generated ones of several shapes and the pyx12-clean fixtures written back.
#[test]
fn written_835s_pass_the_validator() {
    let Some(validator) = std::env::var_os("X12VALIDATE") else {
        eprintln!("note: X12VALIDATE is not set; skipping the pyx12 validation of written 835s");
        return;
    };
    let dir = std::env::temp_dir().join(format!("rcm-x835-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut files = Vec::new();
    for (claims, seed) in [(1, 11), (5, 12), (30, 13), (120, 14), (400, 15), (2, 16), (60, 17), (9, 18)] {
        let path = dir.join(format!("generated-{claims}-{seed}.835"));
        std::fs::write(&path, sample_835(claims, seed).expect("writes")).expect("write file");
        files.push(path);
    }
    let (isa, gs) = sample_headers(77);
    let path = dir.join("kitchen-sink.835");
    std::fs::write(&path, write_835(&isa, &gs, &[kitchen_sink()]).expect("writes")).expect("write file");
    files.push(path);
    for (i, path) in [
        "herophilus-assets/835 Inst Sample(Inpatient DRG Retro).txt",
        "herophilus-assets/835 Sample (Institutional Claims only).2014.txt",
        "herophilus-assets/835 Sample (Professional Claims only-no payment).2014.txt",
        "herophilus-assets/835 Sample (Professional Claims only-w payment).2014.txt",
        "herophilus-assets/835 Sample Pharmacy.2014.txt",
        "herophilus-assets/835Sample(OutpatientRetro).txt",
        "pyx12/tests/835_mult_loops.txt",
        "edi-835-parser/emedny_sample.txt",
    ]
    .iter()
    .enumerate()
    {
        let input = fixture(path);
        let file = parse_interchanges(&input).expect("envelopes");
        let ic = &file.interchanges[0];
        let doc = parse_835(&input).expect("reads");
        let options = WriteOptions { line_breaks: i % 2 == 0, ..WriteOptions::default() };
        let text = write_835_with(&ic.header, &ic.groups[0].header, &doc.remittances, options).expect("writes");
        let out = dir.join(format!("fixture-{i}.835"));
        std::fs::write(&out, text).expect("write file");
        files.push(out);
    }
    let output = std::process::Command::new(&validator).arg("-q").args(&files).output().expect("run the validator");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "validator failed:\n{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(report.lines().filter(|l| l.starts_with("PASS")).count(), files.len(), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_delimiters_round_trip() {
    let (isa, gs) = sample_headers(5);
    let r = sample_remittance(20, 5);
    let delimiters = Delimiters { element: b'|', component: b'>', repetition: Some(b'!'), segment: b'\n' };
    let text = write_835_with(&isa, &gs, std::slice::from_ref(&r), WriteOptions { delimiters, line_breaks: false })
        .expect("writes");
    assert!(text.contains("\nCLP|"));
    assert_eq!(parse(&text).remittances, vec![r]);
}

#[test]
fn quick_cents_agrees_with_parse_cents() {
    for v in [
        "0",
        "-0",
        "1",
        "12.5",
        "12.50",
        "-3.05",
        ".5",
        "5.",
        "-.05",
        "100.000",
        "1.005",
        "",
        "-",
        ".",
        "1e5",
        "1.2.3",
        "--1",
        "999999999999999",
        "9999999999999999",
        "99999999999999999.99",
        "999999999999999999",
        "1 ",
        "+1",
        "0.1",
        "00012",
        "1.a",
        ".a5",
        "1.5-",
        "7.-",
        "123456789012345.6",
        "1234567890123456.",
    ] {
        if let Some(c) = read::quick_cents(v.as_bytes()) {
            assert_eq!(Ok(c), crate::value::parse_cents(v), "{v:?}");
        }
    }
    assert_eq!(read::quick_cents(b"-12.5"), Some(-1250));
    assert_eq!(read::quick_cents(b"100.000"), None, "left to parse_cents");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_remittances_round_trip(seed in any::<u64>(), claims in 1usize..60) {
        let r = sample_remittance(claims, seed);
        prop_assert_eq!(balance_findings(&r), vec![]);
        let (isa, gs) = sample_headers(seed);
        let text = write_835(&isa, &gs, std::slice::from_ref(&r)).expect("writes");
        let doc = parse_835(text.as_bytes()).expect("reads");
        prop_assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        prop_assert_eq!(doc.remittances, vec![r]);
    }

    #[test]
    fn quick_cents_agrees_on_any_decimal_looking_text(v in "-?[0-9]{0,19}(\\.[0-9]{0,4})?") {
        if let Some(c) = read::quick_cents(v.as_bytes()) {
            prop_assert_eq!(Ok(c), crate::value::parse_cents(&v));
        } else if crate::value::parse_cents(&v).is_ok() {
            // Left to parse_cents: only long values or more than two decimals.
            prop_assert!(v.len() > 15 || v.split('.').nth(1).is_some_and(|f| f.len() > 2));
        }
    }

    /// Damaged 835s read in one pass, when they read, as in two.
    #[test]
    fn one_pass_agrees_with_two_passes_on_damaged_input(
        seed in 0u64..1000,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..18), 0..6),
    ) {
        // Bytes replaced, or envelope segments (and near misses) put after a segment terminator.
        const SEGMENTS: [&str; 8] = [
            "SE*3*0001~",
            "ST*835*0002~",
            "ST*999*0003~",
            "GE*1*7~",
            "GS*HP*A*B*20240101*1200*9*X*005010X221A1~",
            "IEA*1*000000007~",
            "SE~",
            "~",
        ];
        let text = sample_835(6, seed).expect("writes");
        let mut bytes = text.into_bytes();
        for (at, what) in edits {
            let i = at.index(bytes.len());
            match what {
                0..10 => bytes[i] = [b'*', b':', b'~', b'^', b'X', b'9', b'.', b'-', b'S', b'E'][what],
                _ => {
                    let after = bytes[i..].iter().position(|&b| b == b'~').map_or(bytes.len(), |n| i + n + 1);
                    bytes.splice(after..after, SEGMENTS[what - 10].bytes());
                }
            }
        }
        one_pass_agrees(&bytes)?;
    }

    /// Damaged 835s: any result but a panic, and no patient data in errors or findings.
    #[test]
    fn damaged_input_never_panics(
        seed in 0u64..1000,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..8), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let text = sample_835(6, seed).expect("writes");
        let names: Vec<String> = parse_835(text.as_bytes()).expect("reads").remittances[0]
            .claims()
            .flat_map(|c| c.names.iter().filter_map(|n| n.last_name.as_deref().map(|s| s.to_string())))
            .collect();
        let mut bytes = text.into_bytes();
        for (at, what) in edits {
            let i = at.index(bytes.len());
            let replacement = [b'*', b':', b'~', b'^', b'X', b'9', b'.', b'-'][what];
            bytes[i] = replacement;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let messages: Vec<String> = match parse_835(&bytes) {
            Ok(doc) => doc.findings.iter().map(|f| f.message.clone()).collect(),
            Err(e) => vec![e.to_string()],
        };
        for m in &messages {
            for name in &names {
                prop_assert!(!m.contains(name.as_str()), "{name} in {m}");
            }
        }
    }
}
