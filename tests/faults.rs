//! Camera and analysis faults through the real pipeline threads: a fault-injecting source
//! (unplugged, stalled, read error, format change), a camera that comes back, corrupt MJPEG, and a
//! panicking analysis. No timing assertions: waits have generous deadlines and only fail on hangs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use idshot::analysis::{Analyzer, FrameReport, Spec};
use idshot::pipeline::{
    AnalyzerFactory, Event, FrameAnalyzer, Pipeline, PipelineConfig, Reopen, Update,
};
use idshot::scene::{SceneSpec, render};
use idshot::source::faulty::UNPLUGGED;
use idshot::source::{
    DemoSource, Fault, FaultySource, FrameSource, SourceError, SourceFrame, factory,
};
use image::RgbImage;

/// Long enough for anything here on a loaded 2-core machine; reached only when something hangs.
const DEADLINE: Duration = Duration::from_secs(60);
const W: u32 = 320;
const H: u32 = 180;

fn demo(frames: u64) -> DemoSource {
    DemoSource::new(W, H, 30.0).unpaced().with_limit(frames)
}

fn lossless() -> PipelineConfig {
    PipelineConfig {
        lossless: true,
        ..PipelineConfig::default()
    }
}

fn frames_of(pipeline: &Pipeline) -> Vec<Update> {
    let mut frames = Vec::new();
    while let Some(ev) = pipeline.next_event() {
        if let Event::Frame(u) = ev {
            frames.push(*u);
        }
    }
    frames
}

/// Waits until `cond` holds; panics (a hang) after [`DEADLINE`].
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn unplugged_camera_ends_the_stream_with_the_reason() {
    let source = FaultySource::new(demo(100)).with_fault(12, Fault::Unplug);
    let pipeline = Pipeline::start(factory(source), lossless()).expect("starts");
    let frames = frames_of(&pipeline);
    assert_eq!(
        frames.len(),
        12,
        "every frame before the unplug is analysed"
    );
    let error = pipeline.source_error();
    let stats = pipeline.stop();
    assert_eq!(
        error.as_deref(),
        Some(&*format!("camera error: {UNPLUGGED}"))
    );
    assert_eq!((stats.source_errors, stats.reopened), (1, 0));
}

/// Opens a camera that is unplugged after some frames, gone for a few tries, then back.
struct FlakyCamera {
    opens: Arc<AtomicU64>,
    frames_before_unplug: u64,
    absent_tries: u64,
    frames_after_return: u64,
}

impl FlakyCamera {
    fn open(&self) -> Result<Box<dyn FrameSource>, SourceError> {
        let n = self.opens.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            let first =
                FaultySource::new(demo(1000)).with_fault(self.frames_before_unplug, Fault::Unplug);
            Ok(Box::new(first))
        } else if n <= self.absent_tries {
            Err(SourceError::NoCamera)
        } else {
            Ok(Box::new(demo(self.frames_after_return).with_seed(2)))
        }
    }
}

#[test]
fn camera_that_comes_back_is_reopened_and_frames_continue_in_order() {
    let opens = Arc::new(AtomicU64::new(0));
    let camera = FlakyCamera {
        opens: Arc::clone(&opens),
        frames_before_unplug: 8,
        absent_tries: 3,
        frames_after_return: 10,
    };
    let reopen = Reopen {
        delay: Duration::from_millis(20),
        max_attempts: 10,
    };
    let pipeline = Pipeline::start_reopening(Box::new(move || camera.open()), reopen, lossless())
        .expect("starts");
    let frames = frames_of(&pipeline);
    let error = pipeline.source_error();
    let stats = pipeline.stop();
    assert_eq!(
        opens.load(Ordering::SeqCst),
        5,
        "first open, 3 absent, back"
    );
    assert_eq!(frames.len(), 18);
    assert_eq!(
        frames.iter().map(|u| u.seq).collect::<Vec<_>>(),
        (0..18).collect::<Vec<_>>(),
        "sequence numbers go on across the reopen"
    );
    assert!(
        frames.windows(2).all(|w| w[1].t_secs > w[0].t_secs),
        "time never goes backwards across the reopen"
    );
    assert_eq!(error, None, "back to normal");
    assert_eq!((stats.source_errors, stats.reopened), (1, 1));
}

