//! The 835s for the accepted claims of a file: one remittance (ST..SE) per payer and billing
//! provider, line-level CAS only, so that each balances by construction: SVC02 − SVC03 = Σ line
//! CAS, CLP03 = Σ SVC02, CLP04 = Σ SVC03 (hence CLP03 − CLP04 = Σ CAS), BPR02 = Σ CLP04 − Σ PLB.
//!
//! An answer has a first 835 and, when some claim is split or reversed ([`Remit`]), a later one:
//! - the first carries every claim whole, except split claims, of which it carries the first part;
//! - the later one carries the second parts of split claims, and for each reversed claim its
//!   reversal (CLP02 22: the first payment with every amount negated, units and CAS included, same
//!   CLP01 and CLP07) followed by the corrected payment (CLP02 as adjudicated, same CLP01 and CLP07).
//!
//! A split part is a claim of its own, as the 835 guide has split claims: its CLP03, CLP04 and
//! CLP05 are those of its lines. (Payers often add the alert MA15, "claim separated", in MOA; the
//! pinned pyx12 our tests validate with does not know that code, so it is left out.)
//!
//! A remittance of the later 835 whose claims add up to less than nothing (a correction pays less
//! than the payment it reverses) pays 0 (BPR01 `H`) and carries the difference forward as a
//! negative `FB` (forwarding balance) PLB, so that BPR02 = Σ CLP04 − Σ PLB still holds; the
//! simulator does not recoup that balance in a later 835. The later 835 has its own interchange and
//! group control numbers ([`later_control_number`]) and payment traces.

use crate::adjudicate::{ClaimResult, Decision, LineResult, Remit};
use crate::answer::{ClaimAnswer, answer_time};
use crate::hash::Hasher;
use chrono::{Datelike, NaiveDate};
use compact_str::{CompactString as Str, format_compact};
use rcm_x12::X12Error;
use rcm_x12::syntax::{GroupHeader, InterchangeHeader};
use rcm_x12::x835::{
    self, Address, Claim, ClaimGroup, Communication, Contact, DateRef, EntityName, Payee, Payer, Payment, Procedure,
    ProviderAdjustment, ProviderAdjustmentItem, Reference, Remark, Remittance, ServiceLine, Trace,
};
use rcm_x12::x837p::{self, Name, Transaction837};

/// The 835's implementation convention (GS08).
pub const VERSION: &str = "005010X221A1";

/// CLP06 from the 837's SBR09: the 835 code list has no `CI` or `BL` (commercial plans go as `12`,
/// PPO), nor `11` (other non-federal, `OF`); what it does not know is `ZZ`.
pub fn filing_indicator(sbr09: &str) -> &'static str {
    match sbr09 {
        "12" => "12",
        "13" => "13",
        "14" => "14",
        "15" => "15",
        "16" => "16",
        "17" => "17",
        "AM" => "AM",
        "CH" => "CH",
        "DS" => "DS",
        "HM" => "HM",
        "LM" => "LM",
        "MA" => "MA",
        "MB" => "MB",
        "MC" => "MC",
        "OF" | "11" => "OF",
        "TV" => "TV",
        "VA" => "VA",
        "WC" => "WC",
        "CI" | "BL" => "12",
        _ => "ZZ",
    }
}

fn digits(h: Hasher, salt: &str, n: usize) -> Str {
    let mut v = h.field(salt).finish();
    let mut s = Str::default();
    for _ in 0..n {
        s.push((b'0' + (v % 10) as u8) as char);
        v /= 10;
        if v == 0 {
            v = h.field(salt).field(&s).finish();
        }
    }
    s
}

fn entity(code: &str, name: &x837p::PersonName, qualifier: &str, id: &str) -> EntityName {
    EntityName {
        entity: code.into(),
        entity_type: "1".into(),
        last_name: Some(name.last.clone()),
        first_name: name.first.clone(),
        middle_name: name.middle.clone(),
        suffix: name.suffix.clone(),
        id_qualifier: Some(qualifier.into()),
        id: Some(id.into()),
    }
}

fn name_text(n: &Name) -> Str {
    match n {
        Name::Organization { name } => name.clone(),
        Name::Person(p) => match &p.first {
            Some(f) => format_compact!("{f} {}", p.last),
            None => p.last.clone(),
        },
    }
}

