//! ICD-10-CM suggestions from a clinical note's text, with the evidence for each.
//!
//! Pure: no I/O. A [`Suggester`] is built once from the lexicon (`data/note_lexicon.tsv`,
//! [`NOTE_LEXICON_TSV`]) and a code set of `(code, description, billable)` triples, then
//! [`Suggester::suggest`] reads a note (and optional extra evidence such as a FHIR condition's
//! display) and returns ranked [`Suggestion`]s. Same input, same output.
//!
//! How a note is read:
//!
//! 1. Words, sentences and sections (`text`): "PMH:" opens past history, "Assessment:" the
//!    assessment, "Allergies:" a section whose words are not diagnoses.
//! 2. Lexicon phrases, longest first (`lexicon`), passing over side words inside a phrase ("sprain
//!    of left ankle" is "sprain of ankle" on the left); a word of five letters or more that is one
//!    edit away from a lexicon word of six or more ("hypertenion", "astma"), and is neither a
//!    lexicon word nor a word of any code description, is read as that lexicon word.
//! 3. Negation, uncertainty, family and history triggers (`scope`; the rules are documented there).
//!    Negated and uncertain findings are left out; a relative's finding becomes its family-history
//!    code when the lexicon has one, otherwise it is left out; history is described below.
//! 4. The description fallback (`fallback`) for words no lexicon phrase explains, or to refine a
//!    phrase it contains ("bilateral primary osteoarthritis of knee" around "osteoarthritis of
//!    knee").
//! 5. Side (right, left, bilateral) next to a finding picks the sided form of an "unspecified side"
//!    code (both sides when there is no bilateral code); BMI values and weeks of gestation become
//!    their Z68/Z3A codes, and gravida and weeks make a normal-pregnancy code (Z34) precise.
//! 6. Per code: mentions combined; then the lexicon's `@with` rules (diabetes with neuropathy,
//!    hypertension with chronic kidney disease, asthma with exacerbation...); `@prefer` (J10.1 over
//!    J11.1); a less specific code of the same category dropped for a more specific one (E11.9 for
//!    E11.40); `@also` companions (I50.9 with I11.0); a personal-history code dropped when its
//!    condition is current; symptoms demoted when a diagnosis explains the visit.
//!
//! History: a finding under a history trigger or in the past-history section is suggested as its
//! personal-history code when the lexicon names one (`@history`: stroke → Z86.73, breast cancer →
//! Z85.3, kidney stones → Z87.442, MI → I25.2, smoking → Z87.891...), with `history: true`. Without
//! one (hypertension, diabetes, asthma: chronic conditions listed under PMH are usually still
//! present and treated) the condition's own code is kept, marked `history: true` and its confidence
//! lowered (× 0.6) so that it ranks lower and a coder confirms it. A mention in the present anywhere
//! in the note makes the suggestion current.
//!
//! Confidence (0..1; a tenant may auto-code above a threshold such as 0.8 and send the rest to a
//! coder):
//!
//! - an exact lexicon phrase: the phrase's weight (0.95 for a phrase of several words, 0.90 for one
//!   word, lower for ambiguous abbreviations: "DM" 0.75, "PE" 0.6, "CP" 0.6), × 0.85 when a word was
//!   read through a typo;
//! - a description fallback: 0.30 + 0.30 × coverage (the weighted share of the description's words
//!   found), so at most 0.60: never auto-coded;
//! - history kept as the condition: × 0.6; as its personal-history code: × 0.9; a relative's
//!   finding as a family-history code: × 0.85;
//! - several mentions of one code: combined as `1 − (1 − c₁)(1 − c₂/2)(1 − c₃/2)…` (strongest
//!   first), at most 0.99;
//! - a `@with` result: the lower of its base's and finding's confidences;
//! - a symptom (R code, joint pain M25.5, myalgia M79.1) outside the assessment when the note has a
//!   diagnosis: × 0.7, or × 0.5 when the assessment names a diagnosis (guideline: symptoms routinely
//!   part of a diagnosis are not coded); a BMI code without an obesity or weight diagnosis: × 0.5;
//! - a companion added by `@also` ("use additional code"): the confidence of the code needing it.
//!
//! Rank: confidence, plus 0.05 for a code named in the assessment section, plus 0.06 for the first
//! code named there, plus 0.06 for a `@with` combination code whose parts are still suggested (I12.9
//! is sequenced before N18.32), plus up
//! to 0.02 for being named early in the note, minus 0.15 for a status, history, long-term drug,
//! BMI, organism or external-cause code (Z79, Z80–Z99, Z68, Z3A, B95–B97, V–Y: listed after the
//! diagnoses); ties by code.

mod codes;
mod eval;
mod fallback;
mod lexicon;
mod scope;
mod text;

pub use eval::{EvalReport, GroupFigures, NoteResult, evaluate};

use codes::{CodeBook, Side};
use fallback::DescriptionIndex;
use lexicon::{Lexicon, Pattern, Replaces, Target};
use scope::{Context, Triggers};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use text::{Gap, Section, Token};

/// The lexicon shipped with the crate (ours; format in its header).
pub const NOTE_LEXICON_TSV: &str = include_str!("../data/note_lexicon.tsv");

/// Where a piece of evidence was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The note: offsets are into the note.
    Note,
    /// `extra[i]`: offsets are into that text.
    Extra(usize),
}

/// Words of the note (or of an extra text) that support a suggestion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offsets: `text == source_text[start..end]`.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub source: Source,
}

