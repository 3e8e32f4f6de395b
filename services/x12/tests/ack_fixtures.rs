//! The 999 and 277CA readers against published sample files (see `fixtures/ack/SOURCES.md`).

use chrono::{NaiveDate, NaiveTime};
use rcm_x12::X12Error;
use rcm_x12::x277ca::{self, DateRange, Disposition, StatusCode};
use rcm_x12::x837p::{Name, PersonName};
use rcm_x12::x999::{self, AckCode, AckStatus, ElementPosition};

fn fixture(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ack").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const F999: [&str; 6] = [
    "herophilus-assets/999 Sample (Accepted).txt",
    "herophilus-assets/999 Sample (Rejected).txt",
    "imsweb-x12-parser/837_5010/x12_999_accepted.txt",
    "imsweb-x12-parser/837_5010/x12_999_rejected.txt",
    "pyx12/tests/834_ls_le_ls_5010.999.txt",
    "pyx12/tests/834_lui_id_5010.999.txt",
];

const F277: [&str; 4] = [
    "herophilus-assets/277CA Sample (Accepted).txt",
    "herophilus-assets/277CA Sample (Rejected).txt",
    "imsweb-x12-parser/277_5010/x12_277CA_accepted.txt",
    "imsweb-x12-parser/277_5010/x12_277CA_rejected.txt",
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_999_fixture_parses_and_round_trips() {
    for f in F999 {
        let doc = x999::parse_999(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(doc.acks().count() >= 1, "{f}");
        // Written back and read again, the model is unchanged.
        let text = x999::write_999(&doc).unwrap_or_else(|e| panic!("{f}: {e}"));
        let again = x999::parse_999(text.as_bytes()).unwrap_or_else(|e| panic!("{f}: {e}\n{text}"));
        assert_eq!(again.interchanges, doc.interchanges, "{f}");
        assert!(again.findings.is_empty(), "{f}: {:?}", again.findings);
    }
}

#[test]
fn every_277ca_fixture_parses() {
    for f in F277 {
        let doc = x277ca::parse_277ca(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(doc.claims().len(), 1, "{f}");
        // The billing provider STC (2200C) these files omit is not required, nor reported.
        assert!(doc.findings.is_empty(), "{f}: {:?}", doc.findings);
    }
}

#[test]
fn accepted_999() {
    let doc = x999::parse_999(&fixture(F999[0])).unwrap();
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    assert_eq!(doc.status(), AckStatus::Accepted);
    let ic = &doc.interchanges[0];
    assert_eq!(ic.header.sender_id, "EMEDNYBAT");
    assert_eq!(ic.header.control_number, 52127406);
    assert_eq!(ic.groups[0].header.functional_id, "FA");
    let ack = &ic.groups[0].acks[0];
    assert_eq!((ack.control_number.as_str(), ack.implementation.as_str()), ("4001", "005010X231A1"));
    assert_eq!(ack.group.functional_id, "HC");
    assert_eq!(ack.group.control_number, 28);
    assert_eq!(ack.group.version.as_deref(), Some("005010X223A2"));
    assert_eq!(ack.transactions.len(), 1);
    let t = &ack.transactions[0];
    assert_eq!(
        (t.transaction_id.as_str(), t.control_number.as_str(), t.implementation.as_deref()),
        ("837", "0028", None)
    );
    assert!(t.is_accepted() && t.segment_errors.is_empty());
    assert_eq!(t.response.code, AckCode::Accepted);
    assert_eq!((ack.response.included, ack.response.received, ack.response.accepted), (1, 1, 1));
    assert!(doc.for_group(28).is_some() && doc.for_group(29).is_none());
    assert_eq!(ack.to_string(), "batch 28 (HC) accepted: 1 of 1 transaction sets accepted");
}

#[test]
fn rejected_999_names_the_segment_in_error() {
    // The herophilus and imsweb files have the same content, the imsweb one with line breaks.
    for f in [F999[1], F999[3]] {
        let doc = x999::parse_999(&fixture(f)).unwrap();
        assert!(doc.findings.is_empty(), "{f}: {:?}", doc.findings);
        assert_eq!(doc.status(), AckStatus::Rejected);
        let ack = doc.acks().next().unwrap();
        assert_eq!(ack.control_number, "95832987");
        assert_eq!(ack.group.control_number, 28);
        assert_eq!(ack.response.code, AckCode::Rejected);
        assert_eq!((ack.response.included, ack.response.received, ack.response.accepted), (1, 1, 0));
        let t = ack.transaction("0028").unwrap();
        assert!(t.is_rejected());
        assert_eq!(ack.rejected().count(), 1);
        assert_eq!(t.response.code, AckCode::Rejected);
        assert_eq!(t.response.errors, ["5"]);
        assert_eq!(t.segment_errors.len(), 1);
        let e = &t.segment_errors[0];
        assert_eq!((e.segment_id.as_str(), e.position, e.loop_id.as_deref()), ("NM", 17, None));
        assert_eq!(e.code.as_deref(), Some("1"));
        assert!(e.element_errors.is_empty() && e.contexts.is_empty());
        assert_eq!(
            t.to_string(),
            "transaction 0028 (837) rejected because IK3 NM at 17: code 1 (unrecognized segment ID); \
             IK5 code 5 (one or more segments in error)"
        );
        assert!(
            ack.to_string().starts_with("batch 28 (HC) rejected: 0 of 1 transaction sets accepted; transaction 0028")
        );
    }
}

#[test]
fn envelope_problems_are_findings_and_the_999_still_reads() {
    let doc = x999::parse_999(&fixture(F999[2])).unwrap();
    let codes: Vec<_> = doc.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["envelope.gs_time", "envelope.iea_control"]);
    assert_eq!(doc.findings[0].position.unwrap().segment, 2);
    // GS05 `102497` is not a time; its valid HHMM part is kept.
    let g = &doc.interchanges[0].groups[0];
    assert_eq!(g.header.time, NaiveTime::from_hms_opt(10, 24, 0).unwrap());
    let ack = &g.acks[0];
    assert_eq!(ack.group.control_number, 17456);
    assert_eq!(ack.transactions[0].implementation.as_deref(), Some("005010X223A2"));
    assert_eq!(doc.status(), AckStatus::Accepted);
    // No values in the messages.
    for f in &doc.findings {
        assert!(!f.message.contains("102497") && !f.message.contains("000000001"), "{f}");
    }
}

#[test]
fn acks_for_834s_across_two_groups() {
    let doc = x999::parse_999(&fixture(F999[5])).unwrap();
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    let groups = &doc.interchanges[0].groups;
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].header.control_number, groups[1].header.control_number), (344666205, 102));
    let ctl: Vec<_> = doc.acks().map(|a| a.control_number.as_str()).collect();
    assert_eq!(ctl, ["0001", "0002", "0003", "0004"]);
    for a in doc.acks() {
        assert_eq!(a.implementation, "005010X231");
        assert_eq!((a.group.functional_id.as_str(), a.group.control_number), ("BE", 13360001));
        assert_eq!(a.transactions[0].transaction_id, "834");
    }
    assert_eq!(doc.status(), AckStatus::Accepted);

    let doc = x999::parse_999(&fixture(F999[4])).unwrap();
    let t = &doc.acks().next().unwrap().transactions[0];
    assert_eq!((t.control_number.as_str(), t.implementation.as_deref()), ("146001", Some("005010X220A1")));
}

