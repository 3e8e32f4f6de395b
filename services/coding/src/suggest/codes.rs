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

    /// The codes for `side`: its sided form; for both sides without a bilateral code, the right
    /// and the left codes (ICD-10-CM codes each side then); else the code itself.
    pub fn sided(&self, index: u32, side: Option<Side>) -> Vec<u32> {
        let Some(side) = side else { return vec![index] };
        if let Some(code) = self.lateral(index, side) {
            return vec![code];
        }
        match (side, self.lateral.get(&index)) {
            (Side::Bilateral, Some(Lateral { right: Some(right), left: Some(left), bilateral: None })) => {
                vec![*right, *left]
            }
            _ => vec![index],
        }
    }

    /// Finds the sided forms of "unspecified side" codes, two ways. First, codes that differ in
    /// the character carrying the side and whose descriptions differ only in the side ("Otitis
    /// media, unspecified, right ear" / "..., left ear" / "..., bilateral" / "..., unspecified
    /// ear"). Then, for sides still missing, codes of the same category whose descriptions hold
    /// the same words once side words are left out ("Unilateral primary osteoarthritis,
    /// unspecified knee" / "Bilateral primary osteoarthritis of knee").
    fn find_lateral_forms(&mut self) {
        let mut strict: SideGroups = HashMap::new();
        let mut loose: SideGroups = HashMap::new();
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
            strict.entry((side_pattern(&info.code), key.join(" "))).or_default().push((side, i as u32));
            let mut bag: Vec<&str> = words
                .iter()
                .map(String::as_str)
                .filter(|w| {
                    !matches!(*w, "right" | "left" | "unspecified" | "bilateral" | "unilateral" | "of" | "in" | "the")
                })
                .collect();
            bag.sort_unstable();
            let category = info.code.get(..3).unwrap_or(&info.code).to_string();
            loose.entry((category, bag.join(" "))).or_default().push((side, i as u32));
        }
        for groups in [strict, loose] {
            for members in groups.into_values() {
                let unspecified: Vec<u32> = members.iter().filter(|(s, _)| s.is_none()).map(|&(_, i)| i).collect();
                let [unspecified] = unspecified[..] else { continue };
                let only = |side: Side| match members.iter().filter(|(s, _)| *s == Some(side)).collect::<Vec<_>>()[..] {
                    [&(_, code)] => Some(code),
                    _ => None,
                };
                let forms = self.lateral.entry(unspecified).or_default();
                forms.right = forms.right.or(only(Side::Right));
                forms.left = forms.left.or(only(Side::Left));
                forms.bilateral = forms.bilateral.or(only(Side::Bilateral));
            }
        }
        self.lateral.retain(|_, f| f.right.is_some() || f.left.is_some() || f.bilateral.is_some());
    }
}

/// Sided codes grouped by a key: `(key, key) → [(side or None for unspecified, code)]`.
type SideGroups = HashMap<(String, String), Vec<(Option<Side>, u32)>>;

/// The code with the character that carries the side blanked: the last one, or for a code with a
/// 7th character, the last one before its placeholder X's ("S83.90XA" and "S83.92XA" → "S839_|A").
fn side_pattern(code: &str) -> String {
    let (base, extension) = if code.len() == 7 { (code[..6].trim_end_matches('X'), &code[6..]) } else { (code, "") };
    match base.char_indices().last() {
        Some((last, _)) => format!("{}_|{extension}", &base[..last]),
        None => code.to_string(),
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
            ("S8390XA", "Sprain of unspecified site of unspecified knee, initial encounter", true),
            ("M170", "Bilateral primary osteoarthritis of knee", true),
            ("M1710", "Unilateral primary osteoarthritis, unspecified knee", true),
            ("M1711", "Unilateral primary osteoarthritis, right knee", true),
            ("S8392XA", "Sprain of unspecified site of left knee, initial encounter", true),
        ])
        .unwrap();
        let code = |c: &str| book.get(c).unwrap();
        assert_eq!(book.lateral(code("H6690"), Side::Right), Some(code("H6691")));
        assert_eq!(book.lateral(code("H6690"), Side::Bilateral), Some(code("H6693")));
        assert_eq!(book.lateral(code("S93409A"), Side::Left), Some(code("S93402A")));
        assert_eq!(book.lateral(code("S8390XA"), Side::Left), Some(code("S8392XA")));
        assert_eq!(book.lateral(code("H6691"), Side::Left), None);
        assert_eq!(book.lateral(code("M1710"), Side::Bilateral), Some(code("M170")));
        assert_eq!(book.lateral(code("M1710"), Side::Right), Some(code("M1711")));
        // No bilateral sprain code: both sides are coded.
        assert_eq!(book.sided(code("S93409A"), Some(Side::Bilateral)), [code("S93401A"), code("S93402A")]);
        assert_eq!(book.sided(code("H6690"), None), [code("H6690")]);
    }
}
