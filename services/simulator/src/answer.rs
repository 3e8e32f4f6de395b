//! The pure answer to one 837P file: its 999, its 277CA and its 835.
//!
//! The 999 accepts each transaction set that reads as an 837P and rejects the others (IK3/IK5 at
//! the segment where reading stopped). The 277CA acknowledges every claim of the accepted sets,
//! accepting or rejecting it ([`crate::adjudicate::front_door`]); the 835 pays or denies the accepted
//! ones ([`crate::adjudicate::adjudicate`]). The same file and `today` give the same answer, byte for byte.

use crate::adjudicate::{self, Decision};
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
use rcm_x12::{X12Error, x837p::Transaction837};
use std::collections::BTreeMap;

/// The time of day written in every answer (the answer depends on the file and the date only).
pub fn answer_time() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).expect("noon")
}

/// Why a file gets no answer at all (a real clearinghouse would send a TA1).
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("not a readable X12 interchange: {0}")]
    Envelope(X12Error),
    #[error("cannot write the {0}: {1}")]
    Write(&'static str, X12Error),
}

/// One claim as the payer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAnswer {
    pub patient_control_number: Str,
    pub payer_id: Str,
    pub decision: Decision,
}

/// The answer to one 837P file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub ack999: String,
    /// `None` when no transaction set could be read (no claim to acknowledge).
    pub ack277ca: Option<String>,
    /// `None` when no claim was accepted with something to adjudicate.
    pub era835: Option<String>,
    /// Transaction sets rejected by the 999, by ST02.
    pub rejected_sets: Vec<Str>,
    pub claims: Vec<ClaimAnswer>,
}

/// One transaction set of the file and what reading it gave.
struct SetRead {
    group: GroupHeader,
    st01: Str,
    st02: Str,
    st03: Option<Str>,
    read: Result<Transaction837, X12Error>,
    /// The segment id where reading stopped, and its position in the set (ST is 1).
    error_at: Option<(Str, u32)>,
}

/// Reads each transaction set on its own (a bad one does not spoil the others).
fn read_sets(text: &str) -> Result<(InterchangeHeader, Vec<SetRead>), AnswerError> {
    let file = syntax::parse_interchanges(text.as_bytes()).map_err(AnswerError::Envelope)?;
    let Some(first) = file.interchanges.first() else {
        return Err(AnswerError::Envelope(X12Error::NotX12("no interchange".into())));
    };
    let header = first.header.clone();
    let mut sets = Vec::new();
    for ic in &file.interchanges {
        let d = ic.delimiters;
        let isa = &text[ic.position.offset..];
        let isa = &isa[..segment_end(isa, d)];
        for g in &ic.groups {
            let gs = &text[g.position.offset..];
            let gs = &gs[..segment_end(gs, d)];
            for t in &g.transactions {
                let body = &text[t.position.offset..];
                let body = &body[..set_end(body, d)];
                let seg = d.segment as char;
                let el = d.element as char;
                let mini = format!(
                    "{isa}{gs}{body}GE{el}1{el}{ctl}{seg}IEA{el}1{el}{isa13:09}{seg}",
                    ctl = g.header.control_number,
                    isa13 = ic.header.control_number
                );
                let read = x837p::parse_837p(mini.as_bytes()).and_then(|doc| {
                    doc.interchanges
                        .into_iter()
                        .flat_map(|i| i.groups)
                        .flat_map(|g| g.transactions)
                        .next()
                        .ok_or_else(|| X12Error::NotX12("no transaction set".into()))
                });
                let error_at = read.as_ref().err().map(|e| locate(e, &mini, d));
                sets.push(SetRead {
                    group: g.header.clone(),
                    st01: t.id.into(),
                    st02: t.control_number.into(),
                    st03: t.implementation.map(Str::from),
                    read,
                    error_at,
                });
            }
        }
    }
    Ok((header, sets))
}

/// The length of the first segment of `s`, its terminator (and a following line break) included.
fn segment_end(s: &str, d: Delimiters) -> usize {
    let n = s.bytes().position(|b| b == d.segment).map_or(s.len(), |i| i + 1);
    n + s[n..].bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count()
}

/// The length of a transaction set from its ST through its SE.
fn set_end(s: &str, d: Delimiters) -> usize {
    let mut at = 0;
    while at < s.len() {
        let n = segment_end(&s[at..], d);
        let seg = s[at..at + n].trim_start();
        at += n;
        if seg.starts_with("SE") && seg.as_bytes().get(2) == Some(&d.element) {
            break;
        }
    }
    at
}

