//! The whole pipeline for two tenants with the payer simulator, against the real NATS and Postgres.

mod common;

use common::*;
use rcm::sandbox::Sandbox;
use rcm_proto::common::ClaimRef;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tenants_end_to_end() {
    let config = Sandbox::config(&["north", "south"]);
    let sandbox = Sandbox::start(config, &rcm::services::SERVICES, true).await.unwrap();
    let mut c = client(sandbox.endpoint()).await;

    // Given encounters for two tenants
    let north = submit(&mut c, "north", 25, 1).await;
    let south = submit(&mut c, "south", 15, 2).await;

    // Then every claim reaches a final state, money adds up, and the tenants stay apart.
    for (tenant, ids) in [("north", &north), ("south", &south)] {
        let s = wait_final(&mut c, tenant, ids.len() as i64, Duration::from_secs(180)).await;
        assert_eq!(s.total_claims, ids.len() as i64, "{tenant}: one claim per encounter");
        let paid: i64 =
            s.states.iter().filter(|c| matches!(c.state.as_str(), "paid" | "partially_paid")).map(|c| c.claims).sum();
        assert!(paid > 0, "{tenant}: some claims paid: {:?}", s.states);
        assert!(s.paid_cents > 0 && s.paid_cents + s.patient_responsibility_cents <= s.billed_cents, "{tenant}: {s:?}");
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
    // A paid claim's history runs from received to paid through every step.
    let history = c
        .get_claim_history(ClaimRef { tenant_id: "north".into(), claim_id: north[0].clone() })
        .await
        .unwrap()
        .into_inner();
    let states: Vec<_> = history.entries.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states.first(), Some(&"created"), "{states:?}");
    assert!(rcm::demo::is_final_state(&history.state), "{}", history.state);
    // Tenant south cannot see tenant north's claim.
    let other = c.get_claim_history(ClaimRef { tenant_id: "south".into(), claim_id: north[0].clone() }).await;
    assert_eq!(other.unwrap_err().code(), tonic::Code::NotFound);

    // Every 837 passes pyx12 and no claim was submitted twice.
    for t in ["north", "south"] {
        let outbound = sandbox.data_dir().join(t).join("outbound");
        let files = files(&outbound, "837");
        assert!(!files.is_empty(), "{t}: 837 files written");
        pyx12(&files);
        let pcns = submitted_claims(&outbound);
        let unique: HashSet<_> = pcns.iter().collect();
        assert_eq!(unique.len(), pcns.len(), "{t}: a claim appears twice in the 837s");
    }
    sandbox.cleanup().await.unwrap();
}