#[test]
fn rejected_277ca_claim() {
    for f in [F277[1], F277[3]] {
        let doc = x277ca::parse_277ca(&fixture(f)).unwrap();
        let claims = doc.claims();
        let c = &claims[0];
        assert_eq!(c.patient_control_number, "3920394930203");
        assert!(!c.accepted);
        assert_eq!(c.disposition, Disposition::Rejected);
        assert_eq!(c.statuses.len(), 1);
        // The file's component separator is `|`.
        assert_eq!(c.statuses[0].status, StatusCode::new("A7", "562", Some("85")));
        assert_eq!(c.statuses[0].status.to_string(), "A7:562:85");
        assert_eq!(c.statuses[0].date, Some(d(2011, 3, 11)));
        assert_eq!(c.statuses[0].action.as_deref(), Some("WQ"));
        assert_eq!(c.total_charge, Some(19914));
        assert_eq!(c.payer_claim_control_number.as_deref(), Some("1107000000001120"));
        assert_eq!(c.clearinghouse_trace, None);
        assert_eq!(c.bill_type.as_deref(), Some("731"));
        assert_eq!(c.service_dates, Some(DateRange::day(d(2009, 3, 11))));
        assert_eq!(c.billing_provider_npi.as_deref(), Some("123456789"));
        assert_eq!(c.patient_member_id, "XX99999X");
        assert_eq!((c.source_id.as_str(), c.batch_trace.as_str()), ("141797357", "11200001"));
        assert!(doc.claim("3920394930203").is_some() && doc.claim("5781").is_none());

        let t = doc.transactions().next().unwrap();
        assert_eq!((t.control_number.as_str(), t.reference.as_str()), ("000001120", "3920394930203"));
        assert_eq!((t.created_date, t.created_time), (d(2011, 3, 11), NaiveTime::from_hms_opt(5, 12, 25).unwrap()));
        let s = &t.sources[0];
        assert_eq!((s.entity.as_str(), s.name.as_str(), s.id_qualifier.as_str()), ("PR", "NYSDOH", "FI"));
        assert_eq!(
            (s.trace.as_deref(), s.received, s.processed),
            (Some("000001120"), Some(d(2011, 3, 11)), Some(d(2011, 3, 11)))
        );
        let r = &s.receivers[0];
        let test_name = PersonName { last: "TEST".into(), first: Some("TEST".into()), middle: None, suffix: None };
        assert_eq!(r.name, Name::Person(test_name));
        assert_eq!((r.id_qualifier.as_str(), r.id.as_str(), r.trace.as_str()), ("46", "ETIN", "11200001"));
        assert_eq!(r.statuses[0].status, StatusCode::new("A1", "20", None));
        assert_eq!(r.statuses[0].amount, Some(19914));
        assert_eq!(x277ca::disposition(&r.statuses), Disposition::Accepted);
        assert_eq!((r.totals.accepted_quantity, r.totals.accepted_amount), (Some(1), Some(19914)));
        assert_eq!((r.totals.rejected_quantity, r.totals.rejected_amount), (None, None));
        let p = &r.providers[0];
        assert_eq!(p.name, Name::Organization { name: "PROVLNAME".into() });
        assert_eq!(p.trace.as_deref(), Some("1107000000000001FF"));
        assert!(p.statuses.is_empty());
        let pt = &p.patients[0];
        assert_eq!(pt.name.last, "CLILNAME");
        assert_eq!((pt.name.first.as_deref(), pt.name.middle.as_deref()), (Some("CLIFNAME"), Some("CLIMI")));
        assert_eq!(pt.id_qualifier, "MI");
    }
}

