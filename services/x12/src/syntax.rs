//! The syntax layer: delimiters from the ISA, segments and elements, and the ISA/GS/ST envelopes.
//!
//! Reading is zero-copy: a [`Segment`] borrows from the input. [`parse_interchanges`] walks the whole
//! input once to find the envelopes and check their counts and control numbers; each
//! [`TransactionSet`] then hands its body to a typed reader through [`TransactionSet::segments`].
//! [`parse_interchanges_with`] does both in one walk, handing the bodies to a [`BodyReader`] as it
//! goes.

use crate::error::{Finding, Position, Result, X12Error};
use crate::value;
use chrono::{NaiveDate, NaiveTime, Timelike};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// The most elements a segment may have. The longest 5010 segments in the guides we read have 21
/// (SV1, BPR); this leaves room for trailing separators without letting garbage run on.
pub const MAX_ELEMENTS: usize = 64;
const _: () = assert!(MAX_ELEMENTS.is_power_of_two(), "Segment::bounds takes indexes modulo MAX_ELEMENTS");
/// The longest segment we accept, in bytes. Real segments are under a few hundred bytes; a longer
/// one means a missing terminator or a file that is not X12.
pub const MAX_SEGMENT_LEN: usize = 16 * 1024;
/// The ISA segment is fixed-width: 106 characters including its terminator.
pub const ISA_LEN: usize = 106;

/// The four separators of an interchange, read from its ISA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delimiters {
    pub element: u8,
    pub component: u8,
    /// ISA11 in 5010; `None` where ISA11 is the 4010 standards identifier `U`.
    pub repetition: Option<u8>,
    pub segment: u8,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters { element: b'*', component: b':', repetition: Some(b'^'), segment: b'~' }
    }
}

impl Delimiters {
    fn check(&self) -> Result<()> {
        let mut all = vec![self.element, self.component, self.segment];
        all.extend(self.repetition);
        for (i, &d) in all.iter().enumerate() {
            if d.is_ascii_alphanumeric() || d == b' ' {
                return Err(X12Error::Isa(format!("delimiter {:?} is a letter, digit or space", d as char)));
            }
            if !d.is_ascii() {
                return Err(X12Error::Isa("a delimiter is not an ASCII character".into()));
            }
            if all[..i].contains(&d) {
                return Err(X12Error::Isa(format!("delimiter {:?} is used for two purposes", d as char)));
            }
        }
        Ok(())
    }

    /// True when `b` is one of the four separators.
    #[inline]
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition
    }
}

/// One segment, borrowed from the input. Elements are numbered from 1 as in the guides (`CLP01`).
#[derive(Clone, Copy)]
pub struct Segment<'a> {
    id: &'a str,
    /// The whole segment, id included, without its terminator.
    text: &'a str,
    /// Offsets in `text` of each element separator; element `i` starts after `seps[i - 1]`.
    ///
    /// Invariant, which [`Segment::slice`] relies on for soundness: the first `count` offsets are
    /// strictly increasing and less than `text.len()`, and each is the offset of an ASCII byte (the
    /// element separator; the constructors, `tokenize` and `Segments::walk`, check it is ASCII).
    seps: [u16; MAX_ELEMENTS],
    count: u8,
    component: u8,
    repetition: Option<u8>,
    pos: Position,
}

impl std::fmt::Debug for Segment<'_> {
    // Ids and position only: element values may be PHI.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Segment({} at {}, {} elements)", self.id, self.pos, self.count)
    }
}

impl<'a> Segment<'a> {
    /// The segment `text` (no terminator) whose id is `id`, the first `id.len()` bytes of `text`.
    fn tokenize(id: &'a str, text: &'a str, delims: &Delimiters, pos: Position) -> Result<Self> {
        // The invariant of `seps`: offsets of an ASCII byte, small enough for a u16.
        check_delimiters_ascii(delims, pos)?;
        if text.len() > MAX_SEGMENT_LEN {
            return Err(X12Error::Syntax { pos, msg: format!("segment is longer than {MAX_SEGMENT_LEN} bytes") });
        }
        let mut seps = [0u16; MAX_ELEMENTS];
        let mut count = 0usize;
        let body = text.as_bytes().get(id.len()..).unwrap_or_default();
        for at in memchr::memchr_iter(delims.element, body) {
            if count == MAX_ELEMENTS {
                return Err(X12Error::Syntax { pos, msg: format!("{id} has more than {MAX_ELEMENTS} elements") });
            }
            seps[count] = (id.len() + at) as u16;
            count += 1;
        }
        let seg = Segment {
            id,
            text,
            seps,
            count: count as u8,
            component: delims.component,
            repetition: delims.repetition,
            pos,
        };
        debug_assert!(seg.invariant_holds(delims.element));
        Ok(seg)
    }

    /// The invariant of `seps` (checked in debug builds, by the tests).
    fn invariant_holds(&self, element: u8) -> bool {
        let seps = self.seps.get(..self.count as usize).unwrap_or_default();
        seps.windows(2).all(|w| w[0] < w[1])
            && seps.iter().all(|&s| self.text.as_bytes().get(s as usize) == Some(&element))
            && element.is_ascii()
    }

