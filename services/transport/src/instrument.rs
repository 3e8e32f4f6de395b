//! Spans, logs and metrics around any transport, in one place so every kind reports alike.

use crate::{Put, RemoteFile, Result, Transport};
use std::time::Instant;
use tracing::Instrument;

/// Wraps a transport with a `tracing` span per call (`transport` = its description, `file` = the
/// name; never content) and `metrics` counters by kind and outcome. [`crate::TransportConfig::build`]
/// returns transports wrapped in it.
pub struct Instrumented<T> {
    inner: T,
    description: String,
}

impl<T: Transport> Instrumented<T> {
    pub fn new(inner: T) -> Self {
        let description = inner.describe();
        Instrumented { inner, description }
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    fn observe<R>(&self, op: &'static str, started: Instant, result: &Result<R>, outcome_ok: &'static str) {
        let kind = self.inner.kind();
        let outcome = match result {
            Ok(_) => outcome_ok,
            Err(e) => e.label(),
        };
        let counter = match op {
            "put" => "rcm_transport_puts_total",
            "list" => "rcm_transport_lists_total",
            "fetch" => "rcm_transport_fetches_total",
            _ => "rcm_transport_archives_total",
        };
        metrics::counter!(counter, "kind" => kind, "outcome" => outcome).increment(1);
        metrics::histogram!("rcm_transport_seconds", "kind" => kind, "op" => op)
            .record(started.elapsed().as_secs_f64());
        match result {
            Ok(_) => tracing::debug!(outcome, elapsed_ms = started.elapsed().as_millis() as u64, "transport {op} done"),
            Err(e) if e.is_retryable() => tracing::warn!(error = %e, "transport {op} failed (retryable)"),
            Err(e) => tracing::error!(error = %e, "transport {op} failed"),
        }
    }

    fn bytes(&self, direction: &'static str, n: usize) {
        metrics::counter!("rcm_transport_bytes_total", "kind" => self.inner.kind(), "direction" => direction)
            .increment(n as u64);
    }
}

fn put_outcome(r: &Result<Put>) -> &'static str {
    match r {
        Ok(Put::Written) => "written",
        Ok(Put::AlreadyThere) => "already_there",
        Err(e) => e.label(),
    }
}

#[async_trait::async_trait]
impl<T: Transport> Transport for Instrumented<T> {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn put(&self, name: &str, bytes: &[u8]) -> Result<Put> {
        let span = tracing::info_span!("transport.put", transport = %self.description, file = name, size = bytes.len());
        async {
            let started = Instant::now();
            let r = self.inner.put(name, bytes).await;
            self.observe("put", started, &r, put_outcome(&r));
            if let Ok(Put::Written) = r {
                self.bytes("out", bytes.len());
                tracing::info!(file = name, size = bytes.len(), "file delivered");
            }
            r
        }
        .instrument(span)
        .await
    }

    async fn list_inbound(&self) -> Result<Vec<RemoteFile>> {
        let span = tracing::info_span!("transport.list_inbound", transport = %self.description);
        async {
            let started = Instant::now();
            let r = self.inner.list_inbound().await;
            self.observe("list", started, &r, "ok");
            if let Ok(files) = &r {
                tracing::debug!(files = files.len(), "inbound listed");
            }
            r
        }
        .instrument(span)
        .await
    }

    async fn fetch(&self, name: &str) -> Result<Vec<u8>> {
        let span = tracing::info_span!("transport.fetch", transport = %self.description, file = name);
        async {
            let started = Instant::now();
            let r = self.inner.fetch(name).await;
            self.observe("fetch", started, &r, "ok");
            if let Ok(b) = &r {
                self.bytes("in", b.len());
            }
            r
        }
        .instrument(span)
        .await
    }

    async fn archive(&self, name: &str) -> Result<()> {
        let span = tracing::info_span!("transport.archive", transport = %self.description, file = name);
        async {
            let started = Instant::now();
            let r = self.inner.archive(name).await;
            self.observe("archive", started, &r, "ok");
            r
        }
        .instrument(span)
        .await
    }
}