/// One suggested ICD-10-CM code.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    /// Billable, without the dot ("E1140").
    pub code: String,
    pub description: String,
    /// 0..1; how it is computed is in the module documentation.
    pub confidence: f32,
    pub evidence: Vec<Span>,
    /// Every mention is history (past history, "h/o", "s/p"...).
    pub history: bool,
}

// Confidence factors (module documentation).
const TYPO: f32 = 0.85;
const HISTORY_KEPT: f32 = 0.6;
const HISTORY_CODE: f32 = 0.9;
const FAMILY_CODE: f32 = 0.85;
const FALLBACK_BASE: f32 = 0.30;
const FALLBACK_COVERAGE: f32 = 0.30;
/// A fallback code that refines a lexicon phrase (adds words to it) keeps this share of the
/// phrase's weight.
const REFINED: f32 = 0.75;
const REPEAT: f32 = 0.5;
const CAP: f32 = 0.99;
const SYMPTOM_WITH_DIAGNOSIS: f32 = 0.7;
const SYMPTOM_WITH_ASSESSED_DIAGNOSIS: f32 = 0.5;
const BMI_ALONE: f32 = 0.5;
const BMI: f32 = 0.9;
const GESTATION_WEEKS: f32 = 0.85;
const RANK_ASSESSMENT: f32 = 0.05;
const RANK_FIRST_ASSESSED: f32 = 0.06;
/// A `@with` combination code is listed before the parts kept beside it (I12.9 before N18.32).
const RANK_COMBINATION: f32 = 0.06;
/// Up to this much for being named early in the note (the principal usually comes first).
const RANK_EARLY: f32 = 0.02;
/// Status, history, long-term drug, BMI and external-cause codes follow the diagnoses.
const RANK_SECONDARY: f32 = 0.15;
/// How confident a more specific code must be, relative to the vague one, to replace it.
const SPECIFIC_ENOUGH: f32 = 0.8;
/// Words around a finding searched for its side.
const SIDE_WINDOW: usize = 4;

/// Builds suggestions from notes; build it once and share it (it is immutable).
#[derive(Debug)]
pub struct Suggester {
    lexicon: Lexicon,
    /// The code-set index of each lexicon entry's code (None for blocks and features).
    entry_codes: Vec<Option<u32>>,
    book: CodeBook,
    triggers: Triggers,
    fallback: DescriptionIndex,
    /// Lexicon words of six letters or more, by length, for typo correction.
    typo_targets: HashMap<usize, Vec<String>>,
    lexicon_words: HashSet<String>,
}

/// One mention of a code, before mentions are combined.
#[derive(Clone, Debug)]
struct Mention {
    code: u32,
    confidence: f32,
    /// The side named next to it, whether or not the code has sided forms.
    side: Option<Side>,
    span: Span,
    history: bool,
    assessment: bool,
    /// (source, sentence): where `@with` features must be.
    sentence: (Source, u32),
    /// Position in reading order (source, word).
    order: (Source, usize),
}

/// A code with its mentions combined.
#[derive(Clone, Debug)]
struct Candidate {
    code: u32,
    confidence: f32,
    /// Codes a `@with` rule combined into this one and kept beside it (N18.32 beside I12.9).
    parts: Vec<u32>,
    sides: Vec<Side>,
    evidence: Vec<Span>,
    history: bool,
    assessment: bool,
    sentences: Vec<(Source, u32)>,
    first: (Source, usize),
    first_assessed: Option<(Source, usize)>,
}

/// A qualifier (`+feature`) found in the note.
#[derive(Clone, Debug)]
struct Feature {
    name: String,
    side: Option<Side>,
    sentence: (Source, u32),
    span: Span,
}

