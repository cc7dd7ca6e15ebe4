//! A mutation fuzzer for stable Rust: decode + analysis on mutated JPEG and PNG files.
//!
//! cargo-fuzz needs nightly (see `fuzz/`); this harness needs nothing. It renders a few synthetic
//! scenes (the scene generator), encodes them in every flavour idshot reads (JPEG colour and grey,
//! with EXIF orientation; PNG RGB, RGBA, grey, 16-bit), then mutates them with a seeded RNG: bit
//! flips, interesting bytes, truncations, chunk splices, deletions, duplications, and declared
//! dimensions rewritten (PNG chunk CRCs fixed up half the time so the decoder looks deeper). Each
//! input goes through `imageio::decode_image` and, when it decodes, `Analyzer::analyze`. A panic is
//! caught, and the input and its backtrace are written to the crash folder.
//!
//! ```text
//! cargo run --release --no-default-features --example fuzz_stable -- --seconds 600
//!     [--iterations N] [--seed S] [--crashes DIR]
//! ```
//! Exit code 0 when every input ran clean, 1 when something crashed.

use std::backtrace::Backtrace;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use idshot::analysis::{Analyzer, Spec};
use idshot::imageio::decode_image;
use idshot::scene::{Placement, SceneSpec, render};
use image::{DynamicImage, ImageEncoder, RgbImage};

/// How often progress is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);
/// Largest number of mutations stacked on one input.
const MAX_STACKED_MUTATIONS: u64 = 4;
/// Largest chunk moved by a splice, deletion or duplication (bytes).
const MAX_CHUNK: usize = 512;

/// The message and backtrace of the last panic, filled in by the panic hook.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

struct Args {
    seconds: Option<f64>,
    iterations: Option<u64>,
    seed: u64,
    crashes: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: None,
        iterations: None,
        seed: 1,
        crashes: PathBuf::from("target/fuzz-crashes"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => args.seconds = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--iterations" => args.iterations = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("{e}"))?,
            "--crashes" => args.crashes = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.seconds.is_none() && args.iterations.is_none() {
        args.seconds = Some(60.0);
    }
    Ok(args)
}

/// SplitMix64: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (0 when n is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    match img.write_with_encoder(encoder) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

fn encode_png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut out);
    match encoder.write_image(
        img.as_bytes(),
        img.width(),
        img.height(),
        img.color().into(),
    ) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// Valid files of every kind idshot reads, made from synthetic scenes.
fn seed_corpus() -> Vec<Vec<u8>> {
    let scene = |w: u32, h: u32, seed: u64, fill: f32| -> RgbImage {
        let spec = SceneSpec {
            width: w,
            height: h,
            seed,
            placement: Placement::Pose {
                center: (0.5, 0.5),
                fill,
                pitch_deg: 5.0,
                yaw_deg: -4.0,
                roll_deg: 3.0,
                hfov_deg: idshot::scene::DEFAULT_HFOV_DEG,
            },
            ..SceneSpec::default()
        };
        render(&spec).image
    };
    let small = DynamicImage::ImageRgb8(scene(320, 240, 1, 0.65));
    let wide = DynamicImage::ImageRgb8(scene(480, 270, 2, 0.8));
    let tiny = DynamicImage::ImageRgb8(scene(64, 48, 3, 0.6));
    let mut corpus = vec![
        encode_jpeg(&small, 90),
        encode_jpeg(&wide, 60),
        encode_jpeg(&tiny, 95),
        encode_jpeg(&DynamicImage::ImageLuma8(small.to_luma8()), 85),
        idshot::scene::with_exif_orientation(&encode_jpeg(&wide, 80), 6, false),
        idshot::scene::with_exif_orientation(&encode_jpeg(&small, 80), 3, false),
        encode_png(&small),
        encode_png(&tiny),
        encode_png(&DynamicImage::ImageRgba8(wide.to_rgba8())),
        encode_png(&DynamicImage::ImageLuma8(tiny.to_luma8())),
        encode_png(&DynamicImage::ImageRgb16(tiny.to_rgb16())),
        encode_png(&DynamicImage::ImageLumaA8(tiny.to_luma_alpha8())),
    ];
    corpus.retain(|c| !c.is_empty());
    corpus
}

