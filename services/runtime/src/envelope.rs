//! The event envelope and its NATS headers: built here and nowhere else.

use crate::ids::Determinism;
use crate::subjects::{EventType, Subjects};
use prost::Message as _;
use rcm_proto::events::{Envelope, envelope::Payload};
use uuid::Uuid;

pub const HEADER_EVENT_TYPE: &str = "Rcm-Event-Type";
pub const HEADER_TENANT: &str = "Rcm-Tenant";
pub const HEADER_SCHEMA_VERSION: &str = "Rcm-Schema-Version";
pub const HEADER_CLAIM: &str = "Rcm-Claim-Id";
pub const HEADER_TRACEPARENT: &str = "traceparent";
pub const HEADER_MSG_ID: &str = "Nats-Msg-Id";
pub const HEADER_DLQ_REASON: &str = "Rcm-Dlq-Reason";
pub const HEADER_DLQ_CONSUMER: &str = "Rcm-Dlq-Consumer";
pub const HEADER_DLQ_SUBJECT: &str = "Rcm-Dlq-Subject";
pub const HEADER_DLQ_DELIVERIES: &str = "Rcm-Dlq-Deliveries";

/// The payload schema version this build writes. Older versions are upgraded in [`upgrade`].
pub const SCHEMA_VERSION: u32 = 1;

/// Who an event is about and what caused it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub tenant: String,
    pub claim_id: String,
    /// The chain's first event; a new chain when empty.
    pub correlation_id: String,
    /// The event being answered; empty for a chain's first event.
    pub causation_id: String,
}

impl Origin {
    /// The origin of an event made in answer to `cause`.
    pub fn caused_by(cause: &Envelope) -> Self {
        Origin {
            tenant: cause.tenant_id.clone(),
            claim_id: cause.claim_id.clone(),
            correlation_id: cause.correlation_id.clone(),
            causation_id: cause.event_id.clone(),
        }
    }
}

pub fn new_envelope(det: &Determinism, producer: &str, origin: &Origin, payload: Payload) -> Envelope {
    let event_id = det.ids.new_id().to_string();
    let now = det.clock.now();
    Envelope {
        event_type: EventType::of(&payload).name(),
        schema_version: SCHEMA_VERSION,
        tenant_id: origin.tenant.clone(),
        claim_id: origin.claim_id.clone(),
        correlation_id: if origin.correlation_id.is_empty() { event_id.clone() } else { origin.correlation_id.clone() },
        causation_id: origin.causation_id.clone(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: now.timestamp(),
            nanos: now.timestamp_subsec_nanos() as i32,
        }),
        producer: producer.to_string(),
        event_id,
        payload: Some(payload),
    }
}

/// An encoded event, ready for the outbox and then NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub event_id: Uuid,
    pub tenant: String,
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

pub fn encode(subjects: &Subjects, env: &Envelope, traceparent: Option<String>) -> Result<Outgoing, String> {
    let payload = env.payload.as_ref().ok_or("the envelope has no payload")?;
    let t = EventType::of(payload);
    let event_id = Uuid::parse_str(&env.event_id).map_err(|_| "the event id is not a UUID")?;
    let mut headers = vec![
        (HEADER_MSG_ID.to_string(), env.event_id.clone()),
        (HEADER_EVENT_TYPE.to_string(), t.name()),
        (HEADER_TENANT.to_string(), env.tenant_id.clone()),
        (HEADER_SCHEMA_VERSION.to_string(), env.schema_version.to_string()),
    ];
    if !env.claim_id.is_empty() {
        headers.push((HEADER_CLAIM.to_string(), env.claim_id.clone()));
    }
    if let Some(tp) = traceparent {
        headers.push((HEADER_TRACEPARENT.to_string(), tp));
    }
    Ok(Outgoing {
        event_id,
        tenant: env.tenant_id.clone(),
        subject: subjects.event(&env.tenant_id, t),
        headers,
        payload: env.encode_to_vec(),
    })
}

/// Why an incoming message cannot be taken: never worth a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the payload is not an encoded Envelope: {0}")]
    NotAnEnvelope(String),
    #[error("the envelope has no payload")]
    NoPayload,
    #[error("schema version {0} is newer than this build understands ({SCHEMA_VERSION})")]
    FutureVersion(u32),
    #[error("the envelope's tenant does not match the stream's")]
    WrongTenant,
    #[error("the envelope's event id is not a UUID")]
    BadEventId,
}

/// Decodes an envelope and brings it to the current schema version.
pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let env = Envelope::decode(bytes).map_err(|e| DecodeError::NotAnEnvelope(e.to_string()))?;
    if env.payload.is_none() {
        return Err(DecodeError::NoPayload);
    }
    if Uuid::parse_str(&env.event_id).is_err() {
        return Err(DecodeError::BadEventId);
    }
    upgrade(env)
}

/// The one place old payload versions are upgraded. Version 0 is an envelope written before the
/// field existed (proto3 default); it has the same shape as version 1.
pub fn upgrade(mut env: Envelope) -> Result<Envelope, DecodeError> {
    match env.schema_version {
        0 => {
            env.schema_version = 1;
            Ok(env)
        }
        SCHEMA_VERSION => Ok(env),
        v => Err(DecodeError::FutureVersion(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SequentialIds, SteppingClock};
    use rcm_proto::events::ClaimAccepted;
    use std::sync::Arc;

    fn det() -> Determinism {
        Determinism {
            clock: Arc::new(SteppingClock::new(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap())),
            ids: Arc::new(SequentialIds::new(7)),
        }
    }

    #[test]
    fn envelope_and_headers_are_built_together() {
        let origin = Origin { tenant: "acme".into(), claim_id: "c1".into(), ..Origin::default() };
        let payload =
            Payload::ClaimAccepted(ClaimAccepted { payer_claim_control_number: "X".into(), ack_file: "f".into() });
        let env = new_envelope(&det(), "submission", &origin, payload);
        assert_eq!(env.event_type, "submission.claim_accepted");
        assert_eq!(env.correlation_id, env.event_id, "a chain's first event correlates to itself");
        let out = encode(&Subjects::new(Some("t1")).unwrap(), &env, Some("00-abc-def-01".into())).unwrap();
        assert_eq!(out.subject, "t1.rcm.evt.acme.submission.claim_accepted");
        let h = |k: &str| out.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(h(HEADER_MSG_ID), Some(env.event_id.as_str()));
        assert_eq!(h(HEADER_TENANT), Some("acme"));
        assert_eq!(h(HEADER_EVENT_TYPE), Some("submission.claim_accepted"));
        assert_eq!(h(HEADER_SCHEMA_VERSION), Some("1"));
        assert_eq!(decode(&out.payload).unwrap(), env);

        let next = new_envelope(&det(), "remittance", &Origin::caused_by(&env), env.payload.clone().unwrap());
        assert_eq!(next.correlation_id, env.correlation_id);
        assert_eq!(next.causation_id, env.event_id);
    }

    #[test]
    fn garbage_and_future_versions_are_refused() {
        assert!(matches!(decode(b"\xff\xff\xff"), Err(DecodeError::NotAnEnvelope(_))));
        assert_eq!(decode(&Envelope::default().encode_to_vec()), Err(DecodeError::NoPayload));
        let origin = Origin { tenant: "acme".into(), ..Origin::default() };
        let mut env = new_envelope(&det(), "x", &origin, Payload::DenialQueued(Default::default()));
        env.schema_version = 9;
        assert_eq!(decode(&env.encode_to_vec()), Err(DecodeError::FutureVersion(9)));
    }
}
