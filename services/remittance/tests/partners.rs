//! The 835s of a tenant's own trading partner: submission announces the partner
//! (`submission.trading_partner_set`), remittance keeps its own copy and takes the 835s from the
//! partner's inbound place, not from the default folder.

mod common;

use common::*;
use rcm_proto::events::TradingPartnerSet;
use rcm_proto::events::envelope::Payload;
use rcm_runtime::EventType;
use rcm_runtime::envelope::Origin;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn the_835s_come_from_the_partner_submission_announced() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let tasks = rcm_remittance::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap();

    // Given the tenant's partner set in submission, with its own folders
    let (out, inbound) = (h.data_dir.join("clearco/out"), h.data_dir.join("clearco/in"));
    std::fs::create_dir_all(&inbound).unwrap();
    let settings = serde_json::json!({
        "partner_id": "clearco",
        "transport": { "kind": "folder", "outbound_dir": out, "inbound_dir": inbound }
    });
    let set = Payload::TradingPartnerSet(TradingPartnerSet {
        partner_id: "clearco".into(),
        settings_json: settings.to_string(),
    });
    let origin = Origin { tenant: TENANT.into(), ..Origin::default() };
    let env = rcm_runtime::envelope::new_envelope(&h.platform.det, "submission", &origin, set);
    rcm_runtime::testing::publish(&h.platform.bus, &env, None).await;
    h.submit("c1", "PCN-1", &[("c1-L1", "99213", 10_000)]).await;
    let pool = rcm_runtime::db::connect(
        &h.config.database_url,
        &rcm_runtime::db::database_name(&h.config.database_prefix, "remittance"),
        1,
    )
    .await
    .unwrap();
    wait_for("the partner taken", || async { count(&pool, "SELECT count(*) FROM trading_partners").await == 1 }).await;
    pool.close().await;

    // When the partner's 835 arrives in its inbound folder (and nothing in the default one)
    let paid = Clp {
        pcn: "PCN-1",
        status: "1",
        charge: 10_000,
        paid: 8_000,
        pr: 0,
        icn: "ICN-1",
        cas: vec![],
        lines: vec![svc("99213", 10_000, 8_000, vec![("CO", "45", 2_000)])],
    };
    let text = era(1, "TRACE-1", &[paid], 0);
    std::fs::write(inbound.join("clearco-1.835"), &text).unwrap();
    // (and a file in the default folder, which must now be left alone)
    h.drop_file("default-1.835", text.as_bytes()).await;

    // Then the claim is paid from it, and the file is archived on the partner's side
    wait_for("the claim paid", || async { !h.events(EventType::ClaimPaid).await.is_empty() }).await;
    wait_for("the 835 archived", || async { inbound.join("processed").join("clearco-1.835").exists() }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(h.inbound().join("default-1.835").exists(), "the default folder is not read once the tenant has a partner");
    assert!(!h.inbound().join("processed").exists());

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    h.cleanup().await;
}
