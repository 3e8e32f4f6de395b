//! The `history` pack: what depends on the tenant's other claims and on time.
//!
//! - Duplicates: a line with the same patient, billing provider, date, procedure and modifiers as
//!   a service of a claim already sent. Replacements and voids (frequency 7, 8) repeat their
//!   original by design, and the repeat-service modifiers (76, 77, 91) say the service was done
//!   again: neither is a duplicate.
//! - Timely filing: days from the oldest date of service to today, against the payer's limit:
//!   the payer's pack, else the configured limit for the payer, else Medicare's 365 days for
//!   Medicare claims, else the default.

use super::{Context, MEDICARE_FILING_DAYS, Settings, View};
use crate::rules::{self as r, Findings};

const REPEAT_MODIFIERS: [&str; 3] = ["76", "77", "91"];

/// The filing limit for a claim, and where it comes from.
pub fn filing_limit(v: &View, settings: &Settings, cx: &Context) -> Option<(u32, String)> {
    let payer = v.payer_id;
    if let Some(date) = v.first_date
        && let Some((days, pack)) = cx.packs.timely_filing_days(payer, date)
    {
        return Some((days, format!("set by pack {pack}")));
    }
    if let Some(days) = settings.payer_timely_filing_days.get(payer) {
        return Some((*days, format!("configured for payer {payer}")));
    }
    let filing = v.claim.coverage.as_ref().map(|c| c.claim_filing.trim()).unwrap_or_default();
    if matches!(filing, "MA" | "MB") || settings.medicare_payer_ids.iter().any(|p| p == payer) {
        return Some((MEDICARE_FILING_DAYS, "Medicare: one calendar year from the date of service".into()));
    }
    (settings.timely_filing_days > 0).then(|| (settings.timely_filing_days, "the default filing limit".into()))
}

