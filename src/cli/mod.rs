//! The command line: a thin shell over the library.

pub mod check;
pub mod json;
pub mod replay;

use clap::{Parser, Subcommand, ValueEnum};

use crate::analysis::KindChoice;

#[derive(Debug, Parser)]
#[command(
    name = "idshot",
    version,
    about = "Take ID card and passport photos that pass KYC review"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check photos you already took: every check, with what to fix.
    Check(check::CheckArgs),
    /// Run the live pipeline headless over a folder of frames.
    Replay(replay::ReplayArgs),
}

/// `--kind`: which document to look for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Decide from the outline's shape.
    #[default]
    Auto,
    /// An ID-1 card: ID card, driving licence.
    IdCard,
    /// A passport data page (TD3).
    Passport,
}

impl From<KindArg> for KindChoice {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Auto => KindChoice::Auto,
            KindArg::IdCard => KindChoice::IdCard,
            KindArg::Passport => KindChoice::Passport,
        }
    }
}
