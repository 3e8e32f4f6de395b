//! Deterministic synthetic claims for tests, benchmarks and the demo. No real person's data: names
//! and ids are drawn from small made-up lists by a seeded generator.
//!
//! Every optional part of the model turns up across a corpus: patients who are not the
//! subscriber, pay-to addresses, referring and rendering providers, notes, prior authorizations,
//! corrected (7) and void (8) claims, secondary claims with claim-level or line-level adjudication
//! by the primary payer, date ranges, 1 to 50 lines, and names and addresses with characters that
//! need care (accents, apostrophes, ampersands, delimiters), cleaned with [`clean_text`].

use super::model::*;
use crate::syntax::{Delimiters, GroupHeader, InterchangeHeader, clean_text};
use chrono::{Duration, NaiveDate, NaiveTime};
use compact_str::{CompactString as Str, format_compact};
use rust_decimal::Decimal;

/// A small seeded generator (SplitMix64): reproducible, and no dependency for it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }

    pub fn digits(&mut self, n: usize) -> Str {
        (0..n).map(|_| char::from(b'0' + (self.next_u64() % 10) as u8)).collect()
    }
}

/// An NPI with a valid check digit (Luhn over the `80840` prefix and the first nine digits).
pub fn npi(rng: &mut Rng) -> Str {
    let mut base = format_compact!("{}", rng.range(1, 2));
    base.push_str(&rng.digits(8));
    let check = npi_check_digit(&base);
    format_compact!("{base}{check}")
}

pub use rcm_codesets::npi::npi_check_digit;

const LAST: &[&str] = &[
    "O'Brien",
    "Nuñez",
    "Smith-Jones",
    "De La Cruz",
    "St. John",
    "Müller",
    "Nguyen",
    "Okafor",
    "Kowalski",
    "García",
    "Lee",
    "D'Angelo",
    "MacDonald",
    "Zhang",
    "Johnson*Test",
    "Brown~Ray",
];
const FIRST: &[&str] = &["Ana", "José", "Mary-Kate", "Li", "Zoë", "Robert", "Aisha", "Chloé", "Sam", "Renée", "Omar"];
const SUFFIX: &[&str] = &["JR", "SR", "III", "II"];
const STREETS: &[&str] = &[
    "12 Main St.",
    "400 O'Farrell St, Apt #5",
    "77 Rue de l'Église",
    "1 Elm & Oak Ave",
    "9 Pine Rd:Unit B",
    "3100 Peachtree Rd NE Ste 200",
    "PO Box 1234",
    "18 Maple Ln^Rear",
];
const CITIES: &[(&str, &str)] = &[
    ("Springfield", "IL"),
    ("Albany", "NY"),
    ("San José", "CA"),
    ("Coeur d'Alene", "ID"),
    ("Austin", "TX"),
    ("Atlanta", "GA"),
    ("Portland", "OR"),
];
const ORGS: &[&str] =
    &["Smith & Sons Family Practice", "St. Mary's Clinic", "Peña Pediatrics, P.C.", "Lakeside Ortho/Sports Med"];
const PAYERS: &[(&str, &str, &str)] = &[
    ("Acme Health Plan", "ACME1", "CI"),
    ("Medicare Part B", "MCR01", "MB"),
    ("State Medicaid", "MCD01", "MC"),
    ("Blue Plan of the Lakes", "BLU01", "BL"),
    ("Harbor HMO", "HMO01", "HM"),
];
const DIAGNOSES: &[&str] = &[
    "E119", "I10", "J069", "M545", "Z0000", "S72001A", "R051", "F329", "K219", "N390", "E785", "J45909", "M1711",
    "Z23", "R0602", "L03115",
];
const PROCEDURES: &[&str] = &[
    "99213", "99214", "99203", "93000", "36415", "80053", "85025", "71046", "97110", "20610", "90471", "G0439",
    "J3420", "A4550", "99395",
];
const MODIFIERS: &[&str] = &["25", "59", "LT", "RT", "26", "TC", "GT", "95", "XU", "76"];
const POS: &[&str] = &["11", "11", "11", "22", "02", "10", "21", "23", "81"];
const TAXONOMIES: &[&str] = &["207Q00000X", "208D00000X", "207R00000X", "261QP2300X", "363LF0000X"];

fn text(v: &str) -> Str {
    clean_text(v, &Delimiters::default())
}

