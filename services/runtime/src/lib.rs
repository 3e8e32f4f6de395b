//! The runtime every service stands on.
//!
//! - [`subjects`] and [`envelope`]: the only place subjects, headers and envelopes are built.
//! - [`bus`]: JetStream streams (one per tenant) and durable pull consumers.
//! - [`worker`]: the handler router and the consumer loop (inbox, outbox, dead letters, retries).
//! - [`outbox`], [`inbox`]: exactly-once effects.
//! - [`db`]: one database per service with embedded migrations.
//! - [`config`], [`telemetry`], [`tenants`], [`ids`], [`platform`], [`grpc`].

pub mod bus;
pub mod config;
pub mod db;
pub mod envelope;
pub mod error;
pub mod grpc;
pub mod ids;
pub mod inbox;
pub mod outbox;
pub mod platform;
pub mod replay;
pub mod subjects;
pub mod telemetry;
pub mod tenants;
pub mod testing;
pub mod worker;

pub use error::{HandlerError, Result, Retryable, RuntimeError};
pub use platform::{Platform, ServiceHost};
pub use subjects::EventType;
pub use worker::{Ctx, Router};

/// Boxes an async handler fn for [`Router::on`]: `router.on(EventType::ClaimCoded, handler!(on_claim_coded))`.
#[macro_export]
macro_rules! handler {
    ($f:path) => {
        |ctx, state| Box::pin($f(ctx, state))
    };
}
