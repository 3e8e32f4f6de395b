//! Errors that stop a bundle from being read at all.
//!
//! Messages name positions, resource types and field names only, never content: a bundle is one patient's
//! record and its text is PHI.

use thiserror::Error;

/// Why a bundle could not be read. Everything short of these becomes a [`crate::Finding`] instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FhirError {
    /// The input is not well-formed JSON (or not UTF-8). Line and column are 1-based; the column is 0 at end of input.
    #[error("input is not valid JSON: {kind} at line {line}, column {column}")]
    InvalidJson {
        /// "syntax error", "unexpected end of input" or "unreadable input".
        kind: &'static str,
        line: usize,
        column: usize,
    },
    /// Well-formed JSON, but not a FHIR Bundle. `resource_type` is the resourceType found, or a description in
    /// parentheses when there is none.
    #[error("expected a FHIR Bundle, found resourceType {resource_type}")]
    NotABundle { resource_type: String },
    /// A Bundle whose `entry` is not a list of entries. Line and column are 1-based.
    #[error("Bundle.entry is not a list of entries (line {line}, column {column})")]
    MalformedBundle { line: usize, column: usize },
    /// A Bundle without any Patient resource: the encounters would have no one to bill for.
    #[error("the Bundle has no Patient resource")]
    NoPatient,
}

impl FhirError {
    pub(crate) fn invalid_json(e: &serde_json::Error) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Eof => "unexpected end of input",
            serde_json::error::Category::Io => "unreadable input",
            _ => "syntax error",
        };
        FhirError::InvalidJson { kind, line: e.line(), column: e.column() }
    }
}

/// A resourceType as it may appear in a message: FHIR type names are ASCII letters. Anything else is described,
/// not quoted, so that a field holding PHI by mistake never reaches a message.
pub(crate) fn printable_type(resource_type: &str) -> String {
    if !resource_type.is_empty() && resource_type.len() <= 64 && resource_type.bytes().all(|b| b.is_ascii_alphabetic())
    {
        resource_type.to_owned()
    } else {
        "(not a FHIR type name)".to_owned()
    }
}

/// An id as it may appear in a message: FHIR ids are `[A-Za-z0-9\-\.]{1,64}`. Anything else is not quoted.
pub(crate) fn printable_id(id: Option<&str>) -> String {
    match id {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
        {
            id.to_owned()
        }
        Some(_) => "(invalid id)".to_owned(),
        None => "(no id)".to_owned(),
    }
}
