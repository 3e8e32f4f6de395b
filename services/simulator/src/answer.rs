//! The pure answer to one 837P file: its 999, its 277CA and its 835s.
//!
//! **999.** Each functional group gets an acknowledgement. A transaction set is rejected (IK5 `R`)
//! when it does not read as an 837P: a segment or element the reader cannot take (IK3 at the segment
//! where reading stopped, counting ST as 1, with IK4 for the element when the error names one), a
//! required segment missing (IK3 code 3), a transaction set that is not an 837 (IK502 1) or an
//! institutional 837 (I6), an SE count or control number that does not match (IK502 4, 3), or no SE
//! at all (IK502 2). A group whose GE is missing or does not match (GE01 count, GE02 control number)
//! is rejected whole (AK9 `R` with AK905 3, 5 or 4, and no AK2 loops). The envelope is read leniently
//! for this: a file whose structure is broken still gets a 999 as long as its ISA and GS can be read.
//! A file whose ISA cannot be read gets no answer (a real clearinghouse would send a TA1); nor does a
//! group whose GS cannot be read.
//!
//! **277CA and 835.** The 277CA acknowledges every claim of the accepted transaction sets,
//! accepting or rejecting it ([`crate::adjudicate::front_door`]); the 835s pay or deny the accepted
//! ones ([`crate::adjudicate`], [`crate::era`]). Nothing of a rejected set goes further.
//!
//! The same file, settings, `today` and answered-claims memory give the same answer, byte for byte.

use crate::adjudicate::{self, Decision};
use crate::answered::{AnsweredClaims, FirstAnswered, NoAnsweredClaims};
use crate::config::SimulatorConfig;
use crate::era;
use chrono::{NaiveDate, NaiveTime};
use compact_str::{CompactString as Str, format_compact};
use rcm_x12::syntax::{self, Delimiters, GroupHeader, InterchangeHeader, Segments};
use rcm_x12::x277ca::{
    self, BillingProvider, ClaimStatus, DateRange, Document277ca, Group277ca, InformationReceiver, InformationSource,
    Interchange277ca, Patient, StatusCode, StatusInfo, Totals, Transaction277ca,
};
use rcm_x12::x837p::{self, Claim, Name};
use rcm_x12::x999::{
    self, Ack999, AckCode, AckedGroup, Document999, ElementError, ElementPosition, Group999, GroupResponse,
    Interchange999, SegmentError, TransactionAck, TransactionResponse,
};
use rcm_x12::{Severity, X12Error, x837p::Transaction837};
use std::collections::BTreeMap;

/// The time of day written in every answer (the answer depends on the file and the date only).
pub fn answer_time() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).expect("noon")
}

/// Why a file gets no answer.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Not X12, or its (first) ISA cannot be read: no answer at all (a real clearinghouse would
    /// send a TA1).
    #[error("not a readable X12 interchange: {0}")]
    Envelope(X12Error),
    #[error("cannot write the {0}: {1}")]
    Write(&'static str, X12Error),
    /// The answered-claims memory cannot be read: try again later.
    #[error("cannot read the answered claims: {0}")]
    Answered(std::io::Error),
}

/// One claim as the payer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAnswer {
    pub patient_control_number: Str,
    pub payer_id: Str,
    pub decision: Decision,
    /// For a claim denied CO-18: the claim it duplicates.
    pub duplicate_of: Option<FirstAnswered>,
}

/// The answer to one 837P file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub ack999: String,
    /// `None` when no transaction set was accepted (no claim to acknowledge).
    pub ack277ca: Option<String>,
    /// `None` when no claim was accepted with something to adjudicate.
    pub era835: Option<String>,
    /// The later 835 (second parts of split claims, reversals and their corrections), to be made
    /// available after `era835`; `None` when no claim is split or reversed.
    pub later835: Option<String>,
    /// Transaction sets rejected by the 999 (those of rejected groups included), by ST02.
    pub rejected_sets: Vec<Str>,
    /// The claims of the accepted transaction sets, in file order.
    pub claims: Vec<ClaimAnswer>,
    /// What the answered-claims memory learns from this answer: the duplicate keys first seen here.
    pub remembered: Vec<(Str, FirstAnswered)>,
}

/// What became of one transaction set.
enum SetOutcome {
    Read(Box<Transaction837>),
    Rejected { errors: Vec<Str>, segment_errors: Vec<SegmentError> },
}

