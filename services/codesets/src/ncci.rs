//! NCCI edits for practitioners (CMS Medicare National Correct Coding Initiative), quarter
//! 2024 Q3: procedure-to-procedure (PTP) pairs, medically unlikely edits (MUE) and add-on code
//! (AOC) edits. Provenance in `data/SOURCES.md`.
//!
//! **Coverage.** The shipped tables are one quarter's, so they speak for dates of service from
//! 2024-07-01 to 2024-09-30 ([`Quarter::covers`]). The source keeps each PTP edit's deletion date
//! but not its effective date: an edit active in the quarter may have started after an earlier
//! date of service, and edits added after the quarter are unknown. A caller judging a date
//! outside the quarter can use the tables as the nearest evidence, and must say that it did
//! (scrubbing's `SCRUB-NCCI-NO-DATA`).
//!
//! **PTP in memory.** 2.4 million edits are grouped by column-1 code; an edit is a `u32` (the
//! column-2 code in 26 bits, the modifier indicator, the rationale's number) and a `u16` last day:
//! six bytes. Codes are numbers in base 36 ([`code_key`]), so number order is code order. Edits
//! with modifier indicator 9 ("not applicable": every one of them is deleted) are left out.

use std::io::BufRead;
use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::CodeSetError;

/// The quarter a set of NCCI tables is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarter {
    /// `2024Q3`.
    pub name: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Quarter {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} to {})", self.name, self.first_day, self.last_day)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date")
}

/// A five-character procedure code (CPT, CPT category II/III, HCPCS Level II) as a number in
/// base 36 over `0-9A-Z`; lower case is read as upper case. `None` unless five ASCII letters or
/// digits. Numbers sort as the codes do.
pub fn code_key(code: &str) -> Option<u32> {
    let b = code.as_bytes();
    if b.len() != 5 {
        return None;
    }
    let mut key = 0u32;
    for &c in b {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 10,
            _ => return None,
        };
        key = key * 36 + u32::from(digit);
    }
    Some(key)
}

