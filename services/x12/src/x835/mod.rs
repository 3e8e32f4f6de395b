//! 835 (005010X221A1): the health care claim payment/advice (electronic remittance advice).
//!
//! - [`parse_835`] reads every 835 transaction set of a file into a [`Document835`], with findings for
//!   envelope problems, skipped segments and the balancing rules of [`balance`].
//! - [`write_835`] writes remittances as one interchange that pyx12 accepts.
//! - [`generate`] makes deterministic synthetic remittances for tests and benchmarks.

pub mod balance;
pub mod generate;
pub mod model;
mod read;
mod write;

pub use balance::balance_findings;
pub use model::*;
pub use read::{IMPLEMENTATION, codes, parse_835};
pub use write::{WriteOptions, write_835, write_835_with};

#[cfg(test)]
mod tests;
