//! 999 (005010X231A1): the implementation acknowledgement.
//!
//! A 999 answers one functional group (GS..GE) we sent: AK1 names the group, one AK2 loop per
//! transaction set says whether that set was accepted (IK5) and which segments (IK3) and elements
//! (IK4) were in error, and AK9 gives the verdict on the whole group.
//!
//! [`parse_999`] reads every 999 in a file into a [`Document999`]; [`Ack999::status`] and
//! [`TransactionAck::is_accepted`] answer "was the batch accepted, which transactions were not"; the
//! [`fmt::Display`] of [`Ack999`] and [`TransactionAck`] gives a sentence for people
//! (`batch 28 (HC) rejected: 0 of 1 transaction sets accepted; transaction 0028 (837) rejected because
//! IK3 NM at 17: code 8 (segment has data element errors)`). The copy of the bad data (IK404) and the
//! business-unit context value (CTX01-2) are kept in the model but never shown: they can be PHI.
//!
//! [`write_999`] writes the same model back (the clearinghouse simulator answers our 837s with it).

use crate::error::{Finding, Position, Result, X12Error};
use crate::syntax::{self, Delimiters, GroupHeader, InterchangeHeader, Segment, Writer};
use compact_str::CompactString as Str;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The implementation convention this module writes in ST03.
pub const IMPLEMENTATION: &str = "005010X231A1";

/// Every 999 in a file, with the findings about the file (envelope counts, stray segments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document999 {
    pub interchanges: Vec<Interchange999>,
    pub findings: Vec<Finding>,
}

/// One ISA..IEA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange999 {
    pub header: InterchangeHeader,
    pub groups: Vec<Group999>,
}

/// One GS..GE (functional id `FA`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group999 {
    pub header: GroupHeader,
    pub acks: Vec<Ack999>,
}

/// One 999 transaction set: the acknowledgement of one functional group we sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack999 {
    /// ST02 of the 999 itself.
    pub control_number: Str,
    /// ST03, normally `005010X231A1` (some senders write `005010X231`).
    pub implementation: Str,
    /// AK1: the group being acknowledged.
    pub group: AckedGroup,
    /// One per AK2 loop.
    pub transactions: Vec<TransactionAck>,
    /// AK9.
    pub response: GroupResponse,
}

/// AK1: which of our functional groups this 999 answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckedGroup {
    /// AK101, our GS01 (`HC` for 837).
    pub functional_id: Str,
    /// AK102, our GS06.
    pub control_number: u32,
    /// AK103, our GS08 (`005010X222A1`). Required by X231A1; optional here so older 999s read.
    pub version: Option<Str>,
}

/// AK9: the verdict on the whole group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupResponse {
    /// AK901.
    pub code: AckCode,
    /// AK902, transaction sets in our group (our GE01).
    pub included: u32,
    /// AK903, transaction sets the receiver got.
    pub received: u32,
    /// AK904, transaction sets accepted.
    pub accepted: u32,
    /// AK905..AK909, functional group syntax error codes (see [`group_error_text`]).
    pub errors: Vec<Str>,
}

/// One AK2 loop: the acknowledgement of one of our transaction sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAck {
    /// AK201, our ST01 (`837`).
    pub transaction_id: Str,
    /// AK202, our ST02.
    pub control_number: Str,
    /// AK203, our ST03.
    pub implementation: Option<Str>,
    /// IK3 loops.
    pub segment_errors: Vec<SegmentError>,
    /// IK5.
    pub response: TransactionResponse,
}

/// IK5: the verdict on one transaction set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionResponse {
    /// IK501 (never [`AckCode::PartiallyAccepted`]).
    pub code: AckCode,
    /// IK502..IK506, transaction set syntax error codes (see [`transaction_error_text`]).
    pub errors: Vec<Str>,
}

/// IK3 and what follows it: one segment in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentError {
    /// IK301, e.g. `NM1`.
    pub segment_id: Str,
    /// IK302, position of the segment in our transaction set (ST is 1).
    pub position: u32,
    /// IK303, the loop, e.g. `2010` (at most four characters).
    pub loop_id: Option<Str>,
    /// IK304, segment syntax error code (see [`segment_error_text`]).
    pub code: Option<Str>,
    /// CTX after IK3: segment context and business unit identifier.
    pub contexts: Vec<Context>,
    /// IK4 loops.
    pub element_errors: Vec<ElementError>,
}

