//! The 835 reader: the segments of each 835 body are read, dispatching on the segment id and the loop
//! it is in, while [`parse_interchanges_with`] walks the envelopes; a file that does not read that
//! way is read again in two passes (envelopes first, as [`parse_interchanges`] gives them, then each
//! body), which decides the error.

use super::balance;
use super::model::*;
use crate::error::{Finding, Position, Result, X12Error};
use crate::syntax::{
    BodyReader, Delimiters, Segment, TransactionSet, X12File, parse_interchanges, parse_interchanges_with,
};
use crate::value;
use compact_str::CompactString as Str;
use rust_decimal::Decimal;

/// GS08 of the 835 this reader is written for.
pub const IMPLEMENTATION: &str = "005010X221A1";

/// Finding codes (besides the `balance.*` codes of [`super::balance`]).
pub mod codes {
    /// A transaction set that is not an 835 was skipped.
    pub const OTHER_TRANSACTION: &str = "x835.other_transaction";
    /// GS08 is not 005010X221A1; the group was read as 005010X221A1 anyway.
    pub const VERSION: &str = "x835.version";
    /// A segment that has no place where it was found; it was skipped.
    pub const UNEXPECTED_SEGMENT: &str = "x835.unexpected_segment";
    /// An element the guide marks "not used" had a value, which the model does not keep.
    pub const UNUSED_ELEMENT: &str = "x835.unused_element";
    /// BPR16 is missing or not a date.
    pub const PAYMENT_DATE: &str = "x835.payment_date";
    /// A CLP came before any LX; its claims were put in a group numbered 0.
    pub const CLAIM_WITHOUT_LX: &str = "x835.claim_without_lx";
}

/// Reads every 835 transaction set in `input`.
///
/// Transaction sets that are not 835s are skipped with an [`codes::OTHER_TRANSACTION`] warning; a file
/// with no 835 at all is a [`X12Error::WrongTransaction`]. Envelope findings, warnings about skipped
/// segments and balancing errors (`balance.transaction`, `balance.claim`, `balance.line`) are in
/// [`Document835::findings`]. A missing BPR, TRN, N1*PR or N1*PE, a required element that is empty
/// or a value that cannot be read as its type stops reading with an error that gives the position.
pub fn parse_835(input: &[u8]) -> Result<Document835> {
    // One pass over the file when it reads cleanly; when it does not, the two-pass reading decides
    // the error, so that envelope errors anywhere in the file come before errors in a body.
    read_in_one_pass(input).or_else(|_| read_in_two_passes(input))
}

/// [`parse_835`] in one pass: the 835 bodies are read while the envelopes are walked.
pub(super) fn read_in_one_pass(input: &[u8]) -> Result<Document835> {
    let mut bodies = Bodies { dates: DateCache::for_input(input.len()), ..Bodies::default() };
    let file = parse_interchanges_with(input, &mut bodies)?;
    let mut read = bodies.read.into_iter();
    assemble(file, |_, (interchange, group), _, findings| {
        let (mut remittance, body_findings) = read.next().ok_or_else(|| X12Error::Envelope {
            pos: Position { segment: 0, offset: 0 },
            msg: "an 835 body was not read".into(),
        })?;
        remittance.interchange_control_number = interchange;
        remittance.group_control_number = group;
        findings.extend(body_findings);
        Ok(remittance)
    })
}

/// [`parse_835`] in two passes: the envelopes of the whole file, then each 835 body.
pub(super) fn read_in_two_passes(input: &[u8]) -> Result<Document835> {
    let file = parse_interchanges(input)?;
    assemble(file, |ts, control, component, findings| {
        let mut r = Reader::new(component, DateCache::for_input(0));
        ts.segments().try_for_each_segment(|seg| r.segment(seg))?;
        let (remittance, body_findings) = r.finish(ts, control)?;
        findings.extend(body_findings);
        Ok(remittance)
    })
}

/// The [`BodyReader`] of [`read_in_one_pass`]: reads each 835 body as the envelope walk gives it.
#[derive(Default)]
struct Bodies {
    open: Option<Reader>,
    /// The 835s read, in file order, with their findings.
    read: Vec<(Remittance, Vec<Finding>)>,
    /// Lent to the open reader: the dates of one 835 are the dates of the next.
    dates: DateCache,
}

impl<'a> BodyReader<'a> for Bodies {
    fn start(&mut self, id: &'a str, delims: &Delimiters) -> bool {
        let is_835 = id == "835";
        if let Some(mut r) = self.open.take() {
            self.dates = std::mem::take(&mut r.dates);
        }
        self.open = is_835.then(|| Reader::new(delims.component, std::mem::take(&mut self.dates)));
        is_835
    }

    fn segment(&mut self, seg: &Segment<'a>) -> Result<()> {
        match self.open.as_mut() {
            Some(r) => r.segment(seg),
            None => Ok(()),
        }
    }

    fn end(&mut self, ts: &TransactionSet<'a>) -> Result<()> {
        if let Some(mut r) = self.open.take() {
            self.dates = std::mem::take(&mut r.dates);
            // The control numbers are filled in by `read_in_one_pass`.
            self.read.push(r.finish(ts, (0, 0))?);
        }
        Ok(())
    }
}

