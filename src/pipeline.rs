//! The live pipeline: threads and channels between a frame source and the UI (or a headless
//! consumer).
//!
//! ```text
//! "idshot-capture"  source.next_frame() -> Frame { seq, captured_at, Arc<RgbImage> }
//!        | bounded(1) channel: live mode = newest frame wins (stale frame dropped and counted),
//!        |                     lossless mode = the capture thread waits (every frame analysed)
//! "idshot-analysis" Analyzer::analyze (it works on its own downscaled copy) -> Guide::update
//!        |          keeps the full-resolution frame of the sharpest hold-window candidate
//!        | capture decision -> "idshot-save" thread (writing never stalls analysis)
//!        v
//! live: `latest()` (a one-slot mailbox: the UI polls, never waits) + `take_shots()`
//! lossless: `next_event()` (every frame's update and every shot, in order, for replay --json)
//! ```
//!
//! Capture-to-report latency (frame captured -> its guidance ready) is measured on every frame.
//!
//! Faults: a panic inside the analysis of one frame is caught (that frame gets a not-ready report
//! with nothing measured, the analyzer is rebuilt, [`Stats::analysis_panics`] counts it) and the
//! pipeline goes on. A source that fails mid-stream ends the pipeline, unless it was started with
//! [`Pipeline::start_reopening`]: then the source is dropped and opened again until it returns
//! (a camera unplugged and plugged back), and [`Pipeline::source_error`] says what is wrong while
//! it is down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded, unbounded};
use image::RgbImage;

use crate::analysis::{Analyzer, Check, CheckId, FrameReport, Measures, Spec};
use crate::guidance::{CaptureDecision, Guidance, Guide, GuideSpec};
use crate::save::{SaveError, SavedShot, Shot, Side, write_shot};
use crate::source::{FrameSource, SourceError, SourceFactory};

/// How long a blocked send waits before looking at the stop flag again.
const STOP_POLL: Duration = Duration::from_millis(50);
/// Lossless mode: updates a slow consumer may fall behind before the worker waits for it.
const EVENT_QUEUE: usize = 64;
/// Latency histogram: bucket width and count (0.1 ms up to 2 s; slower frames land in the last).
const LATENCY_BUCKET_MS: f64 = 0.1;
const LATENCY_BUCKETS: usize = 20_000;

/// What the analysis worker runs on each frame: [`Analyzer`] in the app; tests inject faults.
pub trait FrameAnalyzer: Send {
    fn analyze(&mut self, frame: &RgbImage) -> FrameReport;
}

impl FrameAnalyzer for Analyzer {
    fn analyze(&mut self, frame: &RgbImage) -> FrameReport {
        Analyzer::analyze(self, frame)
    }
}

/// Builds the worker's analyzer, at start and again after a panic (its scratch state may be
/// half-updated then).
pub type AnalyzerFactory = Arc<dyn Fn() -> Box<dyn FrameAnalyzer> + Send + Sync>;

/// Opens the source, on the capture thread, as many times as [`Reopen`] allows.
pub type SourceOpener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>, SourceError> + Send>;

/// How a source that failed mid-stream is opened again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reopen {
    /// Wait between a failure and the next try to open.
    pub delay: Duration,
    /// Failed opens in a row before giving up (the error then stays, and the pipeline ends).
    pub max_attempts: u32,
}

impl Default for Reopen {
    /// A camera that comes back within about a minute is picked up again.
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(500),
            max_attempts: 120,
        }
    }
}

/// How the pipeline runs.
#[derive(Clone, Debug, Default)]
pub struct PipelineConfig {
    pub spec: Spec,
    pub guide_spec: GuideSpec,
    /// Where shots go; None: decisions are made and reported, nothing is written.
    pub save_dir: Option<PathBuf>,
    pub side: Side,
    /// Every frame is analysed and reported (replay for scoring); otherwise the newest frame wins.
    pub lossless: bool,
}

/// One frame in flight.
#[derive(Clone, Debug)]
pub struct Frame {
    /// 0 for the first frame of the source, then +1 for every frame it delivered.
    pub seq: u64,
    pub captured_at: Instant,
    /// Source time (see [`crate::source::SourceFrame::t_secs`]).
    pub t_secs: f64,
    pub name: Option<String>,
    pub image: Arc<RgbImage>,
}

