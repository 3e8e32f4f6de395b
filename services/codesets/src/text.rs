//! Words of descriptions and an inverted index over them, shared by the ICD-10-CM and HCPCS
//! searches. A word is a run of letters and digits, lower-cased, with the accented Latin letters
//! of the tabular lists ("Sézary", "Charcôt") folded to ASCII so a coder can type them plainly.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Calls `each` with every word of `text` (repeats included), using `buf` as scratch space.
pub(crate) fn for_each_word(text: &str, buf: &mut String, mut each: impl FnMut(&str)) {
    buf.clear();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            buf.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            buf.extend(c.to_lowercase().map(fold_accent));
        } else if !buf.is_empty() {
            each(buf);
            buf.clear();
        }
    }
    if !buf.is_empty() {
        each(buf);
        buf.clear();
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

/// A query as typed: the complete words and, unless the query ends with a space or punctuation,
/// the last word as a prefix (the coder may still be typing it).
pub(crate) struct WordQuery {
    pub complete: Vec<String>,
    pub prefix: Option<String>,
}

impl WordQuery {
    pub fn parse(query: &str) -> WordQuery {
        let mut words = Vec::new();
        let mut buf = String::new();
        for_each_word(query, &mut buf, |w| words.push(w.to_owned()));
        let still_typing = query.chars().last().is_some_and(char::is_alphanumeric);
        let prefix = if still_typing { words.pop() } else { None };
        words.sort();
        words.dedup();
        WordQuery { complete: words, prefix }
    }

    pub fn is_empty(&self) -> bool {
        self.complete.is_empty() && self.prefix.is_none()
    }
}

/// Word → sorted document numbers, where a document's number is its rank: documents are
/// numbered in the order the caller's ranking gives, so a posting list, an intersection or a
/// union taken in increasing numbers yields the best matches first and a search stops after
/// `limit` of them. Words are stored sorted in one string, so a prefix is a contiguous range of
/// word numbers; postings are `u32` in one vector.
pub(crate) struct WordIndex {
    words: String,
    word_ends: Vec<u32>,
    posting_ends: Vec<u32>,
    postings: Vec<u32>,
    document_count: usize,
}

/// FNV-1a: the build hashes about a million short words; std's SipHash is several times slower
/// and nothing here needs protection from chosen keys.
#[derive(Default)]
struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordIndex {
    /// Indexes documents given as their texts, in the caller's order (`0..`). `rank_key(doc,
    /// distinct_words)` orders them for results (it must be unique per document, e.g. end with
    /// `doc`). Returns the index and `by_rank`: the caller's document at each rank.
    pub fn build<'t, D, T, K: Ord>(documents: D, rank_key: impl Fn(usize, usize) -> K) -> (WordIndex, Vec<u32>)
    where
        D: IntoIterator<Item = T>,
        T: IntoIterator<Item = &'t str>,
    {
        // First pass: each document's distinct words, as numbers in order of first sight.
        let mut seen: HashMap<String, u32, BuildHasherDefault<WordHasher>> = HashMap::default();
        let mut doc_words: Vec<u32> = Vec::new();
        let mut doc_ends: Vec<usize> = Vec::new();
        let mut buf = String::new();
        for texts in documents {
            let start = doc_words.len();
            for text in texts {
                for_each_word(text, &mut buf, |word| {
                    let next = offset(seen.len());
                    let id = match seen.get(word) {
                        Some(&id) => id,
                        None => *seen.entry(word.to_owned()).or_insert(next),
                    };
                    if !doc_words[start..].contains(&id) {
                        doc_words.push(id);
                    }
                });
            }
            doc_ends.push(doc_words.len());
        }
        let document_count = doc_ends.len();
        let doc_range = |d: usize| (if d == 0 { 0 } else { doc_ends[d - 1] })..doc_ends[d];

        let mut by_rank: Vec<u32> = (0..offset(document_count)).collect();
        by_rank.sort_by_cached_key(|&d| rank_key(d as usize, doc_range(d as usize).len()));

        // Words in sorted order; then postings filled rank by rank, so each list is sorted.
        let mut sorted: Vec<(String, u32)> = seen.into_iter().collect();
        sorted.sort_unstable();
        let mut final_number = vec![0u32; sorted.len()];
        let mut words = String::with_capacity(sorted.iter().map(|(w, _)| w.len()).sum());
        let mut word_ends = Vec::with_capacity(sorted.len());
        for (number, (word, first_sight)) in sorted.into_iter().enumerate() {
            final_number[first_sight as usize] = offset(number);
            words.push_str(&word);
            word_ends.push(offset(words.len()));
        }
        let mut next_slot = vec![0u32; word_ends.len()];
        for &id in &doc_words {
            next_slot[final_number[id as usize] as usize] += 1;
        }
        let mut posting_ends = Vec::with_capacity(next_slot.len());
        let mut total = 0u32;
        for slot in &mut next_slot {
            let count = *slot;
            *slot = total;
            total += count;
            posting_ends.push(total);
        }
        let mut postings = vec![0u32; total as usize];
        for (rank, &doc) in by_rank.iter().enumerate() {
            for &id in &doc_words[doc_range(doc as usize)] {
                let slot = &mut next_slot[final_number[id as usize] as usize];
                postings[*slot as usize] = offset(rank);
                *slot += 1;
            }
        }
        (WordIndex { words, word_ends, posting_ends, postings, document_count }, by_rank)
    }

    pub fn word_count(&self) -> usize {
        self.word_ends.len()
    }

    pub fn heap_bytes(&self) -> usize {
        self.words.capacity()
            + 4 * (self.word_ends.capacity() + self.posting_ends.capacity() + self.postings.capacity())
    }

    fn word(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.word_ends[i - 1] as usize };
        &self.words[start..self.word_ends[i] as usize]
    }

    fn postings(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.posting_ends[i - 1] as usize };
        &self.postings[start..self.posting_ends[i] as usize]
    }

    /// Word numbers `[lo, hi)` of the words starting with `prefix`.
    fn prefix_range(&self, prefix: &str) -> (usize, usize) {
        let n = self.word_count();
        let lo = partition(n, |i| self.word(i) < prefix);
        let hi = lo + partition(n - lo, |i| self.word(lo + i).starts_with(prefix));
        (lo, hi)
    }

    fn exact(&self, word: &str) -> Option<&[u32]> {
        let (lo, _) = self.prefix_range(word);
        (lo < self.word_count() && self.word(lo) == word).then(|| self.postings(lo))
    }

    /// The best `limit` documents (lowest ranks, ascending) whose words include every complete
    /// word of `query` and a word starting with its prefix. A complete word the index does not
    /// hold is taken as a prefix too, so abbreviations a coder types ("fract fem neck") find
    /// "fracture of femoral neck". `texts_of(rank)` gives a document's texts again, to check a
    /// prefix on candidates one by one.
    pub fn matches<'s>(&'s self, query: &WordQuery, limit: usize, texts_of: impl Fn(u32) -> [&'s str; 2]) -> Vec<u32> {
        let mut lists = Vec::with_capacity(query.complete.len() + 1);
        let mut prefixes: Vec<(&str, usize, usize)> = Vec::new();
        let complete_as_prefix = query.complete.iter().map(|w| (w, false));
        for (word, is_prefix) in complete_as_prefix.chain(query.prefix.iter().map(|w| (w, true))) {
            if !is_prefix && let Some(list) = self.exact(word) {
                lists.push(list);
                continue;
            }
            match self.prefix_range(word) {
                (lo, hi) if lo == hi => return Vec::new(),
                (lo, hi) if hi - lo == 1 => lists.push(self.postings(lo)),
                (lo, hi) => prefixes.push((word.as_str(), lo, hi)),
            }
        }
        lists.sort_by_key(|list| list.len());
        // Candidates come from the shortest posting list, or, with prefixes only, from the
        // prefix whose words have the fewest postings (all of them marked once).
        let marked_candidates: Vec<u32>;
        let (shortest, others): (&[u32], &[&[u32]]) = match lists.split_first() {
            Some((shortest, others)) => (shortest, others),
            None => {
                let Some(best) = (0..prefixes.len())
                    .min_by_key(|&i| (prefixes[i].1..prefixes[i].2).map(|w| self.postings(w).len()).sum::<usize>())
                else {
                    return Vec::new();
                };
                let (_, lo, hi) = prefixes.swap_remove(best);
                if prefixes.is_empty() {
                    return self.union_head(lo, hi, limit);
                }
                marked_candidates = set_bits(&self.mark(lo, hi));
                (&marked_candidates, &[])
            }
        };
        let mut prefix_checks: Vec<PrefixCheck> =
            prefixes.into_iter().map(|(prefix, lo, hi)| PrefixCheck::new(prefix, lo, hi)).collect();
        let mut cursors = vec![0usize; others.len()];
        let mut out = Vec::with_capacity(limit.min(shortest.len()));
        'candidates: for (checked, &doc) in shortest.iter().enumerate() {
            if out.len() == limit {
                break;
            }
            for (list, cursor) in others.iter().zip(&mut cursors) {
                *cursor += list[*cursor..].partition_point(|&x| x < doc);
                if list.get(*cursor) != Some(&doc) {
                    continue 'candidates;
                }
            }
            let left = shortest.len() - checked;
            if prefix_checks.iter_mut().all(|check| check.passes(self, doc, left, &texts_of)) {
                out.push(doc);
            }
        }
        out
    }

    /// One bit per document, set for the first `per_word` documents of each word in `[lo, hi)`.
    fn mark_head(&self, lo: usize, hi: usize, per_word: usize) -> Vec<u64> {
        let mut marked = vec![0u64; self.document_count.div_ceil(64)];
        for i in lo..hi {
            for &doc in self.postings(i).iter().take(per_word) {
                marked[doc as usize / 64] |= 1 << (doc % 64);
            }
        }
        marked
    }

    fn mark(&self, lo: usize, hi: usize) -> Vec<u64> {
        self.mark_head(lo, hi, usize::MAX)
    }

    /// The `limit` lowest documents in the union of the lists of words `[lo, hi)`: only the
    /// first `limit` of each list can be among them.
    fn union_head(&self, lo: usize, hi: usize, limit: usize) -> Vec<u32> {
        let marked = self.mark_head(lo, hi, limit);
        let mut out = Vec::with_capacity(limit);
        for (block, &bits) in marked.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 && out.len() < limit {
                out.push(offset(block * 64 + bits.trailing_zeros() as usize));
                bits &= bits - 1;
            }
        }
        out
    }
}

