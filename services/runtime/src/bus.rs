//! NATS JetStream: connection, per-tenant streams and durable pull consumers.
//!
//! The server we run on (2.9) ignores the plural `filter_subjects`, so every consumer has exactly
//! one `filter_subject`, and its configuration is read back after creation to make sure.

use crate::error::{Result, RuntimeError};
use crate::subjects::Subjects;
use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer::PullConsumer, context::PublishAckFuture, stream};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a tenant's stream keeps its history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSettings {
    /// How long events are kept (for replay), in days.
    pub max_age_days: u64,
    /// Replicas in a clustered server (1 for a single server).
    pub replicas: usize,
    /// The de-duplication window for `Nats-Msg-Id`, in seconds.
    pub duplicate_window_secs: u64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings { max_age_days: 30, replicas: 1, duplicate_window_secs: 120 }
    }
}

/// How a durable consumer redelivers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerSettings {
    /// How long a delivered message may go unacknowledged before it is redelivered.
    pub ack_wait_ms: u64,
    /// Deliveries before a failing message is dead-lettered.
    pub max_deliver: i64,
    /// Delays between redeliveries after a failure, in milliseconds.
    pub backoff_ms: Vec<u64>,
    /// Messages fetched per pull.
    pub batch: usize,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        ConsumerSettings { ack_wait_ms: 30_000, max_deliver: 5, backoff_ms: vec![200, 1_000, 5_000, 15_000], batch: 64 }
    }
}

impl ConsumerSettings {
    /// The delay before delivery number `delivered + 1`.
    pub fn backoff(&self, delivered: i64) -> Duration {
        let i = (delivered.max(1) - 1) as usize;
        let ms = self.backoff_ms.get(i).or(self.backoff_ms.last()).copied().unwrap_or(1_000);
        Duration::from_millis(ms)
    }
}

#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    subjects: Subjects,
}

impl Bus {
    pub async fn connect(url: &str, subjects: Subjects) -> Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name("rcm")
            .connect(url)
            .await
            .map_err(|e| RuntimeError::Nats(format!("cannot connect to {url}: {e}")))?;
        let js = jetstream::new(client.clone());
        Ok(Bus { client, js, subjects })
    }

    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// Publishes to JetStream; the returned future resolves with the stream's ack.
    pub async fn publish(
        &self,
        subject: String,
        headers: &[(String, String)],
        payload: Vec<u8>,
    ) -> Result<PublishAckFuture> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(k.as_str(), v.as_str());
        }
        self.js.publish_with_headers(subject, map, payload.into()).await.map_err(RuntimeError::nats)
    }

    /// Creates the tenant's stream, or brings an existing one to `settings`.
    pub async fn ensure_stream(&self, tenant: &str, settings: &StreamSettings) -> Result<stream::Stream> {
        let config = stream::Config {
            name: self.subjects.stream(tenant),
            subjects: vec![self.subjects.tenant_events(tenant), self.subjects.tenant_dead_letters(tenant)],
            retention: stream::RetentionPolicy::Limits,
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(settings.max_age_days * 86_400),
            num_replicas: settings.replicas,
            duplicate_window: Duration::from_secs(settings.duplicate_window_secs),
            ..Default::default()
        };
        let name = config.name.clone();
        match self.js.get_stream(&name).await {
            Ok(_) => {
                self.js.update_stream(config).await.map_err(RuntimeError::nats)?;
                self.js.get_stream(&name).await.map_err(RuntimeError::nats)
            }
            Err(_) => self.js.get_or_create_stream(config).await.map_err(RuntimeError::nats),
        }
    }

    pub async fn stream(&self, tenant: &str) -> Result<stream::Stream> {
        self.js
            .get_stream(self.subjects.stream(tenant))
            .await
            .map_err(|_| RuntimeError::UnknownTenant(tenant.to_string()))
    }

    /// Deletes the tenant's stream (offboarding; tests).
    pub async fn delete_stream(&self, tenant: &str) -> Result<()> {
        match self.js.delete_stream(self.subjects.stream(tenant)).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("not found") => Ok(()),
            Err(e) => Err(RuntimeError::nats(e)),
        }
    }

    /// Creates (or finds) a durable pull consumer with one filter subject, and checks that the
    /// server kept the filter.
    pub async fn ensure_consumer(
        &self,
        tenant: &str,
        durable: &str,
        filter_subject: &str,
        settings: &ConsumerSettings,
    ) -> Result<PullConsumer> {
        let stream = self.stream(tenant).await?;
        let config = jetstream::consumer::pull::Config {
            durable_name: Some(durable.to_string()),
            filter_subject: filter_subject.to_string(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_millis(settings.ack_wait_ms),
            // No server-side limit: the consumer loop dead-letters a message once it has been
            // delivered `max_deliver` times, so a message is never silently dropped.
            max_deliver: -1,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        };
        let mut consumer: PullConsumer =
            stream.get_or_create_consumer(durable, config).await.map_err(RuntimeError::nats)?;
        let info = consumer.info().await.map_err(RuntimeError::nats)?;
        if info.config.filter_subject != filter_subject {
            return Err(RuntimeError::Nats(format!(
                "consumer {durable} on {} filters {:?}, not {filter_subject:?}: delete it or use another name",
                self.subjects.stream(tenant),
                info.config.filter_subject
            )));
        }
        Ok(consumer)
    }

    /// Messages waiting for, or delivered and not yet acked by, every consumer of the stream.
    pub async fn outstanding(&self, tenant: &str) -> Result<u64> {
        use futures::TryStreamExt;
        let stream = self.stream(tenant).await?;
        let infos: Vec<_> = stream.consumers().try_collect().await.map_err(RuntimeError::nats)?;
        Ok(infos.iter().map(|i| i.num_pending + i.num_ack_pending as u64).sum())
    }
}
