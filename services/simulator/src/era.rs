//! The 835 for the accepted claims of a file: one remittance (ST..SE) per payer and billing
//! provider, line-level CAS only, so that it balances by construction: SVC02 − SVC03 = Σ line CAS,
//! CLP03 = Σ SVC02, CLP04 = Σ SVC03 (hence CLP03 − CLP04 = Σ CAS), BPR02 = Σ CLP04.

use crate::adjudicate::{ClaimResult, Decision, LineResult};
use crate::answer::{ClaimAnswer, answer_time};
use crate::hash::{Hasher, SEED};
use chrono::NaiveDate;
use compact_str::{CompactString as Str, format_compact};
use rcm_x12::X12Error;
use rcm_x12::syntax::{GroupHeader, InterchangeHeader};
use rcm_x12::x835::{
    self, Address, Claim, ClaimGroup, Communication, Contact, DateRef, EntityName, Payee, Payer, Payment, Procedure,
    Reference, Remark, Remittance, ServiceLine, Trace,
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

fn line(l: &LineResult) -> ServiceLine {
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
        charge: l.charge,
        paid: l.paid,
        revenue_code: None,
        units: Some(l.units),
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
                amount: a.amount,
                quantity: None,
            })
            .collect(),
        control_number: l.control_number.clone(),
        references: vec![],
        allowed: (l.allowed > 0).then_some(l.allowed),
        amounts: vec![],
        quantities: vec![],
        remarks: l.remarks.iter().map(|r| Remark { qualifier: "HE".into(), code: (*r).into() }).collect(),
    }
}

fn claim(c: &x837p::Claim, pccn: &Str, r: &ClaimResult, today: NaiveDate) -> Claim {
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
    Claim {
        patient_control_number: c.patient_control_number.clone(),
        status: r.status.into(),
        charge: r.charge,
        paid: r.paid,
        patient_responsibility: (r.patient_responsibility > 0).then_some(r.patient_responsibility),
        filing_indicator: filing_indicator(&c.subscriber.claim_filing).into(),
        payer_claim_control_number: pccn.clone(),
        facility_type: Some(c.place_of_service.clone()),
        frequency: Some(c.frequency.clone()),
        drg_code: None,
        drg_weight: None,
        discharge_fraction: None,
        adjustments: vec![],
        names,
        inpatient: None,
        outpatient: None,
        references: vec![],
        dates: vec![DateRef { qualifier: "050".into(), date: today }],
        contacts: vec![],
        amounts: vec![],
        quantities: vec![],
        lines: r.lines.iter().map(line).collect(),
    }
}

/// The 835, or `None` when no claim was accepted with something to adjudicate.
pub fn write(
    isa: &InterchangeHeader,
    group: &GroupHeader,
    read: &[&Transaction837],
    answers: &[ClaimAnswer],
    today: NaiveDate,
) -> Result<Option<String>, X12Error> {
    // (payer id, billing NPI) -> claims, in file order.
    let mut keys: Vec<(Str, Str)> = Vec::new();
    let mut by_key: Vec<Vec<(&x837p::Claim, &Str, &ClaimResult)>> = Vec::new();
    let claims = read.iter().flat_map(|t| t.claims.iter());
    for (c, a) in claims.zip(answers) {
        let Decision::Accepted { payer_claim_control_number, result: Some(r) } = &a.decision else { continue };
        let key = (c.payer.id.clone(), c.billing_provider.npi.clone());
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                by_key.push(Vec::new());
                keys.len() - 1
            }
        };
        by_key[i].push((c, payer_claim_control_number, r));
    }
    if keys.is_empty() {
        return Ok(None);
    }
    let mut remittances = Vec::with_capacity(keys.len());
    for (n, ((payer_id, npi), items)) in keys.iter().zip(&by_key).enumerate() {
        let first = items[0].0;
        let payer_hash = Hasher::new(SEED).field("payer").field(payer_id);
        let payee_hash = Hasher::new(SEED).field("payee").field(npi);
        let mut trace_hash = payer_hash.field(npi);
        for (_, pccn, _) in items {
            trace_hash = trace_hash.field(pccn);
        }
        let originator = format_compact!("1{}", digits(payer_hash, "tin", 9));
        let amount: i64 = items.iter().map(|(_, _, r)| r.paid).sum();
        let payment = if amount > 0 {
            Payment {
                handling: "I".into(),
                amount,
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
        let bp = &first.billing_provider;
        remittances.push(Remittance {
            interchange_control_number: isa.control_number,
            group_control_number: isa.control_number,
            control_number: format_compact!("{:04}", n + 1),
            payment,
            trace: Trace {
                trace_type: "1".into(),
                number: digits(trace_hash, "eft", 15),
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
                claims: items.iter().map(|(c, pccn, r)| claim(c, pccn, r, today)).collect(),
            }],
            provider_adjustments: vec![],
        });
    }
    let mut header = InterchangeHeader::new(&isa.receiver_id, &isa.sender_id, isa.control_number, today, answer_time());
    header.sender_qualifier = isa.receiver_qualifier.clone();
    header.receiver_qualifier = isa.sender_qualifier.clone();
    header.usage = isa.usage;
    let gs = GroupHeader {
        functional_id: "HP".into(),
        sender_code: group.receiver_code.clone(),
        receiver_code: group.sender_code.clone(),
        date: today,
        time: answer_time(),
        control_number: isa.control_number,
        version: VERSION.into(),
    };
    x835::write_835(&header, &gs, &remittances).map(Some)
}