    /// The segment identifier, e.g. `CLP`.
    #[inline]
    pub fn id(&self) -> &'a str {
        self.id
    }

    #[inline]
    pub fn position(&self) -> Position {
        self.pos
    }

    /// How many elements the segment carries (trailing empty ones included when written).
    #[inline]
    pub fn len(&self) -> usize {
        self.count as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Where element `i` (1-based) is in `text`, `None` when the segment has no such element.
    #[inline(always)]
    fn bounds(&self, i: usize) -> Option<(usize, usize)> {
        let count = self.count as usize;
        let j = i.wrapping_sub(1);
        if j >= count {
            return None;
        }
        // `j < i < count <= MAX_ELEMENTS` where they are used: the remainders change nothing, and
        // tell the compiler that no bounds check is needed.
        let start = self.seps[j % MAX_ELEMENTS] as usize + 1;
        let end = if i < count { self.seps[i % MAX_ELEMENTS] as usize } else { self.text.len() };
        Some((start, end))
    }

    /// Element `i` (1-based) as written, or `""` when absent.
    #[inline(always)]
    pub fn element(&self, i: usize) -> &'a str {
        match self.bounds(i) {
            Some((start, end)) => self.slice(start, end),
            None => "",
        }
    }

    /// Element `i` as bytes, or empty when absent: for values read as numbers, dates or codes.
    #[inline(always)]
    pub fn element_bytes(&self, i: usize) -> &'a [u8] {
        match self.bounds(i) {
            Some((start, end)) => self.slice(start, end).as_bytes(),
            None => &[],
        }
    }

    /// `text[start..end]` for the bounds of an element, without checking them again: the readers
    /// read every element this way, and the checks (that the range is in `text` and at character
    /// boundaries) would cost more than the rest of getting an element.
    #[inline(always)]
    fn slice(&self, start: usize, end: usize) -> &'a str {
        debug_assert!(start <= end && end <= self.text.len());
        debug_assert!(self.text.is_char_boundary(start) && self.text.is_char_boundary(end));
        // SAFETY: by the invariant of `seps` (see the field), `Segment::bounds` gives a range with
        // start <= end <= text.len() (each element ends at the next separator or at the end of
        // `text`, and starts just past a separator before that), whose ends are at, or just past,
        // an ASCII byte of `text` or at its end, which are character boundaries in UTF-8.
        unsafe { self.text.get_unchecked(start..end) }
    }

    /// Component `j` (1-based) of composite element `i`, or `""`.
    #[inline]
    pub fn component(&self, i: usize, j: usize) -> &'a str {
        self.components(i).nth(j.wrapping_sub(1)).unwrap_or("")
    }

    /// The components of element `i`.
    #[inline]
    pub fn components(&self, i: usize) -> impl Iterator<Item = &'a str> + 'a {
        let c = self.component as char;
        let el = self.element(i);
        let empty = el.is_empty();
        el.split(c).take(if empty { 0 } else { usize::MAX })
    }

    /// The repeats of element `i` (split on the repetition separator, when the interchange has one).
    pub fn repeats(&self, i: usize) -> Vec<&'a str> {
        let el = self.element(i);
        match self.repetition {
            Some(r) if !el.is_empty() => el.split(r as char).collect(),
            _ if el.is_empty() => vec![],
            _ => vec![el],
        }
    }

    fn name(&self, i: usize) -> String {
        format!("{}{:02}", self.id, i)
    }

    /// Element `i`, which must be present.
    pub fn required(&self, i: usize) -> Result<&'a str> {
        let v = self.element(i);
        if v.is_empty() {
            return Err(X12Error::element(self.pos, self.name(i), "is required but empty"));
        }
        Ok(v)
    }

    /// Element `i` or `None` when empty.
    #[inline]
    pub fn opt(&self, i: usize) -> Option<&'a str> {
        let v = self.element(i);
        (!v.is_empty()).then_some(v)
    }

    /// Element `i` as an owned string, `None` when empty.
    #[inline]
    pub fn opt_text(&self, i: usize) -> Option<CompactString> {
        self.opt(i).map(CompactString::from)
    }

    /// Element `i` as an owned string (empty when absent).
    #[inline]
    pub fn text(&self, i: usize) -> CompactString {
        CompactString::from(self.element(i))
    }

    /// Required monetary amount in cents.
    pub fn amount(&self, i: usize) -> Result<i64> {
        value::parse_cents(self.required(i)?).map_err(|m| X12Error::element(self.pos, self.name(i), m))
    }

    /// Optional monetary amount in cents.
    pub fn opt_amount(&self, i: usize) -> Result<Option<i64>> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => value::parse_cents(v).map(Some).map_err(|m| X12Error::element(self.pos, self.name(i), m)),
        }
    }

    /// Optional decimal quantity.
    pub fn opt_decimal(&self, i: usize) -> Result<Option<rust_decimal::Decimal>> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => value::parse_decimal(v).map(Some).map_err(|m| X12Error::element(self.pos, self.name(i), m)),
        }
    }

    /// Required CCYYMMDD date.
    pub fn date(&self, i: usize) -> Result<NaiveDate> {
        value::parse_date(self.required(i)?).map_err(|m| X12Error::element(self.pos, self.name(i), m))
    }

    /// Optional CCYYMMDD date.
    pub fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => value::parse_date(v).map(Some).map_err(|m| X12Error::element(self.pos, self.name(i), m)),
        }
    }

    /// An error about element `i` of this segment.
    pub fn error(&self, i: usize, msg: impl Into<String>) -> X12Error {
        X12Error::element(self.pos, self.name(i), msg)
    }
}

/// `text[start..end]` for offsets the tokenizer found, without checking again that they are at
/// character boundaries (which costs more than the rest of reading an element); `""` when the range
/// is not inside `text`.
///
/// Callers pass offsets that are 0, `text.len()`, or at or just past an ASCII byte of `text` (an
/// element separator, the segment terminator, skipped whitespace): in UTF-8 an ASCII byte is a
/// whole character, so these are character boundaries. Tests check it in debug builds.
#[inline(always)]
fn cut(text: &str, start: usize, end: usize) -> &str {
    debug_assert!(start > end || end > text.len() || (text.is_char_boundary(start) && text.is_char_boundary(end)));
    match text.as_bytes().get(start..end) {
        // SAFETY: `text` is UTF-8 and `start` and `end` are character boundaries of it (above), so
        // the bytes between them are UTF-8.
        Some(bytes) => unsafe { std::str::from_utf8_unchecked(bytes) },
        None => "",
    }
}

/// The element separator and segment terminator must be ASCII for the tokenizer's offsets to be at
/// character boundaries. [`Delimiters`] read from an ISA always are; this is for ones made by hand.
#[inline(always)]
fn check_delimiters_ascii(delims: &Delimiters, pos: Position) -> Result<()> {
    if delims.element.is_ascii() && delims.segment.is_ascii() {
        return Ok(());
    }
    Err(non_ascii_delimiters(pos))
}

#[cold]
#[inline(never)]
fn non_ascii_delimiters(pos: Position) -> X12Error {
    X12Error::Syntax { pos, msg: "the element separator and segment terminator must be ASCII characters".into() }
}

/// Tokenizes segments from a slice of an interchange.
#[derive(Clone)]
pub struct Segments<'a> {
    input: &'a str,
    at: usize,
    /// Offset of `input` in the whole file, for positions.
    base: usize,
    next_index: usize,
    delims: Delimiters,
}

impl<'a> Segments<'a> {
    pub fn new(input: &'a str, delims: Delimiters) -> Self {
        Segments { input, at: 0, base: 0, next_index: 1, delims }
    }

    fn with_base(input: &'a str, delims: Delimiters, base: usize, next_index: usize) -> Self {
        Segments { input, at: 0, base, next_index, delims }
    }

    /// Skips the segments of a transaction body up to the next envelope segment (SE, ST, GS, GE,
    /// ISA, IEA), counting them. The skipped segments are not checked here: the typed reader that
    /// reads the body tokenizes and checks every one of them.
    fn skip_to_envelope(&mut self) {
        let bytes = self.input.as_bytes();
        let (term, el) = (self.delims.segment, self.delims.element);
        loop {
            let mut s = self.at;
            while s < bytes.len() && matches!(bytes[s], b'\r' | b'\n' | b' ' | b'\t') {
                s += 1;
            }
            if s >= bytes.len() || is_envelope_id(&bytes[s..], el) {
                return;
            }
            match memchr::memchr(term, &bytes[s..]) {
                Some(n) => {
                    self.at = s + n + 1;
                    self.next_index += 1;
                }
                // No terminator: let next_raw report the truncation with its position.
                None => return,
            }
        }
    }

    /// Finds the next segment's id and text (id included) without splitting its elements.
    fn next_raw(&mut self) -> Option<Result<(&'a str, &'a str, Position)>> {
        let bytes = self.input.as_bytes();
        while self.at < bytes.len() && matches!(bytes[self.at], b'\r' | b'\n' | b' ' | b'\t') {
            self.at += 1;
        }
        if self.at >= bytes.len() {
            return None;
        }
        let start = self.at;
        let pos = Position { segment: self.next_index, offset: self.base + start };
        if let Err(e) = check_delimiters_ascii(&self.delims, pos) {
            self.at = bytes.len();
            return Some(Err(e));
        }
        let end = match memchr::memchr(self.delims.segment, &bytes[start..]) {
            Some(n) => start + n,
            None => {
                self.at = bytes.len();
                return Some(Err(X12Error::Truncated(format!("{pos}: the last segment has no segment terminator"))));
            }
        };
        self.at = end + 1;
        self.next_index += 1;
        let mut seg = &self.input[start..end];
        // A newline terminator is often written as CR LF.
        if self.delims.segment == b'\n' {
            seg = seg.strip_suffix('\r').unwrap_or(seg);
        }
        if seg.len() > MAX_SEGMENT_LEN {
            return Some(Err(X12Error::Syntax { pos, msg: format!("segment is longer than {MAX_SEGMENT_LEN} bytes") }));
        }
        let id_len = seg.as_bytes().iter().position(|&b| b == self.delims.element).unwrap_or(seg.len());
        let id = &seg[..id_len];
        if !is_segment_id(id) {
            return Some(Err(X12Error::Syntax {
                pos,
                msg: "bad segment identifier (expected 2 or 3 upper-case letters or digits)".into(),
            }));
        }
        Some(Ok((id, seg, pos)))
    }
}

