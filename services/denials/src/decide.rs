//! The denials service's decisions, without I/O: which adjustments are denials, the category and
//! recommended action of a denial, the code checks against the shipped CARC/RARC lists, the amount
//! denied, the expected recovery, the appeal deadline's urgency and the priority, what each
//! work-queue action may do from an item's status, and corrections.
//!
//! # Which adjustments are denials
//! An adjustment (CAS group + CARC + amount) counts as a denial when its amount is positive, its group
//! is not `PR` (what the patient owes is not the payer's denial), and its CARC is not `45` (charge over
//! the fee schedule: contractual) or `253` (sequestration). Those two are never a denial, whatever the
//! group.
//!
//! # Categories and recommended actions
//! Each denial adjustment's CARC maps to a category ([`carc_category`]); remark codes (RARC) map to
//! one for the codes listed in [`rarc_category`]. The recommended action follows from the category,
//! the CARC and the group ([`carc_action`]):
//!
//! | category              | CARC | RARC | action |
//! |-----------------------|------|------|--------|
//! | `missing_information` | 16, 17, 125, 206, 207, 208, 226, 227, 252 | M51, M76, M77, M79, M119, MA04, MA27, MA61, MA130, N4, N265, N286, N290, N382, N479, N517, N657 | correct and resubmit |
//! | `coding`              | 4, 5, 6, 7, 8, 9, 10, 11, 12, 58, 146, 181, 182, 189, 199 | M20, N56 | correct and resubmit |
//! | `eligibility`         | 22, 24, 26, 27, 31, 32, 33, 34, 109, 140, 177, 200 | N30, N52 | correct and resubmit (to the right payer or member id); bill the patient for 26, 27, 200 (no coverage on the date) |
//! | `authorization`       | 15, 38, 39, 62, 197, 198, 288 | M62, N54 | appeal (with the retro-authorization) |
//! | `medical_necessity`   | 40, 50, 55, 56, 57, 150, 151, 152, 167 | N115, N386 | appeal (with the records) |
//! | `bundling`            | 59, 97, 231, 234, 236, B15 | M15, M80, M86, N19, N20 | correct and resubmit (with the modifier the record supports) |
//! | `non_covered`         | 35, 49, 96, 119, 149, 204 | N130 | write off (CO: the provider's liability); bill the patient under group PR |
//! | `duplicate`           | 18, B13 | N522 | write off |
//! | `timely_filing`       | 29 | | appeal (with proof of timely filing) |
//! | `other`               | every other CARC, and codes not in the lists | | appeal |
//!
//! The claim's category ([`classify`]) is the named category (not `other`) that carries the largest
//! denied amount among its denial adjustments; a tie goes to the category listed first in
//! [`Category::ALL`]. When no CARC names a category, the first remark code that does decides;
//! otherwise it is `other`. A claim whose payer denied nothing but the patient owes the rest (group
//! `PR` only, e.g. `PR-204`) is classified from its PR adjustments, and its action is to bill the
//! patient.
//!
//! # Codes checked against the lists
//! Every CARC, group code and RARC of the remittance (not only the denials) is checked against the
//! shipped lists ([`crate::codes`]) on the remit date. A code the lists do not know, or one that was
//! deactivated before (or not yet in effect on) the remit date, is flagged on the work item
//! (`carc_unknown:ZZ9`, `carc_deactivated:15:2018-05-01`, `carc_not_yet_effective:306:2024-03-01`,
//! `rarc_unknown:N999`, `group_unknown:XX`). The code itself stays in the reason codes: nothing is
//! dropped.
//!
//! # Denied amount
//! For a denied claim: charge − paid − patient responsibility (at least 0), i.e. everything the payer
//! did not pay and the patient does not owe. For a partially paid claim: the sum of its denial
//! adjustments (claim and line level, as the remittance event carries them flattened).
//!
//! # Expected recovery and priority
//! Expected recovery = denied amount × the category's recovery likelihood
//! ([`Category::recovery_percent`]). The likelihoods are our working estimates from published
//! denial-management figures (most denials are recoverable; correctable front-end denials are won
//! back far more often than clinical ones, and duplicate and timely-filing denials almost never):
//! `missing_information` 90 %, `coding` 80 %, `eligibility` 70 %, `authorization` 50 %,
//! `medical_necessity` 40 %, `bundling` 35 %, `other` 30 %, `timely_filing` 10 %, `non_covered`
//! 10 %, `duplicate` 5 %. A tenant tunes the queue by its own history with the reports.
//!
//! The priority (in whole dollars) is the expected recovery weighted by the days left to the
//! appeal deadline ([`urgency_percent`]): ×1 with more than 60 days left, ×1.2 with 31-60, ×1.5 with
//! 15-30, ×2 with 0-14, and ×0.25 once the deadline has passed (the appeal is lost; what is left is
//! a write-off). It is computed again whenever the queue is listed, so items rise as their deadline
//! comes. The queue lists the highest priority first, then the nearest deadline, then the oldest.

