//! The `[submission]` section of the configuration (`RCM_SUBMISSION__<FIELD>` in the environment),
//! and the trading partner settings it holds for every tenant that has none of its own.

use rcm_x12::syntax::Usage;
use serde::{Deserialize, Serialize};

/// The only 837P version we write (GS08).
pub const VERSION_837P: &str = "005010X222A1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SubmissionConfig {
    /// How often the batcher looks for batches that are due and files to deliver, in milliseconds.
    /// Default 250.
    pub batch_interval_ms: u64,
    /// How often the acknowledgement poller lists the trading partners' inbound files, in
    /// milliseconds. Default 1000.
    pub poll_interval_ms: u64,
    /// The trading partner of a tenant that has none of its own (`SetTradingPartner`), for every
    /// payer; its fields sit directly in this section.
    #[serde(flatten)]
    pub partner: TradingPartner,
}

/// Who we exchange files with for a tenant (a clearinghouse), how our interchanges to it are
/// addressed, how claims are gathered into them, and how files travel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TradingPartner {
    /// The partner's name in our records (letters, digits, `-`, `_`). Default `default`.
    pub partner_id: String,
    /// The payers whose claims go to this partner; empty for the tenant's default partner (every
    /// payer no other partner names).
    pub payer_ids: Vec<String>,
    /// ISA05/ISA06, GS02 and the 1000A NM109: the id the clearinghouse knows us by (2 to 15
    /// characters) and its qualifier (`ZZ` mutually defined, `01` DUNS, `30` TIN, ...). Default
    /// `RCMSUBMITTER`, `ZZ`.
    pub submitter_id: String,
    pub submitter_qualifier: String,
    /// 1000A NM103. Default `RCM BILLING SERVICE`.
    pub submitter_name: String,
    /// 1000A PER02, the EDI contact's name. Default `EDI DESK`.
    pub submitter_contact: String,
    /// 1000A PER04, the EDI contact's phone (digits). Default `8005550100`.
    pub submitter_phone: String,
    /// ISA07/ISA08, GS03 and the 1000B NM109: the clearinghouse's id and qualifier. Default
    /// `RCMCLEARING`, `ZZ`.
    pub receiver_id: String,
    pub receiver_qualifier: String,
    /// 1000B NM103. Default `DEMO CLEARINGHOUSE`.
    pub receiver_name: String,
    /// ISA15: `T` test data or `P` production. Default `T`.
    pub usage: Usage,
    /// GS08; only `005010X222A1` is written.
    pub version: String,
    /// A batch is cut when this many claims for one payer are waiting (1 to 5,000: the 837P guide's
    /// limit per transaction set), or when the oldest has waited `batch_window_ms`, whichever
    /// comes first. Default 500.
    pub batch_max_claims: i64,
    /// Default 500 (milliseconds).
    pub batch_window_ms: u64,
    /// How files travel: `{ kind = "folder" }` (the default: `<data_dir>/<tenant>/outbound` and
    /// `inbound`), SFTP or HTTPS (see `rcm-transport`).
    pub transport: Option<rcm_transport::TransportConfig>,
}

impl Default for TradingPartner {
    fn default() -> Self {
        TradingPartner {
            partner_id: "default".into(),
            payer_ids: Vec::new(),
            submitter_id: "RCMSUBMITTER".into(),
            submitter_qualifier: "ZZ".into(),
            submitter_name: "RCM BILLING SERVICE".into(),
            submitter_contact: "EDI DESK".into(),
            submitter_phone: "8005550100".into(),
            receiver_id: "RCMCLEARING".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_name: "DEMO CLEARINGHOUSE".into(),
            usage: Usage::Test,
            version: VERSION_837P.into(),
            batch_max_claims: 500,
            batch_window_ms: 500,
            transport: None,
        }
    }
}

impl TradingPartner {
    /// How files travel for the tenant: the partner's transport, or the tenant's folders under
    /// `data_dir`.
    pub fn transport_config(&self, data_dir: &std::path::Path, tenant: &str) -> rcm_transport::TransportConfig {
        self.transport.clone().unwrap_or_else(|| rcm_transport::TransportConfig::folder_for_tenant(data_dir, tenant))
    }