/// How a candidate is checked for a word starting with the prefix. Re-reading its texts costs
/// about a hundred nanoseconds and suits dense matches (the search stops at `limit`); if the
/// first candidates mostly fail, marking the prefix words' postings once (about a nanosecond
/// each) turns every further check into a bit test, when that is cheaper for the candidates left.
enum PrefixCheck<'p> {
    Reread { prefix: &'p str, lo: usize, hi: usize, before_deciding: usize },
    Marked(Vec<u64>),
}

impl<'p> PrefixCheck<'p> {
    fn new(prefix: &'p str, lo: usize, hi: usize) -> Self {
        PrefixCheck::Reread { prefix, lo, hi, before_deciding: 256 }
    }

    fn passes<'s>(
        &mut self,
        index: &WordIndex,
        doc: u32,
        candidates_left: usize,
        texts_of: &impl Fn(u32) -> [&'s str; 2],
    ) -> bool {
        if let PrefixCheck::Reread { lo, hi, before_deciding, .. } = self {
            if *before_deciding == 0 {
                let postings: usize = (*lo..*hi).map(|i| index.postings(i).len()).sum();
                if postings < candidates_left.saturating_mul(64) {
                    *self = PrefixCheck::Marked(index.mark(*lo, *hi));
                } else {
                    *before_deciding = usize::MAX;
                }
            } else {
                *before_deciding -= 1;
            }
        }
        match self {
            PrefixCheck::Marked(marked) => marked[doc as usize / 64] & (1 << (doc % 64)) != 0,
            PrefixCheck::Reread { prefix, .. } => {
                let mut found = false;
                let mut buf = String::new();
                for text in texts_of(doc) {
                    for_each_word(text, &mut buf, |w| found |= w.starts_with(*prefix));
                }
                found
            }
        }
    }
}

