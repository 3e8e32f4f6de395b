//! A note as tokens: normalised words with their byte offsets, the sentence each belongs to and the
//! section of the note (history, assessment, ...) it was written under.

/// What a section of a note is about; it decides how its findings count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// HPI, exam, plan, unheaded text: findings are the patient's, now.
    Current,
    /// Assessment, impression, diagnoses, problem list: current, and what the visit is for.
    Assessment,
    /// Past medical or surgical history: findings are history.
    History,
    /// Family history: findings are a relative's.
    Family,
    /// Allergies: nothing here is a diagnosis.
    Ignore,
}

/// What separates a token from the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Spaces, hyphens, slashes, brackets: the same phrase may go on.
    Space,
    /// A comma: the same sentence, but a list may start (short history triggers stop here).
    Comma,
    /// A colon: the same sentence for negation, but no phrase spans it.
    Colon,
    /// A full stop, `;`, `!`, `?` or a line break: a new sentence.
    Sentence,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    /// Lower case, apostrophes and a plural "s" dropped, `w/o` read as `without`.
    pub norm: String,
    /// Written in capitals (at least one letter, no lower-case letter).
    pub upper: bool,
    pub gap_before: Gap,
    pub sentence: u32,
    pub section: Section,
    /// Part of a section header ("Past medical history:"): neither a finding nor a trigger.
    pub header: bool,
}

impl Token {
    pub fn is_number(&self) -> bool {
        self.norm.bytes().all(|b| b.is_ascii_digit() || b == b'.') && self.norm.bytes().any(|b| b.is_ascii_digit())
    }
}

/// Lower-cases a word and drops what only varies its spelling: apostrophes (a final "'s" with it)
/// and a plural "s" on words of four letters or more (not "-ss", "-us", "-is": "abscess", "sinus",
/// "sinusitis"). Lexicon phrases, triggers, descriptions and notes all go through it, so they meet.
pub(crate) fn normalise_word(raw: &str) -> String {
    let mut word: String = raw.to_lowercase();
    for possessive in ["'s", "\u{2019}s"] {
        if word.len() > possessive.len() + 1 && word.ends_with(possessive) {
            word.truncate(word.len() - possessive.len());
        }
    }
    word.retain(|c| c != '\'' && c != '\u{2019}');
    if word.chars().count() > 3
        && word.ends_with('s')
        && !(word.ends_with("ss") || word.ends_with("us") || word.ends_with("is"))
    {
        word.pop();
    }
    match word.as_str() {
        "w/o" => "without".to_string(),
        "w/" => "with".to_string(),
        "b/l" => "bilateral".to_string(),
        _ => word,
    }
}

/// Normalised words of a phrase (for the lexicon and trigger lists).
pub(crate) fn normalise_phrase(phrase: &str) -> Vec<String> {
    split_words(phrase).into_iter().map(|(s, e)| normalise_word(&phrase[s..e])).collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}'
}

/// Byte ranges of the words of `text`. A word is a run of letters and digits (apostrophes inside
/// it kept); a decimal point between digits stays in the word ("7.8"); one letter, a slash and one
/// letter make one word ("h/o", "s/p", "w/o"), as does "w/" alone.
pub(crate) fn split_words(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            let joins_decimal = next == '.'
                && bytes[..i].last().is_some_and(u8::is_ascii_digit)
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if is_word_char(next) || joins_decimal {
                end = i + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        // "h/o", "w/o", "s/p": single letters around a slash.
        let single_letter = end - start == 1 && c.is_ascii_alphabetic();
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        if single_letter && before_ok && bytes.get(end) == Some(&b'/') {
            let after = bytes.get(end + 1).copied();
            let after_after = bytes.get(end + 2).copied();
            if after.is_some_and(|b| b.is_ascii_alphabetic()) && !after_after.is_some_and(|b| b.is_ascii_alphanumeric())
            {
                chars.next();
                chars.next();
                end += 2;
            } else if c.eq_ignore_ascii_case(&'w') && !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                chars.next();
                end += 1;
            }
        }
        words.push((start, end));
    }
    words
}