    /// Checks what the 837P envelope needs of the settings, so that a bad setting is refused when it
    /// is set (or stops the service at start-up) instead of holding claims.
    pub fn check(&self) -> Result<(), crate::Error> {
        let bad = |what: &str, why: &str| {
            Err(crate::Error::Config(format!("trading partner {:?}: {what} {why}", self.partner_id)))
        };
        let id_ok = |s: &str| {
            !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !id_ok(&self.partner_id) {
            return bad("partner_id", "must be 1 to 32 letters, digits, - or _");
        }
        let delimiters = rcm_x12::syntax::Delimiters::default();
        for (name, v) in [("submitter_id", &self.submitter_id), ("receiver_id", &self.receiver_id)] {
            if v.len() < 2 || v.len() > 15 {
                return bad(name, "must be 2 to 15 characters");
            }
            if rcm_x12::syntax::clean_text(v, &delimiters) != v.as_str() || v.contains(' ') {
                return bad(name, "must be letters, digits and punctuation other than the X12 delimiters, no spaces");
            }
        }
        for (name, v) in
            [("submitter_qualifier", &self.submitter_qualifier), ("receiver_qualifier", &self.receiver_qualifier)]
        {
            // ISA05/ISA07 (X12 code list I05).
            if !["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"].contains(&v.as_str()) {
                return bad(name, "must be an ISA qualifier: 01, 14, 20, 27, 28, 29, 30, 33 or ZZ");
            }
        }
        for (name, v) in [("submitter_name", &self.submitter_name), ("receiver_name", &self.receiver_name)] {
            if rcm_x12::syntax::clean_text(v, &delimiters).is_empty() {
                return bad(name, "must not be empty");
            }
        }
        if self.version != VERSION_837P {
            return bad("version", "must be 005010X222A1 (the only 837P version written)");
        }
        if self.batch_max_claims < 1 || self.batch_max_claims > 5000 {
            return bad("batch_max_claims", "must be 1 to 5000 (the 837P guide's limit per transaction set)");
        }
        if self.batch_window_ms == 0 {
            return bad("batch_window_ms", "must be at least 1");
        }
        if self.payer_ids.iter().any(|p| p.trim().is_empty()) {
            return bad("payer_ids", "must not hold an empty payer id");
        }
        if let Some(t) = &self.transport {
            t.check()
                .map_err(|e| crate::Error::Config(format!("trading partner {:?}: transport: {e}", self.partner_id)))?;
        }
        Ok(())
    }
}

impl SubmissionConfig {
    pub fn check(&self) -> Result<(), crate::Error> {
        if !self.partner.payer_ids.is_empty() {
            return Err(crate::Error::Config(
                "[submission] payer_ids: the configured partner is every tenant's default and takes every payer".into(),
            ));
        }
        self.partner.check()
    }
}

impl Default for SubmissionConfig {
    fn default() -> Self {
        SubmissionConfig { batch_interval_ms: 250, poll_interval_ms: 1000, partner: TradingPartner::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(f: impl FnOnce(&mut TradingPartner)) -> TradingPartner {
        let mut p = TradingPartner::default();
        f(&mut p);
        p
    }

    #[test]
    fn the_defaults_pass_and_unusable_settings_are_refused() {
        assert!(SubmissionConfig::default().check().is_ok());
        for bad in [
            partner(|p| p.submitter_id = "X".repeat(16)),
            partner(|p| p.receiver_id = "CH*1".into()),
            partner(|p| p.batch_max_claims = 10_000),
            partner(|p| p.batch_max_claims = 0),
            partner(|p| p.receiver_qualifier = "QQ".into()),
            partner(|p| p.version = "004010X098A1".into()),
            partner(|p| p.partner_id = "a b".into()),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_section_reads_flat_with_the_partner_fields() {
        let c: SubmissionConfig = serde_json::from_value(
            serde_json::json!({"receiver_id": "CLEARCO", "usage": "P", "batch_window_ms": 2000}),
        )
        .unwrap();
        assert_eq!(
            (c.partner.receiver_id.as_str(), c.partner.usage, c.partner.batch_window_ms),
            ("CLEARCO", Usage::Production, 2000)
        );
        assert_eq!(c.partner.partner_id, "default");
    }
}