/// The bits of two masks over a 64-byte block: bit `i` of the first is set where `block[i] == a`, of
/// the second where `block[i] == b`.
#[inline(always)]
fn block_masks(block: &[u8; 64], a: u8, b: u8) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: `sse2_masks` only needs SSE2, which this code is compiled for (the `cfg` above;
        // every x86_64 CPU has it). It reads nothing but `block`, through safe code.
        unsafe { sse2_masks(block, a, b) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        swar_masks(block, a, b)
    }
}

/// [`block_masks`] with SSE2: sixteen bytes compared at once, the results gathered by `pmovmskb`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
#[target_feature(enable = "sse2")]
fn sse2_masks(block: &[u8; 64], a: u8, b: u8) -> (u64, u64) {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let (va, vb) = (_mm_set1_epi8(a as i8), _mm_set1_epi8(b as i8));
    let (mut ma, mut mb) = (0u64, 0u64);
    for (k, part) in block.chunks_exact(16).enumerate() {
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(part.get(at..at + 8).unwrap_or(&[0; 8]));
            i64::from_le_bytes(w)
        };
        // Two 8-byte reads the compiler merges into one unaligned 16-byte load.
        let v: __m128i = _mm_set_epi64x(word(8), word(0));
        ma |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, va)) as u32 as u64) << (16 * k);
        mb |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, vb)) as u32 as u64) << (16 * k);
    }
    (ma, mb)
}

/// [`block_masks`] eight bytes at a time in a `u64`, for targets without SSE2.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn swar_masks(block: &[u8; 64], a: u8, b: u8) -> (u64, u64) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `x` that is zero (exact: no false positives from borrows).
    let zero_bytes = |x: u64| !(((x & !HI).wrapping_add(!HI)) | x) & HI;
    // The high bits of the eight bytes gathered into one byte (bit i from byte i).
    let gather = |x: u64| (x >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    let (ra, rb) = (LO * a as u64, LO * b as u64);
    let (mut ma, mut mb) = (0u64, 0u64);
    for (k, part) in block.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(part);
        let w = u64::from_le_bytes(w);
        ma |= gather(zero_bytes(w ^ ra)) << (8 * k);
        mb |= gather(zero_bytes(w ^ rb)) << (8 * k);
    }
    (ma, mb)
}

/// Finds element separators and segment terminators 64 bytes at a time: a block's bytes are compared
/// to both at once into two bit masks, which the segments of the block then read bit by bit.
struct BlockScanner {
    /// Offset of the block in the input.
    base: usize,
    /// The block's element separators and terminators at or after the scan position.
    elements: u64,
    terminators: u64,
    element: u8,
    terminator: u8,
}

impl BlockScanner {
    /// A scanner positioned at `at` in `bytes`.
    #[inline(always)]
    fn new(bytes: &[u8], at: usize, element: u8, terminator: u8) -> Self {
        let mut s = BlockScanner { base: 0, elements: 0, terminators: 0, element, terminator };
        s.load(bytes, at & !63);
        s
    }

    /// Loads the block that starts at `base` (the bytes past the end of `bytes` match nothing).
    #[inline(always)]
    fn load(&mut self, bytes: &[u8], base: usize) {
        self.base = base;
        let (e, t) = match bytes.get(base..base.saturating_add(64)).and_then(|b| <&[u8; 64]>::try_from(b).ok()) {
            Some(block) => block_masks(block, self.element, self.terminator),
            None => tail_masks(bytes.get(base..).unwrap_or_default(), self.element, self.terminator),
        };
        self.elements = e;
        self.terminators = t;
    }

    /// Scans the segment that starts at `start` (at or after where the last scan ended): returns
    /// how many element separators it has (their offsets from `start` go into `seps`, as far as
    /// there is room) and where its terminator is, `None` when the input ends first.
    #[inline(always)]
    fn scan(&mut self, bytes: &[u8], start: usize, seps: &mut [u16; MAX_ELEMENTS]) -> (usize, Option<usize>) {
        let off = start.wrapping_sub(self.base);
        if off >= 64 {
            self.load(bytes, start & !63);
        }
        // Drop what is before `start` (whitespace skipped between segments can include terminators).
        let keep = u64::MAX << (start - self.base);
        let mut elements = self.elements & keep;
        let mut terminators = self.terminators & keep;
        let mut count = 0usize;
        loop {
            if terminators != 0 {
                let t = terminators.trailing_zeros();
                let through = u64::MAX >> (63 - t);
                let mut here = elements & (through >> 1);
                while here != 0 {
                    if let Some(slot) = seps.get_mut(count) {
                        *slot = (self.base + here.trailing_zeros() as usize - start) as u16;
                    }
                    count += 1;
                    here &= here - 1;
                }
                self.elements = elements & !through;
                self.terminators = terminators & !through;
                return (count, Some(self.base + t as usize));
            }
            while elements != 0 {
                if let Some(slot) = seps.get_mut(count) {
                    *slot = (self.base + elements.trailing_zeros() as usize - start) as u16;
                }
                count += 1;
                elements &= elements - 1;
            }
            let next = self.base + 64;
            if next >= bytes.len() {
                return (count, None);
            }
            self.load(bytes, next);
            elements = self.elements;
            terminators = self.terminators;
        }
    }
}

/// [`block_masks`] of the last, short block of the input.
#[cold]
#[inline(never)]
fn tail_masks(rest: &[u8], a: u8, b: u8) -> (u64, u64) {
    let mut block = [0u8; 64];
    let n = rest.len().min(64);
    block[..n].copy_from_slice(&rest[..n]);
    let (ma, mb) = block_masks(&block, a, b);
    let real = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    (ma & real, mb & real)
}

impl<'a> Segments<'a> {
    /// Calls `f` with each remaining segment, stopping at the first error (of the input or of `f`).
    ///
    /// Gives the same segments, positions and errors as the iterator, faster: each segment is
    /// scanned once for its element separators and terminator, and built in place rather than
    /// returned by value.
    pub fn try_for_each_segment<F: FnMut(&Segment<'a>) -> Result<()>>(&mut self, f: F) -> Result<()> {
        self.walk::<false, F>(f)
    }

    /// [`Segments::try_for_each_segment`] that stops, without reading it, at the first segment that
    /// starts with an envelope id (what [`Segments::skip_to_envelope`] stops at).
    fn read_to_envelope<F: FnMut(&Segment<'a>) -> Result<()>>(&mut self, f: F) -> Result<()> {
        self.walk::<true, F>(f)
    }

