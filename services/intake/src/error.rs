//! Intake's errors. Messages carry ids and field names only, never patient data.

use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The tenant is not one this process serves.
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// The request is incomplete or malformed: every fault, `; `-separated.
    #[error("{0}")]
    Invalid(String),
    #[error("no claim {claim_id} for tenant {tenant}")]
    ClaimNotFound { tenant: String, claim_id: String },
    /// A stored record that cannot be read back (a bug or a manual edit).
    #[error("stored {what} of claim {claim_id} cannot be decoded")]
    Corrupt { what: &'static str, claim_id: String },
    /// An event that can never be handled (its payload is missing).
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
            Error::UnknownTenant(_) | Error::ClaimNotFound { .. } => tonic::Status::not_found(e.to_string()),
            Error::Invalid(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::Runtime(RuntimeError::UnknownTenant(_)) => tonic::Status::not_found(e.to_string()),
            Error::Runtime(RuntimeError::InvalidTenant(_)) => tonic::Status::invalid_argument(e.to_string()),
            e if e.is_retryable() => tonic::Status::unavailable(e.to_string()),
            e => tonic::Status::internal(e.to_string()),
        }
    }
}