impl Suggester {
    /// Builds a suggester from the lexicon's text and a code set. Fails when the lexicon is
    /// malformed or names a code the set does not hold as billable.
    pub fn new<'a>(
        lexicon_tsv: &str,
        codes: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    ) -> Result<Suggester, String> {
        let lexicon = Lexicon::parse(lexicon_tsv)?;
        let book = CodeBook::new(codes)?;
        let unbillable: Vec<&str> =
            lexicon.codes().into_iter().filter(|c| book.get(c).is_none_or(|i| !book.info(i).billable)).collect();
        if !unbillable.is_empty() {
            return Err(format!("note lexicon codes not billable in the code set: {}", unbillable.join(", ")));
        }
        let entry_codes = lexicon
            .entries
            .iter()
            .map(|e| match &e.target {
                Target::Code(c) => book.get(c),
                _ => None,
            })
            .collect();
        let fallback = DescriptionIndex::new(&book);
        let mut typo_targets: HashMap<usize, Vec<String>> = HashMap::new();
        for word in lexicon.words.iter().filter(|w| w.chars().count() >= 6) {
            typo_targets.entry(word.chars().count()).or_default().push(word.clone());
        }
        let lexicon_words = lexicon.words.iter().cloned().collect();
        Ok(Suggester { lexicon, entry_codes, book, triggers: Triggers::new(), fallback, typo_targets, lexicon_words })
    }

    /// The shipped lexicon over `codes`.
    pub fn with_shipped_lexicon<'a>(
        codes: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    ) -> Result<Suggester, String> {
        Suggester::new(NOTE_LEXICON_TSV, codes)
    }

    /// Distinct codes the lexicon's phrases suggest, and the number of phrases.
    pub fn lexicon_size(&self) -> (usize, usize) {
        let phrases = self.lexicon.entries.iter().filter(|e| matches!(e.target, Target::Code(_))).count();
        (self.lexicon.concept_count(), phrases)
    }

    /// Every code the lexicon can produce (phrases, history, family and rule codes).
    pub fn lexicon_codes(&self) -> Vec<String> {
        self.lexicon.codes().into_iter().map(str::to_string).collect()
    }

    /// At most `limit` suggestions for `note`, best first. `extra` holds more evidence texts (a
    /// FHIR condition's display, "Essential hypertension (disorder)"), read like short notes.
    pub fn suggest(&self, note: &str, extra: &[&str], limit: usize) -> Vec<Suggestion> {
        let mut mentions = Vec::new();
        let mut features = Vec::new();
        let mut pregnancy = Pregnancy::default();
        self.read(note, Source::Note, &mut mentions, &mut features, &mut pregnancy);
        for (i, text) in extra.iter().enumerate() {
            self.read(without_semantic_tag(text), Source::Extra(i), &mut mentions, &mut features, &mut pregnancy);
        }
        let mut candidates = combine(mentions);
        self.refine_pregnancy(&mut candidates, pregnancy);
        self.apply_with_rules(&mut candidates, &features);
        self.apply_preferences(&mut candidates);
        self.drop_less_specific(&mut candidates);
        self.add_companions(&mut candidates);
        self.drop_history_of_current(&mut candidates);
        self.adjust(&mut candidates);
        self.rank(candidates, limit)
    }

    /// Mentions and features of one text.
    fn read(
        &self,
        text: &str,
        source: Source,
        mentions: &mut Vec<Mention>,
        features: &mut Vec<Feature>,
        pregnancy: &mut Pregnancy,
    ) {
        let mut tokens = text::tokenize(text);
        let typos = self.correct_typos(&mut tokens);
        let matches = self.lexicon_matches(&tokens);
        let mut taken = vec![false; tokens.len()];
        for m in &matches {
            taken[m.start..m.end].iter_mut().for_each(|t| *t = true);
        }
        let hits = self.triggers.find(&tokens, &taken);
        let span = |start: usize, end: usize| Span {
            start: tokens[start].start,
            end: tokens[end - 1].end,
            text: text[tokens[start].start..tokens[end - 1].end].to_string(),
            source,
        };
        // Words the lexicon explained: (start, end, weight); blocks weigh nothing.
        let mut code_words: Vec<(usize, usize, f32)> = Vec::new();
        for m in &matches {
            let entry = &self.lexicon.entries[m.entry];
            let context = scope::context_of(&tokens, &hits, m.start, m.end);
            match &entry.target {
                Target::Block => code_words.push((m.start, m.end, 0.0)),
                Target::Feature(name) => {
                    if matches!(context, Context::Current | Context::History) {
                        let sentence = (source, tokens[m.start].sentence);
                        let side = side_near(&tokens, m.start, m.end, &matches);
                        features.push(Feature { name: name.clone(), sentence, side, span: span(m.start, m.end) });
                    }
                }
                Target::Code(_) => {
                    code_words.push((m.start, m.end, entry.weight));
                    let code = self.entry_codes[m.entry].expect("lexicon codes are checked at construction");
                    let typo = typos[m.start..m.end].iter().any(|&t| t);
                    let confidence = entry.weight * if typo { TYPO } else { 1.0 };
                    let (codes, side) = self.sided(code, &tokens, m.start, m.end, &matches);
                    for code in codes {
                        self.mention(code, confidence, context, side, &tokens, m.start, span(m.start, m.end), mentions);
                    }
                }
            }
        }
        // The fallback uses neither trigger words nor words a trigger negates ("not intractable").
        let mut unusable = scope::negated_words(&tokens, &hits);
        for hit in &hits {
            unusable[hit.words()].iter_mut().for_each(|t| *t = true);
        }
        for found in self.fallback.find(&tokens, &unusable) {
            // The lexicon explains these words: a fallback code may only refine a lexicon phrase it
            // contains whole, adding words of its own.
            let overlapping: Vec<&(usize, usize, f32)> =
                code_words.iter().filter(|&&(s, e, _)| found.start < e && s <= found.end).collect();
            // It refines when it is another code, uses every word of each phrase it overlaps (stop
            // words aside) and adds words of its own: "osteoarthritis of knee" + "bilateral primary" → M17.0, but
            // not "CKD stage 4" + a list number "2" → N18.2.
            let same_code = matches
                .iter()
                .any(|m| self.entry_codes[m.entry] == Some(found.code) && found.start < m.end && m.start <= found.end);
            let refines = !overlapping.is_empty()
                && !same_code
                && overlapping.iter().all(|&&(s, e, _)| {
                    (s..e).all(|w| found.words.contains(&w) || fallback::is_stop_word(&tokens[w].norm))
                })
                && found.words.iter().any(|w| !overlapping.iter().any(|&&(s, e, _)| (s..e).contains(w)));
            if !overlapping.is_empty() && !refines {
                continue;
            }
            let mut confidence = FALLBACK_BASE + FALLBACK_COVERAGE * found.coverage;
            if refines {
                // The refined lexicon mentions give way to it, and lend it some of their confidence.
                let (first, last) = (tokens[found.start].start, tokens[found.end].end);
                mentions.retain(|m| !(m.span.source == source && m.span.start >= first && m.span.end <= last));
                let lexicon = overlapping.iter().map(|&&(_, _, w)| w).fold(0.0f32, f32::max);
                confidence = confidence.max(REFINED * lexicon);
            }
            let context = scope::context_of(&tokens, &hits, found.start, found.end + 1);
            let (codes, side) = self.sided(found.code, &tokens, found.start, found.end + 1, &matches);
            for code in codes {
                let span = span(found.start, found.end + 1);
                self.mention(code, confidence, context, side, &tokens, found.start, span, mentions);
            }
        }
        self.numeric_codes(text, &tokens, &hits, source, mentions, pregnancy);
    }

    /// Adds the mention of `code` in `context` (history and family codes applied).
    #[allow(clippy::too_many_arguments)]
    fn mention(
        &self,
        code: u32,
        confidence: f32,
        context: Context,
        side: Option<Side>,
        tokens: &[Token],
        at: usize,
        span: Span,
        mentions: &mut Vec<Mention>,
    ) {
        let code_text = self.book.info(code).code.as_str();
        let (code, confidence, history) = match context {
            Context::Negated | Context::Uncertain | Context::Ignored => return,
            Context::Family => match self.lexicon.family.get(code_text).and_then(|c| self.book.get(c)) {
                Some(family) => (family, confidence * FAMILY_CODE, false),
                None => return,
            },
            Context::History => match self.lexicon.history.get(code_text).and_then(|c| self.book.get(c)) {
                Some(personal) => (personal, confidence * HISTORY_CODE, true),
                None => (code, confidence * HISTORY_KEPT, true),
            },
            Context::Current => (code, confidence, false),
        };
        // Only billable codes are suggested (the lexicon's are checked at construction; this
        // guards the computed ones: BMI, weeks, sides).
        if !self.book.info(code).billable {
            return;
        }
        mentions.push(Mention {
            code,
            confidence,
            side,
            history,
            assessment: tokens[at].section == Section::Assessment,
            sentence: (span.source, tokens[at].sentence),
            order: (span.source, at),
            span,
        });
    }

    /// Greedy longest lexicon matches, left to right; a phrase never spans a sentence break, a
    /// colon or a header.
    fn lexicon_matches(&self, tokens: &[Token]) -> Vec<Match> {
        let mut matches = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if tokens[i].header {
                i += 1;
                continue;
            }
            let words = tokens[i..].iter().map(|t| t.norm.as_str());
            let found = self.lexicon.trie.matches_at(
                words,
                |k| {
                    let t = &tokens[i + k];
                    !t.header && !matches!(t.gap_before, Gap::Sentence | Gap::Colon)
                },
                |k| side_of(&tokens[i + k]).is_some(),
            );
            let best = found.iter().rev().find_map(|&(len, entries)| {
                let upper = tokens[i..i + len].iter().all(|t| t.upper);
                // A capitals-only entry ("PE") wins over a plain one with the same words when it applies.
                let mut usable =
                    entries.iter().map(|&e| e as usize).filter(|&e| upper || !self.lexicon.entries[e].case_sensitive);
                let first = usable.next()?;
                let chosen =
                    usable.chain([first]).max_by_key(|&e| self.lexicon.entries[e].case_sensitive).unwrap_or(first);
                Some((len, chosen))
            });
            match best {
                Some((len, entry)) => {
                    matches.push(Match { start: i, end: i + len, entry });
                    i += len;
                }
                None => i += 1,
            }
        }
        matches
    }

    /// Reads a word one edit away from a lexicon word as that word ("hypertenion", "astma"), when
    /// it has six letters or more and is neither a lexicon word nor a word of any description.
    /// Returns which words were corrected.
    fn correct_typos(&self, tokens: &mut [Token]) -> Vec<bool> {
        let mut corrected = vec![false; tokens.len()];
        for (i, token) in tokens.iter_mut().enumerate() {
            let len = token.norm.chars().count();
            if len < 5
                || token.header
                || self.lexicon_words.contains(&token.norm)
                || self.fallback.knows(&token.norm)
                || !token.norm.chars().all(char::is_alphabetic)
            {
                continue;
            }
            let mut best: Option<&String> = None;
            for candidate_len in [len, len + 1, len.saturating_sub(1)] {
                for candidate in self.typo_targets.get(&candidate_len).into_iter().flatten() {
                    if within_one_edit(&token.norm, candidate) && best.is_none_or(|b| candidate < b) {
                        best = Some(candidate);
                    }
                }
            }
            if let Some(word) = best {
                token.norm = word.clone();
                corrected[i] = true;
            }
        }
        corrected
    }

    /// The sided forms of `code` for the side named next to the finding (see [`side_near`] and
    /// `CodeBook::sided`), and that side.
    fn sided(
        &self,
        code: u32,
        tokens: &[Token],
        start: usize,
        end: usize,
        matches: &[Match],
    ) -> (Vec<u32>, Option<Side>) {
        let side = side_near(tokens, start, end, matches);
        (self.book.sided(code, side), side)
    }

    /// BMI values (Z68.x, adult) and weeks of gestation (Z3A.x).
    fn numeric_codes(
        &self,
        text: &str,
        tokens: &[Token],
        hits: &[scope::Hit],
        source: Source,
        out: &mut Vec<Mention>,
        facts: &mut Pregnancy,
    ) {
        let pregnancy = tokens.iter().any(|t| {
            matches!(t.norm.as_str(), "pregnant" | "pregnancy" | "prenatal" | "gestation" | "gestational" | "antenatal")
                || gravida(&t.norm).is_some()
        });
        if facts.gravida.is_none() {
            facts.gravida = tokens.iter().find_map(|t| gravida(&t.norm));
        }
        for i in 0..tokens.len() {
            let span = |start: usize, end: usize| Span {
                start: tokens[start].start,
                end: tokens[end].end,
                text: text[tokens[start].start..tokens[end].end].to_string(),
                source,
            };
            // "BMI 32", "BMI: 37.2", "body mass index 41"
            let bmi_words = if tokens[i].norm == "bmi" {
                1
            } else if tokens[i..].iter().take(3).map(|t| t.norm.as_str()).eq(["body", "mass", "index"]) {
                3
            } else {
                0
            };
            if bmi_words > 0 {
                let value_at = i + bmi_words;
                let followed_by_plus = |t: &Token| text[t.end..].starts_with('+');
                if let Some(value) = tokens.get(value_at).filter(|t| t.is_number() && !followed_by_plus(t))
                    && let Ok(bmi) = value.norm.parse::<f32>()
                    && let Some(code) = bmi_code(bmi).and_then(|c| self.book.get(&c))
                {
                    let context = scope::context_of(tokens, hits, i, value_at + 1);
                    self.mention(code, BMI, context, None, tokens, i, span(i, value_at), out);
                }
            }
            // "12 weeks", "at 12 wks", "GA 30w" (with a pregnancy word in the text)
            if pregnancy
                && tokens[i].is_number()
                && let Some(next) = tokens.get(i + 1)
                && matches!(next.norm.as_str(), "week" | "wk" | "wks")
                && let Ok(weeks) = tokens[i].norm.parse::<u32>()
                && let Some(code) = self.book.get(&gestation_code(weeks))
            {
                let context = scope::context_of(tokens, hits, i, i + 2);
                if context == Context::Current && facts.weeks.is_none() {
                    facts.weeks = Some(weeks);
                }
                self.mention(code, GESTATION_WEEKS, context, None, tokens, i, span(i, i + 1), out);
            }
        }
    }

    /// A normal-pregnancy supervision code (Z34) made precise: first pregnancy (G1) or not (G2 and
    /// up), and the trimester from the weeks of gestation (under 14, 14 to 27, 28 and over).
    fn refine_pregnancy(&self, candidates: &mut BTreeMap<u32, Candidate>, pregnancy: Pregnancy) {
        let supervision: Vec<u32> =
            candidates.keys().copied().filter(|&c| self.book.info(c).code.starts_with("Z34")).collect();
        for code in supervision {
            let mut refined: Vec<u8> = self.book.info(code).code.clone().into_bytes();
            if let Some(g) = pregnancy.gravida {
                refined[3] = if g == 1 { b'0' } else { b'8' };
            }
            if let Some(weeks) = pregnancy.weeks {
                refined[4] = match weeks {
                    0..=13 => b'1',
                    14..=27 => b'2',
                    _ => b'3',
                };
            }
            let refined = String::from_utf8(refined).expect("ASCII code");
            if let Some(new) = self.book.get(&refined).filter(|&n| n != code && self.book.info(n).billable)
                && let Some(mut candidate) = candidates.remove(&code)
            {
                candidate.code = new;
                candidates.insert(new, candidate);
            }
        }
    }

    /// Applies the lexicon's `@with` rules in order (see the lexicon's header).
    fn apply_with_rules(&self, candidates: &mut BTreeMap<u32, Candidate>, features: &[Feature]) {
        for rule in &self.lexicon.rules {
            let matching = |patterns: &[Pattern], candidates: &BTreeMap<u32, Candidate>| -> Vec<u32> {
                candidates
                    .values()
                    .filter(|c| patterns.iter().any(|p| p.matches_code(&self.book.info(c.code).code)))
                    .map(|c| c.code)
                    .collect()
            };
            let Some(result) = self.book.get(&rule.result) else { continue };
            let bases: Vec<u32> = matching(&rule.base, candidates).into_iter().filter(|&b| b != result).collect();
            if bases.is_empty() {
                continue;
            }
            let findings: Vec<u32> = matching(&rule.findings, candidates)
                .into_iter()
                .filter(|f| *f != result && !bases.contains(f))
                .collect();
            let base_sentences: Vec<(Source, u32)> =
                bases.iter().flat_map(|b| candidates[b].sentences.iter().copied()).collect();
            let wanted: Vec<&str> = rule
                .findings
                .iter()
                .filter_map(|p| match p {
                    Pattern::Feature(f) => Some(f.as_str()),
                    _ => None,
                })
                .collect();
            let qualifiers: Vec<&Feature> = features
                .iter()
                .filter(|f| wanted.contains(&f.name.as_str()) && base_sentences.contains(&f.sentence))
                .collect();
            if findings.is_empty() && qualifiers.is_empty() {
                continue;
            }
            let strongest = |codes: &[u32]| codes.iter().map(|c| candidates[c].confidence).fold(0.0f32, f32::max);
            let base_confidence = strongest(&bases);
            let finding_confidence = if findings.is_empty() { base_confidence } else { strongest(&findings) };
            let all_history = bases.iter().chain(&findings).all(|c| candidates[c].history);
            let mut combined = Candidate {
                code: result,
                confidence: base_confidence.min(finding_confidence),
                parts: Vec::new(),
                sides: Vec::new(),
                evidence: Vec::new(),
                history: all_history,
                assessment: false,
                sentences: Vec::new(),
                first: (Source::Note, usize::MAX),
                first_assessed: None,
            };
            for code in bases.iter().chain(&findings) {
                merge_into(&mut combined, &candidates[code]);
            }
            combined.evidence.extend(qualifiers.iter().map(|f| f.span.clone()));
            for side in qualifiers.iter().filter_map(|f| f.side) {
                if !combined.sides.contains(&side) {
                    combined.sides.push(side);
                }
            }
            // One side named around the inputs: the result's sided form ("sciatica on the left").
            let result = match combined.sides[..] {
                [side] => self.book.lateral(result, side).unwrap_or(result),
                [Side::Right, Side::Left] | [Side::Left, Side::Right] => {
                    self.book.lateral(result, Side::Bilateral).unwrap_or(result)
                }
                _ => result,
            };
            combined.code = result;
            let removed: Vec<u32> = match rule.replaces {
                Replaces::Base => bases.clone(),
                Replaces::Finding => findings.clone(),
                Replaces::Both => bases.iter().chain(&findings).copied().collect(),
                Replaces::Nothing => Vec::new(),
            };
            for code in &removed {
                candidates.remove(code);
            }
            combined.parts = bases.iter().chain(&findings).copied().filter(|c| !removed.contains(c)).collect();
            match candidates.get_mut(&result) {
                Some(existing) => {
                    existing.confidence = existing.confidence.max(combined.confidence);
                    existing.parts.extend(combined.parts.iter().copied());
                    existing.history &= combined.history;
                    merge_into(existing, &combined);
                }
                None => {
                    combined.evidence.sort_by_key(|s| (s.source, s.start, s.end));
                    combined.evidence.dedup();
                    candidates.insert(result, combined);
                }
            }
        }
    }

    /// Drops a code (current or history) when a current code of the same category is more specific (fewer
    /// "unspecified"; "without complications" and "uncomplicated" count as two) and nearly as
    /// confident (a weak fallback guess does not displace a lexicon phrase): E11.9 goes when E11.40
    /// is there, J45.909 when J45.31 is, R10.9 when R10.13 is. Its evidence moves to the specific
    /// one. A "with" code is never dropped: E11.40 and E11.22 are both coded.
    fn drop_less_specific(&self, candidates: &mut BTreeMap<u32, Candidate>) {
        let vagueness = |code: u32| {
            let description = self.book.info(code).description.to_lowercase();
            description.matches("unspecified").count()
                + 2 * usize::from(
                    description.contains("without complications") || description.contains("uncomplicated"),
                )
        };
        let all: Vec<u32> = candidates.keys().copied().collect();
        let current: Vec<u32> = candidates.values().filter(|c| !c.history).map(|c| c.code).collect();
        let combination = |code: u32| self.book.info(code).description.split_whitespace().any(|w| w == "with");
        for &vague in all.iter().filter(|&&c| !combination(c)) {
            let category = &self.book.info(vague).code[..3];
            let more_specific = current
                .iter()
                .copied()
                .filter(|&other| {
                    other != vague
                        && candidates.contains_key(&other)
                        && self.book.info(other).code.starts_with(category)
                        && vagueness(other) < vagueness(vague)
                        && candidates[&other].confidence >= SPECIFIC_ENOUGH * candidates[&vague].confidence
                })
                .min_by_key(|&other| (vagueness(other), self.book.info(other).code.clone()));
            if let (Some(specific), true) = (more_specific, vagueness(vague) > 0)
                && let Some(dropped) = candidates.remove(&vague)
            {
                let kept = candidates.get_mut(&specific).expect("present");
                merge_into(kept, &dropped);
            }
        }
    }

    /// The lexicon's `@prefer` rules: influenza A (J10) over influenza of unidentified virus (J11).
    fn apply_preferences(&self, candidates: &mut BTreeMap<u32, Candidate>) {
        for rule in &self.lexicon.prefer {
            let current = |patterns: &[Pattern], candidates: &BTreeMap<u32, Candidate>| -> Vec<u32> {
                candidates
                    .values()
                    .filter(|c| !c.history && patterns.iter().any(|p| p.matches_code(&self.book.info(c.code).code)))
                    .map(|c| c.code)
                    .collect()
            };
            let Some(&kept) = current(&rule.preferred, candidates).first() else { continue };
            for dropped in current(&rule.dropped, candidates) {
                if let Some(gone) = candidates.remove(&dropped) {
                    merge_into(candidates.get_mut(&kept).expect("present"), &gone);
                }
            }
        }
    }

    /// The lexicon's `@also` rules: hypertensive heart disease with heart failure (I11.0) brings
    /// heart failure, unspecified (I50.9) when the note names no type of heart failure.
    fn add_companions(&self, candidates: &mut BTreeMap<u32, Candidate>) {
        for rule in &self.lexicon.also {
            let (Some(code), Some(add)) = (self.book.get(&rule.code), self.book.get(&rule.add)) else { continue };
            let Some(base) = candidates.get(&code).filter(|c| !c.history) else { continue };
            let covered =
                candidates.values().any(|c| rule.unless.iter().any(|p| p.matches_code(&self.book.info(c.code).code)));
            if !covered {
                let companion = Candidate { code: add, parts: Vec::new(), ..base.clone() };
                candidates.insert(add, companion);
            }
        }
    }

    /// Drops a personal-history code when the condition it stands for is current in the note
    /// ("h/o kidney stones, now a ureteral stone": N20.1, not Z87.442 too).
    fn drop_history_of_current(&self, candidates: &mut BTreeMap<u32, Candidate>) {
        let superseded: Vec<u32> = candidates
            .values()
            .filter(|c| !c.history)
            .filter_map(|c| self.lexicon.history.get(&self.book.info(c.code).code))
            .filter_map(|h| self.book.get(h))
            .collect();
        for code in superseded {
            if candidates.get(&code).is_some_and(|c| c.history) {
                candidates.remove(&code);
            }
        }
    }

    /// Symptom and BMI adjustments (module documentation).
    fn adjust(&self, candidates: &mut BTreeMap<u32, Candidate>) {
        let code_of = |c: &Candidate| self.book.info(c.code).code.clone();
        let has_diagnosis = candidates.values().any(|c| {
            let code = code_of(c);
            !c.history && !is_symptom(&code) && !code.starts_with(['Z', 'V', 'W', 'X', 'Y'])
        });
        let has_weight_diagnosis = candidates.values().any(|c| {
            let code = code_of(c);
            code.starts_with("E66") || code.starts_with("E4") || code == "R636" || code == "R634"
        });
        let assessed_diagnosis = candidates.values().any(|c| {
            let code = code_of(c);
            c.assessment && !c.history && !is_symptom(&code) && !code.starts_with(['Z', 'V', 'W', 'X', 'Y'])
        });
        for candidate in candidates.values_mut() {
            let code = self.book.info(candidate.code).code.as_str();
            if is_symptom(code) && has_diagnosis && !candidate.assessment {
                candidate.confidence *=
                    if assessed_diagnosis { SYMPTOM_WITH_ASSESSED_DIAGNOSIS } else { SYMPTOM_WITH_DIAGNOSIS };
            }
            if code.starts_with("Z68") && !has_weight_diagnosis {
                candidate.confidence *= BMI_ALONE;
            }
        }
    }

    fn rank(&self, candidates: BTreeMap<u32, Candidate>, limit: usize) -> Vec<Suggestion> {
        let first_assessed = candidates.values().filter_map(|c| c.first_assessed).min();
        let present: HashSet<u32> = candidates.keys().copied().collect();
        let mut firsts: Vec<(Source, usize)> = candidates.values().map(|c| c.first).collect();
        firsts.sort_unstable();
        let count = firsts.len().max(1) as f32;
        let mut ranked: Vec<(f32, String, Candidate)> = candidates
            .into_values()
            .map(|c| {
                let code = self.book.info(c.code).code.clone();
                let mut score = c.confidence;
                if c.assessment {
                    score += RANK_ASSESSMENT;
                }
                if c.first_assessed.is_some() && c.first_assessed == first_assessed {
                    score += RANK_FIRST_ASSESSED;
                }
                let position = firsts.partition_point(|&f| f < c.first) as f32;
                score += RANK_EARLY * (1.0 - position / count);
                if c.parts.iter().any(|p| present.contains(p)) {
                    score += RANK_COMBINATION;
                }
                if is_secondary(&code) {
                    score -= RANK_SECONDARY;
                }
                (score, code, c)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, code, c)| Suggestion {
                description: self.book.info(c.code).description.clone(),
                code,
                confidence: (c.confidence.clamp(0.0, CAP) * 1000.0).round() / 1000.0,
                evidence: c.evidence,
                history: c.history,
            })
            .collect()
    }
}

