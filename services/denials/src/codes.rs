//! The CARC and RARC code lists shipped with the crate (`data/`, see `data/SOURCES.md`): each
//! code with the dates it was in effect, so that a remittance's codes can be checked against the
//! remit date. Only the code values and dates are shipped; the descriptions are X12's.

use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The release of the shipped lists.
pub const VERSION: &str = "carc+rarc 2024-06 (WPC/X12 snapshot via northstar a37fd49)";

const CARC_TSV: &str = include_str!("../data/carc_2024_06.tsv");
const RARC_TSV: &str = include_str!("../data/rarc_2024_06.tsv");

/// The CAS claim adjustment group codes.
pub const GROUP_CODES: [&str; 5] = ["CO", "CR", "OA", "PI", "PR"];

/// When a code was in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub start: Option<NaiveDate>,
    /// The last day it was in effect, for a deactivated code.
    pub end: Option<NaiveDate>,
}

/// A code list: code → validity.
#[derive(Debug, Clone, Default)]
pub struct CodeList {
    codes: HashMap<String, Validity>,
}

/// What a list says about a code on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    Active,
    /// Deactivated: its last day was before the date asked about.
    Deactivated(NaiveDate),
    /// Not yet in effect on the date asked about.
    NotYetEffective(NaiveDate),
    Unknown,
}

impl CodeList {
    /// Parses a list with a header row and columns `code`, `start_date`, `last_modified`, `end_date`
    /// (more columns are ignored). A line whose dates do not parse is an error.
    pub fn parse(tsv: &str) -> Result<CodeList, String> {
        let mut codes = HashMap::new();
        for (i, line) in tsv.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let date = |k: usize| -> Result<Option<NaiveDate>, String> {
                match cols.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(Some)
                        .map_err(|e| format!("line {}: date {s:?}: {e}", i + 1)),
                }
            };
            let code = cols[0].trim();
            if code.is_empty() {
                return Err(format!("line {}: no code", i + 1));
            }
            codes.insert(code.to_string(), Validity { start: date(1)?, end: date(3)? });
        }
        Ok(CodeList { codes })
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn get(&self, code: &str) -> Option<Validity> {
        self.codes.get(code).copied()
    }

    /// The code's status on `on`.
    pub fn status(&self, code: &str, on: NaiveDate) -> CodeStatus {
        match self.codes.get(code) {
            None => CodeStatus::Unknown,
            Some(Validity { end: Some(end), .. }) if *end < on => CodeStatus::Deactivated(*end),
            Some(Validity { start: Some(start), .. }) if *start > on => CodeStatus::NotYetEffective(*start),
            Some(_) => CodeStatus::Active,
        }
    }
}

/// Both lists.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    pub carc: CodeList,
    pub rarc: CodeList,
}

/// The shipped lists, parsed once.
pub fn shipped() -> &'static Codes {
    static CODES: OnceLock<Codes> = OnceLock::new();
    CODES.get_or_init(|| Codes {
        carc: CodeList::parse(CARC_TSV).expect("the shipped CARC list parses"),
        rarc: CodeList::parse(RARC_TSV).expect("the shipped RARC list parses"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_lists_are_complete() {
        let c = shipped();
        assert_eq!(c.carc.len(), 405);
        assert_eq!(c.rarc.len(), 1171);
        let deactivated = c.carc.codes.values().filter(|v| v.end.is_some()).count();
        assert_eq!(deactivated, 110);
    }

    #[test]
    fn a_code_is_judged_on_the_remit_date() {
        let c = shipped();
        // Given CARC 15 (authorization number missing), deactivated after 2018-05-01
        assert_eq!(c.carc.status("15", day("2018-04-30")), CodeStatus::Active);
        assert_eq!(c.carc.status("15", day("2018-05-01")), CodeStatus::Active, "its last day");
        assert_eq!(c.carc.status("15", day("2026-11-26")), CodeStatus::Deactivated(day("2018-05-01")));
        // CARC 197 starts 2006-10-31
        assert_eq!(c.carc.status("197", day("2006-01-01")), CodeStatus::NotYetEffective(day("2006-10-31")));
        assert_eq!(c.carc.status("197", day("2026-11-26")), CodeStatus::Active);
        assert_eq!(c.carc.status("ZZ9", day("2026-11-26")), CodeStatus::Unknown);
        assert_eq!(c.rarc.status("M51", day("2026-11-26")), CodeStatus::Active);
        assert_eq!(c.rarc.status("N9999", day("2026-11-26")), CodeStatus::Unknown);
    }

    #[test]
    fn a_list_with_a_bad_date_is_refused() {
        let e = CodeList::parse("code\tstart_date\tlast_modified\tend_date\n1\t1995-13-01\t\t\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let l = CodeList::parse("code\tstart_date\tlast_modified\tend_date\n1\t1995-01-01\t\t2000-01-01\n").unwrap();
        assert_eq!(l.get("1"), Some(Validity { start: Some(day("1995-01-01")), end: Some(day("2000-01-01")) }));
    }
}