/// The result of one analysed frame.
#[derive(Clone, Debug)]
pub struct Update {
    pub seq: u64,
    pub t_secs: f64,
    pub name: Option<String>,
    /// The full-resolution frame, un-mirrored (the UI mirrors its preview if it wants to).
    pub frame: Arc<RgbImage>,
    pub report: FrameReport,
    pub guidance: Guidance,
    /// From capture to this update.
    pub latency: Duration,
}

/// A shot taken: the decision, and the files written (or why not).
#[derive(Clone, Debug)]
pub struct ShotEvent {
    pub decision: CaptureDecision,
    /// The saved frame's name, for replay.
    pub name: Option<String>,
    /// None when the pipeline has no save folder.
    pub saved: Option<Result<SavedShot, String>>,
}

/// A shot whose files could not be written (folder gone, disk full): the frame and its verdict
/// stay in memory so it can be saved elsewhere ([`Pipeline::take_unsaved`]).
#[derive(Clone, Debug)]
pub struct UnsavedShot {
    pub decision: CaptureDecision,
    pub name: Option<String>,
    /// Why it was not saved.
    pub error: String,
    pub frame: Arc<RgbImage>,
    pub report: FrameReport,
    spec: Spec,
    guide_spec: GuideSpec,
    side: Side,
    source: String,
}

impl UnsavedShot {
    /// Writes the shot into another folder, exactly as the pipeline would have.
    pub fn save_to(&self, dir: &std::path::Path) -> Result<SavedShot, SaveError> {
        let shot = Shot {
            frame: &self.frame,
            report: &self.report,
            decision: &self.decision,
            spec: &self.spec,
            guide_spec: &self.guide_spec,
            side: self.side,
            source: &self.source,
        };
        write_shot(dir, &shot, SystemTime::now())
    }
}

/// Unsaved shots kept at most (full frames: memory stays bounded if saving keeps failing).
const MAX_UNSAVED: usize = 4;

/// What lossless mode delivers.
#[derive(Clone, Debug)]
pub enum Event {
    Frame(Box<Update>),
    Shot(Box<ShotEvent>),
}

/// Counters and latency figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub captured: u64,
    pub dropped: u64,
    pub analysed: u64,
    pub latency_median_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    /// Frames whose analysis panicked (each got a not-ready report instead).
    pub analysis_panics: u64,
    /// Times the source failed mid-stream.
    pub source_errors: u64,
    /// Times a failed source was opened again.
    pub reopened: u64,
}

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    manual: AtomicBool,
    captured: AtomicU64,
    dropped: AtomicU64,
    analysed: AtomicU64,
    analysis_panics: AtomicU64,
    source_errors: AtomicU64,
    reopened: AtomicU64,
    last_frame_at: Mutex<Option<Instant>>,
    latest: Mutex<Option<Update>>,
    shots: Mutex<Vec<ShotEvent>>,
    unsaved: Mutex<Vec<UnsavedShot>>,
    source_error: Mutex<Option<String>>,
    latency: Mutex<LatencyHistogram>,
}

/// Fixed-size histogram, so a long run keeps memory flat.
#[derive(Debug)]
struct LatencyHistogram {
    counts: Vec<u32>,
    total: u64,
    max_ms: f64,
}

impl LatencyHistogram {
    fn new() -> Self {
        Self {
            counts: vec![0; LATENCY_BUCKETS],
            total: 0,
            max_ms: 0.0,
        }
    }

    fn record(&mut self, d: Duration) {
        let ms = d.as_secs_f64() * 1000.0;
        let i = ((ms / LATENCY_BUCKET_MS) as usize).min(LATENCY_BUCKETS - 1);
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(1);
        }
        self.total += 1;
        self.max_ms = self.max_ms.max(ms);
    }

    /// Upper edge of the bucket holding quantile `q`.
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return Some((i + 1) as f64 * LATENCY_BUCKET_MS);
            }
        }
        Some(self.max_ms)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicked holder left plain data behind; keep going with it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running pipeline. Dropping it stops it.
#[derive(Debug)]
pub struct Pipeline {
    shared: Arc<Shared>,
    events: Option<Receiver<Event>>,
    threads: Vec<JoinHandle<()>>,
    source: String,
}

