//! What the simulated payer decides about one claim: accept or reject it at the front door (the
//! 277CA), how each line of an accepted claim is paid (the 835), and across which 835 files.
//!
//! **Determinism.** Every decision comes from the claim's content that does not change between
//! runs over the same encounters: payer id, member id, billing NPI, service dates, procedure codes
//! and modifiers, units and charges, and whether it has a prior authorization. Never from the
//! patient control number (a random id per run) or from file names and control numbers. The
//! content goes through a hash seeded with [`SimulatorConfig::seed`] ([`crate::hash`]); so two demo
//! runs with the same seed give the same totals, and another seed gives other fates. The one
//! decision that also depends on what came before is CO-18: whether the payer answered a claim
//! with the same content earlier (the answered-claims memory, [`crate::answered`]).
//!
//! The rules, in order (the rates are [`SimulatorConfig`] fields; defaults in brackets):
//! - 277CA rejections: a billing provider NPI with a bad check digit (`A7:562:85`); a service date
//!   after `today` (`A7:187`); a member the payer does not know (`A3:33:IL`), `unknown_member_per_100`
//!   members [3].
//! - 835, whole claim: a duplicate ([`duplicate_key`]: same payer, member id, billing NPI, first
//!   service date, and procedures with modifiers as a claim already adjudicated for the tenant, in
//!   this file or an earlier one; replacements and voids, frequency 7 and 8, are never duplicates)
//!   is denied CO-18 on every line; a first service date more than `timely_filing_days` [365]
//!   before `today` is denied CO-29 on every line.
//! - 835, each line: advanced imaging ([`NEEDS_AUTHORIZATION`]) without a prior authorization is
//!   denied CO-197 (RARC M62); a procedure the payer bundles into another line of the claim on the
//!   same date ([`BUNDLING`], a payer policy beyond NCCI) is denied CO-97 (RARC M15), unless the line
//!   carries a distinct-service modifier (59, XE, XS, XP, XU); then `missing_info_per_100` lines [4]
//!   are denied CO-16 (RARC M51) and `not_necessary_per_100` [4] CO-50; the others are paid the
//!   allowed amount (charge less a CO-45 contractual adjustment of 20 to 45 percent), less the
//!   member's share by plan: a copay (PR-3) on the first office visit, coinsurance (PR-2, 20
//!   percent), or a deductible (PR-1) then coinsurance.
//! - Across files ([`Remit`]): `split_payment_per_100` [0] of the claims with a payment and two or
//!   more lines are split: some lines are paid in the first 835 and the rest in a later one, each
//!   part a claim (CLP) of its own whose charge is that of its lines; the two parts add up to what
//!   one 835 would have paid. `reversal_per_100` [0] of the other claims with a payment are paid in
//!   the first 835, then in the later one reversed (CLP02 22, every amount of the first payment
//!   negated, same CLP01 and CLP07) and paid again with a lower allowed amount (the contractual
//!   adjustment 5 to 15 points higher).

use crate::config::SimulatorConfig;
use crate::hash::Hasher;
use chrono::NaiveDate;
use compact_str::{CompactString as Str, format_compact};
use rcm_x12::x277ca::StatusCode;
use rcm_x12::x837p::{self, sample::npi_check_digit};
use rust_decimal::Decimal;

/// Procedures that need a prior authorization (advanced imaging: CT, MRI, PET, nuclear cardiology).
pub const NEEDS_AUTHORIZATION: &[&str] =
    &["70450", "70551", "70553", "71250", "72141", "72148", "73221", "73721", "74177", "78452", "78815"];

/// One line of the payer's bundling policy: `code` is not paid when the claim has, on the same
/// date, another line whose procedure is in one of the `into` ranges (five-character codes,
/// inclusive): the `code` line is denied CO-97 with `remark`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundling {
    pub code: &'static str,
    pub into: &'static [(&'static str, &'static str)],
    pub remark: &'static str,
    /// The policy in words (documentation and test output only).
    pub why: &'static str,
}

/// The simulated payer's bundling policy, beyond NCCI (the scrubber already holds claims to the
/// NCCI procedure-to-procedure edits, and the pairs here are not NCCI edits that modifier 25 on the
/// visit would not bypass). Modeled on commercial payers' reimbursement policies; a made-up payer's,
/// not any real one's. The demo bills 96372 with a new-patient visit now and then (a few claims in
/// a hundred), so its runs show some CO-97.
pub const BUNDLING: &[Bundling] = &[
    Bundling {
        code: "36415",
        into: &[("99202", "99215")],
        remark: "M15",
        why: "routine venipuncture is included in an office visit the same day",
    },
    Bundling {
        code: "96372",
        into: &[("99202", "99205")],
        remark: "M15",
        why: "a therapeutic injection is included in a new-patient office visit the same day",
    },
];

