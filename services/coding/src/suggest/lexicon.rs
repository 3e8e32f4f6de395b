//! The curated lexicon (`data/note_lexicon.tsv`, format in its header) and the phrase trie that
//! finds its phrases, and the trigger phrases, in a note's words.

use super::text::normalise_phrase;
use std::collections::{BTreeMap, HashMap};

/// What a lexicon phrase stands for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Target {
    Code(String),
    /// Takes its words and suggests nothing.
    Block,
    /// A qualifier for `@with` rules.
    Feature(String),
}

#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub target: Target,
    pub weight: f32,
    /// Written in capitals in the lexicon: matches only capitals in the note ("PE", "MI").
    pub case_sensitive: bool,
}

/// A code or feature an `@with` rule looks for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Pattern {
    Code(String),
    Prefix(String),
    Feature(String),
}

impl Pattern {
    fn parse(text: &str) -> Pattern {
        if let Some(feature) = text.strip_prefix('+') {
            Pattern::Feature(feature.to_string())
        } else if let Some(prefix) = text.strip_suffix('*') {
            Pattern::Prefix(prefix.to_string())
        } else {
            Pattern::Code(text.to_string())
        }
    }

    pub fn matches_code(&self, code: &str) -> bool {
        match self {
            Pattern::Code(c) => c == code,
            Pattern::Prefix(p) => code.starts_with(p.as_str()),
            Pattern::Feature(_) => false,
        }
    }

