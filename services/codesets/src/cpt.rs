//! CPT (Level I HCPCS) codes. CPT is the AMA's: its descriptions are never shipped. What ships
//! is the set of code numbers CMS's public tables carry (the July 2024 PFS relative value file
//! and the NCCI practitioner MUE table), as CMS publishes them. An operator with an AMA licence
//! loads descriptions per tenant with [`LicensedCpt::parse`].

use std::sync::OnceLock;

use crate::CodeSetError;

/// The shape of a CPT code: five digits (Category I), or four digits and `F` (Category II),
/// `T` (Category III), `U` (proprietary laboratory analyses) or `M` (multianalyte assays with
/// algorithmic analyses). Upper case only, no spaces: this checks a code as sent.
pub fn is_cpt_form(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'0'..=b'9' | b'F' | b'T' | b'U' | b'M')
}

/// Whether `code` is among the CPT code numbers in CMS's public tables (PFS RVU file July 2024,
/// NCCI practitioner MUEs 2024 Q3). A well-formed code outside them may still be a valid CPT
/// code (new, or not paid by Medicare); only a licensed file can tell.
pub fn cms_carries(code: &str) -> bool {
    is_cpt_form(code) && cms_numbers().binary_search(&key(code)).is_ok()
}

fn key(code: &str) -> [u8; 5] {
    code.as_bytes().try_into().unwrap_or_default()
}

fn cms_numbers() -> &'static [[u8; 5]] {
    static NUMBERS: OnceLock<Vec<[u8; 5]>> = OnceLock::new();
    NUMBERS.get_or_init(|| {
        let text = include_str!("../data/cpt_numbers_cms_2024_07.txt");
        let mut numbers: Vec<[u8; 5]> = text
            .lines()
            .skip(1)
            .map(|code| {
                assert!(is_cpt_form(code), "shipped CPT number list holds `{code}`");
                key(code)
            })
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    })
}

/// CPT descriptions from a file the operator is licensed to use, one tenant's worth.
#[derive(Debug)]
pub struct LicensedCpt {
    /// Sorted by code: the code and where its description lies in `descriptions`.
    entries: Vec<([u8; 5], u32, u32)>,
    descriptions: String,
}

