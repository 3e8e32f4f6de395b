//! Reads 837P interchanges into the claim model.
//!
//! The reader follows the HL hierarchy: the billing provider (20), subscriber (22) and patient (23)
//! it last saw are copied into each claim (CLM) below them. Segments the model does not hold are
//! skipped, so claims from other systems read as far as the model goes.

use super::model::*;
use crate::error::{Finding, Position, Result, X12Error};
use crate::syntax::{Segment, TransactionSet, parse_interchanges};
use compact_str::CompactString as Str;

/// A file of 837P interchanges, and the findings about their envelopes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Document837 {
    pub interchanges: Vec<Interchange837>,
    pub findings: Vec<Finding>,
}

impl Document837 {
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.interchanges.iter().flat_map(|i| &i.groups).flat_map(|g| &g.transactions).flat_map(|t| &t.claims)
    }
}

/// Reads every 837P transaction set in `input`.
pub fn parse_837p(input: &[u8]) -> Result<Document837> {
    let file = parse_interchanges(input)?;
    let mut interchanges = Vec::with_capacity(file.interchanges.len());
    let mut findings = file.findings;
    for ic in &file.interchanges {
        let mut groups = Vec::with_capacity(ic.groups.len());
        for g in &ic.groups {
            let mut transactions = Vec::with_capacity(g.transactions.len());
            for t in &g.transactions {
                if t.id != "837" {
                    return Err(X12Error::WrongTransaction {
                        pos: t.position,
                        msg: format!("transaction set {} is not an 837", t.control_number),
                    });
                }
                match t.implementation.unwrap_or(g.header.version.as_str()) {
                    "005010X222A1" | "005010X222A2" => {}
                    "005010X223A2" | "005010X223A3" => {
                        return Err(X12Error::WrongTransaction {
                            pos: t.position,
                            msg: "this is an institutional 837 (837I), not an 837P".into(),
                        });
                    }
                    _ => findings.push(Finding::warning(
                        "837p.version",
                        Some(t.position),
                        "ST03/GS08 is not 005010X222A1; read as 837P",
                    )),
                }
                transactions.push(read_transaction(t, &mut findings)?);
            }
            groups.push(Group837 { header: g.header.clone(), transactions });
        }
        interchanges.push(Interchange837 { header: ic.header.clone(), groups });
    }
    Ok(Document837 { interchanges, findings })
}

/// Where the reader is, so that N3, N4, REF, DMG, DTP and CAS go to the right party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loop {
    Header,
    Submitter,
    Receiver,
    BillingHl,
    BillingProvider,
    PayTo,
    SubscriberHl,
    Subscriber,
    Payer,
    PatientHl,
    Patient,
    Claim,
    Referring,
    Rendering,
    OtherSubscriberInfo,
    OtherSubscriberName,
    OtherPayer,
    Line,
    LineAdjudication,
    /// A loop the model does not hold (e.g. 2310C service facility); its segments are skipped.
    Other,
}

fn person_name(s: &Segment<'_>) -> PersonName {
    PersonName { last: s.text(3), first: s.opt_text(4), middle: s.opt_text(5), suffix: s.opt_text(7) }
}

fn any_name(s: &Segment<'_>) -> Result<Name> {
    match s.element(2) {
        "1" => Ok(Name::Person(person_name(s))),
        "2" => Ok(Name::Organization { name: s.text(3) }),
        _ => Err(s.error(2, "must be 1 (person) or 2 (organization)")),
    }
}

fn read_n4(s: &Segment<'_>, a: &mut Address) {
    a.city = s.text(1);
    a.state = s.opt_text(2);
    a.postal_code = s.opt_text(3);
    a.country = s.opt_text(4);
}

fn read_n3(s: &Segment<'_>, a: &mut Address) {
    a.line1 = s.text(1);
    a.line2 = s.opt_text(2);
}

fn read_per(s: &Segment<'_>) -> Contact {
    let mut c = Contact { name: s.opt_text(2), ..Contact::default() };
    for k in [3, 5, 7] {
        let v = s.opt_text(k + 1);
        match s.element(k) {
            "TE" => c.phone = v,
            "EX" => c.phone_extension = v,
            "EM" => c.email = v,
            "FX" => c.fax = v,
            _ => {}
        }
    }
    c
}