    #[inline(always)]
    fn walk<const STOP_AT_ENVELOPE: bool, F: FnMut(&Segment<'a>) -> Result<()>>(&mut self, mut f: F) -> Result<()> {
        let delims = self.delims;
        let input = self.input;
        let bytes = input.as_bytes();
        let mut scanner = BlockScanner::new(bytes, self.at, delims.element, delims.segment);
        // With ASCII delimiters, `self.at` is always at a character boundary: it only ever moves
        // past whitespace or to just past a segment terminator.
        let ascii = delims.element.is_ascii() && delims.segment.is_ascii();
        let mut seg = Segment {
            id: "",
            text: "",
            seps: [0u16; MAX_ELEMENTS],
            count: 0,
            component: delims.component,
            repetition: delims.repetition,
            pos: Position { segment: 0, offset: 0 },
        };
        loop {
            while self.at < bytes.len() && matches!(bytes[self.at], b'\r' | b'\n' | b' ' | b'\t') {
                self.at += 1;
            }
            if self.at >= bytes.len() {
                return Ok(());
            }
            if STOP_AT_ENVELOPE && is_envelope_id(&bytes[self.at..], delims.element) {
                return Ok(());
            }
            let start = self.at;
            let pos = Position { segment: self.next_index, offset: self.base + start };
            if !ascii {
                self.at = bytes.len();
                return Err(non_ascii_delimiters(pos));
            }
            let (mut count, end) = scanner.scan(bytes, start, &mut seg.seps);
            let Some(end) = end else {
                self.at = bytes.len();
                return Err(X12Error::Truncated(format!("{pos}: the last segment has no segment terminator")));
            };
            self.at = end + 1;
            self.next_index += 1;
            // `start` is where `self.at` was, `end` the offset of the terminator: both are character
            // boundaries (see `cut`).
            let mut text = cut(input, start, end);
            if delims.segment == b'\n'
                && let Some(stripped) = text.strip_suffix('\r')
            {
                text = stripped;
                if delims.element == b'\r' {
                    // The CR taken off was counted as an element separator.
                    count = count.saturating_sub(1);
                }
            }
            if text.len() > MAX_SEGMENT_LEN {
                return Err(X12Error::Syntax { pos, msg: format!("segment is longer than {MAX_SEGMENT_LEN} bytes") });
            }
            // The id ends at the first element separator.
            let id_len = if count == 0 { text.len() } else { (seg.seps[0] as usize).min(text.len()) };
            // The first element separator, or the end.
            let id = cut(text, 0, id_len);
            if !is_segment_id(id) {
                return Err(X12Error::Syntax {
                    pos,
                    msg: "bad segment identifier (expected 2 or 3 upper-case letters or digits)".into(),
                });
            }
            if count > MAX_ELEMENTS {
                return Err(X12Error::Syntax { pos, msg: format!("{id} has more than {MAX_ELEMENTS} elements") });
            }
            seg.id = id;
            seg.text = text;
            seg.count = count as u8;
            seg.pos = pos;
            debug_assert!(seg.invariant_holds(delims.element));
            f(&seg)?;
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let delims = self.delims;
        self.next_raw().map(|r| r.and_then(|(id, text, pos)| Segment::tokenize(id, text, &delims, pos)))
    }
}

/// The bytes a segment id is made of: upper-case letters and digits.
static ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_uppercase() || (b as u8).is_ascii_digit();
        b += 1;
    }
    table
};

/// True when `id` is 2 or 3 upper-case letters or digits. Checked for every segment, so by table
/// and without short-circuit branches.
#[inline(always)]
fn is_segment_id(id: &str) -> bool {
    match *id.as_bytes() {
        [a, b] => ID_BYTES[a as usize] & ID_BYTES[b as usize],
        [a, b, c] => ID_BYTES[a as usize] & ID_BYTES[b as usize] & ID_BYTES[c as usize],
        _ => false,
    }
}

/// True when `b` starts with an envelope segment id followed by the element separator.
#[inline]
fn is_envelope_id(b: &[u8], el: u8) -> bool {
    match b {
        [b'S', b'E' | b'T', x, ..] | [b'G', b'S' | b'E', x, ..] => *x == el,
        [b'I', b'E', b'A', x, ..] | [b'I', b'S', b'A', x, ..] => *x == el,
        _ => false,
    }
}

/// Test (`T`) or production (`P`) data, ISA15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Usage {
    #[default]
    #[serde(rename = "T")]
    Test,
    #[serde(rename = "P")]
    Production,
}

/// The ISA header, with the fixed-width padding removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeHeader {
    pub authorization_qualifier: CompactString,
    pub authorization: CompactString,
    pub security_qualifier: CompactString,
    pub security: CompactString,
    pub sender_qualifier: CompactString,
    pub sender_id: CompactString,
    pub receiver_qualifier: CompactString,
    pub receiver_id: CompactString,
    pub date: NaiveDate,
    pub time: NaiveTime,
    pub version: CompactString,
    /// ISA13, nine digits.
    pub control_number: u32,
    pub ack_requested: bool,
    pub usage: Usage,
}

impl InterchangeHeader {
    /// A header with the usual qualifiers (`ZZ` mutually defined ids, no authorization or security).
    pub fn new(sender_id: &str, receiver_id: &str, control_number: u32, date: NaiveDate, time: NaiveTime) -> Self {
        InterchangeHeader {
            authorization_qualifier: "00".into(),
            authorization: "".into(),
            security_qualifier: "00".into(),
            security: "".into(),
            sender_qualifier: "ZZ".into(),
            sender_id: sender_id.into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: receiver_id.into(),
            date,
            time,
            version: "00501".into(),
            control_number,
            ack_requested: false,
            usage: Usage::Test,
        }
    }
}

/// The GS header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupHeader {
    /// GS01, e.g. `HC` for 837, `HP` for 835, `FA` for 999, `HN` for 277CA.
    pub functional_id: CompactString,
    pub sender_code: CompactString,
    pub receiver_code: CompactString,
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// GS06, 1 to 9 digits.
    pub control_number: u32,
    /// GS08, e.g. `005010X222A1`.
    pub version: CompactString,
}

/// A transaction set found in an interchange, not yet read by a typed reader.
#[derive(Debug, Clone)]
pub struct TransactionSet<'a> {
    /// ST01, e.g. `835`.
    pub id: &'a str,
    /// ST02.
    pub control_number: &'a str,
    /// ST03 (implementation convention reference), when present.
    pub implementation: Option<&'a str>,
    /// Position of the ST segment.
    pub position: Position,
    body: &'a str,
    body_offset: usize,
    first_body_index: usize,
    delims: Delimiters,
}

impl<'a> TransactionSet<'a> {
    /// The segments between ST and SE.
    pub fn segments(&self) -> Segments<'a> {
        Segments::with_base(self.body, self.delims, self.body_offset, self.first_body_index)
    }
}

#[derive(Debug, Clone)]
pub struct FunctionalGroup<'a> {
    pub header: GroupHeader,
    pub position: Position,
    pub transactions: Vec<TransactionSet<'a>>,
}

#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    pub header: InterchangeHeader,
    pub delimiters: Delimiters,
    pub position: Position,
    pub groups: Vec<FunctionalGroup<'a>>,
}

/// Every interchange in a file, and the findings about their envelopes.
#[derive(Debug, Clone)]
pub struct X12File<'a> {
    pub interchanges: Vec<Interchange<'a>>,
    pub findings: Vec<Finding>,
}

impl<'a> X12File<'a> {
    /// Every transaction set of the file, with the group it is in.
    pub fn transactions(&self) -> impl Iterator<Item = (&Interchange<'a>, &FunctionalGroup<'a>, &TransactionSet<'a>)> {
        self.interchanges
            .iter()
            .flat_map(|i| i.groups.iter().flat_map(move |g| g.transactions.iter().map(move |t| (i, g, t))))
    }
}

