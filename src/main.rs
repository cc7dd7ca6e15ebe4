use std::process::ExitCode;

use clap::Parser;
use idshot::cli::{Cli, Command, check, replay};

/// The command line: the subcommands, plus the desktop app's flags for when none is given.
#[derive(Debug, Parser)]
#[command(
    name = "idshot",
    version,
    about = "Take ID card and passport photos that pass KYC review",
    long_about = "Take ID card and passport photos that pass KYC review.\n\nWith no subcommand, opens the desktop app on the default camera. Keys: Space takes the photo now, R retakes, M mirrors the preview, Esc goes back."
)]
struct Args {
    #[command(flatten)]
    cli: Cli,
    /// The app's camera, by name (or part of it) or index.
    #[arg(long, value_name = "NAME|INDEX", conflicts_with = "source")]
    camera: Option<String>,
    /// The app's frames from elsewhere: `demo` (a synthetic scene) or a folder of frames.
    #[arg(long, value_name = "demo|PATH")]
    source: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.cli.command {
        Some(Command::Check(a)) => check::run(a),
        Some(Command::Replay(a)) => replay::run(a),
        None => run_app(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("idshot: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "gui")]
fn run_app(args: &Args) -> anyhow::Result<ExitCode> {
    use idshot::ui::{AppOptions, SourceChoice};
    let source = match (&args.source, &args.camera) {
        (Some(s), _) => SourceChoice::parse(s),
        (None, camera) => SourceChoice::Camera(camera.clone()),
    };
    idshot::ui::run(AppOptions {
        source,
        save_dir: None,
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn run_app(_args: &Args) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!(
        "this build has no desktop app (feature `gui`): use `idshot check PATH` or `idshot replay`"
    ))
}
