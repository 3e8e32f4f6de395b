//! The remittance service's decisions, without I/O: what an 835 claim (CLP loop) means for the claim
//! we billed, which billed line each service line (SVC) answers, and what the remittance event says.
//!
//! The input is a small model of one CLP loop ([`ClaimRemit`]), made from the X12 reader's model by
//! `era::claim_remit`, so the rule can be read and tested on its own.
//!
//! # Paid, partially paid or denied ([`adjudicate`])
//! In this order:
//! 1. **reversal** when CLP02 is `22`: the payer takes back an earlier payment. It is recorded as such;
//!    no paid/partially paid/denied event is emitted for it (the corrected claim that usually follows
//!    in the same 835 is judged on its own).
//! 2. **denied** when CLP02 is `4` (denied), or when nothing was paid (CLP04 = 0) and nothing is the
//!    patient's responsibility.
//! 3. **partially paid** when something was paid or is the patient's responsibility, but at least one
//!    billed line was denied (charged, paid nothing, and none of it put on the patient), or a claim- or
//!    line-level adjustment other than contractual `CO-45` (charge over the fee schedule), `CO-253`
//!    (sequestration) or patient responsibility (group `PR`) reduced the payment.
//! 4. **paid** otherwise: paid in full less the contractual amounts and the patient's share.
//!
//! A line that went wholly to the patient (e.g. a deductible) paid nothing but is not denied: the
//! patient owes it. Adjustments with a zero or negative amount reduce nothing.
//!
//! The patient's responsibility is CLP05 when sent, otherwise the sum of the `PR` adjustments at claim
//! and line level.

use rcm_proto::events::{Adjustment, Remittance};

/// One CAS adjustment: group (`CO`, `PR`, `OA`, `PI`, `CR`), CARC reason, amount in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adj {
    pub group: String,
    pub reason: String,
    pub amount_cents: i64,
}

impl Adj {
    pub fn new(group: &str, reason: &str, amount_cents: i64) -> Adj {
        Adj { group: group.into(), reason: reason.into(), amount_cents }
    }
}

/// One service line (SVC loop 2110).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineRemit {
    /// REF*6R: the line item control number we sent (our line id).
    pub control_number: Option<String>,
    /// SVC01-2.
    pub procedure_code: String,
    /// SVC01-3..6.
    pub modifiers: Vec<String>,
    /// DTM*472 (or 150), YYYY-MM-DD; empty when not sent.
    pub service_date: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub adjustments: Vec<Adj>,
    /// LQ codes.
    pub remark_codes: Vec<String>,
}

/// One claim of an 835 (CLP loop 2100).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimRemit {
    /// CLP01: our patient control number.
    pub patient_control_number: String,
    /// CLP02.
    pub status: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    /// CLP05, when sent.
    pub patient_responsibility_cents: Option<i64>,
    /// CLP07.
    pub payer_claim_control_number: String,
    /// Claim-level CAS.
    pub adjustments: Vec<Adj>,
    /// MOA/MIA remark codes.
    pub remark_codes: Vec<String>,
    pub lines: Vec<LineRemit>,
}

impl ClaimRemit {
    /// Claim-level adjustments, then each line's.
    pub fn all_adjustments(&self) -> impl Iterator<Item = &Adj> + '_ {
        self.adjustments.iter().chain(self.lines.iter().flat_map(|l| l.adjustments.iter()))
    }
}

/// What a remittance says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    PartiallyPaid,
    Denied,
    Reversal,
}

impl Outcome {
    /// The name stored with the posting, and the claim's state after it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::PartiallyPaid => "partially_paid",
            Outcome::Denied => "denied",
            Outcome::Reversal => "reversed",
        }
    }
}

/// CLP02 `4`: denied.
pub const STATUS_DENIED: &str = "4";
/// CLP02 `22`: reversal of a previous payment.
pub const STATUS_REVERSAL: &str = "22";

/// CLP05, or the sum of the `PR` adjustments when CLP05 was not sent.
pub fn patient_responsibility(c: &ClaimRemit) -> i64 {
    c.patient_responsibility_cents
        .unwrap_or_else(|| c.all_adjustments().filter(|a| a.group == "PR").map(|a| a.amount_cents).sum())
}

/// True when the adjustment reduced the payment for a reason other than the contract (`CO-45`,
/// `CO-253`) or the patient's share (`PR`).
pub fn is_reducing(a: &Adj) -> bool {
    a.amount_cents > 0 && a.group != "PR" && !(a.group == "CO" && (a.reason == "45" || a.reason == "253"))
}

/// True when a charged line paid nothing and none of it was put on the patient.
pub fn line_denied(l: &LineRemit) -> bool {
    l.charge_cents > 0 && l.paid_cents == 0 && !l.adjustments.iter().any(|a| a.group == "PR" && a.amount_cents > 0)
}

