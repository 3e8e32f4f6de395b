//! 277CA (005010X214): the health care claim acknowledgement.
//!
//! A 277CA says, claim by claim, whether the payer or clearinghouse took our 837 claims into
//! adjudication. The model keeps the hierarchy of the file: information source (2000A, the payer),
//! information receiver (2000B, us, with batch-level statuses and totals), billing provider (2000C),
//! patient (2000D) and the patient's claims (2200D) with their service lines (2220D).
//! [`Document277ca::claims`] flattens it to one [`ClaimAck`] per claim for the submission service.
//!
//! Whether a claim was accepted is derived from the category codes of its claim-level STC segments
//! (see [`Disposition`] and [`category_disposition`]).
//!
//! The 277 claim status response (005010X212, the answer to a 276) shares ST01 `277` but has a
//! different hierarchy (subscriber/dependent levels 22/23 instead of PT): [`parse_277ca`] rejects it
//! with [`X12Error::WrongTransaction`] rather than misreading it.
//!
//! Leniency: the reader requires what it cannot do without (BHT, an NM1 after each HL, TRN at the
//! receiver and claim levels, an STC per claim). Segments the guide requires but a claim
//! acknowledgement can be used without (2200A TRN/DTP, 2200B STC, 2200C TRN, claim DTP*472, line STC)
//! are reported as findings when absent. The billing provider STC (2200C), which many real 277CAs omit,
//! is optional and not reported; the writer requires it, because pyx12 does.

use crate::error::{Finding, Position, Result, X12Error};
use crate::syntax::{self, Delimiters, GroupHeader, InterchangeHeader, Segment, Writer};
use crate::value;
use crate::x837p::{Name, PersonName};
use crate::x999::{need, write_err, wrong_transaction};
use chrono::{NaiveDate, NaiveTime, Timelike};
use compact_str::CompactString as Str;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The implementation convention this module reads and writes in ST03.
pub const IMPLEMENTATION: &str = "005010X214";

/// Every 277CA in a file, with the findings about the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document277ca {
    pub interchanges: Vec<Interchange277ca>,
    pub findings: Vec<Finding>,
}

/// One ISA..IEA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange277ca {
    pub header: InterchangeHeader,
    pub groups: Vec<Group277ca>,
}

/// One GS..GE (functional id `HN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group277ca {
    pub header: GroupHeader,
    pub transactions: Vec<Transaction277ca>,
}

/// One ST..SE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction277ca {
    /// ST02.
    pub control_number: Str,
    /// BHT03, the originator's reference for this acknowledgement.
    pub reference: Str,
    /// BHT04.
    pub created_date: NaiveDate,
    /// BHT05.
    pub created_time: NaiveTime,
    /// Loops 2000A.
    pub sources: Vec<InformationSource>,
}

/// Loop 2000A: the payer or clearinghouse that sends the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationSource {
    /// NM101: `PR` payer or `AY` clearinghouse.
    pub entity: Str,
    /// NM103.
    pub name: Str,
    /// NM108: `46`, `FI`, `PI` or `XV`.
    pub id_qualifier: Str,
    /// NM109.
    pub id: Str,
    /// 2200A TRN02, the source's trace for this acknowledgement.
    pub trace: Option<Str>,
    /// DTP*050, when the source received our file.
    pub received: Option<NaiveDate>,
    /// DTP*009, when it processed it.
    pub processed: Option<NaiveDate>,
    /// Loops 2000B.
    pub receivers: Vec<InformationReceiver>,
}

/// Loop 2000B: the receiver of the acknowledgement (the submitter of the 837), with batch-level
/// statuses and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationReceiver {
    /// NM102..NM105.
    pub name: Name,
    /// NM108 (`46`, ETIN).
    pub id_qualifier: Str,
    /// NM109.
    pub id: Str,
    /// 2200B TRN02: the claim transaction batch number, i.e. the BHT03 of the 837 we sent.
    pub trace: Str,
    /// STC of the batch.
    pub statuses: Vec<StatusInfo>,
    /// QTY*90 / QTY*AA, AMT*YU / AMT*YY.
    pub totals: Totals,
    /// Loops 2000C.
    pub providers: Vec<BillingProvider>,
}

/// Loop 2000C: a billing provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingProvider {
    /// NM102..NM107.
    pub name: Name,
    /// NM108: `XX` (NPI), `FI` (tax id) or `SV`.
    pub id_qualifier: Str,
    /// NM109.
    pub id: Str,
    /// 2200C TRN02.
    pub trace: Option<Str>,
    /// 2200C STC (many real 277CAs have none; the writer needs at least one).
    pub statuses: Vec<StatusInfo>,
    /// 2200C REF (`TJ`, `0B`, `1G`, `G2`, `LU`, `SY`).
    pub secondary_id: Option<Reference>,
    /// QTY*QA / QTY*QC, AMT*YU / AMT*YY.
    pub totals: Totals,
    /// Loops 2000D.
    pub patients: Vec<Patient>,
}

impl BillingProvider {
    /// NM109 when NM108 is `XX`.
    pub fn npi(&self) -> Option<&str> {
        (self.id_qualifier == "XX").then_some(self.id.as_str())
    }
}

/// Loop 2000D: a patient and the claims acknowledged for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    /// NM103..NM105, NM107.
    pub name: PersonName,
    /// NM108: `MI` member id or `II` unique health identifier.
    pub id_qualifier: Str,
    /// NM109.
    pub member_id: Str,
    /// Loops 2200D.
    pub claims: Vec<ClaimStatus>,
}

/// Loop 2200D: the acknowledgement of one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimStatus {
    /// TRN*2 TRN02: our patient control number (the CLM01 we sent).
    pub patient_control_number: Str,
    /// STC (at least one).
    pub statuses: Vec<StatusInfo>,
    /// REF*1K.
    pub payer_claim_control_number: Option<Str>,
    /// REF*D9.
    pub clearinghouse_trace: Option<Str>,
    /// REF*BLT, institutional bill type.
    pub bill_type: Option<Str>,
    /// DTP*472.
    pub service_dates: Option<DateRange>,
    /// Loops 2220D.
    pub lines: Vec<LineStatus>,
}

