//! The description fallback: a billable code is suggested when the words of its ICD-10-CM
//! description turn up close together in one sentence of the note, so that the suggester says
//! something about findings its lexicon has never seen ("acute maxillary sinusitis", "Bell palsy").
//!
//! A description's words are split three ways: required (the words outside brackets, before any
//! "without", not in the stop list), optional (inside brackets: ICD-10-CM's non-essential modifiers,
//! as in "Essential (primary) hypertension") and ignored (stop words, "unspecified", "other",
//! "initial encounter" and whatever follows "without"). A code is a candidate when the note holds
//! all its required words within `2 × required + 2` words of one sentence; its coverage is the
//! share of its required and optional words found (optional ones count half). Words weigh their
//! inverse document frequency over the code set, so that "cystitis" counts for more than "acute";
//! a description whose required words weigh too little ("Pain, unspecified"), or that is a
//! residual "other" category of one or two words, or that needs one common word only, is left out.

use super::codes::CodeBook;
use super::text::{Gap, Token, normalise_word, split_words};
use std::collections::HashMap;

/// Words that say nothing about which code it is.
const STOP_WORDS: &[&str] = &[
    "of",
    "the",
    "and",
    "or",
    "in",
    "on",
    "to",
    "due",
    "with",
    "by",
    "for",
    "a",
    "an",
    "as",
    "at",
    "from",
    "into",
    "other",
    "unspecified",
    "specified",
    "not",
    "elsewhere",
    "classified",
    "nec",
    "no",
    "site",
    "part",
    "initial",
    "encounter",
    "closed",
    "than",
    "more",
    "less",
    "involving",
    "its",
    "type",
    "use",
    "uncomplicated",
    "state",
    "condition",
    "disorder",
    "disease",
];

/// Descriptions with more required words than this are too specific to be found this way.
const MAX_REQUIRED: usize = 7;
/// Descriptions whose required words weigh less than this say too little ("Pain, unspecified":
/// "pain" is in 191 descriptions, weight 5.97; "cough", in 16, weighs 8.45).
const MIN_REQUIRED_WEIGHT: f32 = 6.2;
/// A description with a single required word needs a rare one (in about ten descriptions or
/// fewer): "Sleep disorder, unspecified" is not what "sleep hygiene" means.
const MIN_SINGLE_WORD_WEIGHT: f32 = 9.0;

#[derive(Debug)]
struct Described {
    code: u32,
    required: Vec<u32>,
    optional: Vec<u32>,
    required_weight: f32,
    optional_weight: f32,
}

/// A code the fallback found: words `start..=end` of the note, and how much of the description
/// they cover (0..1).
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub code: u32,
    pub start: usize,
    pub end: usize,
    pub words: Vec<usize>,
    pub coverage: f32,
    pub required: usize,
}

#[derive(Debug, Default)]
pub(crate) struct DescriptionIndex {
    vocabulary: HashMap<String, u32>,
    weight: Vec<f32>,
    described: Vec<Described>,
    /// Descriptions by their rarest required word.
    by_anchor: HashMap<u32, Vec<u32>>,
}

