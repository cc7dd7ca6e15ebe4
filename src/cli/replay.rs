//! `idshot replay PATH [--fps 30] [--json] [--out DIR]`
//!
//! The whole live pipeline, headless, over a folder of frames: the same capture thread, channel,
//! analysis worker, guidance policy and saver as the app.
//!
//! With `--json` the pipeline runs in lossless mode: the replay source still paces itself at
//! `--fps`, but when the analysis worker falls behind, the capture thread waits for it instead of
//! dropping the stale frame. The scorer needs exactly one prediction line per frame, and guidance
//! sees each frame's media time (index / fps), so the decisions are the same however loaded the
//! machine is. Without `--json` the live policy applies (the newest frame wins, drops are counted)
//! and a summary with the drop count and the capture-to-report latency is printed.
//!
//! Output (../shared/docs/formats.md): one prediction line per frame with `"frame": i`, and
//! `{"event": "capture", "frame": k, "path": "..."}` for each shot (`path` is null without
//! `--out`: scoring runs write nothing). Exit code 0, or 2 on unreadable input.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use super::KindArg;
use super::json::prediction_line;
use crate::analysis::Spec;
use crate::pipeline::{Event, Pipeline, PipelineConfig, ShotEvent};
use crate::source::{ReplaySource, factory};

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A folder of frames (JPEG or PNG, played in file-name order), e.g. a sequence folder.
    pub path: PathBuf,
    /// Frames per second to play at.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// One JSON line per frame and per capture (every frame is analysed: no drops).
    #[arg(long)]
    pub json: bool,
    /// Save the shots into this folder (nothing is written without it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which document the frames show.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    pub kind: KindArg,
}

pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let source = ReplaySource::open(&args.path, args.fps)?;
    let config = PipelineConfig {
        spec: Spec {
            kind: args.kind.into(),
            ..Spec::default()
        },
        save_dir: args.out.clone(),
        lossless: args.json,
        ..PipelineConfig::default()
    };
    let pipeline = Pipeline::start(factory(source), config)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shots = Vec::new();
    if args.json {
        while let Some(event) = pipeline.next_event() {
            let line = match event {
                Event::Frame(u) => {
                    let mut line = prediction_line(u.name.as_deref().unwrap_or(""), &u.report);
                    if let Value::Object(map) = &mut line {
                        map.insert("frame".to_owned(), json!(u.seq));
                    }
                    line
                }
                Event::Shot(s) => {
                    let line = capture_line(&s);
                    shots.push(*s);
                    line
                }
            };
            writeln!(out, "{line}").context("cannot write to standard output")?;
        }
    } else {
        while !pipeline_done(&pipeline) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            shots.extend(pipeline.take_shots());
        }
    }
    let error = pipeline.source_error();
    let stats = pipeline.stop();
    if !args.json {
        for s in &shots {
            writeln!(
                out,
                "capture at frame {}: {}",
                s.decision.seq,
                describe_saved(s)
            )?;
        }
        let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} ms"));
        writeln!(
            out,
            "{} frames captured, {} analysed, {} dropped; latency median {}, p99 {}, max {}; {} shot(s)",
            stats.captured,
            stats.analysed,
            stats.dropped,
            ms(stats.latency_median_ms),
            ms(stats.latency_p99_ms),
            ms(stats.latency_max_ms),
            shots.len()
        )?;
    }
    out.flush()?;
    drop(out);
    for s in &shots {
        if let Some(Err(e)) = &s.saved {
            eprintln!("idshot: shot of frame {} not saved: {e}", s.decision.seq);
        }
    }
    if let Some(e) = error {
        anyhow::bail!("{e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Live mode ends when the source has ended and every delivered frame was analysed.
fn pipeline_done(p: &Pipeline) -> bool {
    let _ = p.latest();
    p.is_finished()
}

fn capture_line(s: &ShotEvent) -> Value {
    let path = match &s.saved {
        Some(Ok(saved)) => json!(saved.original.display().to_string()),
        _ => Value::Null,
    };
    let mut line = json!({ "event": "capture", "frame": s.decision.seq, "path": path, "trigger": s.decision.trigger });
    if let (Some(Err(e)), Value::Object(map)) = (&s.saved, &mut line) {
        map.insert("error".to_owned(), json!(e));
    }
    line
}

fn describe_saved(s: &ShotEvent) -> String {
    match &s.saved {
        Some(Ok(saved)) => saved.original.display().to_string(),
        Some(Err(e)) => format!("not saved: {e}"),
        None => "not saved (no --out)".to_owned(),
    }
}
