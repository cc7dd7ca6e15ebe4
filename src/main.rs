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
    /// Start capturing this document right away, skipping the start screen.
    #[arg(long, value_enum, value_name = "DOCUMENT")]
    document: Option<DocumentArg>,
    /// Close the app after this many seconds (to measure the preview's frame pacing).
    #[arg(long, value_name = "SECS")]
    quit_after: Option<f64>,
    /// How the app draws its window: OpenGL (works everywhere, fast on software rendering) or
    /// wgpu (Vulkan/Metal/DX12) where OpenGL misbehaves.
    #[arg(long, value_enum, default_value = "glow")]
    renderer: RendererArg,
}

/// `--renderer`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum RendererArg {
    Glow,
    Wgpu,
}

/// `--document`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum DocumentArg {
    IdCard,
    Passport,
    DrivingLicence,
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
    use idshot::ui::{AppOptions, DocChoice, SourceChoice};
    let source = match (&args.source, &args.camera) {
        (Some(s), _) => SourceChoice::parse(s),
        (None, camera) => SourceChoice::Camera(camera.clone()),
    };
    let quit_after = match args.quit_after {
        Some(secs) => Some(
            std::time::Duration::try_from_secs_f64(secs)
                .map_err(|_| anyhow::anyhow!("--quit-after: {secs} is not a number of seconds"))?,
        ),
        None => None,
    };
    let renderer = match args.renderer {
        RendererArg::Glow => idshot::ui::Renderer::Glow,
        RendererArg::Wgpu => idshot::ui::Renderer::Wgpu,
    };
    idshot::ui::run(
        AppOptions {
            start_doc: args.document.map(|d| match d {
                DocumentArg::IdCard => DocChoice::IdCard,
                DocumentArg::Passport => DocChoice::Passport,
                DocumentArg::DrivingLicence => DocChoice::DrivingLicence,
            }),
            quit_after,
            ..AppOptions::new(source)
        },
        renderer,
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn run_app(_args: &Args) -> anyhow::Result<ExitCode> {
    Err(anyhow::anyhow!(
        "this build has no desktop app (feature `gui`): use `idshot check PATH` or `idshot replay`"
    ))
}
