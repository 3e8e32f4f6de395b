//! The `[coding]` section of the configuration (`RCM_CODING__DEFAULT_FEE_SCHEDULE`, ...).

use crate::decide::OutsideVersions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodingConfig {
    /// Give a tenant that has no fee schedule rows the default schedule on first use. Default
    /// true; false leaves such tenants without fees (lines keep the source's charge, or need coding).
    pub load_default_fee_schedule: bool,
    /// A TSV file (`procedure_code`, `modifier`, `charge_cents`, `#` comments) to use as the default
    /// schedule instead of the one shipped in the crate. Default none: the shipped
    /// `data/default_fee_schedule.tsv` (CMS PFS RVU24C non-facility RVUs × 33.2875 × 2.5).
    pub default_fee_schedule: Option<PathBuf>,
    /// For an encounter that came without diagnosis codes: note suggestions at or above this
    /// confidence code it without a coder. A tenant's own setting (`SetTenantSettings`) wins.
    pub auto_code_min_confidence: f32,
    /// A date of service no loaded ICD-10-CM version covers: `warn` (judge by the nearest version,
    /// with a warning) or `error` (send it to a coder).
    pub outside_versions: OutsideVersions,
    /// How many suggestions travel with an encounter to the coder.
    pub suggestion_limit: usize,
}

impl Default for CodingConfig {
    fn default() -> Self {
        CodingConfig {
            load_default_fee_schedule: true,
            default_fee_schedule: None,
            auto_code_min_confidence: 0.85,
            outside_versions: OutsideVersions::Warn,
            suggestion_limit: 10,
        }
    }
}