fn read_dmg(s: &Segment<'_>) -> Result<Demographics> {
    if s.element(1) != "D8" {
        return Err(s.error(1, "must be D8"));
    }
    Ok(Demographics { birth_date: s.date(2)?, gender: s.text(3) })
}

fn read_cas(s: &Segment<'_>, out: &mut Vec<Adjustment>) -> Result<()> {
    let group = s.text(1);
    for k in 0..6 {
        let r = 2 + k * 3;
        if s.element(r).is_empty() {
            continue;
        }
        out.push(Adjustment {
            group: group.clone(),
            reason: s.text(r),
            amount: s.amount(r + 1)?,
            quantity: s.opt_decimal(r + 2)?,
        });
    }
    Ok(())
}

fn read_procedure(s: &Segment<'_>, i: usize) -> Procedure {
    let mut parts = s.components(i);
    let qualifier = Str::from(parts.next().unwrap_or(""));
    let code = Str::from(parts.next().unwrap_or(""));
    let modifiers = parts.take(4).filter(|m| !m.is_empty()).map(Str::from).collect();
    Procedure { qualifier, code, modifiers }
}

struct State {
    billing: BillingProvider,
    pay_to: Option<Address>,
    subscriber: Subscriber,
    payer: Payer,
    patient: Option<Patient>,
    claim: Option<Claim>,
    claims: Vec<Claim>,
    seen_billing_nm1: bool,
    seen_subscriber_nm1: bool,
    seen_payer_nm1: bool,
}

fn missing(pos: Position, segment: &'static str, context: &str) -> X12Error {
    X12Error::MissingSegment { pos, segment, context: context.to_string() }
}