/// Where an element is in its segment: IK401 / CTX05.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementPosition {
    /// Element position in the segment (1-based).
    pub element: u32,
    /// Component position in a composite.
    pub component: Option<u32>,
    /// Repetition of a repeating element.
    pub repeat: Option<u32>,
}

impl fmt::Display for ElementPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.element)?;
        if let Some(c) = self.component {
            write!(f, "-{c}")?;
        }
        if let Some(r) = self.repeat {
            write!(f, " (repeat {r})")?;
        }
        Ok(())
    }
}

/// IK4 and its CTX: one element in error.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementError {
    /// IK401.
    pub position: ElementPosition,
    /// IK402, the data element reference number (e.g. `1035`).
    pub reference: Option<u32>,
    /// IK403, element syntax error code (see [`element_error_text`]).
    pub code: Str,
    /// IK404, a copy of the bad data. It can be PHI: it is never shown in messages or `Debug`.
    pub bad_data: Option<Str>,
    /// CTX after IK4.
    pub contexts: Vec<Context>,
}

impl fmt::Debug for ElementError {
    // Like `Segment`'s Debug: everything but the copy of the bad data, which can be PHI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElementError")
            .field("position", &self.position)
            .field("reference", &self.reference)
            .field("code", &self.code)
            .field("bad_data", &self.bad_data.as_ref().map(|_| "<redacted>"))
            .field("contexts", &self.contexts)
            .finish()
    }
}

/// A CTX segment: the context of a segment or element error.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// CTX01-1: `SITUATIONAL TRIGGER`, or for a business unit identifier the element it names
    /// (`CLM01`, `NM109`, `TRN02`, ...).
    pub name: Str,
    /// CTX01-2: the business unit identifier's value (e.g. our CLM01). Can be PHI; never shown.
    pub reference: Option<Str>,
    /// CTX02, segment id of the trigger.
    pub segment_id: Option<Str>,
    /// CTX03, its position in the transaction set.
    pub segment_position: Option<u32>,
    /// CTX04, its loop.
    pub loop_id: Option<Str>,
    /// CTX05, the element in that segment.
    pub element_position: Option<ElementPosition>,
    /// CTX06-1, the element's reference number.
    pub element_reference: Option<u32>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.name)
            .field("reference", &self.reference.as_ref().map(|_| "<redacted>"))
            .field("segment_id", &self.segment_id)
            .field("segment_position", &self.segment_position)
            .field("loop_id", &self.loop_id)
            .field("element_position", &self.element_position)
            .field("element_reference", &self.element_reference)
            .finish()
    }
}

impl Context {
    /// A business unit identifier context (`CTX*CLM01:value`), naming the claim an error belongs to.
    pub fn business_unit(name: &str, value: &str) -> Self {
        Context {
            name: name.into(),
            reference: Some(value.into()),
            segment_id: None,
            segment_position: None,
            loop_id: None,
            element_position: None,
            element_reference: None,
        }
    }

    /// A situational trigger context: the segment whose presence made the erroneous one required.
    pub fn trigger(segment_id: &str, segment_position: u32, loop_id: Option<&str>) -> Self {
        Context {
            name: "SITUATIONAL TRIGGER".into(),
            reference: None,
            segment_id: Some(segment_id.into()),
            segment_position: Some(segment_position),
            loop_id: loop_id.map(Str::from),
            element_position: None,
            element_reference: None,
        }
    }
}

/// An acknowledgement code: AK901 (all seven) or IK501 (all but `P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AckCode {
    /// `A` accepted.
    #[serde(rename = "A")]
    Accepted,
    /// `E` accepted, but errors were noted.
    #[serde(rename = "E")]
    AcceptedWithErrors,
    /// `M` rejected, message authentication code failed.
    #[serde(rename = "M")]
    RejectedMacFailed,
    /// `P` partially accepted, at least one transaction set rejected (AK901 only).
    #[serde(rename = "P")]
    PartiallyAccepted,
    /// `R` rejected.
    #[serde(rename = "R")]
    Rejected,
    /// `W` rejected, assurance failed validity tests.
    #[serde(rename = "W")]
    RejectedAssurance,
    /// `X` rejected, content after decryption could not be analyzed.
    #[serde(rename = "X")]
    RejectedDecryption,
}