impl LicensedCpt {
    /// Reads `code<TAB>description` or `code,description` lines (UTF-8; the separator is the
    /// line's first tab, or its first comma when it has no tab; double quotes around a field are
    /// removed, `""` inside them is a quote). Blank lines and lines starting with `#` are
    /// skipped; a first line whose code field is not a CPT code is taken as a header. Errors
    /// give the line number and the problem, never the line (the text is licensed).
    pub fn parse(text: &str) -> Result<LicensedCpt, CodeSetError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rows: Vec<([u8; 5], usize, String)> = Vec::new();
        let mut first_data_line = true;
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let err = |problem| CodeSetError::LicensedCpt { line: number, problem };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let is_first = std::mem::replace(&mut first_data_line, false);
            let (code, description) = match line.split_once('\t') {
                Some(fields) => fields,
                None => line.split_once(',').ok_or(err("expected a code, a tab or comma, and a description"))?,
            };
            let code = unquote(code.trim()).ok_or(err("unbalanced double quotes in the code field"))?;
            let code = code.to_ascii_uppercase();
            if !is_cpt_form(&code) {
                if is_first {
                    continue;
                }
                return Err(err("the code is not a CPT code (five digits, or four digits and F, T, U or M)"));
            }
            let description =
                unquote(description.trim()).ok_or(err("unbalanced double quotes in the description field"))?;
            let description = description.trim();
            if description.is_empty() {
                return Err(err("the description is empty"));
            }
            rows.push((key(&code), number, description.to_owned()));
        }
        if rows.is_empty() {
            return Err(CodeSetError::LicensedCpt {
                line: text.lines().count(),
                problem: "the file holds no CPT codes",
            });
        }
        rows.sort_by_key(|(code, number, _)| (*code, *number));
        if let Some(pair) = rows.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(CodeSetError::LicensedCpt { line: pair[1].1, problem: "the code is listed twice" });
        }
        let mut descriptions = String::with_capacity(rows.iter().map(|(_, _, d)| d.len()).sum());
        let mut entries = Vec::with_capacity(rows.len());
        for (code, number, description) in rows {
            let start = u32::try_from(descriptions.len())
                .map_err(|_| CodeSetError::LicensedCpt { line: number, problem: "the file is over 4 GiB" })?;
            descriptions.push_str(&description);
            entries.push((code, start, description.len() as u32));
        }
        Ok(LicensedCpt { entries, descriptions })
    }

    /// The licensed description of `code` (as sent: upper case, no spaces).
    pub fn get(&self, code: &str) -> Option<&str> {
        if !is_cpt_form(code) {
            return None;
        }
        let i = self.entries.binary_search_by_key(&key(code), |e| e.0).ok()?;
        let (_, start, len) = self.entries[i];
        Some(&self.descriptions[start as usize..(start + len) as usize])
    }

    /// Every (code, description), in code order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(code, start, len)| {
            let code = std::str::from_utf8(code).expect("codes are ASCII");
            (code, &self.descriptions[*start as usize..(*start + *len) as usize])
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `field` without surrounding double quotes (`""` inside them read as one quote); `None` if a
/// quote opens and does not close.
fn unquote(field: &str) -> Option<std::borrow::Cow<'_, str>> {
    match field.strip_prefix('"') {
        None => Some(field.into()),
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            // Inside, a quote must be doubled.
            if inner.replace("\"\"", "").contains('"') {
                return None;
            }
            Some(inner.replace("\"\"", "\"").into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpt_form() {
        for good in ["99213", "00100", "0001F", "0042T", "0001U", "0002M"] {
            assert!(is_cpt_form(good), "{good}");
        }
        for bad in ["9921", "992130", "A0021", "0001X", "0001f", " 99213", "9921a", ""] {
            assert!(!is_cpt_form(bad), "{bad:?}");
        }
    }

    #[test]
    fn cms_tables_carry_numbers_only() {
        assert!(cms_carries("99213"));
        assert!(cms_carries("0001U"), "from the MUE table");
        // Well-formed numbers in no CMS table: nothing in the 99x range below 99024 exists.
        assert!(is_cpt_form("99999") && !cms_carries("99999"));
        assert!(!cms_carries("00000"));
        assert!(!cms_carries("G0008"), "HCPCS Level II is not CPT");
        assert_eq!(cms_numbers().len(), 11_133);
    }

    #[test]
    fn licensed_file_tab_or_comma_header_comments_quotes() {
        let text = "\u{feff}# licensed to the practice\nCPT Code,Descriptor\n99213\tOffice visit, established\n\n\
                    99214,\"Office visit, \"\"moderate\"\"\"\r\n0001u,Lab analysis\n";
        let cpt = LicensedCpt::parse(text).unwrap();
        assert_eq!(cpt.len(), 3);
        assert_eq!(cpt.get("99213"), Some("Office visit, established"));
        assert_eq!(cpt.get("99214"), Some("Office visit, \"moderate\""));
        assert_eq!(cpt.get("0001U"), Some("Lab analysis"));
        assert_eq!(cpt.get("99215"), None);
    }

    #[test]
    fn licensed_file_errors_name_the_line_not_its_text() {
        let cases = [
            ("99213\tA\nsecret text without separator\n", 2),
            ("99213\tA\nX9999\tsecret descriptor\n", 2),
            ("# c\n\n99213\tA\n99214\t  \n", 4),
            ("99213\tA\n99214\tB\n99213\tsecret again\n", 3),
            ("99213\t\"secret unclosed\n", 1),
            ("code\tdescription\n# nothing else\n", 2),
        ];
        for (text, line) in cases {
            let err = LicensedCpt::parse(text).unwrap_err();
            assert!(matches!(err, CodeSetError::LicensedCpt { line: l, .. } if l == line), "{text:?}: {err}");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }
}
