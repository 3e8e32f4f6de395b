//! The diagnosis edits of CMS's "Definitions of Medicare Code Edits" (MCE) **v41.1**, for
//! ICD-10-CM FY2024: age conflicts (newborn, pediatric, maternity, adult), sex conflicts, and
//! manifestation codes that may not be the principal (first) diagnosis. Provenance in
//! `data/SOURCES.md`.
//!
//! **Coverage.** v41.1 is the April 2024 update of FY2024's MCE. As with the ICD-10-CM files, the
//! update stands for its whole fiscal year: it speaks for dates of service from 2023-10-01 to
//! 2024-09-30 ([`Mce::covers`]). Codes added to ICD-10-CM in FY2025 and FY2026 are not in it, so
//! for a later date a code without an edit here may have one in a newer MCE: a caller must not
//! read "not listed" as "no edit" there. [`Mce::age_or_sex_codes`] lets it see where that
//! matters (groups of codes that mostly carry age or sex edits).

use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::CodeSetError;

/// One kind of MCE diagnosis edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MceEdit {
    /// Age 0 only.
    Newborn,
    /// Ages 0 to 17.
    Pediatric,
    /// Ages 9 to 64.
    Maternity,
    /// Ages 15 to 124.
    Adult,
    FemaleOnly,
    MaleOnly,
    /// A manifestation code: not allowed as the principal (first) diagnosis.
    ManifestationNotPrincipal,
}

impl MceEdit {
    pub const ALL: [MceEdit; 7] = [
        MceEdit::Newborn,
        MceEdit::Pediatric,
        MceEdit::Maternity,
        MceEdit::Adult,
        MceEdit::FemaleOnly,
        MceEdit::MaleOnly,
        MceEdit::ManifestationNotPrincipal,
    ];

    /// As in the MCE file (`newborn`, `female_only`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MceEdit::Newborn => "newborn",
            MceEdit::Pediatric => "pediatric",
            MceEdit::Maternity => "maternity",
            MceEdit::Adult => "adult",
            MceEdit::FemaleOnly => "female_only",
            MceEdit::MaleOnly => "male_only",
            MceEdit::ManifestationNotPrincipal => "manifestation_not_principal",
        }
    }

    fn from_name(name: &str) -> Option<MceEdit> {
        MceEdit::ALL.into_iter().find(|e| e.name() == name)
    }

    fn bit(self) -> u8 {
        1 << MceEdit::ALL.iter().position(|e| *e == self).expect("in ALL")
    }

    /// An age edit's index into [`Mce`]'s age ranges.
    fn age_index(self) -> Option<usize> {
        match self {
            MceEdit::Newborn => Some(0),
            MceEdit::Pediatric => Some(1),
            MceEdit::Maternity => Some(2),
            MceEdit::Adult => Some(3),
            _ => None,
        }
    }

    /// `F` or `M` for a sex edit.
    pub fn sex(self) -> Option<char> {
        match self {
            MceEdit::FemaleOnly => Some('F'),
            MceEdit::MaleOnly => Some('M'),
            _ => None,
        }
    }
}

/// The set of edits on one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MceEdits(u8);

impl MceEdits {
    pub fn contains(self, edit: MceEdit) -> bool {
        self.0 & edit.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any age or sex edit is among them.
    pub fn has_age_or_sex(self) -> bool {
        self.iter().any(|e| e != MceEdit::ManifestationNotPrincipal)
    }

    pub fn iter(self) -> impl Iterator<Item = MceEdit> {
        MceEdit::ALL.into_iter().filter(move |e| self.contains(*e))
    }
}

/// An ICD-10-CM code without the dot, zero-padded to seven bytes; `None` if it is not 3 to 7
/// letters or digits (a dot after the third is dropped).
fn code_key(code: &str) -> Option<[u8; 7]> {
    let mut key = [0u8; 7];
    let mut len = 0;
    for (i, b) in code.trim().bytes().enumerate() {
        if b == b'.' && i == 3 {
            continue;
        }
        if !b.is_ascii_alphanumeric() || len == 7 {
            return None;
        }
        key[len] = b.to_ascii_uppercase();
        len += 1;
    }
    (len >= 3).then_some(key)
}

/// One MCE version's diagnosis edits.
#[derive(Debug)]
pub struct Mce {
    name: String,
    fiscal_year: String,
    first_day: NaiveDate,
    last_day: NaiveDate,
    /// Sorted by code.
    codes: Vec<([u8; 7], MceEdits)>,
    /// Inclusive ages (years) of the newborn, pediatric, maternity and adult edits.
    ages: [(u8, u8); 4],
}

const HEADER: &str =
    "code\tcode_dotted\tedit_group\tedit\tage_min\tage_max\tsex\tbillable_in_fy2026_apr\tdescription_fy2024";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date")
}