/// The rule of the module documentation.
pub fn adjudicate(c: &ClaimRemit) -> Outcome {
    if c.status == STATUS_REVERSAL {
        return Outcome::Reversal;
    }
    let pr = patient_responsibility(c);
    if c.status == STATUS_DENIED || (c.paid_cents == 0 && pr == 0) {
        return Outcome::Denied;
    }
    if c.lines.iter().any(line_denied) || c.all_adjustments().any(is_reducing) {
        return Outcome::PartiallyPaid;
    }
    Outcome::Paid
}

/// A line as we billed it (from `ClaimSubmitted`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BilledLine {
    pub line_id: String,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    /// YYYY-MM-DD.
    pub service_date: String,
    pub charge_cents: i64,
}

/// How a service line found its billed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// REF*6R named the billed line's id.
    ControlNumber,
    /// The same procedure code, and the best of modifiers, date and charge.
    Procedure,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::ControlNumber => "control_number",
            MatchedBy::Procedure => "procedure",
        }
    }
}

/// A service line's billed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    pub line_id: String,
    pub by: MatchedBy,
}

/// How well a billed line fits a service line without REF*6R: `None` for another procedure code,
/// else one point each for the same modifiers, the same date and the same charge.
fn fit(b: &BilledLine, l: &LineRemit) -> Option<u8> {
    if l.procedure_code.is_empty() || b.procedure_code != l.procedure_code {
        return None;
    }
    let mut score = 0;
    if b.modifiers == l.modifiers {
        score += 1;
    }
    if !l.service_date.is_empty() && b.service_date == l.service_date {
        score += 1;
    }
    if b.charge_cents == l.charge_cents {
        score += 1;
    }
    Some(score)
}

/// Which billed line each service line answers: the one whose id the payer echoed in REF*6R, or
/// else, among the billed lines not yet matched with the same procedure code, the one that also
/// has the same modifiers, date and charge (most of them; the first billed on a tie). `None` when
/// neither finds one. A billed line answers one service line of the CLP at most.
pub fn match_lines(billed: &[BilledLine], lines: &[LineRemit]) -> Vec<Option<LineMatch>> {
    let mut used = vec![false; billed.len()];
    let mut out = vec![None; lines.len()];
    // Control numbers first, so a line matched by code cannot take a line another one names.
    for (i, l) in lines.iter().enumerate() {
        if let Some(cn) = l.control_number.as_deref().filter(|c| !c.is_empty())
            && let Some(j) = billed.iter().enumerate().position(|(j, b)| !used[j] && b.line_id == cn)
        {
            used[j] = true;
            out[i] = Some(LineMatch { line_id: billed[j].line_id.clone(), by: MatchedBy::ControlNumber });
        }
    }
    // Then the best fits first, so a weak fit cannot take the line a better one needs.
    let mut fits: Vec<(u8, usize, usize)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        for (j, b) in billed.iter().enumerate() {
            if let Some(score) = fit(b, l) {
                fits.push((score, i, j));
            }
        }
    }
    fits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, i, j) in fits {
        if out[i].is_none() && !used[j] {
            used[j] = true;
            out[i] = Some(LineMatch { line_id: billed[j].line_id.clone(), by: MatchedBy::Procedure });
        }
    }
    out
}

/// The billed lines a service line that matched nothing could be, best first: those with its
/// procedure code, then those with its charge or date, then the rest not matched to another line.
pub fn line_candidates<'a>(
    billed: &'a [BilledLine],
    line: &LineRemit,
    taken: &[String],
) -> Vec<(&'a BilledLine, &'static str)> {
    let mut out: Vec<(u8, &BilledLine, &'static str)> = billed
        .iter()
        .filter(|b| !taken.contains(&b.line_id))
        .map(|b| {
            if b.procedure_code == line.procedure_code {
                (0, b, "same procedure")
            } else if b.charge_cents == line.charge_cents {
                (1, b, "same charge")
            } else if !line.service_date.is_empty() && b.service_date == line.service_date {
                (2, b, "same date")
            } else {
                (3, b, "not matched to another line")
            }
        })
        .collect();
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|(_, b, why)| (b, why)).collect()
}

/// The claim's remark codes: claim-level first, then each line's, each code once.
pub fn remark_codes(c: &ClaimRemit) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in c.remark_codes.iter().chain(c.lines.iter().flat_map(|l| l.remark_codes.iter())) {
        if !code.is_empty() && !out.contains(code) {
            out.push(code.clone());
        }
    }
    out
}