use chrono::NaiveDate;
use rcm_proto::events::Remittance;
use std::collections::BTreeMap;

use crate::codes::{self, CodeStatus};

/// What kind of denial a work item is, which decides what a biller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    MissingInformation,
    Coding,
    Eligibility,
    Authorization,
    MedicalNecessity,
    Bundling,
    NonCovered,
    Duplicate,
    TimelyFiling,
    Other,
}

impl Category {
    /// In tie-break order (see the module documentation).
    pub const ALL: [Category; 10] = [
        Category::MissingInformation,
        Category::Coding,
        Category::Eligibility,
        Category::Authorization,
        Category::MedicalNecessity,
        Category::Bundling,
        Category::NonCovered,
        Category::Duplicate,
        Category::TimelyFiling,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::MissingInformation => "missing_information",
            Category::Coding => "coding",
            Category::Eligibility => "eligibility",
            Category::Authorization => "authorization",
            Category::MedicalNecessity => "medical_necessity",
            Category::Bundling => "bundling",
            Category::NonCovered => "non_covered",
            Category::Duplicate => "duplicate",
            Category::TimelyFiling => "timely_filing",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The usual next step for the category (a CARC or the group may say otherwise: [`carc_action`]).
    pub fn action(self) -> Action {
        match self {
            Category::MissingInformation | Category::Coding | Category::Eligibility | Category::Bundling => {
                Action::CorrectAndResubmit
            }
            Category::Authorization | Category::MedicalNecessity | Category::TimelyFiling | Category::Other => {
                Action::Appeal
            }
            Category::NonCovered | Category::Duplicate => Action::WriteOff,
        }
    }

    /// The share of the denied amount expected back, in percent (see the module documentation).
    pub fn recovery_percent(self) -> i64 {
        match self {
            Category::MissingInformation => 90,
            Category::Coding => 80,
            Category::Eligibility => 70,
            Category::Authorization => 50,
            Category::MedicalNecessity => 40,
            Category::Bundling => 35,
            Category::Other => 30,
            Category::TimelyFiling => 10,
            Category::NonCovered => 10,
            Category::Duplicate => 5,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a biller should do with a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    CorrectAndResubmit,
    Appeal,
    BillPatient,
    WriteOff,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::CorrectAndResubmit, Action::Appeal, Action::BillPatient, Action::WriteOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::CorrectAndResubmit => "correct_and_resubmit",
            Action::Appeal => "appeal",
            Action::BillPatient => "bill_patient",
            Action::WriteOff => "write_off",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// CARCs that are never a denial: 45 (charge exceeds the fee schedule: contractual) and 253
/// (sequestration).
pub const NEVER_DENIAL: [&str; 2] = ["45", "253"];

/// CARCs of the patient's cost share (deductible, coinsurance, co-payment): not a reason to work.
pub const COST_SHARE: [&str; 3] = ["1", "2", "3"];

/// True when an adjustment is a denial (see the module documentation).
pub fn is_denial(group: &str, reason: &str, amount_cents: i64) -> bool {
    amount_cents > 0 && group != "PR" && !NEVER_DENIAL.contains(&reason)
}

/// True when an adjustment is contractual: a payer's reduction the provider agreed to (CARC 45
/// or 253 outside group PR). Net collection rate takes these off the charges.
pub fn is_contractual(group: &str, reason: &str) -> bool {
    group != "PR" && NEVER_DENIAL.contains(&reason)
}

/// The category of a CARC used as a denial. Codes not listed are `other`.
pub fn carc_category(carc: &str) -> Category {
    match carc {
        "16" | "17" | "125" | "206" | "207" | "208" | "226" | "227" | "252" => Category::MissingInformation,
        "4" | "5" | "6" | "7" | "8" | "9" | "10" | "11" | "12" | "58" | "146" | "181" | "182" | "189" | "199" => {
            Category::Coding
        }
        "22" | "24" | "26" | "27" | "31" | "32" | "33" | "34" | "109" | "140" | "177" | "200" => Category::Eligibility,
        "15" | "38" | "39" | "62" | "197" | "198" | "288" => Category::Authorization,
        "40" | "50" | "55" | "56" | "57" | "150" | "151" | "152" | "167" => Category::MedicalNecessity,
        "59" | "97" | "231" | "234" | "236" | "B15" => Category::Bundling,
        "35" | "49" | "96" | "119" | "149" | "204" => Category::NonCovered,
        "18" | "B13" => Category::Duplicate,
        "29" => Category::TimelyFiling,
        _ => Category::Other,
    }
}

/// The category a remark code (RARC) points to, for the codes that point to one.
pub fn rarc_category(rarc: &str) -> Option<Category> {
    match rarc {
        "M51" | "M76" | "M77" | "M79" | "M119" | "MA04" | "MA27" | "MA61" | "MA130" | "N4" | "N265" | "N286"
        | "N290" | "N382" | "N479" | "N517" | "N657" => Some(Category::MissingInformation),
        "M20" | "N56" => Some(Category::Coding),
        "N30" | "N52" => Some(Category::Eligibility),
        "M62" | "N54" => Some(Category::Authorization),
        "N115" | "N386" => Some(Category::MedicalNecessity),
        "M15" | "M80" | "M86" | "N19" | "N20" => Some(Category::Bundling),
        "N130" => Some(Category::NonCovered),
        "N522" => Some(Category::Duplicate),
        _ => None,
    }
}

/// The recommended action for one adjustment: the patient's share (group `PR`) is billed to the
/// patient; a CO/OA/PI denial follows its category, except eligibility denials for a date the
/// patient had no coverage (26, 27, 200), which the patient owes.
pub fn carc_action(group: &str, carc: &str) -> Action {
    if group == "PR" {
        return Action::BillPatient;
    }
    match carc {
        "26" | "27" | "200" => Action::BillPatient,
        _ => carc_category(carc).action(),
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
    pub action: Action,
    /// The denial adjustments as `GROUP-CARC` (each once, in the order sent), then the remark codes.
    pub reason_codes: Vec<String>,
    pub denied_cents: i64,
    pub expected_recovery_cents: i64,
    /// Codes the shipped lists do not know or that were not in effect on the remit date.
    pub code_flags: Vec<String>,
}

/// Classifies a denied or partially paid claim posted on `remit_date` (see the module documentation).
pub fn classify(outcome: Outcome, r: &Remittance, remit_date: NaiveDate) -> Classification {
    let denials: Vec<_> = r.adjustments.iter().filter(|a| is_denial(&a.group, &a.reason, a.amount_cents)).collect();
    // With no payer denial, what the patient owes beyond their cost share says why.
    let patient_only: Vec<_> = r
        .adjustments
        .iter()
        .filter(|a| a.group == "PR" && a.amount_cents > 0 && !COST_SHARE.contains(&a.reason.as_str()))
        .collect();
    let basis = if denials.is_empty() { &patient_only } else { &denials };

    let mut by_category: BTreeMap<Category, (i64, Action)> = BTreeMap::new();
    for a in basis {
        let c = carc_category(&a.reason);
        if c != Category::Other {
            by_category.entry(c).or_insert((0, carc_action(&a.group, &a.reason))).0 += a.amount_cents;
        }
    }
    // Largest amount first; the BTreeMap's order (Category::ALL) breaks ties.
    let named = by_category.iter().fold(None::<(Category, i64, Action)>, |best, (&c, &(amt, action))| match best {
        Some((_, b, _)) if b >= amt => best,
        _ => Some((c, amt, action)),
    });
    let (category, mut action) = match named {
        Some((c, _, a)) => (c, a),
        None => {
            let c = r.remark_codes.iter().find_map(|code| rarc_category(code)).unwrap_or(Category::Other);
            (c, c.action())
        }
    };
    if denials.is_empty() && !patient_only.is_empty() {
        action = Action::BillPatient;
    }

    let mut reason_codes: Vec<String> = Vec::new();
    for a in basis {
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
    Classification {
        category,
        action,
        reason_codes,
        denied_cents,
        expected_recovery_cents: expected_recovery(category, denied_cents),
        code_flags: code_flags(r, remit_date),
    }
}

/// The remittance's codes that the shipped lists do not know or that were not in effect on
/// `remit_date`, each once, in the order sent (see the module documentation).
pub fn code_flags(r: &Remittance, remit_date: NaiveDate) -> Vec<String> {
    let lists = codes::shipped();
    let mut flags: Vec<String> = Vec::new();
    let mut push = |f: String| {
        if !flags.contains(&f) {
            flags.push(f);
        }
    };
    let status_flag = |kind: &str, code: &str, s: CodeStatus| match s {
        CodeStatus::Active => None,
        CodeStatus::Unknown => Some(format!("{kind}_unknown:{code}")),
        CodeStatus::Deactivated(end) => Some(format!("{kind}_deactivated:{code}:{end}")),
        CodeStatus::NotYetEffective(start) => Some(format!("{kind}_not_yet_effective:{code}:{start}")),
    };
    for a in &r.adjustments {
        if !codes::GROUP_CODES.contains(&a.group.as_str()) {
            push(format!("group_unknown:{}", a.group));
        }
        if let Some(f) = status_flag("carc", &a.reason, lists.carc.status(&a.reason, remit_date)) {
            push(f);
        }
    }
    for code in &r.remark_codes {
        if let Some(f) = status_flag("rarc", code, lists.rarc.status(code, remit_date)) {
            push(f);
        }
    }
    flags
}

/// Denied amount × the category's recovery likelihood, in cents (rounded up).
pub fn expected_recovery(category: Category, denied_cents: i64) -> i64 {
    if denied_cents <= 0 {
        return 0;
    }
    let weighted = denied_cents as i128 * category.recovery_percent() as i128;
    ((weighted + 99) / 100).min(i64::MAX as i128) as i64
}

/// How much the deadline weighs, in percent (see the module documentation). `None`: no deadline.
pub fn urgency_percent(days_to_deadline: Option<i64>) -> i64 {
    match days_to_deadline {
        None => 100,
        Some(d) if d < 0 => 25,
        Some(0..=14) => 200,
        Some(15..=30) => 150,
        Some(31..=60) => 120,
        Some(_) => 100,
    }
}

/// The priority in whole dollars: expected recovery × urgency, rounded up, capped at `i32::MAX`;
/// 0 when nothing is expected back.
pub fn priority(expected_recovery_cents: i64, days_to_deadline: Option<i64>) -> i32 {
    if expected_recovery_cents <= 0 {
        return 0;
    }
    let weighted = expected_recovery_cents as i128 * urgency_percent(days_to_deadline) as i128;
    ((weighted + 9_999) / 10_000).min(i32::MAX as i128) as i32
}

/// Days from `today` to `deadline` (negative once it has passed).
pub fn days_to(deadline: Option<NaiveDate>, today: NaiveDate) -> Option<i64> {
    deadline.map(|d| (d - today).num_days())
}

/// The last day to appeal: `days` after the remit date.
pub fn appeal_deadline(remit_date: NaiveDate, days: u32) -> NaiveDate {
    remit_date + chrono::Duration::days(days as i64)
}

/// What identifies one remittance of a claim, so that the same remittance queues one work item even
/// when its event comes twice under different event ids: the ERA file, the payment trace, the payer's
/// claim control number and the claim status.
pub fn remittance_key(r: &Remittance) -> String {
    format!("{}|{}|{}|{}", r.era_file, r.payment_trace, r.payer_claim_control_number, r.claim_status)
}

// ---------------------------------------------------------------------------------------------
// The work queue's actions
// ---------------------------------------------------------------------------------------------

/// A work item's status. `open` and `in_appeal` are the work to do; the others close the item
/// (a correction's result comes back as a new remittance, and a new work item if denied again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    InAppeal,
    CorrectionRequested,
    WrittenOff,
    BilledToPatient,
    AppealWon,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::InAppeal,
        Status::CorrectionRequested,
        Status::WrittenOff,
        Status::BilledToPatient,
        Status::AppealWon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => STATUS_OPEN,
            Status::InAppeal => "in_appeal",
            Status::CorrectionRequested => STATUS_CORRECTION_REQUESTED,
            Status::WrittenOff => "written_off",
            Status::BilledToPatient => "billed_to_patient",
            Status::AppealWon => "appeal_won",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// True when nothing more is done on the item.
    pub fn is_closed(self) -> bool {
        !matches!(self, Status::Open | Status::InAppeal)
    }
}

/// The payer's answer to an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealOutcome {
    Won,
    Lost,
    Partial,
}

impl AppealOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealOutcome::Won => "won",
            AppealOutcome::Lost => "lost",
            AppealOutcome::Partial => "partial",
        }
    }

    pub fn parse(s: &str) -> Option<AppealOutcome> {
        [AppealOutcome::Won, AppealOutcome::Lost, AppealOutcome::Partial].into_iter().find(|o| o.as_str() == s)
    }
}

/// A biller's action on a work item, with what the decision needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueAction<'a> {
    Assign,
    Note { text: &'a str },
    FileAppeal { today: NaiveDate, deadline: Option<NaiveDate>, supporting_text: &'a str },
    AppealOutcome { outcome: &'a str, recovered_cents: i64 },
    WriteOff { reason_code: &'a str, allowed_reasons: &'a [String], amount_cents: i64, denied_cents: i64 },
    BillPatient,
}

/// Why an action is refused: a bad request (INVALID_ARGUMENT) or the item's state
/// (FAILED_PRECONDITION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Invalid(String),
    Precondition(String),
}

/// The longest note, appeal text or attachment list entry taken.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// What an allowed action does: the item's next status, and for a write-off the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    pub status: Status,
    pub written_off_cents: i64,
}

/// Decides a work-queue action on an item in `status` (see the rules on each arm).
pub fn decide_action(status: Status, action: &QueueAction<'_>) -> Result<Decided, Refused> {
    let stay = Ok(Decided { status, written_off_cents: 0 });
    let to = |s: Status| Ok(Decided { status: s, written_off_cents: 0 });
    let closed = || Refused::Precondition(format!("the work item is {}: it takes no more actions", status.as_str()));
    let text_ok = |what: &str, t: &str| -> Result<(), Refused> {
        if t.trim().is_empty() {
            Err(Refused::Invalid(format!("{what} is empty")))
        } else if t.chars().count() > MAX_TEXT_CHARS {
            Err(Refused::Invalid(format!("{what} is longer than {MAX_TEXT_CHARS} characters")))
        } else {
            Ok(())
        }
    };
    match action {
        // Notes document the item, open or closed.
        QueueAction::Note { text } => {
            text_ok("the note", text)?;
            stay
        }
        QueueAction::Assign if status.is_closed() => Err(closed()),
        QueueAction::Assign => stay,
        // An open item only: a pending appeal needs its outcome first; a closed item is done.
        QueueAction::FileAppeal { today, deadline, supporting_text } => {
            text_ok("the supporting text", supporting_text)?;
            match status {
                Status::Open => {}
                Status::InAppeal => {
                    return Err(Refused::Precondition(
                        "the work item has an appeal pending: record its outcome first".into(),
                    ));
                }
                _ => return Err(closed()),
            }
            if let Some(d) = deadline.filter(|d| d < today) {
                return Err(Refused::Precondition(format!(
                    "the appeal deadline {d} has passed; write the denial off or bill the patient"
                )));
            }
            to(Status::InAppeal)
        }
        QueueAction::AppealOutcome { outcome, recovered_cents } => {
            let outcome = AppealOutcome::parse(outcome)
                .ok_or_else(|| Refused::Invalid(format!("outcome {outcome:?} is not won, lost or partial")))?;
            if *recovered_cents < 0 {
                return Err(Refused::Invalid("recovered_cents is negative".into()));
            }
            if status != Status::InAppeal {
                return Err(Refused::Precondition(format!(
                    "the work item is {}, not in_appeal: there is no appeal to record an outcome for",
                    status.as_str()
                )));
            }
            match outcome {
                AppealOutcome::Won => to(Status::AppealWon),
                AppealOutcome::Lost | AppealOutcome::Partial => to(Status::Open),
            }
        }
        QueueAction::WriteOff { reason_code, allowed_reasons, amount_cents, denied_cents } => {
            let reason = reason_code.trim();
            if reason.is_empty() {
                return Err(Refused::Invalid("a write-off needs a reason code".into()));
            }
            if !allowed_reasons.iter().any(|r| r == reason) {
                return Err(Refused::Invalid(format!(
                    "write-off reason {reason:?} is not one of {}",
                    allowed_reasons.join(", ")
                )));
            }
            if *amount_cents < 0 || *amount_cents > (*denied_cents).max(0) {
                return Err(Refused::Invalid(format!(
                    "amount_cents {amount_cents} is not between 0 and the denied {denied_cents}"
                )));
            }
            if status.is_closed() {
                return Err(closed());
            }
            let amount = if *amount_cents == 0 { (*denied_cents).max(0) } else { *amount_cents };
            Ok(Decided { status: Status::WrittenOff, written_off_cents: amount })
        }
        QueueAction::BillPatient if status.is_closed() => Err(closed()),
        QueueAction::BillPatient => to(Status::BilledToPatient),
    }
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

    fn today() -> NaiveDate {
        "2026-11-26".parse().unwrap()
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
        assert!(is_contractual("CO", "45") && is_contractual("CO", "253"));
        assert!(!is_contractual("PR", "45") && !is_contractual("CO", "16"));
    }

    #[test]
    fn carc_table() {
        let cases = [
            ("16", Category::MissingInformation),
            ("252", Category::MissingInformation),
            ("4", Category::Coding),
            ("11", Category::Coding),
            ("181", Category::Coding),
            ("197", Category::Authorization),
            ("15", Category::Authorization),
            ("62", Category::Authorization),
            ("50", Category::MedicalNecessity),
            ("55", Category::MedicalNecessity),
            ("167", Category::MedicalNecessity),
            ("97", Category::Bundling),
            ("234", Category::Bundling),
            ("96", Category::NonCovered),
            ("204", Category::NonCovered),
            ("29", Category::TimelyFiling),
            ("18", Category::Duplicate),
            ("B13", Category::Duplicate),
            ("26", Category::Eligibility),
            ("27", Category::Eligibility),
            ("31", Category::Eligibility),
            ("109", Category::Eligibility),
            ("133", Category::Other),
            ("ZZ9", Category::Other),
        ];
        for (carc, want) in cases {
            assert_eq!(carc_category(carc), want, "CARC {carc}");
        }
        assert_eq!(rarc_category("M51"), Some(Category::MissingInformation));
        assert_eq!(rarc_category("N54"), Some(Category::Authorization));
        assert_eq!(rarc_category("M15"), Some(Category::Bundling));
        assert_eq!(rarc_category("N362"), None);
    }

    #[test]
    fn every_mapped_code_is_in_the_shipped_lists() {
        let lists = crate::codes::shipped();
        for carc in (1..=310).map(|n| n.to_string()).chain(["B13", "B15"].map(String::from)) {
            if carc_category(&carc) != Category::Other {
                assert!(lists.carc.get(&carc).is_some(), "CARC {carc} is mapped but not in the list");
            }
        }
    }

    #[test]
    fn actions_follow_the_category_the_code_and_the_group() {
        assert_eq!(carc_action("CO", "16"), Action::CorrectAndResubmit);
        assert_eq!(carc_action("CO", "11"), Action::CorrectAndResubmit);
        assert_eq!(carc_action("CO", "31"), Action::CorrectAndResubmit, "a wrong member id is fixed and resent");
        assert_eq!(carc_action("CO", "27"), Action::BillPatient, "no coverage on the date: the patient owes");
        assert_eq!(carc_action("CO", "197"), Action::Appeal);
        assert_eq!(carc_action("CO", "50"), Action::Appeal);
        assert_eq!(carc_action("CO", "29"), Action::Appeal);
        assert_eq!(carc_action("CO", "97"), Action::CorrectAndResubmit);
        assert_eq!(carc_action("CO", "96"), Action::WriteOff);
        assert_eq!(carc_action("OA", "18"), Action::WriteOff);
        assert_eq!(carc_action("PR", "96"), Action::BillPatient);
        assert_eq!(carc_action("CO", "ZZ9"), Action::Appeal);
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn categories_round_trip_by_name() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("nope"), None);
    }

