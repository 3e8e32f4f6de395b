//! The denials service's decisions, without I/O: which adjustments are denials, the category of a
//! denial, the amount denied, the work item's priority, and the denial-rate / first-pass-yield report.
//!
//! # Which adjustments are denials
//! An adjustment (CAS group + CARC + amount) counts as a denial when its amount is positive, its group
//! is not `PR` (what the patient owes is not the payer's denial), and its CARC is not `45` (charge over
//! the fee schedule: contractual) or `253` (sequestration). Those two are never a denial, whatever the
//! group.
//!
//! # Categories
//! Each denial adjustment's CARC maps to a category ([`carc_category`]); remark codes (RARC) map to one
//! for the codes listed in [`rarc_category`]:
//!
//! | category              | CARC                                                         | RARC                                                              | next action        |
//! |-----------------------|--------------------------------------------------------------|-------------------------------------------------------------------|--------------------|
//! | `missing_information` | 4, 5, 6, 16, 125, 146, 181, 182, 226, 227, 252                | M51, M76, M77, M79, M119, MA04, MA27, MA61, MA130, N4, N265, N286, N290, N382, N479, N517, N657 | corrected claim    |
//! | `eligibility`         | 22, 26, 27, 31, 32, 33, 109, 177, 200                        | N30, N52                                                          | verify coverage, rebill the right payer |
//! | `authorization`       | 15, 62, 197, 198                                             | M62, N54                                                          | retro-authorization or appeal |
//! | `medical_necessity`   | 50, 55, 56, 57, 150, 151, 167                                | N115, N386                                                        | appeal with records |
//! | `duplicate`           | 18                                                           | N522                                                              | check the original claim |
//! | `timely_filing`       | 29                                                           |                                                                   | appeal with proof of timely filing |
//! | `other`               | every other CARC (e.g. 96, 97, 204)                          |                                                                   | review             |
//!
//! The claim's category ([`classify`]) is the named category (not `other`) that carries the largest
//! denied amount among its denial adjustments; a tie goes to the category listed first above. When
//! no CARC names a category, the first remark code that does decides; otherwise it is `other`.
//!
//! # Denied amount
//! For a denied claim: charge − paid − patient responsibility (at least 0), i.e. everything the payer
//! did not pay and the patient does not owe. For a partially paid claim: the sum of its denial
//! adjustments (claim and line level, as the remittance event carries them flattened). The event has
//! no line detail, so a line the payer zeroed with `CO-45` alone counts for nothing here: such a claim
//! is still queued, with 0 denied, priority 0 and category `other`, for a person to look at.
//!
//! # Priority
//! The expected recovery in whole dollars: `ceil(denied_cents × recovery% / 10 000)`, capped at
//! `i32::MAX`, 0 when nothing is denied. The recovery percentage reflects how often and how cheaply a
//! category is won back: correctable categories first (`missing_information` 90 %, `eligibility`
//! 70 %), then those that need an appeal (`authorization` 50 %, `medical_necessity` 40 %), `other`
//! 30 %, and the rarely recoverable last (`duplicate` 10 %, `timely_filing` 10 %). So a large
//! correctable denial ranks first, and a small one can rank below a large appeal. The queue lists
//! the highest priority first and, within a priority, the oldest first.

use rcm_proto::events::Remittance;
use std::collections::BTreeMap;

/// What kind of denial a work item is, which decides what a biller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    MissingInformation,
    Eligibility,
    Authorization,
    MedicalNecessity,
    Duplicate,
    TimelyFiling,
    Other,
}

impl Category {
    /// In tie-break order (see the module documentation).
    pub const ALL: [Category; 7] = [
        Category::MissingInformation,
        Category::Eligibility,
        Category::Authorization,
        Category::MedicalNecessity,
        Category::Duplicate,
        Category::TimelyFiling,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::MissingInformation => "missing_information",
            Category::Eligibility => "eligibility",
            Category::Authorization => "authorization",
            Category::MedicalNecessity => "medical_necessity",
            Category::Duplicate => "duplicate",
            Category::TimelyFiling => "timely_filing",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The usual next step for the category.
    pub fn action(self) -> &'static str {
        match self {
            Category::MissingInformation => "corrected_claim",
            Category::Eligibility => "verify_coverage_and_rebill",
            Category::Authorization => "retro_authorization_or_appeal",
            Category::MedicalNecessity => "appeal",
            Category::Duplicate => "check_original_claim",
            Category::TimelyFiling => "appeal_with_proof_of_timely_filing",
            Category::Other => "review",
        }
    }