/// The documents whose bits are set, ascending.
fn set_bits(marked: &[u64]) -> Vec<u32> {
    let mut out = Vec::new();
    for (block, &bits) in marked.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            out.push(offset(block * 64 + bits.trailing_zeros() as usize));
            bits &= bits - 1;
        }
    }
    out
}

/// The first `i` in `0..n` for which `before(i)` is false (`before` must be true, then false).
fn partition(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("index tables stay below 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents ranked in their own order.
    fn index(docs: &[&str]) -> WordIndex {
        let (index, by_rank) = WordIndex::build(docs.iter().map(|d| [*d]), |doc, _| doc);
        assert!(by_rank.iter().enumerate().all(|(rank, &doc)| rank as u32 == doc));
        index
    }

    fn find(index: &WordIndex, docs: &[&str], query: &str, limit: usize) -> Vec<u32> {
        index.matches(&WordQuery::parse(query), limit, |d| [docs[d as usize], ""])
    }

    #[test]
    fn words_are_lower_case_and_folded() {
        let mut words = Vec::new();
        for_each_word("Sézary disease, C84.1-; Charcôt's", &mut String::new(), |w| words.push(w.to_owned()));
        assert_eq!(words, ["sezary", "disease", "c84", "1", "charcot", "s"]);
    }

    #[test]
    fn query_keeps_a_last_word_being_typed_as_prefix() {
        let q = WordQuery::parse("Type 2 diab");
        assert_eq!(q.complete, ["2", "type"]);
        assert_eq!(q.prefix.as_deref(), Some("diab"));
        let q = WordQuery::parse("type 2 diabetes ");
        assert_eq!(q.complete, ["2", "diabetes", "type"]);
        assert_eq!(q.prefix, None);
        assert!(WordQuery::parse(" ,. ").is_empty());
    }

    #[test]
    fn every_word_must_match_the_last_may_be_a_prefix() {
        let docs = [
            "fracture of femur",
            "fracture of fibula",
            "femur pain",
            "fever",
            "fracture of radius",
            "fatigue",
            "fatty liver",
            "fracture of foot",
        ];
        let idx = index(&docs);
        assert_eq!(find(&idx, &docs, "fracture femur", 10), [0]);
        assert_eq!(find(&idx, &docs, "fracture of fi", 10), [1]);
        // The prefix may match a word the complete words matched already ("fracture").
        assert_eq!(find(&idx, &docs, "fracture f", 10), [0, 1, 4, 7]);
        assert_eq!(find(&idx, &docs, "f", 10), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(find(&idx, &docs, "f", 3), [0, 1, 2]);
        assert_eq!(find(&idx, &docs, "fe", 10), [0, 2, 3]);
        assert_eq!(find(&idx, &docs, "fracture ", 10), [0, 1, 4, 7]);
        assert_eq!(find(&idx, &docs, "fracture ", 2), [0, 1]);
        assert!(find(&idx, &docs, "fracture femurs", 10).is_empty());
        assert!(find(&idx, &docs, "elbow f", 10).is_empty());
        assert!(find(&idx, &docs, "fracture x", 10).is_empty());
    }

    #[test]
    fn a_complete_word_the_index_lacks_is_read_as_an_abbreviation() {
        let docs = ["fracture of femur", "fracture of fibula", "femur pain", "fracture of radius"];
        let idx = index(&docs);
        // Prefixes only: the rarest drives, the others are checked
        assert_eq!(find(&idx, &docs, "fract fem", 10), [0]);
        assert_eq!(find(&idx, &docs, "fem fract", 10), [0]);
        assert_eq!(find(&idx, &docs, "fract ", 10), [0, 1, 3]);
        // With an exact word as well
        assert_eq!(find(&idx, &docs, "pain fem", 10), [2]);
        assert_eq!(find(&idx, &docs, "of fract rad", 10), [3]);
        // A word no word starts with still finds nothing
        assert!(find(&idx, &docs, "fract zz", 10).is_empty());
    }

    #[test]
    fn documents_are_numbered_by_rank() {
        let docs = ["pain of the left knee", "knee pain", "pain"];
        // Fewer distinct words first.
        let (idx, by_rank) = WordIndex::build(docs.iter().map(|d| [*d]), |doc, words| (words, doc));
        assert_eq!(by_rank, [2, 1, 0]);
        let texts = |rank: u32| [docs[by_rank[rank as usize] as usize], ""];
        assert_eq!(idx.matches(&WordQuery::parse("pain "), 10, texts), [0, 1, 2]);
        assert_eq!(idx.matches(&WordQuery::parse("pain k"), 10, texts), [1, 2]);
        assert_eq!(idx.matches(&WordQuery::parse("pain k"), 1, texts), [1]);
    }

    #[test]
    fn the_bitset_and_the_rereading_agree() {
        // 1000 candidates for "rare" that fail the prefix, then one that passes: after 256
        // re-reads the few "f" postings are marked once.
        let mut docs = vec!["rare pain"; 1000];
        docs.push("rare fever");
        docs.push("fog");
        let idx = index(&docs);
        assert_eq!(find(&idx, &docs, "rare f", 10), [1000]);
        // The same with so many "f" postings that re-reading stays cheaper.
        docs.extend(std::iter::repeat_n("fatigue", 100_000));
        let idx = index(&docs);
        assert_eq!(find(&idx, &docs, "rare f", 10), [1000]);
    }
}