/// Words after which a full stop is an abbreviation, not the end of a sentence.
const ABBREVIATIONS: &[&str] = &["vs", "dr", "mr", "mrs", "ms", "pt", "approx", "st", "fig"];

/// What separates a word from the previous one. `previous` is the previous word and
/// `list_marker` says whether it is a number opening a list item ("1." in "A: 1. HTN").
fn gap_between(text: &str, previous: Option<&str>, list_marker: bool) -> Gap {
    let mut gap = Gap::Space;
    for (i, c) in text.char_indices() {
        match c {
            '\n' | ';' | '!' | '?' => return Gap::Sentence,
            '.' => {
                let abbreviation = list_marker
                    || previous.is_some_and(|w| {
                        (w.len() == 1 && w.as_bytes()[0].is_ascii_alphabetic()) || ABBREVIATIONS.contains(&w)
                    });
                let followed_by_space = text[i + 1..].chars().next().is_none_or(char::is_whitespace);
                if !abbreviation && followed_by_space {
                    return Gap::Sentence;
                }
            }
            ':' => gap = Gap::Colon,
            ',' if gap == Gap::Space => gap = Gap::Comma,
            _ => {}
        }
    }
    gap
}

fn is_blank_line(gap_text: &str) -> bool {
    gap_text.matches('\n').count() >= 2
}

/// First words of a sentence about the present: they end a past or family history section.
const PRESENT: &[&str] =
    &["pt", "patient", "here", "today", "now", "currently", "presents", "presenting", "she", "he", "c/o", "complains"];

/// Section headers (normalised words) and what they open.
const HEADERS: &[(&str, Section)] = &[
    ("pmh", Section::History),
    ("pmhx", Section::History),
    ("past medical history", Section::History),
    ("past medical hx", Section::History),
    ("medical history", Section::History),
    ("past history", Section::History),
    ("past hx", Section::History),
    ("psh", Section::History),
    ("pshx", Section::History),
    ("past surgical history", Section::History),
    ("surgical history", Section::History),
    ("family history", Section::Family),
    ("family hx", Section::Family),
    ("family medical history", Section::Family),
    ("fh", Section::Family),
    ("fhx", Section::Family),
    ("allergy", Section::Ignore),
    ("allergie", Section::Ignore),
    ("drug allergie", Section::Ignore),
    ("assessment", Section::Assessment),
    ("a", Section::Assessment),
    ("a/p", Section::Assessment),
    ("assessment plan", Section::Assessment),
    ("assessment and plan", Section::Assessment),
    ("impression", Section::Assessment),
    ("clinical impression", Section::Assessment),
    ("imp", Section::Assessment),
    ("dx", Section::Assessment),
    ("dx list", Section::Assessment),
    ("diagnosis", Section::Assessment),
    ("diagnose", Section::Assessment),
    ("final diagnosis", Section::Assessment),
    ("problem list", Section::Assessment),
    ("problem", Section::Assessment),
    ("active problem", Section::Assessment),
    ("cc", Section::Current),
    ("chief complaint", Section::Current),
    ("hpi", Section::Current),
    ("history of present illness", Section::Current),
    ("hx", Section::Current),
    ("history", Section::Current),
    ("s", Section::Current),
    ("subjective", Section::Current),
    ("o", Section::Current),
    ("objective", Section::Current),
    ("exam", Section::Current),
    ("physical exam", Section::Current),
    ("pe", Section::Current),
    ("vital", Section::Current),
    ("ros", Section::Current),
    ("review of system", Section::Current),
    ("lab", Section::Current),
    ("med", Section::Current),
    ("medication", Section::Current),
    ("current medication", Section::Current),
    ("plan", Section::Current),
    ("p", Section::Current),
    ("social history", Section::Current),
    ("social hx", Section::Current),
    ("sh", Section::Current),
    ("imaging", Section::Current),
    ("result", Section::Current),
    ("reason for visit", Section::Current),
    ("today", Section::Current),
];