/// The code a [`code_key`] number stands for.
pub fn key_code(mut key: u32) -> String {
    let mut out = [b'0'; 5];
    for slot in out.iter_mut().rev() {
        let digit = (key % 36) as u8;
        *slot = if digit < 10 { b'0' + digit } else { b'A' + digit - 10 };
        key /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const CODE_BITS: u32 = 26;
const CODE_MASK: u32 = (1 << CODE_BITS) - 1;
const MODIFIER_ALLOWED: u32 = 1 << CODE_BITS;
const RATIONALE_SHIFT: u32 = CODE_BITS + 1;
/// At most 32 distinct rationales (5 bits).
const MAX_RATIONALES: usize = 32;
/// `u16` day numbers count from here; `ACTIVE` is an edit without a deletion date.
const DAY_ZERO: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a valid date");
const ACTIVE: u16 = u16::MAX;

fn day_number(d: NaiveDate) -> u16 {
    (d - DAY_ZERO).num_days().clamp(0, i64::from(ACTIVE - 1)) as u16
}

fn from_day_number(n: u16) -> Option<NaiveDate> {
    (n != ACTIVE).then(|| DAY_ZERO + chrono::Days::new(u64::from(n)))
}

/// Distinct texts of a table column, numbered in order of first appearance.
#[derive(Debug, Default)]
struct Texts(Vec<Box<str>>);

impl Texts {
    fn number(&mut self, text: &str, max: usize) -> Option<usize> {
        if let Some(i) = self.0.iter().position(|t| **t == *text) {
            return Some(i);
        }
        (self.0.len() < max).then(|| {
            self.0.push(text.into());
            self.0.len() - 1
        })
    }

    fn heap_bytes(&self) -> usize {
        self.0.capacity() * size_of::<Box<str>>() + self.0.iter().map(|t| t.len()).sum::<usize>()
    }
}

/// Procedure-to-procedure edits: a column-2 code billed with its column-1 code, for the same
/// patient by the same provider on the same day, is not paid unless the modifier indicator
/// allows an NCCI-associated modifier and one is there.
#[derive(Debug)]
pub struct Ptp {
    /// Column-1 codes, sorted.
    column1: Vec<u32>,
    /// Where each column-1 code's edits start in `edits` (one more entry than `column1`).
    starts: Vec<u32>,
    /// Per edit: column-2 code, modifier indicator, rationale number; sorted by column-2 code
    /// within a column-1 code.
    edits: Vec<u32>,
    /// Per edit: the last day it is in force, or `ACTIVE`.
    last_days: Vec<u16>,
    rationales: Texts,
}

/// One PTP edit, as in force on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtpEdit<'a> {
    /// The comprehensive code ([`code_key`] form; [`key_code`] gives the text).
    pub column1: u32,
    /// The component code: not paid with `column1`.
    pub column2: u32,
    /// Modifier indicator 1: an NCCI-associated modifier may bypass the edit; 0: never.
    pub modifier_allowed: bool,
    /// The last day the edit is in force; `None` while it is active.
    pub last_day: Option<NaiveDate>,
    /// CMS's rationale for the edit.
    pub rationale: &'a str,
}

const PTP_HEADER: &str = "column1\tcolumn2\tdeletion_date\tmodifier_indicator\trationale";

impl Ptp {
    /// Reads the PTP table (`column1, column2, deletion_date, modifier_indicator, rationale`,
    /// tab-separated, sorted by column 1 then column 2). `deletion_date` is the last day the edit
    /// is in force, empty while active. Streams the rows: the text is never held whole.
    pub fn from_reader(file: &str, reader: impl BufRead) -> Result<Ptp, CodeSetError> {
        let mut ptp = Ptp {
            column1: Vec::new(),
            starts: Vec::new(),
            edits: Vec::new(),
            last_days: Vec::new(),
            rationales: Texts::default(),
        };
        let mut previous = (0u32, 0u32);
        let mut line_number = 0usize;
        let mut reader = reader;
        let mut line = String::new();
        loop {
            line.clear();
            let read =
                reader.read_line(&mut line).map_err(|e| CodeSetError::data(file, line_number + 1, e.to_string()))?;
            if read == 0 {
                break;
            }
            line_number += 1;
            let text = line.trim_end_matches(['\n', '\r']);
            if line_number == 1 {
                if text != PTP_HEADER {
                    return Err(CodeSetError::data(file, 1, format!("the header row must be `{PTP_HEADER}`")));
                }
                continue;
            }
            if text.is_empty() {
                continue;
            }
            let bad = |problem: String| CodeSetError::data(file, line_number, problem);
            let mut fields = text.split('\t');
            let (Some(c1), Some(c2), Some(deleted), Some(indicator), Some(rationale), None) =
                (fields.next(), fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected 5 fields".into()));
            };
            let key = |code: &str| code_key(code).ok_or_else(|| bad(format!("`{code}` is not a five-character code")));
            let (k1, k2) = (key(c1)?, key(c2)?);
            let allowed = match indicator {
                "0" => false,
                "1" => true,
                // Not applicable: the edit does not apply (all such edits are deleted ones).
                "9" => continue,
                other => return Err(bad(format!("modifier indicator must be 0, 1 or 9, not `{other}`"))),
            };
            if (k1, k2) < previous {
                return Err(bad("rows must be sorted by column 1, then column 2".into()));
            }
            previous = (k1, k2);
            let last_day = match crate::parse_date(file, line_number, deleted)? {
                Some(d) => day_number(d),
                None => ACTIVE,
            };
            let rationale = ptp
                .rationales
                .number(rationale, MAX_RATIONALES)
                .ok_or_else(|| bad(format!("more than {MAX_RATIONALES} distinct rationales")))?;
            if ptp.column1.last() != Some(&k1) {
                ptp.column1.push(k1);
                ptp.starts.push(ptp.edits.len() as u32);
            }
            ptp.edits.push(k2 | if allowed { MODIFIER_ALLOWED } else { 0 } | (rationale as u32) << RATIONALE_SHIFT);
            ptp.last_days.push(last_day);
        }
        if line_number == 0 {
            return Err(CodeSetError::data(file, 1, format!("the header row must be `{PTP_HEADER}`")));
        }
        ptp.starts.push(ptp.edits.len() as u32);
        for v in [&mut ptp.column1, &mut ptp.starts, &mut ptp.edits] {
            v.shrink_to_fit();
        }
        ptp.last_days.shrink_to_fit();
        Ok(ptp)
    }

    /// Number of edits kept (indicator 9 left out).
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        (self.column1.capacity() + self.starts.capacity() + self.edits.capacity()) * size_of::<u32>()
            + self.last_days.capacity() * size_of::<u16>()
            + self.rationales.heap_bytes()
    }

    /// The edit with `column1` as the comprehensive code and `column2` as the component in force
    /// on `date`: an active edit, or a deleted one whose last day is not before `date`. When a
    /// pair was deleted and added again, the row that ends first after `date` answers.
    pub fn edit(&self, column1: u32, column2: u32, date: NaiveDate) -> Option<PtpEdit<'_>> {
        let i = self.column1.binary_search(&column1).ok()?;
        let range = self.starts[i] as usize..self.starts[i + 1] as usize;
        let edits = &self.edits[range.clone()];
        let first = edits.partition_point(|e| e & CODE_MASK < column2);
        let day = day_number(date);
        let mut best: Option<usize> = None;
        for (j, e) in edits.iter().enumerate().skip(first) {
            if e & CODE_MASK != column2 {
                break;
            }
            let last = self.last_days[range.start + j];
            if last >= day && best.is_none_or(|b| last < self.last_days[range.start + b]) {
                best = Some(j);
            }
        }
        best.map(|j| {
            let e = edits[j];
            PtpEdit {
                column1,
                column2,
                modifier_allowed: e & MODIFIER_ALLOWED != 0,
                last_day: from_day_number(self.last_days[range.start + j]),
                rationale: &self.rationales.0[(e >> RATIONALE_SHIFT) as usize],
            }
        })
    }

    /// [`Ptp::edit`] with codes as text (`None` for a code that is not five letters or digits).
    pub fn edit_of(&self, column1: &str, column2: &str, date: NaiveDate) -> Option<PtpEdit<'_>> {
        self.edit(code_key(column1)?, code_key(column2)?, date)
    }

    /// Whether `code` is column 1 of any edit (cheap; lets a caller skip codes without edits).
    pub fn has_column1(&self, code: u32) -> bool {
        self.column1.binary_search(&code).is_ok()
    }
}

