//! A clearinghouse and payer simulator for the demo and the tests (not one of the six services).
//!
//! - [`answer::answer`]: the pure answer to one 837P file (999, 277CA, 835), deterministic from the
//!   file's claim content and a date ([`adjudicate`] states the rules).
//! - [`run`]: the file loop that answers each `<data_dir>/<tenant>/outbound/*.837` once.

pub mod adjudicate;
pub mod answer;
pub mod era;
pub mod hash;
pub mod run;

pub use answer::{Answer, AnswerError, ClaimAnswer, answer};
pub use run::{SimulatorConfig, answer_file, run};