fn header_section(words: &[&str]) -> Option<Section> {
    let key = words.join(" ");
    HEADERS.iter().find(|(name, _)| *name == key).map(|&(_, section)| section)
}

/// Tokenises `text`: words, the sentence each is in, and its section.
///
/// A header is one to four words at the start of a line or sentence followed by a colon
/// ("PMH:", "Assessment and plan:"), or a line holding only such words. A header alone on its line
/// opens a section that lasts until the next header or a blank line; a header followed by text on
/// the same line covers the rest of that line.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let spans = split_words(text);
    let mut tokens: Vec<Token> = Vec::with_capacity(spans.len());
    let mut previous_end = 0;
    let mut sentence = 0u32;
    for (i, &(start, end)) in spans.iter().enumerate() {
        let raw = &text[start..end];
        let gap_text = &text[previous_end..start];
        let previous = (i > 0).then(|| tokens[i - 1].norm.as_str());
        // A number of one or two digits at the start of a sentence or after a colon opens a list
        // item: its full stop ends nothing.
        let list_marker = i > 0
            && tokens[i - 1].norm.len() <= 2
            && tokens[i - 1].norm.bytes().all(|b| b.is_ascii_digit())
            && matches!(tokens[i - 1].gap_before, Gap::Sentence | Gap::Colon);
        // "2)" opens a list item, even in the middle of a line: "1) obesity 2) snoring, r/o OSA 3) ...".
        let item_number = raw.len() <= 2 && raw.bytes().all(|b| b.is_ascii_digit()) && text[end..].starts_with(')');
        let gap_before = match i {
            0 => Gap::Sentence,
            _ if item_number => Gap::Sentence,
            _ => gap_between(gap_text, previous, list_marker),
        };
        if i > 0 && gap_before == Gap::Sentence {
            sentence += 1;
        }
        let has_letter = raw.chars().any(char::is_alphabetic);
        tokens.push(Token {
            start,
            end,
            norm: normalise_word(raw),
            upper: has_letter && !raw.chars().any(char::is_lowercase),
            gap_before,
            sentence,
            section: Section::Current,
            header: false,
        });
        previous_end = end;
    }
    assign_sections(text, &mut tokens);
    tokens
}

fn assign_sections(text: &str, tokens: &mut [Token]) {
    let mut block = Section::Current;
    let mut line: Option<Section> = None;
    let mut i = 0;
    while i < tokens.len() {
        let gap_text = &text[if i == 0 { 0 } else { tokens[i - 1].end }..tokens[i].start];
        let new_line = i == 0 || gap_text.contains('\n');
        if new_line {
            line = None;
            if is_blank_line(gap_text) {
                block = Section::Current;
            }
        }
        // Past or family history ends where a sentence turns to the present ("Pt is here for...").
        if tokens[i].gap_before == Gap::Sentence && PRESENT.contains(&tokens[i].norm.as_str()) {
            if matches!(line, Some(Section::History | Section::Family)) {
                line = None;
            }
            if matches!(block, Section::History | Section::Family) {
                block = Section::Current;
            }
        }
        if tokens[i].gap_before == Gap::Sentence
            && let Some((len, section, alone)) = header_at(text, tokens, i)
        {
            if alone {
                block = section;
                line = None;
            } else {
                line = Some(section);
            }
            for token in &mut tokens[i..i + len] {
                token.header = true;
                token.section = section;
            }
            i += len;
            continue;
        }
        tokens[i].section = line.unwrap_or(block);
        i += 1;
    }
}