/// Loop 2220D: the acknowledgement of one service line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStatus {
    /// SVC01.
    pub procedure: Procedure,
    /// SVC02, line charge in cents.
    pub charge: i64,
    /// SVC04.
    pub revenue_code: Option<Str>,
    /// SVC07.
    pub units: Option<Decimal>,
    /// STC.
    pub statuses: Vec<StatusInfo>,
    /// REF*FJ, our line item control number (the REF*6R we sent).
    pub line_item_control_number: Option<Str>,
    /// REF*XZ.
    pub prescription_number: Option<Str>,
    /// DTP*472.
    pub service_dates: Option<DateRange>,
}

/// SVC01: a procedure, revenue or drug code with its modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    /// SVC01-1: `HC`, `AD`, `ER`, `HP`, `IV`, `NU`, `WK`, ...
    pub qualifier: Str,
    /// SVC01-2.
    pub code: Str,
    /// SVC01-3..SVC01-6.
    pub modifiers: Vec<Str>,
}

/// A REF qualifier and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: Str,
    pub value: Str,
}

/// Accepted and rejected counts and amounts (QTY and AMT at the 2200B and 2200C levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    pub accepted_quantity: Option<u32>,
    pub rejected_quantity: Option<u32>,
    /// Cents.
    pub accepted_amount: Option<i64>,
    /// Cents.
    pub rejected_amount: Option<i64>,
}

/// A DTP date or date range (`D8` gives `from == to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn day(d: NaiveDate) -> Self {
        DateRange { from: d, to: d }
    }
}

/// One STC segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// STC01.
    pub status: StatusCode,
    /// STC10 and STC11 (at most two).
    pub additional: Vec<StatusCode>,
    /// STC02, the status effective date (not used at the billing provider level).
    pub date: Option<NaiveDate>,
    /// STC03, action code: `WQ` accepted, `U` rejected.
    pub action: Option<Str>,
    /// STC04, total submitted charges in cents (not used at the service line level).
    pub amount: Option<i64>,
    /// STC12, free-form message (claim level only).
    pub message: Option<Str>,
}

impl StatusInfo {
    /// STC01, then STC10 and STC11.
    pub fn codes(&self) -> impl Iterator<Item = &StatusCode> {
        std::iter::once(&self.status).chain(self.additional.iter())
    }
}

/// A health care claim status composite (STC01, STC10, STC11): `A7:562:85`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCode {
    /// Health care claim status category code (code list 507), e.g. `A7`.
    pub category: Str,
    /// Health care claim status code (code list 508), e.g. `562`.
    pub code: Str,
    /// Entity identifier code (what the status is about), e.g. `85` billing provider.
    pub entity: Option<Str>,
}

impl StatusCode {
    pub fn new(category: &str, code: &str, entity: Option<&str>) -> Self {
        StatusCode { category: category.into(), code: code.into(), entity: entity.map(Str::from) }
    }

    pub fn disposition(&self) -> Disposition {
        category_disposition(&self.category)
    }
}

/// `A7:562:85`: codes only.
impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.category, self.code)?;
        if let Some(e) = &self.entity {
            write!(f, ":{e}")?;
        }
        Ok(())
    }
}

/// What a set of statuses says about a claim (or batch, or line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Taken in: category A0 (forwarded), A1 (received), A2 (accepted into adjudication), A5 (split),
    /// DR01, DR02 (data reporting receipt, acceptance) or DR08 (data reporting warning).
    Accepted,
    /// Returned: category A3 (unprocessable), A4 (not found), A6 (missing information), A7 (invalid
    /// information), A8 (relational field in error), DR03..DR07, E0 (error in submitted data),
    /// E3 (correction required) or E4 (trading partner requirement not met).
    Rejected,
    /// Neither (pending `P*`, finalized `F*`, requests `R*`, system status `E1`/`E2`, unknown codes).
    Other,
}

/// The disposition of one status category code.
pub fn category_disposition(category: &str) -> Disposition {
    match category {
        "A0" | "A1" | "A2" | "A5" | "DR01" | "DR02" | "DR08" => Disposition::Accepted,
        "A3" | "A4" | "A6" | "A7" | "A8" | "DR03" | "DR04" | "DR05" | "DR06" | "DR07" | "E0" | "E3" | "E4" => {
            Disposition::Rejected
        }
        _ => Disposition::Other,
    }
}

/// The rule for a claim: **rejected** if any category code in any of its STC segments (STC01, STC10,
/// STC11) is a rejection, else **accepted** if any is an acceptance, else [`Disposition::Other`].
/// A rejection anywhere wins, so `STC*A1:20` followed by `STC*A7:562:85` is a rejected claim.
pub fn disposition(statuses: &[StatusInfo]) -> Disposition {
    let mut any_accepted = false;
    for c in statuses.iter().flat_map(StatusInfo::codes) {
        match c.disposition() {
            Disposition::Rejected => return Disposition::Rejected,
            Disposition::Accepted => any_accepted = true,
            Disposition::Other => {}
        }
    }
    if any_accepted { Disposition::Accepted } else { Disposition::Other }
}

impl ClaimStatus {
    pub fn disposition(&self) -> Disposition {
        disposition(&self.statuses)
    }

    /// STC04 of the first claim-level STC that has one: the claim's total charge as the payer read it.
    pub fn total_charge(&self) -> Option<i64> {
        self.statuses.iter().find_map(|s| s.amount)
    }
}

impl LineStatus {
    pub fn disposition(&self) -> Disposition {
        disposition(&self.statuses)
    }
}

