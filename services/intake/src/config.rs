//! The `[intake]` section of the configuration (`RCM_INTAKE__MAX_LINES`, ...).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeConfig {
    /// The most service lines one encounter may have; more is rejected (`InvalidArgument`).
    /// Default 50, the 837P limit of service lines per claim (loop 2400 repeat).
    pub max_lines: usize,
    /// The largest FHIR bundle `SubmitFhirBundle` takes, in bytes. Default 4 MiB (tonic's default
    /// largest message).
    pub max_bundle_bytes: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig { max_lines: 50, max_bundle_bytes: 4 * 1024 * 1024 }
    }
}
