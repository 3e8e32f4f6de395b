//! `rcm`: one binary for every service and tool. The work is in the library crates.

mod x12;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "rcm", version, about = "Revenue-cycle platform: services, demo, replay and X12 tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read and check X12 files (837P, 835, 999, 277CA).
    X12 {
        #[command(subcommand)]
        command: x12::X12Command,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::X12 { command } => x12::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rcm: {e:#}");
            ExitCode::from(2)
        }
    }
}