struct SetRead {
    st01: Str,
    st02: Str,
    st03: Option<Str>,
    outcome: SetOutcome,
}

struct GroupRead {
    header: GroupHeader,
    sets: Vec<SetRead>,
    /// GE01 as sent (`None` when there is no GE).
    ge01: Option<u32>,
    /// AK905..: the group is rejected whole when there is any.
    errors: Vec<Str>,
}

/// A group whose GE has not been seen yet.
struct OpenGroup<'a> {
    header: GroupHeader,
    gs_text: &'a str,
    sets: Vec<SetRead>,
}

/// A transaction set whose SE has not been seen yet: where its ST starts (in the interchange
/// body) and what it says.
struct OpenSet {
    offset: usize,
    st01: Str,
    st02: Str,
    st03: Option<Str>,
}

/// Reads the ISA at the start of `s`: its header, delimiters and length (terminator and line
/// break included), by the x12 crate's reader (on the ISA with an empty IEA after it).
fn read_isa(s: &str) -> Result<(InterchangeHeader, Delimiters, usize), X12Error> {
    let b = s.as_bytes();
    if !s.starts_with("ISA") || b.len() < 4 {
        return Err(X12Error::NotX12("the input does not start with an ISA segment".into()));
    }
    let el = b[3];
    // ISA16 follows the 16th element separator; the segment terminator follows it.
    let Some(sep16) = b.iter().enumerate().filter(|(_, c)| **c == el).nth(15).map(|(i, _)| i) else {
        return Err(X12Error::Truncated("the ISA segment is incomplete".into()));
    };
    if sep16 + 2 >= b.len() {
        return Err(X12Error::Truncated("the input ends inside the ISA segment".into()));
    }
    let term = b[sep16 + 2] as char;
    let isa = &s[..sep16 + 3];
    let isa13 = isa.split(el as char).nth(13).unwrap_or("").trim();
    let probe = format!("{isa}IEA{e}0{e}{isa13}{term}", e = el as char);
    let file = syntax::parse_interchanges(probe.as_bytes())?;
    let ic = file.interchanges.into_iter().next().ok_or_else(|| X12Error::NotX12("no interchange".into()))?;
    Ok((ic.header, ic.delimiters, segment_end(s, ic.delimiters)))
}

/// Reads the GS segment `gs` (terminator included) of the interchange whose ISA is `isa`.
fn read_gs(isa: &str, gs: &str, d: Delimiters, isa13: u32) -> Result<GroupHeader, X12Error> {
    let (e, t) = (d.element as char, d.segment as char);
    let gs06 = gs.trim_end().trim_end_matches(t).split(e).nth(6).unwrap_or("");
    let probe = format!("{isa}{gs}GE{e}0{e}{gs06}{t}IEA{e}1{e}{isa13:09}{t}");
    let file = syntax::parse_interchanges(probe.as_bytes())?;
    file.interchanges
        .into_iter()
        .flat_map(|i| i.groups)
        .next()
        .map(|g| g.header)
        .ok_or_else(|| X12Error::NotX12("no functional group".into()))
}

