//! `rcm report`: the denials service's reports and work queue, as a table or JSON (also used by the
//! demo's summary). Definitions: `services/denials/README.md`.

use anyhow::{Context, Result};
use rcm_proto::denials::denials_service_client::DenialsServiceClient;
use rcm_proto::denials::{GetReportsRequest, ListWorkQueueRequest, Ratio, Reports, WorkItem};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

/// Asks a running `rcm serve` (its denials service at `addr`, host:port) for a tenant's reports and
/// the top `top` items of its work queue.
pub async fn fetch(addr: &str, req: GetReportsRequest, top: u32) -> Result<(Reports, Vec<WorkItem>)> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    let channel = endpoint.connect().await.with_context(|| format!("connecting to rcm serve at {addr}"))?;
    let mut client = DenialsServiceClient::new(channel);
    let tenant = req.tenant_id.clone();
    let payer = req.payer_id.clone();
    let reports = client.get_reports(req).await.map_err(|s| anyhow::anyhow!("GetReports: {}", s.message()))?;
    let queue = if top == 0 {
        vec![]
    } else {
        let r = ListWorkQueueRequest { tenant_id: tenant, limit: top, payer_id: payer, ..Default::default() };
        client
            .list_work_queue(r)
            .await
            .map_err(|s| anyhow::anyhow!("ListWorkQueue: {}", s.message()))?
            .into_inner()
            .items
    };
    Ok((reports.into_inner(), queue))
}

fn money(cents: i64) -> String {
    rcm_x12::value::cents_to_string(cents)
}

fn pct(r: &Option<Ratio>) -> String {
    match r {
        Some(r) if r.denominator > 0 => format!("{:5.1} %  ({} / {})", r.rate * 100.0, r.numerator, r.denominator),
        _ => "    n/a  (nothing to measure)".to_string(),
    }
}

fn pct_money(r: &Option<Ratio>) -> String {
    match r {
        Some(r) if r.denominator > 0 => {
            format!("{:5.1} %  ({} / {})", r.rate * 100.0, money(r.numerator), money(r.denominator))
        }
        _ => "    n/a  (nothing to measure)".to_string(),
    }
}

fn ratio_json(r: &Option<Ratio>) -> Value {
    match r {
        Some(r) => json!({ "numerator": r.numerator, "denominator": r.denominator, "rate": r.rate }),
        None => Value::Null,
    }
}

/// The reports and queue as one JSON object (money as decimal strings).
pub fn to_json(r: &Reports, queue: &[WorkItem]) -> Value {
    let rows = |v: &[rcm_proto::denials::DenialRateRow]| -> Value {
        v.iter()
            .map(|x| {
                json!({ "key": x.key, "denied_claims": x.denied_claims, "adjudicated_claims": x.adjudicated_claims,
                        "rate": x.rate, "denied": money(x.denied_cents) })
            })
            .collect()
    };
    let buckets = |v: &[rcm_proto::denials::AgingBucket]| -> Value {
        v.iter().map(|b| json!({ "bucket": b.bucket, "claims": b.claims, "amount": money(b.cents) })).collect()
    };
    let counts = |v: &[rcm_proto::denials::QueueCount]| -> Value {
        v.iter()
            .map(|q| {
                json!({ "key": q.key, "items": q.items, "denied": money(q.denied_cents),
                        "expected_recovery": money(q.expected_recovery_cents) })
            })
            .collect()
    };
    json!({
        "tenant": r.tenant_id, "from": r.from, "to": r.to, "payer": r.payer_id,
        "denial_rate": ratio_json(&r.denial_rate),
        "denial_rate_by_payer": rows(&r.denial_rate_by_payer),
        "denial_rate_by_category": rows(&r.denial_rate_by_category),
        "denial_rate_by_carc": rows(&r.denial_rate_by_carc),
        "first_pass_resolution": ratio_json(&r.first_pass_resolution),
        "clean_claim_rate": ratio_json(&r.clean_claim_rate),
        "days_in_ar": r.days_in_ar,
        "paid_claims": r.paid_claims,
        "paid_aging": buckets(&r.paid_aging),
        "open_ar_aging": buckets(&r.open_ar_aging),
        "net_collection_rate": ratio_json(&r.net_collection_rate),
        "charges": money(r.charges_cents),
        "contractual": money(r.contractual_cents),
        "payments": money(r.payments_cents),
        "queue_by_status": counts(&r.queue_by_status),
        "queue_by_category": counts(&r.queue_by_category),
        "queue_by_action": counts(&r.queue_by_action),
        "top_of_queue": queue.iter().map(|w| json!({
            "work_item_id": w.work_item_id, "claim_id": w.claim_id, "priority": w.priority,
            "category": w.category, "action": w.recommended_action, "denied": money(w.denied_cents),
            "expected_recovery": money(w.expected_recovery_cents), "appeal_deadline": w.appeal_deadline,
            "days_to_deadline": w.days_to_deadline, "payer": w.payer_id, "reasons": w.reason_codes,
            "flags": w.code_flags, "status": w.status, "assignee": w.assignee,
        })).collect::<Vec<_>>(),
    })
}