impl Pipeline {
    /// Builds the source on the capture thread and starts the threads. Fails (with every thread
    /// joined) when the source cannot be opened.
    pub fn start(factory: SourceFactory, config: PipelineConfig) -> Result<Pipeline, SourceError> {
        let analyzer = default_analyzer(&config.spec);
        Self::start_inner(open_once(factory), None, config, analyzer)
    }

    /// Like [`Pipeline::start`], and when the source fails mid-stream it is dropped and `open`
    /// is called again (after `reopen.delay`) until it works. The first open must work.
    pub fn start_reopening(
        open: SourceOpener,
        reopen: Reopen,
        config: PipelineConfig,
    ) -> Result<Pipeline, SourceError> {
        let analyzer = default_analyzer(&config.spec);
        Self::start_inner(open, Some(reopen), config, analyzer)
    }

    /// [`Pipeline::start_reopening`] when `reopen` is given, else a source opened once.
    pub fn start_opening(
        open: SourceOpener,
        reopen: Option<Reopen>,
        config: PipelineConfig,
    ) -> Result<Pipeline, SourceError> {
        let analyzer = default_analyzer(&config.spec);
        Self::start_inner(open, reopen, config, analyzer)
    }

    /// Like [`Pipeline::start`] with another analysis in place of [`Analyzer`] (fault injection).
    pub fn start_with_analyzer(
        factory: SourceFactory,
        config: PipelineConfig,
        analyzer: AnalyzerFactory,
    ) -> Result<Pipeline, SourceError> {
        Self::start_inner(open_once(factory), None, config, analyzer)
    }

