//! The runtime's errors, and the retry contract every handler error follows.

/// What a handler's error says about retrying. The consumer loop naks a retryable failure (the
/// message comes back after a backoff) and dead-letters a permanent one at once.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("NATS: {0}")]
    Nats(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("event: {0}")]
    Event(String),
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    #[error("invalid tenant id {0:?}: use 1 to 32 lower-case letters, digits or '-'")]
    InvalidTenant(String),
}

impl RuntimeError {
    pub fn nats(e: impl std::fmt::Display) -> Self {
        RuntimeError::Nats(e.to_string())
    }
}

impl Retryable for RuntimeError {
    fn is_retryable(&self) -> bool {
        matches!(self, RuntimeError::Database(_) | RuntimeError::Nats(_))
    }
}

/// An error returned by an event handler.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth another try (a database or network hiccup): nak and redeliver.
    #[error("{0}")]
    Transient(String),
    /// Will fail the same way every time (bad payload, unknown reference): dead-letter now.
    #[error("{0}")]
    Permanent(String),
}

impl HandlerError {
    pub fn permanent(msg: impl Into<String>) -> Self {
        HandlerError::Permanent(msg.into())
    }

    pub fn transient(msg: impl Into<String>) -> Self {
        HandlerError::Transient(msg.into())
    }
}

impl Retryable for HandlerError {
    fn is_retryable(&self) -> bool {
        matches!(self, HandlerError::Transient(_))
    }
}

/// A constraint violation or a decoding error repeats on every try; connection trouble does not.
/// Every service classifies its database errors with this.
impl Retryable for sqlx::Error {
    fn is_retryable(&self) -> bool {
        match self {
            sqlx::Error::Database(d) => d.constraint().is_none(),
            sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } | sqlx::Error::TypeNotFound { .. } => false,
            _ => true,
        }
    }
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        if e.is_retryable() { HandlerError::Transient(e.to_string()) } else { HandlerError::Permanent(e.to_string()) }
    }
}

impl From<RuntimeError> for HandlerError {
    fn from(e: RuntimeError) -> Self {
        if e.is_retryable() { HandlerError::Transient(e.to_string()) } else { HandlerError::Permanent(e.to_string()) }
    }
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