impl AckCode {
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "A" => AckCode::Accepted,
            "E" => AckCode::AcceptedWithErrors,
            "M" => AckCode::RejectedMacFailed,
            "P" => AckCode::PartiallyAccepted,
            "R" => AckCode::Rejected,
            "W" => AckCode::RejectedAssurance,
            "X" => AckCode::RejectedDecryption,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            AckCode::Accepted => "A",
            AckCode::AcceptedWithErrors => "E",
            AckCode::RejectedMacFailed => "M",
            AckCode::PartiallyAccepted => "P",
            AckCode::Rejected => "R",
            AckCode::RejectedAssurance => "W",
            AckCode::RejectedDecryption => "X",
        }
    }

    /// The code folded to the four outcomes callers act on: `M`, `R`, `W` and `X` are all rejections.
    pub fn status(self) -> AckStatus {
        match self {
            AckCode::Accepted => AckStatus::Accepted,
            AckCode::AcceptedWithErrors => AckStatus::AcceptedWithErrors,
            AckCode::PartiallyAccepted => AckStatus::PartiallyAccepted,
            AckCode::RejectedMacFailed
            | AckCode::Rejected
            | AckCode::RejectedAssurance
            | AckCode::RejectedDecryption => AckStatus::Rejected,
        }
    }
}

/// What happened to a group or a transaction set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    Accepted,
    AcceptedWithErrors,
    PartiallyAccepted,
    Rejected,
}

impl AckStatus {
    fn words(self) -> &'static str {
        match self {
            AckStatus::Accepted => "accepted",
            AckStatus::AcceptedWithErrors => "accepted with errors",
            AckStatus::PartiallyAccepted => "partially accepted",
            AckStatus::Rejected => "rejected",
        }
    }
}

impl fmt::Display for AckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

impl Document999 {
    /// Every 999 transaction set in the file.
    pub fn acks(&self) -> impl Iterator<Item = &Ack999> {
        self.interchanges.iter().flat_map(|i| i.groups.iter().flat_map(|g| g.acks.iter()))
    }

    /// The overall outcome: [`AckStatus::Accepted`] when every acknowledged group was accepted,
    /// [`AckStatus::Rejected`] when every one was rejected (or there is none), [`AckStatus::AcceptedWithErrors`]
    /// when none was rejected but some had errors noted, else [`AckStatus::PartiallyAccepted`].
    pub fn status(&self) -> AckStatus {
        combine(self.acks().map(Ack999::status))
    }

    /// The acknowledgement of our group with GS06 = `control_number`, if the file has one.
    pub fn for_group(&self, control_number: u32) -> Option<&Ack999> {
        self.acks().find(|a| a.group.control_number == control_number)
    }
}

fn combine(statuses: impl Iterator<Item = AckStatus>) -> AckStatus {
    let (mut n, mut accepted, mut rejected, mut with_errors) = (0, 0, 0, 0);
    for s in statuses {
        n += 1;
        match s {
            AckStatus::Accepted => accepted += 1,
            AckStatus::Rejected => rejected += 1,
            AckStatus::AcceptedWithErrors => with_errors += 1,
            AckStatus::PartiallyAccepted => {}
        }
    }
    if n == 0 || rejected == n {
        AckStatus::Rejected
    } else if accepted == n {
        AckStatus::Accepted
    } else if accepted + with_errors == n {
        AckStatus::AcceptedWithErrors
    } else {
        AckStatus::PartiallyAccepted
    }
}

impl Ack999 {
    /// The group's outcome, from AK901.
    pub fn status(&self) -> AckStatus {
        self.response.code.status()
    }

    /// The transaction sets that were rejected.
    pub fn rejected(&self) -> impl Iterator<Item = &TransactionAck> {
        self.transactions.iter().filter(|t| !t.is_accepted())
    }

    /// The acknowledgement of our transaction set with ST02 = `control_number`.
    pub fn transaction(&self, control_number: &str) -> Option<&TransactionAck> {
        self.transactions.iter().find(|t| t.control_number == control_number)
    }

    /// An acknowledgement accepting every listed transaction set `(ST01, ST02, ST03)` of a group.
    pub fn accept_all(
        control_number: &str,
        functional_id: &str,
        group_control_number: u32,
        version: &str,
        sets: &[(&str, &str, Option<&str>)],
    ) -> Self {
        let n = sets.len() as u32;
        Ack999 {
            control_number: control_number.into(),
            implementation: IMPLEMENTATION.into(),
            group: AckedGroup {
                functional_id: functional_id.into(),
                control_number: group_control_number,
                version: Some(version.into()),
            },
            transactions: sets
                .iter()
                .map(|(id, ctl, imp)| TransactionAck {
                    transaction_id: (*id).into(),
                    control_number: (*ctl).into(),
                    implementation: imp.map(Str::from),
                    segment_errors: vec![],
                    response: TransactionResponse { code: AckCode::Accepted, errors: vec![] },
                })
                .collect(),
            response: GroupResponse { code: AckCode::Accepted, included: n, received: n, accepted: n, errors: vec![] },
        }
    }
}

