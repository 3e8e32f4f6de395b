//! Remittance and denials together on the real NATS and Postgres: a synthetic 835 from the X12
//! library's generator (written with `write_835`) answers submitted claims; every claim gets the
//! event the rule gives it, and every denied or partially paid one becomes one work item in the
//! denials queue, highest priority first.

mod common;

use common::{Harness, TENANT, count, wait_for};
use rcm_proto::events::envelope::Payload;
use rcm_remittance::decide::{self, Outcome};
use rcm_remittance::era;
use rcm_runtime::{EventType, db};
use rcm_x12::x835;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_generated_835_flows_from_remittance_into_the_denials_queue() {
    let h = Harness::new().await;
    let shutdown = CancellationToken::new();
    let mut routes = tonic::service::RoutesBuilder::default();
    let mut tasks = rcm_remittance::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap();
    tasks.extend(rcm_denials::start(&h.platform, &mut routes, shutdown.clone()).await.unwrap());
    let rem = db::connect(&h.config.database_url, &db::database_name(&h.config.database_prefix, "remittance"), 2)
        .await
        .unwrap();
    let den =
        db::connect(&h.config.database_url, &db::database_name(&h.config.database_prefix, "denials"), 2).await.unwrap();

    // Given a generated remittance of 40 claims (paid, partially paid, denied, reversed), each claim
    // submitted first with the lines the payer answers.
    let remittance = x835::generate::sample_remittance(40, 11);
    let claims: Vec<&x835::Claim> = remittance.claims().collect();
    let mut expected: BTreeMap<String, Outcome> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        let claim_id = format!("g{i:02}");
        let lines: Vec<(String, String, i64)> = c
            .lines
            .iter()
            .enumerate()
            .map(|(j, l)| {
                let id = l.control_number.as_ref().map(|s| s.to_string()).unwrap_or_else(|| format!("{claim_id}-{j}"));
                (id, l.procedure.code.to_string(), l.charge)
            })
            .collect();
        let lines: Vec<(&str, &str, i64)> = lines.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), *c)).collect();
        h.submit(&claim_id, &c.patient_control_number, &lines).await;
        expected.insert(claim_id, decide::adjudicate(&era::claim_remit(c)));
    }
    let n = claims.len() as i64;
    wait_for("every claim expected", || async { count(&rem, "SELECT count(*) FROM expected_claims").await == n }).await;

    // When the payer's 835 arrives
    let (isa, gs) = x835::generate::sample_headers(11);
    let text = x835::write_835(&isa, &gs, std::slice::from_ref(&remittance)).unwrap();
    h.drop_file("synthetic.835", text.as_bytes()).await;
    let processed = h.inbound().join("processed").join("synthetic.835");
    wait_for("the 835 posted", || async { processed.exists() }).await;

    // Then each claim has the event the rule gives it, and the denials service queued the denials.
    let want = |o: Outcome| expected.values().filter(|x| **x == o).count();
    let (paid, partial, denied) = (want(Outcome::Paid), want(Outcome::PartiallyPaid), want(Outcome::Denied));
    assert!(paid > 0 && denied > 0 && want(Outcome::Reversal) > 0, "the sample has every kind: {expected:?}");
    wait_for("every denial queued", || async {
        count(&den, "SELECT count(*) FROM work_items").await == (partial + denied) as i64
            && count(&den, "SELECT count(*) FROM adjudications").await == (paid + partial + denied) as i64
    })
    .await;
    wait_for("the outboxes to drain", || async {
        rcm_runtime::outbox::pending(&rem).await.unwrap() == 0 && rcm_runtime::outbox::pending(&den).await.unwrap() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut got: BTreeMap<String, Outcome> = BTreeMap::new();
    for (t, o) in [
        (EventType::ClaimPaid, Outcome::Paid),
        (EventType::ClaimPartiallyPaid, Outcome::PartiallyPaid),
        (EventType::ClaimDenied, Outcome::Denied),
    ] {
        for e in h.events(t).await {
            assert!(got.insert(e.claim_id.clone(), o).is_none(), "one event per claim: {}", e.claim_id);
        }
    }
    let without_reversals: BTreeMap<String, Outcome> =
        expected.iter().filter(|(_, o)| **o != Outcome::Reversal).map(|(k, v)| (k.clone(), *v)).collect();
    assert_eq!(got, without_reversals);

    let queued = h.events(EventType::DenialQueued).await;
    assert_eq!(queued.len(), partial + denied);
    for q in &queued {
        let Some(Payload::DenialQueued(d)) = &q.payload else { panic!("not a DenialQueued") };
        assert!(rcm_denials::decide::Category::parse(&d.category).is_some(), "{}", d.category);
        assert!(matches!(got.get(&q.claim_id), Some(Outcome::Denied | Outcome::PartiallyPaid)), "{}", q.claim_id);
        assert_eq!(q.correlation_id, format!("corr-{}", q.claim_id), "the claim's chain goes on");
    }
    let queue = rcm_denials::store::list_items(&den, TENANT, &Default::default()).await.unwrap();
    assert_eq!(queue.len(), partial + denied, "one open work item per denied or partially paid claim");
    let input = rcm_denials::store::report_input(&den, TENANT, None).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let report = rcm_denials::reports::build(&input, Default::default(), today);
    assert_eq!(report.denial_rate.denominator as usize, paid + partial + denied);
    assert_eq!(report.denial_rate.numerator as usize, denied);

    shutdown.cancel();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    rem.close().await;
    den.close().await;
    h.cleanup().await;
}
