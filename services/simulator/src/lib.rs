//! A clearinghouse and payer simulator for the demo and the tests (not one of the six services).
//!
//! - [`answer::answer_with`]: the pure answer to one 837P file (999, 277CA, 835s), deterministic
//!   from the file, the settings ([`SimulatorConfig`], its seed first), a date, and what the payer
//!   remembers of the claims it answered before ([`answered`], for duplicates); [`adjudicate`]
//!   states the payer's rules, [`era`] how the 835s carry them.
//! - [`run`]: the file loop that answers each `<data_dir>/<tenant>/outbound/*.837` once.

pub mod adjudicate;
pub mod answer;
pub mod answered;
pub mod config;
pub mod era;
pub mod hash;
pub mod run;

pub use answer::{Answer, AnswerError, ClaimAnswer, answer, answer_with};
pub use config::SimulatorConfig;
pub use run::{answer_file, answer_file_with, run};