    #[test]
    fn denied_for_missing_information() {
        // Given a claim denied with CO-16 and remark M51
        let r = remit(50_000, 0, 0, vec![adj("CO", "16", 50_000)], &["M51"]);
        // When it is classified
        let c = classify(Outcome::Denied, &r, today());
        // Then it is missing information for the whole charge, to correct and resubmit
        assert_eq!((c.category, c.action), (Category::MissingInformation, Action::CorrectAndResubmit));
        assert_eq!(c.reason_codes, vec!["CO-16", "M51"]);
        assert_eq!(c.denied_cents, 50_000);
        assert_eq!(c.expected_recovery_cents, 45_000, "$500 x 90 %");
        assert!(c.code_flags.is_empty());
        assert_eq!(priority(c.expected_recovery_cents, Some(180)), 450);
    }

    #[test]
    fn the_largest_named_category_wins() {
        // Given authorization on $300 and medical necessity on $200, plus an unnamed CARC on $900
        let r = remit(
            140_000,
            0,
            0,
            vec![adj("CO", "197", 20_000), adj("CO", "197", 10_000), adj("CO", "50", 20_000), adj("CO", "133", 90_000)],
            &[],
        );
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.action), (Category::Authorization, Action::Appeal));
        assert_eq!(c.reason_codes, vec!["CO-197", "CO-50", "CO-133"], "each code once, in order");
    }

    #[test]
    fn a_tie_goes_to_the_category_listed_first() {
        let r = remit(20_000, 0, 0, vec![adj("CO", "50", 10_000), adj("CO", "16", 10_000)], &[]);
        assert_eq!(classify(Outcome::Denied, &r, today()).category, Category::MissingInformation);
        let r = remit(20_000, 0, 0, vec![adj("CO", "29", 10_000), adj("OA", "18", 10_000)], &[]);
        assert_eq!(classify(Outcome::Denied, &r, today()).category, Category::Duplicate);
    }

    #[test]
    fn remark_codes_decide_when_no_carc_names_a_category() {
        // Given an unnamed CARC (133) with a medical-necessity remark
        let r = remit(10_000, 0, 0, vec![adj("CO", "133", 10_000)], &["N362", "N115"]);
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.action), (Category::MedicalNecessity, Action::Appeal));
        // A CARC that names a category wins over the remark codes
        let r = remit(10_000, 0, 0, vec![adj("CO", "29", 10_000)], &["N115"]);
        assert_eq!(classify(Outcome::Denied, &r, today()).category, Category::TimelyFiling);
        // Nothing named anywhere: other, to appeal
        let r = remit(10_000, 0, 0, vec![adj("CO", "133", 10_000)], &["N362"]);
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.action), (Category::Other, Action::Appeal));
        // A denial with no adjustment at all
        let r = remit(10_000, 0, 0, vec![], &[]);
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.denied_cents), (Category::Other, 10_000));
    }

    #[test]
    fn a_claim_the_patient_owes_is_billed_to_the_patient() {
        // Given a claim the payer did not cover under the patient's plan (PR-204): nothing denied to the
        // provider, all of it the patient's
        let r = remit(10_000, 0, 10_000, vec![adj("PR", "204", 10_000)], &["N130"]);
        let c = classify(Outcome::Denied, &r, today());
        // Then it is non-covered, billed to the patient, with nothing to recover from the payer
        assert_eq!((c.category, c.action, c.denied_cents), (Category::NonCovered, Action::BillPatient, 0));
        assert_eq!(c.reason_codes, vec!["PR-204", "N130"]);
        // A provider-liable non-covered denial is written off
        let r = remit(10_000, 0, 0, vec![adj("CO", "96", 10_000)], &["N130"]);
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.action), (Category::NonCovered, Action::WriteOff));
        // Coverage ended before the visit: the patient owes it
        let r = remit(10_000, 0, 0, vec![adj("CO", "27", 10_000)], &[]);
        assert_eq!(classify(Outcome::Denied, &r, today()).action, Action::BillPatient);
    }

    #[test]
    fn unknown_and_deactivated_codes_are_flagged_and_kept() {
        // Given a remit with an unknown CARC, CARC 15 (deactivated 2018), an unknown group and RARC
        let r = remit(
            30_000,
            0,
            0,
            vec![adj("CO", "ZZ9", 10_000), adj("CO", "15", 10_000), adj("XX", "16", 10_000), adj("CO", "45", 1)],
            &["N9999", "M51"],
        );
        // When it is classified on a 2026 remit date
        let c = classify(Outcome::Denied, &r, today());
        // Then each is flagged once, and every code is still in the reasons
        assert_eq!(
            c.code_flags,
            vec!["carc_unknown:ZZ9", "carc_deactivated:15:2018-05-01", "group_unknown:XX", "rarc_unknown:N9999"]
        );
        assert_eq!(c.reason_codes, vec!["CO-ZZ9", "CO-15", "XX-16", "N9999", "M51"]);
        // On a remit date before CARC 15 ended, it is not flagged
        let c = classify(Outcome::Denied, &r, "2018-01-02".parse().unwrap());
        assert!(!c.code_flags.iter().any(|f| f.contains(":15")), "{:?}", c.code_flags);
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
        let c = classify(Outcome::PartiallyPaid, &r, today());
        assert_eq!(c.category, Category::Authorization);
        assert_eq!(c.denied_cents, 20_000);
        assert_eq!(c.reason_codes, vec!["CO-197", "N54"]);
        assert_eq!(priority(c.expected_recovery_cents, Some(100)), 100, "$200 x 50 %");
    }

    #[test]
    fn denied_amount_leaves_out_payment_and_patient_share() {
        let r = remit(10_000, 0, 1_500, vec![adj("CO", "31", 8_500), adj("PR", "1", 1_500)], &[]);
        let c = classify(Outcome::Denied, &r, today());
        assert_eq!((c.category, c.denied_cents), (Category::Eligibility, 8_500));
    }

    #[test]
    fn priority_weighs_expected_recovery_by_the_days_left() {
        assert_eq!(expected_recovery(Category::MissingInformation, 0), 0);
        assert_eq!(expected_recovery(Category::MissingInformation, -5), 0);
        assert_eq!(expected_recovery(Category::Duplicate, 1), 1, "rounded up");
        assert_eq!(expected_recovery(Category::MedicalNecessity, 100_000), 40_000);
        assert_eq!(priority(0, Some(1)), 0);
        assert_eq!(priority(1, None), 1, "any expected cent rounds up to $1");
        // Given $400 expected back, the priority grows as the deadline nears
        let p = |days| priority(40_000, days);
        assert_eq!(
            (p(None), p(Some(61)), p(Some(60)), p(Some(30)), p(Some(14)), p(Some(0))),
            (400, 400, 480, 600, 800, 800)
        );
        // and falls once it has passed
        assert_eq!(p(Some(-1)), 100);
        assert_eq!(priority(i64::MAX, None), i32::MAX, "capped");
        // Same amount: correctable first. A much larger appeal can outrank a small correction.
        let e = |c, cents| expected_recovery(c, cents);
        assert!(e(Category::MissingInformation, 50_000) > e(Category::Authorization, 50_000));
        assert!(e(Category::MedicalNecessity, 1_000_000) > e(Category::MissingInformation, 10_000));
        // A small denial due in a week outranks a larger one due in five months
        assert!(
            priority(e(Category::Authorization, 50_000), Some(7))
                > priority(e(Category::Authorization, 80_000), Some(150))
        );
    }

    #[test]
    fn deadlines_count_days_from_the_remit_date() {
        let remit: NaiveDate = "2026-01-15".parse().unwrap();
        assert_eq!(appeal_deadline(remit, 120).to_string(), "2026-05-15");
        assert_eq!(days_to(Some(appeal_deadline(remit, 120)), remit), Some(120));
        assert_eq!(days_to(None, remit), None);
    }

    #[test]
    fn remittance_key_names_the_remittance() {
        let r = remit(10_000, 0, 0, vec![], &[]);
        assert_eq!(remittance_key(&r), "era1.835|TRN1|ICN1|4");
    }

    #[test]
    fn statuses_round_trip_and_two_are_open() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| !s.is_closed()).collect();
        assert_eq!(open, [Status::Open, Status::InAppeal]);
    }

    #[test]
    fn an_open_denial_is_appealed_then_won_or_lost() {
        let (today, deadline) = (today(), Some(today() + chrono::Duration::days(30)));
        let appeal = QueueAction::FileAppeal { today, deadline, supporting_text: "records attached" };
        // Given an open item, when it is appealed, then it is in appeal
        assert_eq!(decide_action(Status::Open, &appeal).unwrap().status, Status::InAppeal);
        // and a second appeal waits for the first one's outcome
        assert!(matches!(decide_action(Status::InAppeal, &appeal), Err(Refused::Precondition(_))));
        // When the payer answers: won closes it; lost or partial reopens it
        let outcome = |o| QueueAction::AppealOutcome { outcome: o, recovered_cents: 0 };
        assert_eq!(decide_action(Status::InAppeal, &outcome("won")).unwrap().status, Status::AppealWon);
        assert_eq!(decide_action(Status::InAppeal, &outcome("lost")).unwrap().status, Status::Open);
        assert_eq!(decide_action(Status::InAppeal, &outcome("partial")).unwrap().status, Status::Open);
        assert!(matches!(decide_action(Status::InAppeal, &outcome("maybe")), Err(Refused::Invalid(_))));
        assert!(matches!(decide_action(Status::Open, &outcome("won")), Err(Refused::Precondition(_))));
        // An appeal needs its text, and cannot be filed once the deadline has passed
        let empty = QueueAction::FileAppeal { today, deadline, supporting_text: " " };
        assert!(matches!(decide_action(Status::Open, &empty), Err(Refused::Invalid(_))));
        let late =
            QueueAction::FileAppeal { today: today + chrono::Duration::days(31), deadline, supporting_text: "x" };
        let Err(Refused::Precondition(why)) = decide_action(Status::Open, &late) else { panic!("a late appeal") };
        assert!(why.contains("2026-12-26 has passed"), "{why}");
    }

    #[test]
    fn a_closed_item_takes_no_action_but_notes() {
        let appeal = QueueAction::FileAppeal { today: today(), deadline: None, supporting_text: "x" };
        for s in [Status::WrittenOff, Status::BilledToPatient, Status::AppealWon, Status::CorrectionRequested] {
            for a in [appeal.clone(), QueueAction::Assign, QueueAction::BillPatient] {
                let Err(Refused::Precondition(why)) = decide_action(s, &a) else { panic!("{s:?} {a:?}") };
                assert!(why.contains(s.as_str()), "{why}");
            }
            assert_eq!(decide_action(s, &QueueAction::Note { text: "called the payer" }).unwrap().status, s);
        }
        assert!(matches!(decide_action(Status::Open, &QueueAction::Note { text: "" }), Err(Refused::Invalid(_))));
    }

    #[test]
    fn a_write_off_needs_a_known_reason_and_at_most_the_denied_amount() {
        let reasons = vec!["small_balance".to_string(), "timely_filing".to_string()];
        let w = |reason, amount| QueueAction::WriteOff {
            reason_code: reason,
            allowed_reasons: &reasons,
            amount_cents: amount,
            denied_cents: 5_000,
        };
        // The whole denied amount by default, or part of it; from open or in appeal
        assert_eq!(
            decide_action(Status::Open, &w("small_balance", 0)),
            Ok(Decided { status: Status::WrittenOff, written_off_cents: 5_000 })
        );
        assert_eq!(decide_action(Status::InAppeal, &w("timely_filing", 1_200)).unwrap().written_off_cents, 1_200);
        // No reason, an unknown one, a wrong amount: invalid arguments, whatever the status
        let Err(Refused::Invalid(why)) = decide_action(Status::Open, &w(" ", 0)) else { panic!() };
        assert_eq!(why, "a write-off needs a reason code");
        assert!(matches!(decide_action(Status::Open, &w("because", 0)), Err(Refused::Invalid(_))));
        assert!(matches!(decide_action(Status::Open, &w("small_balance", 5_001)), Err(Refused::Invalid(_))));
        assert!(matches!(decide_action(Status::WrittenOff, &w("", 0)), Err(Refused::Invalid(_))));
        // A closed item cannot be written off again
        assert!(matches!(decide_action(Status::WrittenOff, &w("small_balance", 0)), Err(Refused::Precondition(_))));
        assert_eq!(decide_action(Status::Open, &QueueAction::BillPatient).unwrap().status, Status::BilledToPatient);
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
