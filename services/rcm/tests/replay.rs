//! Replay: a recorded stream of encounters, played into a fresh stream with the downstream services
//! running, gives the snapshot of output events. Re-record the fixture with
//! `cargo test -p rcm --test replay -- --ignored record_fixture` (then review and accept the snapshot).

mod common;

use common::*;
use rcm::sandbox::Sandbox;
use rcm_runtime::ids::{Determinism, SequentialIds, SteppingClock};
use rcm_runtime::replay;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/streams/acme-encounters.jsonl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "writes the recorded fixture; run by hand"]
async fn record_fixture() {
    let sandbox = Sandbox::start(Sandbox::config(&["acme"]), &["intake"], false).await.unwrap();
    let mut c = client(sandbox.endpoint()).await;
    submit(&mut c, "acme", 16, 2026).await;
    sandbox.wait_idle(Duration::from_secs(30)).await.unwrap();
    let records = replay::record(&sandbox.platform.bus, "acme").await.unwrap();
    let mut f = std::fs::File::create(fixture()).unwrap();
    replay::write_jsonl(&records, &mut f).unwrap();
    sandbox.cleanup().await.unwrap();
}

/// Claims with an event that ends their automatic trip, and, when submitted, the payer's
/// acknowledgement too (the 835 may be read before the 277CA: a claim can be paid before it is
/// accepted).
fn claims_done(lines: &[String]) -> usize {
    const FINAL: [&str; 6] = [
        "coding.review_required",
        "scrubbing.claim_rejected",
        "submission.claim_rejected_by_payer",
        "remittance.claim_paid",
        "remittance.claim_partially_paid",
        "denials.denial_queued",
    ];
    let with = |events: &[&str]| -> std::collections::HashSet<&str> {
        lines
            .iter()
            .filter(|l| events.iter().any(|t| l.starts_with(t)))
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect()
    };
    let submitted = with(&["submission.claim_submitted"]);
    let acknowledged = with(&["submission.claim_accepted", "submission.claim_rejected_by_payer"]);
    with(&FINAL).into_iter().filter(|c| !submitted.contains(c) || acknowledged.contains(c)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replay_of_recorded_encounters_gives_the_snapshot() {
    let records = replay::read_jsonl(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    let inputs = records.iter().filter(|r| r.subject.starts_with("evt.")).count();
    assert!(inputs > 0);
    let services = ["coding", "scrubbing", "submission", "remittance", "denials"];
    // The day is pinned, for the services (scrubbing's date edits) and for the payer simulator
    // (timely filing), so the recorded visits are judged the same way every year.
    let mut config = Sandbox::config(&["acme"]);
    config.services.insert("simulator".into(), serde_json::json!({ "today": "2026-11-26" }));
    let det = Determinism {
        clock: Arc::new(SteppingClock::new("2026-11-26T12:00:00Z".parse().unwrap())),
        ids: Arc::new(SequentialIds::new(26)),
    };
    let sandbox = Sandbox::start_with(config, det, &services, true).await.unwrap();
    replay::play(&sandbox.platform.bus, "acme", &records).await.unwrap();

    // Wait until every claim has a final event and the pipeline is idle.
    let deadline = Instant::now() + Duration::from_secs(120);
    let output = loop {
        sandbox.wait_idle(Duration::from_secs(60)).await.unwrap();
        let out = replay::record(&sandbox.platform.bus, "acme").await.unwrap();
        let lines = replay::normalized(&out);
        if claims_done(&lines) >= inputs || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    sandbox.cleanup().await.unwrap();
    insta::assert_snapshot!("replay_acme_encounters", output.join("\n"));
}
