//! The simulator's settings: the `[simulator]` section (`RCM_SIMULATOR__<NAME>` in the environment).
//!
//! The file loop's (`data_dir`, `poll_interval_ms`, `today`) and the payer's: the seed of every
//! decision and how often each seeded outcome happens. The defaults are the demo's payer.

use crate::hash::SEED;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorConfig {
    /// The file drop shared with the submission service. Default `var`.
    pub data_dir: PathBuf,
    /// How often the outbound directories are looked at, in milliseconds. Default 500.
    pub poll_interval_ms: u64,
    /// The payer's today (service dates after it are rejected, older than `timely_filing_days`
    /// denied); `None` for the current UTC date. Default `None`.
    pub today: Option<NaiveDate>,
    /// The seed of every seeded decision: unknown members, plans, line denials, contractual
    /// percentages, splits, reversals, payer claim control numbers and payment traces. The same
    /// 837 files, seed and `today` give the same answers byte for byte; another seed, other fates.
    /// Default `6840140039780316416` (`0x5EED0F2025083500`).
    pub seed: u64,
    /// Members the payer does not know (277CA `A3:33:IL`), out of 100 members. Default 3.
    pub unknown_member_per_100: u64,
    /// Lines denied for missing information (CO-16, RARC M51), out of 100 lines. Default 4.
    pub missing_info_per_100: u64,
    /// Lines denied as not medically necessary (CO-50), out of 100 lines. Default 4.
    pub not_necessary_per_100: u64,
    /// Claims whose first service date is older than this many days are denied CO-29. Default 365.
    pub timely_filing_days: i64,
    /// Claims with a payment and two or more lines paid across two 835 files, out of 100 such
    /// claims. Default 0 (the remittance service does not post split claims yet).
    pub split_payment_per_100: u64,
    /// Paid claims reversed (CLP02 22) and paid again for less in a later 835, out of 100 paid
    /// claims not split. Default 0 (the remittance service does not post reversals yet).
    pub reversal_per_100: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            data_dir: PathBuf::from("var"),
            poll_interval_ms: 500,
            today: None,
            seed: SEED,
            unknown_member_per_100: 3,
            missing_info_per_100: 4,
            not_necessary_per_100: 4,
            timely_filing_days: 365,
            split_payment_per_100: 0,
            reversal_per_100: 0,
        }
    }
}

impl SimulatorConfig {
    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_section_keeps_the_other_defaults() {
        let c: SimulatorConfig =
            serde_json::from_value(serde_json::json!({ "seed": 7, "reversal_per_100": 5 })).unwrap();
        assert_eq!(c.seed, 7);
        assert_eq!(c.reversal_per_100, 5);
        assert_eq!(c.missing_info_per_100, 4);
        assert_eq!(c.split_payment_per_100, 0);
        assert_eq!(SimulatorConfig::default().seed, SEED);
    }
}
