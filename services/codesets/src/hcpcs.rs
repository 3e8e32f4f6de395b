//! HCPCS Level II codes (CMS, July 2024 quarterly file), terminated codes included, with the
//! dates they were added and terminated so a claim can be judged by its date of service.
//!
//! `terminated` is the last day a code may be used: CMS's HCPCS record layout defines the
//! termination date as the last date a code can be used by Medicare providers, and in the
//! shipped file every terminated code's discontinuation takes effect the next day
//! (`date_action_effective` = `date_terminated` + 1 for all 1,058 of them).

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::CodeSetError;
use crate::text::{WordIndex, WordQuery};

const HEADER: &str = "code\tshort_description\tlong_description\tdate_added\tdate_terminated";

/// The HCPCS Level II code set, sorted by code, with a word index over both descriptions.
pub struct Hcpcs {
    entries: Vec<Entry>,
    text: String,
    words: WordIndex,
    /// The entry at each rank of the word index: not terminated first, then fewer description
    /// words, then code order.
    by_rank: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    code: [u8; 5],
    short_start: u32,
    short_len: u16,
    long_len: u16,
    added: Option<NaiveDate>,
    terminated: Option<NaiveDate>,
}

/// A HCPCS Level II code, borrowed from the set.
#[derive(Clone, Copy, Debug)]
pub struct HcpcsCode<'a> {
    pub code: &'a str,
    pub short_description: &'a str,
    pub long_description: &'a str,
    /// The first day the code is valid.
    pub added: Option<NaiveDate>,
    /// The last day the code is valid; `None` while it is active.
    pub terminated: Option<NaiveDate>,
}

impl HcpcsCode<'_> {
    /// Valid for a service on `date`: on or after `added`, on or before `terminated`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.added.is_none_or(|added| added <= date) && self.terminated.is_none_or(|last| date <= last)
    }
}

/// Five characters, a letter and four digits, trimmed and upper-cased; `None` otherwise.
fn code_key(code: &str) -> Option<[u8; 5]> {
    let code = code.trim().as_bytes();
    let key: [u8; 5] = code.try_into().ok()?;
    let key = key.map(|b| b.to_ascii_uppercase());
    (key[0].is_ascii_alphabetic() && key[1..].iter().all(u8::is_ascii_digit)).then_some(key)
}

impl Hcpcs {
    /// The shipped July 2024 file, loaded at first use.
    pub fn shipped() -> &'static Hcpcs {
        static SHIPPED: OnceLock<Hcpcs> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let text = crate::gunzip_shipped("hcpcs_2024_07.tsv.gz", include_bytes!("../data/hcpcs_2024_07.tsv.gz"));
            Hcpcs::from_tsv(&text).unwrap_or_else(|e| panic!("shipped HCPCS file does not load: {e}"))
        })
    }

    /// Builds the set from the shipped TSV layout (see `data/SOURCES.md`).
    pub fn from_tsv(tsv: &str) -> Result<Hcpcs, CodeSetError> {
        const FILE: &str = "HCPCS codes";
        let mut text = String::with_capacity(tsv.len());
        let mut rows = Vec::new();
        for (line, fields) in crate::tsv_rows(FILE, tsv, HEADER)? {
            let bad = |problem: String| CodeSetError::data(FILE, line, problem);
            let [code, short, long, added, terminated] = fields[..] else {
                return Err(bad("expected 5 fields".into()));
            };
            let key = code_key(code).filter(|k| k == code.as_bytes()).ok_or_else(|| {
                bad(format!("`{code}` is not a HCPCS Level II code (a capital letter and four digits)"))
            })?;
            let too_long = |_| bad("description longer than 65535 bytes".into());
            let entry = Entry {
                code: key,
                short_start: u32::try_from(text.len()).map_err(|_| bad("descriptions over 4 GiB".into()))?,
                short_len: u16::try_from(short.len()).map_err(too_long)?,
                long_len: u16::try_from(long.len()).map_err(too_long)?,
                added: crate::parse_date(FILE, line, added)?,
                terminated: crate::parse_date(FILE, line, terminated)?,
            };
            text.push_str(short);
            text.push_str(long);
            rows.push((entry, line));
        }
        rows.sort_by_key(|(e, _)| e.code);
        if let Some(pair) = rows.windows(2).find(|pair| pair[0].0.code == pair[1].0.code) {
            return Err(CodeSetError::data(FILE, pair[1].1, "code listed twice"));
        }
        let entries: Vec<Entry> = rows.into_iter().map(|(e, _)| e).collect();
        text.shrink_to_fit();
        let (words, by_rank) = WordIndex::build(
            entries.iter().map(|e| {
                let (short, long) = descriptions(&text, e);
                [short, long]
            }),
            |i, distinct_words| (entries[i].terminated.is_some(), distinct_words, i),
        );
        Ok(Hcpcs { entries, text, words, by_rank })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Heap bytes held by the set.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
            + self.text.capacity()
            + self.words.heap_bytes()
            + self.by_rank.capacity() * size_of::<u32>()
    }

    /// A code in any case, with spaces around; terminated codes too (check
    /// [`HcpcsCode::in_force`]).
    pub fn get(&self, code: &str) -> Option<HcpcsCode<'_>> {
        let key = code_key(code)?;
        self.entries.binary_search_by_key(&key, |e| e.code).ok().map(|i| self.code_at(i))
    }

    /// As [`crate::icd10cm::Version::search`]: a query reading as a code start (`J30`, `g0`)
    /// gives codes in code order; otherwise every word must appear in the short or long
    /// description, the last word possibly unfinished; codes not terminated come first, then
    /// those with fewer description words, then code order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<HcpcsCode<'_>> {
        if limit == 0 {
            return Vec::new();
        }
        let bytes = query.trim().as_bytes();
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1].is_ascii_digit() {
            let hits = self.codes_starting(query, limit);
            if !hits.is_empty() {
                return hits;
            }
        }
        let parsed = WordQuery::parse(query);
        if parsed.is_empty() {
            return Vec::new();
        }
        let entry_at = |rank: u32| self.by_rank[rank as usize] as usize;
        let ranks = self.words.matches(&parsed, limit, |rank| {
            let (short, long) = descriptions(&self.text, &self.entries[entry_at(rank)]);
            [short, long]
        });
        if ranks.is_empty() {
            return self.codes_starting(query, limit);
        }
        ranks.into_iter().map(|rank| self.code_at(entry_at(rank))).collect()
    }

    /// Every code, in code order.
    pub fn iter(&self) -> impl Iterator<Item = HcpcsCode<'_>> {
        (0..self.entries.len()).map(|i| self.code_at(i))
    }

    fn codes_starting(&self, prefix: &str, limit: usize) -> Vec<HcpcsCode<'_>> {
        let prefix = prefix.trim().to_ascii_uppercase();
        if prefix.is_empty() || prefix.len() > 5 || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Vec::new();
        }
        let lo = self.entries.partition_point(|e| e.code[..] < *prefix.as_bytes());
        (lo..self.entries.len())
            .take_while(|&i| self.entries[i].code.starts_with(prefix.as_bytes()))
            .take(limit)
            .map(|i| self.code_at(i))
            .collect()
    }

    fn code_at(&self, i: usize) -> HcpcsCode<'_> {
        let e = &self.entries[i];
        let (short, long) = descriptions(&self.text, e);
        HcpcsCode {
            // Checked to be ASCII when loaded.
            code: std::str::from_utf8(&e.code).unwrap_or_default(),
            short_description: short,
            long_description: long,
            added: e.added,
            terminated: e.terminated,
        }
    }
}