#[test]
fn while_the_camera_is_away_the_pipeline_says_so() {
    let opens = Arc::new(AtomicU64::new(0));
    let camera = FlakyCamera {
        opens: Arc::clone(&opens),
        frames_before_unplug: 4,
        absent_tries: u64::MAX,
        frames_after_return: 0,
    };
    let reopen = Reopen {
        delay: Duration::from_millis(10),
        max_attempts: u32::MAX,
    };
    let config = PipelineConfig::default();
    let pipeline =
        Pipeline::start_reopening(Box::new(move || camera.open()), reopen, config).expect("starts");
    wait_for("the unplug is reported", || {
        pipeline.source_error().is_some()
    });
    wait_for("a failed reopen is reported", || {
        pipeline.source_error().as_deref() == Some("no camera found")
    });
    assert!(!pipeline.is_finished(), "still trying");
    // Stopping while it waits for the camera does not hang.
    let stats = pipeline.stop();
    assert_eq!(
        (stats.captured, stats.source_errors, stats.reopened),
        (4, 1, 0)
    );
}

#[test]
fn giving_up_after_the_last_attempt_keeps_the_error() {
    let opens = Arc::new(AtomicU64::new(0));
    let camera = FlakyCamera {
        opens: Arc::clone(&opens),
        frames_before_unplug: 3,
        absent_tries: u64::MAX,
        frames_after_return: 0,
    };
    let reopen = Reopen {
        delay: Duration::from_millis(1),
        max_attempts: 4,
    };
    let pipeline = Pipeline::start_reopening(Box::new(move || camera.open()), reopen, lossless())
        .expect("starts");
    assert_eq!(frames_of(&pipeline).len(), 3);
    assert_eq!(pipeline.source_error().as_deref(), Some("no camera found"));
    pipeline.stop();
    assert_eq!(opens.load(Ordering::SeqCst), 1 + 4);
}

#[test]
fn a_transient_read_error_without_reopen_ends_the_stream_cleanly() {
    let source =
        FaultySource::new(demo(30)).with_fault(5, Fault::ReadError("select timeout".into()));
    let pipeline = Pipeline::start(factory(source), lossless()).expect("starts");
    assert_eq!(frames_of(&pipeline).len(), 5);
    assert_eq!(
        pipeline.source_error().as_deref(),
        Some("camera error: select timeout")
    );
}

#[test]
fn a_stall_is_visible_and_the_stream_resumes() {
    let stall = Duration::from_millis(400);
    let source = FaultySource::new(demo(12)).with_fault(6, Fault::Stall(stall));
    let pipeline = Pipeline::start(factory(source), PipelineConfig::default()).expect("starts");
    // During the stall the age of the last frame grows while no error is reported.
    wait_for("the stall shows", || {
        pipeline.since_last_frame().is_some_and(|d| d >= stall / 2) && !pipeline.is_finished()
    });
    assert_eq!(pipeline.source_error(), None);
    wait_for("the stream ends", || pipeline.is_finished());
    let stats = pipeline.stop();
    assert_eq!(stats.captured, 12);
    assert_eq!(stats.analysed + stats.dropped, 12);
}

#[test]
fn a_format_change_mid_stream_is_analysed_at_the_new_size() {
    let source = FaultySource::new(demo(16)).with_fault(
        8,
        Fault::Resize {
            width: 640,
            height: 360,
        },
    );
    let pipeline = Pipeline::start(factory(source), lossless()).expect("starts");
    let frames = frames_of(&pipeline);
    let stats = pipeline.stop();
    assert_eq!(frames.len(), 16);
    for u in &frames {
        let expected = if u.seq < 8 { (W, H) } else { (640, 360) };
        assert_eq!(u.frame.dimensions(), expected, "frame {}", u.seq);
        assert_eq!(
            (u.report.width, u.report.height),
            expected,
            "frame {}",
            u.seq
        );
    }
    assert_eq!(stats.analysis_panics, 0);
}

/// The real analysis, except that the given calls (counted over every instance) panic.
struct PanicsOnCalls {
    inner: Analyzer,
    calls: Arc<AtomicU64>,
    panic_on: &'static [u64],
}