/// Reads the delimiters from the ISA at the start of `input`. Returns them, the ISA's length
/// (106 when fixed-width) and a warning when the ISA is not fixed-width but still readable.
fn read_isa_delimiters(input: &str, offset: usize) -> Result<(Delimiters, usize, Option<Finding>)> {
    let b = input.as_bytes();
    if !input.starts_with("ISA") {
        let shown: String = input.chars().take(3).filter(|c| c.is_ascii_graphic()).collect();
        return Err(X12Error::NotX12(format!("expected ISA at byte {offset}, found {shown:?}")));
    }
    if b.len() < 4 {
        return Err(X12Error::Truncated("the input ends inside the ISA segment".into()));
    }
    let element = b[3];
    if element.is_ascii_alphanumeric() || element.is_ascii_whitespace() {
        return Err(X12Error::Isa("the element separator after ISA is a letter, digit or space".into()));
    }
    // Fixed-width: separators at these offsets, ISA16 at 104, segment terminator at 105.
    const SEP_AT: [usize; 16] = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];
    if b.len() >= ISA_LEN && SEP_AT.iter().all(|&i| b[i] == element) {
        let component = b[104];
        let segment = b[105];
        let rep = b[82];
        let repetition = (rep != b'U').then_some(rep);
        let d = Delimiters { element, component, repetition, segment };
        d.check()?;
        return Ok((d, ISA_LEN, None));
    }
    // Not fixed-width. Some senders trim the padded ISA fields; read it by its separators if the
    // 16 elements are all there and ISA16 is one character followed by the terminator.
    let limit = b.len().min(ISA_LEN * 2);
    let seps: Vec<usize> = memchr::memchr_iter(element, &b[..limit]).take(16).collect();
    if seps.len() < 16 {
        if b.len() < ISA_LEN {
            return Err(X12Error::Truncated(format!(
                "the ISA segment needs {ISA_LEN} characters, the input has {}",
                b.len()
            )));
        }
        return Err(X12Error::Isa(format!("ISA has {} element separators where 16 are needed", seps.len())));
    }
    let isa16 = seps[15] + 1;
    if isa16 + 1 >= b.len() {
        return Err(X12Error::Truncated("the input ends inside the ISA segment".into()));
    }
    let component = b[isa16];
    let segment = b[isa16 + 1];
    if segment.is_ascii_alphanumeric() {
        return Err(X12Error::Isa("ISA16 is longer than one character; the ISA is malformed".into()));
    }
    let rep = b[seps[10] + 1];
    let repetition = (rep != b'U' && seps[11] == seps[10] + 2).then_some(rep);
    let d = Delimiters { element, component, repetition, segment };
    d.check()?;
    let len = isa16 + 2;
    let warn = Finding::warning(
        "envelope.isa_width",
        Some(Position { segment: 1, offset }),
        format!("ISA is {len} characters, not the fixed {ISA_LEN}: its fields are not padded to their fixed widths"),
    );
    Ok((d, len, Some(warn)))
}

fn parse_isa(seg: &Segment<'_>) -> Result<InterchangeHeader> {
    let t = |i: usize| CompactString::from(seg.element(i).trim_end());
    let date = value::parse_date6(seg.element(9)).map_err(|m| seg.error(9, m))?;
    let time = value::parse_time(seg.element(10)).map_err(|m| seg.error(10, m))?;
    let control_number = value::parse_control(seg.element(13), 9).map_err(|m| seg.error(13, m))?;
    let usage = match seg.element(15) {
        "P" => Usage::Production,
        "T" => Usage::Test,
        _ => return Err(seg.error(15, "must be P (production) or T (test)")),
    };
    Ok(InterchangeHeader {
        authorization_qualifier: t(1),
        authorization: t(2),
        security_qualifier: t(3),
        security: t(4),
        sender_qualifier: t(5),
        sender_id: t(6),
        receiver_qualifier: t(7),
        receiver_id: t(8),
        date,
        time,
        version: t(12),
        control_number,
        ack_requested: seg.element(14) == "1",
        usage,
    })
}

fn parse_gs(seg: &Segment<'_>, findings: &mut Vec<Finding>) -> Result<GroupHeader> {
    // A GS05 that is not a real time (seen in the wild: `102497`) does not make the group unreadable:
    // keep its HHMM when that part is valid (else midnight) and report it.
    let time = match value::parse_time(seg.required(5)?) {
        Ok(t) => t,
        Err(m) => {
            findings.push(Finding::error("envelope.gs_time", Some(seg.position()), format!("GS05 {m}")));
            seg.element(5).get(..4).and_then(|hhmm| value::parse_time(hhmm).ok()).unwrap_or(NaiveTime::MIN)
        }
    };
    Ok(GroupHeader {
        functional_id: seg.required(1)?.into(),
        sender_code: seg.element(2).into(),
        receiver_code: seg.element(3).into(),
        date: seg.date(4)?,
        time,
        control_number: value::parse_control(seg.required(6)?, 9).map_err(|m| seg.error(6, m))?,
        version: seg.element(8).into(),
    })
}

/// Reads every interchange in `input` and checks its envelopes: ISA/IEA, GS/GE and ST/SE pairing,
/// counts (IEA01, GE01, SE01) and control numbers (IEA02, GE02, SE02). Count and control-number
/// mismatches are findings; anything that leaves the structure unreadable is an error.
pub fn parse_interchanges(input: &[u8]) -> Result<X12File<'_>> {
    parse_interchanges_with(input, &mut SkipBodies)
}

/// A typed reader that is given the body segments of the transaction sets it wants while
/// [`parse_interchanges_with`] walks the envelopes, so that the file is scanned once instead of twice
/// (once for the envelopes, once more for each body).
pub trait BodyReader<'a> {
    /// Called at each ST with its ST01 and the interchange's delimiters; true to be given that
    /// transaction set's body.
    fn start(&mut self, id: &'a str, delims: &Delimiters) -> bool;
    /// The next segment of the body of a transaction set that [`BodyReader::start`] took.
    fn segment(&mut self, seg: &Segment<'a>) -> Result<()>;
    /// The SE of a transaction set that [`BodyReader::start`] took has been read.
    fn end(&mut self, ts: &TransactionSet<'a>) -> Result<()>;
}

/// The [`BodyReader`] of [`parse_interchanges`]: takes no body.
struct SkipBodies;

impl<'a> BodyReader<'a> for SkipBodies {
    fn start(&mut self, _: &'a str, _: &Delimiters) -> bool {
        false
    }
    fn segment(&mut self, _: &Segment<'a>) -> Result<()> {
        Ok(())
    }
    fn end(&mut self, _: &TransactionSet<'a>) -> Result<()> {
        Ok(())
    }
}

/// [`parse_interchanges`], giving `reader` the body segments of the transaction sets it takes, in
/// file order, as [`TransactionSet::segments`] would give them. The first error, of the envelopes,
/// of a body segment or of `reader`, stops the walk; so when a file has several errors, the one
/// returned can differ from the one of [`parse_interchanges`] followed by reading each body (which
/// reports envelope errors anywhere in the file first).
pub fn parse_interchanges_with<'a>(input: &'a [u8], reader: &mut impl BodyReader<'a>) -> Result<X12File<'a>> {
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            return Err(X12Error::Syntax {
                pos: Position { segment: 0, offset: e.valid_up_to() },
                msg: "byte is not text (X12 data must be ASCII)".into(),
            });
        }
    };
    let mut findings = Vec::new();
    let mut interchanges = Vec::new();
    // Skip a UTF-8 byte-order mark and leading blank lines.
    let mut at = text.strip_prefix('\u{feff}').map_or(0, |_| 3);
    let mut seg_index = 1usize;
    loop {
        while at < text.len() && text.as_bytes()[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= text.len() {
            break;
        }
        let (ic, next_at, next_index) = parse_one_interchange(text, at, seg_index, &mut findings, reader)?;
        interchanges.push(ic);
        at = next_at;
        seg_index = next_index;
    }
    if interchanges.is_empty() {
        return Err(X12Error::NotX12("the input is empty".into()));
    }
    Ok(X12File { interchanges, findings })
}

/// A transaction set whose SE has not been seen yet.
struct OpenSt<'a> {
    pos: Position,
    id: &'a str,
    control: &'a str,
    implementation: Option<&'a str>,
    /// Offset in the whole text of the first byte after ST, and the index of its first segment.
    body_start: usize,
    first_body: usize,
}

