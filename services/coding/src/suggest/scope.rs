//! Negation, uncertainty, history and family context, NegEx-style.
//!
//! The rules (ours, after the published idea of NegEx/ConText: trigger phrases with a scope):
//!
//! - A trigger is a phrase from the tables below, found in words that no lexicon phrase took (so
//!   "without" in "diabetes without complications", "history of" in "history of falls" or "no" in
//!   "concussion with no loss of consciousness" are part of their concept, not triggers). The
//!   longest trigger wins: "no history of" negates, it does not mark history.
//! - A forward trigger ("denies", "no", "h/o") covers a finding that starts within its window of
//!   words after it; a backward one ("ruled out", "negative", "years ago") a finding that ends within
//!   its window before it; "vs"/"versus" both ways.
//! - A scope never leaves its sentence (a full stop, `;`, `!`, `?` or a line break ends it), and
//!   stops at a terminating word ("but", "however", "although", "except", "presents", "reports",
//!   "now", "has", "positive for", "on" as in "h/o DVT on anticoagulation", ...). The short history triggers "s/p" and "status post" also stop
//!   at a comma, so that "s/p MI, CAD" keeps CAD current.
//! - Pseudo-triggers ("no change", "not only", "without difficulty", "gram negative") are taken
//!   first and do nothing.
//! - Precedence: negated, then uncertain (outpatient coding does not code "probable", "rule out",
//!   "likely", "vs": guideline IV.H), then a relative's (family), then history, then the section the
//!   finding is under (past history, family history, allergies), else current.

use super::lexicon::PhraseTrie;
use super::text::{Gap, Section, Token, normalise_phrase};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Negation,
    Uncertain,
    Family,
    History,
    Pseudo,
    Terminate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
    Both,
}

#[derive(Clone, Copy, Debug)]
struct Rule {
    kind: Kind,
    direction: Direction,
    window: usize,
    stops_at_comma: bool,
}

const NEGATION_FORWARD: &[&str] = &[
    "no",
    "not",
    "denies",
    "denied",
    "deny",
    "denying",
    "without",
    "negative for",
    "neg for",
    "free of",
    "no evidence of",
    "no evidence for",
    "no sign of",
    "no signs of",
    "no symptoms of",
    "absence of",
    "never had",
    "never",
    "ruled out",
    "rules out",
    "no history of",
    "no hx of",
    "no h/o",
    "no personal history of",
    "no prior",
    "no previous",
    "no known",
    "no complaints of",
    "none",
    "nor",
    "doesnt have",
    "does not have",
    "did not have",
    "has not had",
    "hasnt had",
    "not have",
    "resolution of",
];

const NEGATION_BACKWARD: &[&str] = &[
    "ruled out",
    "was ruled out",
    "is ruled out",
    "has been ruled out",
    "negative",
    "neg",
    "absent",
    "not present",
    "not seen",
    "not found",
    "excluded",
    "unlikely",
    "denied",
    "none",
];

const UNCERTAIN_FORWARD: &[&str] = &[
    "rule out",
    "r/o",
    "possible",
    "possibly",
    "probable",
    "probably",
    "suspected",
    "suspect",
    "suspicion of",
    "suspicion for",
    "suspicious for",
    "questionable",
    "question of",
    "concern for",
    "concerning for",
    "likely",
    "most likely",
    "differential includes",
    "differential diagnosis",
    "ddx",
    "cannot exclude",
    "cannot rule out",
    "cant rule out",
    "may have",
    "might have",
    "could be",
    "consider",
    "considering",
    "evaluate for",
    "evaluation for",
    "eval for",
    "to exclude",
    "worried about",
    "presumed",
    "presumptive",
];

/// Not "likely" after a finding: "sinusitis, likely viral" is certain sinusitis.
const UNCERTAIN_BACKWARD: &[&str] = &[
    "suspected",
    "possible",
    "not excluded",
    "cannot be excluded",
    "is suspected",
    "is possible",
    "is likely",
    "pending",
    "test pending",
    "result pending",
    "results pending",
];

const UNCERTAIN_BOTH: &[&str] = &["vs", "versus"];