fn person(rng: &mut Rng) -> PersonName {
    PersonName {
        last: text(rng.pick(LAST)),
        first: Some(text(rng.pick(FIRST))),
        middle: rng.chance(30).then(|| Str::from(rng.pick(&["A", "B", "J", "Q"]))),
        suffix: rng.chance(10).then(|| Str::from(rng.pick(SUFFIX))),
    }
}

fn address(rng: &mut Rng, zip9: bool) -> Address {
    let (city, state) = rng.pick(CITIES);
    let zip = if zip9 || rng.chance(40) { rng.digits(9) } else { rng.digits(5) };
    Address {
        line1: text(rng.pick(STREETS)),
        line2: rng.chance(15).then(|| text("Suite 4/B")),
        city: text(city),
        state: Some(state.into()),
        postal_code: Some(zip),
        country: None,
    }
}

fn demographics(rng: &mut Rng) -> Demographics {
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).expect("date") + Duration::days(rng.range(0, 30_000) as i64);
    Demographics { birth_date: birth, gender: Str::from(rng.pick(&["F", "M", "U"])) }
}

fn billing_provider(rng: &mut Rng) -> BillingProvider {
    let name = if rng.chance(80) {
        Name::Organization { name: text(rng.pick(ORGS)) }
    } else {
        Name::Person(PersonName { middle: None, suffix: None, ..person(rng) })
    };
    BillingProvider {
        name,
        npi: npi(rng),
        taxonomy: rng.chance(70).then(|| Str::from(rng.pick(TAXONOMIES))),
        address: address(rng, true),
        tax_id: TaxId { qualifier: "EI".into(), value: rng.digits(9) },
        contact: rng.chance(40).then(|| Contact {
            name: Some(text("Billing Office")),
            phone: Some(rng.digits(10)),
            phone_extension: rng.chance(30).then(|| rng.digits(3)),
            email: rng.chance(30).then(|| Str::from("billing@example.org")),
            fax: None,
        }),
    }
}

fn procedure(rng: &mut Rng) -> Procedure {
    let n = rng.pick(&[0usize, 0, 0, 1, 1, 2, 4]);
    let mut modifiers: Vec<Str> = Vec::with_capacity(n);
    while modifiers.len() < n {
        let m = Str::from(rng.pick(MODIFIERS));
        if !modifiers.contains(&m) {
            modifiers.push(m);
        }
    }
    Procedure { qualifier: "HC".into(), code: Str::from(rng.pick(PROCEDURES)), modifiers }
}

/// Splits `charge` into (paid, adjustments) as a primary payer would: a contractual write-off,
/// then patient responsibility, so that paid + adjustments = charge.
fn adjudicate(rng: &mut Rng, charge: i64) -> (i64, Vec<Adjustment>) {
    let contractual = charge * rng.range(5, 40) as i64 / 100;
    let patient = (charge - contractual) * rng.range(0, 30) as i64 / 100;
    let paid = charge - contractual - patient;
    let mut adj = vec![Adjustment { group: "CO".into(), reason: "45".into(), amount: contractual, quantity: None }];
    if patient > 0 {
        let deductible = patient / 2;
        if deductible > 0 {
            adj.push(Adjustment { group: "PR".into(), reason: "1".into(), amount: deductible, quantity: None });
        }
        adj.push(Adjustment { group: "PR".into(), reason: "2".into(), amount: patient - deductible, quantity: None });
    }
    (paid, adj)
}