fn address(a: &x837p::Address) -> Address {
    Address {
        line1: Some(a.line1.clone()),
        line2: a.line2.clone(),
        city: Some(a.city.clone()),
        state: a.state.clone(),
        postal_code: a.postal_code.clone(),
        country: a.country.clone(),
        country_subdivision: None,
    }
}

/// `sign` is 1, or -1 for a reversal (every amount and the units negated).
fn line(l: &LineResult, sign: i64) -> ServiceLine {
    let (service_date, service_start, service_end) = match l.service_date_end {
        Some(end) if end != l.service_date => (None, Some(l.service_date), Some(end)),
        _ => (Some(l.service_date), None, None),
    };
    ServiceLine {
        procedure: Procedure {
            qualifier: l.procedure.qualifier.clone(),
            code: l.procedure.code.clone(),
            modifiers: l.procedure.modifiers.clone(),
            description: None,
        },
        charge: sign * l.charge,
        paid: sign * l.paid,
        revenue_code: None,
        units: Some(l.units * rust_decimal::Decimal::from(sign)),
        original_procedure: None,
        original_units: None,
        service_date,
        service_start,
        service_end,
        dates: vec![],
        adjustments: l
            .adjustments
            .iter()
            .map(|a| x835::Adjustment {
                group: a.group.into(),
                reason: a.reason.into(),
                amount: sign * a.amount,
                quantity: None,
            })
            .collect(),
        control_number: l.control_number.clone(),
        references: vec![],
        allowed: (l.allowed > 0).then_some(sign * l.allowed),
        amounts: vec![],
        quantities: vec![],
        remarks: l.remarks.iter().map(|r| Remark { qualifier: "HE".into(), code: (*r).into() }).collect(),
    }
}

/// What one CLP carries.
#[derive(Clone, Copy)]
enum Clp<'a> {
    /// The claim as adjudicated, whole.
    Whole(&'a ClaimResult),
    /// Some lines of a split claim.
    Part(&'a ClaimResult, &'a [LineResult]),
    /// The reversal of a whole payment.
    Reversal(&'a ClaimResult),
}

fn names(c: &x837p::Claim) -> Vec<EntityName> {
    let mut names = Vec::new();
    match &c.patient {
        Some(p) => {
            names.push(entity("QC", &p.name, "MI", &c.subscriber.member_id));
            names.push(entity("IL", &c.subscriber.name, "MI", &c.subscriber.member_id));
        }
        None => names.push(entity("QC", &c.subscriber.name, "MI", &c.subscriber.member_id)),
    }
    if let Some(rp) = &c.rendering_provider {
        let mut n = match &rp.name {
            Name::Person(p) => entity("82", p, "XX", &rp.npi),
            Name::Organization { name } => EntityName {
                entity: "82".into(),
                entity_type: "2".into(),
                last_name: Some(name.clone()),
                first_name: None,
                middle_name: None,
                suffix: None,
                id_qualifier: Some("XX".into()),
                id: Some(rp.npi.clone()),
            },
        };
        n.suffix = None;
        names.push(n);
    }
    names
}

fn claim(c: &x837p::Claim, pccn: &Str, what: Clp<'_>, today: NaiveDate) -> Claim {
    let (status, lines, sign): (&str, &[LineResult], i64) = match what {
        Clp::Whole(r) => (r.status, &r.lines, 1),
        Clp::Reversal(r) => ("22", &r.lines, -1),
        Clp::Part(r, lines) => {
            let nothing = lines.iter().all(|l| l.paid == 0 && l.patient_responsibility() == 0);
            (if nothing { "4" } else { r.status }, lines, 1)
        }
    };
    let charge: i64 = lines.iter().map(|l| l.charge).sum();
    let paid: i64 = lines.iter().map(|l| l.paid).sum();
    let patient_responsibility: i64 = lines.iter().map(LineResult::patient_responsibility).sum();
    Claim {
        patient_control_number: c.patient_control_number.clone(),
        status: status.into(),
        charge: sign * charge,
        paid: sign * paid,
        patient_responsibility: (patient_responsibility > 0).then_some(sign * patient_responsibility),
        filing_indicator: filing_indicator(&c.subscriber.claim_filing).into(),
        payer_claim_control_number: pccn.clone(),
        facility_type: Some(c.place_of_service.clone()),
        frequency: Some(c.frequency.clone()),
        drg_code: None,
        drg_weight: None,
        discharge_fraction: None,
        adjustments: vec![],
        names: names(c),
        inpatient: None,
        outpatient: None,
        references: vec![],
        dates: vec![DateRef { qualifier: "050".into(), date: today }],
        contacts: vec![],
        amounts: vec![],
        quantities: vec![],
        lines: lines.iter().map(|l| line(l, sign)).collect(),
    }
}

/// The interchange (ISA13) and group (GS06) control number of the later 835 of the answer to an
/// 837 whose ISA13 is `first`: in 500,000,000..=999,999,999, so it differs from the first 835's
/// (the 837's own number) while our 837 control numbers stay below 500,000,000.
pub fn later_control_number(first: u32) -> u32 {
    first % 500_000_000 + 500_000_000
}

/// The 835s of one answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eras {
    /// `None` when no claim was accepted with something to adjudicate.
    pub first: Option<String>,
    /// `None` when no claim is split or reversed.
    pub later: Option<String>,
}

