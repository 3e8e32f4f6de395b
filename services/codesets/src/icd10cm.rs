//! ICD-10-CM diagnosis codes, by version, each in force over a range of dates.
//!
//! Two versions ship (converted by `data/make_icd10cm.py`; provenance in `data/SOURCES.md`):
//!
//! | name | release | in force (inclusive) |
//! |---|---|---|
//! | `FY2025` | CDC/NCHS April 1 2025 update of FY2025 | 2024-10-01 ..= 2025-09-30 |
//! | `FY2026` | CDC/NCHS April 1 2026 update of FY2026 | 2025-10-01 ..= 2026-09-30 |
//!
//! A fiscal year's set is in force from October 1 to September 30. Only the April updates were
//! available, not the October releases, so each shipped set stands for its whole fiscal year:
//! a code added on April 1 is accepted from October 1 of that fiscal year, six months early.
//! A claim is judged by the set in force on its date of service ([`Icd10Cm::for_date`]).
//!
//! In memory a version is a sorted vector of 20-byte entries (the code packed in 7 bytes, flags,
//! chapter and block numbers, an offset into one description string) and, for
//! [`Version::search`], an inverted word index with `u32` postings in which codes are numbered
//! in result order (billable first, then shorter descriptions), so a search stops after `limit`
//! matches instead of ranking them all.

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::CodeSetError;
use crate::text::{WordIndex, WordQuery};

/// Versions of ICD-10-CM sorted by `effective_from`, no two in force on the same day.
#[derive(Debug)]
pub struct Icd10Cm {
    versions: Vec<Version>,
}

/// The version to judge a date by.
#[derive(Debug, Clone, Copy)]
pub enum VersionChoice<'a> {
    /// The version in force on the date.
    InForce(&'a Version),
    /// No version covers the date; this is the closest one in time (on a tie, the earlier).
    Nearest(&'a Version),
}

impl<'a> VersionChoice<'a> {
    pub fn version(&self) -> &'a Version {
        match self {
            VersionChoice::InForce(v) | VersionChoice::Nearest(v) => v,
        }
    }

    pub fn in_force(&self) -> bool {
        matches!(self, VersionChoice::InForce(_))
    }
}

const CODES_HEADER: &str = "code\tbillable\tkind\tparent\tchapter\tblock\tdescription";
const GROUPS_HEADER: &str = "kind\tid\tparent\tdescription";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date")
}

