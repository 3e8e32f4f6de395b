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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledLine {
    pub line_id: String,
    pub procedure_code: String,
}

/// Which billed line each service line answers: the one whose id the payer echoed in REF*6R, or else
/// the first billed line not yet matched with the same procedure code. `None` when neither finds one.
pub fn match_lines(billed: &[BilledLine], lines: &[LineRemit]) -> Vec<Option<String>> {
    let mut used = vec![false; billed.len()];
    let mut out = vec![None; lines.len()];
    // Control numbers first, so a line matched by code cannot take a line another one names.
    for (i, l) in lines.iter().enumerate() {
        if let Some(cn) = l.control_number.as_deref().filter(|c| !c.is_empty())
            && let Some(j) = billed.iter().enumerate().position(|(j, b)| !used[j] && b.line_id == cn)
        {
            used[j] = true;
            out[i] = Some(billed[j].line_id.clone());
        }
    }
    for (i, l) in lines.iter().enumerate() {
        if out[i].is_some() || l.procedure_code.is_empty() {
            continue;
        }
        if let Some(j) = billed.iter().enumerate().position(|(j, b)| !used[j] && b.procedure_code == l.procedure_code) {
            used[j] = true;
            out[i] = Some(billed[j].line_id.clone());
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: &str, charge: i64, paid: i64, adjustments: Vec<Adj>) -> LineRemit {
        LineRemit {
            control_number: None,
            procedure_code: code.into(),
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

    #[test]
    fn lines_match_by_control_number_then_procedure_code() {
        let billed = vec![
            BilledLine { line_id: "L1".into(), procedure_code: "99213".into() },
            BilledLine { line_id: "L2".into(), procedure_code: "85025".into() },
            BilledLine { line_id: "L3".into(), procedure_code: "85025".into() },
        ];
        let mut by_code = line("85025", 1, 0, vec![]);
        by_code.control_number = None;
        let mut by_ref = line("85025", 1, 0, vec![]);
        by_ref.control_number = Some("L2".into());
        let unknown = line("71046", 1, 0, vec![]);
        let first = line("99213", 1, 0, vec![]);
        // The line matched by code comes first but must not take L2, which the second names.
        let got = match_lines(&billed, &[by_code, by_ref, unknown, first]);
        assert_eq!(got, vec![Some("L3".into()), Some("L2".into()), None, Some("L1".into())]);
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
