//! SIGKILL `rcm serve` in the middle of a run and start it again: nothing is lost, nothing is
//! submitted twice, and the totals are those of a run that was never interrupted. And a crash
//! between an 837's upload and its record ends, after a restart, with the file sent once.

mod common;

use common::*;
use rcm::demo::{self, DemoOptions};
use rcm::sandbox::{self, Sandbox};
use rcm_runtime::config::Config;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn serve(config: &Config, log: &std::path::Path) -> Child {
    serve_with(config, log, &[])
}

fn serve_with(config: &Config, log: &std::path::Path, env: &[(&str, &str)]) -> Child {
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rcm"))
        .envs(env.iter().copied())
        .args(["serve", "--target", "all,simulator", "--tenants", &config.tenants.join(",")])
        .env("RCM_SUBJECT_PREFIX", &config.subject_prefix)
        .env("RCM_DATABASE_PREFIX", &config.database_prefix)
        .env("RCM_DATA_DIR", &config.data_dir)
        .env("RCM_GRPC_ADDR", &config.grpc_addr)
        .env("RCM_METRICS_ADDR", "")
        .env("RCM_OUTBOX__POLL_MS", "100")
        .env("RCM_CONSUMER__ACK_WAIT_MS", "3000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start rcm serve")
}

fn options(external: bool) -> DemoOptions {
    DemoOptions {
        encounters: 60,
        tenants: vec!["east".into()],
        seed: 77,
        external,
        show_progress: false,
        timeout: Duration::from_secs(240),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_run_loses_nothing_and_submits_nothing_twice() {
    // Interrupted: the services run in a child process that is killed while claims are in flight.
    let config = Sandbox::config(&["east"]);
    let log = config.data_dir.join("serve.log");
    let mut child = serve(&config, &log);
    let run = {
        let config = config.clone();
        tokio::spawn(async move { demo::run(config, &options(true)).await })
    };
    let mut c = client(format!("http://{}", config.grpc_addr)).await;
    let at_kill = loop {
        let s = c.summarize_claims(rcm_proto::intake::SummarizeClaimsRequest { tenant_id: "east".into() }).await;
        if let Ok(s) = s.map(|s| s.into_inner())
            && s.states.iter().any(|c| c.state == "batched" || c.state == "sent" || c.state == "paid")
        {
            break final_count(&s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().expect("SIGKILL rcm serve");
    child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut child = serve(&config, &log);
    let interrupted = run.await.unwrap().expect("the demo finishes after the restart");
    child.kill().ok();
    child.wait().ok();
    assert!(at_kill < 60, "the kill came after every claim was done ({at_kill}): not mid-run");
    assert_eq!(
        interrupted.lost,
        0,
        "claims lost: {interrupted:?}\nserve log: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let outbound = config.data_dir.join("east").join("outbound");
    let pcns = submitted_claims(&outbound);
    let unique: HashSet<_> = pcns.iter().collect();
    assert_eq!(unique.len(), pcns.len(), "a claim was submitted twice");
    pyx12(&files(&outbound, "837"));

    // Uninterrupted: the same encounters in a fresh sandbox, all in one process.
    let clean = Sandbox::config(&["east"]);
    let uninterrupted = demo::run(clean.clone(), &options(false)).await.unwrap();
    assert_eq!(uninterrupted.lost, 0);
    let (a, b) = (&interrupted.tenants[0], &uninterrupted.tenants[0]);
    assert_eq!(a.claims_by_state, b.claims_by_state);
    assert_eq!(
        (&a.billed, &a.paid, &a.adjusted, &a.patient_responsibility, a.denied),
        (&b.billed, &b.paid, &b.adjusted, &b.patient_responsibility, b.denied)
    );

    sandbox::remove(&config).await.unwrap();
    sandbox::remove(&clean).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_between_the_upload_and_its_record_sends_the_file_once() {
    use rcm_proto::submission::ListBatchesRequest;
    use rcm_proto::submission::submission_service_client::SubmissionServiceClient;
    const N: usize = 12;
    let config = Sandbox::config(&["north"]);
    let platform = rcm_runtime::Platform::connect(config.clone(), Default::default()).await.unwrap();
    platform.add_tenant("north", "north").await.unwrap();
    let log = config.data_dir.join("serve.log");

    // Given the services set to abort right after the first 837 reaches the clearinghouse's folder,
    // before the upload is recorded
    let mut child = serve_with(&config, &log, &[("RCM_SUBMISSION_FAILPOINT", "after_upload")]);
    let mut c = client(format!("http://{}", config.grpc_addr)).await;
    submit(&mut c, "north", N, 5).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the failpoint never fired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!status.success(), "rcm serve aborted at the failpoint");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains("failpoint: aborting"), "it stopped at the failpoint, not elsewhere:\n{logged}");
    let outbound = config.data_dir.join("north").join("outbound");
    let at_crash = files(&outbound, "837");
    assert!(!at_crash.is_empty(), "the file was uploaded before the crash");

    // When the services start again, without the failpoint
    let mut child = serve(&config, &log);
    let mut c = client(format!("http://{}", config.grpc_addr)).await;
    let summary = wait_final(&mut c, "north", N as i64, Duration::from_secs(120)).await;
    child.kill().ok();
    child.wait().ok();

    // Then every claim went out in exactly one 837, the files passed pyx12, and every batch is
    // recorded as sent, each claim's history saying so once
    assert_eq!(final_count(&summary), N as i64);
    let pcns = submitted_claims(&outbound);
    let unique: HashSet<_> = pcns.iter().collect();
    assert_eq!(unique.len(), pcns.len(), "a claim was sent twice: {pcns:?}");
    let sent = files(&outbound, "837");
    assert!(at_crash.iter().all(|f| sent.contains(f)), "the file from before the crash is the one sent");
    pyx12(&sent);
    let mut child = serve(&config, &log);
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", config.grpc_addr)).unwrap();
    let mut s = loop {
        if let Ok(ch) = channel.connect().await {
            break SubmissionServiceClient::new(ch);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let batches = s
        .list_batches(ListBatchesRequest { tenant_id: "north".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .batches;
    assert_eq!(batches.len(), sent.len(), "one batch per file: {batches:?}");
    assert!(batches.iter().all(|b| b.delivery == "sent"), "{batches:?}");
    let mut c = client(format!("http://{}", config.grpc_addr)).await;
    let claims = c
        .list_claims(rcm_proto::intake::ListClaimsRequest { tenant_id: "north".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .claims;
    assert_eq!(claims.len(), N);
    for claim in claims.iter().filter(|c| c.state != "needs_coding" && c.state != "rejected") {
        let full = c
            .get_claim(rcm_proto::common::ClaimRef { tenant_id: "north".into(), claim_id: claim.claim_id.clone() })
            .await
            .unwrap()
            .into_inner();
        let sent_entries = full.history.iter().filter(|h| h.event_type == "submission.claim_sent").count();
        assert_eq!(sent_entries, 1, "{:?}", full.history);
        assert!(full.history.iter().all(|h| h.transition != "refused"), "{:?}", full.history);
    }
    child.kill().ok();
    child.wait().ok();
    sandbox::remove(&config).await.unwrap();
}
