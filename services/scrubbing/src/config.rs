//! The `[scrubbing]` section of the configuration (`RCM_SCRUBBING__TIMELY_FILING_DAYS`, ...).

use crate::decide::Settings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubbingConfig {
    /// Days after today (the platform clock's UTC date) a service date may be before it is an error
    /// (`SCRUB-SERVICE-DATE-FUTURE`). Default 0: no service date after today.
    pub future_days_allowed: u32,
    /// The filing limit, in days from the oldest service date, for payers without one of their
    /// own (`SCRUB-TIMELY-FILING`). Default 365; 0: none. Medicare claims (filing MA or MB) are
    /// held to 365 days whatever this says.
    pub timely_filing_days: u32,
    /// Filing limits by payer id (`[scrubbing.payer_timely_filing_days] BLU01 = 180`). A payer's
    /// rule pack may set its own (`timely_filing_days` in the pack), which comes first.
    pub payer_timely_filing_days: BTreeMap<String, u32>,
    /// Payer ids held to Medicare's 365 days besides claims filed as Medicare (MA, MB).
    pub medicare_payer_ids: Vec<String>,
}

impl Default for ScrubbingConfig {
    fn default() -> Self {
        let s = Settings::default();
        ScrubbingConfig {
            future_days_allowed: s.future_days_allowed,
            timely_filing_days: s.timely_filing_days,
            payer_timely_filing_days: s.payer_timely_filing_days,
            medicare_payer_ids: s.medicare_payer_ids,
        }
    }
}

impl ScrubbingConfig {
    pub fn settings(&self) -> Settings {
        Settings {
            future_days_allowed: self.future_days_allowed,
            timely_filing_days: self.timely_filing_days,
            payer_timely_filing_days: self.payer_timely_filing_days.clone(),
            medicare_payer_ids: self.medicare_payer_ids.clone(),
        }
    }
}
