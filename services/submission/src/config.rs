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
