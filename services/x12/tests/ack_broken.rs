//! Broken input for the 999 and 277CA readers: typed errors with positions, never a panic, and no
//! element values in messages.

use proptest::prelude::*;
use rcm_x12::X12Error;
use rcm_x12::x277ca::parse_277ca;
use rcm_x12::x999::parse_999;

const ISA: &str =
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1230*^*00501*000000007*0*T*:~";

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ack").join(path)).unwrap()
}

const FIXTURES: [&str; 8] = [
    "herophilus-assets/999 Sample (Accepted).txt",
    "herophilus-assets/999 Sample (Rejected).txt",
    "imsweb-x12-parser/837_5010/x12_999_accepted.txt",
    "pyx12/tests/834_lui_id_5010.999.txt",
    "herophilus-assets/277CA Sample (Accepted).txt",
    "herophilus-assets/277CA Sample (Rejected).txt",
    "imsweb-x12-parser/277_5010/x12_277CA_accepted.txt",
    "imsweb-x12-parser/277_5010/x12_277_x212.txt",
];

/// An interchange with one transaction set whose body is `body` (segments without terminators).
fn wrap(gs01: &str, st: &str, body: &[&str]) -> Vec<u8> {
    let mut s = format!("{ISA}GS*{gs01}*S*R*20240102*1230*7*X*005010X231A1~{st}~");
    for b in body {
        s.push_str(b);
        s.push('~');
    }
    s.push_str(&format!("SE*{}*0001~GE*1*7~IEA*1*000000007~", body.len() + 2));
    s.into_bytes()
}

fn w999(body: &[&str]) -> Vec<u8> {
    wrap("FA", "ST*999*0001*005010X231A1", body)
}

fn w277(body: &[&str]) -> Vec<u8> {
    wrap("HN", "ST*277*0001*005010X214", body)
}

const ACK_OK: [&str; 5] = ["AK1*HC*28*005010X222A1", "AK2*837*0001", "IK3*NM1*17**8", "IK5*R*5", "AK9*R*1*1*0"];

const CA_OK: [&str; 17] = [
    "BHT*0085*08*REF1*20240102*1230*TH",
    "HL*1**20*1",
    "NM1*PR*2*PAYER*****PI*123",
    "TRN*1*T1",
    "DTP*050*D8*20240101",
    "DTP*009*D8*20240102",
    "HL*2*1*21*1",
    "NM1*41*2*US*****46*ETIN",
    "TRN*2*BATCH1",
    "STC*A1:20*20240102*WQ*100",
    "HL*3*2*19*1",
    "NM1*85*2*CLINIC*****XX*1234567893",
    "TRN*1*P1",
    "HL*4*3*PT",
    "NM1*QC*1*SECRETLAST*SECRETFIRST****MI*SECRETMEMBER",
    "TRN*2*PCN1",
    "STC*A7:562:85*20240102*U*100",
];

/// `base` with an edit applied.
fn with(base: &[&'static str], edit: impl FnOnce(&mut Vec<&'static str>)) -> Vec<&'static str> {
    let mut v = base.to_vec();
    edit(&mut v);
    v
}

#[test]
fn the_minimal_documents_read() {
    let doc = parse_999(&w999(&ACK_OK)).unwrap();
    assert!(doc.findings.is_empty(), "{:?}", doc.findings);
    let doc = parse_277ca(&w277(&CA_OK)).unwrap();
    // Only the missing claim DTP*472 is reported.
    let codes: Vec<_> = doc.findings.iter().map(|f| (f.code, f.position.unwrap().segment)).collect();
    assert_eq!(codes, [("277ca.missing_segment", 19)]);
    assert!(!doc.claims()[0].accepted);
}

#[test]
fn empty_and_garbage_input() {
    for input in [&b""[..], b"   \n", b"hello world, not X12", b"\xff\xfe\x00garbage", b"ISA", b"ISA*00*"] {
        for e in [parse_999(input).unwrap_err(), parse_277ca(input).unwrap_err()] {
            assert!(
                matches!(e, X12Error::NotX12(_) | X12Error::Truncated(_) | X12Error::Isa(_) | X12Error::Syntax { .. }),
                "{input:?}: {e:?}"
            );
        }
    }
    // An envelope around a body of garbage.
    let e = parse_999(&w999(&["!!not a segment"])).unwrap_err();
    assert!(matches!(e, X12Error::Syntax { pos, .. } if pos.segment == 4), "{e:?}");
}

#[test]
fn every_truncation_of_every_fixture_is_an_error_not_a_panic() {
    for f in FIXTURES {
        let data = fixture(f);
        let end = data.iter().rposition(|&b| b == b'~' || b == b'|').unwrap();
        for cut in 0..data.len() {
            let part = &data[..cut];
            let (a, b) = (parse_999(part), parse_277ca(part));
            if cut <= end {
                assert!(a.is_err() && b.is_err(), "{f} cut at {cut}");
            }
        }
    }
}

