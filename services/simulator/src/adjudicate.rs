//! What the simulated payer decides about one claim: accept or reject it at the front door (the
//! 277CA), and for accepted claims how each line is paid (the 835).
//!
//! **Determinism.** Every decision comes from the claim's content that does not change between
//! runs over the same encounters: payer id, member id, billing NPI, service dates, procedure codes
//! and modifiers, units and charges, and whether it has a prior authorization. Never from the
//! patient control number (a random id per run) or from file names and control numbers. The
//! content goes through a seeded hash ([`crate::hash`]); so two demo runs give the same totals.
//!
//! The rules, in order:
//! - 277CA rejections: a billing provider NPI with a bad check digit (`A7:562:85`); a service date
//!   after `today` (`A7:187`); a member the payer does not know, about 3 in 100 members (`A3:33:IL`).
//! - 835, whole claim: a first service date more than [`TIMELY_FILING_DAYS`] before `today` is
//!   denied CO-29 on every line.
//! - 835, each line: advanced imaging without a prior authorization is denied CO-197 (RARC M62);
//!   about 4 in 100 lines are denied CO-16 (RARC M51), about 4 in 100 CO-50; the others are paid
//!   the allowed amount (charge less a CO-45 contractual adjustment of 20 to 45 percent), less the
//!   member's share by plan: a copay (PR-3) on the first office visit, coinsurance (PR-2, 20
//!   percent), or a deductible (PR-1) then coinsurance.

use crate::hash::{Hasher, SEED};
use chrono::NaiveDate;
use compact_str::{CompactString as Str, format_compact};
use rcm_x12::x277ca::StatusCode;
use rcm_x12::x837p::{self, sample::npi_check_digit};
use rust_decimal::Decimal;

/// Claims whose first service date is older than this are denied for timely filing (CO-29).
pub const TIMELY_FILING_DAYS: i64 = 365;
/// Members the payer does not know, out of 100.
pub const UNKNOWN_MEMBER_PER_100: u64 = 3;
/// Lines denied for missing information (CO-16), and as not medically necessary (CO-50), out of 100.
pub const MISSING_INFO_PER_100: u64 = 4;
pub const NOT_NECESSARY_PER_100: u64 = 4;
/// Procedures that need a prior authorization (advanced imaging: CT, MRI, PET, nuclear cardiology).
pub const NEEDS_AUTHORIZATION: &[&str] =
    &["70450", "70551", "70553", "71250", "72141", "72148", "73221", "73721", "74177", "78452", "78815"];

/// Why the payer turned a claim away before adjudication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: StatusCode,
    /// For people reading test output; never written to a file.
    pub reason: &'static str,
}

/// One CAS triple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adj {
    pub group: &'static str,
    pub reason: &'static str,
    pub amount: i64,
}

/// How one service line was adjudicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub procedure: x837p::Procedure,
    pub charge: i64,
    pub units: Decimal,
    pub allowed: i64,
    pub paid: i64,
    pub adjustments: Vec<Adj>,
    /// RARCs (LQ*HE).
    pub remarks: Vec<&'static str>,
    pub service_date: NaiveDate,
    pub service_date_end: Option<NaiveDate>,
    /// REF*6R as sent.
    pub control_number: Option<Str>,
}

impl LineResult {
    pub fn patient_responsibility(&self) -> i64 {
        self.adjustments.iter().filter(|a| a.group == "PR").map(|a| a.amount).sum()
    }
}

/// How one claim was adjudicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimResult {
    /// CLP02: `1` processed as primary (`2` secondary, `3` tertiary), `4` denied.
    pub status: &'static str,
    pub charge: i64,
    pub paid: i64,
    pub patient_responsibility: i64,
    pub lines: Vec<LineResult>,
}

impl ClaimResult {
    pub fn is_denied(&self) -> bool {
        self.status == "4"
    }

    pub fn is_partially_paid(&self) -> bool {
        !self.is_denied() && self.lines.iter().any(|l| l.paid == 0 && l.patient_responsibility() == 0)
    }
}