/// Modifiers that say a line is a distinct service: the payer does not bundle a line carrying one.
pub const DISTINCT_SERVICE_MODIFIERS: &[&str] = &["59", "XE", "XS", "XP", "XU"];

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

/// How an adjudicated claim is paid across the 835 files of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remit {
    /// Whole, in the first 835.
    Whole,
    /// Lines `..at` in the first 835, lines `at..` in the later one; each part a CLP of its own.
    Split { at: usize },
    /// Whole in the first 835; in the later one reversed (CLP02 22) and paid again as `corrected`.
    Reversed { corrected: ClaimResult },
}

/// The payer's decision about one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Rejected(Rejection),
    /// Accepted into adjudication: REF*1K in the 277CA and CLP07 in the 835. `result` is `None` for
    /// a void (frequency 8), which has nothing to pay (and `remit` is then [`Remit::Whole`]).
    Accepted {
        payer_claim_control_number: Str,
        result: Option<ClaimResult>,
        remit: Remit,
    },
}

impl Decision {
    /// The adjudication, for a claim accepted with something to pay or deny.
    pub fn result(&self) -> Option<&ClaimResult> {
        match self {
            Decision::Accepted { result, .. } => result.as_ref(),
            Decision::Rejected(_) => None,
        }
    }
}

/// The hash of everything about the claim that stays the same between runs.
pub fn content_hash(c: &x837p::Claim, seed: u64) -> Hasher {
    let mut h = Hasher::new(seed)
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
pub fn payer_claim_control_number(c: &x837p::Claim, occurrence: u32, seed: u64) -> Str {
    let n = content_hash(c, seed).int(occurrence as i64).field("pccn").finish() % 100_000_000_000_000;
    format_compact!("{n:014}")
}

/// The key of the payer's duplicate check: a hash (32 hex digits) of the payer id, member id,
/// billing NPI, first service date, and the procedures with their modifiers (sorted, so the order of
/// the lines does not matter). `None` for a replacement or a void (frequency 7 or 8), which repeat a
/// claim on purpose. Not seeded: whether two claims have the same content is a fact, not a draw.
pub fn duplicate_key(c: &x837p::Claim) -> Option<Str> {
    if matches!(c.frequency.as_str(), "7" | "8") {
        return None;
    }
    let mut procedures: Vec<String> = c
        .lines
        .iter()
        .map(|l| {
            let mut p = format!("{}:{}", l.procedure.qualifier, l.procedure.code);
            for m in &l.procedure.modifiers {
                p.push(':');
                p.push_str(m);
            }
            p
        })
        .collect();
    procedures.sort();
    let mut h = Hasher::new(0)
        .field("duplicate")
        .field(&c.payer.id)
        .field(&c.subscriber.member_id)
        .field(&c.billing_provider.npi)
        .field(&first_date(c).map(|d| d.to_string()).unwrap_or_default());
    for p in &procedures {
        h = h.field(p);
    }
    Some(format_compact!("{:016x}{:016x}", h.field("a").finish(), h.field("b").finish()))
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
pub fn front_door(c: &x837p::Claim, today: NaiveDate, cfg: &SimulatorConfig) -> Option<Rejection> {
    if !npi_is_valid(&c.billing_provider.npi) {
        return Some(Rejection {
            status: StatusCode::new("A7", "562", Some("85")),
            reason: "billing provider NPI fails its check digit",
        });
    }
    if last_date(c).is_some_and(|d| d > today) {
        return Some(Rejection { status: StatusCode::new("A7", "187", None), reason: "service date in the future" });
    }
    let member = Hasher::new(cfg.seed).field(&c.payer.id).field(&c.subscriber.member_id).draw("member", 100);
    if member < cfg.unknown_member_per_100 {
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

/// The bundling policy line that denies line `i` of the claim, if one does.
pub fn bundled(c: &x837p::Claim, i: usize) -> Option<&'static Bundling> {
    let l = c.lines.get(i)?;
    if l.procedure.modifiers.iter().any(|m| DISTINCT_SERVICE_MODIFIERS.contains(&m.as_str())) {
        return None;
    }
    let in_range = |code: &str, (lo, hi): &(&str, &str)| code.len() == lo.len() && *lo <= code && code <= *hi;
    BUNDLING.iter().find(|b| {
        b.code == l.procedure.code
            && c.lines.iter().enumerate().any(|(j, other)| {
                j != i
                    && other.service_date == l.service_date
                    && b.into.iter().any(|r| in_range(&other.procedure.code, r))
            })
    })
}

/// The member's plan: how their share of an allowed amount is figured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Copay(i64),
    Coinsurance,
    Deductible(i64),
}

fn plan(c: &x837p::Claim, seed: u64) -> Plan {
    let h = Hasher::new(seed).field(&c.payer.id).field(&c.subscriber.member_id);
    match h.draw("plan", 3) {
        0 => Plan::Copay([2000, 2500, 3000, 4000][h.draw("copay", 4) as usize]),
        1 => Plan::Coinsurance,
        _ => Plan::Deductible([5000, 15000, 25000, 50000][h.draw("deductible", 4) as usize]),
    }
}

/// Adjudicates an accepted claim; `duplicate` when the payer adjudicated a claim with the same
/// [`duplicate_key`] before.
pub fn adjudicate(c: &x837p::Claim, today: NaiveDate, cfg: &SimulatorConfig, duplicate: bool) -> ClaimResult {
    price(c, today, cfg, duplicate, 0)
}

/// [`adjudicate`] with the contractual adjustment `extra_contractual` percentage points higher.
fn price(
    c: &x837p::Claim,
    today: NaiveDate,
    cfg: &SimulatorConfig,
    duplicate: bool,
    extra_contractual: i64,
) -> ClaimResult {
    let primary = match c.subscriber.payer_responsibility.as_str() {
        "S" => "2",
        "T" => "3",
        _ => "1",
    };
    let timely = first_date(c).is_none_or(|d| (today - d).num_days() <= cfg.timely_filing_days);
    let plan = plan(c, cfg.seed);
    let mut deductible_left = match plan {
        Plan::Deductible(d) => d,
        _ => 0,
    };
    let mut copay_taken = false;
    let base = content_hash(c, cfg.seed);
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
        let denial = if duplicate {
            Some(("18", None))
        } else if !timely {
            Some(("29", None))
        } else if c.prior_authorization.is_none() && NEEDS_AUTHORIZATION.contains(&l.procedure.code.as_str()) {
            Some(("197", Some("M62")))
        } else if let Some(b) = bundled(c, i) {
            Some(("97", Some(b.remark)))
        } else if roll < cfg.missing_info_per_100 {
            Some(("16", Some("M51")))
        } else if roll < cfg.missing_info_per_100 + cfg.not_necessary_per_100 {
            Some(("50", None))
        } else {
            None
        };
        if let Some((reason, remark)) = denial {
            if l.charge > 0 {
                r.adjustments.push(Adj { group: "CO", reason, amount: l.charge });
            }
            r.remarks.extend(remark);
            lines.push(r);
            continue;
        }
        let pct = (20 + h.draw("contractual", 26) as i64 + extra_contractual).min(100);
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

/// Across which 835 files an adjudicated claim is paid (see the module documentation). Denied
/// claims and claims with nothing to pay are always paid whole.
pub fn remit(c: &x837p::Claim, r: &ClaimResult, today: NaiveDate, cfg: &SimulatorConfig) -> Remit {
    if r.is_denied() {
        return Remit::Whole;
    }
    let h = content_hash(c, cfg.seed);
    if r.lines.len() >= 2 && h.draw("split", 100) < cfg.split_payment_per_100 {
        let at = 1 + h.draw("split at", r.lines.len() as u64 - 1) as usize;
        return Remit::Split { at };
    }
    if r.paid > 0 && h.draw("reversal", 100) < cfg.reversal_per_100 {
        let extra = 5 + h.draw("correction", 11) as i64;
        return Remit::Reversed { corrected: price(c, today, cfg, false, extra) };
    }
    Remit::Whole
}

/// The payer's decision about a claim (`occurrence` as in [`payer_claim_control_number`];
/// `duplicate` as in [`adjudicate`]).
pub fn decide(c: &x837p::Claim, occurrence: u32, today: NaiveDate, cfg: &SimulatorConfig, duplicate: bool) -> Decision {
    if let Some(r) = front_door(c, today, cfg) {
        return Decision::Rejected(r);
    }
    let result = (c.frequency != "8").then(|| adjudicate(c, today, cfg, duplicate));
    let remit = match &result {
        Some(r) => remit(c, r, today, cfg),
        None => Remit::Whole,
    };
    Decision::Accepted {
        payer_claim_control_number: payer_claim_control_number(c, occurrence, cfg.seed),
        result,
        remit,
    }
}