#[test]
fn wrong_transaction_types() {
    let e = parse_999(&wrap("HC", "ST*837*0001*005010X222A1", &["BHT*0019*00*1*20240102*1230*CH"])).unwrap_err();
    assert!(matches!(&e, X12Error::WrongTransaction { pos, msg } if pos.segment == 3 && msg.contains("837")), "{e}");
    let e = parse_277ca(&wrap("HN", "ST*277*0001*004010X093A1", &CA_OK)).unwrap_err();
    assert!(matches!(&e, X12Error::WrongTransaction { msg, .. } if msg.contains("005010X214")), "{e}");
    // A 277 without ST03 takes its version from GS08.
    let e = parse_277ca(&wrap("HN", "ST*277*0001", &CA_OK)).unwrap_err();
    assert!(matches!(e, X12Error::WrongTransaction { .. }), "{e}");
    // ST01 garbage is not echoed.
    let e = parse_999(&wrap("FA", "ST*SECRET*0001", &ACK_OK)).unwrap_err();
    assert!(matches!(&e, X12Error::WrongTransaction { .. }) && !e.to_string().contains("SECRET"), "{e}");
    // A group with no transaction set.
    let empty = format!("{ISA}GS*FA*S*R*20240102*1230*7*X*005010X231A1~GE*0*7~IEA*1*000000007~");
    assert!(matches!(parse_999(empty.as_bytes()), Err(X12Error::WrongTransaction { .. })));
    assert!(matches!(parse_277ca(empty.as_bytes()), Err(X12Error::WrongTransaction { .. })));
}

fn missing(e: X12Error) -> (&'static str, usize) {
    match e {
        X12Error::MissingSegment { pos, segment, .. } => (segment, pos.segment),
        e => panic!("expected MissingSegment, got {e:?}"),
    }
}

fn element(e: X12Error) -> (String, usize, String) {
    match e {
        X12Error::Element { pos, element, msg } => (element, pos.segment, msg),
        e => panic!("expected Element, got {e:?}"),
    }
}

#[test]
fn missing_999_segments() {
    assert_eq!(missing(parse_999(&w999(&[])).unwrap_err()), ("AK1", 3));
    assert_eq!(missing(parse_999(&w999(&ACK_OK[1..])).unwrap_err()), ("AK1", 4));
    assert_eq!(missing(parse_999(&w999(&ACK_OK[..4])).unwrap_err()), ("AK9", 3));
    let no_ik5 = with(&ACK_OK, |v| {
        v.remove(3);
    });
    assert_eq!(missing(parse_999(&w999(&no_ik5)).unwrap_err()), ("IK5", 5));
    let two_ak2 = with(&ACK_OK, |v| v.insert(3, "AK2*837*0002"));
    assert_eq!(missing(parse_999(&w999(&two_ak2)).unwrap_err()), ("IK5", 5));
}