    fn start_inner(
        open: SourceOpener,
        reopen: Option<Reopen>,
        config: PipelineConfig,
        make_analyzer: AnalyzerFactory,
    ) -> Result<Pipeline, SourceError> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            manual: AtomicBool::new(false),
            captured: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            analysed: AtomicU64::new(0),
            analysis_panics: AtomicU64::new(0),
            source_errors: AtomicU64::new(0),
            reopened: AtomicU64::new(0),
            last_frame_at: Mutex::new(None),
            latest: Mutex::new(None),
            shots: Mutex::new(Vec::new()),
            unsaved: Mutex::new(Vec::new()),
            source_error: Mutex::new(None),
            latency: Mutex::new(LatencyHistogram::new()),
        });
        let (frame_tx, frame_rx) = bounded::<Frame>(1);
        let (opened_tx, opened_rx) = bounded::<Result<String, SourceError>>(1);
        let (event_tx, event_rx) = if config.lossless {
            let (tx, rx) = bounded(EVENT_QUEUE);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let spawn_err =
            |e: std::io::Error| SourceError::Other(format!("cannot start a thread: {e}"));

        let capture = {
            let shared = Arc::clone(&shared);
            let stale_rx = frame_rx.clone();
            let lossless = config.lossless;
            std::thread::Builder::new()
                .name("idshot-capture".into())
                .spawn(move || {
                    let link = CaptureLink {
                        shared: &shared,
                        tx: &frame_tx,
                        stale_rx: &stale_rx,
                        lossless,
                    };
                    capture_loop(open, reopen, &link, &opened_tx)
                })
                .map_err(spawn_err)?
        };
        let source = match opened_rx.recv() {
            Ok(Ok(desc)) => desc,
            Ok(Err(e)) => {
                let _ = capture.join();
                return Err(e);
            }
            Err(_) => {
                let _ = capture.join();
                return Err(SourceError::Other(
                    "the capture thread ended before the source opened".into(),
                ));
            }
        };

        let (save_tx, save_rx) = unbounded::<SaveJob>();
        let saver = {
            let shared = Arc::clone(&shared);
            let events = event_tx.clone();
            let config = config.clone();
            let source = source.clone();
            std::thread::Builder::new()
                .name("idshot-save".into())
                .spawn(move || save_loop(&save_rx, &config, &source, &shared, events.as_ref()))
        };
        let worker = {
            let shared = Arc::clone(&shared);
            let config = config.clone();
            std::thread::Builder::new()
                .name("idshot-analysis".into())
                .spawn(move || {
                    analysis_loop(
                        &frame_rx,
                        &config,
                        &make_analyzer,
                        &shared,
                        &save_tx,
                        event_tx.as_ref(),
                    )
                })
        };
        let mut threads = vec![capture];
        let mut failed = None;
        for t in [saver, worker] {
            match t {
                Ok(t) => threads.push(t),
                Err(e) => failed = Some(spawn_err(e)),
            }
        }
        let pipeline = Pipeline {
            shared,
            events: event_rx,
            threads,
            source,
        };
        match failed {
            Some(e) => Err(e), // Dropping `pipeline` stops and joins what did start.
            None => Ok(pipeline),
        }
    }

    /// The source's description.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The newest update since the last call, without waiting (live mode; None in lossless mode).
    pub fn latest(&self) -> Option<Update> {
        lock(&self.shared.latest).take()
    }

    /// Shots taken since the last call (live mode).
    pub fn take_shots(&self) -> Vec<ShotEvent> {
        std::mem::take(&mut *lock(&self.shared.shots))
    }

    /// Shots whose saving failed since the last call, newest last (at most the last few), with
    /// their frames, to save elsewhere.
    pub fn take_unsaved(&self) -> Vec<UnsavedShot> {
        std::mem::take(&mut *lock(&self.shared.unsaved))
    }

    /// Lossless mode: the next update or shot, waiting for it; None once the source has ended and
    /// everything was delivered (and always None in live mode).
    pub fn next_event(&self) -> Option<Event> {
        self.events.as_ref()?.recv().ok()
    }

    /// Takes a shot of the next analysed frame, whatever its checks say.
    pub fn capture_now(&self) {
        self.shared.manual.store(true, Ordering::SeqCst);
    }

    /// True once the source has ended and every frame and shot has been handled.
    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// Why the source stopped early, if it did; with [`Pipeline::start_reopening`], what is wrong
    /// while the source is down (None again once it is back).
    pub fn source_error(&self) -> Option<String> {
        lock(&self.shared.source_error).clone()
    }

    /// Time since the source last delivered a frame (None before the first): a stalled camera
    /// shows here while `source_error` is still None.
    pub fn since_last_frame(&self) -> Option<Duration> {
        lock(&self.shared.last_frame_at).map(|t| t.elapsed())
    }

    pub fn stats(&self) -> Stats {
        let hist = lock(&self.shared.latency);
        Stats {
            captured: self.shared.captured.load(Ordering::SeqCst),
            dropped: self.shared.dropped.load(Ordering::SeqCst),
            analysed: self.shared.analysed.load(Ordering::SeqCst),
            latency_median_ms: hist.quantile(0.5),
            latency_p99_ms: hist.quantile(0.99),
            latency_max_ms: (hist.total > 0).then_some(hist.max_ms),
            analysis_panics: self.shared.analysis_panics.load(Ordering::SeqCst),
            source_errors: self.shared.source_errors.load(Ordering::SeqCst),
            reopened: self.shared.reopened.load(Ordering::SeqCst),
        }
    }

    /// Stops the source and joins every thread.
    pub fn stop(mut self) -> Stats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Unblocks a worker waiting on a consumer that stopped reading.
        self.events = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn default_analyzer(spec: &Spec) -> AnalyzerFactory {
    let spec = spec.clone();
    Arc::new(move || Box::new(Analyzer::new(spec.clone())) as Box<dyn FrameAnalyzer>)
}

/// An opener that opens once: a [`SourceFactory`] cannot be called twice.
fn open_once(factory: SourceFactory) -> SourceOpener {
    let mut factory = Some(factory);
    Box::new(move || match factory.take() {
        Some(f) => f(),
        None => Err(SourceError::Other(
            "the source cannot be opened again".into(),
        )),
    })
}

/// What the capture thread hands frames through.
struct CaptureLink<'a> {
    shared: &'a Shared,
    tx: &'a Sender<Frame>,
    stale_rx: &'a Receiver<Frame>,
    lossless: bool,
}

