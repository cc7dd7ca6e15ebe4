//! `idshot check [--json] [--kind id-card|passport|auto] PATH...`
//!
//! Checks photos already taken: the seven image checks of the live app plus what an upload form
//! checks on the file (format, size, resolution). Files are checked in parallel and reported in
//! the order given. Exit code: 0 every file ready, 1 some file not ready, 2 some file unreadable.

use std::io::{IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

use super::KindArg;
use super::json::{error_line, prediction_line};
use crate::analysis::{Analyzer, CheckId, DocKind, FrameReport, MrzFinding, Spec};
use crate::hints::Hint;
use crate::imageio::{self, FileCheck, Level, LoadedImage};

/// Extensions picked up from a folder (files given by name are read whatever they are called).
const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

const EXIT_READY: u8 = 0;
const EXIT_NOT_READY: u8 = 1;
const EXIT_UNREADABLE: u8 = 2;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// One JSON object a line, in the predictions format.
    #[arg(long)]
    pub json: bool,
    /// Which document the photos show.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    pub kind: KindArg,
    /// Image files (JPEG or PNG) or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// One thing to check: a file, or an argument that could not even be listed.
#[derive(Debug)]
enum Input {
    File { path: PathBuf, shown: String },
    Unlistable { shown: String, error: String },
}

/// What checking one file gave.
#[derive(Debug)]
pub struct Checked {
    pub report: FrameReport,
    pub file_checks: [FileCheck; 3],
    pub loaded_format: imageio::FileFormat,
    pub orientation_applied: bool,
}

impl Checked {
    /// Ready to upload: every image check passes and no file check fails (warnings are fine).
    pub fn ready(&self) -> bool {
        self.report.ready && self.file_checks.iter().all(|c| c.level != Level::Fail)
    }
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let inputs = expand(&args.paths);
    let spec = Spec {
        kind: args.kind.into(),
        ..Spec::default()
    };
    let progress = progress_bar(inputs.len());
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, Result<Checked, String>)>();

    let mut exit = EXIT_READY;
    std::thread::scope(|scope| {
        let inputs = &inputs;
        let stop = &stop;
        let spec = &spec;
        scope.spawn(move || {
            inputs.par_iter().enumerate().for_each_init(
                || Analyzer::new(spec.clone()),
                |analyzer, (index, input)| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let outcome = match input {
                        Input::File { path, .. } => check_file(analyzer, spec, path),
                        Input::Unlistable { error, .. } => Err(error.clone()),
                    };
                    // The receiver only goes away when output failed; then nobody wants this.
                    let _ = tx.send((index, outcome));
                },
            );
        });

        // Print strictly in input order while the workers finish in any order.
        let mut pending: Vec<Option<Result<Checked, String>>> =
            inputs.iter().map(|_| None).collect();
        let mut next = 0;
        let mut stdout = std::io::stdout().lock();
        for (index, outcome) in rx.iter() {
            progress.inc(1);
            if let Some(slot) = pending.get_mut(index) {
                *slot = Some(outcome);
            }
            while let Some(outcome) = pending.get_mut(next).and_then(Option::take) {
                let shown = inputs.get(next).map_or("", Input::shown);
                exit = exit.max(exit_code(&outcome));
                let written = progress.suspend(|| emit(&mut stdout, shown, &outcome, args.json));
                if written.is_err() {
                    // stdout closed (e.g. piped into `head`): stop quietly, there is no one to tell.
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                next += 1;
            }
        }
    });
    progress.finish_and_clear();
    Ok(ExitCode::from(exit))
}

fn exit_code(outcome: &Result<Checked, String>) -> u8 {
    match outcome {
        Ok(checked) if checked.ready() => EXIT_READY,
        Ok(_) => EXIT_NOT_READY,
        Err(_) => EXIT_UNREADABLE,
    }
}

impl Input {
    fn shown(&self) -> &str {
        match self {
            Input::File { shown, .. } | Input::Unlistable { shown, .. } => shown,
        }
    }
}