/// The document of a file whose envelopes are read: `read` reads the 835 transaction set it is given
/// (with ISA13 and GS06, the component separator, and the findings to add to).
fn assemble(
    file: X12File<'_>,
    mut read: impl FnMut(&TransactionSet<'_>, (u32, u32), u8, &mut Vec<Finding>) -> Result<Remittance>,
) -> Result<Document835> {
    let mut findings = file.findings;
    let mut remittances = Vec::new();
    let mut first_other: Option<Position> = None;
    for ic in &file.interchanges {
        for g in &ic.groups {
            let has_835 = g.transactions.iter().any(|t| t.id == "835");
            if has_835 && g.header.version != IMPLEMENTATION {
                findings.push(Finding::warning(
                    codes::VERSION,
                    Some(g.position),
                    format!("GS08 is not {IMPLEMENTATION}; the group was read as {IMPLEMENTATION}"),
                ));
            }
            for ts in &g.transactions {
                if ts.id != "835" {
                    first_other.get_or_insert(ts.position);
                    findings.push(Finding::warning(
                        codes::OTHER_TRANSACTION,
                        Some(ts.position),
                        "transaction set is not an 835 (ST01); skipped",
                    ));
                    continue;
                }
                let control = (ic.header.control_number, g.header.control_number);
                remittances.push(read(ts, control, ic.delimiters.component, &mut findings)?);
            }
        }
    }
    if remittances.is_empty() {
        let pos = first_other
            .or_else(|| file.interchanges.first().map(|i| i.position))
            .unwrap_or(Position { segment: 1, offset: 0 });
        return Err(X12Error::WrongTransaction { pos, msg: "the file has no 835 transaction set".into() });
    }
    Ok(Document835 { remittances, findings })
}

/// Segment ids as integers: the reader dispatches on every segment, and one integer match is
/// cheaper than a chain of string comparisons.
mod id {
    /// The id's bytes in a u32 (ids are 2 or 3 bytes; anything else is 0, which no id has).
    #[inline(always)]
    pub const fn key(id: &str) -> u32 {
        match *id.as_bytes() {
            [a, b] => a as u32 | (b as u32) << 8,
            [a, b, c] => a as u32 | (b as u32) << 8 | (c as u32) << 16,
            _ => 0,
        }
    }

    pub const DTM: u32 = key("DTM");
    pub const CAS: u32 = key("CAS");
    pub const REF: u32 = key("REF");
    pub const AMT: u32 = key("AMT");
    pub const QTY: u32 = key("QTY");
    pub const LQ: u32 = key("LQ");
    pub const SVC: u32 = key("SVC");
    pub const CLP: u32 = key("CLP");
    pub const NM1: u32 = key("NM1");
    pub const MIA: u32 = key("MIA");
    pub const MOA: u32 = key("MOA");
    pub const PER: u32 = key("PER");
    pub const LX: u32 = key("LX");
    pub const TS3: u32 = key("TS3");
    pub const TS2: u32 = key("TS2");
    pub const PLB: u32 = key("PLB");
    pub const BPR: u32 = key("BPR");
    pub const TRN: u32 = key("TRN");
    pub const CUR: u32 = key("CUR");
    pub const N1: u32 = key("N1");
    pub const RDM: u32 = key("RDM");
    pub const N3: u32 = key("N3");
    pub const N4: u32 = key("N4");
}

/// Where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loop {
    Header,
    Payer,
    Payee,
    /// An N1 for an entity other than PR or PE: its N3/N4/REF/PER are skipped.
    OtherParty,
    /// After LX, before the first CLP.
    Group,
    Claim,
    Line,
    Footer,
}

impl Loop {
    fn describe(self) -> &'static str {
        match self {
            Loop::Header => "in the 835 header",
            Loop::Payer => "in loop 1000A (payer)",
            Loop::Payee => "in loop 1000B (payee)",
            Loop::OtherParty => "in an N1 loop that is skipped",
            Loop::Group => "in loop 2000 (LX)",
            Loop::Claim => "in loop 2100 (claim)",
            Loop::Line => "in loop 2110 (service line)",
            Loop::Footer => "after PLB",
        }
    }
}

/// Moves the items of a scratch list into a new Vec of exactly their number (the scratch list keeps
/// its capacity for the next claim or line). Short lists are most of the model: growing them from
/// capacity 4 would make the model several times larger than it needs to be.
#[inline]
fn exact<T>(scratch: &mut Vec<T>) -> Vec<T> {
    if scratch.is_empty() {
        return Vec::new();
    }
    let mut v = Vec::with_capacity(scratch.len());
    v.append(scratch);
    v
}

/// [`exact`] into `list`, a list of the claim or line just read (still `Vec::new()`), when there
/// is something to move: assigning an empty Vec would only cost a call to drop the one it replaces.
#[inline(always)]
fn move_list<T>(scratch: &mut Vec<T>, list: &mut Vec<T>) {
    if !scratch.is_empty() {
        // `list` is a `Vec::new()`, which has nothing to drop: forgetting it saves a call to drop it.
        let empty = std::mem::replace(list, exact(scratch));
        debug_assert!(empty.capacity() == 0);
        std::mem::forget(empty);
    }
}

/// The lists of the open claim, moved into it when it closes.
#[derive(Default)]
struct ClaimLists {
    adjustments: Vec<Adjustment>,
    names: Vec<EntityName>,
    references: Vec<Reference>,
    dates: Vec<DateRef>,
    contacts: Vec<Contact>,
    amounts: Vec<AmountRef>,
    quantities: Vec<QuantityRef>,
    lines: Vec<ServiceLine>,
}

impl ClaimLists {
    fn move_into(&mut self, c: &mut Claim) {
        move_list(&mut self.adjustments, &mut c.adjustments);
        move_list(&mut self.names, &mut c.names);
        move_list(&mut self.references, &mut c.references);
        move_list(&mut self.dates, &mut c.dates);
        move_list(&mut self.contacts, &mut c.contacts);
        move_list(&mut self.amounts, &mut c.amounts);
        move_list(&mut self.quantities, &mut c.quantities);
        move_list(&mut self.lines, &mut c.lines);
    }
}

/// The lists of the open service line, moved into it when it closes.
#[derive(Default)]
struct LineLists {
    dates: Vec<DateRef>,
    adjustments: Vec<Adjustment>,
    references: Vec<Reference>,
    amounts: Vec<AmountRef>,
    quantities: Vec<QuantityRef>,
    remarks: Vec<Remark>,
}

impl LineLists {
    fn move_into(&mut self, l: &mut ServiceLine) {
        move_list(&mut self.dates, &mut l.dates);
        move_list(&mut self.adjustments, &mut l.adjustments);
        move_list(&mut self.references, &mut l.references);
        move_list(&mut self.amounts, &mut l.amounts);
        move_list(&mut self.quantities, &mut l.quantities);
        move_list(&mut self.remarks, &mut l.remarks);
    }
}

/// Dates read, keyed by their eight bytes: the same dates repeat all through an 835 (service,
/// statement and received dates of a few months), and parsing one costs more than finding it here.
/// Direct-mapped; sized so that a few hundred dates seldom share a slot in a large file.
#[derive(Default)]
struct DateCache {
    slots: Box<[Option<(u64, chrono::NaiveDate)>]>,
    /// 64 - log2 of the number of slots (0 slots: every date is parsed).
    shift: u32,
}

impl DateCache {
    /// 4096 slots (64 KB) for a file of a megabyte or more, 512 for a smaller one.
    fn for_input(len: usize) -> Self {
        let bits = if len >= 1 << 20 { 12 } else { 9 };
        DateCache { slots: vec![None; 1 << bits].into_boxed_slice(), shift: 64 - bits }
    }

