//! Evaluation of the suggester on labelled notes (`tests/notes/labelled_notes.jsonl`).
//!
//! Each line: `{"id", "note", "expected": [codes, principal first], "split"?, "negated"?: [codes]}`.
//! The suggester gives each note its first [`EVAL_LIMIT`] suggestions. Per group of notes (each
//! `split`, and all notes), summed over notes (micro-averaged):
//!
//! - **principal first**: share of notes whose first suggestion is the principal (first expected)
//!   code;
//! - **top-k recall**: expected codes found among the first k suggestions / expected codes;
//! - **top-k precision**: suggestions among the first k that are expected / suggestions made among
//!   the first k (a note with fewer than k suggestions counts only those it has);
//! - **all**: the same over every suggestion made (up to [`EVAL_LIMIT`]);
//! - **negation errors**: suggestions of a code the note lists under `negated` (a finding it
//!   negates or leaves uncertain), out of the negated findings listed;
//! - **auto-code at [`AUTO_THRESHOLD`]**: suggestions at or above the threshold (what a tenant with
//!   that threshold would code without review), their precision, and the share of expected codes
//!   they cover.

use super::Suggester;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// Suggestions per note in the evaluation.
pub const EVAL_LIMIT: usize = 10;
/// The confidence threshold the auto-code figures use.
pub const AUTO_THRESHOLD: f32 = 0.8;

#[derive(Deserialize)]
struct LabelledNote {
    id: String,
    note: String,
    expected: Vec<String>,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    negated: Vec<String>,
}

/// Figures for one group of notes (definitions in the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupFigures {
    pub group: String,
    pub notes: usize,
    pub expected_codes: usize,
    pub principal_first: f64,
    pub top1_recall: f64,
    pub top1_precision: f64,
    pub top3_recall: f64,
    pub top3_precision: f64,
    pub all_recall: f64,
    pub all_precision: f64,
    pub negated_findings: usize,
    pub negation_errors: usize,
    pub auto_threshold: f32,
    pub auto_suggested: usize,
    pub auto_precision: f64,
    pub auto_recall: f64,
}

/// What the suggester made of one note.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoteResult {
    pub id: String,
    pub split: String,
    pub expected: Vec<String>,
    /// `(code, confidence)`, best first.
    pub suggested: Vec<(String, f32)>,
    pub principal_first: bool,
    /// Expected codes not among the suggestions.
    pub missed: Vec<String>,
    /// Negated codes that were suggested.
    pub negation_errors: Vec<String>,
}

/// The evaluation: figures per split and for all notes, and each note's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    pub groups: Vec<GroupFigures>,
    pub notes: Vec<NoteResult>,
}

impl EvalReport {
    /// The figures of one group ("holdout", "tune", "all").
    pub fn group(&self, name: &str) -> Option<&GroupFigures> {
        self.groups.iter().find(|g| g.group == name)
    }
}

#[derive(Default)]
struct Tally {
    notes: usize,
    expected: usize,
    principal_first: usize,
    hits: [usize; 3],
    made: [usize; 3],
    negated: usize,
    negation_errors: usize,
    auto_made: usize,
    auto_hits: usize,
}

impl Tally {
    fn add(&mut self, expected: &[String], negated: &[String], suggested: &[(String, f32)]) {
        self.notes += 1;
        self.expected += expected.len();
        let wanted: HashSet<&str> = expected.iter().map(String::as_str).collect();
        if suggested.first().is_some_and(|(c, _)| *c == expected[0]) {
            self.principal_first += 1;
        }
        for (slot, k) in [1, 3, usize::MAX].into_iter().enumerate() {
            let first_k = &suggested[..suggested.len().min(k)];
            self.made[slot] += first_k.len();
            self.hits[slot] += first_k.iter().filter(|(c, _)| wanted.contains(c.as_str())).count();
        }
        self.negated += negated.len();
        self.negation_errors += suggested.iter().filter(|(c, _)| negated.contains(c)).count();
        let auto: Vec<&(String, f32)> = suggested.iter().filter(|(_, p)| *p >= AUTO_THRESHOLD).collect();
        self.auto_made += auto.len();
        self.auto_hits += auto.iter().filter(|(c, _)| wanted.contains(c.as_str())).count();
    }