impl Icd10Cm {
    /// The shipped FY2025 and FY2026 sets, decompressed and indexed at first use (the two on
    /// two threads), then shared.
    pub fn shipped() -> &'static Icd10Cm {
        static SHIPPED: OnceLock<Icd10Cm> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let load = |name: &str, from: NaiveDate, to: NaiveDate, gz: &[u8], groups: &str| {
                let codes = crate::gunzip_shipped(name, gz);
                Version::from_tsv(name, from, Some(to), &codes, groups)
                    .unwrap_or_else(|e| panic!("shipped ICD-10-CM {name} does not load: {e}"))
            };
            let (fy2025, fy2026) = std::thread::scope(|s| {
                let fy2025 = s.spawn(|| {
                    load(
                        "FY2025",
                        date(2024, 10, 1),
                        date(2025, 9, 30),
                        include_bytes!("../data/icd10cm_fy2025_codes.tsv.gz"),
                        include_str!("../data/icd10cm_fy2025_chapters_blocks.tsv"),
                    )
                });
                let fy2026 = load(
                    "FY2026",
                    date(2025, 10, 1),
                    date(2026, 9, 30),
                    include_bytes!("../data/icd10cm_fy2026_codes.tsv.gz"),
                    include_str!("../data/icd10cm_fy2026_chapters_blocks.tsv"),
                );
                (fy2025.join().expect("the FY2025 loader does not panic"), fy2026)
            });
            Icd10Cm::new(vec![fy2025, fy2026]).expect("the shipped versions do not overlap")
        })
    }

    /// Sorts the versions by start date; refuses none at all, a range that ends before it
    /// starts, and ranges that overlap (a date must choose one version).
    pub fn new(mut versions: Vec<Version>) -> Result<Icd10Cm, CodeSetError> {
        if versions.is_empty() {
            return Err(CodeSetError::NoVersions);
        }
        for v in &versions {
            if let Some(to) = v.effective_to
                && to < v.effective_from
            {
                return Err(CodeSetError::EmptyRange { name: v.name.clone(), from: v.effective_from, to });
            }
        }
        versions.sort_by_key(|v| v.effective_from);
        for pair in versions.windows(2) {
            let (earlier, later) = (&pair[0], &pair[1]);
            if earlier.effective_to.is_none_or(|to| to >= later.effective_from) {
                return Err(CodeSetError::Overlap { first: earlier.name.clone(), second: later.name.clone() });
            }
        }
        Ok(Icd10Cm { versions })
    }

    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The version with the latest dates (there is always one: `new` refuses none).
    pub fn newest(&self) -> &Version {
        self.versions.last().expect("Icd10Cm::new refuses an empty set of versions")
    }

    /// Another version than `than` that holds `code`: why a code unknown on a date is still a
    /// code (deleted since, or added later).
    pub fn other_version_with(&self, code: &str, than: &Version) -> Option<&Version> {
        self.versions.iter().find(|v| !std::ptr::eq(*v, than) && v.get(code).is_some())
    }

    /// The version in force on `date`, or the nearest one when none is.
    pub fn for_date(&self, date: NaiveDate) -> VersionChoice<'_> {
        let after = self.versions.partition_point(|v| v.effective_from <= date);
        // Only the last version starting on or before `date` can cover it (no overlaps).
        if after > 0 && self.versions[after - 1].covers(date) {
            return VersionChoice::InForce(&self.versions[after - 1]);
        }
        let days_before_next = self.versions.get(after).map(|v| (v.effective_from - date).num_days());
        let days_after_previous = after.checked_sub(1).map(|i| {
            (date - self.versions[i].effective_to.expect("only an ended version can lie before a date")).num_days()
        });
        match (days_after_previous, days_before_next) {
            (Some(past), Some(ahead)) if ahead < past => VersionChoice::Nearest(&self.versions[after]),
            (Some(_), _) => VersionChoice::Nearest(&self.versions[after - 1]),
            (None, _) => VersionChoice::Nearest(&self.versions[0]),
        }
    }
}

/// One release of ICD-10-CM with the dates it is in force.
pub struct Version {
    name: String,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    /// Sorted by code.
    entries: Vec<Entry>,
    descriptions: String,
    chapters: Vec<GroupEntry>,
    blocks: Vec<GroupEntry>,
    words: WordIndex,
    /// The entry at each rank of the word index: billable first, then fewer description words,
    /// then code order.
    by_rank: Vec<u32>,
}

impl std::fmt::Debug for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Version")
            .field("name", &self.name)
            .field("effective_from", &self.effective_from)
            .field("effective_to", &self.effective_to)
            .field("codes", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// A code in 20 bytes: the code itself (ASCII, zero-padded, so the byte order is the code
/// order), where its description lies in the arena, and its chapter and block.
#[derive(Debug, Clone, Copy)]
struct Entry {
    code: [u8; 7],
    billable: bool,
    description_start: u32,
    description_len: u16,
    block: u16,
    chapter: u8,
}

#[derive(Debug)]
struct GroupEntry {
    id: Box<str>,
    description: Box<str>,
}

/// A code of a version, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub struct Code<'a> {
    /// Without the dot, as sent in an 837 (`S72001A`).
    pub code: &'a str,
    /// A leaf: valid on a claim. Headers (categories and subcategories with children) are not.
    pub billable: bool,
    pub description: &'a str,
    pub chapter: Group<'a>,
    /// The innermost block (the tabular list's "section") holding the code's category.
    pub block: Group<'a>,
}

impl Code<'_> {
    /// With the dot after the category, as people write it (`S72.001A`).
    pub fn dotted(&self) -> String {
        if self.code.len() > 3 { format!("{}.{}", &self.code[..3], &self.code[3..]) } else { self.code.to_owned() }
    }
}

