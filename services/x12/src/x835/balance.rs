//! The 835 balancing rules. An imbalance is a [`Finding`] with severity error, never a read error.
//!
//! - `balance.line`: SVC02 − SVC03 = Σ the line's CAS amounts.
//! - `balance.claim`: CLP03 − CLP04 = Σ claim-level CAS amounts + Σ CAS amounts of all its lines.
//! - `balance.transaction`: BPR02 = Σ CLP04 − Σ PLB amounts (a positive PLB amount reduces the payment).
//!
//! Findings name the claim and line by ordinal (1-based, in file order) and position, never by
//! patient data; they show the amounts, which are not identifiers.

use super::model::{Adjustment, Claim, Remittance, ServiceLine};
use crate::error::{Finding, Position};

pub const BALANCE_LINE: &str = "balance.line";
pub const BALANCE_CLAIM: &str = "balance.claim";
pub const BALANCE_TRANSACTION: &str = "balance.transaction";

/// Every balancing finding of a remittance, without positions (for a model that was not read from a
/// file, e.g. before writing it). The reader adds the same findings with positions.
pub fn balance_findings(r: &Remittance) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, claim) in r.claims().enumerate() {
        for (j, line) in claim.lines.iter().enumerate() {
            out.extend(check_line(line, i + 1, j + 1, None));
        }
        out.extend(check_claim(claim, i + 1, None));
    }
    out.extend(check_transaction(r, None));
    out
}

/// Cents (possibly a sum wider than i64) as `-12.50`.
fn money(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn at(pos: Option<Position>, seg: &str) -> String {
    match pos {
        Some(p) => format!(" ({seg} at segment {})", p.segment),
        None => String::new(),
    }
}

/// The sum of the amounts of `adjustments`.
pub(crate) fn adjusted(adjustments: &[Adjustment]) -> i128 {
    adjustments.iter().map(|a| a.amount as i128).sum()
}

pub(crate) fn check_line(
    line: &ServiceLine,
    claim_no: usize,
    line_no: usize,
    pos: Option<Position>,
) -> Option<Finding> {
    check_line_sum(line, adjusted(&line.adjustments), claim_no, line_no, pos)
}

/// [`check_line`] with the sum of the line's CAS amounts already known.
pub(crate) fn check_line_sum(
    line: &ServiceLine,
    adjusted: i128,
    claim_no: usize,
    line_no: usize,
    pos: Option<Position>,
) -> Option<Finding> {
    let expected = line.charge as i128 - line.paid as i128;
    (expected != adjusted).then(|| {
        Finding::error(
            BALANCE_LINE,
            pos,
            format!(
                "claim {claim_no}, service line {line_no}{}: SVC02 - SVC03 is {} but the line's CAS amounts total {}",
                at(pos, "SVC"),
                money(expected),
                money(adjusted)
            ),
        )
    })
}

pub(crate) fn check_claim(claim: &Claim, claim_no: usize, pos: Option<Position>) -> Option<Finding> {
    let adjusted = claim.all_adjustments().map(|a| a.amount as i128).sum();
    check_claim_sum(claim, adjusted, claim_no, pos)
}

/// [`check_claim`] with the sum of the claim's and its lines' CAS amounts already known.
pub(crate) fn check_claim_sum(
    claim: &Claim,
    adjusted: i128,
    claim_no: usize,
    pos: Option<Position>,
) -> Option<Finding> {
    let expected = claim.charge as i128 - claim.paid as i128;
    (expected != adjusted).then(|| {
        Finding::error(
            BALANCE_CLAIM,
            pos,
            format!(
                "claim {claim_no}{}: CLP03 - CLP04 is {} but the claim and service-line CAS amounts total {}",
                at(pos, "CLP"),
                money(expected),
                money(adjusted)
            ),
        )
    })
}

pub(crate) fn check_transaction(r: &Remittance, pos: Option<Position>) -> Option<Finding> {
    check_transaction_sum(r, r.claims().map(|c| c.paid as i128).sum(), pos)
}

/// [`check_transaction`] with the sum of the claims' CLP04 already known.
pub(crate) fn check_transaction_sum(r: &Remittance, paid: i128, pos: Option<Position>) -> Option<Finding> {
    let plb: i128 = r.provider_adjustments.iter().flat_map(|p| p.items.iter()).map(|i| i.amount as i128).sum();
    let expected = paid - plb;
    (expected != r.payment.amount as i128).then(|| {
        Finding::error(
            BALANCE_TRANSACTION,
            pos,
            format!(
                "transaction set {}{}: BPR02 is {} but the claims' CLP04 total {} less the PLB adjustments {} is {}",
                r.control_number,
                at(pos, "BPR"),
                money(r.payment.amount as i128),
                money(paid),
                money(plb),
                money(expected)
            ),
        )
    })
}
