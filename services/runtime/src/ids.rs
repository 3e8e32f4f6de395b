//! Clock and id generator, taken as dependencies so tests and replays are deterministic.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdGen: Send + Sync + 'static {
    /// A new UUIDv7 (time-ordered).
    fn new_id(&self) -> Uuid;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A clock that starts at a fixed instant and moves one millisecond per reading.
#[derive(Debug)]
pub struct SteppingClock {
    start: DateTime<Utc>,
    ticks: AtomicU64,
}

impl SteppingClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        SteppingClock { start, ticks: AtomicU64::new(0) }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        let t = self.ticks.fetch_add(1, Ordering::Relaxed);
        self.start + chrono::Duration::milliseconds(t as i64)
    }
}

/// UUIDv7-shaped ids from a seed and a counter: the same sequence every run.
#[derive(Debug)]
pub struct SequentialIds {
    seed: u64,
    next: AtomicU64,
}

impl SequentialIds {
    pub fn new(seed: u64) -> Self {
        SequentialIds { seed, next: AtomicU64::new(1) }
    }
}

impl IdGen for SequentialIds {
    fn new_id(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let hi = (self.seed << 16) | 0x7000 | (n >> 48 & 0x0fff);
        let lo = 0x8000_0000_0000_0000 | (n & 0x3fff_ffff_ffff_ffff);
        Uuid::from_u64_pair(hi, lo)
    }
}

/// The clock and id generator a service runs with.
#[derive(Clone)]
pub struct Determinism {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
}

impl Default for Determinism {
    fn default() -> Self {
        Determinism { clock: Arc::new(SystemClock), ids: Arc::new(RandomIds) }
    }
}
