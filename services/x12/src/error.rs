//! Errors and findings.
//!
//! An [`X12Error`] means the input could not be read as the transaction it claims to be: the reader
//! stops there and says where. A [`Finding`] is a problem in a file that was read (an envelope count
//! that does not match, an 835 that does not balance): the model is still returned, with its findings.
//!
//! Messages name the segment, its position and the element, never the element's value: values can be
//! patient names, member ids or birth dates, and these messages end up in logs.

use serde::Serialize;
use std::fmt;

/// Where in the input a segment starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based ordinal of the segment in the file (ISA is segment 1).
    pub segment: usize,
    /// Byte offset of the segment's first character.
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {} (byte {})", self.segment, self.offset)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X12Error {
    /// The input does not start with an ISA segment.
    #[error("not an X12 interchange: {0}")]
    NotX12(String),
    /// The ISA header cannot be read: wrong width, bad or clashing delimiters.
    #[error("ISA header: {0}")]
    Isa(String),
    /// The input ends before the envelope is closed, or a segment has no terminator.
    #[error("truncated input: {0}")]
    Truncated(String),
    /// A segment that cannot be tokenized (bad identifier, too long, too many elements, bad bytes).
    #[error("{pos}: {msg}")]
    Syntax { pos: Position, msg: String },
    /// An envelope segment out of place (GS outside ISA, SE without ST, ...).
    #[error("{pos}: {msg}")]
    Envelope { pos: Position, msg: String },
    /// A segment the implementation guide requires is not there.
    #[error("{pos}: missing required segment {segment} {context}")]
    MissingSegment { pos: Position, segment: &'static str, context: String },
    /// An element that is required, or whose value cannot be read as its type.
    #[error("{pos}: {element} {msg}")]
    Element { pos: Position, element: String, msg: String },
    /// The transaction set is not the one the reader was asked for.
    #[error("{pos}: {msg}")]
    WrongTransaction { pos: Position, msg: String },
    /// The writer was given a value it cannot put in X12.
    #[error("cannot write {field}: {msg}")]
    Write { field: String, msg: String },
}

impl X12Error {
    pub fn element(pos: Position, element: impl Into<String>, msg: impl Into<String>) -> Self {
        X12Error::Element { pos, element: element.into(), msg: msg.into() }
    }

    /// Where the problem is, when it is at a segment.
    pub fn position(&self) -> Option<Position> {
        match self {
            X12Error::Syntax { pos, .. }
            | X12Error::Envelope { pos, .. }
            | X12Error::MissingSegment { pos, .. }
            | X12Error::Element { pos, .. }
            | X12Error::WrongTransaction { pos, .. } => Some(*pos),
            _ => None,
        }
    }
}

pub type Result<T, E = X12Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found in a file that could still be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `envelope.se_count` or `balance.claim`.
    pub code: &'static str,
    pub message: String,
    pub position: Option<Position>,
}

impl Finding {
    pub fn error(code: &'static str, position: Option<Position>, message: impl Into<String>) -> Self {
        Finding { severity: Severity::Error, code, message: message.into(), position }
    }

    pub fn warning(code: &'static str, position: Option<Position>, message: impl Into<String>) -> Self {
        Finding { severity: Severity::Warning, code, message: message.into(), position }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.position {
            Some(p) => write!(f, "{sev} [{}] {p}: {}", self.code, self.message),
            None => write!(f, "{sev} [{}] {}", self.code, self.message),
        }
    }
}