    fn figures(&self, group: &str) -> GroupFigures {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        GroupFigures {
            group: group.to_string(),
            notes: self.notes,
            expected_codes: self.expected,
            principal_first: ratio(self.principal_first, self.notes),
            top1_recall: ratio(self.hits[0], self.expected),
            top1_precision: ratio(self.hits[0], self.made[0]),
            top3_recall: ratio(self.hits[1], self.expected),
            top3_precision: ratio(self.hits[1], self.made[1]),
            all_recall: ratio(self.hits[2], self.expected),
            all_precision: ratio(self.hits[2], self.made[2]),
            negated_findings: self.negated,
            negation_errors: self.negation_errors,
            auto_threshold: AUTO_THRESHOLD,
            auto_suggested: self.auto_made,
            auto_precision: ratio(self.auto_hits, self.auto_made),
            auto_recall: ratio(self.auto_hits, self.expected),
        }
    }
}

/// Runs `suggester` over the labelled notes in `jsonl` (format in the module documentation).
pub fn evaluate(suggester: &Suggester, jsonl: &str) -> Result<EvalReport, String> {
    let mut seen = HashSet::new();
    let mut notes = Vec::new();
    let mut splits: Vec<String> = Vec::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut all = Tally::default();
    for (index, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let labelled: LabelledNote =
            serde_json::from_str(line).map_err(|e| format!("labelled notes line {}: {e}", index + 1))?;
        if !seen.insert(labelled.id.clone()) {
            return Err(format!("labelled notes line {}: id {} appears twice", index + 1, labelled.id));
        }
        if labelled.expected.is_empty() {
            return Err(format!("labelled notes line {}: no expected code", index + 1));
        }
        let undotted = |codes: Vec<String>| codes.into_iter().map(|c| c.replace('.', "")).collect::<Vec<_>>();
        let expected = undotted(labelled.expected);
        let negated = undotted(labelled.negated);
        let split = labelled.split.unwrap_or_else(|| "unsplit".to_string());
        let suggested: Vec<(String, f32)> =
            suggester.suggest(&labelled.note, &[], EVAL_LIMIT).into_iter().map(|s| (s.code, s.confidence)).collect();
        let slot = match splits.iter().position(|s| *s == split) {
            Some(slot) => slot,
            None => {
                splits.push(split.clone());
                tallies.push(Tally::default());
                splits.len() - 1
            }
        };
        tallies[slot].add(&expected, &negated, &suggested);
        all.add(&expected, &negated, &suggested);
        let made: HashSet<&str> = suggested.iter().map(|(c, _)| c.as_str()).collect();
        notes.push(NoteResult {
            id: labelled.id,
            split,
            principal_first: suggested.first().is_some_and(|(c, _)| *c == expected[0]),
            missed: expected.iter().filter(|c| !made.contains(c.as_str())).cloned().collect(),
            negation_errors: negated.iter().filter(|c| made.contains(c.as_str())).cloned().collect(),
            expected,
            suggested,
        });
    }
    if notes.is_empty() {
        return Err("no labelled notes".to_string());
    }
    let mut order: Vec<usize> = (0..splits.len()).collect();
    order.sort_by(|&a, &b| splits[a].cmp(&splits[b]));
    let mut groups: Vec<GroupFigures> = order.into_iter().map(|i| tallies[i].figures(&splits[i])).collect();
    groups.push(all.figures("all"));
    Ok(EvalReport { groups, notes })
}

impl fmt::Display for EvalReport {
    /// The figures as a table, one row per group, rates in percent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:>5} {:>5} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9} {:>16}",
            "group",
            "notes",
            "codes",
            "principal",
            "R@1",
            "P@1",
            "R@3",
            "P@3",
            "R@all",
            "P@all",
            "negation",
            "auto-code"
        )?;
        for g in &self.groups {
            let pct = |x: f64| format!("{:.1}", 100.0 * x);
            writeln!(
                f,
                "{:<8} {:>5} {:>5} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9} {:>16}",
                g.group,
                g.notes,
                g.expected_codes,
                pct(g.principal_first),
                pct(g.top1_recall),
                pct(g.top1_precision),
                pct(g.top3_recall),
                pct(g.top3_precision),
                pct(g.all_recall),
                pct(g.all_precision),
                format!("{}/{}", g.negation_errors, g.negated_findings),
                format!("{} P{} R{}", g.auto_suggested, pct(g.auto_precision), pct(g.auto_recall)),
            )?;
        }
        writeln!(
            f,
            "principal: first suggestion is the principal code; R@k/P@k: recall/precision of the first k \
             suggestions (all = up to {EVAL_LIMIT}); negation: negated codes suggested / negated findings; \
             auto-code: suggestions with confidence >= {AUTO_THRESHOLD}, their precision and recall"
        )
    }
}