impl DescriptionIndex {
    pub fn new(book: &CodeBook) -> DescriptionIndex {
        let mut index = DescriptionIndex::default();
        let mut parsed: Vec<(u32, Vec<u32>, Vec<u32>)> = Vec::new();
        let mut document_frequency: Vec<u32> = Vec::new();
        for (i, info) in book.codes.iter().enumerate() {
            if !info.billable || !suggestible(&info.code, &info.description) {
                continue;
            }
            let (required, optional) = description_words(&info.description);
            // "Other specified joint disorders", "Family history of other specified conditions":
            // residual categories, not what a note means by "joint" or "family history".
            let residual =
                info.description.to_lowercase().split_whitespace().any(|w| w == "other") && required.len() <= 2;
            if required.is_empty() || required.len() > MAX_REQUIRED || residual {
                continue;
            }
            let mut ids = |words: Vec<String>| -> Vec<u32> {
                let mut ids: Vec<u32> = words
                    .into_iter()
                    .map(|w| {
                        let next = index.vocabulary.len() as u32;
                        *index.vocabulary.entry(w).or_insert(next)
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            };
            let required = ids(required);
            let optional: Vec<u32> = ids(optional).into_iter().filter(|w| !required.contains(w)).collect();
            document_frequency.resize(index.vocabulary.len(), 0);
            for &w in required.iter().chain(&optional) {
                document_frequency[w as usize] += 1;
            }
            parsed.push((i as u32, required, optional));
        }
        let total = parsed.len().max(1) as f32;
        index.weight = document_frequency.iter().map(|&df| (total / df.max(1) as f32).ln().max(0.1)).collect();
        for (code, required, optional) in parsed {
            let weigh = |ws: &[u32]| ws.iter().map(|&w| index.weight[w as usize]).sum::<f32>();
            let one_common_word = required.len() == 1 && weigh(&required) < MIN_SINGLE_WORD_WEIGHT;
            if weigh(&required) < MIN_REQUIRED_WEIGHT || one_common_word {
                continue;
            }
            let anchor = *required
                .iter()
                .max_by(|&&a, &&b| index.weight[a as usize].total_cmp(&index.weight[b as usize]).then(b.cmp(&a)))
                .expect("required words are not empty");
            index.by_anchor.entry(anchor).or_default().push(index.described.len() as u32);
            index.described.push(Described {
                code,
                required_weight: weigh(&required),
                optional_weight: weigh(&optional),
                required,
                optional,
            });
        }
        index
    }

    /// Whether `word` appears in some description (typo correction leaves such words alone).
    pub fn knows(&self, word: &str) -> bool {
        self.vocabulary.contains_key(word)
    }

    /// Candidates in `tokens`, best first within each stretch of words: more required words, then
    /// higher coverage, then the code. Words marked `unusable` (triggers such as "family history
    /// of", "denies") are not findings and are not used.
    pub fn find(&self, tokens: &[Token], unusable: &[bool]) -> Vec<Found> {
        let mut found = Vec::new();
        let mut start = 0;
        while start < tokens.len() {
            // A stretch: words up to the next sentence break or colon.
            let mut end = start + 1;
            while end < tokens.len() && !matches!(tokens[end].gap_before, Gap::Sentence | Gap::Colon) {
                end += 1;
            }
            self.find_in(tokens, unusable, start, end, &mut found);
            start = end;
        }
        found
    }

    fn find_in(&self, tokens: &[Token], unusable: &[bool], from: usize, to: usize, found: &mut Vec<Found>) {
        let mut positions: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, token) in tokens.iter().enumerate().take(to).skip(from) {
            if token.header || unusable[i] {
                continue;
            }
            if let Some(&w) = self.vocabulary.get(&token.norm) {
                positions.entry(w).or_default().push(i);
            }
        }
        let mut anchors: Vec<u32> = positions.keys().copied().collect();
        anchors.sort_unstable();
        let mut stretch: Vec<Found> = Vec::new();
        for anchor in anchors {
            let Some(described) = self.by_anchor.get(&anchor) else { continue };
            for &d in described {
                let d = &self.described[d as usize];
                for &at in &positions[&anchor] {
                    if let Some(candidate) = self.candidate(d, at, &positions) {
                        stretch.push(candidate);
                    }
                }
            }
        }
        stretch.sort_by(|a, b| {
            b.required
                .cmp(&a.required)
                .then(b.coverage.total_cmp(&a.coverage))
                .then(a.code.cmp(&b.code))
                .then(a.start.cmp(&b.start))
        });
        // Keep a candidate only if its words are not all used by a better one already kept.
        let mut kept: Vec<Found> = Vec::new();
        for candidate in stretch {
            let covered = kept.iter().any(|k| candidate.words.iter().all(|w| k.words.contains(w)));
            if !covered {
                kept.push(candidate);
            }
        }
        found.extend(kept);
    }

    fn candidate(&self, d: &Described, anchor_at: usize, positions: &HashMap<u32, Vec<usize>>) -> Option<Found> {
        let window = 2 * d.required.len() + 2;
        let nearest = |w: u32| -> Option<usize> {
            positions
                .get(&w)?
                .iter()
                .copied()
                .filter(|&p| p.abs_diff(anchor_at) <= window)
                .min_by_key(|&p| (p.abs_diff(anchor_at), p))
        };
        // Most descriptions fail on their first absent word: check before allocating.
        if !d.required.iter().all(|&w| positions.contains_key(&w)) {
            return None;
        }
        let mut words = Vec::with_capacity(d.required.len() + d.optional.len());
        let mut matched_weight = 0.0f32;
        for &w in &d.required {
            words.push(nearest(w)?);
            matched_weight += self.weight[w as usize];
        }
        let mut optional_weight = 0.0f32;
        for &w in &d.optional {
            if let Some(p) = nearest(w) {
                words.push(p);
                optional_weight += self.weight[w as usize];
            }
        }
        words.sort_unstable();
        words.dedup();
        let (start, end) = (*words.first()?, *words.last()?);
        if end - start > window {
            return None;
        }
        let coverage = (matched_weight + 0.5 * optional_weight) / (d.required_weight + 0.5 * d.optional_weight);
        Some(Found { code: d.code, start, end, words, coverage, required: d.required.len() })
    }
}

/// Codes the fallback may suggest: not a subsequent encounter or a sequela (a note that never
/// says so means the initial encounter), not a manifestation code ("in diseases classified
/// elsewhere", never listed first), not an external cause activity (Y93).
fn suggestible(code: &str, description: &str) -> bool {
    let lower = description.to_lowercase();
    let seventh = code.as_bytes().get(6).copied();
    !(lower.contains("subsequent encounter")
        || lower.contains("sequela")
        || lower.contains("classified elsewhere")
        || matches!(seventh, Some(b'D' | b'G' | b'H' | b'J' | b'K' | b'M' | b'N' | b'P' | b'Q' | b'R' | b'S'))
        || code.starts_with("Y9"))
}

/// Whether the fallback ignores `word` (normalised) in descriptions.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// The required and optional words of a description (see the module doc).
fn description_words(description: &str) -> (Vec<String>, Vec<String>) {
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let lower = description.to_lowercase();
    // Parts between commas; inside each, words after "without" are ignored.
    for part in lower.split([',', ';']) {
        let mut depth = 0usize;
        let mut in_without = false;
        let mut last = 0usize;
        for (s, e) in split_words(part) {
            let between = &part[last..s];
            depth += between.matches(['(', '[']).count();
            depth = depth.saturating_sub(between.matches([')', ']']).count());
            last = e;
            let word = normalise_word(&part[s..e]);
            if word == "without" {
                in_without = true;
                continue;
            }
            if in_without || STOP_WORDS.contains(&word.as_str()) {
                continue;
            }
            if depth > 0 { optional.push(word) } else { required.push(word) }
        }
    }
    (required, optional)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_words_split_required_optional_and_ignored() {
        let (required, optional) = description_words("Essential (primary) hypertension");
        assert_eq!(
            (required, optional),
            (vec!["essential".to_string(), "hypertension".into()], vec!["primary".into()])
        );
        let (required, _) = description_words("Acute cystitis without hematuria");
        assert_eq!(required, ["acute", "cystitis"]);
        let (required, _) = description_words("Sprain of unspecified ligament of left ankle, initial encounter");
        assert_eq!(required, ["sprain", "ligament", "left", "ankle"]);
    }
}