/// One claim's acknowledgement, flattened with what the levels above it say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimAck {
    /// TRN*2: the CLM01 we sent.
    pub patient_control_number: Str,
    /// REF*1K.
    pub payer_claim_control_number: Option<Str>,
    /// REF*D9.
    pub clearinghouse_trace: Option<Str>,
    /// REF*BLT.
    pub bill_type: Option<Str>,
    /// Claim-level STC segments.
    pub statuses: Vec<StatusInfo>,
    /// From the category codes of `statuses` (see [`disposition`]).
    pub disposition: Disposition,
    /// `disposition == Disposition::Accepted`.
    pub accepted: bool,
    /// STC04 of the first claim-level status that has one, in cents.
    pub total_charge: Option<i64>,
    /// DTP*472.
    pub service_dates: Option<DateRange>,
    /// 2100C NM109 when NM108 is `XX`.
    pub billing_provider_npi: Option<Str>,
    /// 2100D NM109.
    pub patient_member_id: Str,
    /// 2100A NM109: the payer or clearinghouse id.
    pub source_id: Str,
    /// 2200B TRN02: the BHT03 of our 837 batch.
    pub batch_trace: Str,
    pub lines: Vec<LineStatus>,
}

impl Document277ca {
    /// Every transaction set in the file.
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction277ca> {
        self.interchanges.iter().flat_map(|i| i.groups.iter().flat_map(|g| g.transactions.iter()))
    }