/// One varied claim. `index` makes the patient control number unique.
pub fn claim(rng: &mut Rng, index: usize) -> Claim {
    let service = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date") + Duration::days(rng.range(0, 300) as i64);
    let (payer_name, payer_id, filing) = rng.pick(PAYERS);
    let payer =
        Payer { name: payer_name.into(), id: payer_id.into(), address: rng.chance(30).then(|| address(rng, false)) };
    let patient_is_subscriber = rng.chance(60);
    let subscriber = Subscriber {
        payer_responsibility: "P".into(),
        group_number: rng.chance(60).then(|| rng.digits(6)),
        group_name: rng.chance(20).then(|| text("Employees & Retirees")),
        insurance_type: None,
        claim_filing: filing.into(),
        name: person(rng),
        member_id: format_compact!("M{}", rng.digits(9)),
        address: (patient_is_subscriber || rng.chance(50)).then(|| address(rng, false)),
        demographics: (patient_is_subscriber || rng.chance(50)).then(|| demographics(rng)),
    };
    let patient = (!patient_is_subscriber).then(|| Patient {
        relationship: Str::from(rng.pick(&["01", "19", "19", "20", "21", "39", "40", "53", "G8"])),
        name: person(rng),
        address: address(rng, false),
        demographics: demographics(rng),
    });
    let n_dx = rng.range(1, 12) as usize;
    let mut diagnoses: Vec<Str> = Vec::with_capacity(n_dx);
    while diagnoses.len() < n_dx {
        let d = Str::from(rng.pick(DIAGNOSES));
        if !diagnoses.contains(&d) {
            diagnoses.push(d);
        }
    }
    let n_lines = match rng.range(0, 9) {
        0..=5 => rng.range(1, 3),
        6..=8 => rng.range(4, 12),
        _ => rng.range(13, 50),
    } as usize;
    let pos = Str::from(rng.pick(POS));
    let lines: Vec<ServiceLine> = (0..n_lines)
        .map(|k| {
            let np = rng.range(1, 4.min(n_dx as u64)) as usize;
            let mut pointers: Vec<u8> = Vec::with_capacity(np);
            while pointers.len() < np {
                let p = rng.range(1, n_dx as u64) as u8;
                if !pointers.contains(&p) {
                    pointers.push(p);
                }
            }
            let minutes = rng.chance(5);
            let units =
                if minutes { Decimal::from(rng.range(15, 90)) } else { Decimal::from(rng.pick(&[1u64, 1, 1, 2, 3])) };
            let end = rng.chance(8).then(|| service + Duration::days(rng.range(1, 5) as i64));
            ServiceLine {
                procedure: procedure(rng),
                charge: rng.range(1_500, 95_000) as i64,
                unit: if minutes { "MJ".into() } else { "UN".into() },
                units,
                place_of_service: rng.chance(10).then(|| Str::from("11")).filter(|p| *p != pos),
                diagnosis_pointers: pointers,
                service_date: service,
                service_date_end: end,
                control_number: rng.chance(70).then(|| format_compact!("L{index}-{}", k + 1)),
                adjudications: Vec::new(),
            }
        })
        .collect();
    let total_charge = lines.iter().map(|l| l.charge).sum();
    let frequency = rng.pick(&["1", "1", "1", "1", "1", "1", "7", "8"]);
    let mut c = Claim {
        billing_provider: billing_provider(rng),
        pay_to_address: rng.chance(15).then(|| address(rng, true)),
        subscriber,
        payer,
        patient,
        patient_control_number: format_compact!("PCN{index:07}{}", rng.digits(3)),
        total_charge,
        place_of_service: pos,
        frequency: frequency.into(),
        provider_signature: rng.chance(95),
        assignment: Str::from(rng.pick(&["A", "A", "A", "C"])),
        benefits_assigned: Str::from(rng.pick(&["Y", "Y", "N", "W"])),
        release_of_information: Str::from(rng.pick(&["Y", "I"])),
        onset_date: rng.chance(25).then(|| service - Duration::days(rng.range(1, 60) as i64)),
        prior_authorization: rng.chance(20).then(|| format_compact!("PA{}", rng.digits(8))),
        payer_claim_control_number: (frequency != "1").then(|| rng.digits(14)),
        note: rng.chance(15).then(|| Note {
            code: Str::from(rng.pick(&["ADD", "CER", "DCP", "DGN", "TPO"])),
            text: text("Pt seen for f/u; see attached note #2 (50% reduction)."),
        }),
        diagnoses,
        referring_provider: rng.chance(30).then(|| ClaimProvider {
            name: Name::Person(PersonName { suffix: None, ..person(rng) }),
            npi: npi(rng),
            taxonomy: None,
        }),
        rendering_provider: rng.chance(50).then(|| ClaimProvider {
            name: Name::Person(PersonName { suffix: None, ..person(rng) }),
            npi: npi(rng),
            taxonomy: rng.chance(80).then(|| Str::from(rng.pick(TAXONOMIES))),
        }),
        other_subscribers: Vec::new(),
        lines,
    };
    if rng.chance(25) {
        make_secondary(rng, &mut c, service);
    }
    c
}

