//! Deterministic, synthetic 835s for tests and benchmarks (no `rand`: a xorshift generator).
//!
//! [`sample_remittance`] makes a balanced remittance with a mix of professional, institutional,
//! pharmacy, denied and reversed claims; [`sample_835`] writes one as a whole interchange. The same
//! arguments always give the same output. Every name and id is made up.

use super::model::*;
use super::write::write_835;
use crate::error::Result;
use crate::syntax::{GroupHeader, InterchangeHeader};
use chrono::{Days, NaiveDate, NaiveTime};
use compact_str::{CompactString as Str, format_compact};
use rust_decimal::Decimal;

/// xorshift64*: small, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that seeds 0, 1, 2... give unrelated streams (and never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len() as u64) as usize).copied().unwrap_or("")
    }

    fn digits(&mut self, n: usize) -> Str {
        let mut s = Str::default();
        for _ in 0..n {
            s.push((b'0' + self.below(10) as u8) as char);
        }
        s
    }
}

const LAST: &[&str] = &[
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "NGUYEN",
    "OKAFOR",
    "KOWALSKI",
    "YAMAMOTO",
    "SILVA",
    "MULLER",
];
const FIRST: &[&str] =
    &["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA", "AMIR", "MEI", "SOFIA", "LUCA"];
const CPT: &[&str] =
    &["99213", "99214", "99203", "99204", "80053", "85025", "36415", "71046", "93000", "90471", "97110"];
const MODIFIERS: &[&str] = &["25", "59", "26", "TC", "RT", "LT", "GT", "95"];
const REMARKS: &[&str] = &["N130", "M15", "N381", "MA01", "N520", "M80"];
const FILING: &[&str] = &["12", "13", "14", "15", "16", "HM", "MB", "MC", "MA", "CH", "VA", "WC", "OF"];
const CITIES: &[(&str, &str, &str)] = &[
    ("SPRINGFIELD", "IL", "62701"),
    ("COLUMBUS", "OH", "432151234"),
    ("AUSTIN", "TX", "78701"),
    ("PORTLAND", "OR", "97201"),
    ("RALEIGH", "NC", "276011000"),
];

fn date(base: NaiveDate, days: u64) -> NaiveDate {
    base.checked_add_days(Days::new(days)).unwrap_or(base)
}

fn address(rng: &mut Rng, with_street: bool) -> Address {
    let (city, state, zip) =
        CITIES.get(rng.below(CITIES.len() as u64) as usize).copied().unwrap_or(("SPRINGFIELD", "IL", "62701"));
    Address {
        line1: with_street.then(|| format_compact!("{} {} ST", rng.range(1, 9999), rng.pick(LAST))),
        line2: (with_street && rng.chance(20)).then(|| format_compact!("SUITE {}", rng.range(100, 999))),
        city: Some(city.into()),
        state: Some(state.into()),
        postal_code: Some(zip.into()),
        country: None,
        country_subdivision: None,
    }
}

fn person(rng: &mut Rng, entity: &str, id_qualifier: &str, id: Str) -> EntityName {
    EntityName {
        entity: entity.into(),
        entity_type: "1".into(),
        last_name: Some(rng.pick(LAST).into()),
        first_name: Some(rng.pick(FIRST).into()),
        middle_name: rng.chance(30).then(|| Str::from(rng.pick(&["A", "B", "J", "M"]))),
        suffix: None,
        id_qualifier: Some(id_qualifier.into()),
        id: Some(id),
    }
}

/// Splits `allowed` into (deductible, coinsurance, copay) patient responsibility and what is paid.
fn patient_share(rng: &mut Rng, allowed: i64) -> ([i64; 3], i64) {
    let mut pr = [0i64; 3];
    if allowed > 0 {
        if rng.chance(15) {
            pr[0] = rng.range(0, allowed / 2);
        }
        if rng.chance(30) {
            pr[1] = (allowed - pr[0]) / 5;
        }
        if rng.chance(25) {
            pr[2] = (2000i64).min(allowed - pr[0] - pr[1]);
        }
    }
    let paid = allowed - pr.iter().sum::<i64>();
    (pr, paid)
}

fn push_pr(adjustments: &mut Vec<Adjustment>, pr: [i64; 3]) {
    for (reason, amount) in ["1", "2", "3"].into_iter().zip(pr) {
        if amount != 0 {
            adjustments.push(Adjustment { group: "PR".into(), reason: reason.into(), amount, quantity: None });
        }
    }
}