/// Both 835s of an answer (see the module documentation).
pub fn write(
    isa: &InterchangeHeader,
    group: &GroupHeader,
    read: &[&Transaction837],
    answers: &[ClaimAnswer],
    today: NaiveDate,
    seed: u64,
) -> Result<Eras, X12Error> {
    let mut first: Vec<(&x837p::Claim, Claim)> = Vec::new();
    let mut later: Vec<(&x837p::Claim, Claim)> = Vec::new();
    let claims = read.iter().flat_map(|t| t.claims.iter());
    for (c, a) in claims.zip(answers) {
        let Decision::Accepted { payer_claim_control_number: pccn, result: Some(r), remit } = &a.decision else {
            continue;
        };
        match remit {
            Remit::Whole => first.push((c, claim(c, pccn, Clp::Whole(r), today))),
            Remit::Split { at } => {
                let (one, two) = r.lines.split_at((*at).min(r.lines.len()));
                first.push((c, claim(c, pccn, Clp::Part(r, one), today)));
                later.push((c, claim(c, pccn, Clp::Part(r, two), today)));
            }
            Remit::Reversed { corrected } => {
                first.push((c, claim(c, pccn, Clp::Whole(r), today)));
                later.push((c, claim(c, pccn, Clp::Reversal(r), today)));
                later.push((c, claim(c, pccn, Clp::Whole(corrected), today)));
            }
        }
    }
    let first = interchange(isa, group, isa.control_number, &first, today, seed, "first")?;
    let later = interchange(isa, group, later_control_number(isa.control_number), &later, today, seed, "later")?;
    Ok(Eras { first, later })
}