/// Where in the set reading failed: the segment's id and its position counting ST as 1 (the
/// mini interchange has ISA and GS before it).
fn locate(e: &X12Error, mini: &str, d: Delimiters) -> (Str, u32) {
    let Some(pos) = e.position() else { return ("ST".into(), 1) };
    let position = pos.segment.saturating_sub(2).max(1) as u32;
    if let X12Error::MissingSegment { segment, .. } = e {
        return ((*segment).into(), position);
    }
    let id = Segments::new(&mini[pos.offset.min(mini.len())..], d)
        .next()
        .and_then(|s| s.ok())
        .map(|s| Str::from(s.id()))
        .unwrap_or_else(|| "ST".into());
    (id, position)
}

fn element_number(e: &X12Error) -> Option<u32> {
    let X12Error::Element { element, .. } = e else { return None };
    let digits: String = element.chars().rev().take_while(char::is_ascii_digit).collect();
    let digits: String = digits.chars().rev().collect();
    digits.parse().ok().filter(|&n| n > 0 && n < 100)
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

/// Answers one 837P file.
pub fn answer(text: &str, today: NaiveDate) -> Result<Answer, AnswerError> {
    let (isa, sets) = read_sets(text)?;

    // 999: one acknowledgement per functional group.
    let mut acks: Vec<Ack999> = Vec::new();
    let mut group_order: Vec<u32> = Vec::new();
    let mut by_group: BTreeMap<u32, Vec<&SetRead>> = BTreeMap::new();
    for s in &sets {
        if !by_group.contains_key(&s.group.control_number) {
            group_order.push(s.group.control_number);
        }
        by_group.entry(s.group.control_number).or_default().push(s);
    }
    let mut rejected_sets = Vec::new();
    for (i, gs06) in group_order.iter().enumerate() {
        let group_sets = &by_group[gs06];
        let transactions: Vec<TransactionAck> = group_sets
            .iter()
            .map(|s| {
                let (code, errors, segment_errors) = match (&s.read, &s.error_at) {
                    (Ok(_), _) => (AckCode::Accepted, vec![], vec![]),
                    (Err(e), at) => {
                        rejected_sets.push(s.st02.clone());
                        let (segment_id, position) = at.clone().unwrap_or_else(|| ("ST".into(), 1));
                        let element_errors = element_number(e)
                            .map(|n| ElementError {
                                position: ElementPosition { element: n, component: None, repeat: None },
                                reference: None,
                                code: "7".into(),
                                bad_data: None,
                                contexts: vec![],
                            })
                            .into_iter()
                            .collect::<Vec<_>>();
                        let code = if matches!(e, X12Error::MissingSegment { .. }) { "3" } else { "8" };
                        let seg = SegmentError {
                            segment_id,
                            position,
                            loop_id: None,
                            code: Some(code.into()),
                            contexts: vec![],
                            element_errors,
                        };
                        (AckCode::Rejected, vec![Str::from("5")], vec![seg])
                    }
                };
                TransactionAck {
                    transaction_id: s.st01.clone(),
                    control_number: s.st02.clone(),
                    implementation: s.st03.clone(),
                    segment_errors,
                    response: TransactionResponse { code, errors },
                }
            })
            .collect();
        let n = transactions.len() as u32;
        let accepted = transactions.iter().filter(|t| t.is_accepted()).count() as u32;
        let code = match accepted {
            a if a == n => AckCode::Accepted,
            0 => AckCode::Rejected,
            _ => AckCode::PartiallyAccepted,
        };
        let g = &group_sets[0].group;
        acks.push(Ack999 {
            control_number: format_compact!("{:04}", i + 1),
            implementation: x999::IMPLEMENTATION.into(),
            group: AckedGroup {
                functional_id: g.functional_id.clone(),
                control_number: *gs06,
                version: Some(g.version.clone()),
            },
            transactions,
            response: GroupResponse { code, included: n, received: n, accepted, errors: vec![] },
        });
    }
    let first_group = sets.first().map(|s| s.group.clone()).unwrap_or_else(|| GroupHeader {
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

    // 277CA and 835 for the claims of the sets that were read.
    let read: Vec<&Transaction837> = sets.iter().filter_map(|s| s.read.as_ref().ok()).collect();
    let mut claims = Vec::new();
    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    for t in &read {
        for c in &t.claims {
            let key = adjudicate::content_hash(c).finish();
            let occurrence = seen.entry(key).or_default();
            let decision = adjudicate::decide(c, *occurrence, today);
            *occurrence += 1;
            claims.push(ClaimAnswer {
                patient_control_number: c.patient_control_number.clone(),
                payer_id: c.payer.id.clone(),
                decision,
            });
        }
    }
    let ack277ca = if read.is_empty() {
        None
    } else {
        let doc = build_277ca(&isa, &first_group, &read, &claims, today);
        Some(x277ca::write_277ca(&doc).map_err(|e| AnswerError::Write("277CA", e))?)
    };
    let era835 = era::write(&isa, &first_group, &read, &claims, today).map_err(|e| AnswerError::Write("835", e))?;
    Ok(Answer { ack999, ack277ca, era835, rejected_sets, claims })
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
