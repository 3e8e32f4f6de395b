//! The 835 reader on published sample files (see `tests/fixtures/835/SOURCES.md`).

use chrono::NaiveDate;
use rcm_x12::x835::{Document835, Remittance, balance_findings, parse_835};
use rcm_x12::{Severity, X12Error};
use rust_decimal::Decimal;

fn read(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/835/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn parse(path: &str) -> Document835 {
    parse_835(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn codes(doc: &Document835) -> Vec<&'static str> {
    doc.findings.iter().map(|f| f.code).collect()
}

fn only(doc: &Document835) -> &Remittance {
    assert_eq!(doc.remittances.len(), 1);
    &doc.remittances[0]
}

/// The files pyx12 passes with zero errors.
const PYX12_PASS: &[&str] = &[
    "herophilus-assets/835 Inst Sample(Inpatient DRG Retro).txt",
    "herophilus-assets/835 Sample (Institutional Claims only).2014.txt",
    "herophilus-assets/835 Sample (Professional Claims only-no payment).2014.txt",
    "herophilus-assets/835 Sample (Professional Claims only-w payment).2014.txt",
    "herophilus-assets/835 Sample Pharmacy.2014.txt",
    "herophilus-assets/835Sample(OutpatientRetro).txt",
    "pyx12/tests/835_mult_loops.txt",
    "edi-835-parser/emedny_sample.txt",
];

/// Full interchanges that pyx12 fails on points that do not stop reading.
const READABLE: &[&str] = &[
    "edi-835-parser/united_healthcare_legacy_sample.txt",
    "edi-835-parser/nevada_medicaid.txt",
    "linuxforhealth-x12/835_005010X221A1/cob-contractural-adjustment.835",
    "linuxforhealth-x12/835_005010X221A1/managed-care.835",
    "linuxforhealth-x12/835_005010X221A1/medicare-part-a.835",
    "linuxforhealth-x12/835_005010X221A1/secondary-payment.835",
    "linuxforhealth-x12/835_005010X221A1/tertiary-payment.835",
    "linuxforhealth-x12/demo-file/demo.835",
];

#[test]
fn pyx12_clean_files_read_without_findings_and_balance() {
    for path in PYX12_PASS {
        let doc = parse(path);
        assert!(doc.findings.is_empty(), "{path}: {:?}", doc.findings);
        for r in &doc.remittances {
            assert!(r.claim_count() > 0, "{path}");
            assert_eq!(balance_findings(r), vec![], "{path}");
        }
    }
}

#[test]
fn every_full_interchange_reads() {
    for path in PYX12_PASS.iter().chain(READABLE) {
        let doc = parse(path);
        assert!(!doc.remittances.is_empty(), "{path}");
    }
}

#[test]
fn professional_claims_with_payment() {
    let doc = parse("herophilus-assets/835 Sample (Professional Claims only-w payment).2014.txt");
    let r = only(&doc);
    assert_eq!(r.control_number, "1740");
    assert_eq!((r.interchange_control_number, r.group_control_number), (6000600, 6000600));
    let p = &r.payment;
    assert_eq!((p.handling.as_str(), p.amount, p.credit_debit.as_str()), ("I", 4575, "C"));
    assert_eq!((p.method.as_str(), p.format.as_deref()), ("ACH", Some("CCP")));
    assert_eq!(p.sender_dfi_id.as_deref(), Some("111"));
    assert_eq!(p.originator_id.as_deref(), Some("1234567890"));
    assert_eq!(p.receiver_account.as_deref(), Some("22"));
    assert_eq!(p.date, Some(date(2010, 1, 1)));
    assert_eq!((r.trace.number.as_str(), r.trace.originator_id.as_str()), ("10100000000", "1000000000"));
    assert_eq!(r.receiver_id.as_deref(), Some("ETIN"));
    assert_eq!(r.production_date, Some(date(2010, 1, 1)));

    assert_eq!(r.payer.name, "NYSDOH");
    let addr = r.payer.address.as_ref().expect("payer address");
    assert_eq!((addr.city.as_deref(), addr.state.as_deref()), (Some("ALBANY"), Some("NY")));
    assert_eq!(addr.line2.as_deref(), Some("CORNING TOWER, EMPIRE STATE PLAZA"));
    let bl = &r.payer.contacts[0];
    assert_eq!((bl.function.as_str(), bl.name.as_deref()), ("BL", Some("PROVIDER SERVICES")));
    assert_eq!(bl.communications.len(), 2);
    assert_eq!(
        (bl.communications[1].qualifier.as_str(), bl.communications[1].number.as_str()),
        ("UR", "www.emedny.org")
    );

    assert_eq!(r.payee.name, "MAJOR MEDICAL PROVIDER");
    assert_eq!(r.payee.npi(), Some("9999999995"));
    assert_eq!(r.payee.tax_id(), Some("000000000"));

    assert_eq!(r.claim_groups.len(), 1);
    assert_eq!(r.claim_groups[0].number, 1);
    let claims: Vec<_> = r.claims().collect();
    assert_eq!(claims.len(), 3);
    let c = claims[0];
    assert_eq!((c.status.as_str(), c.charge, c.paid), ("1", 3425, 3425));
    assert_eq!((c.filing_indicator.as_str(), c.payer_claim_control_number.as_str()), ("MC", "1000210000000030"));
    assert_eq!(c.facility_type.as_deref(), Some("11"));
    assert_eq!(c.names.iter().map(|n| n.entity.as_str()).collect::<Vec<_>>(), ["QC", "74"]);
    assert_eq!(c.name("QC").and_then(|n| n.id_qualifier.as_deref()), Some("MI"));
    assert_eq!(c.date("232"), Some(date(2010, 1, 1)));
    assert_eq!(c.amounts[0].qualifier, "AU");
    assert_eq!(c.amounts[0].amount, 3425);
    assert_eq!(c.lines.len(), 4);
    let l = &c.lines[0];
    assert_eq!((l.procedure.qualifier.as_str(), l.procedure.code.as_str()), ("HC", "V2020"));
    assert_eq!(l.procedure.modifiers, ["RB"]);
    assert_eq!((l.charge, l.paid, l.units), (600, 600, Some(Decimal::ONE)));
    assert_eq!((l.service_date, l.allowed), (Some(date(2010, 1, 1)), Some(600)));
    assert_eq!(claims[0].lines[3].units, Some(Decimal::from(2)));

    let denied = claims[1];
    assert_eq!((denied.status.as_str(), denied.charge, denied.paid), ("2", 3400, 0));
    let adj: Vec<_> = denied.all_adjustments().map(|a| (a.group.as_str(), a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [("CO", "29", 1200), ("CO", "29", 2200)]);
    let third = claims[2];
    assert_eq!((third.charge, third.paid), (3425, 1150));
    assert_eq!(third.lines[1].service_date, Some(date(2013, 9, 17)));
    assert_eq!(third.lines[2].remarks[0].qualifier, "HE");
    assert_eq!(third.lines[2].remarks[0].code, "N206");
}

#[test]
fn pharmacy_plb_and_multi_triple_cas() {
    let doc = parse("herophilus-assets/835 Sample Pharmacy.2014.txt");
    let r = only(&doc);
    assert_eq!(r.payment.amount, 21965);
    let claims: Vec<_> = r.claims().collect();
    assert_eq!(claims.len(), 3);
    assert_eq!(claims[0].date("036"), Some(date(2010, 1, 1)));
    let ndc = &claims[0].lines[0];
    assert_eq!((ndc.procedure.qualifier.as_str(), ndc.procedure.code.as_str()), ("N4", "68382005501"));
    assert_eq!((ndc.remarks[0].qualifier.as_str(), ndc.remarks[0].code.as_str()), ("RX", "65"));
    let line = &claims[2].lines[0];
    let adj: Vec<_> = line.adjustments.iter().map(|a| (a.group.as_str(), a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [("CO", "91", -350), ("CO", "45", 3632)]);
    assert_eq!(line.units, Some(Decimal::from(30)));
    assert_eq!(r.provider_adjustments.len(), 1);
    let plb = &r.provider_adjustments[0];
    assert_eq!((plb.provider_id.as_str(), plb.fiscal_period_end), ("9999999995", date(2010, 1, 1)));
    assert_eq!(plb.items.len(), 1);
    assert_eq!(plb.items[0].reason, "WO");
    assert_eq!(plb.items[0].reference.as_deref(), Some("FCN#201001010000000"));
    assert_eq!(plb.items[0].amount, 399);
}

#[test]
fn inpatient_reversal_with_mia_and_drg() {
    let doc = parse("herophilus-assets/835 Inst Sample(Inpatient DRG Retro).txt");
    let r = only(&doc);
    assert_eq!(r.control_number, "123456789");
    let claims: Vec<_> = r.claims().collect();
    let reversal = claims[0];
    assert_eq!((reversal.status.as_str(), reversal.charge, reversal.paid), ("22", -3761733, -62797));
    assert_eq!((reversal.facility_type.as_deref(), reversal.frequency.as_deref()), (Some("11"), Some("1")));
    assert_eq!(reversal.drg_code.as_deref(), Some("7753"));
    assert_eq!(reversal.drg_weight, Some(Decimal::new(11919, 4)));
    let mia = reversal.inpatient.as_ref().expect("MIA");
    assert_eq!((mia.covered_days, mia.claim_drg), (Decimal::ZERO, Some(-1937)));
    assert_eq!(mia.remark_codes, ["N689"]);
    assert_eq!(reversal.reference("9A"), Some("2946"));
    assert_eq!(claims[1].quantities[0].qualifier, "CA");
    assert_eq!(claims[1].quantities[0].quantity, Decimal::from(4));
    assert_eq!(claims[1].name("82").and_then(|n| n.id.as_deref()), Some("1234567890"));
}

#[test]
fn outpatient_retro_with_crlf_moa_and_negative_plb() {
    let doc = parse("herophilus-assets/835Sample(OutpatientRetro).txt");
    let r = only(&doc);
    assert_eq!((r.payment.handling.as_str(), r.payment.amount, r.payment.method.as_str()), ("H", 0, "NON"));
    assert_eq!((r.payee.id_qualifier.as_deref(), r.payee.tax_id()), (Some("FI"), Some("111222333")));
    assert_eq!(r.payee.references[0].qualifier, "PQ");
    let claims: Vec<_> = r.claims().collect();
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].outpatient.as_ref().map(|m| m.remark_codes.clone()), Some(vec!["N689".into()]));
    assert_eq!(claims[1].outpatient.as_ref().map(|m| m.remark_codes.clone()), Some(vec!["N419".into()]));
    let plb = &r.provider_adjustments[0].items[0];
    assert_eq!((plb.reason.as_str(), plb.reference.as_deref(), plb.amount), ("FB", Some("FCN#201401011010200"), -2016));
}

#[test]
fn institutional_and_no_payment_samples() {
    let doc = parse("herophilus-assets/835 Sample (Institutional Claims only).2014.txt");
    let claims: Vec<_> = only(&doc).claims().collect();
    assert_eq!(claims.len(), 2);
    assert_eq!((claims[0].status.as_str(), claims[0].adjustments[0].reason.as_str()), ("3", "39"));
    assert_eq!(claims[1].patient_responsibility, Some(80500));
    assert_eq!(claims[1].adjustments[0].group, "PR");
    assert_eq!(claims[1].names.len(), 3);

    let doc = parse("herophilus-assets/835 Sample (Professional Claims only-no payment).2014.txt");
    let r = only(&doc);
    assert_eq!((r.payment.handling.as_str(), r.payment.amount), ("H", 0));
    assert_eq!(r.payment.sender_dfi_id, None);
    assert_eq!(r.payment.date, Some(date(2010, 1, 1)));
}

#[test]
fn pyx12_sample_with_ts3_and_service_periods() {
    let doc = parse("pyx12/tests/835_mult_loops.txt");
    let r = only(&doc);
    let g = &r.claim_groups[0];
    let ts3 = g.summary.as_ref().expect("TS3");
    assert_eq!((ts3.provider_id.as_str(), ts3.facility_code.as_str()), ("653423424", "12"));
    assert_eq!((ts3.fiscal_period_end, ts3.claim_count, ts3.total_charge), (date(2004, 12, 31), Decimal::ONE, 91539));
    let c = &g.claims[0];
    assert_eq!((c.status.as_str(), c.charge, c.paid), ("4", 91539, 0));
    assert_eq!(c.name("82").map(|n| n.entity_type.as_str()), Some("2"));
    assert_eq!(c.lines.len(), 3);
    let l = &c.lines[0];
    assert_eq!(
        (l.service_start, l.service_end, l.service_date),
        (Some(date(2003, 11, 29)), Some(date(2003, 11, 29)), None)
    );
    assert_eq!(l.units, Some(Decimal::from(68)));
    assert_eq!(c.lines[1].adjustments[0].reason, "A7");
}

#[test]
fn united_healthcare_sample_with_angle_bracket_components() {
    let doc = parse("edi-835-parser/united_healthcare_legacy_sample.txt");
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    let r = only(&doc);
    assert_eq!((r.payer.id_qualifier.as_deref(), r.payer.id.as_deref()), (Some("XV"), Some("87726")));
    assert_eq!(r.trace.originator_supplemental_code.as_deref(), Some("000088888"));
    let claims: Vec<_> = r.claims().collect();
    assert_eq!(claims.len(), 2);
    assert_eq!(claims[0].date("050"), Some(date(2021, 1, 14)));
    let l = &claims[1].lines[2];
    assert_eq!(l.procedure.code, "B4154");
    let adj: Vec<_> = l.adjustments.iter().map(|a| (a.group.as_str(), a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [("PR", "2", 513), ("PR", "1", 11000), ("CO", "45", 18432)]);
    assert_eq!(l.control_number.as_deref(), Some("123456789014"));
    assert_eq!(l.allowed, Some(14418));
}

#[test]
fn nevada_medicaid_unpadded_isa_and_three_transactions() {
    let doc = parse("edi-835-parser/nevada_medicaid.txt");
    // The ISA is read with a warning; IEA02 does not match ISA13.
    assert_eq!(codes(&doc), ["envelope.isa_width", "envelope.iea_control"]);
    assert_eq!(doc.remittances.len(), 3);
    let [a, b, c] = &doc.remittances[..] else { panic!("three remittances") };
    assert_eq!((a.claim_count(), b.claim_count(), c.claim_count()), (1, 2, 0));
    assert_eq!(a.claims().next().map(|c| c.adjustments.len()), Some(2));
    let names: Vec<_> = a.claims().flat_map(|c| c.names.iter().map(|n| n.entity.as_str())).collect();
    assert_eq!(names, ["QC", "74", "PR", "GB"]);
    assert_eq!(c.payment.amount, 181227);
    let items = &c.provider_adjustments[0].items;
    assert_eq!(items.len(), 6);
    assert_eq!(items.iter().map(|i| i.amount).sum::<i64>(), -181227);
    assert_eq!((items[0].reason.as_str(), items[0].reference.as_deref()), ("CT", Some("888888888")));
    for r in &doc.remittances {
        assert_eq!(balance_findings(r), vec![]);
    }
}

#[test]
fn linuxforhealth_samples_read_with_findings_for_what_is_wrong() {
    // BPR16 missing (the date was put in BPR15).
    let doc = parse("linuxforhealth-x12/835_005010X221A1/cob-contractural-adjustment.835");
    assert_eq!(codes(&doc), ["x835.payment_date"]);
    let r = only(&doc);
    assert_eq!(r.payment.date, None);
    assert_eq!(r.payment.receiver_account.as_deref(), Some("20050318"));
    // `>` is not this interchange's component separator: the composite is one component.
    let l = &r.claims().next().expect("claim").lines[0];
    assert_eq!((l.procedure.qualifier.as_str(), l.procedure.code.as_str()), ("HC>55669", ""));

    // BPR16 20002316 is not a date; the claims balance.
    let doc = parse("linuxforhealth-x12/835_005010X221A1/managed-care.835");
    assert_eq!(codes(&doc), ["x835.payment_date"]);
    assert!(doc.findings[0].message.contains("BPR16"));
    assert_eq!(only(&doc).claim_count(), 2);

    // TS309 and TS311 are not used in 5010: their values are not kept, with a warning each.
    for path in ["linuxforhealth-x12/835_005010X221A1/medicare-part-a.835", "linuxforhealth-x12/demo-file/demo.835"] {
        let doc = parse(path);
        assert_eq!(codes(&doc), ["x835.unused_element"; 4], "{path}");
        assert!(doc.findings.iter().all(|f| f.severity == Severity::Warning));
        let r = only(&doc);
        assert_eq!(r.claim_groups.iter().map(|g| g.number).collect::<Vec<_>>(), [110212, 130212]);
        let plb = &r.provider_adjustments[0].items[0];
        assert_eq!((plb.reason.as_str(), plb.reference.as_deref(), plb.amount), ("CV", Some("CP"), -127));
        assert_eq!(r.payment.amount, 15000000);
    }

    let doc = parse("linuxforhealth-x12/835_005010X221A1/secondary-payment.835");
    assert_eq!(codes(&doc), ["x835.payment_date"]);
    let r = only(&doc);
    assert_eq!(r.claim_groups.len(), 2);
    assert_eq!(r.claim_groups[1].claims[0].lines[1].revenue_code.as_deref(), Some("220"));

    // SVC01 split by `*`: the line's amounts are shifted and it does not balance.
    let doc = parse("linuxforhealth-x12/835_005010X221A1/tertiary-payment.835");
    assert_eq!(codes(&doc), ["x835.payment_date", "balance.line"]);
    let f = &doc.findings[1];
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("claim 1, service line 1"), "{}", f.message);
    assert_eq!(f.position.map(|p| p.segment), Some(20));
}

fn assert_error_names_position(e: &X12Error) {
    let pos = e.position().unwrap_or_else(|| panic!("no position in {e}"));
    assert!(e.to_string().contains(&format!("segment {}", pos.segment)), "{e}");
}

#[test]
fn templates_with_placeholders_are_clear_errors() {
    // `TS3**facility_type_code1`: TS301 (required) is empty.
    let e = parse_835(&read("edi-835-parser/sample_835.txt")).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, pos, .. } if element == "TS301" && pos.segment == 21), "{e}");
    assert_error_names_position(&e);
    assert!(!e.to_string().contains("facility_type"), "no element values in messages: {e}");
    // Past that, `CAS*grp_code*reason_code*amount*quantity`: CAS03 is not a number.
    let text = String::from_utf8(read("edi-835-parser/sample_835.txt")).unwrap();
    let e = parse_835(text.replace("TS3**facility_type_code1", "TS3*1*11*20211231*1*1").as_bytes()).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, pos, .. } if element == "CAS03" && pos.segment == 23), "{e}");
    assert!(!e.to_string().contains("amount*"), "no element values in messages: {e}");

    // A stray `resnCode>adjID>5***` line is not a segment.
    let e = parse_835(&read("edi-835-parser/sample_835_with_interests.txt")).unwrap_err();
    assert!(matches!(e, X12Error::Syntax { .. }), "{e}");
    assert_error_names_position(&e);
    assert!(!e.to_string().contains("resnCode"), "{e}");
}

