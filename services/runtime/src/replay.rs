//! Record a tenant's stream to a file and play it back, and a normalized view of a stream for
//! snapshot tests.
//!
//! A recording is JSON Lines, one message per line: `{"subject": "evt.acme.intake.encounter_received",
//! "headers": {...}, "payload": "<base64 protobuf Envelope>"}`. The subject is kept without the
//! deployment's prefix so a recording plays under any prefix (tests use a unique one).

use crate::bus::Bus;
use crate::envelope;
use crate::error::{Result, RuntimeError};
use crate::subjects::EventType;
use base64::Engine as _;
use futures::StreamExt;
use prost::Message as _;
use rcm_proto::events::Envelope;
use rcm_proto::events::envelope::Payload;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The subject below the root: `evt.<tenant>.<stage>.<event>` or `dlq.<tenant>.<service>`.
    pub subject: String,
    pub headers: BTreeMap<String, String>,
    /// The message body, base64.
    pub payload: String,
}

fn root(bus: &Bus) -> String {
    match bus.subjects().prefix() {
        Some(p) => format!("{p}.rcm."),
        None => "rcm.".to_string(),
    }
}

/// Every message now in the tenant's stream, in stream order.
pub async fn record(bus: &Bus, tenant: &str) -> Result<Vec<Record>> {
    let stream = bus.stream(tenant).await?;
    let mut info = stream.clone();
    let last = info.info().await.map_err(RuntimeError::nats)?.state.last_sequence;
    if last == 0 {
        return Ok(Vec::new());
    }
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .map_err(RuntimeError::nats)?;
    let mut messages = consumer.messages().await.map_err(RuntimeError::nats)?;
    let root = root(bus);
    let mut out = Vec::new();
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), messages.next()).await {
        let msg = msg.map_err(RuntimeError::nats)?;
        let seq = msg.info().map(|i| i.stream_sequence).unwrap_or(last);
        let subject = msg.subject.as_str().strip_prefix(&root).unwrap_or(msg.subject.as_str()).to_string();
        let headers = msg
            .headers
            .iter()
            .flat_map(|h| h.iter())
            .filter_map(|(k, v)| v.first().map(|v| (k.to_string(), v.to_string())))
            .collect();
        out.push(Record { subject, headers, payload: base64::engine::general_purpose::STANDARD.encode(&msg.payload) });
        if seq >= last {
            break;
        }
    }
    Ok(out)
}

pub fn write_jsonl(records: &[Record], out: &mut impl std::io::Write) -> std::io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut *out, r)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

pub fn read_jsonl(text: &str) -> Result<Vec<Record>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map_err(|e| RuntimeError::Event(format!("recording line {}: {e}", n + 1)))
        })
        .collect()
}

/// Publishes the recorded events (dead letters are left out) into `tenant`'s stream under this
/// bus's prefix. Envelopes recorded for another tenant are re-addressed to `tenant`.
pub async fn play(bus: &Bus, tenant: &str, records: &[Record]) -> Result<usize> {
    let mut n = 0;
    for r in records.iter().filter(|r| r.subject.starts_with("evt.")) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&r.payload)
            .map_err(|e| RuntimeError::Event(format!("recorded payload is not base64: {e}")))?;
        let mut env = envelope::decode(&bytes).map_err(|e| RuntimeError::Event(e.to_string()))?;
        env.tenant_id = tenant.to_string();
        let out = envelope::encode(bus.subjects(), &env, r.headers.get(envelope::HEADER_TRACEPARENT).cloned())
            .map_err(RuntimeError::Event)?;
        bus.publish(out.subject, &out.headers, out.payload).await?.await.map_err(RuntimeError::nats)?;
        n += 1;
    }
    Ok(n)
}

/// The events of a recording as comparable lines: event type, claim, and the payload with the
/// values that differ from run to run (batch and work-item ids, file names, control numbers,
/// traces) blanked. Envelope ids and times are left out. Sorted, so the order in which concurrent
/// services happened to publish does not matter.
pub fn normalized(records: &[Record]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .filter(|r| r.subject.starts_with("evt."))
        .filter_map(|r| base64::engine::general_purpose::STANDARD.decode(&r.payload).ok())
        .filter_map(|b| Envelope::decode(b.as_slice()).ok())
        .filter_map(|env| {
            let mut payload = env.payload?;
            blank_run_values(&mut payload);
            let t = EventType::of(&payload).name();
            Some(format!("{t} claim={} {payload:?}", env.claim_id))
        })
        .collect();
    lines.sort();
    lines
}

fn blank_run_values(p: &mut Payload) {
    match p {
        Payload::ClaimSubmitted(s) => {
            s.batch_id.clear();
            s.file_name.clear();
            s.interchange_control_number = 0;
            s.transaction_control_number.clear();
        }
        Payload::ClaimAccepted(a) => a.ack_file.clear(),
        Payload::ClaimRejectedByPayer(r) => r.ack_file.clear(),
        Payload::ClaimPaid(x) => blank_remittance(x.remittance.as_mut()),
        Payload::ClaimPartiallyPaid(x) => blank_remittance(x.remittance.as_mut()),
        Payload::ClaimDenied(x) => blank_remittance(x.remittance.as_mut()),
        Payload::DenialQueued(d) => d.work_item_id.clear(),
        Payload::CorrectionRequested(c) => c.work_item_id.clear(),
        Payload::ClaimSent(s) => {
            s.batch_id.clear();
            s.file_name.clear();
            s.interchange_control_number = 0;
            s.destination.clear();
        }
        Payload::AppealFiled(a) => a.work_item_id.clear(),
        Payload::ClaimClosed(c) => c.work_item_id.clear(),
        Payload::ClaimReversed(x) => {
            blank_remittance(x.remittance.as_mut());
            x.reversed_payment_trace.clear();
        }
        Payload::SecondaryClaimRequested(x) => {
            if let Some(p) = x.primary.as_mut() {
                p.adjudication_date.clear();
            }
        }
        _ => {}
    }
}

fn blank_remittance(r: Option<&mut rcm_proto::events::Remittance>) {
    if let Some(r) = r {
        r.era_file.clear();
        r.payment_trace.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_round_trip_as_json_lines() {
        let r = Record {
            subject: "evt.a.intake.encounter_received".into(),
            headers: BTreeMap::new(),
            payload: "AA==".into(),
        };
        let mut buf = Vec::new();
        write_jsonl(&[r.clone(), r.clone()], &mut buf).unwrap();
        assert_eq!(read_jsonl(std::str::from_utf8(&buf).unwrap()).unwrap(), vec![r.clone(), r]);
        assert!(read_jsonl("{not json").is_err());
    }
}
