//! Frame sources: where frames come from. One trait, three kinds: a webcam ([`camera`], behind the
//! `camera` feature), a folder of frames played back ([`replay`]) and a synthetic scene ([`demo`]).
//! The pipeline's capture thread owns the source and pulls frames from it.

#[cfg(feature = "camera")]
pub mod camera;
pub mod demo;
pub mod faulty;
pub mod replay;

use image::RgbImage;

pub use demo::DemoSource;
pub use faulty::{Fault, FaultySource};
pub use replay::ReplaySource;

/// One frame as a source delivers it.
#[derive(Clone, Debug)]
pub struct SourceFrame {
    /// Pixels exactly as captured: never mirrored, never resized.
    pub image: RgbImage,
    /// When it was captured, in seconds since the source started. Replay and demo sources give
    /// media time (frame index / fps) so guidance decisions do not depend on machine load.
    pub t_secs: f64,
    /// The frame's file, for sources that read files (replay).
    pub name: Option<String>,
}

/// Why a source cannot deliver frames. Each says in one line what happened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("no camera found")]
    NoCamera,
    #[error("camera {0:?} not found")]
    CameraNotFound(String),
    #[error("the camera is busy (another program is using it): {0}")]
    Busy(String),
    #[error("access to the camera was denied: {0}")]
    Denied(String),
    #[error("camera error: {0}")]
    Camera(String),
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{0}")]
    Other(String),
}

/// A stream of frames. `next_frame` blocks until the next frame is due (sources pace themselves)
/// and returns `Ok(None)` at the end of a finite stream. Not `Send`: a webcam handle must stay on
/// the thread that opened it, so the pipeline builds its source on the capture thread
/// ([`SourceFactory`]).
pub trait FrameSource {
    /// A short description for logs and sidecars ("replay of 150 frames at 30 fps", a camera name).
    fn describe(&self) -> String;
    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError>;
}

impl FrameSource for Box<dyn FrameSource> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn next_frame(&mut self) -> Result<Option<SourceFrame>, SourceError> {
        (**self).next_frame()
    }
}

/// Builds a source on the capture thread.
pub type SourceFactory = Box<dyn FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send>;

/// A factory for a source that can move between threads (replay, demo).
pub fn factory<S: FrameSource + Send + 'static>(source: S) -> SourceFactory {
    Box::new(move || Ok(Box::new(source) as Box<dyn FrameSource>))
}

/// Sleeps until `start + t_secs`, so a source delivers frames at their media time.
pub(crate) fn pace(start: std::time::Instant, t_secs: f64) {
    if !(t_secs.is_finite() && t_secs > 0.0) {
        return;
    }
    let due = start + std::time::Duration::from_secs_f64(t_secs);
    let now = std::time::Instant::now();
    if due > now {
        std::thread::sleep(due - now);
    }
}
