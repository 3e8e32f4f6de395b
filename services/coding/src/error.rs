//! Coding's errors. Messages carry ids, codes and field names only, never patient data.

use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The default fee schedule file cannot be read or parsed.
    #[error("fee schedule: {0}")]
    FeeSchedule(String),
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    #[error("no claim {claim_id} for tenant {tenant}")]
    ClaimNotFound { tenant: String, claim_id: String },
    /// The note suggester could not be built from its lexicon.
    #[error("suggester: {0}")]
    Suggester(String),
    /// A request that cannot be served as asked (a bad code, date, file or field).
    #[error("{0}")]
    InvalidArgument(String),
    #[error("no queue item for claim {claim_id} of tenant {tenant}")]
    QueueItemNotFound { tenant: String, claim_id: String },
    /// The queue item is held by another coder or already resolved.
    #[error("{0}")]
    QueueConflict(String),
    /// A correction denials asked for that coding cannot make (the claim was never sent, or the
    /// request does not fit it).
    #[error("claim {claim_id} cannot be corrected: {reason}")]
    CannotCorrect { claim_id: String, reason: String },
    /// An event that can never be handled.
    #[error("event {event_id} cannot be handled: {reason}")]
    BadEvent { event_id: String, reason: &'static str },
}

impl Retryable for Error {
    fn is_retryable(&self) -> bool {
        match self {
            Error::Runtime(e) => e.is_retryable(),
            Error::Database(e) => e.is_retryable(),
            _ => false,
        }
    }
}

impl From<Error> for HandlerError {
    fn from(e: Error) -> Self {
        match e {
            Error::Database(e) => HandlerError::from(e),
            Error::Runtime(e) => HandlerError::from(e),
            e => HandlerError::permanent(e.to_string()),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> Self {
        match e {
            Error::UnknownTenant(_) | Error::ClaimNotFound { .. } | Error::QueueItemNotFound { .. } => {
                tonic::Status::not_found(e.to_string())
            }
            Error::InvalidArgument(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::QueueConflict(_) => tonic::Status::failed_precondition(e.to_string()),
            Error::Runtime(RuntimeError::UnknownTenant(_)) => tonic::Status::not_found(e.to_string()),
            Error::Runtime(RuntimeError::InvalidTenant(_)) => tonic::Status::invalid_argument(e.to_string()),
            e if e.is_retryable() => tonic::Status::unavailable(e.to_string()),
            e => tonic::Status::internal(e.to_string()),
        }
    }
}