/// A header starting at token `i`: its length in words, its section and whether it stands alone
/// on its line.
fn header_at(text: &str, tokens: &[Token], i: usize) -> Option<(usize, Section, bool)> {
    for len in (1..=4).rev() {
        let Some(last) = tokens.get(i + len - 1) else { continue };
        if tokens[i + 1..i + len].iter().any(|t| t.gap_before == Gap::Sentence || t.gap_before == Gap::Colon) {
            continue;
        }
        let words: Vec<&str> = tokens[i..i + len].iter().map(|t| t.norm.as_str()).collect();
        let Some(section) = header_section(&words) else { continue };
        let next_start = tokens.get(i + len).map_or(text.len(), |t| t.start);
        let between = &text[last.end..next_start];
        let line_ends = between.contains('\n') || i + len == tokens.len();
        // What follows the header on its own line.
        let after = between.split('\n').next().unwrap_or_default();
        let colon = after.trim_start().starts_with(':');
        let line_started = i == 0 || text[tokens[i - 1].end..tokens[i].start].contains('\n');
        if colon {
            let rest_of_line_empty = line_ends && after.trim_start().trim_start_matches(':').trim().is_empty();
            return Some((len, section, rest_of_line_empty));
        }
        // A bare header ("ASSESSMENT") needs a line to itself and at least two letters.
        if line_started && line_ends && after.trim().is_empty() && words.concat().len() > 1 {
            return Some((len, section, true));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn words_keep_abbreviations_with_slashes_and_decimals() {
        assert_eq!(
            norms("h/o HTN, s/p TKA w/o issues, A1c 7.8."),
            ["h/o", "htn", "s/p", "tka", "without", "issue", "a1c", "7.8"]
        );
        assert_eq!(norms("Crohn's disease; diabetes"), ["crohn", "disease", "diabete"]);
    }

    #[test]
    fn sentences_break_at_full_stops_but_not_after_single_letters() {
        let tokens = tokenize("H. pylori positive. No fever");
        let sentences: Vec<u32> = tokens.iter().map(|t| t.sentence).collect();
        assert_eq!(sentences, [0, 0, 0, 1, 1]);
    }

    #[test]
    fn a_header_alone_on_its_line_covers_the_lines_below_until_a_blank_line() {
        let tokens = tokenize("PMH:\n- HTN\n- asthma\n\nCough today");
        let sections: Vec<(String, Section)> = tokens.iter().map(|t| (t.norm.clone(), t.section)).collect();
        assert_eq!(sections[1], ("htn".into(), Section::History));
        assert_eq!(sections[2], ("asthma".into(), Section::History));
        assert_eq!(sections[3], ("cough".into(), Section::Current));
    }

    #[test]
    fn a_history_section_ends_where_the_note_turns_to_the_present() {
        let tokens = tokenize("FHx: mother with diabetes. Pt is here for a physical.\nPMH:\n- asthma\nToday: cough");
        let find = |w: &str| tokens.iter().find(|t| t.norm == w).unwrap().section;
        assert_eq!(find("diabete"), Section::Family);
        assert_eq!(find("physical"), Section::Current);
        assert_eq!(find("asthma"), Section::History);
        assert_eq!(find("cough"), Section::Current);
    }

    #[test]
    fn a_list_number_does_not_end_a_sentence_and_a_numbered_item_starts_one() {
        let tokens = tokenize("A: 1. HTN 2. DM");
        let sentences: Vec<u32> = tokens.iter().map(|t| t.sentence).collect();
        assert_eq!(sentences, [0, 0, 0, 0, 1]);
        let tokens = tokenize("1) snoring, r/o OSA 2) GERD");
        let sentences: Vec<u32> = tokens.iter().map(|t| t.sentence).collect();
        assert_eq!(sentences, [0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn an_inline_header_covers_its_line_only() {
        let tokens = tokenize("PMH: HTN.\nPresents with cough. A: bronchitis");
        let find = |w: &str| tokens.iter().find(|t| t.norm == w).unwrap().section;
        assert_eq!(find("htn"), Section::History);
        assert_eq!(find("cough"), Section::Current);
        assert_eq!(find("bronchitis"), Section::Assessment);
        assert!(tokens[0].header);
    }
}
