//! The consumer side: a router of event handlers (like an axum router), and the loop that runs
//! them for each tenant with the inbox, the outbox and dead letters around every call.
//!
//! For each message: decode the envelope (undecodable: dead letter), open a transaction, record the
//! event in the inbox (seen before: ack and skip), call the handler, put its events in the outbox,
//! commit, ack. A retryable failure is nak'd with a backoff; a permanent one, or the last allowed
//! delivery, goes to the dead letters with its reason, and the others go on.

use crate::bus::{Bus, ConsumerSettings};
use crate::envelope::{
    self, HEADER_DLQ_CONSUMER, HEADER_DLQ_DELIVERIES, HEADER_DLQ_REASON, HEADER_DLQ_SUBJECT, Origin,
};
use crate::error::{HandlerError, Result, Retryable, RuntimeError};
use crate::ids::Determinism;
use crate::subjects::EventType;
use crate::{inbox, outbox, telemetry};
use async_nats::jetstream::{AckKind, Message};
use futures::StreamExt;
use futures::future::BoxFuture;
use rcm_proto::events::{Envelope, envelope::Payload};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

/// What a handler works with: the incoming event, the transaction its effects go in, and a way
/// to emit events (they go in the outbox in the same transaction).
pub struct Ctx {
    tx: Transaction<'static, Postgres>,
    incoming: Envelope,
    emitted: Vec<Envelope>,
    service: &'static str,
    det: Determinism,
}

impl Ctx {
    pub fn envelope(&self) -> &Envelope {
        &self.incoming
    }

    pub fn tenant(&self) -> &str {
        &self.incoming.tenant_id
    }

    pub fn claim_id(&self) -> &str {
        &self.incoming.claim_id
    }

    /// The transaction the handler's writes go in.
    pub fn db(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.det.clock.now()
    }

    pub fn new_id(&self) -> Uuid {
        self.det.ids.new_id()
    }

    /// Emits an event about the same claim, caused by the incoming one.
    pub fn emit(&mut self, payload: Payload) {
        let origin = Origin::caused_by(&self.incoming);
        self.emit_with(&origin, payload);
    }

    /// Emits an event with an explicit origin (another claim of the same tenant).
    pub fn emit_with(&mut self, origin: &Origin, payload: Payload) {
        let env = envelope::new_envelope(&self.det, self.service, origin, payload);
        self.emitted.push(env);
    }
}

pub type HandlerFn<S> =
    Arc<dyn for<'a> Fn(&'a mut Ctx, &'a S) -> BoxFuture<'a, Result<(), HandlerError>> + Send + Sync>;

/// Handlers by event type. `on_all` takes every event of the tenant (projections such as a
/// claim's history) through one consumer.
pub struct Router<S> {
    service: &'static str,
    handlers: BTreeMap<EventType, HandlerFn<S>>,
    all: Option<HandlerFn<S>>,
}

impl<S: Send + Sync + 'static> Router<S> {
    pub fn new(service: &'static str) -> Self {
        Router { service, handlers: BTreeMap::new(), all: None }
    }

    pub fn on<F>(mut self, t: EventType, f: F) -> Self
    where
        F: for<'a> Fn(&'a mut Ctx, &'a S) -> BoxFuture<'a, Result<(), HandlerError>> + Send + Sync + 'static,
    {
        self.handlers.insert(t, Arc::new(f));
        self
    }

    pub fn on_all<F>(mut self, f: F) -> Self
    where
        F: for<'a> Fn(&'a mut Ctx, &'a S) -> BoxFuture<'a, Result<(), HandlerError>> + Send + Sync + 'static,
    {
        self.all = Some(Arc::new(f));
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn event_types(&self) -> impl Iterator<Item = EventType> + '_ {
        self.handlers.keys().copied()
    }
}

/// Runs a router's consumers for tenants.
pub struct Worker<S> {
    router: Arc<Router<S>>,
    state: Arc<S>,
    pool: PgPool,
    bus: Bus,
    det: Determinism,
    settings: ConsumerSettings,
}

impl<S> Clone for Worker<S> {
    fn clone(&self) -> Self {
        Worker {
            router: self.router.clone(),
            state: self.state.clone(),
            pool: self.pool.clone(),
            bus: self.bus.clone(),
            det: self.det.clone(),
            settings: self.settings.clone(),
        }
    }
}

