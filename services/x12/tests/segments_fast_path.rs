//! `Segments::try_for_each_segment` must give exactly what the `Segments` iterator gives: the same
//! segments (ids, positions, elements, components) and the same first error; and
//! `parse_interchanges_with` must give a `BodyReader` the segments `TransactionSet::segments` gives.

use proptest::prelude::*;
use rcm_x12::X12Error;
use rcm_x12::syntax::{
    BodyReader, Delimiters, Segment, Segments, TransactionSet, parse_interchanges, parse_interchanges_with,
};

/// What a segment exposes, owned.
#[derive(Debug, PartialEq)]
struct Seen {
    id: String,
    position: (usize, usize),
    elements: Vec<String>,
    components: Vec<Vec<String>>,
}

fn seen(s: &Segment<'_>) -> Seen {
    Seen {
        id: s.id().to_string(),
        position: (s.position().segment, s.position().offset),
        elements: (1..=s.len()).map(|i| s.element(i).to_string()).collect(),
        components: (1..=s.len()).map(|i| s.components(i).map(str::to_string).collect()).collect(),
    }
}

fn by_iterator(segments: Segments<'_>) -> (Vec<Seen>, Option<X12Error>) {
    let mut out = Vec::new();
    for s in segments {
        match s {
            Ok(s) => out.push(seen(&s)),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn by_callback(mut segments: Segments<'_>) -> (Vec<Seen>, Option<X12Error>) {
    let mut out = Vec::new();
    let r = segments.try_for_each_segment(|s| {
        out.push(seen(s));
        Ok(())
    });
    (out, r.err())
}

fn same(text: &str, delims: Delimiters) {
    let a = by_iterator(Segments::new(text, delims));
    let b = by_callback(Segments::new(text, delims));
    assert_eq!(a, b, "{text:?}");
}

#[test]
fn same_segments_on_edge_cases() {
    let d = Delimiters::default();
    let long = format!("NTE*{}~", "A".repeat(20_000));
    let many = format!("REF{}~", "*1".repeat(65));
    let exactly_64 = format!("REF{}~", "*1".repeat(64));
    for text in [
        "",
        "   \r\n",
        "ST*835*0001~",
        "ST*835*0001~BPR*I*1.5*C~\r\nTRN*1*2*3~",
        "CLP*A*1*12.5*10**12*ICN~SVC*HC:99213:25::*80*50**1~",
        "AB~ABCD*1~",
        "ST*835",
        "ST*835~  BPR",
        "~",
        "A*1~",
        "ST**~SE~",
        "12345678*1234567*123456789012345~LX*1~",
        "N3*\u{e9}T\u{e9}*X~",
        "abc*1~",
        long.as_str(),
        many.as_str(),
        exactly_64.as_str(),
    ] {
        same(text, d);
    }
    let nl = Delimiters { element: b'|', component: b'^', repetition: None, segment: b'\n' };
    for text in ["ST|835|1\r\nBPR|I|1\n\nTRN|1\r\n", "ST|835\nX", "ST|835|1\r\n\r\n"] {
        same(text, nl);
    }
    // A carriage return as the element separator with a newline terminator.
    let cr = Delimiters { element: b'\r', component: b':', repetition: None, segment: b'\n' };
    for text in ["ST\r835\r1\r\nBPR\r\n", "AB\r\nCD\r1\n", "AB\r\r\n"] {
        same(text, cr);
    }
}

#[test]
fn same_segments_on_every_835_fixture() {
    let dir = format!("{}/tests/fixtures/835", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for sub in ["herophilus-assets", "pyx12/tests", "edi-835-parser", "linuxforhealth-x12/835_005010X221A1"] {
        for entry in std::fs::read_dir(format!("{dir}/{sub}")).expect("fixture dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            let Ok(file) = parse_interchanges(&bytes) else { continue };
            for (ic, _, ts) in file.transactions() {
                let a = by_iterator(ts.segments());
                let b = by_callback(ts.segments());
                assert_eq!(a, b);
                assert!(!a.0.is_empty());
                n += ic.groups.len();
            }
        }
    }
    assert!(n >= 15, "{n}");
}

/// Every body it is given, as the list of its segments, closed at SE.
#[derive(Default)]
struct Bodies {
    open: Vec<Seen>,
    read: Vec<Vec<Seen>>,
}

impl<'a> BodyReader<'a> for Bodies {
    fn start(&mut self, _: &'a str, _: &Delimiters) -> bool {
        true
    }
    fn segment(&mut self, seg: &Segment<'a>) -> Result<(), X12Error> {
        self.open.push(seen(seg));
        Ok(())
    }
    fn end(&mut self, _: &TransactionSet<'a>) -> Result<(), X12Error> {
        self.read.push(std::mem::take(&mut self.open));
        Ok(())
    }
}

#[test]
fn body_readers_are_given_the_segments_of_each_transaction_set() {
    let dir = format!("{}/tests/fixtures/835", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for sub in ["herophilus-assets", "pyx12/tests", "edi-835-parser", "linuxforhealth-x12/835_005010X221A1"] {
        for entry in std::fs::read_dir(format!("{dir}/{sub}")).expect("fixture dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            let Ok(file) = parse_interchanges(&bytes) else { continue };
            let mut bodies = Bodies::default();
            let Ok(again) = parse_interchanges_with(&bytes, &mut bodies) else { continue };
            assert_eq!(format!("{:?}", again.interchanges), format!("{:?}", file.interchanges));
            assert_eq!(again.findings, file.findings);
            let expected: Vec<Vec<Seen>> = file.transactions().map(|(_, _, ts)| by_iterator(ts.segments()).0).collect();
            assert_eq!(bodies.read, expected);
            n += expected.len();
        }
    }
    assert!(n >= 15, "{n}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn same_segments_on_random_text(text in "[A-Z0-9a*:~^ \r\n.\u{e9}-]{0,80}") {
        same(&text, Delimiters::default());
        let nl = Delimiters { element: b'*', component: b':', repetition: Some(b'^'), segment: b'\n' };
        same(&text, nl);
        let cr = Delimiters { element: b'\r', component: b':', repetition: Some(b'^'), segment: b'\n' };
        same(&text, cr);
    }

    #[test]
    fn same_segments_on_segment_like_text(
        segs in proptest::collection::vec(("[A-Z][A-Z0-9]{1,2}", proptest::collection::vec("[A-Z0-9:.]{0,12}", 0..12)), 0..12),
        breaks in any::<bool>(),
    ) {
        let sep = if breaks { "~\r\n" } else { "~" };
        let text: String = segs.iter().map(|(id, els)| format!("{id}{}{sep}", els.iter().map(|e| format!("*{e}")).collect::<String>())).collect();
        same(&text, Delimiters::default());
    }
}
