//! Soak run: the real pipeline (capture thread, newest-wins channel, analysis worker, guidance,
//! saver) over a looped 1080p replay at 30 fps, paced in real time, for a given duration.
//!
//! Frames are synthetic 1080p demo scenes (a card coming in, every fault, then holding still),
//! rendered once and kept as JPEG bytes, or the frames of `--frames DIR`; the capture thread decodes
//! one per tick as a webcam's MJPEG stream would. Prints RSS (VmRSS) at start, after warm-up and at
//! the end, the largest RSS seen, and the frame counts: captured, analysed, dropped (by design when
//! analysis takes longer than a frame interval: the newest frame wins), backlog and errors.
//!
//! ```text
//! cargo run --release --no-default-features --example soak -- --seconds 1800 [--frames DIR] [--fps 30]
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use idshot::analysis::DocKind;
use idshot::imageio::decode_image;
use idshot::pipeline::{Pipeline, PipelineConfig};
use idshot::scene::demo::{DEMO_LOOP_SECS, demo_spec};
use idshot::scene::render;
use idshot::source::{FrameSource, SourceError, SourceFrame, factory};
use image::ImageEncoder;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
/// Synthetic frames per loop: the demo script sampled this many times (every third frame of one
/// loop at 30 fps, so the loop still shows every phase).
const SYNTHETIC_FRAMES: usize = 110;
/// A webcam's MJPEG quality, roughly.
const JPEG_QUALITY: u8 = 85;
/// RSS is sampled this often; "after warm-up" is the first sample past this time.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
const WARM_UP: Duration = Duration::from_secs(20);
const REPORT_EVERY: Duration = Duration::from_secs(60);

struct Args {
    seconds: f64,
    fps: f64,
    frames: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 600.0,
        fps: 30.0,
        frames: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => args.seconds = value.parse().map_err(|e| format!("{e}"))?,
            "--fps" => args.fps = value.parse().map_err(|e| format!("{e}"))?,
            "--frames" => args.frames = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// The resident set size of this process, in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// Encoded frames played in a loop, paced to wall-clock time, decoded on the capture thread.
struct LoopedFrames {
    frames: Vec<Vec<u8>>,
    fps: f64,
    next: u64,
    started: Option<Instant>,
    end: Duration,
}

impl FrameSource for LoopedFrames {
    fn describe(&self) -> String {
        format!(
            "looped replay of {} frames at {} fps",
            self.frames.len(),
            self.fps
        )
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        let t_secs = self.next as f64 / self.fps;
        let started = *self.started.get_or_insert_with(Instant::now);
        if Duration::from_secs_f64(t_secs) >= self.end {
            return Ok(None);
        }
        let index = (self.next % self.frames.len().max(1) as u64) as usize;
        self.next += 1;
        let bytes = self
            .frames
            .get(index)
            .ok_or_else(|| SourceError::Other("no frames".to_owned()))?;
        let image = decode_image(bytes)
            .map_err(|e| SourceError::Other(format!("frame {index}: {e}")))?
            .rgb;
        let due = started + Duration::from_secs_f64(t_secs);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        Ok(Some(SourceFrame {
            image,
            t_secs,
            name: None,
        }))
    }
}

fn synthetic_frames() -> Vec<Vec<u8>> {
    (0..SYNTHETIC_FRAMES)
        .map(|i| {
            let t = i as f32 * DEMO_LOOP_SECS / SYNTHETIC_FRAMES as f32;
            let image = render(&demo_spec(t, WIDTH, HEIGHT, DocKind::Id1, 1)).image;
            let mut out = Vec::new();
            let encoded =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                    .write_image(
                        image.as_raw(),
                        image.width(),
                        image.height(),
                        image::ExtendedColorType::Rgb8,
                    );
            match encoded {
                Ok(()) => out,
                Err(_) => Vec::new(),
            }
        })
        .filter(|f| !f.is_empty())
        .collect()
}

fn folder_frames(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect()
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rss_start = rss_kib();
    let frames = match &args.frames {
        Some(dir) => match folder_frames(dir) {
            Ok(f) if !f.is_empty() => f,
            Ok(_) => {
                eprintln!("soak: no frames in {}", dir.display());
                return std::process::ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("soak: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        None => synthetic_frames(),
    };
    let encoded_bytes: usize = frames.iter().map(Vec::len).sum();
    let rss_frames = rss_kib();
    println!(
        "soak: {} frames ({:.1} MiB encoded) looped at {} fps for {} s; RSS at start {}, with the frames {}",
        frames.len(),
        encoded_bytes as f64 / 1_048_576.0,
        args.fps,
        args.seconds,
        mib(rss_start),
        mib(rss_frames)
    );
    let source = LoopedFrames {
        frames,
        fps: args.fps,
        next: 0,
        started: None,
        end: Duration::from_secs_f64(args.seconds.max(0.0)),
    };
    let pipeline = match Pipeline::start(factory(source), PipelineConfig::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("soak: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut rss_warm = None;
    let mut rss_max = 0u64;
    let mut last_report = started;
    let mut shots = 0usize;
    while !pipeline.is_finished() {
        std::thread::sleep(SAMPLE_EVERY);
        // A UI would take these every frame; taking them keeps the mailbox as it is in the app.
        let _ = pipeline.latest();
        shots += pipeline.take_shots().len();
        let rss = rss_kib();
        rss_max = rss_max.max(rss.unwrap_or(0));
        if rss_warm.is_none() && started.elapsed() >= WARM_UP {
            rss_warm = rss;
        }
        if last_report.elapsed() >= REPORT_EVERY {
            last_report = Instant::now();
            let s = pipeline.stats();
            println!(
                "{:>5.0} s: RSS {}, captured {}, analysed {}, dropped {}, backlog {}",
                started.elapsed().as_secs_f64(),
                mib(rss),
                s.captured,
                s.analysed,
                s.dropped,
                s.captured.saturating_sub(s.analysed + s.dropped)
            );
        }
    }
    let error = pipeline.source_error();
    let rss_end = rss_kib();
    let stats = pipeline.stop();
    let backlog = stats
        .captured
        .saturating_sub(stats.analysed + stats.dropped);
    let growth = match (rss_warm, rss_end) {
        (Some(w), Some(e)) => format!("{:+.1} MiB", (e as f64 - w as f64) / 1024.0),
        _ => "-".to_owned(),
    };
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} ms"));
    println!(
        "soak: {:.0} s; RSS start {}, after {} s warm-up {}, end {}, max {} (growth since warm-up {}); \
         captured {}, analysed {}, dropped {} ({:.1}%), backlog {}; latency median {}, p99 {}, max {}; \
         {} shots; errors: {}",
        started.elapsed().as_secs_f64(),
        mib(rss_start),
        WARM_UP.as_secs(),
        mib(rss_warm),
        mib(rss_end),
        mib(Some(rss_max)),
        growth,
        stats.captured,
        stats.analysed,
        stats.dropped,
        100.0 * stats.dropped as f64 / stats.captured.max(1) as f64,
        backlog,
        ms(stats.latency_median_ms),
        ms(stats.latency_p99_ms),
        ms(stats.latency_max_ms),
        shots,
        error.as_deref().unwrap_or("none")
    );
    if error.is_some() {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    }
}