    #[inline(always)]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Element `i` of `seg` as a date not in the cache, put in it when it is a date of eight bytes.
    #[inline(never)]
    fn read(&mut self, seg: &Segment<'_>, i: usize) -> Result<chrono::NaiveDate> {
        let d = seg.ymd(i)?;
        if let Ok(bytes) = <[u8; 8]>::try_from(seg.element_bytes(i)) {
            let key = u64::from_le_bytes(bytes);
            let slot = self.slot(key);
            if let Some(entry) = self.slots.get_mut(slot) {
                *entry = Some((key, d));
            }
        }
        Ok(d)
    }
}

/// The state of one transaction set being read.
struct Reader {
    /// Findings about the transaction set, in the order found.
    findings: Vec<Finding>,
    state: Loop,
    payment: Option<(Payment, Position)>,
    trace: Option<Trace>,
    currency: Option<Str>,
    receiver_id: Option<Str>,
    version_id: Option<Str>,
    production_date: Option<chrono::NaiveDate>,
    payer: Option<Payer>,
    payee: Option<Payee>,
    groups: Vec<ClaimGroup>,
    provider_adjustments: Vec<ProviderAdjustment>,
    /// The claims of the open LX group, moved into it when it closes.
    group_claims: Vec<Claim>,
    /// The open claim's CLP position and 1-based ordinal in the transaction set. The claim itself is
    /// the last of `group_claims`; its lists are in `claim_lists` until it closes.
    claim: Option<(Position, usize)>,
    claim_lists: ClaimLists,
    /// The open service line's SVC position and 1-based ordinal in its claim. The line itself is the
    /// last of `claim_lists.lines`; its lists are in `line_lists` until it closes.
    line: Option<(Position, usize)>,
    line_lists: LineLists,
    claims_seen: usize,
    /// The sums the balancing checks need, kept as the amounts are read rather than summed again at
    /// each close: the open line's CAS amounts; the open claim's claim and line CAS amounts; the
    /// CLP04 of the claims closed.
    line_adjusted: i128,
    claim_adjusted: i128,
    paid: i128,
    /// The interchange's component separator.
    component: u8,
    dates: DateCache,
}

impl Reader {
    fn new(component: u8, dates: DateCache) -> Self {
        Reader {
            findings: Vec::new(),
            state: Loop::Header,
            payment: None,
            trace: None,
            currency: None,
            receiver_id: None,
            version_id: None,
            production_date: None,
            payer: None,
            payee: None,
            groups: Vec::new(),
            provider_adjustments: Vec::new(),
            group_claims: Vec::new(),
            claim: None,
            claim_lists: ClaimLists::default(),
            line: None,
            line_lists: LineLists::default(),
            claims_seen: 0,
            line_adjusted: 0,
            claim_adjusted: 0,
            paid: 0,
            component,
            dates,
        }
    }

    /// The remittance of the transaction set `ts` once all its segments are read, and the findings
    /// about it; `control` is (ISA13, GS06).
    fn finish(
        mut self,
        ts: &TransactionSet<'_>,
        (interchange_control_number, group_control_number): (u32, u32),
    ) -> Result<(Remittance, Vec<Finding>)> {
        self.close_group();
        let missing = |segment: &'static str, context: &str| X12Error::MissingSegment {
            pos: ts.position,
            segment,
            context: format!("{context} in the 835 transaction set that starts here"),
        };
        let Some((payment, bpr_pos)) = self.payment else { return Err(missing("BPR", "(financial information)")) };
        let Some(trace) = self.trace else { return Err(missing("TRN", "(reassociation trace number)")) };
        let Some(payer) = self.payer else { return Err(missing("N1", "N1*PR (loop 1000A, payer)")) };
        let Some(payee) = self.payee else { return Err(missing("N1", "N1*PE (loop 1000B, payee)")) };
        let remittance = Remittance {
            interchange_control_number,
            group_control_number,
            control_number: ts.control_number.into(),
            payment,
            trace,
            currency: self.currency,
            receiver_id: self.receiver_id,
            version_id: self.version_id,
            production_date: self.production_date,
            payer,
            payee,
            claim_groups: self.groups,
            provider_adjustments: self.provider_adjustments,
        };
        let mut findings = self.findings;
        findings.extend(balance::check_transaction_sum(&remittance, self.paid, Some(bpr_pos)));
        Ok((remittance, findings))
    }
}

impl Reader {
    #[cold]
    fn unexpected(&mut self, seg: &Segment<'_>, what: &str) {
        self.findings.push(Finding::warning(
            codes::UNEXPECTED_SEGMENT,
            Some(seg.position()),
            format!("{}{what} is not expected {}; skipped", seg.id(), self.state.describe()),
        ));
    }

    /// Element `i` as a CCYYMMDD date, through the [`DateCache`]: a date found there is read inline,
    /// another one by a call.
    #[inline(always)]
    fn date(&mut self, seg: &Segment<'_>, i: usize) -> Result<chrono::NaiveDate> {
        if let Ok(bytes) = <[u8; 8]>::try_from(seg.element_bytes(i)) {
            let key = u64::from_le_bytes(bytes);
            if let Some(&Some((k, d))) = self.dates.slots.get(self.dates.slot(key))
                && k == key
            {
                return Ok(d);
            }
        }
        self.dates.read(seg, i)
    }

    /// The open claim.
    #[inline]
    fn open_claim(&mut self) -> Option<&mut Claim> {
        self.claim?;
        self.group_claims.last_mut()
    }

    /// The open service line.
    #[inline]
    fn open_line(&mut self) -> Option<&mut ServiceLine> {
        self.line?;
        self.claim_lists.lines.last_mut()
    }

    /// Closes the open service line: moves its lists in and checks its balance.
    fn close_line(&mut self) {
        let adjusted = std::mem::take(&mut self.line_adjusted);
        let Some((pos, line_no)) = self.line.take() else { return };
        let claim_no = self.claim.map_or(0, |c| c.1);
        let Some(line) = self.claim_lists.lines.last_mut() else { return };
        self.line_lists.move_into(line);
        self.claim_adjusted += adjusted;
        if line.charge as i128 - line.paid as i128 != adjusted {
            self.findings.extend(balance::check_line_sum(line, adjusted, claim_no, line_no, Some(pos)));
        }
    }

    /// Closes the open claim (and its open line): moves its lists in and checks its balance.
    fn close_claim(&mut self) {
        self.close_line();
        let adjusted = std::mem::take(&mut self.claim_adjusted);
        let Some((pos, claim_no)) = self.claim.take() else { return };
        if let Some(claim) = self.group_claims.last_mut() {
            self.claim_lists.move_into(claim);
            self.paid += claim.paid as i128;
            if claim.charge as i128 - claim.paid as i128 != adjusted {
                self.findings.extend(balance::check_claim_sum(claim, adjusted, claim_no, Some(pos)));
            }
        }
    }