/// The payer's decision about one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Rejected(Rejection),
    /// Accepted into adjudication: REF*1K in the 277CA and CLP07 in the 835. `result` is `None` for
    /// a void (frequency 8), which has nothing to pay.
    Accepted {
        payer_claim_control_number: Str,
        result: Option<ClaimResult>,
    },
}

/// The hash of everything about the claim that stays the same between runs.
pub fn content_hash(c: &x837p::Claim) -> Hasher {
    let mut h = Hasher::new(SEED)
        .field(&c.payer.id)
        .field(&c.subscriber.member_id)
        .field(&c.billing_provider.npi)
        .field(c.prior_authorization.as_deref().unwrap_or(""))
        .field(&c.frequency);
    for l in &c.lines {
        h = line_hash(h, l);
    }
    h
}

fn line_hash(h: Hasher, l: &x837p::ServiceLine) -> Hasher {
    let mut h = h.field(&l.procedure.code);
    for m in &l.procedure.modifiers {
        h = h.field(m);
    }
    h.int(l.charge)
        .field(&l.units.normalize().to_string())
        .field(&l.service_date.to_string())
        .field(&l.service_date_end.map(|d| d.to_string()).unwrap_or_default())
}

/// The payer's claim control number: 14 digits from the content, and `occurrence` (how many claims
/// with the same content came before this one in the file), so identical claims get distinct numbers.
pub fn payer_claim_control_number(c: &x837p::Claim, occurrence: u32) -> Str {
    let n = content_hash(c).int(occurrence as i64).field("pccn").finish() % 100_000_000_000_000;
    format_compact!("{n:014}")
}

fn npi_is_valid(npi: &str) -> bool {
    npi.len() == 10
        && npi.bytes().all(|b| b.is_ascii_digit())
        && npi_check_digit(&npi[..9]) == (npi.as_bytes()[9] - b'0') as u32
}

fn first_date(c: &x837p::Claim) -> Option<NaiveDate> {
    c.lines.iter().map(|l| l.service_date).min()
}

fn last_date(c: &x837p::Claim) -> Option<NaiveDate> {
    c.lines.iter().map(|l| l.service_date_end.unwrap_or(l.service_date).max(l.service_date)).max()
}

/// The front-door check of the 277CA.
pub fn front_door(c: &x837p::Claim, today: NaiveDate) -> Option<Rejection> {
    if !npi_is_valid(&c.billing_provider.npi) {
        return Some(Rejection {
            status: StatusCode::new("A7", "562", Some("85")),
            reason: "billing provider NPI fails its check digit",
        });
    }
    if last_date(c).is_some_and(|d| d > today) {
        return Some(Rejection { status: StatusCode::new("A7", "187", None), reason: "service date in the future" });
    }
    let member = Hasher::new(SEED).field(&c.payer.id).field(&c.subscriber.member_id).draw("member", 100);
    if member < UNKNOWN_MEMBER_PER_100 {
        return Some(Rejection {
            status: StatusCode::new("A3", "33", Some("IL")),
            reason: "subscriber and subscriber id not found",
        });
    }
    None
}

/// Office and preventive visits (where a copay applies).
fn is_office_visit(code: &str) -> bool {
    matches!(code.parse::<u32>(), Ok(n) if (99202..=99215).contains(&n) || (99381..=99397).contains(&n))
}

/// The member's plan: how their share of an allowed amount is figured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Copay(i64),
    Coinsurance,
    Deductible(i64),
}

fn plan(c: &x837p::Claim) -> Plan {
    let h = Hasher::new(SEED).field(&c.payer.id).field(&c.subscriber.member_id);
    match h.draw("plan", 3) {
        0 => Plan::Copay([2000, 2500, 3000, 4000][h.draw("copay", 4) as usize]),
        1 => Plan::Coinsurance,
        _ => Plan::Deductible([5000, 15000, 25000, 50000][h.draw("deductible", 4) as usize]),
    }
}

