//! Shared by the pipeline tests.
#![allow(dead_code)]

use rcm_proto::intake::intake_service_client::IntakeServiceClient;
use rcm_proto::intake::{ClaimSummary, SubmitEncounterRequest, SummarizeClaimsRequest};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub async fn client(endpoint: String) -> IntakeServiceClient<tonic::transport::Channel> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match IntakeServiceClient::connect(endpoint.clone()).await {
            Ok(c) => return c,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("intake at {endpoint}: {e}"),
        }
    }
}

pub async fn submit(
    c: &mut IntakeServiceClient<tonic::transport::Channel>,
    tenant: &str,
    n: usize,
    seed: u64,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let enc = rcm::demo::encounters::encounter(tenant, "t", seed, i);
        let r = c
            .submit_encounter(SubmitEncounterRequest { tenant_id: tenant.into(), encounter: Some(enc) })
            .await
            .expect("intake takes the encounter");
        ids.push(r.into_inner().claim_id);
    }
    ids
}

pub fn final_count(s: &ClaimSummary) -> i64 {
    s.states.iter().filter(|c| rcm::demo::is_final_state(&c.state)).map(|c| c.claims).sum()
}

/// Waits until `n` claims of the tenant are in a final state; returns the summary.
pub async fn wait_final(
    c: &mut IntakeServiceClient<tonic::transport::Channel>,
    tenant: &str,
    n: i64,
    timeout: Duration,
) -> ClaimSummary {
    let deadline = Instant::now() + timeout;
    loop {
        let s = c
            .summarize_claims(SummarizeClaimsRequest { tenant_id: tenant.into() })
            .await
            .expect("summary")
            .into_inner();
        if final_count(&s) >= n {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} claims of {tenant} reached a final state: {:?}",
            final_count(&s),
            s.states
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Runs the validator named by `X12VALIDATE` (set by `just test`) over `files`; asserts every one passes.
pub fn pyx12(files: &[PathBuf]) {
    let Some(v) = std::env::var_os("X12VALIDATE") else {
        eprintln!("X12VALIDATE is not set: pyx12 not run (just test sets it)");
        return;
    };
    if files.is_empty() {
        return;
    }
    let out = std::process::Command::new(v).arg("-q").args(files).output().expect("run the validator");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "pyx12 found errors:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
}

/// Every CLM01 of every 837 in `dir`, to check nothing was submitted twice.
pub fn submitted_claims(dir: &Path) -> Vec<String> {
    let mut pcns = Vec::new();
    for f in files(dir, "837") {
        let doc = rcm_x12::x837p::parse_837p(&std::fs::read(&f).unwrap()).unwrap();
        pcns.extend(doc.claims().map(|c| c.patient_control_number.to_string()));
    }
    pcns
}
