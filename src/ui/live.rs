//! The live source as the UI sees it: a pipeline started and stopped on helper threads, so the
//! UI thread never waits for a camera to open or close, plus a waker that repaints the window
//! as soon as a new analysed frame is ready.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use crate::pipeline::{Pipeline, PipelineConfig, Reopen};
use crate::source::demo::DEMO_FPS;
use crate::source::{DemoSource, ReplaySource, SourceError, SourceFactory, factory};

use super::flow::DocChoice;

/// How often the waker looks for a new analysed frame: well under one frame at 60 fps, so a
/// frame is on screen within this long of being ready.
const WAKE_POLL: Duration = Duration::from_millis(3);
/// Replay folders play at this rate.
const REPLAY_FPS: f64 = 30.0;

/// Where frames come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    /// A webcam by name or index; None: the first one.
    Camera(Option<String>),
    /// The synthetic demo scene.
    Demo,
    /// A folder of frames played back.
    Replay(PathBuf),
}

impl SourceChoice {
    /// `--source demo|PATH`.
    pub fn parse(arg: &str) -> SourceChoice {
        if arg.eq_ignore_ascii_case("demo") {
            SourceChoice::Demo
        } else {
            SourceChoice::Replay(PathBuf::from(arg))
        }
    }

    /// Whether the source can be asked for a frame size (see [`SourceChoice::factory`]): the
    /// demo renders at it, a camera takes its largest mode within it; a folder of frames is as
    /// it was recorded.
    pub fn honours_resolution(&self) -> bool {
        matches!(self, SourceChoice::Demo | SourceChoice::Camera(_))
    }

    /// Builds the source for a document (the demo shows that document), at `resolution` when the
    /// source [honours it](SourceChoice::honours_resolution).
    pub fn factory(&self, doc: DocChoice, resolution: Option<[u32; 2]>) -> SourceFactory {
        match self {
            SourceChoice::Demo => {
                let demo = match resolution {
                    Some([w, h]) => DemoSource::new(w, h, DEMO_FPS),
                    None => DemoSource::default(),
                };
                factory(demo.with_kind(doc.kind()))
            }
            SourceChoice::Replay(dir) => {
                let dir = dir.clone();
                Box::new(move || {
                    ReplaySource::open(&dir, REPLAY_FPS)
                        .map(|s| Box::new(s) as Box<dyn crate::source::FrameSource>)
                })
            }
            SourceChoice::Camera(selector) => camera_factory(selector.clone(), resolution),
        }
    }

    /// How a source that fails mid-stream comes back: a camera unplugged and plugged in again is
    /// picked up again; a demo or a folder of frames is not reopened.
    pub fn reopen(&self) -> Option<Reopen> {
        matches!(self, SourceChoice::Camera(_)).then(Reopen::default)
    }

    /// Opens this source as often as asked (cameras), or once (demo, replay).
    pub fn opener(
        &self,
        doc: DocChoice,
        resolution: Option<[u32; 2]>,
    ) -> crate::pipeline::SourceOpener {
        match self {
            SourceChoice::Camera(selector) => {
                let selector = selector.clone();
                Box::new(move || camera_factory(selector.clone(), resolution)())
            }
            other => {
                let mut factory = Some(other.factory(doc, resolution));
                Box::new(move || match factory.take() {
                    Some(open) => open(),
                    None => Err(SourceError::Other(
                        "the source cannot be opened again".into(),
                    )),
                })
            }
        }
    }
}

#[cfg(feature = "camera")]
fn camera_factory(selector: Option<String>, resolution: Option<[u32; 2]>) -> SourceFactory {
    use crate::source::camera::{CameraSelector, CameraSource};
    Box::new(move || {
        let selector = match selector {
            None => match crate::source::camera::list_cameras()?.first() {
                Some(c) => CameraSelector::Index(c.index),
                None => return Err(SourceError::NoCamera),
            },
            Some(s) => match s.parse::<u32>() {
                Ok(i) => CameraSelector::Index(i),
                Err(_) => CameraSelector::Name(s),
            },
        };
        CameraSource::open(&selector, resolution)
            .map(|c| Box::new(c) as Box<dyn crate::source::FrameSource>)
    })
}