/// Files stay as given; folders become the images inside them, sorted by name.
fn expand(paths: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if !path.is_dir() {
            inputs.push(Input::File {
                path: path.clone(),
                shown: path.display().to_string(),
            });
            continue;
        }
        let shown = path.display().to_string();
        match list_images(path) {
            Ok(files) if files.is_empty() => inputs.push(Input::Unlistable {
                shown,
                error: "no .jpg, .jpeg or .png files in this folder".to_owned(),
            }),
            Ok(files) => inputs.extend(files.into_iter().map(|f| Input::File {
                shown: f.display().to_string(),
                path: f,
            })),
            Err(err) => inputs.push(Input::Unlistable {
                shown,
                error: format!("cannot list the folder: {err}"),
            }),
        }
    }
    inputs
}

fn list_images(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_image = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)));
        if is_image && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads, decodes and judges one file. Errors are one line, without the file name.
pub fn check_file(analyzer: &mut Analyzer, spec: &Spec, path: &Path) -> Result<Checked, String> {
    let loaded = imageio::read_image(path).map_err(|e| e.to_string())?;
    let extension = path.extension().and_then(|e| e.to_str());
    let file_checks = imageio::file_checks(&loaded, extension);
    let report = analyze_guarded(analyzer, spec, &loaded)?;
    Ok(Checked {
        report,
        file_checks,
        loaded_format: loaded.format,
        orientation_applied: loaded.orientation_applied.is_some(),
    })
}

/// A bug in the analysis on one photo must not lose the verdicts on all the others.
fn analyze_guarded(
    analyzer: &mut Analyzer,
    spec: &Spec,
    loaded: &LoadedImage,
) -> Result<FrameReport, String> {
    catch_unwind(AssertUnwindSafe(|| analyzer.analyze(&loaded.rgb))).map_err(|_| {
        // Its scratch state may be half-updated: start the next photo from a fresh one.
        *analyzer = Analyzer::new(spec.clone());
        "internal error while analysing the image (please report it)".to_owned()
    })
}