impl TransactionAck {
    /// IK501 is `A` or `E`.
    pub fn is_accepted(&self) -> bool {
        matches!(self.response.code.status(), AckStatus::Accepted | AckStatus::AcceptedWithErrors)
    }

    pub fn is_rejected(&self) -> bool {
        !self.is_accepted()
    }

    pub fn status(&self) -> AckStatus {
        self.response.code.status()
    }
}

/// `batch 28 (HC) accepted: 1 of 1 transaction sets accepted`, then each transaction set that was
/// not simply accepted. Codes, control numbers and positions only: no values from our data.
impl fmt::Display for Ack999 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.response;
        write!(
            f,
            "batch {} ({}) {}: {} of {} transaction sets accepted",
            self.group.control_number,
            self.group.functional_id,
            self.status(),
            r.accepted,
            r.included
        )?;
        if !r.errors.is_empty() {
            f.write_str(", group errors ")?;
            codes(f, &r.errors, group_error_text)?;
        }
        for t in &self.transactions {
            if t.response.code != AckCode::Accepted || !t.segment_errors.is_empty() {
                write!(f, "; {t}")?;
            }
        }
        Ok(())
    }
}

/// `transaction 0028 (837) rejected because IK3 NM at 17: code 8 (...)`.
impl fmt::Display for TransactionAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transaction {} ({}) {}", self.control_number, self.transaction_id, self.status())?;
        let mut sep = if self.is_accepted() { " with " } else { " because " };
        for e in &self.segment_errors {
            write!(f, "{sep}{e}")?;
            sep = "; ";
        }
        if !self.response.errors.is_empty() {
            write!(f, "{sep}IK5 ")?;
            codes(f, &self.response.errors, transaction_error_text)?;
        }
        Ok(())
    }
}

/// `IK3 NM1 at 17 (loop 2010): code 8 (segment has data element errors), element 03: code 7 (...)`.
impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IK3 {} at {}", self.segment_id, self.position)?;
        if let Some(l) = &self.loop_id {
            write!(f, " (loop {l})")?;
        }
        if let Some(c) = &self.code {
            f.write_str(": ")?;
            codes(f, std::slice::from_ref(c), segment_error_text)?;
        }
        for e in &self.element_errors {
            write!(f, ", {e}")?;
        }
        Ok(())
    }
}

/// `element 03 (ref 1035): code 7 (invalid code value)`; never the bad data.
impl fmt::Display for ElementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "element {}", self.position)?;
        if let Some(r) = self.reference {
            write!(f, " (ref {r})")?;
        }
        f.write_str(": ")?;
        codes(f, std::slice::from_ref(&self.code), element_error_text)
    }
}

fn codes(f: &mut fmt::Formatter<'_>, codes: &[Str], text: fn(&str) -> Option<&'static str>) -> fmt::Result {
    for (i, c) in codes.iter().enumerate() {
        let sep = if i == 0 { "code " } else { ", code " };
        match text(c) {
            Some(t) => write!(f, "{sep}{c} ({t})")?,
            None => write!(f, "{sep}{c}")?,
        }
    }
    Ok(())
}

/// IK304, segment syntax error codes.
pub fn segment_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "unrecognized segment ID",
        "2" => "unexpected segment",
        "3" => "required segment missing",
        "4" => "loop occurs over maximum times",
        "5" => "segment exceeds maximum use",
        "6" => "segment not in defined transaction set",
        "7" => "segment not in proper sequence",
        "8" => "segment has data element errors",
        "I4" => "implementation \"not used\" segment present",
        "I6" => "implementation dependent segment missing",
        "I7" => "implementation loop occurs under minimum times",
        "I8" => "implementation segment below minimum use",
        "I9" => "implementation dependent \"not used\" segment present",
        _ => return None,
    })
}