#[test]
fn accepted_277ca_claim() {
    for f in [F277[0], F277[2]] {
        let doc = x277ca::parse_277ca(&fixture(f)).unwrap();
        let c = doc.claim("5781").unwrap();
        assert!(c.accepted);
        assert_eq!(c.statuses[0].status, StatusCode::new("A2", "20", None));
        assert_eq!(c.total_charge, Some(12500));
        assert_eq!(c.payer_claim_control_number.as_deref(), Some("1107000000014420"));
        assert_eq!(c.billing_provider_npi.as_deref(), Some("1234567890"));
        assert_eq!(c.patient_member_id, "LL99999X");
        // The file's DTP*472 is 10010101: read as written.
        assert_eq!(c.service_dates, Some(DateRange::day(d(1001, 1, 1))));
        assert!(c.lines.is_empty());
        let r = &doc.transactions().next().unwrap().sources[0].receivers[0];
        assert_eq!(r.name, Name::Organization { name: "A NY MD GROUP".into() });
        assert_eq!(r.statuses[0].amount, Some(12500));
        let p = &r.providers[0];
        let name =
            PersonName { last: "OCTOR".into(), first: Some("IMA".into()), middle: Some("D".into()), suffix: None };
        assert_eq!(p.name, Name::Person(name));
        assert_eq!(p.npi(), Some("1234567890"));
    }
}

#[test]
fn a_277_claim_status_response_is_refused_clearly() {
    let e = x277ca::parse_277ca(&fixture("imsweb-x12-parser/277_5010/x12_277_x212.txt")).unwrap_err();
    let X12Error::WrongTransaction { pos, msg } = &e else { panic!("{e:?}") };
    assert_eq!(pos.segment, 3);
    assert!(msg.contains("005010X212") && msg.contains("277CA"), "{msg}");
}

#[test]
fn each_reader_refuses_the_other_transaction() {
    let e = x999::parse_999(&fixture(F277[0])).unwrap_err();
    assert!(matches!(&e, X12Error::WrongTransaction { msg, .. } if msg.contains("transaction set 277")), "{e}");
    let e = x277ca::parse_277ca(&fixture(F999[0])).unwrap_err();
    assert!(matches!(&e, X12Error::WrongTransaction { msg, .. } if msg.contains("transaction set 999")), "{e}");
}

#[test]
fn element_positions_display_compactly() {
    let p = ElementPosition { element: 1, component: Some(2), repeat: Some(3) };
    assert_eq!(p.to_string(), "01-2 (repeat 3)");
}