const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0xD8, 0xD9];

/// One seeded mutation of `data` (`other` is another corpus file, for splices).
fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let len = data.len();
    match rng.below(9) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(len);
                if let Some(b) = data.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        1 => {
            let i = rng.below(len);
            let v = INTERESTING.get(rng.below(INTERESTING.len())).copied();
            if let (Some(b), Some(v)) = (data.get_mut(i), v) {
                *b = v;
            }
        }
        2 => data.truncate(rng.below(len + 1)),
        3 => {
            // Splice: overwrite with a chunk of another file (headers and scans mix).
            let n = 1 + rng.below(MAX_CHUNK);
            let from = rng.below(other.len());
            let chunk = other
                .get(from..(from + n).min(other.len()))
                .unwrap_or_default();
            let at = rng.below(len);
            for (k, b) in chunk.iter().enumerate() {
                if let Some(d) = data.get_mut(at + k) {
                    *d = *b;
                }
            }
        }
        4 => {
            let n = 1 + rng.below(MAX_CHUNK);
            let from = rng.below(other.len());
            let chunk = other
                .get(from..(from + n).min(other.len()))
                .unwrap_or_default();
            let at = rng.below(len + 1).min(data.len());
            data.splice(at..at, chunk.iter().copied());
        }
        5 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(MAX_CHUNK)).min(len);
            if at < end {
                data.drain(at..end);
            }
        }
        6 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(MAX_CHUNK)).min(len);
            let chunk: Vec<u8> = data.get(at..end).unwrap_or_default().to_vec();
            data.splice(at..at, chunk);
        }
        7 => rewrite_dimensions(rng, data),
        _ => {
            // A random 16-bit field somewhere (lengths, counts, table indices).
            let i = rng.below(len.saturating_sub(1));
            let v = (rng.next() as u16).to_be_bytes();
            if let Some(d) = data.get_mut(i..i + 2) {
                d.copy_from_slice(&v);
            }
        }
    }
}

/// A declared size the decoder must survive: tiny, odd, just under and far over the limits.
fn odd_dimension(rng: &mut Rng) -> u32 {
    const SIZES: [u32; 10] = [0, 1, 2, 7, 8, 17, 4097, 16_384, 16_385, 65_535];
    SIZES
        .get(rng.below(SIZES.len()))
        .copied()
        .unwrap_or(1)
        .max(if rng.below(4) == 0 {
            rng.below(2048) as u32
        } else {
            0
        })
}

/// Rewrites the width or height in the JPEG SOF or PNG IHDR header.
fn rewrite_dimensions(rng: &mut Rng, data: &mut [u8]) {
    let value = odd_dimension(rng);
    if data.starts_with(&[0x89, b'P', b'N', b'G']) {
        // IHDR data starts at 16: width (4 bytes), height (4 bytes).
        let at = 16 + 4 * rng.below(2);
        if let Some(d) = data.get_mut(at..at + 4) {
            d.copy_from_slice(&value.to_be_bytes());
        }
        return;
    }
    let sof = data
        .windows(2)
        .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0..=0xC2));
    if let Some(at) = sof {
        // Marker, length (2), precision (1), height (2), width (2).
        let at = at + 5 + 2 * rng.below(2);
        let v = (value.min(u32::from(u16::MAX)) as u16).to_be_bytes();
        if let Some(d) = data.get_mut(at..at + 2) {
            d.copy_from_slice(&v);
        }
    }
}