/// IK403, element syntax error codes.
pub fn element_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "required data element missing",
        "2" => "conditional required data element missing",
        "3" => "too many data elements",
        "4" => "data element too short",
        "5" => "data element too long",
        "6" => "invalid character in data element",
        "7" => "invalid code value",
        "8" => "invalid date",
        "9" => "invalid time",
        "10" => "exclusion condition violated",
        "12" => "too many repetitions",
        "13" => "too many components",
        "I6" => "code value not used in implementation",
        "I9" => "implementation dependent data element missing",
        "I10" => "implementation \"not used\" data element present",
        "I11" => "implementation too few repetitions",
        "I12" => "implementation pattern match failure",
        "I13" => "implementation dependent \"not used\" data element present",
        _ => return None,
    })
}

/// IK502..IK506, transaction set syntax error codes.
pub fn transaction_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "transaction set not supported",
        "2" => "transaction set trailer missing",
        "3" => "control number in header and trailer do not match",
        "4" => "number of included segments does not match actual count",
        "5" => "one or more segments in error",
        "6" => "missing or invalid transaction set identifier",
        "7" => "missing or invalid transaction set control number",
        "18" => "transaction set not in functional group",
        "19" => "invalid implementation convention reference",
        "23" => "control number not unique within the functional group",
        "I5" => "implementation one or more segments in error",
        "I6" => "implementation convention not supported",
        _ => return None,
    })
}

/// AK905..AK909, functional group syntax error codes.
pub fn group_error_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "functional group not supported",
        "2" => "functional group version not supported",
        "3" => "functional group trailer missing",
        "4" => "group control number in header and trailer do not agree",
        "5" => "number of included transaction sets does not match actual count",
        "6" => "group control number violates syntax",
        "19" => "functional group control number not unique within interchange",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads every 999 transaction set in `input`.
///
/// Envelope problems (counts, control numbers, a bad GS05 time) and segments out of place are
/// [`Finding`]s in the document. A missing AK1, IK5 or AK9 is [`X12Error::MissingSegment`]; a
/// transaction set that is not a 999 is [`X12Error::WrongTransaction`].
pub fn parse_999(input: &[u8]) -> Result<Document999> {
    let file = syntax::parse_interchanges(input)?;
    let mut findings = file.findings.clone();
    let mut interchanges = Vec::with_capacity(file.interchanges.len());
    let mut count = 0usize;
    for ic in &file.interchanges {
        let mut groups = Vec::with_capacity(ic.groups.len());
        for g in &ic.groups {
            if g.header.functional_id != "FA" {
                findings.push(Finding::warning(
                    "999.gs01",
                    Some(g.position),
                    "GS01 of a group of 999s should be FA (functional acknowledgement)",
                ));
            }
            let mut acks = Vec::with_capacity(g.transactions.len());
            for ts in &g.transactions {
                if ts.id != "999" {
                    return Err(wrong_transaction(ts.position, ts.id, "999", "parse_999 reads only 999s"));
                }
                let imp = ts.implementation.unwrap_or("");
                if !imp.starts_with("005010X231") {
                    findings.push(Finding::warning(
                        "999.version",
                        Some(ts.position),
                        "ST03 is not 005010X231A1; read as a 5010 999",
                    ));
                }
                acks.push(read_ack(ts.position, imp, ts.control_number, ts.segments(), &mut findings)?);
                count += 1;
            }
            groups.push(Group999 { header: g.header.clone(), acks });
        }
        interchanges.push(Interchange999 { header: ic.header.clone(), groups });
    }
    if count == 0 {
        let pos = file.interchanges.first().map_or(Position { segment: 1, offset: 0 }, |i| i.position);
        return Err(X12Error::WrongTransaction { pos, msg: "the file has no transaction set (expected a 999)".into() });
    }
    Ok(Document999 { interchanges, findings })
}

/// The error for an ST01 that is not the one asked for. ST01 is shown only when it looks like a
/// transaction set id (three digits), so garbage never reaches a message.
pub(crate) fn wrong_transaction(pos: Position, st01: &str, want: &str, why: &str) -> X12Error {
    let shown = if st01.len() == 3 && st01.bytes().all(|b| b.is_ascii_digit()) {
        format!("transaction set {st01}")
    } else {
        "a transaction set whose ST01 is not a transaction set id".to_string()
    };
    X12Error::WrongTransaction { pos, msg: format!("{shown} where a {want} was expected ({why})") }
}

/// An AK2 loop being read: the transaction ack without its IK5 yet.
struct OpenAk2 {
    pos: Position,
    transaction_id: Str,
    control_number: Str,
    implementation: Option<Str>,
    segment_errors: Vec<SegmentError>,
}

