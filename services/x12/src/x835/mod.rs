//! 835 (005010X221A1): the health care claim payment/advice (electronic remittance advice).
//!
//! - [`parse_835`] reads every 835 transaction set of a file into a [`Document835`]: one
//!   [`Remittance`] per ST..SE, and [`Document835::findings`] for envelope problems, skipped
//!   segments and the balancing rules of [`balance`].
//! - [`write_835`] / [`write_835_with`] write remittances as one interchange that pyx12 accepts.
//! - [`generate`] makes deterministic synthetic remittances and files for tests and benchmarks.
//!
//! Reading policy:
//! - Transaction sets other than 835 are skipped with an `x835.other_transaction` warning; a file
//!   with no 835 is an [`X12Error::WrongTransaction`](crate::X12Error::WrongTransaction).
//! - Errors (reading stops, with the segment position): no BPR, TRN, N1*PR or N1*PE; a required
//!   element that is empty (e.g. CLP01..CLP04, CLP06, CLP07, SVC01-1, SVC02, SVC03); an amount, date
//!   or quantity that cannot be read.
//! - Findings (reading goes on): segments with no place where they are (`x835.unexpected_segment`,
//!   warning), "not used" TS3 elements (`x835.unused_element`, warning), a missing or bad BPR16
//!   (`x835.payment_date`, error), claims before any LX (`x835.claim_without_lx`, warning), and the
//!   imbalances `balance.line`, `balance.claim`, `balance.transaction` (errors).
//! - Messages name segments, elements, positions and claim/line ordinals, never element values.
//!
//! Speed: about 350 MB/s of thread CPU time on a generated 50 MB 835 (`examples/x835_speed.rs`;
//! `--bench` for the criterion bench's file), some 27 instructions a byte. The bodies are read
//! during the envelope walk (one scan of the file, not two), separators found 64 bytes at a time;
//! elements are cut from the segment without checking again what the tokenizer guarantees; lists
//! are built in reused scratch space and moved once into exactly sized Vecs; balancing sums are kept
//! as amounts are read; dates go through a cache. Most of what is left is building the model: its
//! allocations and the memory they fill.

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