fn read_transaction(t: &TransactionSet<'_>, findings: &mut Vec<Finding>) -> Result<Transaction837> {
    let mut tx = Transaction837 { control_number: t.control_number.into(), ..Default::default() };
    let mut st = State {
        billing: BillingProvider::default(),
        pay_to: None,
        subscriber: Subscriber::default(),
        payer: Payer::default(),
        patient: None,
        claim: None,
        claims: Vec::new(),
        seen_billing_nm1: false,
        seen_subscriber_nm1: false,
        seen_payer_nm1: false,
    };
    let mut lp = Loop::Header;
    let mut seen_bht = false;
    let mut last = t.position;
    for seg in t.segments() {
        let s = seg?;
        last = s.position();
        match s.id() {
            "BHT" => {
                seen_bht = true;
                tx.purpose = s.text(2);
                tx.reference = s.text(3);
                tx.created_date = s.date(4)?;
                tx.created_time = crate::value::parse_time(s.required(5)?).map_err(|m| s.error(5, m))?;
            }
            "HL" => {
                finish_claim(&mut st);
                match s.element(3) {
                    "20" => {
                        lp = Loop::BillingHl;
                        st.billing = BillingProvider::default();
                        st.pay_to = None;
                        st.seen_billing_nm1 = false;
                    }
                    "22" => {
                        lp = Loop::SubscriberHl;
                        st.subscriber = Subscriber::default();
                        st.payer = Payer::default();
                        st.patient = None;
                        st.seen_subscriber_nm1 = false;
                        st.seen_payer_nm1 = false;
                    }
                    "23" => {
                        lp = Loop::PatientHl;
                        st.patient = Some(Patient::default());
                    }
                    _ => return Err(s.error(3, "is not a hierarchical level of the 837P (20, 22 or 23)")),
                }
            }
            "PRV" => match (lp, s.element(1)) {
                (Loop::BillingHl, _) => st.billing.taxonomy = s.opt_text(3),
                (Loop::Rendering, _) => {
                    if let Some(p) = st.claim.as_mut().and_then(|c| c.rendering_provider.as_mut()) {
                        p.taxonomy = s.opt_text(3);
                    }
                }
                _ => {}
            },
            "SBR" => match lp {
                Loop::SubscriberHl => {
                    let sb = &mut st.subscriber;
                    sb.payer_responsibility = s.text(1);
                    sb.group_number = s.opt_text(3);
                    sb.group_name = s.opt_text(4);
                    sb.insurance_type = s.opt_text(5);
                    sb.claim_filing = s.text(9);
                }
                _ => {
                    let claim = st.claim.as_mut().ok_or_else(|| s.error(1, "other-subscriber SBR before CLM"))?;
                    claim.other_subscribers.push(OtherSubscriber {
                        payer_responsibility: s.text(1),
                        relationship: s.text(2),
                        group_number: s.opt_text(3),
                        claim_filing: s.text(9),
                        ..Default::default()
                    });
                    lp = Loop::OtherSubscriberInfo;
                }
            },
            "PAT" => {
                if let Some(p) = st.patient.as_mut() {
                    p.relationship = s.text(1);
                }
            }
            "NM1" => {
                lp = read_nm1(&s, lp, &mut st, &mut tx)?;
            }
            "N3" => match lp {
                Loop::BillingProvider => read_n3(&s, &mut st.billing.address),
                Loop::PayTo => read_n3(&s, st.pay_to.get_or_insert_with(Address::default)),
                Loop::Subscriber => read_n3(&s, st.subscriber.address.get_or_insert_with(Address::default)),
                Loop::Payer => read_n3(&s, st.payer.address.get_or_insert_with(Address::default)),
                Loop::Patient => {
                    if let Some(p) = st.patient.as_mut() {
                        read_n3(&s, &mut p.address)
                    }
                }
                Loop::OtherPayer => {
                    if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                        read_n3(&s, o.payer.address.get_or_insert_with(Address::default))
                    }
                }
                _ => {}
            },
            "N4" => match lp {
                Loop::BillingProvider => read_n4(&s, &mut st.billing.address),
                Loop::PayTo => read_n4(&s, st.pay_to.get_or_insert_with(Address::default)),
                Loop::Subscriber => read_n4(&s, st.subscriber.address.get_or_insert_with(Address::default)),
                Loop::Payer => read_n4(&s, st.payer.address.get_or_insert_with(Address::default)),
                Loop::Patient => {
                    if let Some(p) = st.patient.as_mut() {
                        read_n4(&s, &mut p.address)
                    }
                }
                Loop::OtherPayer => {
                    if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                        read_n4(&s, o.payer.address.get_or_insert_with(Address::default))
                    }
                }
                _ => {}
            },
            "PER" => match lp {
                Loop::Submitter => tx.submitter.contact = read_per(&s),
                Loop::BillingProvider => st.billing.contact = Some(read_per(&s)),
                _ => {}
            },
            "DMG" => match lp {
                Loop::Subscriber => st.subscriber.demographics = Some(read_dmg(&s)?),
                Loop::Patient => {
                    let d = read_dmg(&s)?;
                    if let Some(p) = st.patient.as_mut() {
                        p.demographics = d;
                    }
                }
                _ => {}
            },
            "REF" => match lp {
                Loop::BillingProvider if matches!(s.element(1), "EI" | "SY") => {
                    st.billing.tax_id = TaxId { qualifier: s.text(1), value: s.text(2) };
                }
                Loop::Claim => {
                    let c = st.claim.as_mut().expect("Loop::Claim has a claim");
                    match s.element(1) {
                        "G1" => c.prior_authorization = s.opt_text(2),
                        "F8" => c.payer_claim_control_number = s.opt_text(2),
                        _ => {}
                    }
                }
                Loop::Line | Loop::LineAdjudication if s.element(1) == "6R" => {
                    if let Some(l) = st.claim.as_mut().and_then(|c| c.lines.last_mut()) {
                        l.control_number = s.opt_text(2);
                    }
                }
                _ => {}
            },
            "CLM" => {
                finish_claim(&mut st);
                st.claim = Some(start_claim(&s, &st)?);
                lp = Loop::Claim;
            }
            "DTP" => {
                let Some(c) = st.claim.as_mut() else { continue };
                match (lp, s.element(1)) {
                    (Loop::Claim, "431") => c.onset_date = Some(d8(&s)?),
                    (Loop::OtherPayer, "573") => {
                        let d = d8(&s)?;
                        if let Some(o) = c.other_subscribers.last_mut() {
                            o.adjudication_date = Some(d);
                        }
                    }
                    (Loop::Line, "472") => {
                        let (from, to) = date_or_range(&s)?;
                        if let Some(l) = c.lines.last_mut() {
                            l.service_date = from;
                            l.service_date_end = to;
                        }
                    }
                    (Loop::LineAdjudication, "573") => {
                        let d = d8(&s)?;
                        if let Some(a) = c.lines.last_mut().and_then(|l| l.adjudications.last_mut()) {
                            a.date = d;
                        }
                    }
                    _ => {}
                }
            }
            "NTE" if lp == Loop::Claim => {
                if let Some(c) = st.claim.as_mut() {
                    c.note = Some(Note { code: s.text(1), text: s.text(2) });
                }
            }
            "HI" if lp == Loop::Claim => {
                let c = st.claim.as_mut().expect("Loop::Claim has a claim");
                for k in 1..=s.len() {
                    let q = s.component(k, 1);
                    match q {
                        "ABK" | "ABF" | "BK" | "BF" => c.diagnoses.push(Str::from(s.component(k, 2))),
                        "" => {}
                        _ => {} // other HI qualifiers (anesthesia, condition codes) are not in the model
                    }
                }
            }
            "CAS" => {
                let Some(c) = st.claim.as_mut() else { continue };
                match lp {
                    Loop::OtherSubscriberInfo => {
                        if let Some(o) = c.other_subscribers.last_mut() {
                            read_cas(&s, &mut o.adjustments)?;
                        }
                    }
                    Loop::LineAdjudication => {
                        if let Some(a) = c.lines.last_mut().and_then(|l| l.adjudications.last_mut()) {
                            read_cas(&s, &mut a.adjustments)?;
                        }
                    }
                    _ => {}
                }
            }
            "AMT" if lp == Loop::OtherSubscriberInfo && s.element(1) == "D" => {
                let paid = s.amount(2)?;
                if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                    o.paid = Some(paid);
                }
            }
            "OI" if lp == Loop::OtherSubscriberInfo => {
                if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                    o.benefits_assigned = s.text(3);
                    o.release_of_information = s.text(6);
                }
            }
            "LX" => {
                let c = st.claim.as_mut().ok_or_else(|| missing(s.position(), "CLM", "before the service line"))?;
                c.lines.push(ServiceLine::default());
                lp = Loop::Line;
            }
            "SV1" => {
                let c = st.claim.as_mut().ok_or_else(|| missing(s.position(), "CLM", "before SV1"))?;
                let l = c.lines.last_mut().ok_or_else(|| missing(s.position(), "LX", "before SV1"))?;
                l.procedure = read_procedure(&s, 1);
                l.charge = s.amount(2)?;
                l.unit = s.text(3);
                l.units = s.opt_decimal(4)?.ok_or_else(|| s.error(4, "is required but empty"))?;
                l.place_of_service = s.opt_text(5);
                l.diagnosis_pointers.clear();
                for p in s.components(7) {
                    let n: u8 = p.parse().map_err(|_| s.error(7, "diagnosis pointer is not a number"))?;
                    l.diagnosis_pointers.push(n);
                }
            }
            "SVD" => {
                let c = st.claim.as_mut().ok_or_else(|| missing(s.position(), "CLM", "before SVD"))?;
                let l = c.lines.last_mut().ok_or_else(|| missing(s.position(), "LX", "before SVD"))?;
                l.adjudications.push(LineAdjudication {
                    payer_id: s.text(1),
                    paid: s.amount(2)?,
                    procedure: read_procedure(&s, 3),
                    units: s.opt_decimal(5)?.unwrap_or_default(),
                    adjustments: Vec::new(),
                    date: Default::default(),
                });
                lp = Loop::LineAdjudication;
            }
            _ => {}
        }
    }
    finish_claim(&mut st);
    if !seen_bht {
        return Err(missing(t.position, "BHT", "at the start of the 837"));
    }
    if st.claims.is_empty() {
        findings.push(Finding::warning("837p.no_claims", Some(last), "the transaction set has no claims"));
    }
    tx.claims = st.claims;
    Ok(tx)
}