/// Recomputes every PNG chunk CRC, so mutations get past the CRC check to the decoder proper.
fn fix_png_crcs(data: &mut [u8]) {
    let mut at = 8;
    while let Some(len) = data
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    {
        let body_end = at + 8 + len;
        let Some(body) = data.get(at + 4..body_end) else {
            return;
        };
        let crc = crc32(body).to_be_bytes();
        match data.get_mut(body_end..body_end + 4) {
            Some(d) => d.copy_from_slice(&crc),
            None => return,
        }
        at = body_end + 4;
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[derive(Default)]
struct Tally {
    iterations: u64,
    decoded: u64,
    rejected: u64,
    multi_line_errors: u64,
    crashes: u64,
}

/// Where a panic happened.
#[derive(Clone, Copy, Debug)]
enum Stage {
    Decode,
    Analyze,
}

fn run_one(input: &[u8], analyzer: &mut Analyzer, tally: &mut Tally) -> Result<(), Stage> {
    let decoded = catch_unwind(|| decode_image(input)).map_err(|_| Stage::Decode)?;
    match decoded {
        Ok(loaded) => {
            tally.decoded += 1;
            catch_unwind(AssertUnwindSafe(|| analyzer.analyze(&loaded.rgb)))
                .map(|_| ())
                .map_err(|_| Stage::Analyze)
        }
        Err(e) => {
            tally.rejected += 1;
            if e.to_string().contains('\n') {
                tally.multi_line_errors += 1;
                eprintln!("multi-line error: {e:?}");
            }
            Ok(())
        }
    }
}

fn save_crash(dir: &PathBuf, iteration: u64, stage: Stage, input: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let base = dir.join(format!("crash-{iteration:08}-{stage:?}"));
    std::fs::write(base.with_extension("bin"), input)?;
    let report = LAST_PANIC
        .lock()
        .map(|m| m.clone().unwrap_or_default())
        .unwrap_or_default();
    let mut f = std::fs::File::create(base.with_extension("txt"))?;
    writeln!(f, "stage: {stage:?}\n{report}")
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fuzz_stable: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    std::panic::set_hook(Box::new(|info| {
        let text = format!("{info}\n{}", Backtrace::force_capture());
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(text);
        }
    }));
    let corpus = seed_corpus();
    eprintln!(
        "fuzz_stable: {} seed files, seed {}, {} s / {} iterations",
        corpus.len(),
        args.seed,
        args.seconds.map_or("-".to_owned(), |s| s.to_string()),
        args.iterations.map_or("-".to_owned(), |n| n.to_string())
    );
    let mut rng = Rng(args.seed);
    let mut analyzer = Analyzer::new(Spec::default());
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut last_progress = started;
    let deadline = args.seconds.map(|s| started + Duration::from_secs_f64(s));
    loop {
        if args.iterations.is_some_and(|n| tally.iterations >= n)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let base = corpus
            .get(rng.below(corpus.len()))
            .cloned()
            .unwrap_or_default();
        let other = corpus
            .get(rng.below(corpus.len()))
            .cloned()
            .unwrap_or_default();
        let mut input = base;
        for _ in 0..1 + rng.below(MAX_STACKED_MUTATIONS as usize) {
            mutate_once(&mut rng, &mut input, &other);
        }
        if input.starts_with(&[0x89, b'P', b'N', b'G']) && rng.below(2) == 0 {
            fix_png_crcs(&mut input);
        }
        if let Err(stage) = run_one(&input, &mut analyzer, &mut tally) {
            tally.crashes += 1;
            // The analyzer's scratch state may be half-updated.
            analyzer = Analyzer::new(Spec::default());
            match save_crash(&args.crashes, tally.iterations, stage, &input) {
                Ok(()) => eprintln!(
                    "crash in {stage:?} at iteration {}: saved in {}",
                    tally.iterations,
                    args.crashes.display()
                ),
                Err(e) => eprintln!("crash in {stage:?}; cannot save it: {e}"),
            }
        }
        tally.iterations += 1;
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            eprintln!(
                "{:.0} s: {} iterations, {} decoded, {} rejected, {} crashes",
                started.elapsed().as_secs_f64(),
                tally.iterations,
                tally.decoded,
                tally.rejected,
                tally.crashes
            );
        }
    }
    println!(
        "fuzz_stable: {} iterations in {:.1} s ({} decoded and analysed, {} rejected with an error, {} multi-line errors), {} crashes",
        tally.iterations,
        started.elapsed().as_secs_f64(),
        tally.decoded,
        tally.rejected,
        tally.multi_line_errors,
        tally.crashes
    );
    if tally.crashes == 0 && tally.multi_line_errors == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