#[test]
fn fragments_without_an_interchange_are_not_x12() {
    for path in ["edi-835-parser/blue_cross_nc_sample.txt", "edi-835-parser/exhaustive_sample.txt"] {
        let e = parse_835(&read(path)).unwrap_err();
        assert!(matches!(e, X12Error::NotX12(_)), "{path}: {e}");
    }
}

#[test]
fn missing_required_segments_are_errors_with_the_transaction_position() {
    let text = String::from_utf8(read("herophilus-assets/835 Sample (Institutional Claims only).2014.txt")).unwrap();
    for (cut, segment) in
        [("TRN*1*10100000000*1000000000~", "TRN"), ("N1*PE*MAJOR MEDICAL PROVIDER*XX*9999999995~", "N1")]
    {
        let body = text.replace(cut, "").replace("SE*31*", "SE*30*");
        let e = parse_835(body.as_bytes()).unwrap_err();
        match &e {
            X12Error::MissingSegment { pos, segment: s, .. } => {
                assert_eq!((*s, pos.segment), (segment, 3), "{e}");
            }
            other => panic!("{other}"),
        }
    }
    // CLP without CLP07.
    let body = text.replace("*MC*1000210000000030*34*1~", "*MC~");
    let e = parse_835(body.as_bytes()).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, pos, .. } if element == "CLP07" && pos.segment == 14), "{e}");
}

#[test]
fn other_transaction_sets_are_skipped_and_a_file_without_835_is_refused() {
    let only_999 = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240102*1230*^*00501*000000001*0*T*:~\
GS*FA*A*B*20240102*1230*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1*005010X222A1~AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000001~";
    let e = parse_835(only_999.as_bytes()).unwrap_err();
    assert!(matches!(e, X12Error::WrongTransaction { pos, .. } if pos.segment == 3), "{e}");

    let text =
        String::from_utf8(read("herophilus-assets/835 Sample (Professional Claims only-no payment).2014.txt")).unwrap();
    let mixed = text.replace("GE*1*6000600~", "ST*999*0002~AK9*A*1*1*1~SE*3*0002~GE*2*6000600~");
    let doc = parse_835(mixed.as_bytes()).expect("the 835 is read");
    assert_eq!(codes(&doc), ["x835.other_transaction"]);
    assert_eq!(doc.remittances.len(), 1);
    assert_eq!(doc.findings[0].position.map(|p| p.segment), Some(28));
}
