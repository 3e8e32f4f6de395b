//! Scrubbing's errors. Messages carry ids, rule ids, field names and pack lines only, never
//! patient data.

use crate::packs::PackError;
use rcm_runtime::{HandlerError, Retryable, RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    #[error("no claim {claim_id} for tenant {tenant}")]
    ClaimNotFound { tenant: String, claim_id: String },
    #[error("no rule {0:?}")]
    RuleNotFound(String),
    #[error("no active pack {pack_id} for tenant {tenant}{}", if payer.is_empty() { String::new() } else { format!(" and payer {payer}") })]
    PackNotFound { tenant: String, payer: String, pack_id: String },
    /// A rule pack refused when loaded: the line and the reason. The running pack stays.
    #[error("rule pack refused, {0}")]
    BadPack(#[from] PackError),
    /// The pack's version is already loaded with other rules.
    #[error("{0}")]
    PackConflict(String),
    /// A request that cannot be served as asked.
    #[error("{0}")]
    InvalidArgument(String),
    /// An override of a rule that has no finding on the claim.
    #[error("{0}")]
    NothingToOverride(String),
    /// A row that this build cannot read (a stored claim or pack).
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
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
            Error::UnknownTenant(_)
            | Error::ClaimNotFound { .. }
            | Error::RuleNotFound(_)
            | Error::PackNotFound { .. } => tonic::Status::not_found(e.to_string()),
            Error::BadPack(_) | Error::InvalidArgument(_) => tonic::Status::invalid_argument(e.to_string()),
            Error::PackConflict(_) => tonic::Status::already_exists(e.to_string()),
            Error::NothingToOverride(_) => tonic::Status::failed_precondition(e.to_string()),
            Error::Runtime(RuntimeError::UnknownTenant(_)) => tonic::Status::not_found(e.to_string()),
            Error::Runtime(RuntimeError::InvalidTenant(_)) => tonic::Status::invalid_argument(e.to_string()),
            e if e.is_retryable() => tonic::Status::unavailable(e.to_string()),
            e => tonic::Status::internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_grpc_codes() {
        let bad = Error::BadPack(PackError { line: 7, reason: "severity must be \"error\" or \"warning\"".into() });
        let status = tonic::Status::from(bad);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "rule pack refused, line 7: severity must be \"error\" or \"warning\"");
        let missing = Error::PackNotFound { tenant: "acme".into(), payer: "BLU01".into(), pack_id: "p".into() };
        assert_eq!(missing.to_string(), "no active pack p for tenant acme and payer BLU01");
        assert_eq!(tonic::Status::from(missing).code(), tonic::Code::NotFound);
        assert_eq!(tonic::Status::from(Error::NothingToOverride("x".into())).code(), tonic::Code::FailedPrecondition);
        assert_eq!(tonic::Status::from(Error::PackConflict("x".into())).code(), tonic::Code::AlreadyExists);
        assert!(!Error::Corrupt("x".into()).is_retryable());
    }
}