fn capture_loop(
    mut open: SourceOpener,
    reopen: Option<Reopen>,
    link: &CaptureLink<'_>,
    opened: &Sender<Result<String, SourceError>>,
) {
    let shared = link.shared;
    let mut source = match open() {
        Ok(s) => {
            let _ = opened.send(Ok(s.describe()));
            s
        }
        Err(e) => {
            let _ = opened.send(Err(e));
            return;
        }
    };
    let mut seq = 0u64;
    // A reopened source starts its clock at 0 again: its times are shifted past the last frame's
    // so guidance never sees time go backwards.
    let mut t_offset = 0.0f64;
    let mut last_t = 0.0f64;
    while !shared.stop.load(Ordering::SeqCst) {
        let sf = match source.next_frame() {
            Ok(Some(sf)) => sf,
            Ok(None) => break,
            Err(e) => {
                shared.source_errors.fetch_add(1, Ordering::SeqCst);
                *lock(&shared.source_error) = Some(e.to_string());
                let Some(reopen) = reopen else { break };
                // A camera must be released before it can be opened again.
                drop(source);
                let down_since = Instant::now();
                match reopen_source(&mut open, reopen, shared) {
                    Some(s) => source = s,
                    None => break,
                }
                shared.reopened.fetch_add(1, Ordering::SeqCst);
                *lock(&shared.source_error) = None;
                t_offset = last_t + down_since.elapsed().as_secs_f64();
                continue;
            }
        };
        last_t = sf.t_secs + t_offset;
        let frame = Frame {
            seq,
            captured_at: Instant::now(),
            t_secs: last_t,
            name: sf.name,
            image: Arc::new(sf.image),
        };
        seq += 1;
        shared.captured.fetch_add(1, Ordering::SeqCst);
        *lock(&shared.last_frame_at) = Some(frame.captured_at);
        let delivered = if link.lossless {
            send_waiting(link.tx, frame, shared)
        } else {
            send_newest(link.tx, link.stale_rx, frame, shared)
        };
        if !delivered {
            break;
        }
    }
}

/// Tries to open the source again, `reopen.delay` apart; None when stopped or out of attempts
/// (the last error is then in `source_error`).
fn reopen_source(
    open: &mut SourceOpener,
    reopen: Reopen,
    shared: &Shared,
) -> Option<Box<dyn FrameSource>> {
    for _ in 0..reopen.max_attempts {
        if !sleep_unless_stopped(reopen.delay, shared) {
            return None;
        }
        match open() {
            Ok(s) => return Some(s),
            Err(e) => *lock(&shared.source_error) = Some(e.to_string()),
        }
    }
    None
}

/// Sleeps in short steps so a stop is not kept waiting; false when stopped.
fn sleep_unless_stopped(total: Duration, shared: &Shared) -> bool {
    let until = Instant::now() + total;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(STOP_POLL));
    }
}

/// Lossless: waits for the worker, looking at the stop flag now and then.
fn send_waiting(tx: &Sender<Frame>, mut frame: Frame, shared: &Shared) -> bool {
    loop {
        match tx.send_timeout(frame, STOP_POLL) {
            Ok(()) => return true,
            Err(crossbeam_channel::SendTimeoutError::Timeout(f))
                if !shared.stop.load(Ordering::SeqCst) =>
            {
                frame = f
            }
            Err(_) => return false,
        }
    }
}

