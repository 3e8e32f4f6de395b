//! 837P (005010X222A1): the professional claim.

pub mod model;

pub use model::*;