/// The MUE adjudication indicator: what the unit limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mai {
    /// 1: units on one claim line.
    Line,
    /// 2: units on one date of service, an absolute limit from policy.
    DatePolicy,
    /// 3: units on one date of service, from clinical benchmarks.
    DateClinical,
}

impl Mai {
    /// The limit counts every line of the day, not one line.
    pub fn per_day(self) -> bool {
        !matches!(self, Mai::Line)
    }

    pub fn number(self) -> u8 {
        match self {
            Mai::Line => 1,
            Mai::DatePolicy => 2,
            Mai::DateClinical => 3,
        }
    }
}

/// The most units of a code a provider reports for a patient (per line or per day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MueEdit<'a> {
    pub units: u32,
    pub mai: Mai,
    pub rationale: &'a str,
}

/// Practitioner MUEs, by code.
#[derive(Debug)]
pub struct Mue {
    /// (code, units, MAI, rationale number), sorted by code.
    entries: Vec<(u32, u32, Mai, u8)>,
    rationales: Texts,
}

const MUE_HEADER: &str = "service_type\tcode\tmue_units\tmai\trationale";

impl Mue {
    /// Reads the MUE table (`service_type, code, mue_units, mai, rationale`), keeping the rows of
    /// `service_type` ("Practitioner" for professional claims).
    pub fn from_tsv(file: &str, text: &str, service_type: &str) -> Result<Mue, CodeSetError> {
        let mut rationales = Texts::default();
        let mut entries = Vec::new();
        for (line, fields) in crate::tsv_rows(file, text, MUE_HEADER)? {
            let bad = |problem: String| CodeSetError::data(file, line, problem);
            let [kind, code, units, mai, rationale] = fields[..] else { return Err(bad("expected 5 fields".into())) };
            if kind != service_type {
                continue;
            }
            let code = code_key(code).ok_or_else(|| bad(format!("`{code}` is not a five-character code")))?;
            let units = units.parse().map_err(|_| bad(format!("MUE units `{units}` is not a whole number")))?;
            let mai = match mai {
                "1" => Mai::Line,
                "2" => Mai::DatePolicy,
                "3" => Mai::DateClinical,
                other => return Err(bad(format!("MAI must be 1, 2 or 3, not `{other}`"))),
            };
            let rationale = rationales.number(rationale, 256).ok_or_else(|| bad("over 256 rationales".into()))?;
            entries.push(((code, units, mai, rationale as u8), line));
        }
        entries.sort_by_key(|(e, _)| e.0);
        if let Some(pair) = entries.windows(2).find(|p| p[0].0.0 == p[1].0.0) {
            return Err(CodeSetError::data(file, pair[1].1, "code listed twice for the service type"));
        }
        Ok(Mue { entries: entries.into_iter().map(|(e, _)| e).collect(), rationales })
    }

