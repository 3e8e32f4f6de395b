//! The runtime against the real NATS (JetStream) and Postgres: a redelivered event has no second
//! effect, a poison event is dead-lettered with its reason while the others go on, a worker for
//! tenant A never touches tenant B's events, and emitted events reach the stream.

use futures::StreamExt;
use rcm_proto::events::{ClaimAccepted, DenialQueued, envelope::Payload};
use rcm_runtime::config::Config;
use rcm_runtime::envelope::{self, Origin};
use rcm_runtime::ids::Determinism;
use rcm_runtime::testing::{self, wait_for};
use rcm_runtime::{Ctx, EventType, HandlerError, Platform, Router, ServiceHost, handler};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./tests/migrations");

#[derive(Default)]
struct State {
    flaky_failures: AtomicUsize,
}

async fn on_accepted(ctx: &mut Ctx, state: &State) -> Result<(), HandlerError> {
    let claim = ctx.claim_id().to_string();
    if claim == "poison" {
        return Err(HandlerError::permanent("claim 'poison' cannot be handled"));
    }
    if claim == "flaky" && state.flaky_failures.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(HandlerError::transient("try again"));
    }
    let tenant = ctx.tenant().to_string();
    sqlx::query("INSERT INTO effects (tenant_id, claim_id) VALUES ($1, $2)")
        .bind(tenant)
        .bind(&claim)
        .execute(ctx.db())
        .await?;
    ctx.emit(Payload::DenialQueued(DenialQueued {
        work_item_id: format!("w-{claim}"),
        category: "test".into(),
        priority: 1,
    }));
    Ok(())
}

struct Harness {
    config: Config,
    platform: Platform,
}

impl Harness {
    async fn new(tenants_served: &[&str]) -> Harness {
        let mut config = testing::unique_config(tenants_served);
        config.consumer.backoff_ms = vec![50];
        config.consumer.max_deliver = 4;
        let platform = Platform::connect(config.clone(), Determinism::default())
            .await
            .expect("NATS and Postgres are running (just up)");
        platform.add_tenant("alpha", "Alpha").await.unwrap();
        platform.add_tenant("beta", "Beta").await.unwrap();
        Harness { config, platform }
    }

    async fn publish(&self, tenant: &str, claim: &str, msg_id_override: Option<&str>) -> rcm_proto::events::Envelope {
        let origin = Origin { tenant: tenant.into(), claim_id: claim.into(), ..Origin::default() };
        let env = envelope::new_envelope(
            &self.platform.det,
            "test",
            &origin,
            Payload::ClaimAccepted(ClaimAccepted::default()),
        );
        self.publish_envelope(&env, msg_id_override).await;
        env
    }

    async fn publish_envelope(&self, env: &rcm_proto::events::Envelope, msg_id_override: Option<&str>) {
        testing::publish(&self.platform.bus, env, msg_id_override).await
    }

    async fn cleanup(self) {
        testing::remove(&self.config, &["alpha", "beta"]).await;
    }
}

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn effects_once_dead_letters_and_tenant_isolation() {
    let h = Harness::new(&["alpha"]).await;
    let host = ServiceHost::open(&h.platform, "testsvc", &MIGRATOR).await.unwrap();
    let shutdown = CancellationToken::new();
    let router = Router::new("testsvc").on(EventType::ClaimAccepted, handler!(on_accepted));
    let workers = host.spawn_workers(router, Arc::new(State::default()), shutdown.clone());
    let relay = host.spawn_relay(shutdown.clone());

    // Given: a normal event, the same event delivered again under another message id (as after a
    // crash between effect and ack), a poison event, a flaky one, and an event for the other tenant.
    let first = h.publish("alpha", "c1", None).await;
    h.publish_envelope(&first, Some("another-msg-id")).await;
    h.publish("alpha", "poison", None).await;
    h.publish("alpha", "flaky", None).await;
    h.publish("alpha", "c2", None).await;
    h.publish("beta", "b1", None).await;

    let pool = host.pool.clone();
    wait_for("effects of c1, c2 and flaky", || async { count(&pool, "SELECT count(*) FROM effects").await >= 3 }).await;
    wait_for("the poison event's dead letter", || async {
        count(&pool, "SELECT count(*) FROM dead_letters").await == 1
    })
    .await;
    wait_for("the outbox to drain", || async { rcm_runtime::outbox::pending(&pool).await.unwrap() == 0 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Then: one effect per event, none for the poison event, none for tenant beta.
    let per_claim: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT tenant_id, claim_id, count(*) FROM effects GROUP BY 1, 2 ORDER BY 2")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        per_claim,
        vec![("alpha".into(), "c1".into(), 1), ("alpha".into(), "c2".into(), 1), ("alpha".into(), "flaky".into(), 1)]
    );
    let (reason, deliveries): (String, i64) =
        sqlx::query_as("SELECT reason, deliveries FROM dead_letters").fetch_one(&pool).await.unwrap();
    assert!(reason.contains("cannot be handled"), "{reason}");
    assert_eq!(deliveries, 1, "a permanent error is dead-lettered at once");

    // The dead letter is on the DLQ subject with its reason, and each effect's event reached the stream.
    let js = h.platform.bus.jetstream();
    let stream = h.platform.bus.stream("alpha").await.unwrap();
    let dlq = stream
        .get_last_raw_message_by_subject(&h.platform.bus.subjects().dead_letter("alpha", "testsvc"))
        .await
        .expect("a dead letter on the DLQ subject");
    let reason_header = dlq.headers.get(envelope::HEADER_DLQ_REASON).map(|v| v.to_string()).unwrap_or_default();
    assert!(reason_header.contains("cannot be handled"), "{reason_header}");
    let info = stream.clone();
    let queued_subject = h.platform.bus.subjects().event("alpha", EventType::DenialQueued);
    let consumer = info
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: queued_subject,
            ..Default::default()
        })
        .await
        .unwrap();
    let msgs: Vec<_> =
        consumer.fetch().max_messages(10).expires(Duration::from_secs(1)).messages().await.unwrap().collect().await;
    assert_eq!(msgs.len(), 3, "one DenialQueued per handled event");
    let _ = js;

    shutdown.cancel();
    workers.await.unwrap().unwrap();
    relay.await.unwrap().unwrap();
    h.cleanup().await;
}