fn progress_bar(len: usize) -> ProgressBar {
    if len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// Writes one file's result: a JSON line or a checklist on stdout, errors as one line on stderr.
fn emit(
    out: &mut impl Write,
    shown: &str,
    outcome: &Result<Checked, String>,
    json: bool,
) -> std::io::Result<()> {
    if let Err(error) = outcome {
        let _ = writeln!(std::io::stderr(), "idshot: {shown}: {error}");
    }
    if json {
        let line = match outcome {
            Ok(checked) => json_line(shown, checked),
            Err(error) => error_line(shown, error),
        };
        writeln!(out, "{line}")
    } else {
        match outcome {
            Ok(checked) => write!(out, "{}", checklist(shown, checked)),
            // Already said on stderr; repeating it on stdout would say it twice on a terminal.
            Err(_) => Ok(()),
        }
    }
}

/// The predictions line plus the file-level checks (extra keys, ignored by the scorer).
pub fn json_line(shown: &str, checked: &Checked) -> Value {
    let mut line = prediction_line(shown, &checked.report);
    let file_checks: Map<String, Value> = checked
        .file_checks
        .iter()
        .map(|c| {
            let value = json!({ "level": c.level, "pass": c.level != Level::Fail, "value": c.value, "hint": c.hint });
            (c.id.name().to_owned(), value)
        })
        .collect();
    if let Value::Object(map) = &mut line {
        map.insert("file_checks".to_owned(), Value::Object(file_checks));
        map.insert("format".to_owned(), json!(checked.loaded_format.name()));
        map.insert(
            "orientation_applied".to_owned(),
            json!(checked.orientation_applied),
        );
    }
    line
}

const MARK_PASS: &str = "✓";
const MARK_WARN: &str = "!";
const MARK_FAIL: &str = "✗";
/// The longest label, the MRZ's ("Machine-readable lines"), fits.
const LABEL_WIDTH: usize = 22;
const VALUE_WIDTH: usize = 34;

/// The readable checklist for one file.
pub fn checklist(shown: &str, checked: &Checked) -> String {
    let report = &checked.report;
    let verdict = if checked.ready() {
        "ready".to_owned()
    } else {
        let fix = report.hint.map(|h| h.text()).or_else(|| {
            checked
                .file_checks
                .iter()
                .find(|c| c.level == Level::Fail)
                .and_then(|c| c.hint)
        });
        format!("not ready: {}", fix.unwrap_or("see below"))
    };
    let mut text = format!("{shown}: {verdict}\n");
    for check in &checked.file_checks {
        let mark = match check.level {
            Level::Pass => MARK_PASS,
            Level::Warn => MARK_WARN,
            Level::Fail => MARK_FAIL,
        };
        text += &row(mark, check.id.label(), &check.value, check.hint);
    }
    for id in CheckId::ALL {
        let check = report.check(id);
        let mark = if check.pass { MARK_PASS } else { MARK_FAIL };
        text += &row(
            mark,
            id.label(),
            &value_text(report, id),
            check.hint.map(|h| h.text()),
        );
    }
    // A passport page wholly in view: its machine-readable zone, without which it is not ready.
    if let Some(zone) = report.mrz {
        let (mark, value, hint) = if zone.present {
            (MARK_PASS, "two lines found", None)
        } else {
            (
                MARK_FAIL,
                "not found at the page's bottom",
                Some(Hint::MrzUnreadable.text()),
            )
        };
        text += &row(mark, MrzFinding::LABEL, value, hint);
    }
    text
}

fn row(mark: &str, label: &str, value: &str, hint: Option<&str>) -> String {
    let line = format!(
        "  {mark} {label:<LABEL_WIDTH$} {value:<VALUE_WIDTH$} {}",
        hint.unwrap_or("")
    );
    format!("{}\n", line.trim_end())
}

/// The measured value of one check, with units, for people.
fn value_text(report: &FrameReport, id: CheckId) -> String {
    let m = &report.measures;
    let parts: Vec<String> = match id {
        CheckId::Document => match &report.document {
            Some(doc) => {
                vec![format!(
                    "{} ({:.0}% sure)",
                    kind_name(doc.kind),
                    doc.confidence * 100.0
                )]
            }
            None => vec!["none found".to_owned()],
        },
        CheckId::Corners => {
            let mut parts: Vec<String> = m
                .corner_margin
                .map(|c| {
                    if c >= 0.0 {
                        format!("{:.1}% inside", c * 100.0)
                    } else {
                        format!("{:.1}% outside", -c * 100.0)
                    }
                })
                .into_iter()
                .collect();
            let covered: Vec<&str> = ["TL", "TR", "BR", "BL"]
                .iter()
                .enumerate()
                .filter(|(i, _)| m.covered_corners & (1 << i) != 0)
                .map(|(_, name)| *name)
                .collect();
            if !covered.is_empty() {
                parts.push(format!("covered {}", covered.join(" ")));
            }
            parts
        }
        CheckId::Distance => [
            m.fill.map(|f| format!("fills {:.0}%", f * 100.0)),
            m.ppmm.map(|p| format!("{p:.1} px/mm")),
        ]
        .into_iter()
        .flatten()
        .collect(),
        CheckId::Tilt => [
            m.tilt_deg.map(|t| format!("tilted {t:.0}°")),
            m.roll_deg.map(|r| format!("turned {r:.0}°")),
        ]
        .into_iter()
        .flatten()
        .collect(),
        CheckId::Focus => match (m.print_blur_mm, m.blur_mm) {
            // The outline's edges read blurry, the print inside sharp (`print_focus`).
            // (The print is read only beside an edge reading, so never without one.)
            (Some(p), Some(b)) => vec![format!("print blur {p:.2} mm (edges {b:.2})")],
            (None, Some(b)) => vec![format!("blur {b:.2} mm")],
            // Passed unread: the light is at fault (see `Analyzer::judge`).
            (_, None) if report.check(id).pass => vec!["not readable in this light".to_owned()],
            (_, None) => Vec::new(),
        },
        CheckId::Glare => m
            .glare_frac
            .map(|g| format!("{:.1}% glare", g * 100.0))
            .into_iter()
            .collect(),
        CheckId::Exposure => [
            m.luma_mean.map(|l| format!("brightness {l:.0}/255")),
            m.clipped_frac
                .filter(|c| *c > 0.0)
                .map(|c| format!("{:.1}% clipped", c * 100.0)),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    if !parts.is_empty() {
        return parts.join(", ");
    }
    // No measure to show: fall back on the check's own value, or a dash when nothing was measured.
    report
        .check(id)
        .value
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Id1 => "ID card",
        DocKind::Td3 => "passport page",
    }
}