const HISTORY_FORWARD: &[&str] = &[
    "history of",
    "hx of",
    "h/o",
    "hx",
    "past medical history",
    "past medical history of",
    "past history of",
    "pmh",
    "pmh of",
    "pmhx",
    "personal history of",
    "remote history of",
    "previous",
    "previously",
    "prior",
    "remote",
];

const HISTORY_FORWARD_SHORT: &[&str] = &["s/p", "status post"];

const HISTORY_BACKWARD: &[&str] = &[
    "in the past",
    "years ago",
    "yrs ago",
    "year ago",
    "as a child",
    "in childhood",
    "resolved",
    "has resolved",
    "now resolved",
    "since resolved",
    "in remission",
    "completed treatment",
    "treated successfully",
    "cured",
];

const RELATIVES: &[&str] = &[
    "mother",
    "father",
    "mom",
    "dad",
    "brother",
    "sister",
    "sibling",
    "siblings",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "parent",
    "parents",
    "son",
    "daughter",
    "maternal",
    "paternal",
];

const RELATIVE_VERBS: &[&str] = &["has", "had", "with", "died of", "diagnosed with", "history of", "hx of", "h/o"];

const FAMILY_FORWARD: &[&str] =
    &["family history of", "family history", "family hx of", "family hx", "fh of", "fhx of", "fhx", "fh"];

const PSEUDO: &[&str] = &[
    "no change",
    "no changes",
    "no increase",
    "no significant change",
    "no interval change",
    "not only",
    "without difficulty",
    "not certain",
    "not sure",
    "gram negative",
    "no further",
    "not necessarily",
    "not resolved",
    "not improved",
    "not worse",
    "not better",
    "not taking",
    "not responding",
    "negative pressure",
];

const TERMINATE: &[&str] = &[
    "but",
    "however",
    "although",
    "though",
    "except",
    "aside from",
    "apart from",
    "yet",
    "which",
    "who",
    "presents",
    "presenting",
    "presented",
    "reports",
    "reported",
    "endorses",
    "complains",
    "c/o",
    "now",
    "currently",
    "has",
    "positive for",
    "positive",
    "on",
    "continued",
    "continues",
    "continuing",
    "ongoing",
    "still",
];

/// The trigger phrases, compiled.
#[derive(Debug)]
pub(crate) struct Triggers {
    trie: PhraseTrie,
    rules: Vec<Rule>,
}

/// A trigger found in a note: words `start..end`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    start: usize,
    end: usize,
    rule: Rule,
}

/// Where a finding stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Current,
    History,
    Family,
    Negated,
    Uncertain,
    /// Under a section that holds no diagnoses (allergies).
    Ignored,
}

