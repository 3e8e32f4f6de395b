//! The `[remittance]` section of the configuration (`RCM_REMITTANCE__<FIELD>` in the environment).

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RemittanceConfig {
    /// Milliseconds between two reads of every served tenant's `<data_dir>/<tenant>/inbound/*.835`.
    /// Default 500.
    pub poll_interval_ms: u64,
    /// Whether this process reads 835 files (false for a process that only consumes events and answers
    /// gRPC). Default true. Several processes may poll the same directory: a file is posted once.
    pub poll_835: bool,
}

impl Default for RemittanceConfig {
    fn default() -> Self {
        RemittanceConfig { poll_interval_ms: 500, poll_835: true }
    }
}

impl RemittanceConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }
}