fn d8(s: &Segment<'_>) -> Result<chrono::NaiveDate> {
    if s.element(2) != "D8" {
        return Err(s.error(2, "must be D8"));
    }
    s.date(3)
}

fn date_or_range(s: &Segment<'_>) -> Result<(chrono::NaiveDate, Option<chrono::NaiveDate>)> {
    match s.element(2) {
        "D8" => Ok((s.date(3)?, None)),
        "RD8" => {
            let v = s.required(3)?;
            let (a, b) = v.split_once('-').ok_or_else(|| s.error(3, "is not a CCYYMMDD-CCYYMMDD range"))?;
            let from = crate::value::parse_date(a).map_err(|m| s.error(3, m))?;
            let to = crate::value::parse_date(b).map_err(|m| s.error(3, m))?;
            Ok((from, Some(to)))
        }
        _ => Err(s.error(2, "must be D8 or RD8")),
    }
}

fn read_nm1(s: &Segment<'_>, lp: Loop, st: &mut State, tx: &mut Transaction837) -> Result<Loop> {
    Ok(match s.element(1) {
        "41" => {
            tx.submitter.name = any_name(s)?;
            tx.submitter.id = s.text(9);
            Loop::Submitter
        }
        "40" => {
            tx.receiver = Receiver { name: s.text(3), id: s.text(9) };
            Loop::Receiver
        }
        "85" => {
            st.billing.name = any_name(s)?;
            st.billing.npi = s.text(9);
            st.seen_billing_nm1 = true;
            Loop::BillingProvider
        }
        "87" => {
            st.pay_to = Some(Address::default());
            Loop::PayTo
        }
        "IL" if matches!(lp, Loop::OtherSubscriberInfo | Loop::OtherSubscriberName | Loop::OtherPayer) => {
            if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                o.name = person_name(s);
                o.member_id = s.text(9);
            }
            Loop::OtherSubscriberName
        }
        "IL" => {
            st.subscriber.name = person_name(s);
            st.subscriber.member_id = s.text(9);
            st.seen_subscriber_nm1 = true;
            Loop::Subscriber
        }
        "PR" if matches!(lp, Loop::OtherSubscriberInfo | Loop::OtherSubscriberName | Loop::OtherPayer) => {
            if let Some(o) = st.claim.as_mut().and_then(|c| c.other_subscribers.last_mut()) {
                o.payer = Payer { name: s.text(3), id: s.text(9), address: None };
            }
            Loop::OtherPayer
        }
        "PR" => {
            st.payer = Payer { name: s.text(3), id: s.text(9), address: None };
            st.seen_payer_nm1 = true;
            Loop::Payer
        }
        "QC" => {
            if let Some(p) = st.patient.as_mut() {
                p.name = person_name(s);
            }
            Loop::Patient
        }
        "DN" | "82" if st.claim.is_some() && !matches!(lp, Loop::Line | Loop::LineAdjudication) => {
            let p = ClaimProvider { name: any_name(s)?, npi: s.text(9), taxonomy: None };
            let c = st.claim.as_mut().expect("checked");
            if s.element(1) == "DN" {
                c.referring_provider = Some(p);
                Loop::Referring
            } else {
                c.rendering_provider = Some(p);
                Loop::Rendering
            }
        }
        _ if matches!(lp, Loop::Line | Loop::LineAdjudication) => Loop::Line,
        _ => Loop::Other,
    })
}

fn start_claim(s: &Segment<'_>, st: &State) -> Result<Claim> {
    if !st.seen_billing_nm1 {
        return Err(missing(s.position(), "NM1*85", "(billing provider) before the claim"));
    }
    if !st.seen_subscriber_nm1 {
        return Err(missing(s.position(), "NM1*IL", "(subscriber) before the claim"));
    }
    if !st.seen_payer_nm1 {
        return Err(missing(s.position(), "NM1*PR", "(payer) before the claim"));
    }
    Ok(Claim {
        billing_provider: st.billing.clone(),
        pay_to_address: st.pay_to.clone(),
        subscriber: st.subscriber.clone(),
        payer: st.payer.clone(),
        patient: st.patient.clone(),
        patient_control_number: Str::from(s.required(1)?),
        total_charge: s.amount(2)?,
        place_of_service: Str::from(s.component(5, 1)),
        frequency: Str::from(s.component(5, 3)),
        provider_signature: s.element(6) == "Y",
        assignment: s.text(7),
        benefits_assigned: s.text(8),
        release_of_information: s.text(9),
        ..Default::default()
    })
}

fn finish_claim(st: &mut State) {
    if let Some(c) = st.claim.take() {
        st.claims.push(c);
    }
}