/// A lexicon phrase found at words `start..end`.
#[derive(Clone, Debug)]
struct Match {
    start: usize,
    end: usize,
    entry: usize,
}

/// Combines mentions per code (confidence as in the module documentation).
fn combine(mut mentions: Vec<Mention>) -> BTreeMap<u32, Candidate> {
    mentions
        .sort_by(|a, b| a.code.cmp(&b.code).then(b.confidence.total_cmp(&a.confidence)).then(a.order.cmp(&b.order)));
    let mut candidates: BTreeMap<u32, Candidate> = BTreeMap::new();
    for m in mentions {
        match candidates.get_mut(&m.code) {
            Some(c) => {
                c.confidence = 1.0 - (1.0 - c.confidence) * (1.0 - REPEAT * m.confidence);
                c.history &= m.history;
                if let Some(side) = m.side
                    && !c.sides.contains(&side)
                {
                    c.sides.push(side);
                }
                c.assessment |= m.assessment;
                c.first = c.first.min(m.order);
                if m.assessment {
                    c.first_assessed = Some(c.first_assessed.map_or(m.order, |f| f.min(m.order)));
                }
                if !c.sentences.contains(&m.sentence) {
                    c.sentences.push(m.sentence);
                }
                if !c.evidence.contains(&m.span) {
                    c.evidence.push(m.span);
                }
            }
            None => {
                candidates.insert(
                    m.code,
                    Candidate {
                        code: m.code,
                        confidence: m.confidence,
                        parts: Vec::new(),
                        sides: m.side.into_iter().collect(),
                        history: m.history,
                        assessment: m.assessment,
                        first: m.order,
                        first_assessed: m.assessment.then_some(m.order),
                        sentences: vec![m.sentence],
                        evidence: vec![m.span],
                    },
                );
            }
        }
    }
    for c in candidates.values_mut() {
        c.confidence = c.confidence.min(CAP);
        c.evidence.sort_by_key(|s| (s.source, s.start, s.end));
    }
    candidates
}