/// Reads every transaction set of the file on its own (a bad one does not spoil the others),
/// walking the envelopes leniently (see the module documentation). Returns the first ISA's header.
fn read_file(text: &str) -> Result<(InterchangeHeader, Vec<GroupRead>), AnswerError> {
    let mut at = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut first: Option<InterchangeHeader> = None;
    let mut groups = Vec::new();
    loop {
        at += text[at..].bytes().take_while(|b| b.is_ascii_whitespace()).count();
        if at >= text.len() {
            break;
        }
        let (header, d, isa_len) = match read_isa(&text[at..]) {
            Ok(isa) => isa,
            Err(e) if first.is_none() => return Err(AnswerError::Envelope(e)),
            Err(e) => {
                tracing::warn!(error = %e, "simulator: an interchange after the first cannot be read; ignored");
                break;
            }
        };
        first.get_or_insert_with(|| header.clone());
        let isa_text = &text[at..at + isa_len];
        let body = &text[at + isa_len..];
        let mut group: Option<OpenGroup<'_>> = None;
        let mut set: Option<OpenSet> = None;
        // Where the next interchange starts, in `body` (the end when this one has no IEA).
        let mut next = body.len();
        let mut skipping_group = false;
        for seg in Segments::new(body, d) {
            let seg = match seg {
                Ok(s) => s,
                // A segment that cannot be tokenized: the typed reading of its set reports it.
                Err(_) => continue,
            };
            let offset = seg.position().offset;
            let id = seg.id();
            if set.is_some() && id != "SE" && matches!(id, "ST" | "GS" | "GE" | "IEA" | "ISA") {
                let s = set.take().expect("checked");
                if let Some(g) = group.as_mut() {
                    g.sets.push(missing_trailer(s));
                }
            }
            match id {
                "GS" => {
                    if let Some(g) = group.take() {
                        groups.push(close_group(g, None, &["3"]));
                    }
                    let gs_text = &body[offset..offset + segment_end(&body[offset..], d)];
                    match read_gs(isa_text, gs_text, d, header.control_number) {
                        Ok(h) => {
                            skipping_group = false;
                            group = Some(OpenGroup { header: h, gs_text, sets: Vec::new() })
                        }
                        Err(e) => {
                            skipping_group = true;
                            tracing::warn!(error = %e, "simulator: a GS cannot be read; its group gets no answer");
                        }
                    }
                }
                "ST" => {
                    if group.is_none() {
                        if !skipping_group {
                            tracing::warn!("simulator: a transaction set outside a functional group; no answer");
                        }
                        continue;
                    }
                    set = Some(OpenSet {
                        offset,
                        st01: seg.element(1).into(),
                        st02: seg.element(2).into(),
                        st03: seg.opt(3).map(Str::from),
                    });
                }
                "SE" => {
                    let (Some(s), Some(g)) = (set.take(), group.as_mut()) else { continue };
                    let end = offset + segment_end(&body[offset..], d);
                    let outcome = read_set(isa_text, g.gs_text, &body[s.offset..end], &g.header, &header, d, &s.st01);
                    g.sets.push(SetRead { st01: s.st01, st02: s.st02, st03: s.st03, outcome });
                }
                "GE" => {
                    let Some(g) = group.take() else { continue };
                    let mut errors = Vec::new();
                    let ge01 = seg.element(1).parse::<u32>().ok();
                    if ge01 != Some(g.sets.len() as u32) {
                        errors.push("5");
                    }
                    if seg.element(2).parse::<u32>().ok() != Some(g.header.control_number) {
                        errors.push("4");
                    }
                    groups.push(close_group(g, ge01, &errors));
                }
                "IEA" | "ISA" => {
                    if let Some(g) = group.take() {
                        groups.push(close_group(g, None, &["3"]));
                    }
                    next = if id == "ISA" { offset } else { offset + segment_end(&body[offset..], d) };
                    break;
                }
                _ => {}
            }
        }
        if let Some(s) = set.take()
            && let Some(g) = group.as_mut()
        {
            g.sets.push(missing_trailer(s));
        }
        if let Some(g) = group.take() {
            groups.push(close_group(g, None, &["3"]));
        }
        at += isa_len + next;
    }
    let header = first.ok_or_else(|| AnswerError::Envelope(X12Error::NotX12("the input is empty".into())))?;
    if groups.is_empty() {
        return Err(AnswerError::Envelope(X12Error::NotX12("no readable functional group".into())));
    }
    Ok((header, groups))
}

fn close_group(g: OpenGroup<'_>, ge01: Option<u32>, errors: &[&str]) -> GroupRead {
    GroupRead { header: g.header, sets: g.sets, ge01, errors: errors.iter().map(|e| Str::from(*e)).collect() }
}

fn missing_trailer(s: OpenSet) -> SetRead {
    SetRead {
        st01: s.st01,
        st02: s.st02,
        st03: s.st03,
        outcome: SetOutcome::Rejected { errors: vec!["2".into()], segment_errors: vec![] },
    }
}

