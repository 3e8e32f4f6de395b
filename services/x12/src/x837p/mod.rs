//! 837P (005010X222A1): the professional claim.

pub mod model;
pub mod read;
pub mod sample;
pub mod write;

pub use model::*;
pub use read::{Document837, parse_837p};
pub use write::{VERSION, WriteOptions, write_837p, write_837p_with};