/// Reads one ISA..IEA starting at byte `start`; returns the interchange, where the next one
/// starts, and the next segment index.
fn parse_one_interchange<'a>(
    text: &'a str,
    start: usize,
    first_index: usize,
    findings: &mut Vec<Finding>,
    reader: &mut impl BodyReader<'a>,
) -> Result<(Interchange<'a>, usize, usize)> {
    let rest = &text[start..];
    let (delims, isa_len, warn) = read_isa_delimiters(rest, start)?;
    findings.extend(warn);
    let isa_pos = Position { segment: first_index, offset: start };
    let isa_seg = Segment::tokenize("ISA", &rest[..isa_len - 1], &delims, isa_pos)?;
    if isa_seg.len() != 16 {
        return Err(X12Error::Isa(format!("ISA has {} elements where 16 are needed", isa_seg.len())));
    }
    let header = parse_isa(&isa_seg)?;
    let isa13 = isa_seg.element(13);

    let mut segs = Segments::with_base(&rest[isa_len..], delims, start + isa_len, first_index + 1);
    let mut groups: Vec<FunctionalGroup<'a>> = Vec::new();
    let mut group: Option<(FunctionalGroup<'a>, &'a str)> = None;
    let mut open_st: Option<OpenSt<'a>> = None;
    // Whether `reader` takes the body of the open transaction set.
    let mut reading = false;
    loop {
        if open_st.is_some() {
            if reading {
                segs.read_to_envelope(|seg| reader.segment(seg))?;
            } else {
                segs.skip_to_envelope();
            }
        }
        let raw = match segs.next_raw() {
            None => {
                return Err(X12Error::Truncated(format!("interchange {isa13} at {isa_pos} has no IEA")));
            }
            Some(r) => r?,
        };
        let (id, seg_text, pos) = raw;
        if open_st.is_some() && id != "SE" {
            if matches!(id, "ST" | "GS" | "GE" | "ISA" | "IEA") {
                return Err(X12Error::Envelope { pos, msg: format!("{id} inside a transaction set that has no SE") });
            }
            continue;
        }
        let seg = Segment::tokenize(id, seg_text, &delims, pos)?;
        match id {
            "GS" => {
                if group.is_some() {
                    return Err(X12Error::Envelope { pos, msg: "GS inside a functional group that has no GE".into() });
                }
                let header = parse_gs(&seg, findings)?;
                group = Some((FunctionalGroup { header, position: pos, transactions: Vec::new() }, seg.element(6)));
            }
            "ST" => {
                if group.is_none() {
                    return Err(X12Error::Envelope {
                        pos,
                        msg: "ST outside a functional group (no GS before it)".into(),
                    });
                }
                let body_start = start + isa_len + segs.at;
                let id = seg.required(1)?;
                open_st = Some(OpenSt {
                    pos,
                    id,
                    control: seg.required(2)?,
                    implementation: seg.opt(3),
                    body_start,
                    first_body: pos.segment + 1,
                });
                reading = reader.start(id, &delims);
            }
            "SE" => {
                let Some(OpenSt {
                    pos: st_pos,
                    id: st_id,
                    control: st02,
                    implementation: st03,
                    body_start,
                    first_body,
                }) = open_st.take()
                else {
                    return Err(X12Error::Envelope { pos, msg: "SE without an ST".into() });
                };
                let counted = pos.segment - st_pos.segment + 1;
                match seg.element(1).parse::<usize>() {
                    Ok(n) if n == counted => {}
                    Ok(n) => findings.push(Finding::error(
                        "envelope.se_count",
                        Some(pos),
                        format!("SE01 says {n} segments, transaction set {st02} has {counted}"),
                    )),
                    Err(_) => findings.push(Finding::error("envelope.se_count", Some(pos), "SE01 is not a number")),
                }
                if seg.element(2) != st02 {
                    findings.push(Finding::error(
                        "envelope.se_control",
                        Some(pos),
                        format!("SE02 does not match ST02 of the transaction set at {st_pos}"),
                    ));
                }
                let body_end = pos.offset;
                let ts = TransactionSet {
                    id: st_id,
                    control_number: st02,
                    implementation: st03,
                    position: st_pos,
                    body: &text[body_start..body_end],
                    body_offset: body_start,
                    first_body_index: first_body,
                    delims,
                };
                if reading {
                    reading = false;
                    reader.end(&ts)?;
                }
                group.as_mut().expect("ST checked a group is open").0.transactions.push(ts);
            }
            "GE" => {
                let Some((g, gs06)) = group.take() else {
                    return Err(X12Error::Envelope { pos, msg: "GE without a GS".into() });
                };
                let n = g.transactions.len();
                if seg.element(1).parse::<usize>().ok() != Some(n) {
                    findings.push(Finding::error(
                        "envelope.ge_count",
                        Some(pos),
                        format!("GE01 does not match the {n} transaction sets in the group"),
                    ));
                }
                if seg.element(2) != gs06 {
                    findings.push(Finding::error("envelope.ge_control", Some(pos), "GE02 does not match GS06"));
                }
                groups.push(g);
            }
            "IEA" => {
                if group.is_some() {
                    return Err(X12Error::Envelope { pos, msg: "IEA before the open functional group's GE".into() });
                }
                if seg.element(1).parse::<usize>().ok() != Some(groups.len()) {
                    findings.push(Finding::error(
                        "envelope.iea_count",
                        Some(pos),
                        format!("IEA01 does not match the {} functional groups", groups.len()),
                    ));
                }
                if seg.element(2) != isa13 {
                    findings.push(Finding::error("envelope.iea_control", Some(pos), "IEA02 does not match ISA13"));
                }
                let next_at = start + isa_len + segs.at;
                let ic = Interchange { header, delimiters: delims, position: isa_pos, groups };
                return Ok((ic, next_at, segs.next_index));
            }
            "ISA" => return Err(X12Error::Envelope { pos, msg: "ISA inside an interchange that has no IEA".into() }),
            "TA1" => {}
            _ => {
                return Err(X12Error::Envelope { pos, msg: format!("{id} outside a transaction set") });
            }
        }
    }
}

/// Builds X12 text: segments with trailing empty elements removed, and every value checked for
/// characters that cannot be sent (the delimiters themselves, control characters, non-ASCII).
pub struct Writer {
    out: String,
    delims: Delimiters,
    /// Length of `out` after the last non-empty element of the open segment.
    keep: usize,
    /// Length of `out` after the last non-empty component of the open composite.
    comp_keep: usize,
    segments: usize,
    error: Option<X12Error>,
}

impl Writer {
    pub fn new(delims: Delimiters) -> Self {
        Writer::with_capacity(delims, 4096)
    }

    pub fn with_capacity(delims: Delimiters, cap: usize) -> Self {
        Writer { out: String::with_capacity(cap), delims, keep: 0, comp_keep: 0, segments: 0, error: None }
    }