    /// The literal code in the pattern (prefixes and features have none).
    pub fn literal(&self) -> Option<&str> {
        match self {
            Pattern::Code(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replaces {
    Base,
    Finding,
    Both,
    Nothing,
}

/// `@with`: a base code and a finding (code or feature) together make `result`.
#[derive(Clone, Debug)]
pub(crate) struct WithRule {
    pub base: Vec<Pattern>,
    pub findings: Vec<Pattern>,
    pub result: String,
    pub replaces: Replaces,
}

/// `@prefer`: when codes of both lists are suggested, the second list's give way to the first's.
#[derive(Clone, Debug)]
pub(crate) struct PreferRule {
    pub preferred: Vec<Pattern>,
    pub dropped: Vec<Pattern>,
}

/// `@also`: a code that needs another ("use additional code"): when `code` is suggested and no
/// code matches `unless`, `add` is suggested with it.
#[derive(Clone, Debug)]
pub(crate) struct AlsoRule {
    pub code: String,
    pub unless: Vec<Pattern>,
    pub add: String,
}

/// A trie over normalised words; each node keeps the payloads of the phrases ending there.
#[derive(Debug, Default)]
pub(crate) struct PhraseTrie {
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Default)]
struct TrieNode {
    children: HashMap<String, u32>,
    ends: Vec<u32>,
}

impl PhraseTrie {
    pub fn new() -> PhraseTrie {
        PhraseTrie { nodes: vec![TrieNode::default()] }
    }

    pub fn insert(&mut self, words: &[String], payload: u32) {
        let mut node = 0usize;
        for word in words {
            node = match self.nodes[node].children.get(word) {
                Some(&next) => next as usize,
                None => {
                    let next = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[node].children.insert(word.clone(), next as u32);
                    next
                }
            };
        }
        self.nodes[node].ends.push(payload);
    }

    /// Every phrase starting at `words[0]`: `(number of words, payloads)`, shortest first.
    /// `may_continue(i)` says whether word `i` may continue a phrase (not across a sentence
    /// break); `skippable(i)` whether word `i` may be passed over inside a phrase when the phrase
    /// does not go on with it ("sprain of left ankle" reads as "sprain of ankle").
    pub fn matches_at<'a>(
        &'a self,
        words: impl Iterator<Item = &'a str>,
        mut may_continue: impl FnMut(usize) -> bool,
        mut skippable: impl FnMut(usize) -> bool,
    ) -> Vec<(usize, &'a [u32])> {
        let mut found = Vec::new();
        let mut node = 0usize;
        for (i, word) in words.enumerate() {
            if i > 0 && !may_continue(i) {
                break;
            }
            match self.nodes[node].children.get(word) {
                Some(&next) => node = next as usize,
                None if i > 0 && skippable(i) => continue,
                None => break,
            }
            if !self.nodes[node].ends.is_empty() {
                found.push((i + 1, self.nodes[node].ends.as_slice()));
            }
        }
        found
    }
}

/// The parsed lexicon.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub entries: Vec<Entry>,
    pub trie: PhraseTrie,
    /// Normalised words used by the phrases (the vocabulary typos are corrected towards).
    pub words: Vec<String>,
    pub history: HashMap<String, String>,
    pub family: HashMap<String, String>,
    pub rules: Vec<WithRule>,
    pub prefer: Vec<PreferRule>,
    pub also: Vec<AlsoRule>,
}

/// The default weight of an exact phrase match: several words say more than one.
const WEIGHT_PHRASE: f32 = 0.95;
const WEIGHT_WORD: f32 = 0.90;

impl Lexicon {
    pub fn parse(tsv: &str) -> Result<Lexicon, String> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashMap<(Vec<String>, bool), (usize, Target)> = HashMap::new();
        let mut history = HashMap::new();
        let mut family = HashMap::new();
        let mut rules = Vec::new();
        let mut prefer = Vec::new();
        let mut also = Vec::new();
        let mut trie = PhraseTrie::new();
        let split = |list: &str| list.split(',').map(|p| Pattern::parse(p.trim())).collect::<Vec<_>>();
        for (index, line) in tsv.lines().enumerate() {
            let number = index + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let fail = |why: &str| format!("note lexicon line {number}: {why}: {line:?}");
            match fields[0] {
                "@history" | "@family" => {
                    let [_, code, mapped] = fields[..] else { return Err(fail("expected 3 fields")) };
                    let map = if fields[0] == "@history" { &mut history } else { &mut family };
                    if map.insert(code.to_string(), mapped.to_string()).is_some() {
                        return Err(fail("code mapped twice"));
                    }
                }
                "@with" => {
                    let [_, base, findings, result, replaces] = fields[..] else {
                        return Err(fail("expected 5 fields"));
                    };
                    let replaces = match replaces {
                        "base" => Replaces::Base,
                        "finding" => Replaces::Finding,
                        "both" => Replaces::Both,
                        "none" => Replaces::Nothing,
                        _ => return Err(fail("replaces must be base, finding, both or none")),
                    };
                    rules.push(WithRule {
                        base: split(base),
                        findings: split(findings),
                        result: result.to_string(),
                        replaces,
                    });
                }
                "@prefer" => {
                    let [_, preferred, dropped] = fields[..] else { return Err(fail("expected 3 fields")) };
                    prefer.push(PreferRule { preferred: split(preferred), dropped: split(dropped) });
                }
                "@also" => {
                    let [_, code, unless, add] = fields[..] else { return Err(fail("expected 4 fields")) };
                    also.push(AlsoRule { code: code.to_string(), unless: split(unless), add: add.to_string() });
                }
                directive if directive.starts_with('@') => return Err(fail("unknown directive")),
                phrase => {
                    if !(2..=3).contains(&fields.len()) {
                        return Err(fail("expected phrase, code and optional weight"));
                    }
                    let words = normalise_phrase(phrase);
                    if words.is_empty() {
                        return Err(fail("phrase has no words"));
                    }
                    // "s p stent" never matches: the note's "s/p" is one word.
                    if words.windows(2).any(|w| w[0].len() == 1 && w[1].len() == 1) {
                        return Err(fail("two one-letter words: write \"s/p\", \"n/v\" with the slash"));
                    }
                    let target = match fields[1] {
                        "-" => Target::Block,
                        feature if feature.starts_with('+') => Target::Feature(feature[1..].to_string()),
                        code if is_code_like(code) => Target::Code(code.to_string()),
                        _ => return Err(fail("not a code (no dot), '-' or '+feature'")),
                    };
                    let weight = match fields.get(2) {
                        Some(w) => match w.parse::<f32>() {
                            Ok(w) if w > 0.0 && w <= 1.0 => w,
                            _ => return Err(fail("weight must be in (0, 1]")),
                        },
                        None if words.len() > 1 => WEIGHT_PHRASE,
                        None => WEIGHT_WORD,
                    };
                    let case_sensitive =
                        phrase.chars().any(char::is_alphabetic) && !phrase.chars().any(char::is_lowercase);
                    match seen.get(&(words.clone(), case_sensitive)) {
                        Some((_, earlier)) if *earlier == target => continue,
                        Some((earlier_line, _)) => {
                            return Err(fail(&format!("same words as line {earlier_line} with another code")));
                        }
                        None => {}
                    }
                    seen.insert((words.clone(), case_sensitive), (number, target.clone()));
                    trie.insert(&words, entries.len() as u32);
                    entries.push(Entry { target, weight, case_sensitive });
                }
            }
        }
        let mut words: BTreeMap<String, ()> = BTreeMap::new();
        for ((phrase_words, _), _) in seen {
            for word in phrase_words {
                words.insert(word, ());
            }
        }
        Ok(Lexicon { entries, trie, words: words.into_keys().collect(), history, family, rules, prefer, also })
    }