/// Reads one transaction set (`body`: ST through SE) as an 837P, in an interchange of its own (its
/// ISA and GS, then GE and IEA made to match), so that positions count from ISA 1, GS 2, ST 3.
fn read_set(
    isa: &str,
    gs: &str,
    body: &str,
    group: &GroupHeader,
    header: &InterchangeHeader,
    d: Delimiters,
    st01: &str,
) -> SetOutcome {
    let (e, t) = (d.element as char, d.segment as char);
    let mini = format!(
        "{isa}{gs}{body}GE{e}1{e}{ctl}{t}IEA{e}1{e}{isa13:09}{t}",
        ctl = group.control_number,
        isa13 = header.control_number
    );
    let rejected = |errors: &[&str], segment_errors: Vec<SegmentError>| SetOutcome::Rejected {
        errors: errors.iter().map(|e| Str::from(*e)).collect(),
        segment_errors,
    };
    let doc = match x837p::parse_837p(mini.as_bytes()) {
        Ok(doc) => doc,
        Err(X12Error::WrongTransaction { .. }) => return rejected(&[if st01 == "837" { "I6" } else { "1" }], vec![]),
        Err(err) => return rejected(&["5"], vec![segment_error(&err, &mini, d)]),
    };
    // The reader's checks: errors inside the set (its envelope's are ISA 1 and GS 2) reject it.
    let mut codes: Vec<&str> = Vec::new();
    let mut segment_errors = Vec::new();
    for f in doc.findings.iter().filter(|f| f.severity == Severity::Error) {
        let Some(pos) = f.position.filter(|p| p.segment >= 3) else { continue };
        let code = match f.code {
            "envelope.se_count" => "4",
            "envelope.se_control" => "3",
            _ => {
                segment_errors.push(SegmentError {
                    segment_id: segment_id_at(&mini, pos.offset, d),
                    position: (pos.segment - 2) as u32,
                    loop_id: None,
                    code: Some("8".into()),
                    contexts: vec![],
                    element_errors: vec![],
                });
                "5"
            }
        };
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if !codes.is_empty() {
        codes.truncate(5);
        return rejected(&codes, segment_errors);
    }
    match doc.interchanges.into_iter().flat_map(|i| i.groups).flat_map(|g| g.transactions).next() {
        Some(t) => SetOutcome::Read(Box::new(t)),
        None => rejected(&["5"], vec![]),
    }
}

/// The length of the first segment of `s`, its terminator (and a following line break) included.
fn segment_end(s: &str, d: Delimiters) -> usize {
    let n = s.bytes().position(|b| b == d.segment).map_or(s.len(), |i| i + 1);
    n + s[n..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count()
}

fn segment_id_at(mini: &str, offset: usize, d: Delimiters) -> Str {
    Segments::new(&mini[offset.min(mini.len())..], d)
        .next()
        .and_then(|s| s.ok())
        .map(|s| Str::from(s.id()))
        .unwrap_or_else(|| "ST".into())
}

/// The IK3 (and IK4) of a reading error, at the segment where reading stopped: its id and its
/// position counting ST as 1 (the mini interchange has ISA and GS before it).
fn segment_error(e: &X12Error, mini: &str, d: Delimiters) -> SegmentError {
    let (segment_id, position) = match (e, e.position()) {
        (_, None) => (Str::from("ST"), 1),
        (X12Error::MissingSegment { segment, .. }, Some(pos)) => {
            ((*segment).into(), pos.segment.saturating_sub(2).max(1))
        }
        (_, Some(pos)) => (segment_id_at(mini, pos.offset, d), pos.segment.saturating_sub(2).max(1)),
    };
    let code = match e {
        X12Error::MissingSegment { .. } => "3",
        X12Error::Syntax { .. } => "1",
        _ => "8",
    };
    let element_errors = match e {
        X12Error::Element { element, msg, .. } => element_number(element)
            .map(|n| ElementError {
                position: ElementPosition { element: n, component: None, repeat: None },
                reference: None,
                code: element_error_code(msg).into(),
                bad_data: None,
                contexts: vec![],
            })
            .into_iter()
            .collect(),
        _ => vec![],
    };
    SegmentError {
        segment_id,
        position: position as u32,
        loop_id: None,
        code: Some(code.into()),
        contexts: vec![],
        element_errors,
    }
}

/// The element's position from the reader's name for it (`CLM02`: the last two digits).
fn element_number(element: &str) -> Option<u32> {
    let digits = element.get(element.len().checked_sub(2)?..)?;
    digits.parse().ok().filter(|&n| n > 0)
}

/// IK403 from the reader's message (which never carries the value).
fn element_error_code(msg: &str) -> &'static str {
    if msg.contains("required") {
        "1"
    } else if msg.contains("date") {
        "8"
    } else if msg.contains("time") {
        "9"
    } else if msg.contains("amount") || msg.contains("number") || msg.contains("decimal") {
        "6"
    } else {
        "7"
    }
}

fn reply_header(of: &InterchangeHeader, today: NaiveDate) -> InterchangeHeader {
    let mut h = InterchangeHeader::new(&of.receiver_id, &of.sender_id, of.control_number, today, answer_time());
    h.sender_qualifier = of.receiver_qualifier.clone();
    h.receiver_qualifier = of.sender_qualifier.clone();
    h.usage = of.usage;
    h
}

fn reply_group(of: &GroupHeader, functional_id: &str, control: u32, version: &str, today: NaiveDate) -> GroupHeader {
    GroupHeader {
        functional_id: functional_id.into(),
        sender_code: of.receiver_code.clone(),
        receiver_code: of.sender_code.clone(),
        date: today,
        time: answer_time(),
        control_number: control,
        version: version.into(),
    }
}

/// The 999 acknowledgement of one group.
fn ack_group(g: &GroupRead, n: usize, rejected_sets: &mut Vec<Str>) -> Ack999 {
    let group = AckedGroup {
        functional_id: g.header.functional_id.clone(),
        control_number: g.header.control_number,
        version: Some(g.header.version.clone()),
    };
    let received = g.sets.len() as u32;
    if !g.errors.is_empty() {
        rejected_sets.extend(g.sets.iter().map(|s| s.st02.clone()));
        return Ack999 {
            control_number: format_compact!("{:04}", n + 1),
            implementation: x999::IMPLEMENTATION.into(),
            group,
            transactions: vec![],
            response: GroupResponse {
                code: AckCode::Rejected,
                included: g.ge01.unwrap_or(received),
                received,
                accepted: 0,
                errors: g.errors.clone(),
            },
        };
    }
    let transactions: Vec<TransactionAck> = g
        .sets
        .iter()
        .map(|s| {
            let (segment_errors, response) = match &s.outcome {
                SetOutcome::Read(_) => (vec![], TransactionResponse { code: AckCode::Accepted, errors: vec![] }),
                SetOutcome::Rejected { errors, segment_errors } => {
                    rejected_sets.push(s.st02.clone());
                    (segment_errors.clone(), TransactionResponse { code: AckCode::Rejected, errors: errors.clone() })
                }
            };
            TransactionAck {
                transaction_id: if s.st01.is_empty() { "837".into() } else { s.st01.clone() },
                control_number: if s.st02.is_empty() { "0000".into() } else { s.st02.clone() },
                implementation: s.st03.clone(),
                segment_errors,
                response,
            }
        })
        .collect();
    let accepted = transactions.iter().filter(|t| t.is_accepted()).count() as u32;
    let code = match accepted {
        a if a == received => AckCode::Accepted,
        0 => AckCode::Rejected,
        _ => AckCode::PartiallyAccepted,
    };
    Ack999 {
        control_number: format_compact!("{:04}", n + 1),
        implementation: x999::IMPLEMENTATION.into(),
        group,
        transactions,
        response: GroupResponse { code, included: received, received, accepted, errors: vec![] },
    }
}

/// Answers one 837P file with the default settings and a payer that remembers no earlier claim.
pub fn answer(text: &str, today: NaiveDate) -> Result<Answer, AnswerError> {
    answer_with(text, today, &SimulatorConfig::default(), "", &NoAnsweredClaims)
}

/// Answers one 837P file named `file` (for the answered-claims memory) with the payer of `config`
/// and what it remembers of earlier answers.
pub fn answer_with(
    text: &str,
    today: NaiveDate,
    config: &SimulatorConfig,
    file: &str,
    answered: &dyn AnsweredClaims,
) -> Result<Answer, AnswerError> {
    let (isa, groups) = read_file(text)?;

    // 999: one acknowledgement per functional group.
    let mut rejected_sets = Vec::new();
    let acks: Vec<Ack999> = groups.iter().enumerate().map(|(n, g)| ack_group(g, n, &mut rejected_sets)).collect();
    let first_group = groups.first().map(|g| g.header.clone()).unwrap_or_else(|| GroupHeader {
        functional_id: "HC".into(),
        sender_code: isa.sender_id.clone(),
        receiver_code: isa.receiver_id.clone(),
        date: today,
        time: answer_time(),
        control_number: isa.control_number,
        version: x837p::VERSION.into(),
    });
    let doc999 = Document999 {
        interchanges: vec![Interchange999 {
            header: reply_header(&isa, today),
            groups: vec![Group999 {
                header: reply_group(&first_group, "FA", isa.control_number, x999::IMPLEMENTATION, today),
                acks,
            }],
        }],
        findings: vec![],
    };
    let ack999 = x999::write_999(&doc999).map_err(|e| AnswerError::Write("999", e))?;

    // 277CA and 835 for the claims of the accepted sets.
    let read: Vec<&Transaction837> = groups
        .iter()
        .filter(|g| g.errors.is_empty())
        .flat_map(|g| &g.sets)
        .filter_map(|s| match &s.outcome {
            SetOutcome::Read(t) => Some(&**t),
            SetOutcome::Rejected { .. } => None,
        })
        .collect();
    let mut claims = Vec::new();
    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    // Duplicate keys first seen in this file, and where.
    let mut here: BTreeMap<Str, FirstAnswered> = BTreeMap::new();
    let mut remembered = Vec::new();
    for (ordinal, c) in read.iter().flat_map(|t| &t.claims).enumerate() {
        let me = FirstAnswered { file: file.to_string(), claim: ordinal as u32 };
        let key = adjudicate::content_hash(c, config.seed).finish();
        let occurrence = seen.entry(key).or_default();
        let adjudicated = c.frequency != "8" && adjudicate::front_door(c, today, config).is_none();
        let mut duplicate_of = None;
        if adjudicated && let Some(dkey) = adjudicate::duplicate_key(c) {
            let first = match here.get(&dkey) {
                Some(f) => Some(f.clone()),
                None => answered.first(&dkey).map_err(AnswerError::Answered)?,
            };
            duplicate_of = first.filter(|f| *f != me);
            if duplicate_of.is_none() && !here.contains_key(&dkey) {
                here.insert(dkey.clone(), me.clone());
                remembered.push((dkey, me));
            }
        }
        let decision = adjudicate::decide(c, *occurrence, today, config, duplicate_of.is_some());
        *occurrence += 1;
        claims.push(ClaimAnswer {
            patient_control_number: c.patient_control_number.clone(),
            payer_id: c.payer.id.clone(),
            decision,
            duplicate_of,
        });
    }
    let ack277ca = if read.is_empty() {
        None
    } else {
        let doc = build_277ca(&isa, &first_group, &read, &claims, today);
        Some(x277ca::write_277ca(&doc).map_err(|e| AnswerError::Write("277CA", e))?)
    };
    let eras =
        era::write(&isa, &first_group, &read, &claims, today, config.seed).map_err(|e| AnswerError::Write("835", e))?;
    Ok(Answer { ack999, ack277ca, era835: eras.first, later835: eras.later, rejected_sets, claims, remembered })
}

fn stc(
    category: &str,
    code: &str,
    entity: Option<&str>,
    date: Option<NaiveDate>,
    action: &str,
    amount: Option<i64>,
) -> StatusInfo {
    StatusInfo {
        status: StatusCode::new(category, code, entity),
        additional: vec![],
        date,
        action: Some(action.into()),
        amount,
        message: None,
    }
}

fn totals(accepted: &[i64], rejected: &[i64]) -> Totals {
    let some = |v: &[i64]| (!v.is_empty()).then_some(v.len() as u32);
    let sum = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum());
    Totals {
        accepted_quantity: some(accepted),
        rejected_quantity: some(rejected),
        accepted_amount: sum(accepted),
        rejected_amount: sum(rejected),
    }
}