    /// True when a corrected or redirected claim usually fixes it, without an appeal.
    pub fn correctable(self) -> bool {
        matches!(self, Category::MissingInformation | Category::Eligibility)
    }

    /// The share of the denied amount expected back, in percent (drives [`priority`]).
    pub fn recovery_percent(self) -> i64 {
        match self {
            Category::MissingInformation => 90,
            Category::Eligibility => 70,
            Category::Authorization => 50,
            Category::MedicalNecessity => 40,
            Category::Other => 30,
            Category::Duplicate => 10,
            Category::TimelyFiling => 10,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CARCs that are never a denial: 45 (charge exceeds the fee schedule: contractual) and 253
/// (sequestration).
pub const NEVER_DENIAL: [&str; 2] = ["45", "253"];

/// True when an adjustment is a denial (see the module documentation).
pub fn is_denial(group: &str, reason: &str, amount_cents: i64) -> bool {
    amount_cents > 0 && group != "PR" && !NEVER_DENIAL.contains(&reason)
}

/// The category of a CARC used as a denial. Unknown codes are `other`.
pub fn carc_category(carc: &str) -> Category {
    match carc {
        "4" | "5" | "6" | "16" | "125" | "146" | "181" | "182" | "226" | "227" | "252" => Category::MissingInformation,
        "22" | "26" | "27" | "31" | "32" | "33" | "109" | "177" | "200" => Category::Eligibility,
        "15" | "62" | "197" | "198" => Category::Authorization,
        "50" | "55" | "56" | "57" | "150" | "151" | "167" => Category::MedicalNecessity,
        "18" => Category::Duplicate,
        "29" => Category::TimelyFiling,
        _ => Category::Other,
    }
}

/// The category a remark code (RARC) points to, for the codes that point to one.
pub fn rarc_category(rarc: &str) -> Option<Category> {
    match rarc {
        "M51" | "M76" | "M77" | "M79" | "M119" | "MA04" | "MA27" | "MA61" | "MA130" | "N4" | "N265" | "N286"
        | "N290" | "N382" | "N479" | "N517" | "N657" => Some(Category::MissingInformation),
        "N30" | "N52" => Some(Category::Eligibility),
        "M62" | "N54" => Some(Category::Authorization),
        "N115" | "N386" => Some(Category::MedicalNecessity),
        "N522" => Some(Category::Duplicate),
        _ => None,
    }
}

/// How the remittance service judged the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    PartiallyPaid,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::PartiallyPaid => "partially_paid",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Paid, Outcome::PartiallyPaid, Outcome::Denied].into_iter().find(|o| o.as_str() == s)
    }
}

/// What the work item says about a denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub category: Category,
    /// The denial adjustments as `GROUP-CARC` (each once, in the order sent), then the remark codes.
    pub reason_codes: Vec<String>,
    pub denied_cents: i64,
    pub priority: i32,
}

/// Classifies a denied or partially paid claim (see the module documentation).
pub fn classify(outcome: Outcome, r: &Remittance) -> Classification {
    let denials: Vec<_> = r.adjustments.iter().filter(|a| is_denial(&a.group, &a.reason, a.amount_cents)).collect();

    let mut by_category: BTreeMap<Category, i64> = BTreeMap::new();
    for a in &denials {
        let c = carc_category(&a.reason);
        if c != Category::Other {
            *by_category.entry(c).or_default() += a.amount_cents;
        }
    }
    // Largest amount first; the BTreeMap's order (Category::ALL) breaks ties.
    let named = by_category.iter().fold(None::<(Category, i64)>, |best, (&c, &amt)| match best {
        Some((_, b)) if b >= amt => best,
        _ => Some((c, amt)),
    });
    let category = named
        .map(|(c, _)| c)
        .or_else(|| r.remark_codes.iter().find_map(|code| rarc_category(code)))
        .unwrap_or(Category::Other);

    let mut reason_codes: Vec<String> = Vec::new();
    for a in &denials {
        let code = format!("{}-{}", a.group, a.reason);
        if !reason_codes.contains(&code) {
            reason_codes.push(code);
        }
    }
    for rarc in &r.remark_codes {
        if !reason_codes.contains(rarc) {
            reason_codes.push(rarc.clone());
        }
    }

    let denied_cents = match outcome {
        Outcome::Denied => (r.charge_cents - r.paid_cents - r.patient_responsibility_cents).max(0),
        Outcome::PartiallyPaid | Outcome::Paid => denials.iter().map(|a| a.amount_cents).sum(),
    };
    Classification { category, reason_codes, denied_cents, priority: priority(category, denied_cents) }
}