fn descriptions<'t>(text: &'t str, e: &Entry) -> (&'t str, &'t str) {
    let start = e.short_start as usize;
    let middle = start + usize::from(e.short_len);
    (&text[start..middle], &text[middle..middle + usize::from(e.long_len)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_terminated_code_is_in_force_through_its_last_day() {
        let hcpcs = Hcpcs::shipped();
        assert_eq!(hcpcs.len(), 8033);
        // Irrigation supply sleeve: added 1990-01-01, terminated 2021-12-31.
        let a4397 = hcpcs.get(" a4397 ").expect("terminated codes are kept");
        assert_eq!(a4397.code, "A4397");
        assert_eq!(a4397.short_description, "Irrigation supply sleeve");
        assert_eq!(a4397.terminated, Some(day("2021-12-31")));
        assert!(a4397.in_force(day("2021-12-31")));
        assert!(!a4397.in_force(day("2022-01-01")));
        assert!(!a4397.in_force(day("1989-12-31")));
        assert!(a4397.in_force(day("1990-01-01")));
        let a0021 = hcpcs.get("A0021").unwrap();
        assert_eq!(a0021.terminated, None);
        assert!(a0021.in_force(day("2026-06-01")));
        assert!(hcpcs.get("A002").is_none());
        assert!(hcpcs.get("99213").is_none(), "CPT codes are not HCPCS Level II");
    }

    #[test]
    fn search_by_code_start_and_by_words() {
        let hcpcs = Hcpcs::shipped();
        let by_code = hcpcs.search("j30", 5);
        assert!(!by_code.is_empty());
        assert!(by_code.iter().all(|c| c.code.starts_with("J30")));
        assert!(by_code.windows(2).all(|w| w[0].code < w[1].code));
        let exact = hcpcs.search("A4397", 3);
        assert_eq!(exact[0].code, "A4397");

        let sleeve = hcpcs.search("irrigation supply sle", 10);
        assert!(sleeve.iter().any(|c| c.code == "A4397"));
        for c in &sleeve {
            let text = format!("{} {}", c.short_description, c.long_description).to_lowercase();
            assert!(text.contains("irrigation") && text.contains("sle"), "{}", c.code);
        }
        // Active codes rank before terminated ones.
        let wheelchair = hcpcs.search("wheelchair", 200);
        let first_terminated = wheelchair.iter().position(|c| c.terminated.is_some()).unwrap_or(wheelchair.len());
        assert!(wheelchair[first_terminated..].iter().all(|c| c.terminated.is_some()));
        assert!(hcpcs.search("zzzqqq", 5).is_empty());
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let bad_code = format!("{HEADER}\nA0021\ts\tl\t1985-01-01\t\n99213\ts\tl\t\t\n");
        assert!(matches!(Hcpcs::from_tsv(&bad_code), Err(CodeSetError::Data { line: 3, .. })));
        let bad_date = format!("{HEADER}\nA0021\ts\tl\t1985-13-01\t\n");
        assert!(matches!(Hcpcs::from_tsv(&bad_date), Err(CodeSetError::Data { line: 2, .. })));
        let twice = format!("{HEADER}\nA0021\ts\tl\t\t\nA0021\ts\tl\t\t\n");
        assert!(matches!(Hcpcs::from_tsv(&twice), Err(CodeSetError::Data { line: 3, .. })));
        assert!(matches!(Hcpcs::from_tsv("code\n"), Err(CodeSetError::Data { line: 1, .. })));
    }
}