    /// One [`ClaimAck`] per claim (2200D loop), in file order.
    pub fn claims(&self) -> Vec<ClaimAck> {
        let mut out = Vec::new();
        for t in self.transactions() {
            for s in &t.sources {
                for r in &s.receivers {
                    for p in &r.providers {
                        for pt in &p.patients {
                            for c in &pt.claims {
                                let d = c.disposition();
                                out.push(ClaimAck {
                                    patient_control_number: c.patient_control_number.clone(),
                                    payer_claim_control_number: c.payer_claim_control_number.clone(),
                                    clearinghouse_trace: c.clearinghouse_trace.clone(),
                                    bill_type: c.bill_type.clone(),
                                    statuses: c.statuses.clone(),
                                    disposition: d,
                                    accepted: d == Disposition::Accepted,
                                    total_charge: c.total_charge(),
                                    service_dates: c.service_dates,
                                    billing_provider_npi: p.npi().map(Str::from),
                                    patient_member_id: pt.member_id.clone(),
                                    source_id: s.id.clone(),
                                    batch_trace: r.trace.clone(),
                                    lines: c.lines.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// The acknowledgement of the claim whose CLM01 was `patient_control_number` (the first, if the
    /// file has several).
    pub fn claim(&self, patient_control_number: &str) -> Option<ClaimAck> {
        self.claims().into_iter().find(|c| c.patient_control_number == patient_control_number)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads every 277CA transaction set in `input`.
///
/// Envelope problems and segments out of place are [`Finding`]s. A transaction set that is not a
/// 277, or is a 277 claim status response (005010X212) or any other 277 than 005010X214, is
/// [`X12Error::WrongTransaction`].
pub fn parse_277ca(input: &[u8]) -> Result<Document277ca> {
    let file = syntax::parse_interchanges(input)?;
    let mut findings = file.findings.clone();
    let mut interchanges = Vec::with_capacity(file.interchanges.len());
    let mut count = 0usize;
    for ic in &file.interchanges {
        let mut groups = Vec::with_capacity(ic.groups.len());
        for g in &ic.groups {
            if g.header.functional_id != "HN" {
                findings.push(Finding::warning(
                    "277ca.gs01",
                    Some(g.position),
                    "GS01 of a group of 277CAs should be HN",
                ));
            }
            let mut transactions = Vec::with_capacity(g.transactions.len());
            for ts in &g.transactions {
                if ts.id != "277" {
                    return Err(wrong_transaction(ts.position, ts.id, "277CA", "parse_277ca reads only 277CAs"));
                }
                let version = ts.implementation.unwrap_or(g.header.version.as_str());
                if version.contains("X212") {
                    return Err(X12Error::WrongTransaction {
                        pos: ts.position,
                        msg: "this 277 is a claim status response (005010X212, the answer to a 276), not a claim \
                              acknowledgement (277CA, 005010X214)"
                            .into(),
                    });
                }
                if !version.starts_with("005010X214") {
                    return Err(X12Error::WrongTransaction {
                        pos: ts.position,
                        msg: "this 277 does not name 005010X214 in ST03 (or GS08); only 277CAs are read".into(),
                    });
                }
                transactions.push(Reader::new(&mut findings).read(ts)?);
                count += 1;
            }
            groups.push(Group277ca { header: g.header.clone(), transactions });
        }
        interchanges.push(Interchange277ca { header: ic.header.clone(), groups });
    }
    if count == 0 {
        let pos = file.interchanges.first().map_or(Position { segment: 1, offset: 0 }, |i| i.position);
        return Err(X12Error::WrongTransaction {
            pos,
            msg: "the file has no transaction set (expected a 277CA)".into(),
        });
    }
    Ok(Document277ca { interchanges, findings })
}

/// Where in the hierarchy the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Header,
    Source,
    Receiver,
    Provider,
    Patient,
    Claim,
    Line,
}

struct Reader<'f> {
    findings: &'f mut Vec<Finding>,
    sources: Vec<InformationSource>,
    loc: Loc,
    /// HL01 of the open source, receiver, provider and patient levels.
    ids: [Str; 4],
    /// Positions of the open HL (for findings about the level) and of the open claim's TRN and line's SVC.
    level_pos: Position,
    claim_pos: Position,
    line_pos: Position,
}

fn missing(pos: Position, segment: &'static str, context: &str) -> X12Error {
    X12Error::MissingSegment { pos, segment, context: context.into() }
}

impl<'f> Reader<'f> {
    fn new(findings: &'f mut Vec<Finding>) -> Self {
        let p = Position { segment: 0, offset: 0 };
        Reader {
            findings,
            sources: Vec::new(),
            loc: Loc::Header,
            ids: Default::default(),
            level_pos: p,
            claim_pos: p,
            line_pos: p,
        }
    }

    fn read(mut self, ts: &syntax::TransactionSet<'_>) -> Result<Transaction277ca> {
        let segs: Vec<Segment<'_>> = ts.segments().collect::<Result<_>>()?;
        let bht = match segs.first() {
            Some(s) if s.id() == "BHT" => s,
            Some(s) => return Err(missing(s.position(), "BHT", "as the first segment of the 277CA")),
            None => return Err(missing(ts.position, "BHT", "(the 277CA has no segments between ST and SE)")),
        };
        if bht.element(1) != "0085" {
            self.findings.push(Finding::warning(
                "277ca.bht01",
                Some(bht.position()),
                "BHT01 is not 0085 (the 277CA hierarchical structure)",
            ));
        }
        let reference = bht.required(3)?.into();
        let created_date = bht.date(4)?;
        let created_time = value::parse_time(bht.required(5)?).map_err(|m| bht.error(5, m))?;
        let mut i = 1;
        while let Some(seg) = segs.get(i) {
            i += 1;
            if seg.id() == "HL" {
                let nm1 = match segs.get(i) {
                    Some(n) if n.id() == "NM1" => n,
                    _ => return Err(missing(seg.position(), "NM1", "after this HL (each level starts with a name)")),
                };
                i += 1;
                self.hl(seg, nm1)?;
            } else {
                self.segment(seg)?;
            }
        }
        self.leave(Loc::Header)?;
        if self.sources.is_empty() {
            return Err(missing(ts.position, "HL", "(the 277CA has no information source level, HL 20)"));
        }
        Ok(Transaction277ca {
            control_number: ts.control_number.into(),
            reference,
            created_date,
            created_time,
            sources: self.sources,
        })
    }

    /// Closes the open levels down to `to`, checking what each needs.
    fn leave(&mut self, to: Loc) -> Result<()> {
        if self.loc == Loc::Line {
            if self.line().is_some_and(|l| l.statuses.is_empty()) {
                let pos = self.line_pos;
                self.finding(pos, "277ca.missing_segment", "service line (SVC) has no STC");
            }
            self.loc = Loc::Claim;
        }
        if self.loc == Loc::Claim && to != Loc::Claim {
            if let Some(c) = self.claim() {
                if c.statuses.is_empty() {
                    return Err(missing(self.claim_pos, "STC", "for the claim whose TRN*2 is here"));
                }
                let no_dates = c.service_dates.is_none();
                if no_dates {
                    let pos = self.claim_pos;
                    self.finding(pos, "277ca.missing_segment", "claim has no DTP*472 service date");
                }
            }
            self.loc = Loc::Patient;
        }
        let loc = self.loc;
        match loc {
            Loc::Source => {
                if let Some(s) = self.sources.last() {
                    let gaps = [
                        (s.trace.is_none(), "information source level has no TRN (2200A)"),
                        (s.received.is_none(), "information source level has no DTP*050 receipt date"),
                        (s.processed.is_none(), "information source level has no DTP*009 process date"),
                    ];
                    let pos = self.level_pos;
                    for (gap, msg) in gaps {
                        if gap {
                            self.finding(pos, "277ca.missing_segment", msg);
                        }
                    }
                }
            }
            Loc::Receiver if self.receiver().is_some_and(|r| r.statuses.is_empty()) => {
                let pos = self.level_pos;
                self.finding(pos, "277ca.missing_segment", "information receiver level has no STC (2200B)");
            }
            Loc::Provider if self.provider().is_some_and(|p| p.trace.is_none()) => {
                let pos = self.level_pos;
                self.finding(pos, "277ca.missing_segment", "billing provider level has no TRN (2200C)");
            }
            _ => {}
        }
        Ok(())
    }

    fn finding(&mut self, pos: Position, code: &'static str, msg: &str) {
        self.findings.push(Finding::error(code, Some(pos), msg));
    }

    fn unexpected(&mut self, seg: &Segment<'_>, where_: &str) {
        self.findings.push(Finding::error(
            "277ca.unexpected_segment",
            Some(seg.position()),
            format!("{} is not expected {where_}; skipped", seg.id()),
        ));
    }

    fn receiver(&mut self) -> Option<&mut InformationReceiver> {
        self.sources.last_mut()?.receivers.last_mut()
    }

    fn provider(&mut self) -> Option<&mut BillingProvider> {
        self.receiver()?.providers.last_mut()
    }

    fn patient(&mut self) -> Option<&mut Patient> {
        self.provider()?.patients.last_mut()
    }

    fn claim(&mut self) -> Option<&mut ClaimStatus> {
        self.patient()?.claims.last_mut()
    }

    fn line(&mut self) -> Option<&mut LineStatus> {
        self.claim()?.lines.last_mut()
    }

    fn hl(&mut self, hl: &Segment<'_>, nm1: &Segment<'_>) -> Result<()> {
        self.leave(Loc::Header)?;
        let id: Str = hl.required(1)?.into();
        let parent = hl.element(2);
        let level = hl.required(3)?;
        let (depth, loc, want) = match level {
            "20" => (0, Loc::Source, ""),
            "21" => (1, Loc::Receiver, "information source (20)"),
            "19" => (2, Loc::Provider, "information receiver (21)"),
            "PT" => (3, Loc::Patient, "billing provider (19)"),
            "22" | "23" => {
                return Err(X12Error::WrongTransaction {
                    pos: hl.position(),
                    msg: "HL03 subscriber/dependent levels (22, 23) belong to a 277 claim status response, not a 277CA"
                        .into(),
                });
            }
            _ => return Err(hl.error(3, "is not a 277CA level (20, 21, 19 or PT)")),
        };
        if depth > 0 {
            let open = match depth {
                1 => !self.sources.is_empty(),
                2 => self.receiver().is_some(),
                _ => self.provider().is_some(),
            };
            if !open {
                return Err(missing(hl.position(), "HL", &format!("for the {want} level above this one")));
            }
            if self.ids.get(depth - 1).is_none_or(|p| p.as_str() != parent) {
                return Err(hl.error(2, format!("does not name the enclosing {want} level's HL01")));
            }
        }
        if let Some(slot) = self.ids.get_mut(depth) {
            *slot = id;
        }
        self.level_pos = hl.position();
        match loc {
            Loc::Source => self.sources.push(InformationSource {
                entity: nm1.required(1)?.into(),
                name: nm1.required(3)?.into(),
                id_qualifier: nm1.required(8)?.into(),
                id: nm1.required(9)?.into(),
                trace: None,
                received: None,
                processed: None,
                receivers: Vec::new(),
            }),
            Loc::Receiver => {
                let r = InformationReceiver {
                    name: read_name(nm1)?,
                    id_qualifier: nm1.required(8)?.into(),
                    id: nm1.required(9)?.into(),
                    trace: Str::default(),
                    statuses: Vec::new(),
                    totals: Totals::default(),
                    providers: Vec::new(),
                };
                if let Some(s) = self.sources.last_mut() {
                    s.receivers.push(r);
                }
            }
            Loc::Provider => {
                let p = BillingProvider {
                    name: read_name(nm1)?,
                    id_qualifier: nm1.required(8)?.into(),
                    id: nm1.required(9)?.into(),
                    trace: None,
                    statuses: Vec::new(),
                    secondary_id: None,
                    totals: Totals::default(),
                    patients: Vec::new(),
                };
                if let Some(r) = self.receiver() {
                    r.providers.push(p);
                }
            }
            _ => {
                let p = Patient {
                    name: person_name(nm1)?,
                    id_qualifier: nm1.required(8)?.into(),
                    member_id: nm1.required(9)?.into(),
                    claims: Vec::new(),
                };
                if let Some(pr) = self.provider() {
                    pr.patients.push(p);
                }
            }
        }
        self.loc = loc;
        Ok(())
    }

    fn segment(&mut self, seg: &Segment<'_>) -> Result<()> {
        match (self.loc, seg.id()) {
            (Loc::Header, _) => self.unexpected(seg, "before the first HL"),
            (Loc::Source, "TRN") => {
                let t = seg.required(2)?.into();
                if let Some(s) = self.sources.last_mut() {
                    s.trace = Some(t);
                }
            }
            (Loc::Source, "DTP") => {
                let d = match seg.element(2) {
                    "D8" => seg.date(3)?,
                    _ => return Err(seg.error(2, "must be D8 at the information source level")),
                };
                let which = seg.element(1);
                match (self.sources.last_mut(), which) {
                    (Some(s), "050") => s.received = Some(d),
                    (Some(s), "009") => s.processed = Some(d),
                    _ => self.unexpected(seg, "at the information source level (only DTP*050 and DTP*009)"),
                }
            }
            (Loc::Receiver, "TRN") => {
                let t = seg.required(2)?.into();
                if let Some(r) = self.receiver() {
                    r.trace = t;
                }
            }
            (Loc::Receiver, "STC") => {
                let s = read_stc(seg)?;
                if let Some(r) = self.receiver() {
                    r.statuses.push(s);
                }
            }
            (Loc::Receiver | Loc::Provider, "QTY" | "AMT") => {
                let totals = if self.loc == Loc::Receiver {
                    self.receiver().map(|r| &mut r.totals)
                } else {
                    self.provider().map(|p| &mut p.totals)
                };
                if let Some(t) = totals
                    && !read_total(seg, t)?
                {
                    self.unexpected(seg, "with this qualifier (QTY 90/AA/QA/QC, AMT YU/YY)");
                }
            }
            (Loc::Provider, "TRN") => {
                let t = seg.required(2)?.into();
                if let Some(p) = self.provider() {
                    p.trace = Some(t);
                }
            }
            (Loc::Provider, "STC") => {
                let s = read_stc(seg)?;
                if let Some(p) = self.provider() {
                    p.statuses.push(s);
                }
            }
            (Loc::Provider, "REF") => {
                let r = Reference { qualifier: seg.required(1)?.into(), value: seg.required(2)?.into() };
                if let Some(p) = self.provider() {
                    p.secondary_id = Some(r);
                }
            }
            (Loc::Patient | Loc::Claim | Loc::Line, "TRN") => {
                self.leave(Loc::Patient)?;
                let pcn = seg.required(2)?.into();
                self.claim_pos = seg.position();
                if let Some(p) = self.patient() {
                    p.claims.push(ClaimStatus {
                        patient_control_number: pcn,
                        statuses: Vec::new(),
                        payer_claim_control_number: None,
                        clearinghouse_trace: None,
                        bill_type: None,
                        service_dates: None,
                        lines: Vec::new(),
                    });
                }
                self.loc = Loc::Claim;
            }
            (Loc::Patient, "STC" | "REF" | "DTP" | "SVC") => {
                return Err(missing(seg.position(), "TRN", "(TRN*2, the claim's patient control number) before it"));
            }
            (Loc::Claim, "STC") => {
                let s = read_stc(seg)?;
                if let Some(c) = self.claim() {
                    c.statuses.push(s);
                }
            }
            (Loc::Claim, "REF") => {
                let v: Str = seg.required(2)?.into();
                let Some(c) = self.claim() else { return Ok(()) };
                match seg.element(1) {
                    "1K" => c.payer_claim_control_number = Some(v),
                    "D9" => c.clearinghouse_trace = Some(v),
                    "BLT" => c.bill_type = Some(v),
                    _ => self.unexpected(seg, "at the claim level (only REF*1K, REF*D9, REF*BLT)"),
                }
            }
            (Loc::Claim | Loc::Line, "DTP") => {
                if seg.element(1) != "472" {
                    self.unexpected(seg, "at the claim or line level (only DTP*472)");
                    return Ok(());
                }
                let d = read_period(seg)?;
                let target = if self.loc == Loc::Claim {
                    self.claim().map(|c| &mut c.service_dates)
                } else {
                    self.line().map(|l| &mut l.service_dates)
                };
                if let Some(t) = target {
                    *t = Some(d);
                }
            }
            (Loc::Claim | Loc::Line, "SVC") => {
                self.leave(Loc::Claim)?;
                let line = read_svc(seg)?;
                self.line_pos = seg.position();
                if let Some(c) = self.claim() {
                    c.lines.push(line);
                }
                self.loc = Loc::Line;
            }
            (Loc::Line, "STC") => {
                let s = read_stc(seg)?;
                if let Some(l) = self.line() {
                    l.statuses.push(s);
                }
            }
            (Loc::Line, "REF") => {
                let v: Str = seg.required(2)?.into();
                let Some(l) = self.line() else { return Ok(()) };
                match seg.element(1) {
                    "FJ" => l.line_item_control_number = Some(v),
                    "XZ" => l.prescription_number = Some(v),
                    _ => self.unexpected(seg, "at the service line level (only REF*FJ, REF*XZ)"),
                }
            }
            _ => self.unexpected(seg, "at this level of a 277CA"),
        }
        Ok(())
    }
}

fn read_name(nm1: &Segment<'_>) -> Result<Name> {
    match nm1.element(2) {
        "2" => Ok(Name::Organization { name: nm1.required(3)?.into() }),
        "1" => Ok(Name::Person(person_name(nm1)?)),
        _ => Err(nm1.error(2, "must be 1 (person) or 2 (organization)")),
    }
}

fn person_name(nm1: &Segment<'_>) -> Result<PersonName> {
    Ok(PersonName {
        last: nm1.required(3)?.into(),
        first: nm1.opt_text(4),
        middle: nm1.opt_text(5),
        suffix: nm1.opt_text(7),
    })
}

fn status_code(seg: &Segment<'_>, i: usize) -> Result<StatusCode> {
    let (category, code) = (seg.component(i, 1), seg.component(i, 2));
    if category.is_empty() || code.is_empty() {
        return Err(seg.error(i, "needs a status category code and a status code (components 1 and 2)"));
    }
    let entity = seg.component(i, 3);
    Ok(StatusCode { category: category.into(), code: code.into(), entity: (!entity.is_empty()).then(|| entity.into()) })
}

fn read_stc(seg: &Segment<'_>) -> Result<StatusInfo> {
    let mut additional = Vec::new();
    for i in [10, 11] {
        if seg.opt(i).is_some() {
            additional.push(status_code(seg, i)?);
        }
    }
    Ok(StatusInfo {
        status: status_code(seg, 1)?,
        additional,
        date: seg.opt_date(2)?,
        action: seg.opt_text(3),
        amount: seg.opt_amount(4)?,
        message: seg.opt_text(12),
    })
}

/// A QTY or AMT into `t`; false when its qualifier is not one of the totals.
fn read_total(seg: &Segment<'_>, t: &mut Totals) -> Result<bool> {
    if seg.id() == "AMT" {
        let slot = match seg.element(1) {
            "YU" => &mut t.accepted_amount,
            "YY" => &mut t.rejected_amount,
            _ => return Ok(false),
        };
        *slot = Some(seg.amount(2)?);
        return Ok(true);
    }
    let slot = match seg.element(1) {
        "90" | "QA" => &mut t.accepted_quantity,
        "AA" | "QC" => &mut t.rejected_quantity,
        _ => return Ok(false),
    };
    let q = value::parse_decimal(seg.required(2)?).map_err(|m| seg.error(2, m))?;
    let n = if q.fract().is_zero() { q.to_u32() } else { None };
    *slot = Some(n.ok_or_else(|| seg.error(2, "is not a whole count"))?);
    Ok(true)
}

/// DTP*472 D8 or RD8.
fn read_period(seg: &Segment<'_>) -> Result<DateRange> {
    let v = seg.required(3)?;
    match seg.element(2) {
        "D8" => Ok(DateRange::day(seg.date(3)?)),
        "RD8" => {
            let (a, b) = v.split_once('-').ok_or_else(|| seg.error(3, "is not a CCYYMMDD-CCYYMMDD range"))?;
            let from = value::parse_date(a).map_err(|m| seg.error(3, format!("start {m}")))?;
            let to = value::parse_date(b).map_err(|m| seg.error(3, format!("end {m}")))?;
            Ok(DateRange { from, to })
        }
        _ => Err(seg.error(2, "must be D8 or RD8")),
    }
}

fn read_svc(seg: &Segment<'_>) -> Result<LineStatus> {
    let qualifier = seg.component(1, 1);
    let code = seg.component(1, 2);
    if qualifier.is_empty() || code.is_empty() {
        return Err(seg.error(1, "needs a qualifier and a procedure code (components 1 and 2)"));
    }
    Ok(LineStatus {
        procedure: Procedure {
            qualifier: qualifier.into(),
            code: code.into(),
            modifiers: seg.components(1).skip(2).take(4).filter(|m| !m.is_empty()).map(Str::from).collect(),
        },
        charge: seg.amount(2)?,
        revenue_code: seg.opt_text(4),
        units: seg.opt_decimal(7)?,
        statuses: Vec::new(),
        line_item_control_number: None,
        prescription_number: None,
        service_dates: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes the document's interchanges with the default delimiters (`*`, `:`, `^`, `~`).
pub fn write_277ca(doc: &Document277ca) -> Result<String> {
    write_277ca_with(doc, Delimiters::default())
}

/// Writes the document's interchanges with the given delimiters. HL numbering, counts and trailer
/// control numbers are computed. What pyx12's 005010X214 map requires must be in the model (a TRN and
/// both dates per source, at least one receiver per source, provider per receiver and patient per
/// provider, at least one STC per receiver, provider, claim and line, a TRN per provider, service dates
/// per claim); what it does not allow at a level must be absent (STC02 at the provider
/// level, STC04 on lines, STC12 above the claim level). Anything else is an [`X12Error::Write`].
pub fn write_277ca_with(doc: &Document277ca, delims: Delimiters) -> Result<String> {
    if doc.interchanges.is_empty() {
        return Err(write_err("document", "has no interchange to write"));
    }
    let mut w = Writer::new(delims);
    for ic in &doc.interchanges {
        w.isa(&ic.header)?;
        for g in &ic.groups {
            w.gs(&g.header);
            for t in &g.transactions {
                write_transaction(&mut w, t)?;
            }
            w.ge(g.transactions.len(), &g.header);
        }
        w.iea(ic.groups.len(), &ic.header);
    }
    w.finish()
}

/// Which STC elements a level requires (`true`) or does not use (`false`).
struct StcRules {
    level: &'static str,
    date: bool,
    amount: bool,
    message_allowed: bool,
}

fn time_text(t: NaiveTime) -> String {
    if t.second() == 0 { t.format("%H%M").to_string() } else { t.format("%H%M%S").to_string() }
}

fn write_transaction(w: &mut Writer, t: &Transaction277ca) -> Result<()> {
    w.reset_count();
    let ctl = need(&t.control_number, "ST02")?;
    w.seg("ST").el("277").field(ctl, "ST02").el(IMPLEMENTATION).end();
    w.seg("BHT")
        .el("0085")
        .el("08")
        .field(need(&t.reference, "BHT03")?, "BHT03")
        .date(t.created_date)
        .el(&time_text(t.created_time))
        .el("TH")
        .end();
    if t.sources.is_empty() {
        return Err(write_err("277CA", "needs at least one information source (2000A)"));
    }
    let mut hl = 0u32;
    for s in &t.sources {
        hl += 1;
        let s_id = hl;
        if s.receivers.is_empty() {
            return Err(write_err("2000A", "needs at least one information receiver (2000B)"));
        }
        w.seg("HL").el(&s_id.to_string()).el("").el("20").el("1").end();
        w.seg("NM1")
            .field(need(&s.entity, "2100A NM101")?, "2100A NM101")
            .el("2")
            .field(need(&s.name, "2100A NM103")?, "2100A NM103")
            .skip(4)
            .field(need(&s.id_qualifier, "2100A NM108")?, "2100A NM108")
            .field(need(&s.id, "2100A NM109")?, "2100A NM109")
            .end();
        let trace = s.trace.as_deref().ok_or_else(|| write_err("2200A TRN02", "is required but empty"))?;
        w.seg("TRN").el("1").field(need(trace, "2200A TRN02")?, "2200A TRN02").end();
        let received = s.received.ok_or_else(|| write_err("2200A DTP*050", "is required but empty"))?;
        let processed = s.processed.ok_or_else(|| write_err("2200A DTP*009", "is required but empty"))?;
        w.seg("DTP").el("050").el("D8").date(received).end();
        w.seg("DTP").el("009").el("D8").date(processed).end();
        for r in &s.receivers {
            hl += 1;
            let r_id = hl;
            if r.providers.is_empty() {
                return Err(write_err("2000B", "needs at least one billing provider (2000C)"));
            }
            w.seg("HL").el(&r_id.to_string()).el(&s_id.to_string()).el("21").el("1").end();
            w.seg("NM1").el("41");
            write_name(w, &r.name, "2100B", false);
            w.field(need(&r.id_qualifier, "2100B NM108")?, "2100B NM108")
                .field(need(&r.id, "2100B NM109")?, "2100B NM109")
                .end();
            w.seg("TRN").el("2").field(need(&r.trace, "2200B TRN02")?, "2200B TRN02").end();
            let rules = StcRules { level: "2200B", date: true, amount: true, message_allowed: false };
            write_statuses(w, &r.statuses, &rules, usize::MAX)?;
            write_totals(w, &r.totals, ["90", "AA"]);
            for p in &r.providers {
                hl += 1;
                let p_id = hl;
                if p.patients.is_empty() {
                    return Err(write_err("2000C", "needs at least one patient (2000D)"));
                }
                w.seg("HL").el(&p_id.to_string()).el(&r_id.to_string()).el("19").el("1").end();
                w.seg("NM1").el("85");
                write_name(w, &p.name, "2100C", true);
                w.field(need(&p.id_qualifier, "2100C NM108")?, "2100C NM108")
                    .field(need(&p.id, "2100C NM109")?, "2100C NM109")
                    .end();
                let trace = p.trace.as_deref().ok_or_else(|| write_err("2200C TRN02", "is required but empty"))?;
                w.seg("TRN").el("1").field(need(trace, "2200C TRN02")?, "2200C TRN02").end();
                let rules = StcRules { level: "2200C", date: false, amount: true, message_allowed: false };
                write_statuses(w, &p.statuses, &rules, usize::MAX)?;
                if let Some(r) = &p.secondary_id {
                    w.seg("REF")
                        .field(need(&r.qualifier, "2200C REF01")?, "2200C REF01")
                        .field(need(&r.value, "2200C REF02")?, "2200C REF02")
                        .end();
                }
                write_totals(w, &p.totals, ["QA", "QC"]);
                for pt in &p.patients {
                    hl += 1;
                    w.seg("HL").el(&hl.to_string()).el(&p_id.to_string()).el("PT").end();
                    w.seg("NM1").el("QC").el("1");
                    write_person(w, &pt.name, "2100D", true);
                    w.field(need(&pt.id_qualifier, "2100D NM108")?, "2100D NM108")
                        .field(need(&pt.member_id, "2100D NM109")?, "2100D NM109")
                        .end();
                    for c in &pt.claims {
                        write_claim(w, c)?;
                    }
                }
            }
        }
    }
    let n = w.count() + 1;
    w.seg("SE").el(&n.to_string()).field(ctl, "SE02").end();
    Ok(())
}

fn write_claim(w: &mut Writer, c: &ClaimStatus) -> Result<()> {
    w.seg("TRN").el("2").field(need(&c.patient_control_number, "2200D TRN02")?, "2200D TRN02").end();
    let rules = StcRules { level: "2200D", date: true, amount: true, message_allowed: true };
    write_statuses(w, &c.statuses, &rules, usize::MAX)?;
    for (q, v) in [("1K", &c.payer_claim_control_number), ("D9", &c.clearinghouse_trace), ("BLT", &c.bill_type)] {
        if let Some(v) = v {
            w.seg("REF").el(q).field(need(v, "2200D REF02")?, "2200D REF02").end();
        }
    }
    let dates = c.service_dates.ok_or_else(|| write_err("2200D DTP*472", "is required but empty"))?;
    write_period(w, &dates);
    for l in &c.lines {
        let p = &l.procedure;
        if p.modifiers.len() > 4 {
            return Err(write_err("SVC01", "holds at most 4 modifiers"));
        }
        let mut parts: Vec<&str> = vec![need(&p.qualifier, "SVC01-1")?, need(&p.code, "SVC01-2")?];
        parts.extend(p.modifiers.iter().map(|m| m.as_str()));
        w.seg("SVC").composite(&parts).amount(l.charge).el("").field(l.revenue_code.as_deref().unwrap_or(""), "SVC04");
        w.skip(2);
        match l.units {
            Some(u) => w.decimal(u),
            None => w.el(""),
        };
        w.end();
        let rules = StcRules { level: "2220D", date: true, amount: false, message_allowed: false };
        write_statuses(w, &l.statuses, &rules, 1)?;
        for (q, v) in [("FJ", &l.line_item_control_number), ("XZ", &l.prescription_number)] {
            if let Some(v) = v {
                w.seg("REF").el(q).field(need(v, "2220D REF02")?, "2220D REF02").end();
            }
        }
        if let Some(d) = &l.service_dates {
            write_period(w, d);
        }
    }
    Ok(())
}

fn write_period(w: &mut Writer, d: &DateRange) {
    w.seg("DTP").el("472");
    if d.from == d.to {
        w.el("D8").date(d.from);
    } else {
        let mut s = String::with_capacity(17);
        value::write_date(&mut s, d.from);
        s.push('-');
        value::write_date(&mut s, d.to);
        w.el("RD8").el(&s);
    }
    w.end();
}

/// NM102..NM107 (NM103..NM105 only, unless `prefix_suffix`); leaves the writer at NM107.
fn write_name(w: &mut Writer, n: &Name, level: &str, prefix_suffix: bool) {
    match n {
        Name::Organization { name } => {
            w.el("2").field(name, &format!("{level} NM103")).skip(4);
        }
        Name::Person(p) => {
            w.el("1");
            write_person(w, p, level, prefix_suffix);
        }
    }
}

fn write_person(w: &mut Writer, p: &PersonName, level: &str, suffix: bool) {
    w.field(&p.last, &format!("{level} NM103"))
        .field(p.first.as_deref().unwrap_or(""), &format!("{level} NM104"))
        .field(p.middle.as_deref().unwrap_or(""), &format!("{level} NM105"))
        .el("")
        .field(if suffix { p.suffix.as_deref().unwrap_or("") } else { "" }, &format!("{level} NM107"));
}

fn write_totals(w: &mut Writer, t: &Totals, qty: [&str; 2]) {
    for (q, v) in [(qty[0], t.accepted_quantity), (qty[1], t.rejected_quantity)] {
        if let Some(v) = v {
            w.seg("QTY").el(q).el(&v.to_string()).end();
        }
    }
    for (q, v) in [("YU", t.accepted_amount), ("YY", t.rejected_amount)] {
        if let Some(v) = v {
            w.seg("AMT").el(q).amount(v).end();
        }
    }
}

fn write_statuses(w: &mut Writer, statuses: &[StatusInfo], r: &StcRules, max: usize) -> Result<()> {
    if statuses.is_empty() {
        return Err(write_err(&format!("{} STC", r.level), "needs at least one status"));
    }
    if statuses.len() > max {
        return Err(write_err(&format!("{} STC", r.level), &format!("holds at most {max} status")));
    }
    for s in statuses {
        let field = |e: &str| format!("{} {e}", r.level);
        if s.additional.len() > 2 {
            return Err(write_err(&field("STC10/STC11"), "hold at most two more statuses"));
        }
        if s.date.is_some() != r.date {
            let msg = if r.date { "is required but empty" } else { "is not used at this level" };
            return Err(write_err(&field("STC02"), msg));
        }
        if s.amount.is_some() != r.amount {
            let msg = if r.amount { "is required but empty" } else { "is not used at this level" };
            return Err(write_err(&field("STC04"), msg));
        }
        if s.message.is_some() && !r.message_allowed {
            return Err(write_err(&field("STC12"), "is not used at this level"));
        }
        let action = s.action.as_deref().ok_or_else(|| write_err(&field("STC03"), "is required but empty"))?;
        w.seg("STC");
        write_code(w, &s.status, &field("STC01"))?;
        match s.date {
            Some(d) => w.date(d),
            None => w.el(""),
        };
        w.field(need(action, &field("STC03"))?, &field("STC03")).opt_amount(s.amount).skip(5);
        for (i, c) in s.additional.iter().enumerate() {
            write_code(w, c, &field(if i == 0 { "STC10" } else { "STC11" }))?;
        }
        if s.message.is_some() {
            w.skip(2 - s.additional.len());
            w.field(need(s.message.as_deref().unwrap_or(""), &field("STC12"))?, &field("STC12"));
        }
        w.end();
    }
    Ok(())
}

fn write_code(w: &mut Writer, c: &StatusCode, field: &str) -> Result<()> {
    need(&c.category, field)?;
    need(&c.code, field)?;
    w.composite(&[&c.category, &c.code, c.entity.as_deref().unwrap_or("")]);
    Ok(())
}