/// The work item's priority: expected recovery in whole dollars (see the module documentation).
pub fn priority(category: Category, denied_cents: i64) -> i32 {
    if denied_cents <= 0 {
        return 0;
    }
    let weighted = denied_cents as i128 * category.recovery_percent() as i128;
    let dollars = (weighted + 9_999) / 10_000;
    dollars.min(i32::MAX as i128) as i32
}

/// What identifies one remittance of a claim, so that the same remittance queues one work item even
/// when its event comes twice under different event ids: the ERA file, the payment trace, the payer's
/// claim control number and the claim status.
pub fn remittance_key(r: &Remittance) -> String {
    format!("{}|{}|{}|{}", r.era_file, r.payment_trace, r.payer_claim_control_number, r.claim_status)
}

/// One adjudication of a claim as the denials service saw it, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjudication {
    pub claim_id: String,
    pub outcome: Outcome,
}

/// Denial rate and first-pass yield over a set of adjudications.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Report {
    /// Claims with at least one adjudication.
    pub adjudicated_claims: u64,
    /// Claims with at least one full denial.
    pub denied_claims: u64,
    /// Claims with at least one partial payment (some lines or amounts denied).
    pub partially_paid_claims: u64,
    /// Claims whose first adjudication paid them (in full, less contractual and patient share).
    pub first_pass_paid_claims: u64,
}

impl Report {
    /// Denied claims / adjudicated claims; `None` when nothing was adjudicated.
    pub fn denial_rate(&self) -> Option<f64> {
        (self.adjudicated_claims > 0).then(|| self.denied_claims as f64 / self.adjudicated_claims as f64)
    }

    /// Claims paid on their first adjudication / adjudicated claims; `None` when nothing was adjudicated.
    pub fn first_pass_yield(&self) -> Option<f64> {
        (self.adjudicated_claims > 0).then(|| self.first_pass_paid_claims as f64 / self.adjudicated_claims as f64)
    }
}

/// Computes the report from adjudications given oldest first. A claim's first adjudication is the
/// answer to its first submission, so "paid on first submission" is "first adjudication paid".
pub fn report(adjudications: &[Adjudication]) -> Report {
    #[derive(Default)]
    struct Seen {
        first: Option<Outcome>,
        denied: bool,
        partial: bool,
    }
    let mut claims: BTreeMap<&str, Seen> = BTreeMap::new();
    for a in adjudications {
        let s = claims.entry(a.claim_id.as_str()).or_default();
        s.first.get_or_insert(a.outcome);
        s.denied |= a.outcome == Outcome::Denied;
        s.partial |= a.outcome == Outcome::PartiallyPaid;
    }
    let mut r = Report { adjudicated_claims: claims.len() as u64, ..Report::default() };
    for s in claims.values() {
        r.denied_claims += s.denied as u64;
        r.partially_paid_claims += s.partial as u64;
        r.first_pass_paid_claims += (s.first == Some(Outcome::Paid)) as u64;
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Corrections and voids
// ---------------------------------------------------------------------------------------------

/// What a biller asks for a denied claim: a replacement (CLM05-3 `7`: the claim goes back through
/// coding, where a coder corrects it) or a void (`8`: the claim as sent, withdrawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionKind {
    Replacement,
    Void,
}

impl CorrectionKind {
    pub fn frequency_code(self) -> &'static str {
        match self {
            CorrectionKind::Replacement => "7",
            CorrectionKind::Void => "8",
        }
    }
}

/// Work item statuses: `open` in the queue, `correction_requested` once a correction or void was
/// asked for on it.
pub const STATUS_OPEN: &str = "open";
pub const STATUS_CORRECTION_REQUESTED: &str = "correction_requested";

/// What a correction request needs to know of the claim's latest work item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestItem<'a> {
    pub status: &'a str,
    pub payer_claim_control_number: &'a str,
}

/// Why a correction cannot be requested; each is a precondition the caller can see and fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectionRefused {
    /// The claim has no work item: it was never denied, or is not ours.
    NotInQueue,
    /// A correction or void was already requested on the claim's latest denial.
    AlreadyRequested,
    /// The latest work item is neither open nor being corrected.
    NotOpen(String),
    /// The denial's remittance carried no payer claim control number for REF*F8.
    NoPayerClaimControlNumber,
}

