//! X12 5010 for revenue-cycle work.
//!
//! - [`syntax`]: delimiters, segments, ISA/GS/ST envelopes, and a [`syntax::Writer`].
//! - [`x837p`]: the 837P (005010X222A1) claim model, writer and reader.
//! - [`x835`]: the 835 (005010X221A1) remittance reader with balancing checks.
//! - [`x999`]: the 999 (005010X231A1) implementation acknowledgement reader.
//! - [`x277ca`]: the 277CA (005010X214) claim acknowledgement reader.
//!
//! Pure Rust, no I/O. Readers never panic on bad input: they return an [`X12Error`] with the
//! segment's position, or the model with [`Finding`]s for problems that do not stop reading.

pub mod error;
pub mod syntax;
pub mod value;

pub use error::{Finding, Position, Result, Severity, X12Error};
pub mod x277ca;
pub mod x835;
pub mod x837p;
pub mod x999;