/// A chapter (`id` is its number, "1" to "22") or a block (`id` is its range, "A00-A09").
#[derive(Clone, Copy, Debug)]
pub struct Group<'a> {
    pub id: &'a str,
    pub description: &'a str,
}

/// `code` trimmed, upper-cased and without its dot, packed as an entry key; `None` if it cannot
/// be an ICD-10-CM code (or, with `partial`, the start of one). A dot may only follow the third
/// character.
fn code_key(code: &str, partial: bool) -> Option<([u8; 7], usize)> {
    let mut key = [0u8; 7];
    let mut len = 0;
    let mut dots = 0;
    for b in code.trim().bytes() {
        if b == b'.' {
            dots += 1;
            if len != 3 || dots > 1 {
                return None;
            }
            continue;
        }
        if !b.is_ascii_alphanumeric() || len == 7 {
            return None;
        }
        key[len] = b.to_ascii_uppercase();
        len += 1;
    }
    let shape = len >= if partial { 1 } else { 3 } && key[0].is_ascii_alphabetic();
    shape.then_some((key, len))
}

/// Whether a query reads as a code being typed: one token, a letter first and a digit among
/// the next two characters (`E11`, `e11.9`, `QA0`, `S72.00`).
fn looks_like_code(query: &str) -> bool {
    let Some((key, len)) = code_key(query, true) else { return false };
    len >= 2 && (key[1].is_ascii_digit() || (len >= 3 && key[2].is_ascii_digit()))
}