    /// Closes the open LX group (and its open claim): moves its claims in.
    fn close_group(&mut self) {
        self.close_claim();
        if let Some(g) = self.groups.last_mut() {
            if g.claims.is_empty() && !self.group_claims.is_empty() {
                // A group's claims are many and large: rather than copy them, the scratch list is
                // handed over and shrunk in place, and a new one made for the next group.
                let capacity = self.group_claims.capacity();
                g.claims = std::mem::replace(&mut self.group_claims, Vec::with_capacity(capacity));
                g.claims.shrink_to_fit();
            } else {
                g.claims.append(&mut self.group_claims);
            }
        }
    }

    /// Makes sure there is an LX group for a claim (a group numbered 0 when the payer sent no LX).
    fn open_group(&mut self, pos: Position) {
        if self.groups.is_empty() {
            self.findings.push(Finding::warning(
                codes::CLAIM_WITHOUT_LX,
                Some(pos),
                "CLP before any LX; the claims are put in a group numbered 0",
            ));
            self.groups.push(ClaimGroup { number: 0, summary: None, supplemental: None, claims: Vec::new() });
        }
    }

    /// Reads one segment of the transaction set body.
    fn segment(&mut self, seg: &Segment<'_>) -> Result<()> {
        let state = self.state;
        match id::key(seg.id()) {
            // Loops 2110 and 2100 first: they are most of the segments.
            id::DTM => match state {
                Loop::Line => {
                    let date = self.date(seg, 2)?;
                    let slot = match (seg.element_bytes(1), self.open_line()) {
                        (b"472", Some(l)) if l.service_date.is_none() => &mut l.service_date,
                        (b"150", Some(l)) if l.service_start.is_none() => &mut l.service_start,
                        (b"151", Some(l)) if l.service_end.is_none() => &mut l.service_end,
                        _ => {
                            self.line_lists.dates.push(DateRef { qualifier: seg.req(1)?.into(), date });
                            return Ok(());
                        }
                    };
                    *slot = Some(date);
                }
                Loop::Claim => {
                    let qualifier = seg.req(1)?.into();
                    let date = self.date(seg, 2)?;
                    self.claim_lists.dates.push(DateRef { qualifier, date });
                }
                Loop::Header if seg.element(1) == "405" && self.production_date.is_none() => {
                    self.production_date = Some(seg.ymd(2)?);
                }
                _ => self.unexpected(seg, ""),
            },
            id::CAS => match state {
                Loop::Line => self.line_adjusted += read_cas(seg, &mut self.line_lists.adjustments)?,
                Loop::Claim => self.claim_adjusted += read_cas(seg, &mut self.claim_lists.adjustments)?,
                _ => self.unexpected(seg, ""),
            },
            id::REF => match state {
                Loop::Line => match self.open_line() {
                    Some(l) if seg.element_bytes(1) == b"6R" && l.control_number.is_none() => {
                        l.control_number = Some(seg.text(2));
                    }
                    _ => self.line_lists.references.push(read_ref(seg)?),
                },
                Loop::Claim => self.claim_lists.references.push(read_ref(seg)?),
                Loop::Payer => {
                    if let Some(p) = self.payer.as_mut() {
                        p.references.push(read_ref(seg)?);
                    }
                }
                Loop::Payee => {
                    if let Some(p) = self.payee.as_mut() {
                        p.references.push(read_ref(seg)?);
                    }
                }
                Loop::OtherParty => {}
                Loop::Header => match seg.element(1) {
                    "EV" if self.receiver_id.is_none() => self.receiver_id = Some(Str::from(seg.req(2)?)),
                    "F2" if self.version_id.is_none() => self.version_id = Some(Str::from(seg.req(2)?)),
                    _ => self.unexpected(seg, " (qualifier other than a first EV or F2)"),
                },
                _ => self.unexpected(seg, ""),
            },
            id::AMT => match state {
                Loop::Line => match self.open_line() {
                    Some(l) if seg.element_bytes(1) == b"B6" && l.allowed.is_none() => l.allowed = Some(seg.cents(2)?),
                    _ => self.line_lists.amounts.push(read_amt(seg)?),
                },
                Loop::Claim => self.claim_lists.amounts.push(read_amt(seg)?),
                _ => self.unexpected(seg, ""),
            },
            id::QTY => match state {
                Loop::Line => self.line_lists.quantities.push(read_qty(seg)?),
                Loop::Claim => self.claim_lists.quantities.push(read_qty(seg)?),
                _ => self.unexpected(seg, ""),
            },
            id::LQ => match state {
                Loop::Line => {
                    self.line_lists.remarks.push(Remark { qualifier: seg.req(1)?.into(), code: seg.req(2)?.into() })
                }
                _ => self.unexpected(seg, ""),
            },
            id::SVC => match state {
                Loop::Claim | Loop::Line => {
                    self.close_line();
                    read_svc_into(seg, self.component, &mut self.claim_lists.lines)?;
                    self.line = Some((seg.position(), self.claim_lists.lines.len()));
                    self.state = Loop::Line;
                }
                _ => self.unexpected(seg, ""),
            },
            id::CLP => match state {
                Loop::Header | Loop::Footer => self.unexpected(seg, ""),
                _ => {
                    self.close_claim();
                    self.open_group(seg.position());
                    read_clp_into(seg, &mut self.group_claims)?;
                    self.claims_seen += 1;
                    self.claim = Some((seg.position(), self.claims_seen));
                    self.state = Loop::Claim;
                }
            },
            id::NM1 => match state {
                Loop::Claim => read_nm1_into(seg, &mut self.claim_lists.names)?,
                _ => self.unexpected(seg, ""),
            },
            // The rest: the header, the 1000 loops, LX, TS3, TS2, MIA, MOA, PER and PLB.
            _ => return self.other_segment(seg),
        }
        Ok(())
    }

