//! SIGKILL `rcm serve` in the middle of a run and start it again: nothing is lost, nothing is
//! submitted twice, and the totals are those of a run that was never interrupted.

mod common;

use common::*;
use rcm::demo::{self, DemoOptions};
use rcm::sandbox::{self, Sandbox};
use rcm_runtime::config::Config;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn serve(config: &Config, log: &std::path::Path) -> Child {
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rcm"))
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