#[test]
fn bad_999_elements() {
    let cases: [(usize, &'static str, &str); 6] = [
        (0, "AK1*HC*X28*005010X222A1", "AK102"),
        (2, "IK3*NM1*SEVENTEEN**8", "IK302"),
        (3, "IK5*Q*5", "IK501"),
        (3, "IK5*P", "IK501"),
        (4, "AK9*R*1*one*0", "AK903"),
        (1, "AK2*837", "AK202"),
    ];
    for (i, seg, name) in cases {
        let body = with(&ACK_OK, |v| v[i] = seg);
        let (el, at, _) = element(parse_999(&w999(&body)).unwrap_err());
        assert_eq!((el.as_str(), at), (name, i + 4), "{seg}");
    }
    // IK401 that is not a number; the bad data copy is not in the message.
    let body = with(&ACK_OK, |v| v.insert(3, "IK4*X*67*7*SECRETDATA"));
    let e = parse_999(&w999(&body)).unwrap_err();
    assert!(matches!(&e, X12Error::Element { element, .. } if element == "IK401"), "{e}");
    assert!(!e.to_string().contains("SECRETDATA"), "{e}");
}

#[test]
fn stray_999_segments_are_findings() {
    let body = with(&ACK_OK, |v| {
        v.insert(0, "IK3*NM1*1**8");
        v.insert(2, "IK4*1**7");
        v.insert(3, "CTX*CLM01:SECRETPCN");
        v.insert(4, "NM1*IL*1*SECRETNAME");
        v.push("IK5*A");
    });
    // AK1 must come first.
    assert_eq!(missing(parse_999(&w999(&body)).unwrap_err()), ("AK1", 4));
    let body = with(&body, |v| {
        v.remove(0);
    });
    let doc = parse_999(&w999(&body)).unwrap();
    let found: Vec<_> = doc.findings.iter().map(|f| (f.code, f.position.unwrap().segment)).collect();
    assert_eq!(
        found,
        [
            ("999.unexpected_segment", 5),
            ("999.unexpected_segment", 6),
            ("999.unexpected_segment", 7),
            ("999.unexpected_segment", 12)
        ]
    );
    for f in &doc.findings {
        assert!(!f.message.contains("SECRET"), "{f}");
    }
    // The acknowledgement itself is intact.
    let t = &doc.acks().next().unwrap().transactions[0];
    assert_eq!(t.segment_errors[0].segment_id, "NM1");
}

#[test]
fn inconsistent_999_is_a_finding() {
    let body = with(&ACK_OK, |v| v[4] = "AK9*A*1*1*1");
    let doc = parse_999(&w999(&body)).unwrap();
    assert_eq!(doc.findings.iter().map(|f| f.code).collect::<Vec<_>>(), ["999.inconsistent"]);
}

#[test]
fn missing_277ca_segments() {
    assert_eq!(missing(parse_277ca(&w277(&CA_OK[1..])).unwrap_err()), ("BHT", 4));
    assert_eq!(missing(parse_277ca(&w277(&[])).unwrap_err()), ("BHT", 3));
    assert_eq!(missing(parse_277ca(&w277(&CA_OK[..1])).unwrap_err()), ("HL", 3));
    // No NM1 after an HL.
    let body = with(&CA_OK, |v| {
        v.remove(11);
    });
    assert_eq!(missing(parse_277ca(&w277(&body)).unwrap_err()), ("NM1", 14));
    // A claim without STC.
    assert_eq!(missing(parse_277ca(&w277(&CA_OK[..16])).unwrap_err()), ("STC", 19));
    // A status at the patient level before any TRN*2.
    let body = with(&CA_OK, |v| {
        v.remove(15);
    });
    assert_eq!(missing(parse_277ca(&w277(&body)).unwrap_err()), ("TRN", 19));
    // A billing provider level with no information receiver level above it.
    let body = with(&CA_OK, |v| {
        v.drain(6..10);
        v[6] = "HL*3*1*19*1";
    });
    assert_eq!(missing(parse_277ca(&w277(&body)).unwrap_err()), ("HL", 10));
}

#[test]
fn bad_277ca_hierarchy_and_elements() {
    let body = with(&CA_OK, |v| v[10] = "HL*3*9*19*1");
    let (el, at, _) = element(parse_277ca(&w277(&body)).unwrap_err());
    assert_eq!((el.as_str(), at), ("HL02", 14));
    let body = with(&CA_OK, |v| v[13] = "HL*4*3*XX");
    assert_eq!(element(parse_277ca(&w277(&body)).unwrap_err()).0, "HL03");
    let body = with(&CA_OK, |v| v[13] = "HL*4*3*22");
    assert!(matches!(parse_277ca(&w277(&body)), Err(X12Error::WrongTransaction { .. })));
    // Values are never echoed: a patient NM1 without its id, an amount and dates that do not parse.
    let cases: [(usize, &'static str, &str); 6] = [
        (14, "NM1*QC*1*SECRETLAST*SECRETFIRST****MI", "NM109"),
        (16, "STC*A7:562:85*20240102*U*SECRET", "STC04"),
        (16, "STC*A7*20240102*U*100", "STC01"),
        (16, "STC*A7:562*2024SECRET*U*100", "STC02"),
        (9, "STC*A1:20*20240102*WQ*100******A3", "STC10"),
        (12, "TRN*1", "TRN02"),
    ];
    for (i, seg, name) in cases {
        let body = with(&CA_OK, |v| v[i] = seg);
        let e = parse_277ca(&w277(&body)).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        let (el, at, _) = element(e);
        assert_eq!((el.as_str(), at), (name, i + 4), "{seg}");
    }
    for dtp in ["DTP*472*RD8*20240101", "DTP*472*RD8*20240101-2024SECRET", "DTP*472*XX*20240101"] {
        let body = with(&CA_OK, |v| v.push(dtp));
        let e = parse_277ca(&w277(&body)).unwrap_err();
        assert!(matches!(&e, X12Error::Element { element, .. } if element.starts_with("DTP")), "{e}");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
}

#[test]
fn stray_277ca_segments_are_findings() {
    let body = with(&CA_OK, |v| {
        v.insert(1, "NM1*XX*1*BEFORE");
        v.push("REF*ZZ*SECRETREF");
        v.push("DTP*999*D8*20240101");
        v.push("PWK*XX");
    });
    let doc = parse_277ca(&w277(&body)).unwrap();
    let stray: Vec<_> = doc
        .findings
        .iter()
        .filter(|f| f.code == "277ca.unexpected_segment")
        .map(|f| f.position.unwrap().segment)
        .collect();
    assert_eq!(stray, [5, 22, 23, 24]);
    assert!(doc.findings.iter().all(|f| !f.message.contains("SECRET")));
    assert_eq!(doc.claims().len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    /// Random edits of real files: any outcome but a panic.
    #[test]
    fn mutated_fixtures_never_panic(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
            &b"*:~|^-0123456789AZ \n\xff"[..])), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = fixture(FIXTURES[which]);
        for (at, b) in edits {
            let i = at.index(data.len());
            data[i] = b;
        }
        let keep = data.len() - cut.index(data.len() / 8 + 1);
        data.truncate(keep);
        let _ = parse_999(&data);
        let _ = parse_277ca(&data);
    }
}