impl FrameAnalyzer for PanicsOnCalls {
    fn analyze(&mut self, frame: &RgbImage) -> FrameReport {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(
            !self.panic_on.contains(&call),
            "injected analysis panic on call {call}"
        );
        self.inner.analyze(frame)
    }
}

#[test]
fn a_panic_in_one_frames_analysis_does_not_bring_the_pipeline_down() {
    let calls = Arc::new(AtomicU64::new(0));
    let built = Arc::new(AtomicU64::new(0));
    let make: AnalyzerFactory = {
        let (calls, built) = (Arc::clone(&calls), Arc::clone(&built));
        Arc::new(move || {
            built.fetch_add(1, Ordering::SeqCst);
            Box::new(PanicsOnCalls {
                inner: Analyzer::new(Spec::default()),
                calls: Arc::clone(&calls),
                panic_on: &[3, 7],
            }) as Box<dyn FrameAnalyzer>
        })
    };
    let source = StillCard {
        image: render(&SceneSpec::default()).image,
        left: 10,
        next: 0,
    };
    let pipeline =
        Pipeline::start_with_analyzer(factory(source), lossless(), make).expect("starts");
    let frames = frames_of(&pipeline);
    let stats = pipeline.stop();
    assert_eq!(frames.len(), 10, "every frame still gets a report");
    for u in &frames {
        let crashed = u.seq == 3 || u.seq == 7;
        if crashed {
            assert!(!u.report.ready, "a crashed frame is never ready");
            assert!(u.report.document.is_none());
            assert!(u.report.checks.iter().all(|c| !c.pass && c.value.is_none()));
        } else {
            assert!(u.report.document.is_some(), "frame {} analysed", u.seq);
        }
    }
    assert_eq!(stats.analysis_panics, 2);
    assert_eq!(
        built.load(Ordering::SeqCst),
        3,
        "a fresh analyzer after each panic"
    );
}

/// The same well-placed card, `left` more times.
struct StillCard {
    image: RgbImage,
    left: u64,
    next: u64,
}

impl FrameSource for StillCard {
    fn describe(&self) -> String {
        "a still card".to_owned()
    }

    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.next += 1;
        Ok(Some(SourceFrame {
            image: self.image.clone(),
            t_secs: self.next as f64 / 30.0,
            name: None,
        }))
    }
}

#[cfg(feature = "camera")]
mod mjpeg {
    use idshot::source::camera::decode_mjpeg;
    use image::{ImageEncoder, Rgb, RgbImage};

    fn frame_jpeg() -> Vec<u8> {
        let img = RgbImage::from_fn(160, 120, |x, y| Rgb([(x * 3) as u8, (y * 2) as u8, 128]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .write_image(img.as_raw(), 160, 120, image::ExtendedColorType::Rgb8)
            .expect("encodes");
        out
    }

    #[test]
    fn a_good_frame_decodes() {
        let img = decode_mjpeg(&frame_jpeg()).expect("decodes");
        assert_eq!(img.dimensions(), (160, 120));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cases: [&[u8]; 5] = [
            b"",
            &[0xFF, 0xD8],
            &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
            &[0u8; 4096],
            b"\x89PNG\r\n\x1a\n not a camera frame",
        ];
        for bytes in cases {
            assert!(decode_mjpeg(bytes).is_none(), "{bytes:?}");
        }
    }

    #[test]
    fn a_frame_cut_short_is_an_error_at_every_length() {
        let full = frame_jpeg();
        for cut in (0..full.len()).step_by(97).chain([full.len() - 1]) {
            assert!(
                decode_mjpeg(full.get(..cut).unwrap_or_default()).is_none(),
                "cut at {cut} of {}",
                full.len()
            );
        }
    }

    #[test]
    fn flipped_bits_never_panic() {
        let full = frame_jpeg();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..300 {
            let mut bytes = full.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state % bytes.len() as u64) as usize;
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= 1 << (state >> 61);
                }
            }
            // Some flips only change pixels; what matters is an answer instead of a panic.
            let _ = decode_mjpeg(&bytes);
        }
    }
}