    pub fn get(&self, code: u32) -> Option<MueEdit<'_>> {
        let i = self.entries.binary_search_by_key(&code, |e| e.0).ok()?;
        let (_, units, mai, rationale) = self.entries[i];
        Some(MueEdit { units, mai, rationale: &self.rationales.0[usize::from(rationale)] })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<(u32, u32, Mai, u8)>() + self.rationales.heap_bytes()
    }
}

/// Which primary codes an add-on code may go with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AocType {
    /// 1: only the listed primaries.
    Listed,
    /// 2: primaries the Medicare contractor defines; none listed.
    ContractorDefined,
    /// 3: the listed primaries, and others the contractor may accept.
    ListedAndContractor,
}

/// An add-on code's edit: it is paid only with a primary procedure on the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddOn<'a> {
    pub edit_type: AocType,
    /// Listed primary codes ([`code_key`] form), sorted; empty for type 2.
    pub primaries: &'a [u32],
}

/// Add-on code edits, by add-on code.
#[derive(Debug)]
pub struct AddOns {
    /// (add-on code, type, primaries start, primaries end), sorted by code.
    entries: Vec<(u32, AocType, u32, u32)>,
    primaries: Vec<u32>,
}

const AOC_HEADER: &str = "primary_code\tadd_on_code\taoc_edit_type";
/// The primary written for "defined by the contractor".
const CONTRACTOR: &str = "CCCCC";