impl std::fmt::Display for CorrectionRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorrectionRefused::NotInQueue => f.write_str("the claim is not in the denial work queue"),
            CorrectionRefused::AlreadyRequested => {
                f.write_str("a correction was already requested for the claim's latest denial")
            }
            CorrectionRefused::NotOpen(status) => write!(f, "the claim's latest work item is {status}, not open"),
            CorrectionRefused::NoPayerClaimControlNumber => f.write_str(
                "the denial's remittance has no payer claim control number, so a correction cannot name the claim it replaces",
            ),
        }
    }
}

/// The correction to send: its frequency code, the claim version it becomes, and the payer's
/// control number of the claim it replaces or voids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionPlan {
    pub frequency_code: &'static str,
    pub version: u32,
    pub payer_claim_control_number: String,
}

/// Decides a correction request on a claim whose latest work item is `latest` and whose highest
/// version so far is `last_version` (1 when none was corrected). Only an open item can be
/// corrected; the new version is the next one, so a claim denied again after a correction can be
/// corrected again, as version 3.
pub fn plan_correction(
    latest: Option<&LatestItem<'_>>,
    last_version: u32,
    kind: CorrectionKind,
) -> Result<CorrectionPlan, CorrectionRefused> {
    let item = latest.ok_or(CorrectionRefused::NotInQueue)?;
    match item.status {
        STATUS_OPEN => {}
        STATUS_CORRECTION_REQUESTED => return Err(CorrectionRefused::AlreadyRequested),
        other => return Err(CorrectionRefused::NotOpen(other.to_string())),
    }
    let pccn = item.payer_claim_control_number.trim();
    if pccn.is_empty() {
        return Err(CorrectionRefused::NoPayerClaimControlNumber);
    }
    Ok(CorrectionPlan {
        frequency_code: kind.frequency_code(),
        version: last_version.max(1) + 1,
        payer_claim_control_number: pccn.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcm_proto::events::Adjustment;

    fn adj(group: &str, reason: &str, amount_cents: i64) -> Adjustment {
        Adjustment { group: group.into(), reason: reason.into(), amount_cents }
    }

    fn remit(charge: i64, paid: i64, pr: i64, adjustments: Vec<Adjustment>, remarks: &[&str]) -> Remittance {
        Remittance {
            payer_claim_control_number: "ICN1".into(),
            claim_status: if paid == 0 { "4".into() } else { "1".into() },
            charge_cents: charge,
            paid_cents: paid,
            patient_responsibility_cents: pr,
            adjustments,
            remark_codes: remarks.iter().map(|s| s.to_string()).collect(),
            era_file: "era1.835".into(),
            payment_trace: "TRN1".into(),
        }
    }

    #[test]
    fn contractual_sequestration_and_patient_share_are_never_denials() {
        assert!(!is_denial("CO", "45", 100));
        assert!(!is_denial("OA", "45", 100));
        assert!(!is_denial("CO", "253", 100));
        assert!(!is_denial("PR", "1", 100));
        assert!(!is_denial("PR", "204", 100));
        assert!(!is_denial("CO", "50", 0));
        assert!(!is_denial("CO", "50", -100), "a negative amount (reversal) is not a denial");
        assert!(is_denial("CO", "50", 100));
        assert!(is_denial("OA", "18", 100));
    }

    #[test]
    fn carc_table() {
        let cases = [
            ("16", Category::MissingInformation),
            ("252", Category::MissingInformation),
            ("4", Category::MissingInformation),
            ("197", Category::Authorization),
            ("15", Category::Authorization),
            ("62", Category::Authorization),
            ("50", Category::MedicalNecessity),
            ("55", Category::MedicalNecessity),
            ("56", Category::MedicalNecessity),
            ("57", Category::MedicalNecessity),
            ("29", Category::TimelyFiling),
            ("18", Category::Duplicate),
            ("26", Category::Eligibility),
            ("27", Category::Eligibility),
            ("31", Category::Eligibility),
            ("109", Category::Eligibility),
            ("97", Category::Other),
            ("204", Category::Other),
            ("ZZ9", Category::Other),
        ];
        for (carc, want) in cases {
            assert_eq!(carc_category(carc), want, "CARC {carc}");
        }
        assert_eq!(rarc_category("M51"), Some(Category::MissingInformation));
        assert_eq!(rarc_category("N54"), Some(Category::Authorization));
        assert_eq!(rarc_category("N130"), None);
    }

    #[test]
    fn categories_round_trip_by_name() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("nope"), None);
        assert!(Category::MissingInformation.correctable());
        assert!(!Category::MedicalNecessity.correctable());
    }

    #[test]
    fn denied_for_missing_information() {
        // Given a claim denied with CO-16 and remark M51
        let r = remit(50_000, 0, 0, vec![adj("CO", "16", 50_000)], &["M51"]);
        // When it is classified
        let c = classify(Outcome::Denied, &r);
        // Then it is correctable missing information for the whole charge
        assert_eq!(c.category, Category::MissingInformation);
        assert_eq!(c.reason_codes, vec!["CO-16", "M51"]);
        assert_eq!(c.denied_cents, 50_000);
        assert_eq!(c.priority, 450, "$500 x 90 %");
    }

    #[test]
    fn the_largest_named_category_wins() {
        // Given authorization on $300 and medical necessity on $200, plus an unnamed CARC on $900
        let r = remit(
            140_000,
            0,
            0,
            vec![adj("CO", "197", 20_000), adj("CO", "197", 10_000), adj("CO", "50", 20_000), adj("CO", "97", 90_000)],
            &[],
        );
        let c = classify(Outcome::Denied, &r);
        assert_eq!(c.category, Category::Authorization);
        assert_eq!(c.reason_codes, vec!["CO-197", "CO-50", "CO-97"], "each code once, in order");
    }

    #[test]
    fn a_tie_goes_to_the_category_listed_first() {
        let r = remit(20_000, 0, 0, vec![adj("CO", "50", 10_000), adj("CO", "16", 10_000)], &[]);
        assert_eq!(classify(Outcome::Denied, &r).category, Category::MissingInformation);
        let r = remit(20_000, 0, 0, vec![adj("CO", "29", 10_000), adj("OA", "18", 10_000)], &[]);
        assert_eq!(classify(Outcome::Denied, &r).category, Category::Duplicate);
    }

    #[test]
    fn remark_codes_decide_when_no_carc_names_a_category() {
        // Given a non-covered charge (CARC 96) with an LCD remark
        let r = remit(10_000, 0, 0, vec![adj("CO", "96", 10_000)], &["N130", "N115"]);
        assert_eq!(classify(Outcome::Denied, &r).category, Category::MedicalNecessity);
        // A CARC that names a category wins over the remark codes
        let r = remit(10_000, 0, 0, vec![adj("CO", "29", 10_000)], &["N115"]);
        assert_eq!(classify(Outcome::Denied, &r).category, Category::TimelyFiling);
        // Nothing named anywhere: other
        let r = remit(10_000, 0, 0, vec![adj("CO", "96", 10_000)], &["N130"]);
        assert_eq!(classify(Outcome::Denied, &r).category, Category::Other);
        // A denial with no adjustment at all
        let r = remit(10_000, 0, 0, vec![], &[]);
        let c = classify(Outcome::Denied, &r);
        assert_eq!((c.category, c.denied_cents), (Category::Other, 10_000));
    }

    #[test]
    fn partially_paid_counts_only_the_denied_adjustments() {
        // Given two lines: one paid (CO-45 and a PR copay), one denied for authorization (CO-197)
        let r = remit(
            30_000,
            6_000,
            2_000,
            vec![adj("CO", "45", 2_000), adj("PR", "3", 2_000), adj("CO", "197", 20_000)],
            &["N54"],
        );
        let c = classify(Outcome::PartiallyPaid, &r);
        assert_eq!(c.category, Category::Authorization);
        assert_eq!(c.denied_cents, 20_000);
        assert_eq!(c.reason_codes, vec!["CO-197", "N54"]);
        assert_eq!(c.priority, 100, "$200 x 50 %");
    }

    #[test]
    fn denied_amount_leaves_out_payment_and_patient_share() {
        let r = remit(10_000, 0, 1_500, vec![adj("CO", "27", 8_500), adj("PR", "1", 1_500)], &[]);
        let c = classify(Outcome::Denied, &r);
        assert_eq!((c.category, c.denied_cents), (Category::Eligibility, 8_500));
    }

    #[test]
    fn priority_ranks_correctable_and_large_first() {
        assert_eq!(priority(Category::MissingInformation, 0), 0);
        assert_eq!(priority(Category::MissingInformation, -5), 0);
        assert_eq!(priority(Category::MissingInformation, 1), 1, "any denied cent rounds up to 1");
        assert_eq!(priority(Category::MissingInformation, 100_000), 900);
        assert_eq!(priority(Category::MedicalNecessity, 100_000), 400);
        assert_eq!(priority(Category::TimelyFiling, 100_000), 100);
        assert_eq!(priority(Category::Other, i64::MAX), i32::MAX, "capped");
        // Same amount: correctable first. Same category: larger first.
        assert!(priority(Category::MissingInformation, 50_000) > priority(Category::Authorization, 50_000));
        assert!(priority(Category::Eligibility, 50_000) > priority(Category::MedicalNecessity, 50_000));
        assert!(priority(Category::Authorization, 90_000) > priority(Category::Authorization, 50_000));
        // A much larger appeal can outrank a small correction.
        assert!(priority(Category::MedicalNecessity, 1_000_000) > priority(Category::MissingInformation, 10_000));
    }

    #[test]
    fn remittance_key_names_the_remittance() {
        let r = remit(10_000, 0, 0, vec![], &[]);
        assert_eq!(remittance_key(&r), "era1.835|TRN1|ICN1|4");
    }

    #[test]
    fn report_denial_rate_and_first_pass_yield() {
        let a = |c: &str, o| Adjudication { claim_id: c.into(), outcome: o };
        // Given: c1 paid; c2 denied then paid on resubmission; c3 partially paid; c4 denied twice
        let adjs = vec![
            a("c1", Outcome::Paid),
            a("c2", Outcome::Denied),
            a("c3", Outcome::PartiallyPaid),
            a("c4", Outcome::Denied),
            a("c2", Outcome::Paid),
            a("c4", Outcome::Denied),
        ];
        let r = report(&adjs);
        assert_eq!(r.adjudicated_claims, 4);
        assert_eq!(r.denied_claims, 2);
        assert_eq!(r.partially_paid_claims, 1);
        assert_eq!(r.first_pass_paid_claims, 1);
        assert_eq!(r.denial_rate(), Some(0.5));
        assert_eq!(r.first_pass_yield(), Some(0.25));
        assert_eq!(report(&[]).denial_rate(), None);
        assert_eq!(report(&[]).first_pass_yield(), None);
    }

    fn open_item(pccn: &str) -> LatestItem<'_> {
        LatestItem { status: STATUS_OPEN, payer_claim_control_number: pccn }
    }

    #[test]
    fn a_replacement_of_an_open_denial_is_the_next_version_with_the_payer_claim() {
        // Given a claim whose open denial names payer claim 12345 and was never corrected
        let item = open_item(" 12345 ");
        // When a replacement is requested
        let plan = plan_correction(Some(&item), 1, CorrectionKind::Replacement).unwrap();
        // Then it is frequency 7, version 2, for payer claim 12345
        assert_eq!(
            plan,
            CorrectionPlan { frequency_code: "7", version: 2, payer_claim_control_number: "12345".into() }
        );
        // And a void is frequency 8; a claim corrected once before becomes version 3
        let plan = plan_correction(Some(&item), 2, CorrectionKind::Void).unwrap();
        assert_eq!((plan.frequency_code, plan.version), ("8", 3));
    }

    #[test]
    fn a_correction_needs_an_open_denial_with_a_payer_claim() {
        // Given no work item, one already being corrected, one in another status, one without a PCCN
        let corrected = LatestItem { status: STATUS_CORRECTION_REQUESTED, payer_claim_control_number: "1" };
        let resolved = LatestItem { status: "resolved", payer_claim_control_number: "1" };
        let kind = CorrectionKind::Replacement;
        // Then each is refused with its reason
        assert_eq!(plan_correction(None, 1, kind), Err(CorrectionRefused::NotInQueue));
        assert_eq!(plan_correction(Some(&corrected), 2, kind), Err(CorrectionRefused::AlreadyRequested));
        assert_eq!(plan_correction(Some(&resolved), 1, kind), Err(CorrectionRefused::NotOpen("resolved".into())));
        assert_eq!(
            plan_correction(Some(&open_item("  ")), 1, CorrectionKind::Void),
            Err(CorrectionRefused::NoPayerClaimControlNumber)
        );
        assert_eq!(CorrectionRefused::NotInQueue.to_string(), "the claim is not in the denial work queue");
    }
}