    pub fn delimiters(&self) -> Delimiters {
        self.delims
    }

    /// Segments written since the last [`Writer::reset_count`].
    pub fn count(&self) -> usize {
        self.segments
    }

    pub fn reset_count(&mut self) {
        self.segments = 0;
    }

    /// Starts a segment. Finish it with [`Writer::end`].
    #[inline]
    pub fn seg(&mut self, id: &str) -> &mut Self {
        self.out.push_str(id);
        self.keep = self.out.len();
        self
    }

    fn check(&mut self, v: &str, field: &str) -> bool {
        let d = self.delims;
        for b in v.bytes() {
            if d.is_delimiter(b) || !(0x20..0x7f).contains(&b) {
                if self.error.is_none() {
                    let what = if d.is_delimiter(b) {
                        format!("contains {:?}, which is a delimiter of this interchange", b as char)
                    } else {
                        "contains a character outside the X12 character set (control or non-ASCII)".to_string()
                    };
                    self.error = Some(X12Error::Write { field: field.to_string(), msg: what });
                }
                return false;
            }
        }
        true
    }

    /// Appends a simple element.
    #[inline]
    pub fn el(&mut self, v: &str) -> &mut Self {
        self.out.push(self.delims.element as char);
        if !v.is_empty() && self.check(v, "element") {
            self.out.push_str(v);
            self.keep = self.out.len();
        }
        self
    }

    /// Appends an element, naming the model field in any error.
    #[inline]
    pub fn field(&mut self, v: &str, field: &str) -> &mut Self {
        self.out.push(self.delims.element as char);
        if !v.is_empty() && self.check(v, field) {
            self.out.push_str(v);
            self.keep = self.out.len();
        }
        self
    }

    #[inline]
    pub fn opt(&mut self, v: Option<&str>) -> &mut Self {
        self.el(v.unwrap_or(""))
    }

    /// Appends empty elements (placeholders for unused positions).
    #[inline]
    pub fn skip(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.out.push(self.delims.element as char);
        }
        self
    }

    /// Appends an amount in cents as an X12 decimal (`12.5`, `100`, `-3.05`).
    #[inline]
    pub fn amount(&mut self, cents: i64) -> &mut Self {
        self.out.push(self.delims.element as char);
        value::write_cents(&mut self.out, cents);
        self.keep = self.out.len();
        self
    }

    #[inline]
    pub fn opt_amount(&mut self, cents: Option<i64>) -> &mut Self {
        match cents {
            Some(c) => self.amount(c),
            None => self.el(""),
        }
    }

    /// Appends a decimal quantity.
    pub fn decimal(&mut self, d: rust_decimal::Decimal) -> &mut Self {
        use std::fmt::Write as _;
        self.out.push(self.delims.element as char);
        let _ = write!(self.out, "{}", d.normalize());
        self.keep = self.out.len();
        self
    }

    /// Appends a CCYYMMDD date.
    #[inline]
    pub fn date(&mut self, d: NaiveDate) -> &mut Self {
        self.out.push(self.delims.element as char);
        value::write_date(&mut self.out, d);
        self.keep = self.out.len();
        self
    }

    /// Appends a composite element; empty trailing components are dropped.
    pub fn composite(&mut self, parts: &[&str]) -> &mut Self {
        self.out.push(self.delims.element as char);
        self.comp_keep = self.out.len();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                self.out.push(self.delims.component as char);
            }
            if !p.is_empty() && self.check(p, "component") {
                self.out.push_str(p);
                self.comp_keep = self.out.len();
            }
        }
        self.out.truncate(self.comp_keep);
        if self.out.as_bytes().last() != Some(&self.delims.element) {
            self.keep = self.out.len();
        }
        self
    }

    /// Ends the open segment, dropping trailing empty elements.
    #[inline]
    pub fn end(&mut self) {
        self.out.truncate(self.keep);
        self.out.push(self.delims.segment as char);
        self.segments += 1;
    }

    /// Appends a line break between segments (readable files; not counted as data).
    pub fn newline(&mut self) {
        self.out.push('\n');
    }

    /// Writes the fixed-width ISA segment.
    pub fn isa(&mut self, h: &InterchangeHeader) -> Result<()> {
        use std::fmt::Write as _;
        let e = self.delims.element as char;
        let pad = |v: &str, w: usize, name: &str| -> Result<String> {
            if v.len() > w {
                return Err(X12Error::Write { field: name.into(), msg: format!("is longer than its {w} characters") });
            }
            Ok(format!("{v:<w$}"))
        };
        let fields = [
            pad(&h.authorization_qualifier, 2, "ISA01")?,
            pad(&h.authorization, 10, "ISA02")?,
            pad(&h.security_qualifier, 2, "ISA03")?,
            pad(&h.security, 10, "ISA04")?,
            pad(&h.sender_qualifier, 2, "ISA05")?,
            pad(&h.sender_id, 15, "ISA06")?,
            pad(&h.receiver_qualifier, 2, "ISA07")?,
            pad(&h.receiver_id, 15, "ISA08")?,
        ];
        for (i, f) in fields.iter().enumerate() {
            if !self.check(f, &format!("ISA{:02}", i + 1)) {
                return Err(self.error.take().expect("check sets the error"));
            }
        }
        if h.control_number > 999_999_999 {
            return Err(X12Error::Write { field: "ISA13".into(), msg: "is more than nine digits".into() });
        }
        self.out.push_str("ISA");
        for f in &fields {
            self.out.push(e);
            self.out.push_str(f);
        }
        let _ = write!(self.out, "{e}{}{e}{}", h.date.format("%y%m%d"), h.time.format("%H%M"));
        let rep = self.delims.repetition.map_or('U', |r| r as char);
        let _ = write!(
            self.out,
            "{e}{rep}{e}{:<5}{e}{:09}{e}{}{e}{}{e}{}",
            h.version,
            h.control_number,
            if h.ack_requested { '1' } else { '0' },
            match h.usage {
                Usage::Production => 'P',
                Usage::Test => 'T',
            },
            self.delims.component as char
        );
        self.out.push(self.delims.segment as char);
        self.segments += 1;
        Ok(())
    }

    pub fn gs(&mut self, g: &GroupHeader) -> &mut Self {
        let ctl = g.control_number.to_string();
        self.seg("GS")
            .field(&g.functional_id, "GS01")
            .field(&g.sender_code, "GS02")
            .field(&g.receiver_code, "GS03")
            .date(g.date);
        // HHMM, or HHMMSS when the time has seconds, so a header read from a file is written back unchanged.
        let time = if g.time.second() == 0 { g.time.format("%H%M") } else { g.time.format("%H%M%S") };
        self.el(&time.to_string()).el(&ctl).el("X").field(&g.version, "GS08").end();
        self
    }

    /// Writes the GE trailer of a group holding `transactions` transaction sets.
    pub fn ge(&mut self, transactions: usize, g: &GroupHeader) -> &mut Self {
        self.seg("GE").el(&transactions.to_string()).el(&g.control_number.to_string()).end();
        self
    }

    /// Writes the IEA trailer of an interchange holding `groups` functional groups.
    pub fn iea(&mut self, groups: usize, h: &InterchangeHeader) -> &mut Self {
        self.seg("IEA").el(&groups.to_string()).el(&format!("{:09}", h.control_number)).end();
        self
    }

    /// The text so far, or the first error a value caused.
    pub fn finish(self) -> Result<String> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }

    /// The first error a value caused so far, leaving the writer usable.
    pub fn take_error(&mut self) -> Option<X12Error> {
        self.error.take()
    }

    pub fn as_str(&self) -> &str {
        &self.out
    }
}

