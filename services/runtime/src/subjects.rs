//! Subjects, stream names and consumer names: built here and nowhere else.
//!
//! - events: `[<prefix>.]rcm.evt.<tenant>.<stage>.<event>`
//! - dead letters: `[<prefix>.]rcm.dlq.<tenant>.<service>`
//! - one stream per tenant: `[<PREFIX>_]RCM_<TENANT>` over both.
//!
//! The optional prefix lets tests share one server without seeing each other's messages.

use crate::error::{Result, RuntimeError};
use rcm_proto::events::envelope::Payload;

/// Every event type: its stage (the producing service) and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    EncounterReceived,
    ClaimCoded,
    ReviewRequired,
    ClaimScrubbed,
    ClaimRejected,
    ClaimSubmitted,
    ClaimAccepted,
    ClaimRejectedByPayer,
    ClaimPaid,
    ClaimPartiallyPaid,
    ClaimDenied,
    DenialQueued,
    CorrectionRequested,
    ClaimSent,
    AppealFiled,
    ClaimClosed,
    ClaimReversed,
    SecondaryClaimRequested,
    TradingPartnerSet,
}

impl EventType {
    pub const ALL: [EventType; 19] = [
        EventType::EncounterReceived,
        EventType::ClaimCoded,
        EventType::ReviewRequired,
        EventType::ClaimScrubbed,
        EventType::ClaimRejected,
        EventType::ClaimSubmitted,
        EventType::ClaimAccepted,
        EventType::ClaimRejectedByPayer,
        EventType::ClaimPaid,
        EventType::ClaimPartiallyPaid,
        EventType::ClaimDenied,
        EventType::DenialQueued,
        EventType::CorrectionRequested,
        EventType::ClaimSent,
        EventType::AppealFiled,
        EventType::ClaimClosed,
        EventType::ClaimReversed,
        EventType::SecondaryClaimRequested,
        EventType::TradingPartnerSet,
    ];

    /// (stage, event) as they appear in subjects.
    pub fn parts(self) -> (&'static str, &'static str) {
        match self {
            EventType::EncounterReceived => ("intake", "encounter_received"),
            EventType::ClaimCoded => ("coding", "claim_coded"),
            EventType::ReviewRequired => ("coding", "review_required"),
            EventType::ClaimScrubbed => ("scrubbing", "claim_scrubbed"),
            EventType::ClaimRejected => ("scrubbing", "claim_rejected"),
            EventType::ClaimSubmitted => ("submission", "claim_submitted"),
            EventType::ClaimAccepted => ("submission", "claim_accepted"),
            EventType::ClaimRejectedByPayer => ("submission", "claim_rejected_by_payer"),
            EventType::ClaimPaid => ("remittance", "claim_paid"),
            EventType::ClaimPartiallyPaid => ("remittance", "claim_partially_paid"),
            EventType::ClaimDenied => ("remittance", "claim_denied"),
            EventType::DenialQueued => ("denials", "denial_queued"),
            EventType::CorrectionRequested => ("denials", "correction_requested"),
            EventType::ClaimSent => ("submission", "claim_sent"),
            EventType::AppealFiled => ("denials", "appeal_filed"),
            EventType::ClaimClosed => ("denials", "claim_closed"),
            EventType::ClaimReversed => ("remittance", "claim_reversed"),
            EventType::SecondaryClaimRequested => ("remittance", "secondary_claim_requested"),
            EventType::TradingPartnerSet => ("submission", "trading_partner_set"),
        }
    }

    /// `stage.event`, the envelope's `event_type`.
    pub fn name(self) -> String {
        let (s, e) = self.parts();
        format!("{s}.{e}")
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| {
            let (s, e) = t.parts();
            name.len() == s.len() + 1 + e.len() && name.starts_with(s) && name.ends_with(e)
        })
    }

    /// The type of a payload.
    pub fn of(payload: &Payload) -> EventType {
        match payload {
            Payload::EncounterReceived(_) => EventType::EncounterReceived,
            Payload::ClaimCoded(_) => EventType::ClaimCoded,
            Payload::CodingReviewRequired(_) => EventType::ReviewRequired,
            Payload::ClaimScrubbed(_) => EventType::ClaimScrubbed,
            Payload::ClaimRejected(_) => EventType::ClaimRejected,
            Payload::ClaimSubmitted(_) => EventType::ClaimSubmitted,
            Payload::ClaimAccepted(_) => EventType::ClaimAccepted,
            Payload::ClaimRejectedByPayer(_) => EventType::ClaimRejectedByPayer,
            Payload::ClaimPaid(_) => EventType::ClaimPaid,
            Payload::ClaimPartiallyPaid(_) => EventType::ClaimPartiallyPaid,
            Payload::ClaimDenied(_) => EventType::ClaimDenied,
            Payload::DenialQueued(_) => EventType::DenialQueued,
            Payload::CorrectionRequested(_) => EventType::CorrectionRequested,
            Payload::ClaimSent(_) => EventType::ClaimSent,
            Payload::AppealFiled(_) => EventType::AppealFiled,
            Payload::ClaimClosed(_) => EventType::ClaimClosed,
            Payload::ClaimReversed(_) => EventType::ClaimReversed,
            Payload::SecondaryClaimRequested(_) => EventType::SecondaryClaimRequested,
            Payload::TradingPartnerSet(_) => EventType::TradingPartnerSet,
        }
    }
}