pub fn check(v: &View, settings: &Settings, cx: &Context, f: &mut Findings) {
    let frequency = v.claim.frequency_code.trim();
    if !matches!(frequency, "7" | "8") {
        for (i, l) in v.lines.iter().enumerate() {
            let Some(date) = l.date else { continue };
            if l.code.is_empty() || l.modifiers.iter().any(|m| REPEAT_MODIFIERS.contains(&m.as_ref())) {
                continue;
            }
            let same_modifiers = |other: &[String]| {
                other.len() == l.modifiers.len() && other.iter().all(|m| l.modifiers.iter().any(|x| x == m))
            };
            let sent = cx.prior.iter().find(|p| {
                p.service_date == date
                    && p.billing_npi == v.billing_npi
                    && p.procedure_code == l.code
                    && same_modifiers(&p.modifiers)
            });
            if let Some(p) = sent {
                f.add(
                    &r::DUPLICATE,
                    format!("lines[{i}].procedure_code"),
                    Some(i),
                    format!(
                        "line {} repeats {} on {date} for the same patient and billing provider, already sent on \
                         claim {}; if it was done again, add 76, 77 or 91, or send a replacement (7)",
                        i + 1,
                        l.code,
                        p.claim_id
                    ),
                );
            }
        }
    }
    if let (Some((limit, why)), Some(first)) = (filing_limit(v, settings, cx), v.first_date) {
        let days = (cx.today - first).num_days();
        if days > i64::from(limit) {
            f.add(
                &r::TIMELY_FILING,
                "service_date",
                None,
                format!(
                    "the oldest service date, {first}, is {days} days ago; the filing limit is {limit} days ({why})"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::decide::testing::*;
    use crate::decide::{PriorService, Settings};

    fn sent(code: &str, modifiers: &[&str]) -> PriorService {
        PriorService {
            claim_id: "c-sent".into(),
            billing_npi: "1234567893".into(),
            provider_npi: "1234567893".into(),
            service_date: day(2026, 3, 2),
            procedure_code: code.into(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units: 1.into(),
        }
    }

    #[test]
    fn a_service_already_sent_is_a_duplicate() {
        // Given 71046 already sent for the patient by the same billing provider on the same day
        let prior = [sent("71046", &[])];
        let fx = Fixture { prior: &prior, ..Fixture::default() };
        let s = run_with(&clean(), &fx);
        // Then the claim's 71046 line is a duplicate; a 99214 sent instead is not
        let other = [sent("99214", &[])];
        let f = trips("SCRUB-DUPLICATE", &s, &run_with(&clean(), &Fixture { prior: &other, ..Fixture::default() }));
        assert_eq!(f[0].field, "lines[1].procedure_code");
        assert!(f[0].message.contains("already sent on claim c-sent"), "{}", f[0].message);
        assert!(!s.passes());
    }

    #[test]
    fn repeats_replacements_other_sites_and_other_providers_are_not_duplicates() {
        let prior = [sent("71046", &[])];
        let fx = || Fixture { prior: &prior, ..Fixture::default() };
        // A repeat procedure (76)
        let mut repeat = clean();
        repeat.lines[1].modifiers = vec!["76".into()];
        assert!(of(&run_with(&repeat, &fx()), "SCRUB-DUPLICATE").is_empty());
        // A replacement claim
        let mut replacement = clean();
        replacement.frequency_code = "7".into();
        replacement.payer_claim_control_number = "PCCN1".into();
        assert!(of(&run_with(&replacement, &fx()), "SCRUB-DUPLICATE").is_empty());
        // Another modifier (another site)
        let mut site = clean();
        site.lines[1].modifiers = vec!["LT".into()];
        assert!(of(&run_with(&site, &fx()), "SCRUB-DUPLICATE").is_empty());
        // Another billing provider
        let mut other = prior.clone();
        other[0].billing_npi = "1245319599".into();
        assert!(
            of(&run_with(&clean(), &Fixture { prior: &other, ..Fixture::default() }), "SCRUB-DUPLICATE").is_empty()
        );
    }

    #[test]
    fn timely_filing_by_payer() {
        // Given a commercial claim 366 days old under the default 365, and one 365 days old
        let mut old = clean();
        let fx = Fixture { today: day(2027, 3, 3), ..Fixture::default() };
        let s = run_with(&old, &fx);
        let f = trips(
            "SCRUB-TIMELY-FILING",
            &s,
            &run_with(&old, &Fixture { today: day(2027, 3, 2), ..Fixture::default() }),
        );
        assert_eq!(
            f[0].message,
            "the oldest service date, 2026-03-02, is 366 days ago; the filing limit is 365 days (the default filing limit)"
        );
        // And a payer configured at 90 days: 91 days trips, 90 does not
        let settings = Settings { payer_timely_filing_days: [("87726".to_string(), 90)].into(), ..Settings::default() };
        let at = |today| Fixture { today, settings: settings.clone(), ..Fixture::default() };
        let f =
            trips("SCRUB-TIMELY-FILING", &run_with(&old, &at(day(2026, 6, 1))), &run_with(&old, &at(day(2026, 5, 31))));
        assert!(f[0].message.ends_with("(configured for payer 87726)"), "{}", f[0].message);
        // And Medicare (claim filing MB) is 365 days even when the default is shorter
        old.coverage.as_mut().unwrap().claim_filing = "MB".into();
        let short = Settings { timely_filing_days: 90, ..Settings::default() };
        let mcr = |today| Fixture { today, settings: short.clone(), ..Fixture::default() };
        assert!(of(&run_with(&old, &mcr(day(2027, 3, 2))), "SCRUB-TIMELY-FILING").is_empty());
        let f = of(&run_with(&old, &mcr(day(2027, 3, 3))), "SCRUB-TIMELY-FILING");
        assert!(f[0].message.ends_with("(Medicare: one calendar year from the date of service)"), "{}", f[0].message);
    }
}