    /// The segments [`Reader::segment`] does not read itself: kept out of it so that the code for
    /// the common segments stays small.
    #[inline(never)]
    fn other_segment(&mut self, seg: &Segment<'_>) -> Result<()> {
        let state = self.state;
        match id::key(seg.id()) {
            id::MIA => match (state, self.open_claim()) {
                (Loop::Claim, Some(c)) if c.inpatient.is_none() => c.inpatient = Some(Box::new(read_mia(seg)?)),
                _ => self.unexpected(seg, ""),
            },
            id::MOA => match (state, self.open_claim()) {
                (Loop::Claim, Some(c)) if c.outpatient.is_none() => c.outpatient = Some(Box::new(read_moa(seg)?)),
                _ => self.unexpected(seg, ""),
            },
            id::PER => match state {
                Loop::Claim => self.claim_lists.contacts.push(read_per(seg)?),
                Loop::Payer => {
                    if let Some(p) = self.payer.as_mut() {
                        p.contacts.push(read_per(seg)?);
                    }
                }
                Loop::OtherParty => {}
                _ => self.unexpected(seg, ""),
            },
            id::LX => match state {
                Loop::Header | Loop::Footer => self.unexpected(seg, ""),
                _ => {
                    let number = read_lx(seg)?;
                    self.close_group();
                    self.groups.push(ClaimGroup { number, summary: None, supplemental: None, claims: Vec::new() });
                    self.state = Loop::Group;
                }
            },
            id::TS3 => match state {
                Loop::Group if self.groups.last().is_some_and(|g| g.summary.is_none()) => {
                    let summary = read_ts3(seg, &mut self.findings)?;
                    if let Some(g) = self.groups.last_mut() {
                        g.summary = Some(Box::new(summary));
                    }
                }
                _ => self.unexpected(seg, ""),
            },
            id::TS2 => match (state, self.groups.last_mut()) {
                (Loop::Group, Some(g)) if g.supplemental.is_none() => g.supplemental = Some(Box::new(read_ts2(seg)?)),
                _ => self.unexpected(seg, ""),
            },
            id::PLB => match state {
                Loop::Header => self.unexpected(seg, ""),
                _ => {
                    let plb = read_plb(seg, self.component)?;
                    self.close_group();
                    self.provider_adjustments.push(plb);
                    self.state = Loop::Footer;
                }
            },
            // The header and the 1000 loops.
            id::BPR => match state {
                Loop::Header if self.payment.is_none() => {
                    self.payment = Some((read_bpr(seg, &mut self.findings)?, seg.position()))
                }
                _ => self.unexpected(seg, ""),
            },
            id::TRN => match state {
                Loop::Header if self.trace.is_none() => self.trace = Some(read_trn(seg)?),
                _ => self.unexpected(seg, ""),
            },
            id::CUR => match state {
                Loop::Header if self.currency.is_none() => self.currency = Some(Str::from(seg.req(2)?)),
                _ => self.unexpected(seg, ""),
            },
            id::N1 => match state {
                Loop::Header | Loop::Payer | Loop::Payee | Loop::OtherParty => match seg.element(1) {
                    "PR" if self.payer.is_none() => {
                        self.payer = Some(Payer {
                            name: seg.req(2)?.into(),
                            id_qualifier: seg.opt_text(3),
                            id: seg.opt_text(4),
                            address: None,
                            references: Vec::new(),
                            contacts: Vec::new(),
                        });
                        self.state = Loop::Payer;
                    }
                    "PE" if self.payee.is_none() => {
                        self.payee = Some(Payee {
                            name: seg.req(2)?.into(),
                            id_qualifier: seg.opt_text(3),
                            id: seg.opt_text(4),
                            address: None,
                            references: Vec::new(),
                            delivery: None,
                        });
                        self.state = Loop::Payee;
                    }
                    _ => {
                        self.unexpected(seg, " (not a first N1*PR or N1*PE; its loop is skipped too)");
                        self.state = Loop::OtherParty;
                    }
                },
                _ => self.unexpected(seg, ""),
            },
            id::N3 | id::N4 => {
                let address = match state {
                    Loop::Payer => self.payer.as_mut().map(|p| &mut p.address),
                    Loop::Payee => self.payee.as_mut().map(|p| &mut p.address),
                    _ => None,
                };
                match address {
                    Some(a) => read_address(seg, a.get_or_insert_with(Address::default)),
                    None if state == Loop::OtherParty => {}
                    None => self.unexpected(seg, ""),
                }
            }
            id::RDM => match (state, self.payee.as_mut()) {
                (Loop::Payee, Some(p)) if p.delivery.is_none() => {
                    p.delivery = Some(RemittanceDelivery {
                        method: seg.req(1)?.into(),
                        name: seg.opt_text(2),
                        number: seg.opt_text(3),
                    })
                }
                _ => self.unexpected(seg, ""),
            },
            _ => self.unexpected(seg, ""),
        }
        Ok(())
    }
}

/// Inlined versions of the [`Segment`] accessors the reader calls for nearly every element, with the
/// same errors.
trait SegmentExt<'a> {
    fn req(&self, i: usize) -> Result<&'a str>;
    fn cents(&self, i: usize) -> Result<i64>;
    fn opt_cents(&self, i: usize) -> Result<Option<i64>>;
    fn ymd(&self, i: usize) -> Result<chrono::NaiveDate>;
}

impl<'a> SegmentExt<'a> for Segment<'a> {
    #[inline(always)]
    fn req(&self, i: usize) -> Result<&'a str> {
        let v = self.element(i);
        if v.is_empty() {
            return Err(self.error(i, "is required but empty"));
        }
        Ok(v)
    }

    #[inline(always)]
    fn cents(&self, i: usize) -> Result<i64> {
        match quick_cents(self.element_bytes(i)) {
            Some(c) => Ok(c),
            None => slow_cents(self, i),
        }
    }

    #[inline(always)]
    fn opt_cents(&self, i: usize) -> Result<Option<i64>> {
        let v = self.element_bytes(i);
        if v.is_empty() {
            return Ok(None);
        }
        match quick_cents(v) {
            Some(c) => Ok(Some(c)),
            None => slow_cents(self, i).map(Some),
        }
    }

    #[inline]
    fn ymd(&self, i: usize) -> Result<chrono::NaiveDate> {
        value::parse_date(self.req(i)?).map_err(|m| self.error(i, m))
    }
}

/// Amounts [`quick_cents`] leaves: read (or rejected) by [`value::parse_cents`], or required but empty.
#[cold]
#[inline(never)]
fn slow_cents(seg: &Segment<'_>, i: usize) -> Result<i64> {
    let v = seg.element(i);
    if v.is_empty() {
        return Err(seg.error(i, "is required but empty"));
    }
    value::parse_cents(v).map_err(|m| seg.error(i, m))
}

/// The common shapes of an X12 amount (`125`, `-3.5`, `.05`, `12.50`: an optional minus, at most 15
/// digits before the point and at most 2 after) read straight to cents; `None` for anything else,
/// which [`value::parse_cents`] then reads or rejects. Same result as `parse_cents` where it answers.
#[inline(always)]
pub(crate) fn quick_cents(b: &[u8]) -> Option<i64> {
    let (neg, b) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    // The digits before the point, then what follows them matched whole: nothing, a point, or a
    // point and one or two digits.
    let mut n: i64 = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n * 10 + d as i64;
        i += 1;
    }
    let digit = |c: u8| c.wrapping_sub(b'0') as i64;
    let cents = match b.get(i..)? {
        [] if b.len() <= 15 => n * 100,
        [b'.'] if b.len() > 1 && b.len() <= 16 => n * 100,
        [b'.', d1] if d1.is_ascii_digit() && b.len() <= 17 => n * 100 + digit(*d1) * 10,
        [b'.', d1, d2] if d1.is_ascii_digit() && d2.is_ascii_digit() => n * 100 + digit(*d1) * 10 + digit(*d2),
        _ => return None,
    };
    Some(if neg { -cents } else { cents })
}

