//! The remittance service's errors. Messages name ids (tenant, claim, event, file), never patient data.

use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A file or directory under the data directory.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The event does not carry what its type promises (e.g. a ClaimSubmitted without a patient control
    /// number, which no 835 could be matched to).
    #[error("event {event_id}: {what}")]
    BadEvent { event_id: String, what: String },
    #[error("claim {claim_id} of tenant {tenant} is not expected here")]
    NotFound { tenant: String, claim_id: String },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A trading partner's transport (listing, fetching or archiving a file); the message names the
    /// transport and file, never credentials.
    #[error("transport: {0}")]
    Transport(String),
}

impl Error {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io { path: path.display().to_string(), source }
    }
}

impl Retryable for Error {
    fn is_retryable(&self) -> bool {
        match self {
            Error::Database(e) => e.is_retryable(),
            Error::Runtime(e) => e.is_retryable(),
            Error::Io { .. } | Error::Transport(_) => true,
            Error::BadEvent { .. } | Error::NotFound { .. } | Error::InvalidArgument(_) => false,
        }
    }
}

impl From<Error> for HandlerError {
    fn from(e: Error) -> Self {
        match e {
            Error::Database(e) => HandlerError::from(e),
            Error::Runtime(e) => HandlerError::from(e),
            other if other.is_retryable() => HandlerError::transient(other.to_string()),
            other => HandlerError::permanent(other.to_string()),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> Self {
        match &e {
            Error::NotFound { .. } => tonic::Status::not_found(e.to_string()),
            Error::InvalidArgument(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::BadEvent { .. } => tonic::Status::internal(e.to_string()),
            Error::Database(_) | Error::Runtime(_) | Error::Io { .. } | Error::Transport(_) => {
                tracing::error!(error = %e, "request failed");
                tonic::Status::unavailable("the remittance store is unavailable; try again")
            }
        }
    }
}