fn read_ack<'a>(
    st_pos: Position,
    implementation: &str,
    control_number: &str,
    segments: syntax::Segments<'a>,
    findings: &mut Vec<Finding>,
) -> Result<Ack999> {
    let segs: Vec<Segment<'a>> = segments.collect::<Result<_>>()?;
    let mut it = segs.iter();
    let ak1 = match it.next() {
        Some(s) if s.id() == "AK1" => s,
        Some(s) => return Err(missing(s.position(), "AK1", "as the first segment of the 999")),
        None => return Err(missing(st_pos, "AK1", "(the 999 has no segments between ST and SE)")),
    };
    let group = AckedGroup {
        functional_id: ak1.required(1)?.into(),
        control_number: crate::value::parse_control(ak1.required(2)?, 9).map_err(|m| ak1.error(2, m))?,
        version: ak1.opt_text(3),
    };
    let mut transactions = Vec::new();
    let mut open: Option<OpenAk2> = None;
    let mut response = None;
    for seg in it {
        if response.is_some() {
            unexpected(findings, seg, "after AK9");
            continue;
        }
        match seg.id() {
            "AK2" => {
                if let Some(o) = &open {
                    return Err(missing(o.pos, "IK5", "to close the AK2 loop before the next AK2"));
                }
                open = Some(OpenAk2 {
                    pos: seg.position(),
                    transaction_id: seg.required(1)?.into(),
                    control_number: seg.required(2)?.into(),
                    implementation: seg.opt_text(3),
                    segment_errors: Vec::new(),
                });
            }
            "IK3" => match open.as_mut() {
                Some(o) => o.segment_errors.push(SegmentError {
                    segment_id: seg.required(1)?.into(),
                    position: number(seg, 2)?,
                    loop_id: seg.opt_text(3),
                    code: seg.opt_text(4),
                    contexts: Vec::new(),
                    element_errors: Vec::new(),
                }),
                None => unexpected(findings, seg, "outside an AK2 loop"),
            },
            "IK4" => match open.as_mut().and_then(|o| o.segment_errors.last_mut()) {
                Some(e) => e.element_errors.push(ElementError {
                    position: element_position(seg, 1)?
                        .ok_or_else(|| seg.error(1, "is required but empty (IK401-1 element position)"))?,
                    reference: opt_number(seg, 2)?,
                    code: seg.required(3)?.into(),
                    bad_data: seg.opt_text(4),
                    contexts: Vec::new(),
                }),
                None => unexpected(findings, seg, "outside an IK3 loop"),
            },
            "CTX" => {
                let Some(e) = open.as_mut().and_then(|o| o.segment_errors.last_mut()) else {
                    unexpected(findings, seg, "outside an IK3 loop");
                    continue;
                };
                let ctx = read_ctx(seg)?;
                match e.element_errors.last_mut() {
                    Some(el) => el.contexts.push(ctx),
                    None => e.contexts.push(ctx),
                }
            }
            "IK5" => {
                let Some(o) = open.take() else {
                    unexpected(findings, seg, "outside an AK2 loop");
                    continue;
                };
                let code = ack_code(seg, 1)?;
                if code == AckCode::PartiallyAccepted {
                    return Err(seg.error(1, "is P (partially accepted), which only AK901 may use"));
                }
                transactions.push(TransactionAck {
                    transaction_id: o.transaction_id,
                    control_number: o.control_number,
                    implementation: o.implementation,
                    segment_errors: o.segment_errors,
                    response: TransactionResponse { code, errors: codes_in(seg, 2..=6) },
                });
            }
            "AK9" => {
                if let Some(o) = &open {
                    return Err(missing(o.pos, "IK5", "to close the AK2 loop before AK9"));
                }
                response = Some(GroupResponse {
                    code: ack_code(seg, 1)?,
                    included: number(seg, 2)?,
                    received: number(seg, 3)?,
                    accepted: number(seg, 4)?,
                    errors: codes_in(seg, 5..=9),
                });
            }
            _ => unexpected(findings, seg, "in a 999"),
        }
    }
    if let Some(o) = &open {
        return Err(missing(o.pos, "IK5", "to close the AK2 loop"));
    }
    let Some(response) = response else {
        return Err(missing(st_pos, "AK9", "(the 999 starting here has no AK9)"));
    };
    if response.code.status() == AckStatus::Accepted && transactions.iter().any(TransactionAck::is_rejected) {
        findings.push(Finding::error(
            "999.inconsistent",
            Some(st_pos),
            "AK901 says accepted but an IK501 rejects a transaction set",
        ));
    }
    Ok(Ack999 {
        control_number: control_number.into(),
        implementation: implementation.into(),
        group,
        transactions,
        response,
    })
}

