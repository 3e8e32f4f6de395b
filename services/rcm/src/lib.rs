//! The library behind the `rcm` binary: which services to run, the demo, replay commands.

pub mod demo;
pub mod report;
pub mod sandbox;
pub mod services;