/// The components of a composite element, split on the interchange's component separator.
struct Components<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Components<'a> {
    #[inline]
    fn new(element: &'a str, sep: u8) -> Self {
        Components { rest: (!element.is_empty()).then_some(element), sep }
    }
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == self.sep) {
            Some(at) => {
                self.rest = rest.get(at + 1..);
                rest.get(..at)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// Reads a decimal; whole numbers (most units and counts) without going through the general parser.
#[inline(always)]
fn decimal(seg: &Segment<'_>, i: usize, v: &str) -> Result<Decimal> {
    if !v.is_empty() && v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()) {
        let n = v.bytes().fold(0i64, |n, b| n * 10 + (b - b'0') as i64);
        return Ok(Decimal::from(n));
    }
    slow_decimal(seg, i, v)
}

#[cold]
#[inline(never)]
fn slow_decimal(seg: &Segment<'_>, i: usize, v: &str) -> Result<Decimal> {
    value::parse_decimal(v).map_err(|m| seg.error(i, m))
}

fn req_decimal(seg: &Segment<'_>, i: usize) -> Result<Decimal> {
    decimal(seg, i, seg.req(i)?)
}

/// Most optional quantities are absent: that case is inlined, reading one is a call.
#[inline(always)]
fn opt_decimal(seg: &Segment<'_>, i: usize) -> Result<Option<Decimal>> {
    let v = seg.element(i);
    if v.is_empty() {
        return Ok(None);
    }
    // The call returns the Decimal alone: a `Result<Option<Decimal>>` from it would be merged with
    // the `Ok(None)` above in memory, and reading that back stalls.
    some_decimal(seg, i, v).map(Some)
}

#[inline(never)]
fn some_decimal(seg: &Segment<'_>, i: usize, v: &str) -> Result<Decimal> {
    decimal(seg, i, v)
}

fn read_bpr(seg: &Segment<'_>, findings: &mut Vec<Finding>) -> Result<Payment> {
    let date = match seg.opt(16) {
        None => {
            findings.push(Finding::error(
                codes::PAYMENT_DATE,
                Some(seg.position()),
                "BPR16 (check issue or EFT effective date) is required but missing",
            ));
            None
        }
        Some(v) => match value::parse_date(v) {
            Ok(d) => Some(d),
            Err(m) => {
                findings.push(Finding::error(codes::PAYMENT_DATE, Some(seg.position()), format!("BPR16 {m}")));
                None
            }
        },
    };
    Ok(Payment {
        handling: seg.req(1)?.into(),
        amount: seg.cents(2)?,
        credit_debit: seg.req(3)?.into(),
        method: seg.req(4)?.into(),
        format: seg.opt_text(5),
        sender_dfi_qualifier: seg.opt_text(6),
        sender_dfi_id: seg.opt_text(7),
        sender_account_qualifier: seg.opt_text(8),
        sender_account: seg.opt_text(9),
        originator_id: seg.opt_text(10),
        originator_supplemental_code: seg.opt_text(11),
        receiver_dfi_qualifier: seg.opt_text(12),
        receiver_dfi_id: seg.opt_text(13),
        receiver_account_qualifier: seg.opt_text(14),
        receiver_account: seg.opt_text(15),
        date,
    })
}

fn read_trn(seg: &Segment<'_>) -> Result<Trace> {
    Ok(Trace {
        trace_type: seg.req(1)?.into(),
        number: seg.req(2)?.into(),
        originator_id: seg.req(3)?.into(),
        originator_supplemental_code: seg.opt_text(4),
    })
}

fn read_address(seg: &Segment<'_>, a: &mut Address) {
    if seg.id() == "N3" {
        a.line1 = seg.opt_text(1);
        a.line2 = seg.opt_text(2);
    } else {
        a.city = seg.opt_text(1);
        a.state = seg.opt_text(2);
        a.postal_code = seg.opt_text(3);
        a.country = seg.opt_text(4);
        a.country_subdivision = seg.opt_text(7);
    }
}

fn read_ref(seg: &Segment<'_>) -> Result<Reference> {
    Ok(Reference { qualifier: seg.req(1)?.into(), value: seg.text(2) })
}

fn read_amt(seg: &Segment<'_>) -> Result<AmountRef> {
    Ok(AmountRef { qualifier: seg.req(1)?.into(), amount: seg.cents(2)? })
}

fn read_qty(seg: &Segment<'_>) -> Result<QuantityRef> {
    Ok(QuantityRef { qualifier: seg.req(1)?.into(), quantity: req_decimal(seg, 2)? })
}

fn read_per(seg: &Segment<'_>) -> Result<Contact> {
    let mut communications = Vec::new();
    for i in [3, 5, 7] {
        if let Some(q) = seg.opt(i) {
            communications.push(Communication { qualifier: q.into(), number: seg.text(i + 1) });
        }
    }
    Ok(Contact { function: seg.req(1)?.into(), name: seg.opt_text(2), communications })
}

fn read_lx(seg: &Segment<'_>) -> Result<u32> {
    let v = seg.req(1)?;
    if v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(seg.error(1, "is not a whole number of at most 9 digits"));
    }
    v.parse::<u32>().map_err(|_| seg.error(1, "is not a whole number of at most 9 digits"))
}

/// Flattens a CAS segment's up to six reason/amount/quantity triples; returns the sum of their amounts.
fn read_cas(seg: &Segment<'_>, out: &mut Vec<Adjustment>) -> Result<i128> {
    let group = seg.req(1)?;
    let reason = seg.req(2)?;
    if seg.len() <= 4 {
        // One triple, as most CAS segments have: read without the loop.
        let amount = seg.cents(3)?;
        let quantity = opt_decimal(seg, 4)?;
        out.push(Adjustment { group: group.into(), reason: reason.into(), amount, quantity });
        return Ok(amount as i128);
    }
    let last = seg.len().min(19);
    let mut sum = 0;
    let mut r = 2;
    while r <= last {
        let reason = seg.element(r);
        if !reason.is_empty() {
            let amount = seg.cents(r + 1)?;
            let quantity = opt_decimal(seg, r + 2)?;
            sum += amount as i128;
            // Most CAS segments have one triple: the group is made for each rather than cloned.
            out.push(Adjustment { group: group.into(), reason: reason.into(), amount, quantity });
        } else if !seg.element_bytes(r + 1).is_empty() || !seg.element_bytes(r + 2).is_empty() {
            return Err(seg.error(r, "is required when an adjustment amount or quantity follows it"));
        }
        r += 3;
    }
    Ok(sum)
}