fn missing(pos: Position, segment: &'static str, context: &str) -> X12Error {
    X12Error::MissingSegment { pos, segment, context: context.into() }
}

fn unexpected(findings: &mut Vec<Finding>, seg: &Segment<'_>, where_: &str) {
    findings.push(Finding::error(
        "999.unexpected_segment",
        Some(seg.position()),
        format!("{} {where_} is not part of a 999; skipped", seg.id()),
    ));
}

fn ack_code(seg: &Segment<'_>, i: usize) -> Result<AckCode> {
    AckCode::from_code(seg.required(i)?)
        .ok_or_else(|| seg.error(i, "is not an acknowledgement code (A, E, M, P, R, W or X)"))
}

fn codes_in(seg: &Segment<'_>, range: std::ops::RangeInclusive<usize>) -> Vec<Str> {
    range.filter_map(|i| seg.opt_text(i)).collect()
}

fn parse_number(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A required whole number (N0) element.
fn number(seg: &Segment<'_>, i: usize) -> Result<u32> {
    parse_number(seg.required(i)?).ok_or_else(|| seg.error(i, "is not a whole number"))
}

fn opt_number(seg: &Segment<'_>, i: usize) -> Result<Option<u32>> {
    match seg.opt(i) {
        None => Ok(None),
        Some(v) => parse_number(v).map(Some).ok_or_else(|| seg.error(i, "is not a whole number")),
    }
}

/// Composite `element:component:repeat` (IK401, CTX05), `None` when the element is empty.
fn element_position(seg: &Segment<'_>, i: usize) -> Result<Option<ElementPosition>> {
    if seg.opt(i).is_none() {
        return Ok(None);
    }
    let part = |j: usize| -> Result<Option<u32>> {
        let v = seg.component(i, j);
        if v.is_empty() {
            return Ok(None);
        }
        parse_number(v).map(Some).ok_or_else(|| seg.error(i, format!("component {j} is not a whole number")))
    };
    let element = part(1)?.ok_or_else(|| seg.error(i, "has no element position (component 1)"))?;
    Ok(Some(ElementPosition { element, component: part(2)?, repeat: part(3)? }))
}

fn read_ctx(seg: &Segment<'_>) -> Result<Context> {
    let name = seg.component(1, 1);
    if name.is_empty() {
        return Err(seg.error(1, "has no context name (CTX01-1)"));
    }
    let reference = seg.component(1, 2);
    let element_reference = match seg.component(6, 1) {
        "" => None,
        v => Some(parse_number(v).ok_or_else(|| seg.error(6, "component 1 is not a whole number"))?),
    };
    Ok(Context {
        name: name.into(),
        reference: (!reference.is_empty()).then(|| reference.into()),
        segment_id: seg.opt_text(2),
        segment_position: opt_number(seg, 3)?,
        loop_id: seg.opt_text(4),
        element_position: element_position(seg, 5)?,
        element_reference,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes the document's interchanges with the default delimiters (`*`, `:`, `^`, `~`).
pub fn write_999(doc: &Document999) -> Result<String> {
    write_999_with(doc, Delimiters::default())
}

/// Writes the document's interchanges with the given delimiters. Counts (SE01, GE01, IEA01) and
/// trailer control numbers are computed; a required value that is empty, or more codes than a
/// segment holds, is an [`X12Error::Write`].
pub fn write_999_with(doc: &Document999, delims: Delimiters) -> Result<String> {
    if doc.interchanges.is_empty() {
        return Err(write_err("document", "has no interchange to write"));
    }
    let mut w = Writer::new(delims);
    for ic in &doc.interchanges {
        w.isa(&ic.header)?;
        for g in &ic.groups {
            w.gs(&g.header);
            for ack in &g.acks {
                write_ack(&mut w, ack)?;
            }
            w.ge(g.acks.len(), &g.header);
        }
        w.iea(ic.groups.len(), &ic.header);
    }
    w.finish()
}

pub(crate) fn write_err(field: &str, msg: &str) -> X12Error {
    X12Error::Write { field: field.into(), msg: msg.into() }
}

/// A loop identifier (IK303, CTX04) is data element 447, at most four characters (`2010`, not `2010BA`).
fn loop_id<'v>(v: &'v Option<Str>, field: &str) -> Result<&'v str> {
    let v = v.as_deref().unwrap_or("");
    if v.len() > 4 {
        return Err(write_err(field, "is longer than the 4 characters of a loop identifier (data element 447)"));
    }
    Ok(v)
}

pub(crate) fn need<'v>(v: &'v str, field: &str) -> Result<&'v str> {
    if v.is_empty() {
        return Err(write_err(field, "is required but empty"));
    }
    Ok(v)
}