    /// Every code the lexicon can suggest: its phrases, history and family codes, rule results.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> =
            self.entries
                .iter()
                .filter_map(|e| match &e.target {
                    Target::Code(c) => Some(c.as_str()),
                    _ => None,
                })
                .chain(self.history.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]))
                .chain(self.family.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]))
                .chain(self.rules.iter().flat_map(|r| {
                    r.base.iter().chain(&r.findings).filter_map(Pattern::literal).chain([r.result.as_str()])
                }))
                .chain(
                    self.prefer.iter().flat_map(|r| r.preferred.iter().chain(&r.dropped).filter_map(Pattern::literal)),
                )
                .chain(self.also.iter().flat_map(|r| {
                    r.unless.iter().filter_map(Pattern::literal).chain([r.code.as_str(), r.add.as_str()])
                }))
                .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// How many distinct codes the phrases themselves suggest (the lexicon's concepts).
    pub fn concept_count(&self) -> usize {
        let mut codes: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|e| match &e.target {
                Target::Code(c) => Some(c.as_str()),
                _ => None,
            })
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes.len()
    }
}

fn is_code_like(code: &str) -> bool {
    (3..=7).contains(&code.len())
        && code.as_bytes()[0].is_ascii_uppercase()
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_phrases_weights_directives_and_rejects_conflicts() {
        let lexicon = Lexicon::parse(
            "# comment\nhypertension\tI10\nHTN\tI10\t0.9\nflu shot\t-\nflare\t+exacerbation\n\
             @history\tI639\tZ8673\n@with\tI10\tN18*\tI129\tbase\n@prefer\tJ10*\tJ11*\n@also\tI110\tI50*\tI509\n",
        )
        .unwrap();
        assert_eq!(lexicon.entries.len(), 4);
        assert_eq!(lexicon.entries[0].weight, WEIGHT_WORD);
        assert!(lexicon.entries[1].case_sensitive);
        assert_eq!(lexicon.entries[2].target, Target::Block);
        assert_eq!(lexicon.history["I639"], "Z8673");
        assert_eq!(lexicon.rules[0].findings, [Pattern::Prefix("N18".into())]);
        assert_eq!(lexicon.prefer[0].dropped, [Pattern::Prefix("J11".into())]);
        assert_eq!(lexicon.also[0].add, "I509");
        let conflict = Lexicon::parse("htn\tI10\nhtn\tI119\n").unwrap_err();
        assert!(conflict.contains("line 2"), "{conflict}");
        assert!(Lexicon::parse("htn\tI1.0\n").is_err());
        assert!(Lexicon::parse("htn\tI10\t1.5\n").is_err());
        assert!(Lexicon::parse("s p stent\tZ955\n").is_err());
    }
}