/// One 835 interchange of `items`, or `None` when there are none. `pass` salts the payment traces,
/// so the two 835s of an answer never share one.
fn interchange(
    isa: &InterchangeHeader,
    group: &GroupHeader,
    control: u32,
    items: &[(&x837p::Claim, Claim)],
    today: NaiveDate,
    seed: u64,
    pass: &str,
) -> Result<Option<String>, X12Error> {
    // (payer id, billing NPI) -> claims, in file order.
    let mut keys: Vec<(Str, Str)> = Vec::new();
    let mut by_key: Vec<Vec<&(&x837p::Claim, Claim)>> = Vec::new();
    for item in items {
        let c = item.0;
        let key = (c.payer.id.clone(), c.billing_provider.npi.clone());
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                by_key.push(Vec::new());
                keys.len() - 1
            }
        };
        by_key[i].push(item);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    let mut remittances = Vec::with_capacity(keys.len());
    for (n, ((payer_id, npi), items)) in keys.iter().zip(&by_key).enumerate() {
        let first = items[0].0;
        let payer_hash = Hasher::new(seed).field("payer").field(payer_id);
        let payee_hash = Hasher::new(seed).field("payee").field(npi);
        let mut trace_hash = payer_hash.field(npi);
        if pass != "first" {
            trace_hash = trace_hash.field(pass);
        }
        for (_, clp) in items {
            trace_hash = trace_hash.field(&clp.payer_claim_control_number);
        }
        let originator = format_compact!("1{}", digits(payer_hash, "tin", 9));
        let trace = digits(trace_hash, "eft", 15);
        let net: i64 = items.iter().map(|(_, clp)| clp.paid).sum();
        let payment = if net > 0 {
            Payment {
                handling: "I".into(),
                amount: net,
                credit_debit: "C".into(),
                method: "ACH".into(),
                format: Some("CCP".into()),
                sender_dfi_qualifier: Some("01".into()),
                sender_dfi_id: Some(digits(payer_hash, "routing", 9)),
                sender_account_qualifier: Some("DA".into()),
                sender_account: Some(digits(payer_hash, "account", 10)),
                originator_id: Some(originator.clone()),
                originator_supplemental_code: None,
                receiver_dfi_qualifier: Some("01".into()),
                receiver_dfi_id: Some(digits(payee_hash, "routing", 9)),
                receiver_account_qualifier: Some("DA".into()),
                receiver_account: Some(digits(payee_hash, "account", 12)),
                date: Some(today),
            }
        } else {
            Payment {
                handling: "H".into(),
                amount: 0,
                credit_debit: "C".into(),
                method: "NON".into(),
                format: None,
                sender_dfi_qualifier: None,
                sender_dfi_id: None,
                sender_account_qualifier: None,
                sender_account: None,
                originator_id: None,
                originator_supplemental_code: None,
                receiver_dfi_qualifier: None,
                receiver_dfi_id: None,
                receiver_account_qualifier: None,
                receiver_account: None,
                date: Some(today),
            }
        };
        // A negative net is carried forward: BPR02 0 = Σ CLP04 (net) − PLB (net).
        let provider_adjustments = if net < 0 {
            vec![ProviderAdjustment {
                provider_id: npi.clone(),
                fiscal_period_end: NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
                items: vec![ProviderAdjustmentItem {
                    reason: "FB".into(),
                    reference: Some(trace.clone()),
                    amount: net,
                }],
            }]
        } else {
            vec![]
        };
        let bp = &first.billing_provider;
        remittances.push(Remittance {
            interchange_control_number: control,
            group_control_number: control,
            control_number: format_compact!("{:04}", n + 1),
            payment,
            trace: Trace {
                trace_type: "1".into(),
                number: trace,
                originator_id: originator,
                originator_supplemental_code: None,
            },
            currency: None,
            receiver_id: None,
            version_id: None,
            production_date: Some(today),
            payer: Payer {
                name: first.payer.name.clone(),
                id_qualifier: None,
                id: None,
                address: Some(Address {
                    line1: Some(format_compact!("PO BOX {}", digits(payer_hash, "box", 4))),
                    line2: None,
                    city: Some("SPRINGFIELD".into()),
                    state: Some("IL".into()),
                    postal_code: Some("627019000".into()),
                    country: None,
                    country_subdivision: None,
                }),
                references: vec![Reference { qualifier: "2U".into(), value: payer_id.clone() }],
                contacts: vec![Contact {
                    function: "BL".into(),
                    name: Some("EDI SUPPORT".into()),
                    communications: vec![Communication {
                        qualifier: "TE".into(),
                        number: format_compact!("800{}", digits(payer_hash, "phone", 7)),
                    }],
                }],
            },
            payee: Payee {
                name: name_text(&bp.name),
                id_qualifier: Some("XX".into()),
                id: Some(npi.clone()),
                address: Some(address(&bp.address)),
                references: vec![Reference { qualifier: "TJ".into(), value: bp.tax_id.value.clone() }],
                delivery: None,
            },
            claim_groups: vec![ClaimGroup {
                number: 1,
                summary: None,
                supplemental: None,
                claims: items.iter().map(|(_, clp)| clp.clone()).collect(),
            }],
            provider_adjustments,
        });
    }
    let mut header = InterchangeHeader::new(&isa.receiver_id, &isa.sender_id, control, today, answer_time());
    header.sender_qualifier = isa.receiver_qualifier.clone();
    header.receiver_qualifier = isa.sender_qualifier.clone();
    header.usage = isa.usage;
    let gs = GroupHeader {
        functional_id: "HP".into(),
        sender_code: group.receiver_code.clone(),
        receiver_code: group.sender_code.clone(),
        date: today,
        time: answer_time(),
        control_number: control,
        version: VERSION.into(),
    };
    x835::write_835(&header, &gs, &remittances).map(Some)
}