/// Checks a tenant id: it becomes part of subjects, stream and database names.
pub fn check_tenant(tenant: &str) -> Result<()> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 32
        && tenant.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !tenant.starts_with('-');
    if ok { Ok(()) } else { Err(RuntimeError::InvalidTenant(tenant.to_string())) }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    prefix: Option<String>,
}

impl Subjects {
    /// `prefix`: lower-case letters, digits and '-', or none.
    pub fn new(prefix: Option<&str>) -> Result<Self> {
        match prefix.filter(|p| !p.is_empty()) {
            None => Ok(Subjects { prefix: None }),
            Some(p) => {
                check_tenant(p).map_err(|_| RuntimeError::Config(format!("subject prefix {p:?} is not valid")))?;
                Ok(Subjects { prefix: Some(p.to_string()) })
            }
        }
    }

    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    fn root(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}.rcm"),
            None => "rcm".to_string(),
        }
    }

    pub fn event(&self, tenant: &str, t: EventType) -> String {
        let (stage, event) = t.parts();
        format!("{}.evt.{tenant}.{stage}.{event}", self.root())
    }

    /// Every event of a tenant.
    pub fn tenant_events(&self, tenant: &str) -> String {
        format!("{}.evt.{tenant}.>", self.root())
    }

    pub fn dead_letter(&self, tenant: &str, service: &str) -> String {
        format!("{}.dlq.{tenant}.{service}", self.root())
    }

    pub fn tenant_dead_letters(&self, tenant: &str) -> String {
        format!("{}.dlq.{tenant}.>", self.root())
    }

    /// The tenant's stream: `RCM_ACME` (`T1_RCM_ACME` under prefix `t1`).
    pub fn stream(&self, tenant: &str) -> String {
        let base = format!("RCM_{}", tenant.to_ascii_uppercase().replace('-', "_"));
        match &self.prefix {
            Some(p) => format!("{}_{base}", p.to_ascii_uppercase().replace('-', "_")),
            None => base,
        }
    }

    /// The durable consumer of `service` for one event type.
    pub fn consumer(&self, service: &str, t: EventType) -> String {
        let (stage, event) = t.parts();
        format!("{service}__{stage}_{event}")
    }

    /// The durable consumer of `service` that reads every event of the tenant.
    pub fn consumer_all(&self, service: &str) -> String {
        format!("{service}__all")
    }

    /// Parses an event subject back into (tenant, event type).
    pub fn parse_event(&self, subject: &str) -> Option<(String, EventType)> {
        let rest = subject.strip_prefix(&format!("{}.evt.", self.root()))?;
        let mut parts = rest.splitn(3, '.');
        let tenant = parts.next()?;
        let stage = parts.next()?;
        let event = parts.next()?;
        let t = EventType::from_name(&format!("{stage}.{event}"))?;
        Some((tenant.to_string(), t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_names() {
        let s = Subjects::new(None).unwrap();
        assert_eq!(s.event("acme", EventType::ClaimCoded), "rcm.evt.acme.coding.claim_coded");
        assert_eq!(s.dead_letter("acme", "coding"), "rcm.dlq.acme.coding");
        assert_eq!(s.stream("acme"), "RCM_ACME");
        let p = Subjects::new(Some("t42")).unwrap();
        assert_eq!(p.event("beta", EventType::EncounterReceived), "t42.rcm.evt.beta.intake.encounter_received");
        assert_eq!(p.stream("beta-2"), "T42_RCM_BETA_2");
        assert_eq!(p.parse_event("t42.rcm.evt.beta.coding.claim_coded"), Some(("beta".into(), EventType::ClaimCoded)));
        assert_eq!(s.parse_event("t42.rcm.evt.beta.coding.claim_coded"), None);
        assert_eq!(s.event("acme", EventType::CorrectionRequested), "rcm.evt.acme.denials.correction_requested");
    }

    #[test]
    fn every_event_type_round_trips_by_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_name(&t.name()), Some(t));
        }
    }

    #[test]
    fn tenant_ids_are_checked() {
        assert!(check_tenant("acme").is_ok());
        assert!(check_tenant("a-1").is_ok());
        for bad in ["", "Acme", "a.b", "a*", "-a", "a b", &"x".repeat(33)] {
            assert!(check_tenant(bad).is_err(), "{bad:?}");
        }
    }
}