fn at_most<T>(items: &[T], n: usize, field: &str) -> Result<()> {
    if items.len() > n {
        return Err(write_err(field, &format!("holds at most {n} codes")));
    }
    Ok(())
}

fn write_ack(w: &mut Writer, a: &Ack999) -> Result<()> {
    w.reset_count();
    let ctl = need(&a.control_number, "ST02")?;
    w.seg("ST").el("999").field(ctl, "ST02").field(need(&a.implementation, "ST03")?, "ST03").end();
    let version = a.group.version.as_deref().ok_or_else(|| write_err("AK103", "is required but empty"))?;
    w.seg("AK1")
        .field(need(&a.group.functional_id, "AK101")?, "AK101")
        .el(&a.group.control_number.to_string())
        .field(version, "AK103")
        .end();
    for t in &a.transactions {
        w.seg("AK2")
            .field(need(&t.transaction_id, "AK201")?, "AK201")
            .field(need(&t.control_number, "AK202")?, "AK202")
            .field(t.implementation.as_deref().unwrap_or(""), "AK203")
            .end();
        for e in &t.segment_errors {
            w.seg("IK3")
                .field(need(&e.segment_id, "IK301")?, "IK301")
                .el(&e.position.to_string())
                .field(loop_id(&e.loop_id, "IK303")?, "IK303")
                .field(e.code.as_deref().unwrap_or(""), "IK304")
                .end();
            at_most(&e.contexts, 10, "IK3 contexts (CTX)")?;
            for c in &e.contexts {
                write_ctx(w, c)?;
            }
            for el in &e.element_errors {
                w.seg("IK4");
                composite_position(w, &el.position);
                w.el(&el.reference.map(|r| r.to_string()).unwrap_or_default())
                    .field(need(&el.code, "IK403")?, "IK403")
                    .field(el.bad_data.as_deref().unwrap_or(""), "IK404")
                    .end();
                at_most(&el.contexts, 10, "IK4 contexts (CTX)")?;
                for c in &el.contexts {
                    write_ctx(w, c)?;
                }
            }
        }
        if t.response.code == AckCode::PartiallyAccepted {
            return Err(write_err("IK501", "cannot be P (partially accepted); only AK901 can"));
        }
        at_most(&t.response.errors, 5, "IK502..IK506")?;
        w.seg("IK5").el(t.response.code.code());
        for c in &t.response.errors {
            w.field(c, "IK5 error code");
        }
        w.end();
    }
    let r = &a.response;
    at_most(&r.errors, 5, "AK905..AK909")?;
    w.seg("AK9").el(r.code.code()).el(&r.included.to_string()).el(&r.received.to_string()).el(&r.accepted.to_string());
    for c in &r.errors {
        w.field(c, "AK9 error code");
    }
    w.end();
    let n = w.count() + 1;
    w.seg("SE").el(&n.to_string()).field(ctl, "SE02").end();
    Ok(())
}

fn composite_position(w: &mut Writer, p: &ElementPosition) {
    let parts = [
        p.element.to_string(),
        p.component.map(|c| c.to_string()).unwrap_or_default(),
        p.repeat.map(|c| c.to_string()).unwrap_or_default(),
    ];
    w.composite(&[&parts[0], &parts[1], &parts[2]]);
}

fn write_ctx(w: &mut Writer, c: &Context) -> Result<()> {
    w.seg("CTX").composite(&[need(&c.name, "CTX01-1")?, c.reference.as_deref().unwrap_or("")]);
    w.field(c.segment_id.as_deref().unwrap_or(""), "CTX02")
        .el(&c.segment_position.map(|p| p.to_string()).unwrap_or_default())
        .field(loop_id(&c.loop_id, "CTX04")?, "CTX04");
    match &c.element_position {
        Some(p) => composite_position(w, p),
        None => {
            w.el("");
        }
    }
    w.el(&c.element_reference.map(|r| r.to_string()).unwrap_or_default());
    w.end();
    Ok(())
}