/// The reports and queue as people read them; `indent` goes before every line.
pub fn to_table(r: &Reports, queue: &[WorkItem], indent: &str) -> String {
    let mut s = String::new();
    let range = match (r.from.as_str(), r.to.as_str()) {
        ("", "") => "all dates".to_string(),
        (f, t) => format!("{} .. {}", if f.is_empty() { "start" } else { f }, if t.is_empty() { "today" } else { t }),
    };
    let payer = if r.payer_id.is_empty() { "every payer".to_string() } else { format!("payer {}", r.payer_id) };
    let _ = writeln!(s, "{indent}reports: {range}, {payer}");
    let _ = writeln!(s, "{indent}  denial rate            {}", pct(&r.denial_rate));
    let _ = writeln!(s, "{indent}  first-pass resolution  {}", pct(&r.first_pass_resolution));
    let _ = writeln!(s, "{indent}  clean-claim rate       {}", pct(&r.clean_claim_rate));
    let _ = writeln!(s, "{indent}  net collection rate    {}", pct_money(&r.net_collection_rate));
    let _ = writeln!(
        s,
        "{indent}    payments / (charges {} - contractual {})",
        money(r.charges_cents),
        money(r.contractual_cents)
    );
    let _ = writeln!(
        s,
        "{indent}  days in A/R            {:5.1}  (mean days from service to payment, {} paid claims)",
        r.days_in_ar, r.paid_claims
    );
    let _ = writeln!(
        s,
        "{indent}  aging (days)       {:>10} {:>10} {:>10} {:>10} {:>10}",
        "0-30", "31-60", "61-90", "91-120", "120+"
    );
    let line = |label: &str, v: &[rcm_proto::denials::AgingBucket], cents: bool| -> String {
        let cells: Vec<String> =
            v.iter().map(|b| format!("{:>10}", if cents { money(b.cents) } else { b.claims.to_string() })).collect();
        format!("{indent}    {label:<16}{}", cells.join(" "))
    };
    let _ = writeln!(s, "{}", line("paid claims", &r.paid_aging, false));
    let _ = writeln!(s, "{}", line("open claims", &r.open_ar_aging, false));
    let _ = writeln!(s, "{}", line("open balance", &r.open_ar_aging, true));
    let table = |s: &mut String, title: &str, rows: &[rcm_proto::denials::DenialRateRow], max: usize| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(s, "{indent}  denial rate by {title:<14} {:>7} {:>11} {:>12}", "rate", "claims", "denied");
        for x in rows.iter().take(max) {
            let _ = writeln!(
                s,
                "{indent}    {:<26} {:>5.1} % {:>5} / {:<5} {:>11}",
                x.key,
                x.rate * 100.0,
                x.denied_claims,
                x.adjudicated_claims,
                money(x.denied_cents)
            );
        }
    };
    table(&mut s, "payer", &r.denial_rate_by_payer, usize::MAX);
    table(&mut s, "category", &r.denial_rate_by_category, usize::MAX);
    table(&mut s, "CARC", &r.denial_rate_by_carc, 10);
    let statuses: Vec<String> = r.queue_by_status.iter().map(|q| format!("{} {}", q.key, q.items)).collect();
    let _ =
        writeln!(s, "{indent}work queue: {}", if statuses.is_empty() { "empty".into() } else { statuses.join(", ") });
    for q in &r.queue_by_category {
        let _ = writeln!(
            s,
            "{indent}  {:<22} {:>4} items  denied {:>11}  expected recovery {:>11}",
            q.key,
            q.items,
            money(q.denied_cents),
            money(q.expected_recovery_cents)
        );
    }
    if !queue.is_empty() {
        let _ = writeln!(
            s,
            "{indent}  {:>8}  {:<36}  {:<19} {:<21} {:>10}  {:<10} {:>5}  reasons",
            "priority", "claim", "category", "action", "denied", "deadline", "days"
        );
        for w in queue {
            let flags = if w.code_flags.is_empty() { String::new() } else { format!("  [{}]", w.code_flags.join(" ")) };
            let _ = writeln!(
                s,
                "{indent}  {:>8}  {:<36}  {:<19} {:<21} {:>10}  {:<10} {:>5}  {}{flags}",
                w.priority,
                w.claim_id,
                w.category,
                w.recommended_action,
                money(w.denied_cents),
                w.appeal_deadline,
                w.days_to_deadline,
                w.reason_codes.join(" ")
            );
        }
    }
    s
}