fn co(reason: &str, amount: i64) -> Adjustment {
    Adjustment { group: "CO".into(), reason: reason.into(), amount, quantity: None }
}

fn empty_line(procedure: Procedure, charge: i64, paid: i64) -> ServiceLine {
    ServiceLine {
        procedure,
        charge,
        paid,
        revenue_code: None,
        units: None,
        original_procedure: None,
        original_units: None,
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
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Professional,
    Outpatient,
    Inpatient,
    Pharmacy,
    Denied,
    Reversal,
}

fn claim(rng: &mut Rng, n: usize, service_base: NaiveDate) -> Claim {
    let kind = match rng.below(100) {
        0..=54 => Kind::Professional,
        55..=69 => Kind::Outpatient,
        70..=77 => Kind::Inpatient,
        78..=85 => Kind::Pharmacy,
        86..=94 => Kind::Denied,
        _ => Kind::Reversal,
    };
    let from = date(service_base, rng.below(300));
    let mut c = Claim {
        patient_control_number: format_compact!("PCN{:07}{}", n, rng.digits(3)),
        status: if rng.chance(85) { "1".into() } else { "2".into() },
        charge: 0,
        paid: 0,
        patient_responsibility: None,
        filing_indicator: rng.pick(FILING).into(),
        payer_claim_control_number: rng.digits(14),
        facility_type: None,
        frequency: Some("1".into()),
        drg_code: None,
        drg_weight: None,
        discharge_fraction: None,
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
    };
    let member = format_compact!("M{}", rng.digits(9));
    c.names.push(person(rng, "QC", "MI", member.clone()));
    if rng.chance(20) {
        c.names.push(person(rng, "IL", "MI", member));
    }
    if kind != Kind::Inpatient && rng.chance(40) {
        let npi = rng.digits(10);
        c.names.push(person(rng, "82", "XX", npi));
    }
    if rng.chance(5) {
        c.names.push(EntityName {
            entity: "TT".into(),
            entity_type: "2".into(),
            last_name: Some("SECONDARY MUTUAL".into()),
            first_name: None,
            middle_name: None,
            suffix: None,
            id_qualifier: Some("PI".into()),
            id: Some(rng.digits(5)),
        });
    }
    let mut pr_total = 0i64;
    match kind {
        Kind::Professional | Kind::Outpatient | Kind::Pharmacy | Kind::Denied => {
            c.facility_type = Some(if kind == Kind::Outpatient { "13" } else { "11" }.into());
            let lines = rng.range(1, 6) as usize;
            for l in 0..lines {
                let procedure = match kind {
                    Kind::Pharmacy => Procedure {
                        qualifier: "N4".into(),
                        code: rng.digits(11),
                        modifiers: Vec::new(),
                        description: None,
                    },
                    _ => {
                        let mut modifiers = Vec::new();
                        if rng.chance(25) {
                            modifiers.push(Str::from(rng.pick(MODIFIERS)));
                            if rng.chance(20) {
                                modifiers.push(Str::from(rng.pick(MODIFIERS)));
                            }
                        }
                        Procedure { qualifier: "HC".into(), code: rng.pick(CPT).into(), modifiers, description: None }
                    }
                };
                let charge = rng.range(2500, 60000);
                let mut line = empty_line(procedure, charge, 0);
                if kind == Kind::Outpatient {
                    line.revenue_code = Some(rng.pick(&["0300", "0450", "0320", "0730", "0250"]).into());
                }
                let units = if kind == Kind::Pharmacy { rng.range(1, 90) } else { rng.range(1, 4) };
                line.units = Some(Decimal::from(units));
                if kind != Kind::Pharmacy && rng.chance(5) {
                    line.original_procedure = Some(Box::new(Procedure {
                        qualifier: "HC".into(),
                        code: rng.pick(CPT).into(),
                        modifiers: Vec::new(),
                        description: None,
                    }));
                    line.original_units = Some(Decimal::from(units + 1));
                }
                let svc_date = date(from, l as u64 % 3);
                if rng.chance(90) {
                    line.service_date = Some(svc_date);
                } else {
                    line.service_start = Some(svc_date);
                    line.service_end = Some(date(svc_date, 1));
                }
                if kind == Kind::Denied {
                    let reason = rng.pick(&["16", "29", "50", "97", "204"]);
                    line.adjustments.push(co(reason, charge));
                    line.remarks.push(Remark { qualifier: "HE".into(), code: rng.pick(REMARKS).into() });
                } else {
                    let allowed = charge * rng.range(45, 95) / 100;
                    let (pr, paid) = patient_share(rng, allowed);
                    line.paid = paid;
                    if charge > allowed {
                        line.adjustments.push(co("45", charge - allowed));
                    }
                    push_pr(&mut line.adjustments, pr);
                    pr_total += pr.iter().sum::<i64>();
                    line.allowed = Some(allowed);
                    if rng.chance(10) {
                        line.remarks.push(Remark { qualifier: "HE".into(), code: rng.pick(REMARKS).into() });
                    }
                }
                if rng.chance(80) {
                    line.control_number = Some(format_compact!("LIC{:09}{}", n, l + 1));
                }
                c.charge += line.charge;
                c.paid += line.paid;
                c.lines.push(line);
            }
            if kind == Kind::Denied {
                c.status = "4".into();
            } else if c.paid > 5000 && rng.chance(20) {
                // Sequestration at claim level.
                let seq = c.paid * 2 / 100;
                c.paid -= seq;
                c.adjustments.push(co("253", seq));
            }
            if kind == Kind::Outpatient || kind == Kind::Pharmacy {
                c.dates.push(DateRef { qualifier: "232".into(), date: from });
                c.dates.push(DateRef { qualifier: "233".into(), date: date(from, 2) });
            }
            if kind == Kind::Outpatient && rng.chance(50) {
                c.outpatient = Some(Box::new(OutpatientAdjudication {
                    reimbursement_rate: None,
                    hcpcs_payable: Some(c.paid),
                    remark_codes: vec![Str::from(rng.pick(REMARKS))],
                    esrd_payment: None,
                    nonpayable_professional_component: None,
                }));
            }
        }
        Kind::Inpatient | Kind::Reversal => {
            c.facility_type = Some("11".into());
            let days = rng.range(1, 12);
            let charge = rng.range(500_000, 9_000_000);
            let allowed = charge * rng.range(30, 80) / 100;
            let (pr, paid) = patient_share(rng, allowed);
            c.charge = charge;
            c.paid = paid;
            c.adjustments.push(co("45", charge - allowed));
            push_pr(&mut c.adjustments, pr);
            pr_total = pr.iter().sum();
            c.drg_code = Some(rng.pick(&["470", "871", "291", "392", "690"]).into());
            c.drg_weight = Some(Decimal::new(rng.range(5000, 40000), 4));
            c.inpatient = Some(Box::new(InpatientAdjudication {
                covered_days: Decimal::from(days),
                claim_drg: Some(allowed),
                remark_codes: if rng.chance(50) { vec![Str::from(rng.pick(REMARKS))] } else { Vec::new() },
                ..Default::default()
            }));
            c.dates.push(DateRef { qualifier: "232".into(), date: from });
            c.dates.push(DateRef { qualifier: "233".into(), date: date(from, days as u64) });
            c.quantities.push(QuantityRef { qualifier: "CA".into(), quantity: Decimal::from(days) });
            if kind == Kind::Reversal {
                c.status = "22".into();
                c.frequency = Some("8".into());
                c.charge = -c.charge;
                c.paid = -c.paid;
                pr_total = -pr_total;
                for a in &mut c.adjustments {
                    a.amount = -a.amount;
                }
                if let Some(m) = c.inpatient.as_mut() {
                    m.claim_drg = m.claim_drg.map(|v| -v);
                }
            }
        }
    }
    if pr_total != 0 {
        c.patient_responsibility = Some(pr_total);
    }
    if rng.chance(30) {
        c.references.push(Reference { qualifier: "EA".into(), value: format_compact!("MR{}", rng.digits(8)) });
    }
    if rng.chance(20) {
        c.references.push(Reference { qualifier: "1L".into(), value: format_compact!("GRP{}", rng.digits(5)) });
    }
    if kind == Kind::Professional || kind == Kind::Denied {
        c.dates.push(DateRef { qualifier: "050".into(), date: date(from, 7) });
    }
    if rng.chance(40) && c.paid > 0 {
        c.amounts.push(AmountRef { qualifier: "AU".into(), amount: c.paid });
    }
    if rng.chance(3) && c.paid > 0 {
        c.amounts.push(AmountRef { qualifier: "I".into(), amount: rng.range(1, 500) });
    }
    c
}

/// A balanced remittance with `claims` claims. The same `(claims, seed)` always gives the same result.
/// Its interchange and group control numbers are those of [`sample_headers`]`(seed)`.
pub fn sample_remittance(claims: usize, seed: u64) -> Remittance {
    let mut rng = Rng::new(seed);
    let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let paid_on = date(base, 330 + rng.below(30));
    let payer_tin = rng.digits(9);
    let payee_npi = rng.digits(10);

    let mut groups: Vec<ClaimGroup> = Vec::new();
    let mut made = 0usize;
    while made < claims {
        let size = (rng.range(1, 200) as usize).min(claims - made);
        let mut g =
            ClaimGroup { number: groups.len() as u32 + 1, summary: None, supplemental: None, claims: Vec::new() };
        for _ in 0..size {
            made += 1;
            g.claims.push(claim(&mut rng, made, base));
        }
        if rng.chance(15) {
            g.summary = Some(Box::new(ProviderSummary {
                provider_id: payee_npi.clone(),
                facility_code: "11".into(),
                fiscal_period_end: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or(base),
                claim_count: Decimal::from(g.claims.len() as i64),
                total_charge: g.claims.iter().map(|c| c.charge).sum(),
                total_msp_payer: None,
                total_non_lab_charge: None,
                total_hcpcs_reported_charge: None,
                total_hcpcs_payable: None,
                total_professional_component: None,
                total_msp_patient_liability_met: None,
                total_patient_reimbursement: None,
                total_pip_claim_count: None,
                total_pip_adjustment: None,
            }));
        }
        groups.push(g);
    }

    let paid: i64 = groups.iter().flat_map(|g| g.claims.iter()).map(|c| c.paid).sum();
    let mut provider_adjustments = Vec::new();
    if rng.chance(50) && paid > 0 {
        let mut items = Vec::new();
        if rng.chance(70) {
            items.push(ProviderAdjustmentItem {
                reason: "WO".into(),
                reference: Some(format_compact!("ICN{}", rng.digits(11))),
                amount: rng.range(1, (paid / 4).max(1)),
            });
        }
        if rng.chance(50) {
            items.push(ProviderAdjustmentItem { reason: "L6".into(), reference: None, amount: -rng.range(1, 5000) });
        }
        if items.is_empty() {
            items.push(ProviderAdjustmentItem {
                reason: "FB".into(),
                reference: Some(rng.digits(8)),
                amount: rng.range(1, (paid / 10).max(1)),
            });
        }
        provider_adjustments.push(ProviderAdjustment {
            provider_id: payee_npi.clone(),
            fiscal_period_end: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or(base),
            items,
        });
    }
    let mut plb: i64 = provider_adjustments.iter().flat_map(|p| p.items.iter()).map(|i| i.amount).sum();
    if paid - plb < 0 {
        // Only reversals: carry the negative balance forward rather than send a negative payment.
        let item = ProviderAdjustmentItem { reason: "FB".into(), reference: Some(rng.digits(8)), amount: paid - plb };
        plb += item.amount;
        match provider_adjustments.first_mut() {
            Some(p) => p.items.push(item),
            None => provider_adjustments.push(ProviderAdjustment {
                provider_id: payee_npi.clone(),
                fiscal_period_end: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or(base),
                items: vec![item],
            }),
        }
    }
    let amount = paid - plb;
    let originator = format_compact!("1{payer_tin}");
    let payment = if amount <= 0 {
        Payment {
            handling: "H".into(),
            amount,
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
            date: Some(paid_on),
        }
    } else if rng.chance(70) {
        Payment {
            handling: "I".into(),
            amount,
            credit_debit: "C".into(),
            method: "ACH".into(),
            format: Some("CCP".into()),
            sender_dfi_qualifier: Some("01".into()),
            sender_dfi_id: Some(rng.digits(9)),
            sender_account_qualifier: Some("DA".into()),
            sender_account: Some(rng.digits(10)),
            originator_id: Some(originator.clone()),
            originator_supplemental_code: None,
            receiver_dfi_qualifier: Some("01".into()),
            receiver_dfi_id: Some(rng.digits(9)),
            receiver_account_qualifier: Some(if rng.chance(80) { "DA" } else { "SG" }.into()),
            receiver_account: Some(rng.digits(12)),
            date: Some(paid_on),
        }
    } else {
        Payment {
            handling: "C".into(),
            amount,
            credit_debit: "C".into(),
            method: "CHK".into(),
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
            date: Some(paid_on),
        }
    };
    let payer_name = rng.pick(&["ACME HEALTH PLAN", "SYNTHETIC MUTUAL INSURANCE", "EXAMPLE MEDICAID AGENCY"]);
    let mut payer_contacts = Vec::new();
    if rng.chance(50) {
        payer_contacts.push(Contact {
            function: "CX".into(),
            name: Some("PROVIDER SERVICES".into()),
            communications: vec![Communication {
                qualifier: "TE".into(),
                number: format_compact!("800{}", rng.digits(7)),
            }],
        });
    }
    payer_contacts.push(Contact {
        function: "BL".into(),
        name: Some("EDI SUPPORT".into()),
        communications: vec![
            Communication { qualifier: "TE".into(), number: format_compact!("888{}", rng.digits(7)) },
            Communication { qualifier: "EM".into(), number: "EDI@EXAMPLE.COM".into() },
        ],
    });
    if rng.chance(30) {
        payer_contacts.push(Contact {
            function: "IC".into(),
            name: None,
            communications: vec![Communication { qualifier: "UR".into(), number: "WWW.EXAMPLE.COM".into() }],
        });
    }
    let street = rng.chance(70);
    Remittance {
        interchange_control_number: sample_control_number(seed),
        group_control_number: sample_control_number(seed),
        control_number: format_compact!("{:04}", 1 + seed % 9999),
        payment,
        trace: Trace {
            trace_type: "1".into(),
            number: rng.digits(12),
            originator_id: originator,
            originator_supplemental_code: None,
        },
        currency: None,
        receiver_id: rng.chance(60).then(|| format_compact!("RCV{}", rng.digits(6))),
        version_id: None,
        production_date: Some(date(paid_on, 0)),
        payer: Payer {
            name: payer_name.into(),
            id_qualifier: None,
            id: None,
            address: Some(address(&mut rng, true)),
            references: if rng.chance(60) {
                vec![Reference { qualifier: "2U".into(), value: rng.digits(5) }]
            } else {
                Vec::new()
            },
            contacts: payer_contacts,
        },
        payee: Payee {
            name: "SYNTHETIC MEDICAL GROUP".into(),
            id_qualifier: Some("XX".into()),
            id: Some(payee_npi),
            address: Some(address(&mut rng, street)),
            references: vec![Reference { qualifier: "TJ".into(), value: rng.digits(9) }],
            delivery: None,
        },
        claim_groups: groups,
        provider_adjustments,
    }
}

fn sample_control_number(seed: u64) -> u32 {
    (seed % 999_999_999) as u32 + 1
}

/// ISA and GS headers for an 835 (GS01 `HP`, GS08 `005010X221A1`), control numbers from `seed`.
pub fn sample_headers(seed: u64) -> (InterchangeHeader, GroupHeader) {
    let day = NaiveDate::from_ymd_opt(2024, 12, 2).unwrap_or_default();
    let time = NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default();
    let n = sample_control_number(seed);
    let isa = InterchangeHeader::new("SYNTHPAYER", "SYNTHPROVIDER", n, day, time);
    let gs = GroupHeader {
        functional_id: "HP".into(),
        sender_code: "SYNTHPAYER".into(),
        receiver_code: "SYNTHPROVIDER".into(),
        date: day,
        time,
        control_number: n,
        version: "005010X221A1".into(),
    };
    (isa, gs)
}

/// One interchange holding [`sample_remittance`]`(claims, seed)`.
pub fn sample_835(claims: usize, seed: u64) -> Result<String> {
    let (isa, gs) = sample_headers(seed);
    write_835(&isa, &gs, &[sample_remittance(claims, seed)])
}

/// About how many bytes a generated claim takes when written (measured over large samples).
pub const BYTES_PER_CLAIM: usize = 498;

/// One interchange of about `bytes` bytes (within a few percent for sizes over 1 MB), for benchmarks:
/// `sample_835_of_size(50_000_000, 42)` is a 50 MB 835 with about 100,000 claims.
pub fn sample_835_of_size(bytes: usize, seed: u64) -> Result<String> {
    sample_835((bytes / BYTES_PER_CLAIM).max(1), seed)
}