/// Turns a claim into a secondary claim: the primary payer's adjudication goes in 2320/2330, at
/// claim level or line by line.
fn make_secondary(rng: &mut Rng, c: &mut Claim, service: NaiveDate) {
    let (pname, pid, pfiling) = rng.pick(&PAYERS[..2]);
    let paid_on = service + Duration::days(rng.range(10, 40) as i64);
    c.subscriber.payer_responsibility = "S".into();
    if c.subscriber.claim_filing == "MB" {
        c.subscriber.insurance_type = Some("12".into());
    }
    let mut other = OtherSubscriber {
        payer_responsibility: "P".into(),
        relationship: Str::from(if c.patient.is_none() { "18" } else { rng.pick(&["01", "19"]) }),
        group_number: rng.chance(50).then(|| rng.digits(5)),
        claim_filing: pfiling.into(),
        adjustments: Vec::new(),
        paid: None,
        benefits_assigned: "Y".into(),
        release_of_information: "Y".into(),
        name: person(rng),
        member_id: format_compact!("P{}", rng.digits(9)),
        payer: Payer {
            name: pname.into(),
            id: format_compact!("{pid}P"),
            address: rng.chance(30).then(|| address(rng, false)),
        },
        adjudication_date: None,
    };
    if rng.chance(50) {
        let (paid, adj) = adjudicate(rng, c.total_charge);
        other.paid = Some(paid);
        other.adjustments = adj;
        other.adjudication_date = Some(paid_on);
    } else {
        let mut total = 0;
        for l in &mut c.lines {
            let (paid, adj) = adjudicate(rng, l.charge);
            total += paid;
            l.adjudications.push(LineAdjudication {
                payer_id: other.payer.id.clone(),
                paid,
                procedure: l.procedure.clone(),
                units: l.units,
                adjustments: adj,
                date: paid_on,
            });
        }
        other.paid = Some(total);
    }
    c.other_subscribers.push(other);
}

/// An interchange of `transactions` transaction sets with `claims_per_transaction` claims each.
/// Runs of claims share a billing provider and subscriber, as a practice's batch does.
pub fn interchange(seed: u64, transactions: usize, claims_per_transaction: usize) -> Interchange837 {
    let mut rng = Rng::new(seed);
    let date = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    let time = NaiveTime::from_hms_opt(9, 30, 0).expect("time");
    let control = (seed % 999_999_999) as u32 + 1;
    let mut next = 0usize;
    let transactions = (0..transactions)
        .map(|t| {
            let mut claims: Vec<Claim> = Vec::with_capacity(claims_per_transaction);
            while claims.len() < claims_per_transaction {
                let mut c = claim(&mut rng, next);
                next += 1;
                // Same provider (and sometimes the same subscriber) as the claim before.
                if let Some(prev) = claims.last().filter(|_| rng.chance(60)) {
                    c.billing_provider = prev.billing_provider.clone();
                    c.pay_to_address = prev.pay_to_address.clone();
                    if rng.chance(40) {
                        c.subscriber = prev.subscriber.clone();
                        c.payer = prev.payer.clone();
                        if c.patient.is_some() != prev.patient.is_some() {
                            c.patient = prev.patient.clone();
                        }
                        if c.patient.is_none()
                            && (c.subscriber.address.is_none() || c.subscriber.demographics.is_none())
                        {
                            c.patient = Some(Patient {
                                relationship: "19".into(),
                                name: person(&mut rng),
                                address: address(&mut rng, false),
                                demographics: demographics(&mut rng),
                            });
                        }
                        for o in &mut c.other_subscribers {
                            o.relationship = Str::from(if c.patient.is_none() { "18" } else { "19" });
                        }
                    }
                }
                claims.push(c);
            }
            Transaction837 {
                control_number: format_compact!("{:04}", t + 1),
                reference: format_compact!("B{seed}-{t}"),
                purpose: "00".into(),
                created_date: date,
                created_time: time,
                submitter: Submitter {
                    name: Name::Organization { name: text("Example Billing Co") },
                    id: "SUBMIT01".into(),
                    contact: Contact {
                        name: Some(text("EDI Desk")),
                        phone: Some("5555550100".into()),
                        email: rng.chance(50).then(|| Str::from("edi@example.org")),
                        ..Contact::default()
                    },
                },
                receiver: Receiver { name: text("Example Clearinghouse"), id: "CLEAR01".into() },
                claims,
            }
        })
        .collect();
    Interchange837 {
        header: InterchangeHeader::new("SUBMIT01", "CLEAR01", control, date, time),
        groups: vec![Group837 {
            header: GroupHeader {
                functional_id: "HC".into(),
                sender_code: "SUBMIT01".into(),
                receiver_code: "CLEAR01".into(),
                date,
                time,
                control_number: control,
                version: super::VERSION.into(),
            },
            transactions,
        }],
    }
}