impl AddOns {
    /// Reads the AOC table (`primary_code, add_on_code, aoc_edit_type`; `CCCCC` as the primary:
    /// contractor-defined).
    pub fn from_tsv(file: &str, text: &str) -> Result<AddOns, CodeSetError> {
        let mut rows: Vec<(u32, AocType, Option<u32>, usize)> = Vec::new();
        for (line, fields) in crate::tsv_rows(file, text, AOC_HEADER)? {
            let bad = |problem: String| CodeSetError::data(file, line, problem);
            let [primary, add_on, kind] = fields[..] else { return Err(bad("expected 3 fields".into())) };
            let code = |c: &str| code_key(c).ok_or_else(|| bad(format!("`{c}` is not a five-character code")));
            let kind = match kind {
                "1" => AocType::Listed,
                "2" => AocType::ContractorDefined,
                "3" => AocType::ListedAndContractor,
                other => return Err(bad(format!("AOC edit type must be 1, 2 or 3, not `{other}`"))),
            };
            let primary = if primary == CONTRACTOR { None } else { Some(code(primary)?) };
            rows.push((code(add_on)?, kind, primary, line));
        }
        rows.sort_by_key(|r| (r.0, r.2));
        let mut entries: Vec<(u32, AocType, u32, u32)> = Vec::new();
        let mut primaries = Vec::new();
        for (add_on, kind, primary, line) in rows {
            match entries.last_mut() {
                Some(e) if e.0 == add_on => {
                    if e.1 != kind {
                        return Err(CodeSetError::data(file, line, "an add-on code with two edit types"));
                    }
                }
                _ => entries.push((add_on, kind, primaries.len() as u32, primaries.len() as u32)),
            }
            if let Some(p) = primary {
                primaries.push(p);
                entries.last_mut().expect("pushed above").3 += 1;
            }
        }
        Ok(AddOns { entries, primaries })
    }

    pub fn get(&self, add_on: u32) -> Option<AddOn<'_>> {
        let i = self.entries.binary_search_by_key(&add_on, |e| e.0).ok()?;
        let (_, edit_type, start, end) = self.entries[i];
        Some(AddOn { edit_type, primaries: &self.primaries[start as usize..end as usize] })
    }

    /// Number of add-on codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<(u32, AocType, u32, u32)>() + self.primaries.capacity() * size_of::<u32>()
    }
}

/// One quarter's practitioner tables.
#[derive(Debug)]
pub struct Ncci {
    pub quarter: Quarter,
    pub ptp: Ptp,
    pub mue: Mue,
    pub aoc: AddOns,
}