impl Hit {
    /// The words of the trigger.
    pub fn words(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

impl Triggers {
    pub fn new() -> Triggers {
        let mut trie = PhraseTrie::new();
        let mut rules = Vec::new();
        let mut add = |phrases: &[&str], kind: Kind, direction: Direction, window: usize, stops_at_comma: bool| {
            for phrase in phrases {
                trie.insert(&normalise_phrase(phrase), rules.len() as u32);
                rules.push(Rule { kind, direction, window, stops_at_comma });
            }
        };
        add(NEGATION_FORWARD, Kind::Negation, Direction::Forward, 8, false);
        add(NEGATION_BACKWARD, Kind::Negation, Direction::Backward, 4, false);
        add(UNCERTAIN_FORWARD, Kind::Uncertain, Direction::Forward, 6, false);
        add(UNCERTAIN_BACKWARD, Kind::Uncertain, Direction::Backward, 3, false);
        add(UNCERTAIN_BOTH, Kind::Uncertain, Direction::Both, 4, false);
        add(HISTORY_FORWARD, Kind::History, Direction::Forward, 8, false);
        add(HISTORY_FORWARD_SHORT, Kind::History, Direction::Forward, 3, true);
        add(HISTORY_BACKWARD, Kind::History, Direction::Backward, 4, false);
        add(FAMILY_FORWARD, Kind::Family, Direction::Forward, 8, false);
        let relative_phrases: Vec<String> =
            RELATIVES.iter().flat_map(|r| RELATIVE_VERBS.iter().map(move |v| format!("{r} {v}"))).collect();
        let relative_refs: Vec<&str> = relative_phrases.iter().map(String::as_str).collect();
        add(&relative_refs, Kind::Family, Direction::Forward, 6, false);
        add(PSEUDO, Kind::Pseudo, Direction::Forward, 0, false);
        add(TERMINATE, Kind::Terminate, Direction::Forward, 0, false);
        Triggers { trie, rules }
    }

    /// The triggers in `tokens`, longest first, among the words no lexicon phrase took.
    pub fn find(&self, tokens: &[Token], taken: &[bool]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if taken[i] || tokens[i].header {
                i += 1;
                continue;
            }
            let words = tokens[i..].iter().map(|t| t.norm.as_str());
            let found = self.trie.matches_at(
                words,
                |k| {
                    let t = &tokens[i + k];
                    !taken[i + k] && !t.header && t.gap_before != Gap::Sentence
                },
                |_| false,
            );
            match found.last() {
                Some(&(len, payloads)) => {
                    // A phrase in several tables (e.g. "ruled out" forward and backward) yields a hit per table.
                    for &p in payloads {
                        hits.push(Hit { start: i, end: i + len, rule: self.rules[p as usize] });
                    }
                    i += len;
                }
                None => i += 1,
            }
        }
        hits
    }
}

/// Which words a negation or uncertainty trigger covers (the scope rules of [`context_of`] for
/// one word at a time, in one pass over the triggers).
pub(crate) fn negated_words(tokens: &[Token], hits: &[Hit]) -> Vec<bool> {
    let mut terminator = vec![false; tokens.len()];
    for hit in hits.iter().filter(|h| h.rule.kind == Kind::Terminate) {
        terminator[hit.start..hit.end].iter_mut().for_each(|t| *t = true);
    }
    let mut covered = vec![false; tokens.len()];
    for hit in hits.iter().filter(|h| matches!(h.rule.kind, Kind::Negation | Kind::Uncertain)) {
        let sentence = tokens[hit.start].sentence;
        let rule = hit.rule;
        if matches!(rule.direction, Direction::Forward | Direction::Both) {
            for j in hit.end..tokens.len().min(hit.end + rule.window + 1) {
                if tokens[j].sentence != sentence || terminator[j] {
                    break;
                }
                covered[j] = true;
            }
        }
        if matches!(rule.direction, Direction::Backward | Direction::Both) {
            for j in (hit.start.saturating_sub(rule.window + 1)..hit.start).rev() {
                if tokens[j].sentence != sentence || terminator[j] {
                    break;
                }
                covered[j] = true;
            }
        }
    }
    covered
}

/// The context of the finding in words `start..end`.
pub(crate) fn context_of(tokens: &[Token], hits: &[Hit], start: usize, end: usize) -> Context {
    let sentence = tokens[start].sentence;
    let section = tokens[start].section;
    if section == Section::Ignore {
        return Context::Ignored;
    }
    let terminated =
        |from: usize, to: usize| hits.iter().any(|h| h.rule.kind == Kind::Terminate && h.start >= from && h.end <= to);
    let comma_between =
        |from: usize, to: usize| tokens[from..=to.min(tokens.len() - 1)].iter().any(|t| t.gap_before == Gap::Comma);
    let mut found = [false; 4];
    for hit in hits.iter().filter(|h| tokens[h.start].sentence == sentence) {
        let rule = hit.rule;
        let index = match rule.kind {
            Kind::Negation => 0,
            Kind::Uncertain => 1,
            Kind::Family => 2,
            Kind::History => 3,
            Kind::Pseudo | Kind::Terminate => continue,
        };
        let forward = matches!(rule.direction, Direction::Forward | Direction::Both)
            && hit.end <= start
            && start - hit.end <= rule.window
            && !terminated(hit.end, start)
            && !(rule.stops_at_comma && comma_between(hit.end, start));
        let backward = matches!(rule.direction, Direction::Backward | Direction::Both)
            && hit.start >= end
            && hit.start - end <= rule.window
            && !terminated(end, hit.start);
        if forward || backward {
            found[index] = true;
        }
    }
    match found {
        [true, ..] => Context::Negated,
        [_, true, ..] => Context::Uncertain,
        [_, _, true, _] => Context::Family,
        [_, _, _, true] => Context::History,
        _ => match section {
            Section::History => Context::History,
            Section::Family => Context::Family,
            _ => Context::Current,
        },
    }
}