/// Adds `from`'s evidence and places to `into` (its confidence stays).
fn merge_into(into: &mut Candidate, from: &Candidate) {
    for span in &from.evidence {
        if !into.evidence.contains(span) {
            into.evidence.push(span.clone());
        }
    }
    into.evidence.sort_by_key(|s| (s.source, s.start, s.end));
    into.assessment |= from.assessment;
    for side in &from.sides {
        if !into.sides.contains(side) {
            into.sides.push(*side);
        }
    }
    into.first = into.first.min(from.first);
    into.first_assessed = match (into.first_assessed, from.first_assessed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for s in &from.sentences {
        if !into.sentences.contains(s) {
            into.sentences.push(*s);
        }
    }
}

/// Symptoms: R codes, joint pain (M25.5) and myalgia (M79.1).
fn is_symptom(code: &str) -> bool {
    code.starts_with('R') || code.starts_with("M255") || code.starts_with("M791")
}

/// Codes that describe the patient's status or history, an external cause or an infection's
/// organism (B95–B97), rather than what the visit is for; ICD-10-CM lists them after the diagnoses.
fn is_secondary(code: &str) -> bool {
    ["Z79", "Z8", "Z9", "Z68", "Z3A", "B95", "B96", "B97", "V", "W", "X", "Y"].iter().any(|p| code.starts_with(p))
}

/// What a note says about a pregnancy, for the Z34 codes.
#[derive(Clone, Copy, Debug, Default)]
struct Pregnancy {
    weeks: Option<u32>,
    gravida: Option<u32>,
}

/// The gravida of "G2P1", "G1", "g3p2".
fn gravida(word: &str) -> Option<u32> {
    let rest = word.strip_prefix('g')?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    if digits.is_empty() || !(after.is_empty() || after.starts_with('p')) {
        return None;
    }
    digits.parse().ok()
}

/// The adult BMI code (Z68.1, Z68.20–Z68.39, Z68.41–Z68.45) for a value.
fn bmi_code(bmi: f32) -> Option<String> {
    let whole = bmi.floor() as u32;
    match whole {
        10..=19 => Some("Z681".to_string()),
        20..=39 => Some(format!("Z68{whole}")),
        40..=44 => Some("Z6841".to_string()),
        45..=49 => Some("Z6842".to_string()),
        50..=59 => Some("Z6843".to_string()),
        60..=69 => Some("Z6844".to_string()),
        70..=120 => Some("Z6845".to_string()),
        _ => None,
    }
}

/// Z3A.01 (under 8 weeks), Z3A.08–Z3A.42, Z3A.49 (over 42).
fn gestation_code(weeks: u32) -> String {
    match weeks {
        0..=7 => "Z3A01".to_string(),
        8..=42 => format!("Z3A{weeks:02}"),
        _ => "Z3A49".to_string(),
    }
}

/// The side named in or next to words `start..end`: inside them first, then before them, then
/// after them, within a few words of the same sentence and not past another finding.
fn side_near(tokens: &[Token], start: usize, end: usize, matches: &[Match]) -> Option<Side> {
    let in_other_match = |i: usize| matches.iter().any(|m| (m.start..m.end).contains(&i) && m.start != start);
    let sentence = tokens[start].sentence;
    let mut before = None;
    for i in (start.saturating_sub(SIDE_WINDOW)..start).rev() {
        if tokens[i].sentence != sentence || in_other_match(i) {
            break;
        }
        if let Some(side) = side_of(&tokens[i]) {
            before = Some(side);
            break;
        }
    }
    let mut after = None;
    for (i, token) in tokens.iter().enumerate().skip(end).take(SIDE_WINDOW) {
        if token.sentence != sentence || in_other_match(i) {
            break;
        }
        if let Some(side) = side_of(token) {
            after = Some(side);
            break;
        }
    }
    tokens[start..end].iter().find_map(side_of).or(before).or(after)
}

/// The side a word names: "right"/"rt", "left"/"lt", "bilateral"/"both", and a capital "R"/"L"
/// ("L knee").
fn side_of(token: &Token) -> Option<Side> {
    match token.norm.as_str() {
        "right" | "rt" => Some(Side::Right),
        "left" | "lt" => Some(Side::Left),
        "r" if token.upper => Some(Side::Right),
        "l" if token.upper => Some(Side::Left),
        "bilateral" | "bilaterally" | "both" => Some(Side::Bilateral),
        _ => None,
    }
}

/// Whether `a` becomes `b` with at most one insertion, deletion, substitution or swap of
/// neighbouring letters.
fn within_one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        one_edit(a.as_bytes(), b.as_bytes())
    } else {
        one_edit(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>())
    }
}

