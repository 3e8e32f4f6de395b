//! The `[denials]` section of the configuration (`RCM_DENIALS__<FIELD>` in the environment).
//!
//! ```toml
//! [denials]
//! appeal_days_default = 180
//! write_off_reasons = ["small_balance", "timely_filing", "non_covered", "bundled", "duplicate", "appeal_exhausted", "administrative"]
//! [denials.appeal_days_by_payer]          # by payer id, every tenant
//! MCR01 = 120
//! [denials.appeal_days_by_tenant.acme]    # one tenant's contracts; "*" is the tenant's default
//! ACME1 = 90
//! "*" = 120
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DenialsConfig {
    /// Work items `ListWorkQueue` returns when the request's limit is 0. Default 50.
    pub list_default_limit: u32,
    /// The most work items one `ListWorkQueue` call returns, whatever the request asks. Default 500.
    pub list_max_limit: u32,
    /// Days from the remit date to appeal when no rule below names the payer. Default 180: the
    /// minimum an ERISA group health plan must allow for an appeal (29 CFR 2560.503-1(h)(3)(i));
    /// provider contracts often say less, so set each payer's.
    pub appeal_days_default: u32,
    /// Days to appeal by the claim filing indicator (SBR09) of the claim as submitted. Default:
    /// Medicare Part A and B (`MA`, `MB`) 120 days for a redetermination (42 CFR 405.942(a));
    /// Medicare Advantage (`16`, HMO Medicare risk) 60 days for a reconsideration by the plan
    /// (42 CFR 422.582(b)); TRICARE (`CH`) 90 days (32 CFR 199.10(a)(1)).
    pub appeal_days_by_filing: BTreeMap<String, u32>,
    /// Days to appeal by payer id (every tenant). Wins over the filing indicator.
    pub appeal_days_by_payer: BTreeMap<String, u32>,
    /// A tenant's own days by payer id (its contracts); the key `*` is the tenant's default. Wins
    /// over everything else.
    pub appeal_days_by_tenant: BTreeMap<String, BTreeMap<String, u32>>,
    /// The reason codes a write-off takes.
    pub write_off_reasons: Vec<String>,
    /// How often the report gauges (`rcm_denials_report_*`) are computed again, in seconds;
    /// 0: never. Default 60.
    pub report_metrics_interval_secs: u64,
}

impl Default for DenialsConfig {
    fn default() -> Self {
        DenialsConfig {
            list_default_limit: 50,
            list_max_limit: 500,
            appeal_days_default: 180,
            appeal_days_by_filing: [("MA", 120), ("MB", 120), ("16", 60), ("CH", 90)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            appeal_days_by_payer: BTreeMap::new(),
            appeal_days_by_tenant: BTreeMap::new(),
            write_off_reasons: [
                "small_balance",
                "timely_filing",
                "non_covered",
                "bundled",
                "duplicate",
                "appeal_exhausted",
                "administrative",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            report_metrics_interval_secs: 60,
        }
    }
}

impl DenialsConfig {
    /// The number of items to list for a requested `limit` (0 means the default).
    pub fn limit(&self, requested: u32) -> i64 {
        let n = if requested == 0 { self.list_default_limit } else { requested };
        n.clamp(1, self.list_max_limit.max(1)) as i64
    }

    /// The days a payer gives to appeal, and the rule that says so: the tenant's entry for the
    /// payer, the tenant's default, the payer's entry, the claim filing indicator's, the default.
    pub fn appeal_days(&self, tenant: &str, payer_id: &str, claim_filing: &str) -> (u32, String) {
        if let Some(t) = self.appeal_days_by_tenant.get(tenant) {
            if let Some(d) = t.get(payer_id).filter(|_| !payer_id.is_empty()) {
                return (*d, format!("tenant {tenant}, payer {payer_id}: {d} days"));
            }
            if let Some(d) = t.get("*") {
                return (*d, format!("tenant {tenant} default: {d} days"));
            }
        }
        if let Some(d) = self.appeal_days_by_payer.get(payer_id).filter(|_| !payer_id.is_empty()) {
            return (*d, format!("payer {payer_id}: {d} days"));
        }
        if let Some(d) = self.appeal_days_by_filing.get(claim_filing).filter(|_| !claim_filing.is_empty()) {
            return (*d, format!("claim filing {claim_filing}: {d} days"));
        }
        (self.appeal_days_default, format!("default: {} days", self.appeal_days_default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let c = DenialsConfig::default();
        assert_eq!(c.limit(0), 50);
        assert_eq!(c.limit(3), 3);
        assert_eq!(c.limit(10_000), 500);
    }

    #[test]
    fn appeal_days_from_the_most_specific_rule() {
        // Given Medicare by filing indicator, a payer's entry, and acme's own contracts
        let mut c = DenialsConfig::default();
        c.appeal_days_by_payer.insert("BCBS1".into(), 90);
        c.appeal_days_by_tenant.insert("acme".into(), [("ACME1".to_string(), 45)].into_iter().collect());
        c.appeal_days_by_tenant.insert("beta".into(), [("*".to_string(), 30)].into_iter().collect());
        // Then each claim gets the most specific rule
        assert_eq!(c.appeal_days("acme", "ACME1", "CI"), (45, "tenant acme, payer ACME1: 45 days".into()));
        assert_eq!(c.appeal_days("acme", "BCBS1", "CI").0, 90);
        assert_eq!(c.appeal_days("beta", "BCBS1", "MB"), (30, "tenant beta default: 30 days".into()));
        assert_eq!(c.appeal_days("acme", "MCR", "MB"), (120, "claim filing MB: 120 days".into()));
        assert_eq!(c.appeal_days("acme", "MA01", "16").0, 60);
        assert_eq!(c.appeal_days("acme", "", ""), (180, "default: 180 days".into()));
    }

    #[test]
    fn the_section_reads_from_toml_like_values() {
        let v = serde_json::json!({
            "appeal_days_default": 90,
            "appeal_days_by_tenant": { "acme": { "ACME1": 60 } },
            "write_off_reasons": ["small_balance"]
        });
        let c: DenialsConfig = serde_json::from_value(v).unwrap();
        assert_eq!(c.appeal_days("acme", "ACME1", ""), (60, "tenant acme, payer ACME1: 60 days".into()));
        assert_eq!(c.appeal_days("beta", "ACME1", "").0, 90);
        assert_eq!(c.appeal_days("beta", "X", "MB").0, 120, "the filing defaults stay");
        assert_eq!(c.write_off_reasons, ["small_balance"]);
    }
}