impl<S: Send + Sync + 'static> Worker<S> {
    pub fn new(
        router: Router<S>,
        state: Arc<S>,
        pool: PgPool,
        bus: Bus,
        det: Determinism,
        settings: ConsumerSettings,
    ) -> Self {
        Worker { router: Arc::new(router), state, pool, bus, det, settings }
    }

    /// Creates the tenant's consumers and starts one task per consumer.
    pub async fn spawn_tenant(
        &self,
        tenant: &str,
        tasks: &mut JoinSet<Result<()>>,
        shutdown: &CancellationToken,
    ) -> Result<()> {
        let subjects = self.bus.subjects().clone();
        let mut consumers = Vec::new();
        for (t, h) in &self.router.handlers {
            let name = subjects.consumer(self.router.service, *t);
            consumers.push((name, subjects.event(tenant, *t), h.clone()));
        }
        if let Some(h) = &self.router.all {
            consumers.push((subjects.consumer_all(self.router.service), subjects.tenant_events(tenant), h.clone()));
        }
        for (name, filter, handler) in consumers {
            let consumer = self.bus.ensure_consumer(tenant, &name, &filter, &self.settings).await?;
            let worker = self.clone();
            let tenant = tenant.to_string();
            let shutdown = shutdown.clone();
            tasks.spawn(async move { worker.consume(tenant, name, consumer, handler, shutdown).await });
        }
        Ok(())
    }

    async fn consume(
        self,
        tenant: String,
        name: String,
        consumer: async_nats::jetstream::consumer::PullConsumer,
        handler: HandlerFn<S>,
        shutdown: CancellationToken,
    ) -> Result<()> {
        tracing::debug!(service = self.router.service, consumer = %name, %tenant, "consumer started");
        while !shutdown.is_cancelled() {
            let batch =
                consumer.fetch().max_messages(self.settings.batch).expires(Duration::from_millis(500)).messages().await;
            let mut batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(consumer = %name, error = %e, "fetch failed; retrying");
                    tokio::select! { _ = shutdown.cancelled() => break, _ = tokio::time::sleep(Duration::from_secs(1)) => {} }
                    continue;
                }
            };
            while let Some(msg) = tokio::select! { m = batch.next() => m, _ = shutdown.cancelled() => None } {
                match msg {
                    Ok(msg) => self.process(&tenant, &name, &handler, msg).await,
                    Err(e) => tracing::warn!(consumer = %name, error = %e, "message stream error"),
                }
            }
        }
        Ok(())
    }

    async fn process(&self, tenant: &str, consumer: &str, handler: &HandlerFn<S>, msg: Message) {
        let started = Instant::now();
        let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
        let span = tracing::info_span!(
            "handle",
            service = self.router.service,
            consumer,
            tenant,
            claim_id = tracing::field::Empty,
            event_type = tracing::field::Empty
        );
        telemetry::set_parent_from_headers(&span, msg.headers.as_ref());
        let outcome = async {
            let env = match envelope::decode(&msg.payload) {
                Ok(env) if env.tenant_id == tenant => env,
                Ok(_) => {
                    return self
                        .dead_letter(
                            tenant,
                            consumer,
                            &msg,
                            delivered,
                            "the envelope's tenant does not match the stream's",
                        )
                        .await;
                }
                Err(e) => return self.dead_letter(tenant, consumer, &msg, delivered, &e.to_string()).await,
            };
            tracing::Span::current()
                .record("claim_id", env.claim_id.as_str())
                .record("event_type", env.event_type.as_str());
            if delivered > self.settings.max_deliver {
                return self
                    .dead_letter(
                        tenant,
                        consumer,
                        &msg,
                        delivered,
                        "delivered more times than max_deliver without an answer",
                    )
                    .await;
            }
            match self.handle(consumer, handler, env).await {
                Ok(()) => {
                    ack(&msg, AckKind::Ack).await;
                    "ok"
                }
                Err(e) if e.is_retryable() && delivered < self.settings.max_deliver => {
                    tracing::warn!(error = %e, delivered, "handler failed; will retry");
                    ack(&msg, AckKind::Nak(Some(self.settings.backoff(delivered)))).await;
                    "retry"
                }
                Err(e) => self.dead_letter(tenant, consumer, &msg, delivered, &e.to_string()).await,
            }
        }
        .instrument(span)
        .await;
        metrics::counter!("rcm_events_handled_total", "service" => self.router.service, "consumer" => consumer.to_string(), "outcome" => outcome).increment(1);
        metrics::histogram!("rcm_handler_seconds", "service" => self.router.service)
            .record(started.elapsed().as_secs_f64());
    }

    /// Inbox, handler and outbox in one transaction. A duplicate is skipped.
    async fn handle(&self, consumer: &str, handler: &HandlerFn<S>, env: Envelope) -> Result<(), HandlerError> {
        let event_id = Uuid::parse_str(&env.event_id).map_err(|_| HandlerError::permanent("event id is not a UUID"))?;
        let mut tx = self.pool.begin().await?;
        if !inbox::first_delivery(&mut tx, consumer, &env.tenant_id, event_id).await? {
            tracing::debug!(event_id = %event_id, "already handled; skipped");
            metrics::counter!("rcm_events_duplicate_total", "service" => self.router.service).increment(1);
            return Ok(());
        }
        let mut ctx =
            Ctx { tx, incoming: env, emitted: Vec::new(), service: self.router.service, det: self.det.clone() };
        handler(&mut ctx, &self.state).await?;
        let Ctx { mut tx, emitted, .. } = ctx;
        for e in &emitted {
            outbox::enqueue(&mut tx, &self.bus, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the message in the dead letters (table and subject) with the reason, then
    /// terminates it. If that fails the message is nak'd, so nothing is lost.
    async fn dead_letter(
        &self,
        tenant: &str,
        consumer: &str,
        msg: &Message,
        delivered: i64,
        reason: &str,
    ) -> &'static str {
        tracing::error!(consumer, delivered, reason, "event dead-lettered");
        match self.write_dead_letter(tenant, consumer, msg, delivered, reason).await {
            Ok(()) => {
                ack(msg, AckKind::Term).await;
                metrics::counter!("rcm_dead_letters_total", "service" => self.router.service).increment(1);
                "dead_letter"
            }
            Err(e) => {
                tracing::error!(error = %e, "could not write the dead letter; will retry the message");
                ack(msg, AckKind::Nak(Some(Duration::from_secs(5)))).await;
                "retry"
            }
        }
    }

    async fn write_dead_letter(
        &self,
        tenant: &str,
        consumer: &str,
        msg: &Message,
        delivered: i64,
        reason: &str,
    ) -> Result<()> {
        let header = |k: &str| msg.headers.as_ref().and_then(|h| h.get(k)).map(|v| v.to_string());
        sqlx::query(
            "INSERT INTO dead_letters (tenant_id, consumer, subject, event_id, event_type, reason, deliveries, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant)
        .bind(consumer)
        .bind(msg.subject.as_str())
        .bind(header(envelope::HEADER_MSG_ID))
        .bind(header(envelope::HEADER_EVENT_TYPE))
        .bind(reason)
        .bind(delivered)
        .bind(msg.payload.as_ref())
        .execute(&self.pool)
        .await?;
        let mut headers: Vec<(String, String)> = msg
            .headers
            .iter()
            .flat_map(|h| h.iter())
            .filter(|(k, _)| {
                let k: &str = k.as_ref();
                k != envelope::HEADER_MSG_ID
            })
            .filter_map(|(k, v)| v.first().map(|v| (k.to_string(), v.to_string())))
            .collect();
        headers.push((HEADER_DLQ_REASON.into(), reason.replace(['\r', '\n'], " ")));
        headers.push((HEADER_DLQ_CONSUMER.into(), consumer.into()));
        headers.push((HEADER_DLQ_SUBJECT.into(), msg.subject.to_string()));
        headers.push((HEADER_DLQ_DELIVERIES.into(), delivered.to_string()));
        let subject = self.bus.subjects().dead_letter(tenant, self.router.service);
        let ack = self.bus.publish(subject, &headers, msg.payload.to_vec()).await?;
        ack.await.map_err(RuntimeError::nats)?;
        Ok(())
    }
}

async fn ack(msg: &Message, kind: AckKind) {
    if let Err(e) = msg.ack_with(kind).await {
        tracing::warn!(error = %e, "ack failed; the message will be redelivered and the inbox will skip it");
    }
}