fn service_dates(c: &Claim) -> DateRange {
    let from = c.lines.iter().map(|l| l.service_date).min().unwrap_or_default();
    let to =
        c.lines.iter().map(|l| l.service_date_end.unwrap_or(l.service_date).max(l.service_date)).max().unwrap_or(from);
    DateRange { from, to }
}

/// The 277CA: one transaction set per 837 transaction set (its BHT03 as the receiver's trace), in
/// it one information source per payer, the submitter as the one receiver, one billing provider
/// per NPI and one patient per claim.
fn build_277ca(
    isa: &InterchangeHeader,
    group: &GroupHeader,
    read: &[&Transaction837],
    answers: &[ClaimAnswer],
    today: NaiveDate,
) -> Document277ca {
    let mut transactions = Vec::new();
    let mut i = 0;
    for (n, t) in read.iter().enumerate() {
        let decided: Vec<(&Claim, &Decision)> = t
            .claims
            .iter()
            .map(|c| {
                let d = &answers[i].decision;
                i += 1;
                (c, d)
            })
            .collect();
        let mut payers: Vec<(Str, Str)> = Vec::new();
        for (c, _) in &decided {
            if !payers.iter().any(|(id, _)| *id == c.payer.id) {
                payers.push((c.payer.id.clone(), c.payer.name.clone()));
            }
        }
        let sources = payers
            .into_iter()
            .map(|(payer_id, payer_name)| {
                let of_payer: Vec<&(&Claim, &Decision)> =
                    decided.iter().filter(|(c, _)| c.payer.id == payer_id).collect();
                source(isa, t, payer_id, payer_name, &of_payer, today)
            })
            .collect();
        transactions.push(Transaction277ca {
            control_number: format_compact!("{:04}", n + 1),
            reference: format_compact!("ACK{:09}{:04}", isa.control_number, n + 1),
            created_date: today,
            created_time: answer_time(),
            sources,
        });
    }
    Document277ca {
        interchanges: vec![Interchange277ca {
            header: reply_header(isa, today),
            groups: vec![Group277ca {
                header: reply_group(group, "HN", isa.control_number, x277ca::IMPLEMENTATION, today),
                transactions,
            }],
        }],
        findings: vec![],
    }
}

