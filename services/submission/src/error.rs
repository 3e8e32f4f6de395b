//! The service's one error type. Messages carry ids (tenant, claim, batch, file names) and codes,
//! never patient data.

use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The event is not what the handler expects (no claim in a ClaimScrubbed, ...).
    #[error("event {event_id}: {reason}")]
    BadEvent { event_id: String, reason: String },
    /// A claim that cannot be written as an 837P (the field is named, its value is not).
    #[error("claim {claim_id}: {field} {reason}")]
    Claim { claim_id: String, field: String, reason: String },
    #[error("X12: {0}")]
    X12(#[from] rcm_x12::X12Error),
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("configuration [submission]: {0}")]
    Config(String),
    /// Moving a file to or from a trading partner (the transport says whether retrying can help).
    #[error(transparent)]
    Transport(#[from] rcm_transport::TransportError),
    /// The request names a state the batch or claim is not in.
    #[error("{0}")]
    FailedPrecondition(String),
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
            Error::Io { .. } => true,
            Error::Transport(e) => e.is_retryable(),
            Error::BadEvent { .. }
            | Error::Claim { .. }
            | Error::X12(_)
            | Error::NotFound(_)
            | Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::FailedPrecondition(_) => false,
        }
    }
}

impl From<Error> for HandlerError {
    fn from(e: Error) -> Self {
        if e.is_retryable() { HandlerError::transient(e.to_string()) } else { HandlerError::permanent(e.to_string()) }
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(what) => tonic::Status::not_found(format!("{what} not found")),
            Error::InvalidRequest(m) => tonic::Status::invalid_argument(m),
            Error::FailedPrecondition(m) => tonic::Status::failed_precondition(m),
            e if e.is_retryable() => tonic::Status::unavailable(e.to_string()),
            e => tonic::Status::internal(e.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
