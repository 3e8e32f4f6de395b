//! The `[scrubbing]` section of the configuration (`RCM_SCRUBBING__TIMELY_FILING_DAYS`, ...).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubbingConfig {
    /// Days after today (the platform clock's UTC date) a service date may be before it is an error
    /// (`SCRUB-SERVICE-DATE-FUTURE`). Default 0: no service date after today.
    pub future_days_allowed: u32,
    /// A service date more than this many days before today is a warning (`SCRUB-TIMELY-FILING`):
    /// the payer's filing limit may have passed. Default 365 (Medicare's one calendar year); 0 turns
    /// the warning off.
    pub timely_filing_days: u32,
}

impl Default for ScrubbingConfig {
    fn default() -> Self {
        ScrubbingConfig { future_days_allowed: 0, timely_filing_days: 365 }
    }
}