impl Version {
    /// Builds a version from the two files `data/make_icd10cm.py` writes. `effective_to` is the
    /// last day in force, `None` for open-ended. Checks what the lookups rely on: codes unique,
    /// each parent an existing proper prefix of its child, billable exactly when a code has no
    /// children, chapters and blocks known.
    pub fn from_tsv(
        name: &str,
        effective_from: NaiveDate,
        effective_to: Option<NaiveDate>,
        codes_tsv: &str,
        chapters_blocks_tsv: &str,
    ) -> Result<Version, CodeSetError> {
        let groups_file = format!("{name} chapters and blocks");
        let mut chapters = Vec::new();
        let mut blocks = Vec::new();
        let mut block_chapter = Vec::new();
        for (line, fields) in crate::tsv_rows(&groups_file, chapters_blocks_tsv, GROUPS_HEADER)? {
            let [kind, id, parent, description] = fields[..] else {
                return Err(CodeSetError::data(&groups_file, line, "expected 4 fields"));
            };
            let group = GroupEntry { id: id.into(), description: description.into() };
            match kind {
                "chapter" => chapters.push(group),
                "block" => {
                    let chapter = chapters.iter().position(|c| *c.id == *parent).ok_or_else(|| {
                        CodeSetError::data(&groups_file, line, format!("block {id} names unknown chapter `{parent}`"))
                    })?;
                    blocks.push(group);
                    block_chapter.push(chapter);
                }
                other => return Err(CodeSetError::data(&groups_file, line, format!("unknown kind `{other}`"))),
            }
        }
        if chapters.len() > usize::from(u8::MAX) || blocks.len() > usize::from(u16::MAX) {
            return Err(CodeSetError::data(&groups_file, 1, "too many chapters or blocks"));
        }

        let codes_file = format!("{name} codes");
        let mut descriptions = String::with_capacity(codes_tsv.len() * 2 / 3);
        // (entry, line, parent key) until the order and the parents are checked.
        let mut rows = Vec::with_capacity(codes_tsv.len() / 100);
        let mut last_block = usize::MAX;
        for (line, fields) in crate::tsv_rows(&codes_file, codes_tsv, CODES_HEADER)? {
            let bad = |problem: String| CodeSetError::data(&codes_file, line, problem);
            let [code, billable, kind, parent, chapter_id, block, description] = fields[..] else {
                return Err(bad("expected 7 fields".into()));
            };
            let (key, _) = code_key(code, false)
                .filter(|_| !code.contains('.'))
                .ok_or_else(|| bad(format!("`{code}` is not an undotted ICD-10-CM code")))?;
            let billable = match billable {
                "1" => true,
                "0" => false,
                other => return Err(bad(format!("billable must be 1 or 0, not `{other}`"))),
            };
            let parent = match (kind, parent) {
                ("category", "") => None,
                ("subcategory" | "extended_subcategory", parent)
                    if code.len() > parent.len() && code.starts_with(parent) =>
                {
                    Some(code_key(parent, false).ok_or_else(|| bad(format!("parent `{parent}` is not a code")))?.0)
                }
                _ => {
                    return Err(bad(format!(
                        "{code}: kind `{kind}` with parent `{parent}` (a parent is the code's start)"
                    )));
                }
            };
            // Rows come grouped by block: try the previous row's block first.
            let block = if blocks.get(last_block).is_some_and(|b| *b.id == *block) {
                last_block
            } else {
                blocks.iter().position(|b| *b.id == *block).ok_or_else(|| bad(format!("unknown block `{block}`")))?
            };
            last_block = block;
            let chapter = block_chapter[block];
            if *chapters[chapter].id != *chapter_id {
                return Err(bad(format!(
                    "block {} is in chapter {}, not `{chapter_id}`",
                    blocks[block].id, chapters[chapter].id
                )));
            }
            let description_len =
                u16::try_from(description.len()).map_err(|_| bad("description longer than 65535 bytes".into()))?;
            if description.is_empty() {
                return Err(bad("empty description".into()));
            }
            let entry = Entry {
                code: key,
                billable,
                description_start: u32::try_from(descriptions.len())
                    .map_err(|_| bad("descriptions over 4 GiB".into()))?,
                description_len,
                block: block as u16,
                chapter: chapter as u8,
            };
            descriptions.push_str(description);
            rows.push((entry, line, parent));
        }
        rows.sort_by_key(|(entry, _, _)| entry.code);
        for pair in rows.windows(2) {
            if pair[0].0.code == pair[1].0.code {
                return Err(CodeSetError::data(&codes_file, pair[1].1, "code listed twice"));
            }
        }
        let entries: Vec<Entry> = rows.iter().map(|(entry, _, _)| *entry).collect();
        for (i, (entry, line, parent)) in rows.iter().enumerate() {
            if let Some(parent) = parent
                && entries.binary_search_by_key(parent, |e| e.code).is_err()
            {
                return Err(CodeSetError::data(&codes_file, *line, "the parent code is not in the file"));
            }
            // Descendants extend the code, so they sort right after it.
            let has_children = entries.get(i + 1).is_some_and(|next| extends(&next.code, &entry.code));
            if entry.billable == has_children {
                let problem = if has_children { "billable, but has children" } else { "a header without children" };
                return Err(CodeSetError::data(&codes_file, *line, problem));
            }
        }
        drop(rows);

        let description = |e: &Entry| &descriptions[e.description_start as usize..][..usize::from(e.description_len)];
        let (words, by_rank) = WordIndex::build(entries.iter().map(|e| [description(e)]), |i, distinct_words| {
            (!entries[i].billable, distinct_words, i)
        });
        descriptions.shrink_to_fit();
        Ok(Version {
            name: name.to_owned(),
            effective_from,
            effective_to,
            entries,
            descriptions,
            chapters,
            blocks,
            words,
            by_rank,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }

    /// The last day in force; `None` if open-ended.
    pub fn effective_to(&self) -> Option<NaiveDate> {
        self.effective_to
    }

    /// "in force 2025-10-01 to 2026-09-30" (or "in force from ..." for an open-ended version).
    pub fn in_force_text(&self) -> String {
        match self.effective_to {
            Some(to) => format!("in force {} to {to}", self.effective_from),
            None => format!("in force from {}", self.effective_from),
        }
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }

    /// Number of codes, billable and headers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Heap bytes held by the version (entries, descriptions, groups, word index).
    pub fn heap_bytes(&self) -> usize {
        let groups: usize = self.chapters.iter().chain(&self.blocks).map(|g| g.id.len() + g.description.len()).sum();
        self.name.capacity()
            + self.entries.capacity() * size_of::<Entry>()
            + self.descriptions.capacity()
            + (self.chapters.capacity() + self.blocks.capacity()) * size_of::<GroupEntry>()
            + groups
            + self.words.heap_bytes()
            + self.by_rank.capacity() * size_of::<u32>()
    }

    /// Number of distinct words in the search index.
    pub fn word_count(&self) -> usize {
        self.words.word_count()
    }

    /// A code, written with or without its dot, in any case, with spaces around.
    pub fn get(&self, code: &str) -> Option<Code<'_>> {
        let (key, _) = code_key(code, false)?;
        self.entries.binary_search_by_key(&key, |e| e.code).ok().map(|i| self.code_at(i))
    }

    /// The billable codes under `header` (the codes extending it, the header itself left out),
    /// in code order, at most `limit`. Empty for a billable code, which has nothing under it.
    pub fn billable_children(&self, header: &str, limit: usize) -> Vec<Code<'_>> {
        let Some((key, len)) = code_key(header, true) else { return Vec::new() };
        self.prefix_range(&key, len)
            .filter(|&i| self.entries[i].billable && self.entries[i].code != key)
            .take(limit)
            .map(|i| self.code_at(i))
            .collect()
    }