impl Mce {
    /// The shipped v41.1 (FY2024), loaded at first use.
    pub fn shipped() -> &'static Mce {
        static SHIPPED: OnceLock<Mce> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let text = crate::gunzip_shipped("mce_v41_1.tsv.gz", include_bytes!("../data/mce_v41_1.tsv.gz"));
            Mce::from_tsv("v41.1", "FY2024", date(2023, 10, 1), date(2024, 9, 30), &text)
                .unwrap_or_else(|e| panic!("shipped MCE v41.1 does not load: {e}"))
        })
    }

    /// Reads the MCE table (see `data/SOURCES.md`). Every row of an age edit must give the same
    /// age range, and a sex edit its sex.
    pub fn from_tsv(
        name: &str,
        fiscal_year: &str,
        first_day: NaiveDate,
        last_day: NaiveDate,
        text: &str,
    ) -> Result<Mce, CodeSetError> {
        let file = format!("MCE {name}");
        let mut ages: [Option<(u8, u8)>; 4] = [None; 4];
        let mut rows: Vec<([u8; 7], MceEdits)> = Vec::new();
        for (line, fields) in crate::tsv_rows(&file, text, HEADER)? {
            let bad = |problem: String| CodeSetError::data(&file, line, problem);
            let [code, _dotted, _group, edit, age_min, age_max, sex, _billable, _description] = fields[..] else {
                return Err(bad("expected 9 fields".into()));
            };
            let key = code_key(code)
                .filter(|_| !code.contains('.'))
                .ok_or_else(|| bad(format!("`{code}` is not an undotted ICD-10-CM code")))?;
            let edit = MceEdit::from_name(edit).ok_or_else(|| bad(format!("unknown edit `{edit}`")))?;
            if let Some(i) = edit.age_index() {
                let parse = |s: &str| s.parse::<u8>().map_err(|_| bad(format!("age `{s}` is not a number of years")));
                let range = (parse(age_min)?, parse(age_max)?);
                if *ages[i].get_or_insert(range) != range || range.0 > range.1 {
                    return Err(bad(format!("the {} edit's age range differs from an earlier row", edit.name())));
                }
            }
            let expected_sex = edit.sex().map(String::from).unwrap_or_default();
            if sex != expected_sex {
                return Err(bad(format!("the {} edit has sex `{sex}`", edit.name())));
            }
            rows.push((key, MceEdits(edit.bit())));
        }
        rows.sort_by_key(|r| r.0);
        let mut codes: Vec<([u8; 7], MceEdits)> = Vec::with_capacity(rows.len());
        for (key, edits) in rows {
            match codes.last_mut() {
                Some(last) if last.0 == key => last.1.0 |= edits.0,
                _ => codes.push((key, edits)),
            }
        }
        // An age edit with no row keeps MCE's published range.
        let defaults = [(0, 0), (0, 17), (9, 64), (15, 124)];
        let ages = std::array::from_fn(|i| ages[i].unwrap_or(defaults[i]));
        Ok(Mce { name: name.to_owned(), fiscal_year: fiscal_year.to_owned(), first_day, last_day, codes, ages })
    }

    /// `v41.1`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `FY2024`.
    pub fn fiscal_year(&self) -> &str {
        &self.fiscal_year
    }

    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    pub fn last_day(&self) -> NaiveDate {
        self.last_day
    }

    /// The version speaks for `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }

    /// The edits on a code (with or without its dot, any case); empty when it has none.
    pub fn edits(&self, code: &str) -> MceEdits {
        code_key(code)
            .and_then(|key| self.codes.binary_search_by_key(&key, |c| c.0).ok())
            .map(|i| self.codes[i].1)
            .unwrap_or_default()
    }

    /// The codes that carry an age or sex edit, in code order (without dots).
    pub fn age_or_sex_codes(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().filter(|(_, e)| e.has_age_or_sex()).map(|(key, _)| {
            let len = key.iter().position(|&b| b == 0).unwrap_or(7);
            // Checked to be ASCII letters and digits when loaded.
            std::str::from_utf8(&key[..len]).unwrap_or_default()
        })
    }

    /// The inclusive age range in years of an age edit; `None` for the others.
    pub fn age_range(&self, edit: MceEdit) -> Option<(u8, u8)> {
        edit.age_index().map(|i| self.ages[i])
    }

    /// Number of codes with at least one edit.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.codes.capacity() * size_of::<([u8; 7], MceEdits)>() + self.name.capacity() + self.fiscal_year.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_version_counts_and_coverage() {
        let mce = Mce::shipped();
        assert_eq!((mce.name(), mce.fiscal_year()), ("v41.1", "FY2024"));
        assert!(mce.covers(date(2023, 10, 1)) && mce.covers(date(2024, 9, 30)));
        assert!(!mce.covers(date(2024, 10, 1)));
        // 7,946 rows for 5,343 codes: maternity codes are also female-only, N52.1 carries three edits.
        assert_eq!(mce.len(), 5343);
        assert_eq!(mce.age_range(MceEdit::Maternity), Some((9, 64)));
        assert_eq!(mce.age_range(MceEdit::Adult), Some((15, 124)));
        assert_eq!(mce.age_range(MceEdit::FemaleOnly), None);
    }

    #[test]
    fn real_codes_and_their_edits() {
        let mce = Mce::shipped();
        // Tetanus neonatorum: newborn.
        assert_eq!(mce.edits("A33").iter().collect::<Vec<_>>(), [MceEdit::Newborn]);
        // Single live birth, spontaneous delivery: maternity and female only.
        let o80 = mce.edits("O80");
        assert!(o80.contains(MceEdit::Maternity) && o80.contains(MceEdit::FemaleOnly), "{o80:?}");
        // Hyperplasia of prostate: male only, dotted or not.
        assert!(mce.edits("N40.0").contains(MceEdit::MaleOnly));
        assert!(mce.edits("n400").contains(MceEdit::MaleOnly));
        // Essential hypertension: no edit.
        assert!(mce.edits("I10").is_empty());
        assert!(mce.edits("").is_empty());
    }

    #[test]
    fn manifestation_codes() {
        let mce = Mce::shipped();
        // Dementia in other diseases classified elsewhere (F02.80): a manifestation code.
        assert_eq!(mce.edits("F0280").iter().collect::<Vec<_>>(), [MceEdit::ManifestationNotPrincipal]);
        assert!(!mce.edits("F0280").has_age_or_sex());
    }

    #[test]
    fn the_codes_with_age_or_sex_edits() {
        let mce = Mce::shipped();
        let codes: Vec<&str> = mce.age_or_sex_codes().collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(codes.contains(&"N400") && codes.contains(&"O80") && codes.contains(&"A33"));
        assert!(!codes.contains(&"F0280"), "manifestation only");
        // 5,343 codes less the 422 manifestation codes, but for the 6 with a sex edit too (N52.1).
        assert_eq!(codes.len(), 5343 - 422 + 6);
        assert!(codes.contains(&"N521"));
    }

    #[test]
    fn inconsistent_rows_are_refused_with_the_line() {
        let row =
            |edit: &str, min: &str, max: &str, sex: &str| format!("A33\tA33\tage\t{edit}\t{min}\t{max}\t{sex}\t1\tx\n");
        let load =
            |rows: &str| Mce::from_tsv("t", "FY", date(2023, 10, 1), date(2024, 9, 30), &format!("{HEADER}\n{rows}"));
        assert!(load(&row("newborn", "0", "0", "")).is_ok());
        let ages = row("newborn", "0", "0", "") + &row("newborn", "0", "1", "");
        assert!(matches!(load(&ages), Err(CodeSetError::Data { line: 3, .. })));
        assert!(matches!(load(&row("female_only", "", "", "M")), Err(CodeSetError::Data { line: 2, .. })));
        assert!(matches!(load(&row("elderly", "", "", "")), Err(CodeSetError::Data { line: 2, .. })));
    }
}