/// Adjudicates an accepted claim.
pub fn adjudicate(c: &x837p::Claim, today: NaiveDate) -> ClaimResult {
    let primary = match c.subscriber.payer_responsibility.as_str() {
        "S" => "2",
        "T" => "3",
        _ => "1",
    };
    let timely = first_date(c).is_none_or(|d| (today - d).num_days() <= TIMELY_FILING_DAYS);
    let plan = plan(c);
    let mut deductible_left = match plan {
        Plan::Deductible(d) => d,
        _ => 0,
    };
    let mut copay_taken = false;
    let base = content_hash(c);
    let mut lines = Vec::with_capacity(c.lines.len());
    for (i, l) in c.lines.iter().enumerate() {
        let h = line_hash(base.int(i as i64), l);
        let mut r = LineResult {
            procedure: l.procedure.clone(),
            charge: l.charge,
            units: l.units,
            allowed: 0,
            paid: 0,
            adjustments: vec![],
            remarks: vec![],
            service_date: l.service_date,
            service_date_end: l.service_date_end,
            control_number: l.control_number.clone(),
        };
        let roll = h.draw("denial", 100);
        let denial = if !timely {
            Some(("29", None))
        } else if c.prior_authorization.is_none() && NEEDS_AUTHORIZATION.contains(&l.procedure.code.as_str()) {
            Some(("197", Some("M62")))
        } else if roll < MISSING_INFO_PER_100 {
            Some(("16", Some("M51")))
        } else if roll < MISSING_INFO_PER_100 + NOT_NECESSARY_PER_100 {
            Some(("50", None))
        } else {
            None
        };
        if let Some((reason, remark)) = denial {
            r.adjustments.push(Adj { group: "CO", reason, amount: l.charge });
            r.remarks.extend(remark);
            lines.push(r);
            continue;
        }
        let pct = 20 + h.draw("contractual", 26) as i64;
        let contractual = l.charge * pct / 100;
        let allowed = l.charge - contractual;
        r.allowed = allowed;
        if contractual > 0 {
            r.adjustments.push(Adj { group: "CO", reason: "45", amount: contractual });
        }
        let mut left = allowed;
        match plan {
            Plan::Copay(copay) => {
                if !copay_taken && is_office_visit(&l.procedure.code) {
                    copay_taken = true;
                    let pr = copay.min(left);
                    if pr > 0 {
                        r.adjustments.push(Adj { group: "PR", reason: "3", amount: pr });
                        left -= pr;
                    }
                }
            }
            Plan::Coinsurance => {}
            Plan::Deductible(_) => {
                let pr = deductible_left.min(left);
                if pr > 0 {
                    r.adjustments.push(Adj { group: "PR", reason: "1", amount: pr });
                    deductible_left -= pr;
                    left -= pr;
                }
            }
        }
        if matches!(plan, Plan::Coinsurance | Plan::Deductible(_)) {
            let pr = left * 20 / 100;
            if pr > 0 {
                r.adjustments.push(Adj { group: "PR", reason: "2", amount: pr });
                left -= pr;
            }
        }
        r.paid = left;
        lines.push(r);
    }
    let charge = lines.iter().map(|l| l.charge).sum();
    let paid = lines.iter().map(|l| l.paid).sum();
    let patient_responsibility = lines.iter().map(LineResult::patient_responsibility).sum();
    let status = if paid == 0 && patient_responsibility == 0 { "4" } else { primary };
    ClaimResult { status, charge, paid, patient_responsibility, lines }
}

/// The payer's decision about a claim (`occurrence` as in [`payer_claim_control_number`]).
pub fn decide(c: &x837p::Claim, occurrence: u32, today: NaiveDate) -> Decision {
    if let Some(r) = front_door(c, today) {
        return Decision::Rejected(r);
    }
    let result = (c.frequency != "8").then(|| adjudicate(c, today));
    Decision::Accepted { payer_claim_control_number: payer_claim_control_number(c, occurrence), result }
}