    /// Search as a coder types. A query that reads as a code (`E11`, `e11.6`, `S72.00`) gives
    /// the codes starting with it, in code order, so the exact code comes first. Otherwise every
    /// word of the query must be a word of the description, the last one possibly unfinished;
    /// billable codes come first, then descriptions with fewer words (fewer words the coder did
    /// not ask for), then code order. A one-word query that matches no word is tried as a code
    /// start (`qa` finds `QA0`).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Code<'_>> {
        if limit == 0 {
            return Vec::new();
        }
        if looks_like_code(query) {
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
        let ranks = self.words.matches(&parsed, limit, |rank| [self.description_at(entry_at(rank)), ""]);
        if ranks.is_empty() {
            return self.codes_starting(query, limit);
        }
        ranks.into_iter().map(|rank| self.code_at(entry_at(rank))).collect()
    }

    /// Every code, in code order.
    pub fn iter(&self) -> impl Iterator<Item = Code<'_>> {
        (0..self.entries.len()).map(|i| self.code_at(i))
    }

    fn codes_starting(&self, prefix: &str, limit: usize) -> Vec<Code<'_>> {
        let Some((key, len)) = code_key(prefix, true) else { return Vec::new() };
        self.prefix_range(&key, len).take(limit).map(|i| self.code_at(i)).collect()
    }

    /// Entry numbers of the codes starting with `key[..len]`.
    fn prefix_range(&self, key: &[u8; 7], len: usize) -> std::ops::Range<usize> {
        let lo = self.entries.partition_point(|e| e.code < *key);
        let count = self.entries[lo..].partition_point(|e| e.code[..len] == key[..len]);
        lo..lo + count
    }

    fn description_at(&self, i: usize) -> &str {
        let e = &self.entries[i];
        &self.descriptions[e.description_start as usize..][..usize::from(e.description_len)]
    }

    fn code_at(&self, i: usize) -> Code<'_> {
        let e = &self.entries[i];
        let len = e.code.iter().position(|&b| b == 0).unwrap_or(e.code.len());
        let chapter = &self.chapters[usize::from(e.chapter)];
        let block = &self.blocks[usize::from(e.block)];
        Code {
            // Checked to be ASCII letters and digits when loaded.
            code: std::str::from_utf8(&e.code[..len]).unwrap_or_default(),
            billable: e.billable,
            description: self.description_at(i),
            chapter: Group { id: &chapter.id, description: &chapter.description },
            block: Group { id: &block.id, description: &block.description },
        }
    }
}

/// `code` is `prefix` plus at least one more character.
fn extends(code: &[u8; 7], prefix: &[u8; 7]) -> bool {
    let len = prefix.iter().position(|&b| b == 0).unwrap_or(7);
    len < 7 && code[len] != 0 && code[..len] == prefix[..len]
}

#[cfg(test)]
mod tests;