#[cfg(not(feature = "camera"))]
fn camera_factory(_selector: Option<String>, _resolution: Option<[u32; 2]>) -> SourceFactory {
    Box::new(|| {
        Err(SourceError::Other(
            "this build has no camera support (feature `camera`)".into(),
        ))
    })
}

/// Camera names for the picker; empty without cameras or camera support.
pub fn camera_names() -> Vec<String> {
    #[cfg(feature = "camera")]
    {
        crate::source::camera::list_cameras()
            .map(|cams| cams.into_iter().map(|c| c.name).collect())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "camera"))]
    {
        Vec::new()
    }
}

type StartResult = Result<Arc<Pipeline>, String>;

/// The running (or starting) pipeline.
#[derive(Debug, Default)]
pub struct Live {
    pipeline: Option<Arc<Pipeline>>,
    starting: Option<Receiver<StartResult>>,
}

/// What [`Live::poll_start`] found.
#[derive(Debug)]
pub enum StartOutcome {
    Started,
    Failed(String),
}

impl Live {
    /// Stops the current source (if any) and starts a new one, both on a helper thread, in that
    /// order: a camera must be released before it can be opened again.
    pub fn start(
        &mut self,
        opener: crate::pipeline::SourceOpener,
        reopen: Option<Reopen>,
        config: PipelineConfig,
        ctx: &egui::Context,
    ) {
        let old = self.pipeline.take();
        let old_start = self.starting.take();
        let (tx, rx) = bounded::<StartResult>(1);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("idshot-ui-start".into())
            .spawn(move || {
                drop(old);
                if let Some(Ok(Ok(p))) = old_start.map(|r| r.recv()) {
                    drop(p);
                }
                let result = Pipeline::start_opening(opener, reopen, config)
                    .map(Arc::new)
                    .map_err(|e: SourceError| e.to_string());
                if let Ok(p) = &result {
                    spawn_waker(Arc::downgrade(p), ctx.clone());
                }
                // The UI may have moved on and dropped the receiver: then the pipeline drops here.
                let _ = tx.send(result);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.starting = Some(rx),
            Err(e) => {
                let (tx, rx) = bounded(1);
                let _ = tx.send(Err(format!("cannot start a thread: {e}")));
                self.starting = Some(rx);
            }
        }
    }

    /// Stops the source on a helper thread.
    pub fn stop(&mut self) {
        let old = self.pipeline.take();
        let old_start = self.starting.take();
        if old.is_none() && old_start.is_none() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("idshot-ui-stop".into())
            .spawn(move || {
                drop(old);
                if let Some(Ok(Ok(p))) = old_start.map(|r| r.recv()) {
                    drop(p);
                }
            });
    }

    /// Whether a start is under way.
    pub fn is_starting(&self) -> bool {
        self.starting.is_some()
    }

    /// Picks up the result of a start, without waiting.
    pub fn poll_start(&mut self) -> Option<StartOutcome> {
        let rx = self.starting.as_ref()?;
        let outcome = match rx.try_recv() {
            Ok(Ok(p)) => {
                self.pipeline = Some(p);
                StartOutcome::Started
            }
            Ok(Err(e)) => StartOutcome::Failed(e),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                StartOutcome::Failed("the source thread ended unexpectedly".into())
            }
        };
        self.starting = None;
        Some(outcome)
    }

    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_deref()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Repaints the window whenever the pipeline has analysed a new frame (and once when it ends).
fn spawn_waker(pipeline: Weak<Pipeline>, ctx: egui::Context) {
    let _ = std::thread::Builder::new()
        .name("idshot-ui-waker".into())
        .spawn(move || {
            let mut seen = 0;
            loop {
                std::thread::sleep(WAKE_POLL);
                let Some(p) = pipeline.upgrade() else { break };
                let analysed = p.stats().analysed;
                let finished = p.is_finished();
                drop(p);
                if analysed != seen || finished {
                    seen = analysed;
                    ctx.request_repaint();
                }
                if finished {
                    break;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_argument() {
        assert_eq!(SourceChoice::parse("demo"), SourceChoice::Demo);
        assert_eq!(SourceChoice::parse("DEMO"), SourceChoice::Demo);
        assert_eq!(
            SourceChoice::parse("frames/seq00"),
            SourceChoice::Replay(PathBuf::from("frames/seq00"))
        );
    }
}
