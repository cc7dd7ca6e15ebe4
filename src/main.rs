use std::process::ExitCode;

use clap::Parser;
use idshot::cli::{Cli, Command, check, replay};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Replay(args)) => replay::run(args),
        None => Err(anyhow::anyhow!(
            "the desktop app is not built yet: use `idshot check PATH`"
        )),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("idshot: {err:#}");
            ExitCode::from(2)
        }
    }
}
