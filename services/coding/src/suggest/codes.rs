//! The code set the suggester draws on: descriptions, billability, and which codes are the
//! right, left and bilateral forms of an "unspecified side" code.

use super::text::{normalise_word, split_words};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub(crate) struct CodeInfo {
    pub code: String,
    pub description: String,
    pub billable: bool,
}

/// The lateral forms of a code whose description says "unspecified ear/side/knee...".
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Lateral {
    pub right: Option<u32>,
    pub left: Option<u32>,
    pub bilateral: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Right,
    Left,
    Bilateral,
}

#[derive(Debug)]
pub(crate) struct CodeBook {
    pub codes: Vec<CodeInfo>,
    index: HashMap<String, u32>,
    lateral: HashMap<u32, Lateral>,
}

/// Words that name the body part a laterality word qualifies ("right ear", "unspecified knee").
const BODY_PARTS: &[&str] = &[
    "ear",
    "eye",
    "side",
    "knee",
    "hip",
    "shoulder",
    "elbow",
    "wrist",
    "hand",
    "foot",
    "feet",
    "ankle",
    "leg",
    "arm",
    "lower",
    "upper",
    "limb",
    "extremity",
    "thigh",
    "finger",
    "toe",
    "breast",
    "kidney",
    "lung",
    "ovary",
    "tube",
    "eyelid",
    "orbit",
    "forearm",
    "buttock",
    "heel",
    "great",
    "thumb",
    "ureter",
    "testis",
    "lacrimal",
    "gland",
];

impl CodeBook {
    pub fn new<'a>(codes: impl IntoIterator<Item = (&'a str, &'a str, bool)>) -> Result<CodeBook, String> {
        let mut book = CodeBook { codes: Vec::new(), index: HashMap::new(), lateral: HashMap::new() };
        for (code, description, billable) in codes {
            let code = code.trim().replace('.', "");
            if code.is_empty() {
                return Err("a code in the code set is empty".to_string());
            }
            if book.index.insert(code.clone(), book.codes.len() as u32).is_some() {
                return Err(format!("code {code} appears twice in the code set"));
            }
            book.codes.push(CodeInfo { code, description: description.trim().to_string(), billable });
        }
        book.find_lateral_forms();
        Ok(book)
    }

    pub fn get(&self, code: &str) -> Option<u32> {
        self.index.get(code).copied()
    }

    pub fn info(&self, index: u32) -> &CodeInfo {
        &self.codes[index as usize]
    }

    /// The form of `index` for `side`, when it is an "unspecified side" code that has one.
    pub fn lateral(&self, index: u32, side: Side) -> Option<u32> {
        let forms = self.lateral.get(&index)?;
        match side {
            Side::Right => forms.right,
            Side::Left => forms.left,
            Side::Bilateral => forms.bilateral,
        }
    }

    /// Groups billable codes that differ in one character and whose descriptions differ only in
    /// the side ("Otitis media, unspecified, right ear" / "..., left ear" / "..., bilateral" /
    /// "..., unspecified ear"), and records the sided forms of the unspecified one.
    fn find_lateral_forms(&mut self) {
        let mut groups: HashMap<(String, String), Vec<(Option<Side>, u32)>> = HashMap::new();
        for (i, info) in self.codes.iter().enumerate() {
            if !info.billable {
                continue;
            }
            let words: Vec<String> = split_words(&info.description)
                .into_iter()
                .map(|(s, e)| normalise_word(&info.description[s..e]))
                .collect();
            let has = |w: &str| words.iter().any(|x| x == w);
            let side = match (has("right"), has("left"), has("bilateral")) {
                (true, false, false) => Some(Side::Right),
                (false, true, false) => Some(Side::Left),
                (false, false, true) => Some(Side::Bilateral),
                (false, false, false) if has("unspecified") => None,
                _ => continue,
            };
            let mut key = Vec::with_capacity(words.len());
            for word in &words {
                let is_side = matches!(word.as_str(), "right" | "left" | "unspecified" | "bilateral");
                if is_side {
                    key.push("#");
                } else if key.last() == Some(&"#") && BODY_PARTS.contains(&word.as_str()) {
                    continue;
                } else {
                    key.push(word.as_str());
                }
            }
            let code = info.code.as_bytes();
            let wildcard = if code.len() == 7 && code[6].is_ascii_alphabetic() { 5 } else { code.len() - 1 };
            let mut pattern = info.code.clone();
            pattern.replace_range(wildcard..wildcard + 1, "_");
            groups.entry((pattern, key.join(" "))).or_default().push((side, i as u32));
        }
        for members in groups.into_values() {
            let unspecified: Vec<u32> = members.iter().filter(|(s, _)| s.is_none()).map(|&(_, i)| i).collect();
            let [unspecified] = unspecified[..] else { continue };
            let find = |side: Side| members.iter().find(|(s, _)| *s == Some(side)).map(|&(_, i)| i);
            let forms = Lateral { right: find(Side::Right), left: find(Side::Left), bilateral: find(Side::Bilateral) };
            if forms.right.is_some() || forms.left.is_some() || forms.bilateral.is_some() {
                self.lateral.insert(unspecified, forms);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sided_forms_of_an_unspecified_side_code() {
        let book = CodeBook::new([
            ("H6690", "Otitis media, unspecified, unspecified ear", true),
            ("H6691", "Otitis media, unspecified, right ear", true),
            ("H6692", "Otitis media, unspecified, left ear", true),
            ("H6693", "Otitis media, unspecified, bilateral", true),
            ("S93401A", "Sprain of unspecified ligament of right ankle, initial encounter", true),
            ("S93402A", "Sprain of unspecified ligament of left ankle, initial encounter", true),
            ("S93409A", "Sprain of unspecified ligament of unspecified ankle, initial encounter", true),
            ("S93409D", "Sprain of unspecified ligament of unspecified ankle, subsequent encounter", true),
        ])
        .unwrap();
        let code = |c: &str| book.get(c).unwrap();
        assert_eq!(book.lateral(code("H6690"), Side::Right), Some(code("H6691")));
        assert_eq!(book.lateral(code("H6690"), Side::Bilateral), Some(code("H6693")));
        assert_eq!(book.lateral(code("S93409A"), Side::Left), Some(code("S93402A")));
        assert_eq!(book.lateral(code("H6691"), Side::Left), None);
    }
}
