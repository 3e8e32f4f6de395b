//! The `[submission]` section of the configuration (`RCM_SUBMISSION__<FIELD>` in the environment).

use rcm_x12::syntax::Usage;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SubmissionConfig {
    /// How often the batcher makes files of the pending claims, in milliseconds: claims that arrive
    /// within one interval share one file per payer. Default 500.
    pub batch_interval_ms: u64,
    /// The most claims one batcher pass takes per tenant (all payers together). Default 500.
    pub batch_max_claims: i64,
    /// How often the acknowledgement poller reads `<data_dir>/<tenant>/inbound`, in milliseconds. Default 1000.
    pub poll_interval_ms: u64,
    /// ISA06, GS02 and the 1000A NM109: the id the clearinghouse knows us by (at most 15 characters).
    /// Default `RCMSUBMITTER`.
    pub submitter_id: String,
    /// 1000A NM103. Default `RCM BILLING SERVICE`.
    pub submitter_name: String,
    /// 1000A PER02, the EDI contact's name. Default `EDI DESK`.
    pub submitter_contact: String,
    /// 1000A PER04, the EDI contact's phone (digits). Default `8005550100`.
    pub submitter_phone: String,
    /// ISA08, GS03 and the 1000B NM109: the clearinghouse's id (at most 15 characters). Default `RCMCLEARING`.
    pub receiver_id: String,
    /// 1000B NM103. Default `DEMO CLEARINGHOUSE`.
    pub receiver_name: String,
    /// ISA15: `T` test data or `P` production. Default `T`.
    pub usage: Usage,
}

impl SubmissionConfig {
    /// Checks what the 837P envelope needs of the settings, so that a bad setting stops the
    /// service at start-up instead of holding claims.
    pub fn check(&self) -> Result<(), crate::Error> {
        let bad = |what: &str, why: &str| Err(crate::Error::Config(format!("{what} {why}")));
        let delimiters = rcm_x12::syntax::Delimiters::default();
        for (name, v, max) in [("submitter_id", &self.submitter_id, 15), ("receiver_id", &self.receiver_id, 15)] {
            if v.len() < 2 || v.len() > max {
                return bad(name, "must be 2 to 15 characters");
            }
            if rcm_x12::syntax::clean_text(v, &delimiters) != v.as_str() || v.contains(' ') {
                return bad(name, "must be letters, digits and punctuation other than the X12 delimiters, no spaces");
            }
        }
        for (name, v) in [("submitter_name", &self.submitter_name), ("receiver_name", &self.receiver_name)] {
            if rcm_x12::syntax::clean_text(v, &delimiters).is_empty() {
                return bad(name, "must not be empty");
            }
        }
        if self.batch_max_claims < 1 || self.batch_max_claims > 5000 {
            return bad("batch_max_claims", "must be 1 to 5000 (the 837P guide's limit per transaction set)");
        }
        Ok(())
    }
}

impl Default for SubmissionConfig {
    fn default() -> Self {
        SubmissionConfig {
            batch_interval_ms: 500,
            batch_max_claims: 500,
            poll_interval_ms: 1000,
            submitter_id: "RCMSUBMITTER".into(),
            submitter_name: "RCM BILLING SERVICE".into(),
            submitter_contact: "EDI DESK".into(),
            submitter_phone: "8005550100".into(),
            receiver_id: "RCMCLEARING".into(),
            receiver_name: "DEMO CLEARINGHOUSE".into(),
            usage: Usage::Test,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_unusable_ids_are_refused() {
        assert!(SubmissionConfig::default().check().is_ok());
        let long = SubmissionConfig { submitter_id: "X".repeat(16), ..SubmissionConfig::default() };
        assert!(long.check().is_err());
        let delimiter = SubmissionConfig { receiver_id: "CH*1".into(), ..SubmissionConfig::default() };
        assert!(delimiter.check().is_err());
        let many = SubmissionConfig { batch_max_claims: 10_000, ..SubmissionConfig::default() };
        assert!(many.check().is_err());
    }
}
