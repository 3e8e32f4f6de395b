//! Retrying a transport call with exponential backoff and jitter, for retryable errors only.

use crate::error::{Result, TransportError};
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// How often and how patiently [`retry`] tries. Deserializes from `{max_attempts, min_delay_ms,
/// max_delay_ms}`; the defaults (5 attempts, 200 ms doubling up to 10 s) ride out a server
/// restart without holding a batch for long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub max_attempts: u32,
    /// The first delay; each next one doubles, with jitter.
    pub min_delay_ms: u64,
    /// The longest delay between two attempts.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, min_delay_ms: 200, max_delay_ms: 10_000 }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.min_delay_ms))
            .with_max_delay(Duration::from_millis(self.max_delay_ms.max(self.min_delay_ms)))
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
    }
}

/// Runs `op` until it succeeds, fails with an error that is not retryable, or has run
/// `policy.max_attempts` times; returns the last result. Each retry is logged and counted
/// (`rcm_transport_retries_total`).
pub async fn retry<T, F, Fut>(policy: &RetryPolicy, op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    op.retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(TransportError::is_retryable)
        .notify(|e: &TransportError, delay: Duration| {
            metrics::counter!("rcm_transport_retries_total", "error" => e.label()).increment(1);
            tracing::warn!(error = %e, delay_ms = delay.as_millis() as u64, "transport call failed; retrying");
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(max_attempts: u32) -> RetryPolicy {
        RetryPolicy { max_attempts, min_delay_ms: 1, max_delay_ms: 5 }
    }

    fn err(retryable: bool) -> TransportError {
        TransportError::Io { transport: "t".into(), op: "put", name: "a".into(), reason: "x".into(), retryable }
    }

    #[tokio::test]
    async fn retries_retryable_errors_until_success() {
        let calls = AtomicU32::new(0);
        let r =
            retry(&fast(5), || async { if calls.fetch_add(1, Ordering::SeqCst) < 2 { Err(err(true)) } else { Ok(7) } })
                .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn stops_at_max_attempts_and_at_once_on_a_permanent_error() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(&fast(3), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(true))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(&fast(3), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(err(false))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
