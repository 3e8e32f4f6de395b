//! The `[denials]` section of the configuration (`RCM_DENIALS__<FIELD>` in the environment).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DenialsConfig {
    /// Work items `ListWorkQueue` returns when the request's limit is 0. Default 50.
    pub list_default_limit: u32,
    /// The most work items one `ListWorkQueue` call returns, whatever the request asks. Default 500.
    pub list_max_limit: u32,
}

impl Default for DenialsConfig {
    fn default() -> Self {
        DenialsConfig { list_default_limit: 50, list_max_limit: 500 }
    }
}

impl DenialsConfig {
    /// The number of items to list for a requested `limit` (0 means the default).
    pub fn limit(&self, requested: u32) -> i64 {
        let n = if requested == 0 { self.list_default_limit } else { requested };
        n.clamp(1, self.list_max_limit.max(1)) as i64
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
}