/// Loop 2000A for one payer's claims of one 837 transaction set.
fn source(
    isa: &InterchangeHeader,
    t: &Transaction837,
    payer_id: Str,
    payer_name: Str,
    claims: &[&(&Claim, &Decision)],
    today: NaiveDate,
) -> InformationSource {
    let mut npis: Vec<Str> = Vec::new();
    for (c, _) in claims {
        if !npis.contains(&c.billing_provider.npi) {
            npis.push(c.billing_provider.npi.clone());
        }
    }
    let (mut acc_all, mut rej_all) = (Vec::new(), Vec::new());
    let mut providers = Vec::new();
    for npi in npis {
        let mut patients = Vec::new();
        let (mut acc, mut rej) = (Vec::new(), Vec::new());
        let mut name = Name::default();
        for (c, d) in claims.iter().filter(|(c, _)| c.billing_provider.npi == npi) {
            name = c.billing_provider.name.clone();
            let (status, pccn) = match d {
                Decision::Accepted { payer_claim_control_number, .. } => {
                    acc.push(c.total_charge);
                    let s = stc("A2", "20", None, Some(today), "WQ", Some(c.total_charge));
                    (s, Some(payer_claim_control_number.clone()))
                }
                Decision::Rejected(r) => {
                    rej.push(c.total_charge);
                    let s = &r.status;
                    (stc(&s.category, &s.code, s.entity.as_deref(), Some(today), "U", Some(c.total_charge)), None)
                }
            };
            let pname = match &c.patient {
                Some(p) => p.name.clone(),
                None => c.subscriber.name.clone(),
            };
            patients.push(Patient {
                name: pname,
                id_qualifier: "MI".into(),
                member_id: c.subscriber.member_id.clone(),
                claims: vec![ClaimStatus {
                    patient_control_number: c.patient_control_number.clone(),
                    statuses: vec![status],
                    payer_claim_control_number: pccn,
                    clearinghouse_trace: None,
                    bill_type: None,
                    service_dates: Some(service_dates(c)),
                    lines: vec![],
                }],
            });
        }
        let total: i64 = acc.iter().chain(rej.iter()).sum();
        providers.push(BillingProvider {
            name,
            id_qualifier: "XX".into(),
            id: npi.clone(),
            trace: Some(npi.clone()),
            statuses: vec![stc("A1", "19", Some("PR"), None, "WQ", Some(total))],
            secondary_id: None,
            totals: totals(&acc, &rej),
            patients,
        });
        acc_all.extend(acc);
        rej_all.extend(rej);
    }
    let total: i64 = acc_all.iter().chain(rej_all.iter()).sum();
    InformationSource {
        entity: "PR".into(),
        name: payer_name,
        id_qualifier: "PI".into(),
        id: payer_id,
        trace: Some(format_compact!("{:09}", isa.control_number)),
        received: Some(today),
        processed: Some(today),
        receivers: vec![InformationReceiver {
            name: t.submitter.name.clone(),
            id_qualifier: "46".into(),
            id: t.submitter.id.clone(),
            trace: t.reference.clone(),
            statuses: vec![stc("A1", "19", Some("PR"), Some(today), "WQ", Some(total))],
            totals: totals(&acc_all, &rej_all),
            providers,
        }],
    }
}
