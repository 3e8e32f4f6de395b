//! The reports, computed without I/O from the reporting projection (rows the denials service
//! keeps from events: adjudications from `remittance.*`, scrubbing results from
//! `scrubbing.claim_scrubbed` / `claim_rejected`, the claim's payer, service date and first
//! submission from `scrubbing.claim_scrubbed` / `submission.claim_submitted`, and its own work items
//! and their action history). Each definition is in `services/denials/README.md`; in short:
//!
//! - **Denial rate**: claims with a denial (a `denied` or `partially_paid` adjudication) in the range /
//!   claims adjudicated in the range; by payer, by category (of the denial), by GROUP-CARC.
//! - **First-pass resolution**: work items created in the range that were resolved by their first
//!   resolving action / those whose resolution is known.
//! - **Clean-claim rate**: claims scrubbed in the range never rejected by scrubbing / claims scrubbed
//!   or rejected in the range.
//! - **Days in A/R**: mean days from the date of service (else the first submission) to the first
//!   payment, over claims first paid in the range; with the paid claims by age bucket, and the claims
//!   still owed by the payer at the end of the range by age bucket with their balance.
//! - **Net collection rate**: payments / (charges − contractual adjustments) over claims adjudicated
//!   in the range.

use crate::decide::{Outcome, Status};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The age buckets, in days.
pub const BUCKETS: [&str; 5] = ["0-30", "31-60", "61-90", "91-120", "120+"];

/// The bucket of an age in days (a negative age counts as 0).
pub fn bucket(days: i64) -> usize {
    match days {
        ..=30 => 0,
        31..=60 => 1,
        61..=90 => 2,
        91..=120 => 3,
        _ => 4,
    }
}

/// One adjudication (one remittance of a claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjudicationRow {
    pub claim_id: String,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub contractual_cents: i64,
    pub denied_cents: i64,
    /// GROUP-CARC of each denial adjustment with its amount.
    pub denial_codes: Vec<(String, i64)>,
    /// The category of the work item the adjudication queued, if any.
    pub category: Option<String>,
}

/// What the events said about a claim before its remittances.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimRow {
    pub claim_id: String,
    pub payer_id: String,
    pub service_date: Option<NaiveDate>,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub charge_cents: i64,
}

/// One scrubbing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubRow {
    pub claim_id: String,
    pub passed: bool,
    pub at: DateTime<Utc>,
}

/// A work item with what its history says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub claim_id: String,
    pub created_at: DateTime<Utc>,
    pub status: Status,
    pub category: String,
    pub recommended_action: String,
    pub denied_cents: i64,
    pub expected_recovery_cents: i64,
    /// Actions that try to resolve the item: correction_requested, appeal_filed, written_off,
    /// billed_to_patient.
    pub resolving_actions: u32,
    /// When the item was closed by the queue (written off, billed to the patient, appeal won), or
    /// when a correction was requested.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Everything the reports are computed from (already filtered to one tenant and, if asked, one payer).
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub claims: Vec<ClaimRow>,
    pub adjudications: Vec<AdjudicationRow>,
    pub scrubs: Vec<ScrubRow>,
    pub items: Vec<ItemRow>,
}

/// Dates, both inclusive; `None`: open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Range {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let d = at.date_naive();
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// A numerator over a denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ratio {
    pub numerator: i64,
    pub denominator: i64,
}