/// The `Remittance` message of the event: amounts, every adjustment (claim level, then line level,
/// flattened, so that charge − paid = Σ adjustments on a balanced claim), remark codes, the ERA file
/// and the check/EFT trace number.
pub fn remittance_message(c: &ClaimRemit, era_file: &str, payment_trace: &str) -> Remittance {
    Remittance {
        payer_claim_control_number: c.payer_claim_control_number.clone(),
        claim_status: c.status.clone(),
        charge_cents: c.charge_cents,
        paid_cents: c.paid_cents,
        patient_responsibility_cents: patient_responsibility(c),
        adjustments: c
            .all_adjustments()
            .map(|a| Adjustment { group: a.group.clone(), reason: a.reason.clone(), amount_cents: a.amount_cents })
            .collect(),
        remark_codes: remark_codes(c),
        era_file: era_file.to_string(),
        payment_trace: payment_trace.to_string(),
    }
}

/// Whether a submitted claim waits for a remittance: a void (CLM05-3 = 8) asks for no payment, so
/// the claim keeps its last posting; originals and replacements are expected.
pub fn expects_remittance(frequency_code: &str) -> bool {
    frequency_code.trim() != "8"
}

/// A claim's posted money over the postings to its current submission.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub billed_cents: i64,
    pub paid_cents: i64,
    /// Every CAS amount, claim and line level, patient responsibility included.
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
}

impl Totals {
    /// Nothing posted yet.
    pub fn billed(billed_cents: i64) -> Totals {
        Totals { billed_cents, ..Totals::default() }
    }

    /// charges less payments less adjustments.
    pub fn balance_cents(&self) -> i64 {
        self.billed_cents - self.paid_cents - self.adjusted_cents
    }

    /// After one more posting (a reversal posts negative amounts).
    pub fn plus(self, p: &PostedAmounts) -> Totals {
        Totals {
            billed_cents: self.billed_cents,
            paid_cents: self.paid_cents + p.paid_cents,
            adjusted_cents: self.adjusted_cents + p.adjusted_cents,
            patient_responsibility_cents: self.patient_responsibility_cents + p.patient_responsibility_cents,
        }
    }

    pub fn message(&self) -> rcm_proto::events::ClaimTotals {
        rcm_proto::events::ClaimTotals {
            billed_cents: self.billed_cents,
            paid_cents: self.paid_cents,
            adjusted_cents: self.adjusted_cents,
            patient_responsibility_cents: self.patient_responsibility_cents,
            balance_cents: self.balance_cents(),
        }
    }
}

/// What one posting adds to a claim's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostedAmounts {
    pub paid_cents: i64,
    pub adjusted_cents: i64,
    pub patient_responsibility_cents: i64,
}

impl PostedAmounts {
    /// A CLP's amounts: CLP04, the sum of every CAS, and the patient's share.
    pub fn of(c: &ClaimRemit) -> PostedAmounts {
        PostedAmounts {
            paid_cents: c.paid_cents,
            adjusted_cents: c.all_adjustments().map(|a| a.amount_cents).sum(),
            patient_responsibility_cents: patient_responsibility(c),
        }
    }

    /// The exact undoing of these amounts.
    pub fn negated(self) -> PostedAmounts {
        PostedAmounts {
            paid_cents: -self.paid_cents,
            adjusted_cents: -self.adjusted_cents,
            patient_responsibility_cents: -self.patient_responsibility_cents,
        }
    }
}

/// The claim as all its standing 835 claims say together (the parts of a split payment, a
/// corrected payment after a reversal): amounts and adjustments added, lines put together, CLP02
/// denied only when every part is denied, else the latest part's. The outcome of a claim paid in
/// parts is that of the whole so far.
pub fn accumulate(parts: &[ClaimRemit]) -> Option<ClaimRemit> {
    let last = parts.last()?;
    let mut out = ClaimRemit {
        patient_control_number: last.patient_control_number.clone(),
        status: if parts.iter().all(|p| p.status == STATUS_DENIED) {
            STATUS_DENIED.to_string()
        } else {
            parts.iter().rev().find(|p| p.status != STATUS_DENIED).map(|p| p.status.clone()).unwrap_or_default()
        },
        payer_claim_control_number: last.payer_claim_control_number.clone(),
        patient_responsibility_cents: Some(parts.iter().map(patient_responsibility).sum()),
        ..ClaimRemit::default()
    };
    for p in parts {
        out.charge_cents += p.charge_cents;
        out.paid_cents += p.paid_cents;
        out.adjustments.extend(p.adjustments.iter().cloned());
        out.remark_codes.extend(p.remark_codes.iter().cloned());
        out.lines.extend(p.lines.iter().cloned());
    }
    Some(out)
}