/// Reads a CLP onto the end of `claims` (built in place: a claim is large).
#[inline(never)]
fn read_clp_into(seg: &Segment<'_>, claims: &mut Vec<Claim>) -> Result<()> {
    let patient_control_number = seg.req(1)?.into();
    let status = seg.req(2)?.into();
    let charge = seg.cents(3)?;
    let paid = seg.cents(4)?;
    let patient_responsibility = seg.opt_cents(5)?;
    let filing_indicator = seg.req(6)?.into();
    let payer_claim_control_number = seg.req(7)?.into();
    let drg_weight = opt_decimal(seg, 12)?;
    let discharge_fraction = opt_decimal(seg, 13)?;
    claims.push(Claim {
        patient_control_number,
        status,
        charge,
        paid,
        patient_responsibility,
        filing_indicator,
        payer_claim_control_number,
        facility_type: seg.opt_text(8),
        frequency: seg.opt_text(9),
        drg_code: seg.opt_text(11),
        drg_weight,
        discharge_fraction,
        adjustments: Vec::new(),
        names: Vec::new(),
        inpatient: None,
        outpatient: None,
        references: Vec::new(),
        dates: Vec::new(),
        contacts: Vec::new(),
        amounts: Vec::new(),
        quantities: Vec::new(),
        lines: Vec::new(),
    });
    Ok(())
}

/// Reads an NM1 onto the end of `names`.
#[inline(never)]
fn read_nm1_into(seg: &Segment<'_>, names: &mut Vec<EntityName>) -> Result<()> {
    let entity = seg.req(1)?.into();
    names.push(EntityName {
        entity,
        entity_type: seg.text(2),
        last_name: seg.opt_text(3),
        first_name: seg.opt_text(4),
        middle_name: seg.opt_text(5),
        suffix: seg.opt_text(7),
        id_qualifier: seg.opt_text(8),
        id: seg.opt_text(9),
    });
    Ok(())
}

fn remark_codes(seg: &Segment<'_>, at: impl IntoIterator<Item = usize>) -> Vec<Str> {
    at.into_iter().filter_map(|i| seg.opt_text(i)).collect()
}

fn read_mia(seg: &Segment<'_>) -> Result<InpatientAdjudication> {
    Ok(InpatientAdjudication {
        covered_days: req_decimal(seg, 1)?,
        pps_operating_outlier: seg.opt_cents(2)?,
        lifetime_psychiatric_days: opt_decimal(seg, 3)?,
        claim_drg: seg.opt_cents(4)?,
        disproportionate_share: seg.opt_cents(6)?,
        msp_pass_through: seg.opt_cents(7)?,
        pps_capital: seg.opt_cents(8)?,
        pps_capital_fsp_drg: seg.opt_cents(9)?,
        pps_capital_hsp_drg: seg.opt_cents(10)?,
        pps_capital_dsh_drg: seg.opt_cents(11)?,
        old_capital: seg.opt_cents(12)?,
        pps_capital_ime: seg.opt_cents(13)?,
        pps_operating_hospital_specific_drg: seg.opt_cents(14)?,
        cost_report_days: opt_decimal(seg, 15)?,
        pps_operating_federal_specific_drg: seg.opt_cents(16)?,
        pps_capital_outlier: seg.opt_cents(17)?,
        indirect_teaching: seg.opt_cents(18)?,
        nonpayable_professional_component: seg.opt_cents(19)?,
        pps_capital_exception: seg.opt_cents(24)?,
        remark_codes: remark_codes(seg, [5, 20, 21, 22, 23]),
    })
}

fn read_moa(seg: &Segment<'_>) -> Result<OutpatientAdjudication> {
    Ok(OutpatientAdjudication {
        reimbursement_rate: opt_decimal(seg, 1)?,
        hcpcs_payable: seg.opt_cents(2)?,
        remark_codes: remark_codes(seg, 3..=7),
        esrd_payment: seg.opt_cents(8)?,
        nonpayable_professional_component: seg.opt_cents(9)?,
    })
}

/// A composite procedure (SVC01, SVC06): qualifier, code, up to four modifiers and a description.
/// Most have a qualifier and a code only, read here without the general loop.
#[inline(always)]
fn read_procedure(seg: &Segment<'_>, i: usize, component: u8) -> Result<Procedure> {
    let el = seg.element(i);
    let (qualifier, rest) = match el.bytes().position(|b| b == component) {
        Some(at) => (el.get(..at).unwrap_or(""), el.get(at + 1..)),
        None => (el, None),
    };
    if qualifier.is_empty() {
        return Err(seg.error(i, "has no product or service id qualifier (component 1)"));
    }
    let code = match rest {
        None => "",
        Some(rest) if !rest.bytes().any(|b| b == component) => rest,
        Some(rest) => return Ok(procedure_with_modifiers(qualifier, rest, component)),
    };
    Ok(Procedure { qualifier: qualifier.into(), code: code.into(), modifiers: Vec::new(), description: None })
}

/// [`read_procedure`] when there is more than the code after the qualifier (`rest`, from the code on).
#[inline(never)]
fn procedure_with_modifiers(qualifier: &str, rest: &str, component: u8) -> Procedure {
    let mut c = Components::new(rest, component);
    let code = c.next().unwrap_or("");
    let mut found = [""; 4];
    let mut n = 0;
    for _ in 0..4 {
        match c.next() {
            Some(m) if !m.is_empty() => {
                if let Some(slot) = found.get_mut(n) {
                    *slot = m;
                    n += 1;
                }
            }
            Some(_) => {}
            None => break,
        }
    }
    let modifiers = if n == 0 { Vec::new() } else { found.iter().take(n).map(|m| Str::from(*m)).collect() };
    let description = c.next().filter(|d| !d.is_empty()).map(Str::from);
    Procedure { qualifier: qualifier.into(), code: code.into(), modifiers, description }
}

/// SVC06, which few lines have (boxed in the model).
#[inline(never)]
fn read_original_procedure(seg: &Segment<'_>, component: u8) -> Result<Option<Box<Procedure>>> {
    Ok(Some(Box::new(read_procedure(seg, 6, component)?)))
}

