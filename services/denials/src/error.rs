//! The denials service's errors. Messages name ids (tenant, claim, event, work item), never patient
//! data.

use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The event does not carry what its type promises (e.g. a ClaimDenied without its remittance).
    #[error("event {event_id}: {what}")]
    BadEvent { event_id: String, what: String },
    #[error("no denial or adjudication for claim {claim_id} of tenant {tenant}")]
    NotFound { tenant: String, claim_id: String },
    #[error("no work item {work_item_id} for tenant {tenant}")]
    ItemNotFound { tenant: String, work_item_id: String },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// The request cannot be taken in the claim's present state (not in the queue, already corrected).
    #[error("claim {claim_id}: {reason}")]
    FailedPrecondition { claim_id: String, reason: String },
    /// The action cannot be taken in the work item's present state (closed, appeal pending, deadline passed).
    #[error("work item {work_item_id}: {reason}")]
    ItemPrecondition { work_item_id: String, reason: String },
}

impl Retryable for Error {
    fn is_retryable(&self) -> bool {
        match self {
            Error::Database(e) => e.is_retryable(),
            Error::Runtime(e) => e.is_retryable(),
            Error::BadEvent { .. }
            | Error::NotFound { .. }
            | Error::ItemNotFound { .. }
            | Error::InvalidArgument(_)
            | Error::UnknownTenant(_)
            | Error::FailedPrecondition { .. }
            | Error::ItemPrecondition { .. } => false,
        }
    }
}

impl From<Error> for HandlerError {
    fn from(e: Error) -> Self {
        match e {
            Error::Database(e) => HandlerError::from(e),
            Error::Runtime(e) => HandlerError::from(e),
            other => HandlerError::permanent(other.to_string()),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> Self {
        match &e {
            Error::NotFound { .. } | Error::ItemNotFound { .. } | Error::UnknownTenant(_) => {
                tonic::Status::not_found(e.to_string())
            }
            Error::FailedPrecondition { .. } | Error::ItemPrecondition { .. } => {
                tonic::Status::failed_precondition(e.to_string())
            }
            Error::InvalidArgument(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::BadEvent { .. } => tonic::Status::internal(e.to_string()),
            Error::Database(_) | Error::Runtime(_) => {
                tracing::error!(error = %e, "request failed");
                tonic::Status::unavailable("the denials store is unavailable; try again")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_grpc_codes_and_say_whether_to_retry() {
        let cases = [
            (Error::InvalidArgument("x".into()), tonic::Code::InvalidArgument),
            (Error::ItemNotFound { tenant: "t".into(), work_item_id: "w".into() }, tonic::Code::NotFound),
            (
                Error::ItemPrecondition { work_item_id: "w".into(), reason: "closed".into() },
                tonic::Code::FailedPrecondition,
            ),
            (Error::UnknownTenant("t".into()), tonic::Code::NotFound),
        ];
        for (e, code) in cases {
            assert!(!e.is_retryable(), "{e}");
            assert_eq!(tonic::Status::from(e).code(), code);
        }
        let db = Error::Database(sqlx::Error::PoolTimedOut);
        assert!(db.is_retryable());
        assert_eq!(tonic::Status::from(db).code(), tonic::Code::Unavailable);
    }
}