/// Makes free text (names, addresses, notes) safe to send: letters with accents become their
/// base letter (`Núñez` -> `Nunez`), delimiters and other characters X12 cannot carry become
/// spaces, runs of spaces fold to one, and the ends are trimmed. X12 has no escape sequence, so
/// callers clean text before it goes in the claim model; the writer refuses what is not clean.
pub fn clean_text(v: &str, delims: &Delimiters) -> CompactString {
    let mut out = CompactString::with_capacity(v.len());
    let mut space = true;
    for ch in v.chars() {
        let c = match ch {
            'À'..='Å' => 'A',
            'à'..='å' => 'a',
            'Ç' => 'C',
            'ç' => 'c',
            'È'..='Ë' => 'E',
            'è'..='ë' => 'e',
            'Ì'..='Ï' => 'I',
            'ì'..='ï' => 'i',
            'Ñ' => 'N',
            'ñ' => 'n',
            'Ò'..='Ö' | 'Ø' => 'O',
            'ò'..='ö' | 'ø' => 'o',
            'Ù'..='Ü' => 'U',
            'ù'..='ü' => 'u',
            'Ý' => 'Y',
            'ý' | 'ÿ' => 'y',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{2013}' | '\u{2014}' => '-',
            c if c.is_ascii() && !c.is_ascii_control() && !delims.is_delimiter(c as u8) => c,
            _ => ' ',
        };
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1230*^*00501*000000007*0*T*:~\
GS*HC*S*R*20240102*1230*7*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019*00*1*20240102*1230*CH~SE*3*0001~GE*1*7~IEA*1*000000007~";

    #[test]
    fn reads_delimiters_and_envelopes() {
        let f = parse_interchanges(SMALL.as_bytes()).unwrap();
        assert!(f.findings.is_empty(), "{:?}", f.findings);
        let ic = &f.interchanges[0];
        assert_eq!(ic.delimiters, Delimiters::default());
        assert_eq!(ic.header.control_number, 7);
        assert_eq!(ic.header.sender_id, "SENDER");
        let ts = &ic.groups[0].transactions[0];
        assert_eq!((ts.id, ts.control_number, ts.implementation), ("837", "0001", Some("005010X222A1")));
        let segs: Vec<_> = ts.segments().collect::<Result<_>>().unwrap();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].id(), "BHT");
        assert_eq!(segs[0].element(3), "1");
        assert_eq!(segs[0].position().segment, 4);
    }

    #[test]
    fn line_breaks_between_segments_are_allowed() {
        let with_breaks = SMALL.replace('~', "~\r\n");
        let f = parse_interchanges(with_breaks.as_bytes()).unwrap();
        assert!(f.findings.is_empty());
        assert_eq!(f.interchanges[0].groups[0].transactions.len(), 1);
    }

    #[test]
    fn count_mismatch_is_a_finding() {
        let bad = SMALL.replace("SE*3*0001", "SE*4*0001").replace("GE*1*7", "GE*2*7");
        let f = parse_interchanges(bad.as_bytes()).unwrap();
        let codes: Vec<_> = f.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, ["envelope.se_count", "envelope.ge_count"]);
    }

    #[test]
    fn truncated_input_is_an_error() {
        let cut = &SMALL[..SMALL.len() - 30];
        let e = parse_interchanges(cut.as_bytes()).unwrap_err();
        assert!(matches!(e, X12Error::Truncated(_)), "{e}");
        let e = parse_interchanges(&SMALL.as_bytes()[..50]).unwrap_err();
        assert!(matches!(e, X12Error::Truncated(_) | X12Error::Isa(_)), "{e}");
    }

    #[test]
    fn writer_drops_trailing_empties_and_rejects_delimiters() {
        let mut w = Writer::new(Delimiters::default());
        w.seg("NM1").el("IL").el("1").el("DOE").el("").el("").end();
        w.seg("SV1").composite(&["HC", "99213", "", ""]).amount(12550).el("UN").end();
        assert_eq!(w.as_str(), "NM1*IL*1*DOE~SV1*HC:99213*125.5*UN~");
        w.seg("N3").field("12 MAIN ST*APT 4", "address").end();
        let e = w.finish().unwrap_err();
        assert!(e.to_string().contains("address"), "{e}");
    }

    /// The masks of a block, byte by byte.
    fn naive_masks(block: &[u8; 64], a: u8, b: u8) -> (u64, u64) {
        let bits = |c: u8| block.iter().enumerate().filter(|&(_, &x)| x == c).fold(0u64, |m, (i, _)| m | 1 << i);
        (bits(a), bits(b))
    }

    #[test]
    fn block_masks_find_every_byte() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..2_000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                // Mostly a few byte values, so that both masks have bits; sometimes any byte.
                let r = next();
                *b = if round % 4 == 0 { r as u8 } else { [b'*', b'~', b'A', 0x80, 0xff, 0][(r % 6) as usize] };
            }
            for (a, b) in [(b'*', b'~'), (0x80, 0xff), (0, b'A'), (b'~', b'*')] {
                let want = naive_masks(&block, a, b);
                assert_eq!(block_masks(&block, a, b), want);
                assert_eq!(swar_masks(&block, a, b), want);
            }
        }
        let rest = b"AB*CD~EF";
        assert_eq!(tail_masks(rest, b'*', b'~'), (1 << 2, 1 << 5));
        assert_eq!(tail_masks(&[], b'*', b'~'), (0, 0));
    }

    #[test]
    fn segments_across_blocks_and_long_runs_of_separators() {
        // Segments of every length from 1 to 200, so that they start and end at every offset of a block.
        let mut text = String::new();
        for n in 1..200 {
            text.push_str("AB");
            for k in 0..n {
                text.push(if k % 3 == 0 { '*' } else { 'x' });
            }
            text.push('~');
        }
        let mut n = 0;
        let mut segs = Segments::new(&text, Delimiters::default());
        segs.try_for_each_segment(|seg| {
            n += 1;
            let want: Vec<&str> = seg.text.split('*').skip(1).collect();
            let got: Vec<&str> = (1..=seg.len()).map(|i| seg.element(i)).collect();
            assert_eq!(got, want, "segment {n}");
            Ok(())
        })
        .unwrap_or_else(|e| assert!(e.to_string().contains("more than 64 elements"), "{e}"));
        assert!(n > 150, "{n}");
    }

    #[test]
    fn delimiters_that_are_not_ascii_are_an_error_not_a_panic() {
        let text = "AB\u{e9}1\u{e9}~CD\u{e9}2~";
        for (element, segment) in [(0xc3, b'~'), (0xa9, b'~'), (b'*', 0xc3), (b'*', 0xa9)] {
            let d = Delimiters { element, component: b':', repetition: None, segment };
            let e = Segments::new(text, d).next().expect("a segment").unwrap_err();
            assert!(e.to_string().contains("ASCII"), "{e}");
            let e = Segments::new(text, d).try_for_each_segment(|_| Ok(())).unwrap_err();
            assert!(e.to_string().contains("ASCII"), "{e}");
        }
    }

    #[test]
    fn clean_text_keeps_what_x12_can_carry() {
        let d = Delimiters::default();
        assert_eq!(clean_text("  O\u{2019}Brien-Núñez*Jr ", &d), "O'Brien-Nunez Jr");
        assert_eq!(clean_text("12 Main St. #4~Apt:B^C", &d), "12 Main St. #4 Apt B C");
        assert_eq!(clean_text("Smith & Sons, LLC", &d), "Smith & Sons, LLC");
    }
}
