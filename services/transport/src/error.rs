//! One error type for every transport, so callers decide on retries without knowing which one runs.
//!
//! Every message starts with the transport's description (never credentials) and names the file
//! when there is one; none carries file content.

/// What went wrong moving a file, and whether trying again can help ([`TransportError::is_retryable`]).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A setting is missing or wrong; nothing was sent.
    #[error("{transport}: bad configuration: {reason}")]
    Config { transport: String, reason: String },

    /// The name cannot be a plain file name in the remote folder (a path, a dot file, a temp name).
    #[error("{transport}: {name:?} is not a usable file name: {reason}")]
    InvalidName { transport: String, name: String, reason: &'static str },

    /// The server could not be reached or the connection broke (refused, reset, DNS, closed).
    #[error("{transport}: {op} {name}: connection failed: {reason}")]
    Connect { transport: String, op: &'static str, name: String, reason: String },

    /// The server refused our credentials (SSH key, bearer token).
    #[error("{transport}: authentication refused: {reason}")]
    Auth { transport: String, reason: String },

    /// The server is not the one configured: unknown or changed SSH host key, TLS certificate
    /// not signed by the configured CA or not for this host.
    #[error("{transport}: server not trusted: {reason}")]
    UntrustedServer { transport: String, reason: String },

    /// The operation did not finish within the configured time.
    #[error("{transport}: {op} {name}: timed out after {after_ms} ms")]
    Timeout { transport: String, op: &'static str, name: String, after_ms: u64 },

    /// The remote already holds a different file of this name. It is left as it is: two different
    /// files under one name mean something upstream is wrong, and overwriting would hide it.
    #[error(
        "{transport}: put {name}: a different file of that name is already there ({}ours {size} bytes); not overwritten",
        remote_size.map(|s| format!("there {s} bytes, ")).unwrap_or_default()
    )]
    Conflict { transport: String, name: String, size: u64, remote_size: Option<u64> },

    /// No such file (or folder) on the remote.
    #[error("{transport}: {op} {name}: no such file")]
    NotFound { transport: String, op: &'static str, name: String },

    /// An HTTP status the protocol does not expect for this call.
    #[error("{transport}: {op} {name}: server answered HTTP {status}")]
    Status { transport: String, op: &'static str, name: String, status: u16 },

    /// A file system or SFTP failure on an open connection.
    #[error("{transport}: {op} {name}: {reason}")]
    Io { transport: String, op: &'static str, name: String, reason: String, retryable: bool },

    /// The server answered something the protocol does not allow (bad JSON, bad listing).
    #[error("{transport}: {op} {name}: unexpected answer: {reason}")]
    Protocol { transport: String, op: &'static str, name: String, reason: String },
}

impl TransportError {
    /// True when the same call may succeed later without anyone changing anything: network
    /// failures, timeouts, 5xx/408/429. Authentication, trust, conflicts, missing files and bad
    /// settings need a person.
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Connect { .. } | TransportError::Timeout { .. } => true,
            TransportError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            TransportError::Io { retryable, .. } => *retryable,
            TransportError::Config { .. }
            | TransportError::InvalidName { .. }
            | TransportError::Auth { .. }
            | TransportError::UntrustedServer { .. }
            | TransportError::Conflict { .. }
            | TransportError::NotFound { .. }
            | TransportError::Protocol { .. } => false,
        }
    }

    /// A short stable label for metrics (`outcome="conflict"` and so on).
    pub fn label(&self) -> &'static str {
        match self {
            TransportError::Config { .. } => "config",
            TransportError::InvalidName { .. } => "invalid_name",
            TransportError::Connect { .. } => "connect",
            TransportError::Auth { .. } => "auth",
            TransportError::UntrustedServer { .. } => "untrusted_server",
            TransportError::Timeout { .. } => "timeout",
            TransportError::Conflict { .. } => "conflict",
            TransportError::NotFound { .. } => "not_found",
            TransportError::Status { .. } => "status",
            TransportError::Io { .. } => "io",
            TransportError::Protocol { .. } => "protocol",
        }
    }
}

/// The crate's result.
pub type Result<T, E = TransportError> = std::result::Result<T, E>;

/// The causes of an error, joined, for messages: libraries often say only "error sending
/// request" at the top and the useful part ("connection refused") further down.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        // Wrappers often repeat their source's text; keep each piece once.
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_only_for_what_time_can_fix() {
        let t = || "sftp://u@h:22".to_string();
        assert!(TransportError::Status { transport: t(), op: "put", name: "a".into(), status: 503 }.is_retryable());
        assert!(TransportError::Status { transport: t(), op: "put", name: "a".into(), status: 429 }.is_retryable());
        assert!(!TransportError::Status { transport: t(), op: "put", name: "a".into(), status: 404 }.is_retryable());
        assert!(
            TransportError::Connect { transport: t(), op: "put", name: "a".into(), reason: "x".into() }.is_retryable()
        );
        assert!(!TransportError::Auth { transport: t(), reason: "x".into() }.is_retryable());
        assert!(!TransportError::UntrustedServer { transport: t(), reason: "x".into() }.is_retryable());
        let c = TransportError::Conflict { transport: t(), name: "a.837".into(), size: 3, remote_size: Some(4) };
        assert!(!c.is_retryable());
        assert_eq!(
            c.to_string(),
            "sftp://u@h:22: put a.837: a different file of that name is already there (there 4 bytes, ours 3 bytes); not overwritten"
        );
    }
}