/// A posting a reversal may undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversible {
    pub posting_id: i64,
    pub payer_claim_control_number: String,
    pub charge_cents: i64,
    pub amounts: PostedAmounts,
    /// Already undone by another reversal.
    pub reversed: bool,
}

/// Why a reversal cannot be posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversalProblem {
    /// No standing posting of the claim.
    NothingToReverse,
    /// Postings stand, but none has the reversal's amounts negated.
    AmountsDiffer,
}

impl ReversalProblem {
    pub fn reason(&self) -> &'static str {
        match self {
            ReversalProblem::NothingToReverse => "reversal of a payment that was never posted (or is already reversed)",
            ReversalProblem::AmountsDiffer => {
                "reversal whose amounts are not those of any posting of the claim negated (CLP03, CLP04 and CAS)"
            }
        }
    }
}

/// The posting a reversal (CLP02 22) undoes: a standing posting of the claim whose charge, payment,
/// adjustments and patient share are the reversal's negated, the same payer claim control number
/// (CLP07) preferred, the latest first. A reversal must undo a posting exactly, so one that fits
/// none is not posted (it goes to the unmatched queue).
pub fn reversal_target(reversal: &ClaimRemit, postings: &[Reversible]) -> Result<i64, ReversalProblem> {
    let standing: Vec<&Reversible> = postings.iter().filter(|p| !p.reversed).collect();
    if standing.is_empty() {
        return Err(ReversalProblem::NothingToReverse);
    }
    let undo = PostedAmounts::of(reversal).negated();
    let fits = |p: &&&Reversible| p.charge_cents == -reversal.charge_cents && p.amounts == undo;
    let same_icn = standing
        .iter()
        .rev()
        .filter(|p| p.payer_claim_control_number == reversal.payer_claim_control_number)
        .find(fits);
    same_icn.or_else(|| standing.iter().rev().find(fits)).map(|p| p.posting_id).ok_or(ReversalProblem::AmountsDiffer)
}

/// What to do with one payment (835 transaction set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentDecision {
    Post,
    /// It does not balance: held, with the balancing findings as the reason.
    Hold(String),
    /// The payer's trace (TRN03, TRN02) was posted before.
    Duplicate {
        posted_payment_id: i64,
    },
}

/// Balanced and new: posted; unbalanced: held (even when taken before, so an operator sees it);
/// otherwise a payment taken before is a duplicate.
pub fn judge_payment(imbalances: &[String], posted_before: Option<i64>) -> PaymentDecision {
    if !imbalances.is_empty() {
        return PaymentDecision::Hold(imbalances.join("; "));
    }
    match posted_before {
        Some(id) => PaymentDecision::Duplicate { posted_payment_id: id },
        None => PaymentDecision::Post,
    }
}

/// The ledger category of a PLB reason code (PLB03-1).
pub fn plb_category(reason: &str) -> &'static str {
    match reason {
        "L6" => "interest",
        "FB" => "forward_balance",
        "WO" | "72" | "J1" | "CS" | "IR" | "FC" | "GO" | "B2" | "B3" | "50" | "51" | "90" => "recoupment",
        _ => "other",
    }
}

/// CLP02 statuses that say the payer forwarded the claim to the next payer (crossover).
pub const FORWARDED: [&str; 3] = ["19", "20", "21"];

/// The payer billed next, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPayer {
    pub payer_id: String,
    pub payer_name: String,
    pub crossed_over: bool,
}

/// Who is billed after the payer of this remit: the crossover carrier (NM1*TT) when CLP02 says the
/// claim was forwarded (19, 20, 21), else the claim's next coverage (`next_payer_id`), but only once
/// the primary has adjudicated the claim (not for a denial, a reversal, or a claim already billed to
/// a secondary payer).
pub fn next_payer(
    c: &ClaimRemit,
    outcome: Outcome,
    crossover: Option<(&str, &str)>,
    next_payer_id: &str,
    next_payer_name: &str,
    payer_responsibility: &str,
) -> Option<NextPayer> {
    if matches!(outcome, Outcome::Denied | Outcome::Reversal) || payer_responsibility.trim() != "P" {
        return None;
    }
    if FORWARDED.contains(&c.status.as_str())
        && let Some((id, name)) = crossover.filter(|(id, _)| !id.trim().is_empty())
    {
        return Some(NextPayer { payer_id: id.trim().into(), payer_name: name.trim().into(), crossed_over: true });
    }
    if !next_payer_id.trim().is_empty() {
        return Some(NextPayer {
            payer_id: next_payer_id.trim().into(),
            payer_name: next_payer_name.trim().into(),
            crossed_over: false,
        });
    }
    None
}