impl Ratio {
    /// 0 when there is nothing to measure.
    pub fn rate(&self) -> f64 {
        if self.denominator == 0 { 0.0 } else { self.numerator as f64 / self.denominator as f64 }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DenialRow {
    pub key: String,
    pub denied_claims: i64,
    pub adjudicated_claims: i64,
    pub denied_cents: i64,
}

impl DenialRow {
    pub fn rate(&self) -> f64 {
        Ratio { numerator: self.denied_claims, denominator: self.adjudicated_claims }.rate()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bucket {
    pub claims: i64,
    pub cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueCount {
    pub key: String,
    pub items: i64,
    pub denied_cents: i64,
    pub expected_recovery_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reports {
    pub denial_rate: Ratio,
    pub by_payer: Vec<DenialRow>,
    pub by_category: Vec<DenialRow>,
    pub by_carc: Vec<DenialRow>,
    pub first_pass_resolution: Ratio,
    pub clean_claim_rate: Ratio,
    pub days_in_ar: f64,
    pub paid_claims: i64,
    pub paid_aging: [Bucket; 5],
    pub open_ar_aging: [Bucket; 5],
    pub net_collection_rate: Ratio,
    pub charges_cents: i64,
    pub contractual_cents: i64,
    pub payments_cents: i64,
    pub queue_by_status: Vec<QueueCount>,
    pub queue_by_category: Vec<QueueCount>,
    pub queue_by_action: Vec<QueueCount>,
}

const UNKNOWN_PAYER: &str = "(unknown)";

/// Computes every report over `range`; `today` ends an open range (for the A/R balance).
pub fn build(input: &Input, range: Range, today: NaiveDate) -> Reports {
    let claims: HashMap<&str, &ClaimRow> = input.claims.iter().map(|c| (c.claim_id.as_str(), c)).collect();
    let payer = |claim: &str| -> String {
        claims.get(claim).map(|c| c.payer_id.as_str()).filter(|p| !p.is_empty()).unwrap_or(UNKNOWN_PAYER).to_string()
    };
    let mut adjs: Vec<&AdjudicationRow> = input.adjudications.iter().collect();
    adjs.sort_by_key(|a| a.at);
    let in_range: Vec<&AdjudicationRow> = adjs.iter().copied().filter(|a| range.contains(a.at)).collect();
    let mut r = Reports::default();

    // Denial rate, by payer, category and GROUP-CARC.
    let mut per_claim: BTreeMap<&str, Vec<&AdjudicationRow>> = BTreeMap::new();
    for a in &in_range {
        per_claim.entry(a.claim_id.as_str()).or_default().push(a);
    }
    let adjudicated = per_claim.len() as i64;
    let mut by_payer: BTreeMap<String, DenialRow> = BTreeMap::new();
    let mut by_category: BTreeMap<String, (BTreeSet<&str>, i64)> = BTreeMap::new();
    let mut by_carc: BTreeMap<String, (BTreeSet<&str>, i64)> = BTreeMap::new();
    for (claim, list) in &per_claim {
        let denials: Vec<&&AdjudicationRow> = list.iter().filter(|a| a.outcome != Outcome::Paid).collect();
        let row = by_payer.entry(payer(claim)).or_default();
        row.adjudicated_claims += 1;
        if denials.is_empty() {
            continue;
        }
        r.denial_rate.numerator += 1;
        row.denied_claims += 1;
        for a in &denials {
            row.denied_cents += a.denied_cents;
            let category = a.category.clone().unwrap_or_else(|| "other".into());
            let e = by_category.entry(category).or_default();
            e.0.insert(claim);
            e.1 += a.denied_cents;
            for (code, cents) in &a.denial_codes {
                let e = by_carc.entry(code.clone()).or_default();
                e.0.insert(claim);
                e.1 += cents;
            }
        }
    }
    r.denial_rate.denominator = adjudicated;
    r.by_payer = by_payer.into_iter().map(|(key, row)| DenialRow { key, ..row }).collect();
    let rows = |m: BTreeMap<String, (BTreeSet<&str>, i64)>| -> Vec<DenialRow> {
        let mut v: Vec<DenialRow> = m
            .into_iter()
            .map(|(key, (claims, cents))| DenialRow {
                key,
                denied_claims: claims.len() as i64,
                adjudicated_claims: adjudicated,
                denied_cents: cents,
            })
            .collect();
        v.sort_by(|a, b| b.denied_claims.cmp(&a.denied_claims).then(b.denied_cents.cmp(&a.denied_cents)));
        v
    };
    r.by_category = rows(by_category);
    r.by_carc = rows(by_carc);

    // Net collection rate: per claim, its latest adjudication. Remittance's events state a claim's
    // money as all its standing 835s add up (the parts of a split payment summed, a reversed payment
    // gone), so the latest holds every payment once.
    for list in per_claim.values() {
        let last = list.last().expect("a claim listed has an adjudication");
        r.charges_cents += last.charge_cents;
        r.contractual_cents += last.contractual_cents;
        r.payments_cents += last.paid_cents;
    }
    r.net_collection_rate =
        Ratio { numerator: r.payments_cents, denominator: (r.charges_cents - r.contractual_cents).max(0) };

    // First-pass resolution.
    for item in input.items.iter().filter(|i| range.contains(i.created_at)) {
        let (known, success) = match item.status {
            Status::WrittenOff | Status::BilledToPatient | Status::AppealWon => (true, true),
            Status::CorrectionRequested => {
                let since = item.resolved_at.unwrap_or(item.created_at);
                match adjs.iter().find(|a| a.claim_id == item.claim_id && a.at > since) {
                    Some(next) => (true, next.outcome == Outcome::Paid),
                    None => (false, false),
                }
            }
            Status::Open | Status::InAppeal => (false, false),
        };
        if known {
            r.first_pass_resolution.denominator += 1;
            r.first_pass_resolution.numerator += (success && item.resolving_actions == 1) as i64;
        }
    }

    // Clean-claim rate.
    let mut scrubbed: BTreeMap<&str, bool> = BTreeMap::new();
    for s in input.scrubs.iter().filter(|s| range.contains(s.at)) {
        *scrubbed.entry(s.claim_id.as_str()).or_insert(true) &= s.passed;
    }
    r.clean_claim_rate =
        Ratio { numerator: scrubbed.values().filter(|c| **c).count() as i64, denominator: scrubbed.len() as i64 };

    // Days to payment, over claims first paid in the range.
    let start = |c: &ClaimRow| c.service_date.or(c.first_submitted_at.map(|t| t.date_naive()));
    let mut first_paid: BTreeMap<&str, &AdjudicationRow> = BTreeMap::new();
    for a in adjs.iter().filter(|a| a.paid_cents > 0) {
        first_paid.entry(a.claim_id.as_str()).or_insert(a);
    }
    let mut total_days = 0i64;
    for (claim, a) in &first_paid {
        let Some(from) = claims.get(claim).and_then(|c| start(c)) else { continue };
        if !range.contains(a.at) {
            continue;
        }
        let days = (a.at.date_naive() - from).num_days().max(0);
        total_days += days;
        r.paid_claims += 1;
        let b = &mut r.paid_aging[bucket(days)];
        b.claims += 1;
        b.cents += a.paid_cents;
    }
    r.days_in_ar = if r.paid_claims == 0 { 0.0 } else { total_days as f64 / r.paid_claims as f64 };

    // What the payer still owes at the end of the range, by age.
    let as_of = range.to.unwrap_or(today);
    let mut closed_at: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for i in &input.items {
        if matches!(i.status, Status::WrittenOff | Status::BilledToPatient | Status::AppealWon)
            && let Some(t) = i.resolved_at
        {
            let e = closed_at.entry(i.claim_id.as_str()).or_insert(t);
            *e = (*e).min(t);
        }
    }
    for c in &input.claims {
        let Some(submitted) = c.first_submitted_at.filter(|t| t.date_naive() <= as_of) else { continue };
        if closed_at.get(c.claim_id.as_str()).is_some_and(|t| t.date_naive() <= as_of) {
            continue;
        }
        let latest = adjs.iter().rev().find(|a| a.claim_id == c.claim_id && a.at.date_naive() <= as_of);
        let balance = match latest {
            None => c.charge_cents,
            Some(a) if a.outcome == Outcome::Paid => 0,
            Some(a) => a.denied_cents,
        };
        if balance <= 0 {
            continue;
        }
        let from = c.service_date.unwrap_or(submitted.date_naive());
        let b = &mut r.open_ar_aging[bucket((as_of - from).num_days())];
        b.claims += 1;
        b.cents += balance;
    }

    // The queue now.
    let count = |key: &dyn Fn(&ItemRow) -> Option<String>| -> Vec<QueueCount> {
        let mut m: BTreeMap<String, QueueCount> = BTreeMap::new();
        for i in &input.items {
            if let Some(k) = key(i) {
                let e = m.entry(k.clone()).or_insert_with(|| QueueCount { key: k, ..QueueCount::default() });
                e.items += 1;
                e.denied_cents += i.denied_cents;
                e.expected_recovery_cents += i.expected_recovery_cents;
            }
        }
        let mut v: Vec<QueueCount> = m.into_values().collect();
        v.sort_by(|a, b| b.items.cmp(&a.items).then(a.key.cmp(&b.key)));
        v
    };
    r.queue_by_status = count(&|i| Some(i.status.as_str().to_string()));
    r.queue_by_category = count(&|i| (!i.status.is_closed()).then(|| i.category.clone()));
    r.queue_by_action = count(&|i| (!i.status.is_closed()).then(|| i.recommended_action.clone()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T12:00:00Z").parse().unwrap()
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn claim(id: &str, payer: &str, service: &str, submitted: &str, charge: i64) -> ClaimRow {
        ClaimRow {
            claim_id: id.into(),
            payer_id: payer.into(),
            service_date: Some(day(service)),
            first_submitted_at: Some(at(submitted)),
            charge_cents: charge,
        }
    }

    fn adj(claim: &str, outcome: Outcome, on: &str, charge: i64, paid: i64, contractual: i64) -> AdjudicationRow {
        AdjudicationRow {
            claim_id: claim.into(),
            outcome,
            at: at(on),
            charge_cents: charge,
            paid_cents: paid,
            contractual_cents: contractual,
            denied_cents: if outcome == Outcome::Paid { 0 } else { charge - paid - contractual },
            denial_codes: vec![],
            category: None,
        }
    }

    fn denial(claim: &str, on: &str, charge: i64, code: &str, category: &str) -> AdjudicationRow {
        AdjudicationRow {
            denial_codes: vec![(code.into(), charge)],
            category: Some(category.into()),
            ..adj(claim, Outcome::Denied, on, charge, 0, 0)
        }
    }

    fn item(claim: &str, created: &str, status: Status, actions: u32, resolved: Option<&str>) -> ItemRow {
        ItemRow {
            claim_id: claim.into(),
            created_at: at(created),
            status,
            category: "missing_information".into(),
            recommended_action: "correct_and_resubmit".into(),
            denied_cents: 10_000,
            expected_recovery_cents: 9_000,
            resolving_actions: actions,
            resolved_at: resolved.map(at),
        }
    }

    /// c1 paid at once (ACME1); c2 denied (CO-16) then paid after a correction (ACME1); c3 denied
    /// (CO-50) and written off after a lost appeal (BETA1); c4 partially paid (CO-197) and billed to
    /// the patient (BETA1); c5 submitted, never answered.
    fn input() -> Input {
        let mut c4 = adj("c4", Outcome::PartiallyPaid, "2026-03-10", 30_000, 6_000, 4_000);
        c4.denial_codes = vec![("CO-197".into(), 20_000)];
        c4.category = Some("authorization".into());
        Input {
            claims: vec![
                claim("c1", "ACME1", "2026-01-01", "2026-01-05", 10_000),
                claim("c2", "ACME1", "2026-01-01", "2026-01-05", 10_000),
                claim("c3", "BETA1", "2026-01-10", "2026-01-12", 20_000),
                claim("c4", "BETA1", "2026-02-01", "2026-02-02", 30_000),
                claim("c5", "BETA1", "2025-12-01", "2025-12-02", 5_000),
            ],
            adjudications: vec![
                adj("c1", Outcome::Paid, "2026-01-20", 10_000, 8_000, 2_000),
                denial("c2", "2026-01-20", 10_000, "CO-16", "missing_information"),
                adj("c2", Outcome::Paid, "2026-03-01", 10_000, 7_000, 3_000),
                denial("c3", "2026-02-01", 20_000, "CO-50", "medical_necessity"),
                c4,
            ],
            scrubs: vec![
                ScrubRow { claim_id: "c1".into(), passed: true, at: at("2026-01-04") },
                ScrubRow { claim_id: "c2".into(), passed: false, at: at("2026-01-03") },
                ScrubRow { claim_id: "c2".into(), passed: true, at: at("2026-01-04") },
                ScrubRow { claim_id: "c3".into(), passed: true, at: at("2026-01-11") },
                ScrubRow { claim_id: "c6".into(), passed: false, at: at("2026-01-11") },
            ],
            items: vec![
                item("c2", "2026-01-20", Status::CorrectionRequested, 1, Some("2026-01-21")),
                ItemRow {
                    category: "medical_necessity".into(),
                    ..item("c3", "2026-02-01", Status::WrittenOff, 2, Some("2026-02-20"))
                },
                ItemRow {
                    category: "authorization".into(),
                    ..item("c4", "2026-03-10", Status::BilledToPatient, 1, Some("2026-03-11"))
                },
            ],
        }
    }

    #[test]
    fn denial_rates_by_payer_category_and_carc() {
        // Given the claims above, over all time
        let r = build(&input(), Range::default(), day("2026-04-30"));
        // Then 3 of 4 adjudicated claims had a denial
        assert_eq!(r.denial_rate, Ratio { numerator: 3, denominator: 4 });
        assert_eq!(
            r.by_payer,
            vec![
                DenialRow { key: "ACME1".into(), denied_claims: 1, adjudicated_claims: 2, denied_cents: 10_000 },
                DenialRow { key: "BETA1".into(), denied_claims: 2, adjudicated_claims: 2, denied_cents: 40_000 },
            ]
        );
        let keys =
            |v: &[DenialRow]| v.iter().map(|r| (r.key.clone(), r.denied_claims, r.denied_cents)).collect::<Vec<_>>();
        assert_eq!(
            keys(&r.by_category),
            vec![
                ("authorization".into(), 1, 20_000),
                ("medical_necessity".into(), 1, 20_000),
                ("missing_information".into(), 1, 10_000)
            ]
        );
        assert_eq!(keys(&r.by_carc)[0], ("CO-197".to_string(), 1, 20_000));
        assert_eq!(r.by_carc.len(), 3);
        assert_eq!(r.by_carc[0].rate(), 0.25);
        // And a range that holds only January counts only January's adjudications
        let jan = Range { from: Some(day("2026-01-01")), to: Some(day("2026-01-31")) };
        let r = build(&input(), jan, day("2026-04-30"));
        assert_eq!(r.denial_rate, Ratio { numerator: 1, denominator: 2 });
    }

    #[test]
    fn first_pass_resolution_counts_items_resolved_by_their_first_action() {
        let r = build(&input(), Range::default(), day("2026-04-30"));
        // c2's correction was paid (first pass); c3 took an appeal and a write-off (not); c4 was billed
        // to the patient at once (first pass)
        assert_eq!(r.first_pass_resolution, Ratio { numerator: 2, denominator: 3 });
        // A correction whose claim is denied again is not a first-pass resolution; one still waiting
        // for its remit is not counted yet; open items are not counted
        let mut i = input();
        i.adjudications[2] = denial("c2", "2026-03-01", 10_000, "CO-16", "missing_information");
        i.items.push(item("c5", "2026-03-20", Status::Open, 0, None));
        assert_eq!(build(&i, Range::default(), day("2026-04-30")).first_pass_resolution.numerator, 1);
        i.adjudications.remove(2);
        assert_eq!(
            build(&i, Range::default(), day("2026-04-30")).first_pass_resolution,
            Ratio { numerator: 1, denominator: 2 }
        );
    }

    #[test]
    fn clean_claims_were_never_rejected_by_scrubbing() {
        let r = build(&input(), Range::default(), day("2026-04-30"));
        // c1 and c3 clean; c2 rejected once then passed; c6 rejected
        assert_eq!(r.clean_claim_rate, Ratio { numerator: 2, denominator: 4 });
        assert_eq!(r.clean_claim_rate.rate(), 0.5);
    }

    #[test]
    fn days_in_ar_and_aging_from_the_date_of_service() {
        let r = build(&input(), Range::default(), day("2026-04-30"));
        // Paid: c1 19 days after its service, c2 59 days after, c4 37 days after
        assert_eq!(r.paid_claims, 3);
        assert!((r.days_in_ar - (19.0 + 59.0 + 37.0) / 3.0).abs() < 1e-9, "{}", r.days_in_ar);
        assert_eq!(r.paid_aging[0], Bucket { claims: 1, cents: 8_000 });
        assert_eq!(r.paid_aging[1], Bucket { claims: 2, cents: 13_000 });
        // Still owed on 2026-04-30: c5 (never answered, 150 days: 120+). c3 was written off, c4's
        // denied part billed to the patient
        assert_eq!(r.open_ar_aging[4], Bucket { claims: 1, cents: 5_000 });
        assert_eq!(r.open_ar_aging.iter().map(|b| b.claims).sum::<i64>(), 1);
        // On 2026-02-10, c3's denial (service 2026-01-10: 31 days) and c4 (9 days, not answered yet)
        let feb = Range { from: None, to: Some(day("2026-02-10")) };
        let r = build(&input(), feb, day("2026-04-30"));
        assert_eq!(r.open_ar_aging[0], Bucket { claims: 1, cents: 30_000 });
        assert_eq!(r.open_ar_aging[1], Bucket { claims: 2, cents: 30_000 }, "c2's denial (40 days) and c3's");
        assert_eq!(bucket(-3), 0);
        assert_eq!((bucket(30), bucket(31), bucket(90), bucket(120), bucket(121)), (0, 1, 2, 3, 4));
    }

    #[test]
    fn net_collection_rate_is_payments_over_charges_less_contractual() {
        let r = build(&input(), Range::default(), day("2026-04-30"));
        // Charges 10 000 + 10 000 + 20 000 + 30 000; contractual 2 000 + 3 000 (c2's latest) + 4 000
        assert_eq!((r.charges_cents, r.contractual_cents, r.payments_cents), (70_000, 9_000, 21_000));
        assert_eq!(r.net_collection_rate, Ratio { numerator: 21_000, denominator: 61_000 });
        assert_eq!(build(&Input::default(), Range::default(), day("2026-04-30")).net_collection_rate.rate(), 0.0);
    }

    #[test]
    fn a_claim_paid_in_parts_counts_its_payments_once() {
        // Given a claim whose 835s each state its running total: 6 000 after the first part of a
        // split payment, 9 000 after the second
        let mut i = Input::default();
        i.adjudications.push(adj("s1", Outcome::PartiallyPaid, "2026-03-01", 10_000, 6_000, 1_000));
        i.adjudications.push(adj("s1", Outcome::Paid, "2026-03-05", 10_000, 9_000, 1_000));
        // When the net collection rate is built
        let r = build(&i, Range::default(), day("2026-04-30"));
        // Then the payments are the latest total, not the sum of both
        assert_eq!((r.charges_cents, r.contractual_cents, r.payments_cents), (10_000, 1_000, 9_000));
    }

    #[test]
    fn the_queue_by_status_category_and_action() {
        let mut i = input();
        i.items.push(item("c5", "2026-03-20", Status::Open, 0, None));
        let r = build(&i, Range::default(), day("2026-04-30"));
        assert_eq!(r.queue_by_status.len(), 4);
        assert_eq!(
            r.queue_by_category,
            vec![QueueCount {
                key: "missing_information".into(),
                items: 1,
                denied_cents: 10_000,
                expected_recovery_cents: 9_000
            }]
        );
        assert_eq!(r.queue_by_action[0].key, "correct_and_resubmit");
    }
}