fn one_edit<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a == b {
        return true;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len() as isize - rb.len() as isize {
        0 => ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]),
        1 => ra[1..] == *rb,
        -1 => *ra == rb[1..],
        _ => false,
    }
}

/// A SNOMED CT display without its semantic tag: "Essential hypertension (disorder)" → "Essential
/// hypertension" (also "Severe anxiety (panic) (finding", as some exports cut it).
fn without_semantic_tag(text: &str) -> &str {
    const TAGS: &[&str] = &[
        "disorder",
        "finding",
        "situation",
        "procedure",
        "event",
        "morphologic abnormality",
        "observable entity",
        "body structure",
        "regime/therapy",
        "person",
    ];
    let trimmed = text.trim_end();
    if let Some(open) = trimmed.rfind('(') {
        let tag = trimmed[open + 1..].trim_end_matches(')').trim().to_lowercase();
        if TAGS.contains(&tag.as_str()) {
            return trimmed[..open].trim_end();
        }
    }
    trimmed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_covers_insertions_deletions_substitutions_and_swaps() {
        assert!(within_one_edit("astma", "asthma"));
        assert!(within_one_edit("hypertenion", "hypertension"));
        assert!(within_one_edit("diabetis", "diabetes"));
        assert!(within_one_edit("pnuemonia", "pneumonia"));
        assert!(!within_one_edit("hypotension", "hypertension"));
    }

    #[test]
    fn semantic_tags_are_dropped_from_snomed_displays() {
        assert_eq!(without_semantic_tag("Essential hypertension (disorder)"), "Essential hypertension");
        assert_eq!(without_semantic_tag("Severe anxiety (panic) (finding"), "Severe anxiety (panic)");
        assert_eq!(without_semantic_tag("Otitis media"), "Otitis media");
    }

    #[test]
    fn bmi_and_gestation_values_map_to_their_codes() {
        assert_eq!(bmi_code(32.4).as_deref(), Some("Z6832"));
        assert_eq!(bmi_code(41.0).as_deref(), Some("Z6841"));
        assert_eq!(bmi_code(18.5).as_deref(), Some("Z681"));
        assert_eq!(gestation_code(12), "Z3A12");
        assert_eq!(gestation_code(6), "Z3A01");
    }
}