/// The id of the secondary claim of `claim_id`.
pub fn secondary_claim_id(claim_id: &str) -> String {
    format!("{claim_id}-S")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: &str, charge: i64, paid: i64, adjustments: Vec<Adj>) -> LineRemit {
        LineRemit {
            control_number: None,
            procedure_code: code.into(),
            modifiers: vec![],
            service_date: String::new(),
            charge_cents: charge,
            paid_cents: paid,
            adjustments,
            remark_codes: vec![],
        }
    }

    /// A CLP with its lines; CLP03/CLP04 are the lines' sums plus `claim_adj`.
    fn clp(status: &str, pr: Option<i64>, claim_adj: Vec<Adj>, lines: Vec<LineRemit>) -> ClaimRemit {
        let charge = lines.iter().map(|l| l.charge_cents).sum();
        let paid = lines.iter().map(|l| l.paid_cents).sum::<i64>()
            - claim_adj.iter().filter(|a| a.group != "PR").map(|a| a.amount_cents).sum::<i64>();
        ClaimRemit {
            patient_control_number: "PCN1".into(),
            status: status.into(),
            charge_cents: charge,
            paid_cents: paid,
            patient_responsibility_cents: pr,
            payer_claim_control_number: "ICN1".into(),
            adjustments: claim_adj,
            remark_codes: vec![],
            lines,
        }
    }

    #[test]
    fn paid_in_full_less_contractual_and_patient_share() {
        // Given CLP*PCN1*1*200*130*20: line 1 99213 $120 paid $80 (CO-45 $20, PR-3 copay $20),
        // line 2 85025 $80 paid $50 (CO-45 $30)
        let c = clp(
            "1",
            Some(2_000),
            vec![],
            vec![
                line("99213", 12_000, 8_000, vec![Adj::new("CO", "45", 2_000), Adj::new("PR", "3", 2_000)]),
                line("85025", 8_000, 5_000, vec![Adj::new("CO", "45", 3_000)]),
            ],
        );
        assert_eq!((c.charge_cents, c.paid_cents), (20_000, 13_000));
        // Then it is paid
        assert_eq!(adjudicate(&c), Outcome::Paid);
    }

    #[test]
    fn sequestration_at_claim_level_is_still_paid() {
        // CO-253 2 % at claim level (CLP04 = 98.00 of 100.00 allowed)
        let c = clp(
            "1",
            Some(0),
            vec![Adj::new("CO", "253", 200)],
            vec![line("99214", 15_000, 10_000, vec![Adj::new("CO", "45", 5_000)])],
        );
        assert_eq!(c.paid_cents, 9_800);
        assert_eq!(adjudicate(&c), Outcome::Paid);
    }

    #[test]
    fn everything_to_the_deductible_is_paid_not_denied() {
        // CLP*PCN1*1*100*0*80: nothing paid, $80 deductible, $20 contractual
        let c = clp(
            "1",
            Some(8_000),
            vec![],
            vec![line("99213", 10_000, 0, vec![Adj::new("CO", "45", 2_000), Adj::new("PR", "1", 8_000)])],
        );
        assert_eq!(c.paid_cents, 0);
        assert_eq!(adjudicate(&c), Outcome::Paid);
    }

    #[test]
    fn status_4_is_denied_whatever_the_amounts() {
        // CLP*PCN1*4*250*0*0 with CO-197 on the line
        let c = clp("4", Some(0), vec![], vec![line("71046", 25_000, 0, vec![Adj::new("CO", "197", 25_000)])]);
        assert_eq!(adjudicate(&c), Outcome::Denied);
        // Even with a payment reported (payers should not, but status 4 decides)
        let mut odd = c.clone();
        odd.paid_cents = 100;
        assert_eq!(adjudicate(&odd), Outcome::Denied);
    }

    #[test]
    fn nothing_paid_and_nothing_on_the_patient_is_denied() {
        // CLP*PCN1*1*90*0 (CLP05 absent) with CO-29 timely filing
        let c = clp("1", None, vec![], vec![line("93000", 9_000, 0, vec![Adj::new("CO", "29", 9_000)])]);
        assert_eq!(patient_responsibility(&c), 0);
        assert_eq!(adjudicate(&c), Outcome::Denied);
    }

    #[test]
    fn one_line_denied_is_partially_paid() {
        // Line 1 paid, line 2 denied CO-50 (not medically necessary)
        let c = clp(
            "1",
            Some(0),
            vec![],
            vec![
                line("99214", 15_000, 11_000, vec![Adj::new("CO", "45", 4_000)]),
                line("97110", 6_000, 0, vec![Adj::new("CO", "50", 6_000)]),
            ],
        );
        assert_eq!(adjudicate(&c), Outcome::PartiallyPaid);
    }

    #[test]
    fn a_line_paid_nothing_with_only_contractual_is_still_a_denied_line() {
        // Allowed amount 0: the whole charge as CO-45, nothing paid, nothing on the patient
        let c = clp(
            "1",
            Some(0),
            vec![],
            vec![
                line("99213", 10_000, 7_000, vec![Adj::new("CO", "45", 3_000)]),
                line("36415", 1_500, 0, vec![Adj::new("CO", "45", 1_500)]),
            ],
        );
        assert_eq!(adjudicate(&c), Outcome::PartiallyPaid);
    }

    #[test]
    fn a_reducing_adjustment_on_a_paid_line_is_partially_paid() {
        // Multiple-procedure reduction (CO-59) on a paid line; and a claim-level OA-23
        let c = clp(
            "1",
            Some(0),
            vec![],
            vec![line("99213", 10_000, 6_000, vec![Adj::new("CO", "45", 2_000), Adj::new("CO", "59", 2_000)])],
        );
        assert_eq!(adjudicate(&c), Outcome::PartiallyPaid);
        let c = clp(
            "2",
            Some(0),
            vec![Adj::new("OA", "23", 1_000)],
            vec![line("99213", 10_000, 9_000, vec![Adj::new("CO", "45", 0)])],
        );
        assert_eq!(adjudicate(&c), Outcome::PartiallyPaid);
    }

    #[test]
    fn zero_and_negative_adjustments_reduce_nothing() {
        let c = clp(
            "1",
            Some(0),
            vec![],
            vec![line("99213", 10_000, 10_000, vec![Adj::new("CO", "94", 0), Adj::new("OA", "94", -500)])],
        );
        assert_eq!(adjudicate(&c), Outcome::Paid);
    }

    #[test]
    fn reversal_is_recorded_as_such() {
        // CLP*PCN1*22*-200*-130*-20
        let c = ClaimRemit {
            status: "22".into(),
            charge_cents: -20_000,
            paid_cents: -13_000,
            patient_responsibility_cents: Some(-2_000),
            adjustments: vec![Adj::new("CO", "45", -5_000), Adj::new("PR", "3", -2_000)],
            ..ClaimRemit::default()
        };
        assert_eq!(adjudicate(&c), Outcome::Reversal);
        assert_eq!(Outcome::Reversal.as_str(), "reversed");
    }

    #[test]
    fn patient_responsibility_falls_back_to_pr_adjustments() {
        let c = clp(
            "1",
            None,
            vec![Adj::new("PR", "2", 500)],
            vec![line("99213", 10_000, 7_000, vec![Adj::new("CO", "45", 2_000), Adj::new("PR", "1", 1_000)])],
        );
        assert_eq!(patient_responsibility(&c), 1_500);
        let mut sent = c.clone();
        sent.patient_responsibility_cents = Some(1_234);
        assert_eq!(patient_responsibility(&sent), 1_234, "CLP05 wins when sent");
    }

    fn billed(id: &str, code: &str, modifiers: &[&str], date: &str, charge: i64) -> BilledLine {
        BilledLine {
            line_id: id.into(),
            procedure_code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            service_date: date.into(),
            charge_cents: charge,
        }
    }

    fn ids(m: &[Option<LineMatch>]) -> Vec<Option<&str>> {
        m.iter().map(|x| x.as_ref().map(|x| x.line_id.as_str())).collect()
    }

    #[test]
    fn lines_match_by_control_number_then_procedure_code() {
        let billed = vec![
            billed("L1", "99213", &[], "", 1),
            billed("L2", "85025", &[], "", 1),
            billed("L3", "85025", &[], "", 1),
        ];
        let by_code = line("85025", 1, 0, vec![]);
        let mut by_ref = line("85025", 1, 0, vec![]);
        by_ref.control_number = Some("L2".into());
        let unknown = line("71046", 1, 0, vec![]);
        let first = line("99213", 1, 0, vec![]);
        // The line matched by code comes first but must not take L2, which the second names.
        let got = match_lines(&billed, &[by_code, by_ref, unknown, first]);
        assert_eq!(ids(&got), vec![Some("L3"), Some("L2"), None, Some("L1")]);
        assert_eq!(got[1].as_ref().unwrap().by, MatchedBy::ControlNumber);
        assert_eq!(got[0].as_ref().unwrap().by, MatchedBy::Procedure);
    }

    #[test]
    fn without_ref_6r_modifiers_date_and_charge_pick_among_lines_of_one_procedure() {
        // Given two 97110 lines billed on two dates, one with modifier GP, and a 99213
        let b = vec![
            billed("A", "97110", &[], "2024-03-01", 6_000),
            billed("B", "97110", &["GP"], "2024-03-02", 6_000),
            billed("C", "99213", &["25"], "2024-03-01", 12_000),
        ];
        // When the payer answers them in another order without REF*6R
        let mut second = line("97110", 6_000, 4_000, vec![]);
        second.modifiers = vec!["GP".into()];
        second.service_date = "2024-03-02".into();
        let mut first = line("97110", 6_000, 4_000, vec![]);
        first.service_date = "2024-03-01".into();
        let mut visit = line("99213", 12_000, 9_000, vec![]);
        visit.modifiers = vec!["25".into()];
        let got = match_lines(&b, &[second, first, visit]);
        // Then each finds its own line
        assert_eq!(ids(&got), vec![Some("B"), Some("A"), Some("C")]);
    }

    #[test]
    fn a_line_that_matches_nothing_shows_its_candidates_best_first() {
        let b = vec![
            billed("A", "97110", &[], "2024-03-01", 6_000),
            billed("B", "99213", &[], "2024-03-02", 4_500),
            billed("C", "85025", &[], "2024-03-03", 1_000),
        ];
        let mut l = line("99214", 4_500, 0, vec![]);
        l.service_date = "2024-03-01".into();
        let c = line_candidates(&b, &l, &["C".to_string()]);
        let got: Vec<(&str, &str)> = c.iter().map(|(b, why)| (b.line_id.as_str(), *why)).collect();
        assert_eq!(got, vec![("B", "same charge"), ("A", "same date")]);
    }

    #[test]
    fn a_split_payment_is_judged_as_a_whole_and_adds_up() {
        // Given a claim of three lines paid in two 835s: line 1 in the first, lines 2 and 3 later
        let one = clp("1", Some(0), vec![], vec![line("99213", 10_000, 8_000, vec![Adj::new("CO", "45", 2_000)])]);
        let two = clp(
            "1",
            Some(1_000),
            vec![],
            vec![
                line("85025", 3_000, 2_000, vec![Adj::new("PR", "2", 1_000)]),
                line("36415", 1_000, 0, vec![Adj::new("CO", "50", 1_000)]),
            ],
        );
        // When the first part is posted, then the second
        let billed = Totals::billed(14_000);
        let after_one = billed.plus(&PostedAmounts::of(&one));
        let after_two = after_one.plus(&PostedAmounts::of(&two));
        // Then the totals add up and the balance is what no 835 has answered yet
        assert_eq!(after_one.balance_cents(), 4_000);
        assert_eq!(
            (after_two.paid_cents, after_two.adjusted_cents, after_two.patient_responsibility_cents),
            (10_000, 4_000, 1_000)
        );
        assert_eq!(after_two.balance_cents(), 0);
        // And the outcome is that of the whole: paid after the first, partially paid with the denied line
        assert_eq!(adjudicate(&accumulate(std::slice::from_ref(&one)).unwrap()), Outcome::Paid);
        let whole = accumulate(&[one, two]).unwrap();
        assert_eq!((whole.charge_cents, whole.paid_cents, whole.lines.len()), (14_000, 10_000, 3));
        assert_eq!(adjudicate(&whole), Outcome::PartiallyPaid);
        assert_eq!(accumulate(&[]), None);
    }

    #[test]
    fn a_reversal_undoes_the_posting_it_negates_exactly() {
        // Given a payment posted (charge 200.00, paid 130.00, CO-45 50.00, PR-3 20.00)
        let paid = clp(
            "1",
            Some(2_000),
            vec![],
            vec![line("99213", 20_000, 13_000, vec![Adj::new("CO", "45", 5_000), Adj::new("PR", "3", 2_000)])],
        );
        let before = Totals::billed(20_000);
        let posted = before.plus(&PostedAmounts::of(&paid));
        assert_eq!(posted.balance_cents(), 0);
        let p = Reversible {
            posting_id: 7,
            payer_claim_control_number: "ICN1".into(),
            charge_cents: 20_000,
            amounts: PostedAmounts::of(&paid),
            reversed: false,
        };
        // When the payer reverses it (every amount negated)
        let mut reversal = paid.clone();
        reversal.status = "22".into();
        reversal.charge_cents = -20_000;
        reversal.paid_cents = -13_000;
        reversal.patient_responsibility_cents = Some(-2_000);
        reversal.lines[0].adjustments = vec![Adj::new("CO", "45", -5_000), Adj::new("PR", "3", -2_000)];
        // Then it undoes that posting, and the claim has the balance it had before
        assert_eq!(reversal_target(&reversal, std::slice::from_ref(&p)), Ok(7));
        let after = posted.plus(&PostedAmounts::of(&reversal));
        assert_eq!(after, before);
        assert_eq!(after.balance_cents(), 20_000);
        // And a reversal of other amounts, or of a posting already reversed, undoes nothing
        let mut other = reversal.clone();
        other.paid_cents = -12_000;
        assert_eq!(reversal_target(&other, std::slice::from_ref(&p)), Err(ReversalProblem::AmountsDiffer));
        let done = Reversible { reversed: true, ..p };
        assert_eq!(reversal_target(&reversal, &[done]), Err(ReversalProblem::NothingToReverse));
    }

    #[test]
    fn payments_that_do_not_balance_are_held_and_traces_taken_before_are_duplicates() {
        assert_eq!(judge_payment(&[], None), PaymentDecision::Post);
        assert_eq!(judge_payment(&[], Some(4)), PaymentDecision::Duplicate { posted_payment_id: 4 });
        let held = judge_payment(&["BPR02 is 3.00".into(), "claim 1".into()], Some(4));
        assert_eq!(held, PaymentDecision::Hold("BPR02 is 3.00; claim 1".into()));
    }

    #[test]
    fn plb_reasons_fall_into_ledger_categories() {
        assert_eq!(plb_category("L6"), "interest");
        assert_eq!(plb_category("FB"), "forward_balance");
        assert_eq!(plb_category("WO"), "recoupment");
        assert_eq!(plb_category("72"), "recoupment");
        assert_eq!(plb_category("ZZ"), "other");
    }

    #[test]
    fn the_next_payer_comes_from_a_crossover_or_the_claims_coverages() {
        let paid = clp("1", Some(0), vec![], vec![line("99213", 10_000, 8_000, vec![Adj::new("CO", "45", 2_000)])]);
        // Given a primary claim with a secondary coverage: once paid, the secondary is next
        let n = next_payer(&paid, Outcome::Paid, None, "SEC01", "Second Plan", "P").unwrap();
        assert_eq!((n.payer_id.as_str(), n.crossed_over), ("SEC01", false));
        // A crossover (CLP02 19 with NM1*TT) names the next payer itself
        let mut crossed = paid.clone();
        crossed.status = "19".into();
        let n = next_payer(&crossed, Outcome::Paid, Some(("MEDIGAP9", "GAP PLAN")), "", "", "P").unwrap();
        assert_eq!((n.payer_id.as_str(), n.payer_name.as_str(), n.crossed_over), ("MEDIGAP9", "GAP PLAN", true));
        // Nothing after a denial, a reversal, without another coverage, or for a secondary claim
        assert_eq!(next_payer(&paid, Outcome::Denied, None, "SEC01", "", "P"), None);
        assert_eq!(next_payer(&paid, Outcome::Reversal, None, "SEC01", "", "P"), None);
        assert_eq!(next_payer(&paid, Outcome::Paid, None, "", "", "P"), None);
        assert_eq!(next_payer(&paid, Outcome::Paid, None, "SEC01", "", "S"), None);
        // A status 1 claim with NM1*TT but no forwarding status is not a crossover
        assert_eq!(next_payer(&paid, Outcome::Paid, Some(("MEDIGAP9", "")), "", "", "P"), None);
        assert_eq!(secondary_claim_id("c1"), "c1-S");
    }

    #[test]
    fn the_event_message_flattens_adjustments_and_remarks() {
        let mut c = clp(
            "1",
            Some(2_000),
            vec![Adj::new("CO", "253", 100)],
            vec![
                line("99213", 12_000, 8_100, vec![Adj::new("CO", "45", 1_900), Adj::new("PR", "3", 2_000)]),
                line("97110", 6_000, 0, vec![Adj::new("CO", "50", 6_000)]),
            ],
        );
        c.remark_codes = vec!["MA01".into()];
        c.lines[1].remark_codes = vec!["N115".into(), "MA01".into()];
        let r = remittance_message(&c, "era-1.835", "EFT42");
        assert_eq!(r.charge_cents, 18_000);
        assert_eq!(r.paid_cents, 8_000);
        assert_eq!(r.patient_responsibility_cents, 2_000);
        let adjusted: i64 = r.adjustments.iter().map(|a| a.amount_cents).sum();
        assert_eq!(r.charge_cents - r.paid_cents, adjusted, "balanced: charge - paid = adjustments");
        assert_eq!(r.adjustments[0].reason, "253", "claim level first");
        assert_eq!(r.remark_codes, vec!["MA01", "N115"]);
        assert_eq!(
            (r.era_file.as_str(), r.payment_trace.as_str(), r.claim_status.as_str()),
            ("era-1.835", "EFT42", "1")
        );
        assert_eq!(adjudicate(&c), Outcome::PartiallyPaid);
    }

    #[test]
    fn a_void_expects_no_remittance() {
        assert!(expects_remittance("1"));
        assert!(expects_remittance("7"), "a replacement is paid (or denied) again");
        assert!(expects_remittance(""), "an event from before frequency codes travelled");
        assert!(!expects_remittance("8"));
    }
}
