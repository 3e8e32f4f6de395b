//! Helpers for tests that run against the real NATS and Postgres: a configuration of its own
//! (unique subject and database prefixes, a fresh data folder), publishing envelopes, reading a
//! stream's events, waiting, and removing what the test made. They panic on failure, as a test
//! wants.

use crate::bus::Bus;
use crate::config::Config;
use crate::envelope;
use crate::subjects::{EventType, Subjects};
use futures::StreamExt;
use prost::Message as _;
use rcm_proto::events::Envelope;
use std::time::{Duration, Instant};

/// A short unique id for prefixes (`s` + 10 hex digits).
pub fn unique_id() -> String {
    let u = uuid::Uuid::now_v7().simple().to_string();
    format!("s{}", &u[u.len() - 10..])
}

/// A configuration of its own: unique prefixes, a fresh data folder, quick retries and polling.
pub fn unique_config(tenants: &[&str]) -> Config {
    let id = unique_id();
    let mut config = Config {
        subject_prefix: id.clone(),
        database_prefix: format!("{id}_"),
        data_dir: std::env::temp_dir().join(format!("rcm-{id}")),
        grpc_addr: free_addr().to_string(),
        metrics_addr: String::new(),
        tenants: tenants.iter().map(|s| s.to_string()).collect(),
        database_max_connections: 4,
        ..Config::default()
    };
    config.consumer.backoff_ms = vec![100, 300];
    config.consumer.ack_wait_ms = 5_000;
    config.outbox.poll_ms = 100;
    config
}

/// A free TCP port on loopback.
pub fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("local addr")
}

/// Publishes an envelope as the outbox would; `msg_id` replaces its `Nats-Msg-Id` (to deliver the
/// same event again past de-duplication, as after a crash between effect and ack).
pub async fn publish(bus: &Bus, env: &Envelope, msg_id: Option<&str>) {
    let mut out = envelope::encode(bus.subjects(), env, None).expect("encodable envelope");
    if let Some(id) = msg_id {
        for (k, v) in &mut out.headers {
            if k == envelope::HEADER_MSG_ID {
                *v = id.to_string();
            }
        }
    }
    bus.publish(out.subject, &out.headers, out.payload).await.expect("publish").await.expect("stream ack");
}

/// Every event of one type now in the tenant's stream, in stream order.
pub async fn events(bus: &Bus, tenant: &str, t: EventType) -> Vec<Envelope> {
    let stream = bus.stream(tenant).await.expect("the tenant's stream");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            filter_subject: bus.subjects().event(tenant, t),
            ..Default::default()
        })
        .await
        .expect("an ephemeral consumer");
    let msgs: Vec<_> = consumer
        .fetch()
        .max_messages(1_000)
        .expires(Duration::from_millis(500))
        .messages()
        .await
        .expect("fetch")
        .collect()
        .await;
    msgs.into_iter().map(|m| Envelope::decode(m.expect("message").payload.as_ref()).expect("an envelope")).collect()
}

/// Waits until `n` events of a type are in the stream (30 s at most), and returns them.
pub async fn wait_events(bus: &Bus, tenant: &str, t: EventType, n: usize) -> Vec<Envelope> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = events(bus, tenant, t).await;
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {n} {} event(s); {} so far", t.name(), got.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `f` until it holds (30 s at most).
pub async fn wait_for<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One number from a query (`SELECT count(*) ...`).
pub async fn count(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("the count query")
}

/// Removes what a test configuration made: the streams of `tenants`, its databases, its data folder.
pub async fn remove(config: &Config, tenants: &[&str]) {
    let subjects = Subjects::new(Some(config.subject_prefix.as_str())).expect("the test prefix");
    let bus = Bus::connect(&config.nats_url, subjects).await.expect("NATS");
    for t in tenants {
        bus.delete_stream(t).await.expect("delete the test stream");
    }
    for name in crate::db::list_databases(&config.database_url, &config.database_prefix).await.expect("list databases")
    {
        crate::db::drop_database(&config.database_url, &name).await.expect("drop a test database");
    }
    // Only a folder the test made under the temporary directory, never a working tree's `var`.
    if config.data_dir.starts_with(std::env::temp_dir()) && config.data_dir.exists() {
        std::fs::remove_dir_all(&config.data_dir).ok();
    }
}