impl Ncci {
    /// The shipped 2024 Q3 tables, loaded at first use (the PTP table, the large one, streamed
    /// from its gzip file while the others load), then shared.
    pub fn shipped() -> &'static Ncci {
        static SHIPPED: OnceLock<Ncci> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            const PTP: &str = "ncci_ptp_practitioner_2024q3.tsv.gz";
            let (ptp, (mue, aoc)) = std::thread::scope(|s| {
                let ptp = s.spawn(|| {
                    let gz = flate2::read::GzDecoder::new(
                        &include_bytes!("../data/ncci_ptp_practitioner_2024q3.tsv.gz")[..],
                    );
                    Ptp::from_reader(PTP, std::io::BufReader::with_capacity(1 << 16, gz))
                        .unwrap_or_else(|e| panic!("shipped NCCI PTP table does not load: {e}"))
                });
                let mue_text =
                    crate::gunzip_shipped("ncci_mue_2024q3.tsv.gz", include_bytes!("../data/ncci_mue_2024q3.tsv.gz"));
                let mue = Mue::from_tsv("ncci_mue_2024q3.tsv.gz", &mue_text, "Practitioner")
                    .unwrap_or_else(|e| panic!("shipped NCCI MUE table does not load: {e}"));
                let aoc = AddOns::from_tsv("ncci_aoc_2024q3.tsv", include_str!("../data/ncci_aoc_2024q3.tsv"))
                    .unwrap_or_else(|e| panic!("shipped NCCI AOC table does not load: {e}"));
                (ptp.join().expect("the PTP loader does not panic"), (mue, aoc))
            });
            Ncci {
                quarter: Quarter { name: "2024Q3".into(), first_day: date(2024, 7, 1), last_day: date(2024, 9, 30) },
                ptp,
                mue,
                aoc,
            }
        })
    }

    pub fn heap_bytes(&self) -> usize {
        self.ptp.heap_bytes() + self.mue.heap_bytes() + self.aoc.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn k(code: &str) -> u32 {
        code_key(code).unwrap()
    }

    #[test]
    fn codes_as_numbers_keep_their_order() {
        for code in ["00000", "0001A", "0591T", "99213", "G0439", "ZZZZZ", "J3490"] {
            assert_eq!(key_code(k(code)), code);
        }
        assert_eq!(code_key("g0439"), code_key("G0439"));
        let mut codes = ["99213", "0001A", "G0439", "0591T", "11721", "A0021", "99204"];
        let mut keys: Vec<u32> = codes.iter().map(|c| k(c)).collect();
        codes.sort();
        keys.sort();
        assert_eq!(keys.iter().map(|&k| key_code(k)).collect::<Vec<_>>(), codes);
        assert!(k("ZZZZZ") <= CODE_MASK);
        for bad in ["9921", "992133", "99-13", "", "9921 "] {
            assert_eq!(code_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn shipped_quarter_and_counts() {
        let n = Ncci::shipped();
        assert_eq!(n.quarter.name, "2024Q3");
        assert!(n.quarter.covers(day("2024-07-01")) && n.quarter.covers(day("2024-09-30")));
        assert!(!n.quarter.covers(day("2024-06-30")) && !n.quarter.covers(day("2024-10-01")));
        // 2,546,017 rows less the 98,853 with modifier indicator 9.
        assert_eq!(n.ptp.len(), 2_447_164);
        assert_eq!(n.mue.len(), 14_677);
        // 7,465 rows for 668 add-on codes.
        assert_eq!(n.aoc.len(), 668);
    }

    #[test]
    fn a_ptp_pair_deleted_and_added_again() {
        let ptp = &Ncci::shipped().ptp;
        // 20610 (arthrocentesis, major joint) / 99213: deleted 2019-12-31, active again since.
        let old = ptp.edit(k("20610"), k("99213"), day("2019-12-31")).unwrap();
        assert_eq!(old.last_day, Some(day("2019-12-31")));
        assert!(old.modifier_allowed);
        assert_eq!(old.rationale, "CPT Manual or CMS manual coding instruction");
        let now = ptp.edit(k("20610"), k("99213"), day("2024-08-15")).unwrap();
        assert_eq!(now.last_day, None);
        // The pair is ordered: 99213 is not column 1 over 20610.
        assert_eq!(ptp.edit(k("99213"), k("20610"), day("2024-08-15")), None);
    }

    #[test]
    fn a_deleted_edit_stops_after_its_last_day() {
        let ptp = &Ncci::shipped().ptp;
        // 0001A / 0591T: indicator 1, last in force 2023-12-31, never added again.
        let e = ptp.edit_of("0001A", "0591T", day("2023-12-31")).unwrap();
        assert_eq!((e.modifier_allowed, e.last_day), (true, Some(day("2023-12-31"))));
        assert_eq!(ptp.edit_of("0001A", "0591T", day("2024-01-01")), None);
        // 0001A / 36591: indicator 0.
        assert!(!ptp.edit_of("0001A", "36591", day("2023-06-01")).unwrap().modifier_allowed);
    }

    #[test]
    fn modifier_indicator_zero_and_nine() {
        let ptp = &Ncci::shipped().ptp;
        // 99204 / 99203: two new-patient visits; indicator 0, active.
        let e = ptp.edit_of("99204", "99203", day("2024-08-01")).unwrap();
        assert!(!e.modifier_allowed);
        assert_eq!(e.rationale, "HCPCS/CPT procedure code definition");
        // 97110 / 97140: indicator 9 (deleted 1999-04-01): not an edit at all.
        assert_eq!(ptp.edit_of("97110", "97140", day("1999-01-01")), None);
        assert!(ptp.has_column1(k("97110")));
        assert!(!ptp.has_column1(k("99999")));
    }

    #[test]
    fn mue_per_line_and_per_day() {
        let mue = &Ncci::shipped().mue;
        let e = mue.get(k("99213")).unwrap();
        assert_eq!((e.units, e.mai, e.rationale), (2, Mai::DateClinical, "Clinical: Data"));
        assert!(e.mai.per_day());
        let e = mue.get(k("11721")).unwrap();
        assert_eq!((e.units, e.mai), (1, Mai::DatePolicy));
        // The practitioner row, not the outpatient hospital one.
        assert_eq!(mue.get(k("97110")).unwrap().units, 6);
        assert_eq!(mue.get(k("99999")), None);
    }

    #[test]
    fn add_on_codes_and_their_primaries() {
        let aoc = &Ncci::shipped().aoc;
        let a = aoc.get(k("0071U")).unwrap();
        assert_eq!(a.edit_type, AocType::Listed);
        assert_eq!(a.primaries, [k("0070U")]);
        let contractor = aoc.get(k("0054T")).unwrap();
        assert_eq!(contractor.edit_type, AocType::ContractorDefined);
        assert!(contractor.primaries.is_empty());
        assert!(aoc.get(k("99213")).is_none());
    }

    const PTP_TSV: &str = "column1\tcolumn2\tdeletion_date\tmodifier_indicator\trationale\n\
        11111\t22222\t\t0\tA\n11111\t33333\t2020-01-31\t1\tB\n11111\t33333\t\t0\tB\n44444\t11111\t2001-01-01\t9\tC\n";

    #[test]
    fn a_small_table_read_from_text() {
        let ptp = Ptp::from_reader("t", PTP_TSV.as_bytes()).unwrap();
        assert_eq!(ptp.len(), 3);
        let e = ptp.edit_of("11111", "33333", day("2020-01-31")).unwrap();
        assert_eq!((e.modifier_allowed, e.rationale), (true, "B"));
        let e = ptp.edit_of("11111", "33333", day("2020-02-01")).unwrap();
        assert!(!e.modifier_allowed);
        assert_eq!(ptp.edit_of("44444", "11111", day("2000-01-01")), None);
        assert_eq!(ptp.edit_of("11111", "22222", day("1995-05-05")).map(|e| e.rationale), Some("A"));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let unsorted = format!("{PTP_HEADER}\n22222\t11111\t\t0\tA\n11111\t22222\t\t0\tA\n");
        let e = Ptp::from_reader("t", unsorted.as_bytes()).unwrap_err();
        assert!(matches!(&e, CodeSetError::Data { line: 3, problem, .. } if problem.contains("sorted")), "{e}");
        let indicator = format!("{PTP_HEADER}\n11111\t22222\t\t2\tA\n");
        assert!(matches!(Ptp::from_reader("t", indicator.as_bytes()), Err(CodeSetError::Data { line: 2, .. })));
        let date = format!("{PTP_HEADER}\n11111\t22222\t2020-02-30\t1\tA\n");
        assert!(matches!(Ptp::from_reader("t", date.as_bytes()), Err(CodeSetError::Data { line: 2, .. })));
        let short = format!("{PTP_HEADER}\n11111\t22222\t\t1\n");
        assert!(matches!(Ptp::from_reader("t", short.as_bytes()), Err(CodeSetError::Data { line: 2, .. })));
        assert!(matches!(Ptp::from_reader("t", &b"x\n"[..]), Err(CodeSetError::Data { line: 1, .. })));
        let mue = format!("{MUE_HEADER}\nPractitioner\t99213\ttwo\t3\tx\n");
        assert!(matches!(Mue::from_tsv("m", &mue, "Practitioner"), Err(CodeSetError::Data { line: 2, .. })));
        let aoc = format!("{AOC_HEADER}\n11111\t22222\t1\n33333\t22222\t3\n");
        assert!(matches!(AddOns::from_tsv("a", &aoc), Err(CodeSetError::Data { line: 3, .. })));
    }
}