/// Reads an SVC onto the end of `lines` (built in place: a line is large).
fn read_svc_into(seg: &Segment<'_>, component: u8, lines: &mut Vec<ServiceLine>) -> Result<()> {
    let procedure = read_procedure(seg, 1, component)?;
    let charge = seg.cents(2)?;
    let paid = seg.cents(3)?;
    let units = opt_decimal(seg, 5)?;
    let original_procedure = if seg.opt(6).is_some() { read_original_procedure(seg, component)? } else { None };
    let original_units = opt_decimal(seg, 7)?;
    let revenue_code = seg.opt_text(4);
    lines.push(ServiceLine {
        procedure,
        charge,
        paid,
        revenue_code,
        units,
        original_procedure,
        original_units,
        service_date: None,
        service_start: None,
        service_end: None,
        dates: Vec::new(),
        adjustments: Vec::new(),
        control_number: None,
        references: Vec::new(),
        allowed: None,
        amounts: Vec::new(),
        quantities: Vec::new(),
        remarks: Vec::new(),
    });
    Ok(())
}

fn read_ts3(seg: &Segment<'_>, findings: &mut Vec<Finding>) -> Result<ProviderSummary> {
    for i in [6, 7, 8, 9, 10, 11, 12, 14, 16, 19] {
        if seg.opt(i).is_some() {
            findings.push(Finding::warning(
                codes::UNUSED_ELEMENT,
                Some(seg.position()),
                format!("TS3{i:02} is not used in {IMPLEMENTATION}; its value was not kept"),
            ));
        }
    }
    Ok(ProviderSummary {
        provider_id: seg.req(1)?.into(),
        facility_code: seg.req(2)?.into(),
        fiscal_period_end: seg.ymd(3)?,
        claim_count: req_decimal(seg, 4)?,
        total_charge: seg.cents(5)?,
        total_msp_payer: seg.opt_cents(13)?,
        total_non_lab_charge: seg.opt_cents(15)?,
        total_hcpcs_reported_charge: seg.opt_cents(17)?,
        total_hcpcs_payable: seg.opt_cents(18)?,
        total_professional_component: seg.opt_cents(20)?,
        total_msp_patient_liability_met: seg.opt_cents(21)?,
        total_patient_reimbursement: seg.opt_cents(22)?,
        total_pip_claim_count: opt_decimal(seg, 23)?,
        total_pip_adjustment: seg.opt_cents(24)?,
    })
}

fn read_ts2(seg: &Segment<'_>) -> Result<ProviderSupplementalSummary> {
    Ok(ProviderSupplementalSummary {
        total_drg: seg.opt_cents(1)?,
        total_federal_specific: seg.opt_cents(2)?,
        total_hospital_specific: seg.opt_cents(3)?,
        total_disproportionate_share: seg.opt_cents(4)?,
        total_capital: seg.opt_cents(5)?,
        total_indirect_medical_education: seg.opt_cents(6)?,
        total_outlier_day_count: opt_decimal(seg, 7)?,
        total_day_outlier: seg.opt_cents(8)?,
        total_cost_outlier: seg.opt_cents(9)?,
        average_drg_length_of_stay: opt_decimal(seg, 10)?,
        total_discharge_count: opt_decimal(seg, 11)?,
        total_cost_report_day_count: opt_decimal(seg, 12)?,
        total_covered_day_count: opt_decimal(seg, 13)?,
        total_noncovered_day_count: opt_decimal(seg, 14)?,
        total_msp_pass_through: seg.opt_cents(15)?,
        average_drg_weight: opt_decimal(seg, 16)?,
        total_pps_capital_fsp_drg: seg.opt_cents(17)?,
        total_pps_capital_hsp_drg: seg.opt_cents(18)?,
        total_pps_dsh_drg: seg.opt_cents(19)?,
    })
}

fn read_plb(seg: &Segment<'_>, component: u8) -> Result<ProviderAdjustment> {
    let provider_id = seg.req(1)?.into();
    let fiscal_period_end = seg.ymd(2)?;
    seg.req(3)?;
    let mut items = Vec::new();
    for k in 0..6 {
        let c = 3 + 2 * k;
        if seg.opt(c).is_none() {
            if seg.opt(c + 1).is_some() {
                return Err(seg.error(c, "is required when an adjustment amount follows it"));
            }
            continue;
        }
        let mut parts = Components::new(seg.element(c), component);
        let reason = parts.next().unwrap_or("");
        if reason.is_empty() {
            return Err(seg.error(c, "has no adjustment reason code (component 1)"));
        }
        let reference = parts.next().unwrap_or("");
        items.push(ProviderAdjustmentItem {
            reason: reason.into(),
            reference: (!reference.is_empty()).then(|| Str::from(reference)),
            amount: seg.cents(c + 1)?,
        });
    }
    Ok(ProviderAdjustment { provider_id, fiscal_period_end, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Segments;

    /// SVC01 read the plain way: split on the separator, component 1 the qualifier (required), 2
    /// the code, the non-empty ones of 3 to 6 the modifiers, 7 the description when not empty.
    fn reference(el: &str) -> Option<Procedure> {
        let parts: Vec<&str> = if el.is_empty() { vec![] } else { el.split(':').collect() };
        let qualifier = parts.first().filter(|q| !q.is_empty())?;
        let part = |i: usize| parts.get(i).copied().unwrap_or("");
        Some(Procedure {
            qualifier: (*qualifier).into(),
            code: part(1).into(),
            modifiers: (2..6).map(part).filter(|m| !m.is_empty()).map(Str::from).collect(),
            description: Some(part(6)).filter(|d| !d.is_empty()).map(Str::from),
        })
    }

    #[test]
    fn procedures_read_as_split_on_the_component_separator() {
        let shapes = [
            "",
            ":",
            "HC",
            "HC:",
            "HC:99213",
            ":99213",
            "HC:99213:",
            "HC:99213:25",
            "HC:99213::59",
            "HC:99213:25:59:76:77",
            "HC:99213:25:59:76:77:DESC",
            "HC:99213:::::DESC",
            "HC:99213:::::",
            "HC:99213:25:59:76:77:DESC:EXTRA",
            "N4:12345678901",
            "HC::25",
            "HC:\u{e9}:\u{e9}",
        ];
        for el in shapes {
            let text = format!("SVC*{el}*10*5~");
            let mut segs = Segments::new(&text, Delimiters::default());
            segs.try_for_each_segment(|seg| {
                let got = read_procedure(seg, 1, b':').ok();
                assert_eq!(got, reference(el), "{el:?}");
                Ok(())
            })
            .expect("tokenizes");
        }
    }
}