/// Live: the newest frame wins. A frame the worker has not taken yet is dropped and counted.
fn send_newest(
    tx: &Sender<Frame>,
    stale_rx: &Receiver<Frame>,
    mut frame: Frame,
    shared: &Shared,
) -> bool {
    loop {
        match tx.try_send(frame) {
            Ok(()) => return true,
            Err(TrySendError::Full(f)) => {
                if stale_rx.try_recv().is_ok() {
                    shared.dropped.fetch_add(1, Ordering::SeqCst);
                }
                frame = f;
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
    }
}

struct SaveJob {
    frame: Arc<RgbImage>,
    report: FrameReport,
    decision: CaptureDecision,
    name: Option<String>,
}

/// The frame kept for the shot: the current hold window's sharpest.
struct Kept {
    seq: u64,
    frame: Arc<RgbImage>,
    report: FrameReport,
    name: Option<String>,
}

/// Analyses one frame; a panic in the analysis gives a not-ready report with nothing measured
/// (so no shot can come of it), and the analyzer is rebuilt.
fn analyze_guarded(
    analyzer: &mut Box<dyn FrameAnalyzer>,
    make_analyzer: &AnalyzerFactory,
    frame: &RgbImage,
    shared: &Shared,
) -> FrameReport {
    match catch_unwind(AssertUnwindSafe(|| analyzer.analyze(frame))) {
        Ok(report) => report,
        Err(_) => {
            shared.analysis_panics.fetch_add(1, Ordering::SeqCst);
            *analyzer = make_analyzer();
            FrameReport::from_checks(
                frame.width(),
                frame.height(),
                None,
                CheckId::ALL.map(Check::unmeasured),
                Measures::default(),
            )
        }
    }
}

fn analysis_loop(
    rx: &Receiver<Frame>,
    config: &PipelineConfig,
    make_analyzer: &AnalyzerFactory,
    shared: &Shared,
    save_tx: &Sender<SaveJob>,
    events: Option<&Sender<Event>>,
) {
    let mut analyzer = make_analyzer();
    let mut guide = Guide::new(config.guide_spec.clone());
    let mut kept: Option<Kept> = None;
    for frame in rx.iter() {
        if shared.manual.swap(false, Ordering::SeqCst) {
            guide.request_capture();
        }
        let report = analyze_guarded(&mut analyzer, make_analyzer, &frame.image, shared);
        let guidance = guide.update(&report, frame.t_secs, frame.seq);

        if let Some(decision) = &guidance.capture {
            let job = match kept.take() {
                Some(k) if k.seq == decision.seq => SaveJob {
                    frame: k.frame,
                    report: k.report,
                    decision: decision.clone(),
                    name: k.name,
                },
                _ => SaveJob {
                    frame: Arc::clone(&frame.image),
                    report: report.clone(),
                    decision: decision.clone(),
                    name: frame.name.clone(),
                },
            };
            let _ = save_tx.send(job);
        }
        // Only the window's best frame is kept: memory stays flat however long the hold lasts.
        match guidance.best_seq {
            Some(s) if s == frame.seq => {
                kept = Some(Kept {
                    seq: s,
                    frame: Arc::clone(&frame.image),
                    report: report.clone(),
                    name: frame.name.clone(),
                });
            }
            Some(_) => {}
            None => kept = None,
        }

        let latency = frame.captured_at.elapsed();
        lock(&shared.latency).record(latency);
        shared.analysed.fetch_add(1, Ordering::SeqCst);
        let update = Update {
            seq: frame.seq,
            t_secs: frame.t_secs,
            name: frame.name,
            frame: frame.image,
            report,
            guidance,
            latency,
        };
        match events {
            Some(tx) => {
                if tx.send(Event::Frame(Box::new(update))).is_err() {
                    break;
                }
            }
            None => *lock(&shared.latest) = Some(update),
        }
    }
}

fn save_loop(
    rx: &Receiver<SaveJob>,
    config: &PipelineConfig,
    source: &str,
    shared: &Shared,
    events: Option<&Sender<Event>>,
) {
    for job in rx.iter() {
        let saved = config.save_dir.as_ref().map(|dir| {
            let shot = Shot {
                frame: &job.frame,
                report: &job.report,
                decision: &job.decision,
                spec: &config.spec,
                guide_spec: &config.guide_spec,
                side: config.side,
                source,
            };
            write_shot(dir, &shot, SystemTime::now()).map_err(|e| e.to_string())
        });
        if let Some(Err(error)) = &saved {
            let mut unsaved = lock(&shared.unsaved);
            if unsaved.len() >= MAX_UNSAVED {
                unsaved.remove(0);
            }
            unsaved.push(UnsavedShot {
                decision: job.decision.clone(),
                name: job.name.clone(),
                error: error.clone(),
                frame: Arc::clone(&job.frame),
                report: job.report.clone(),
                spec: config.spec.clone(),
                guide_spec: config.guide_spec.clone(),
                side: config.side,
                source: source.to_owned(),
            });
        }
        let event = ShotEvent {
            decision: job.decision,
            name: job.name,
            saved,
        };
        match events {
            Some(tx) => {
                let _ = tx.send(Event::Shot(Box::new(event)));
            }
            None => lock(&shared.shots).push(event),
        }
    }
}
